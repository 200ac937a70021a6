"""The engine: rules, settings, the one traversal, findings and their suppression."""
