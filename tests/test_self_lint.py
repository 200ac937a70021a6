"""flake8, with the project's own setup.cfg (ml-seclint's plugin included), finds nothing in the
project's code and tests."""
from __future__ import annotations

from helpers import run_flake8


def test_flake8_is_clean_on_the_project() -> None:
    # one process: the suite already keeps every core busy, and flake8's pool only adds its start-up
    proc = run_flake8("--jobs", "1", "ml_seclint", "tests", "bench")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""
