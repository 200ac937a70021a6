"""Fuzzing (issue 9): every input yields findings or MLS000 lines, never an exception, and a valid
file's findings do not change when unrelated valid code is appended. The generators are in
tests/fuzzing.py, imported by these tests only: hypothesis takes about a second to import, so only
the pytest worker that runs them pays it (its pytest plugin is off in pyproject's addopts).

    ML_SECLINT_FUZZ_SECONDS=600 python -m pytest tests/test_fuzz.py -q   # the long run
"""
from __future__ import annotations

import importlib


def _fuzzing():
    return importlib.import_module("fuzzing")


def test_what_the_long_run_found():
    _fuzzing().what_the_long_run_found()


def test_generated_valid_python():
    _fuzzing().generated_valid_python()


def test_mutated_check_files():
    _fuzzing().mutated_check_files()
