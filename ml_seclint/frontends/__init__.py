"""The ways in: the CLI (with its runner, baselines, --since) and the flake8 plugin."""
