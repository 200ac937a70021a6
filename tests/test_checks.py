"""Every checks/ file gives exactly its annotated (line, code) pairs, and the columns pinned with
`# expect: MLSxxx@column`, through the engine (the same with and without its cheap stage), real
flake8 in a subprocess, and the CLI's JSON (a real process with two workers, the same as the CLI
in-process and serial)."""
from __future__ import annotations

import json
import os

import pytest

from ml_seclint.engine.registry import RULES

from helpers import (CHECKS, REPO, SUPPRESSION_CODES, check_files, cli_json, expected, expected_columns,
                     flake8_columns, run_cli_process, run_flake8, shape)

FILES = [p for p in check_files() if not p.name.startswith(SUPPRESSION_CODES)]
IDS = [p.name for p in FILES]
ALL_FILES = sorted(CHECKS.glob("MLS*.py"))  # with the .fixed.py files and MLS001


def test_every_rule_has_a_check_file_with_flagged_and_clean_lines():
    for code in RULES:
        files = [p for p in check_files() if p.name.startswith(code + "_")]
        assert len(files) == 1, f"{code} needs exactly one checks/{code}_*.py file"
        pairs = expected(files[0])
        assert any(c == code for _, c in pairs), f"{files[0].name} flags no {code} line"
        text = files[0].read_text(encoding="utf-8")
        assert "# ok" in text, f"{files[0].name} has no clean look-alike marked `# ok`"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_engine(path, check_lint):
    found = {(f.line, f.code): f.column + 1 for f in check_lint(path).findings}
    assert set(found) == expected(path)
    assert_columns(found, path)


@pytest.mark.parametrize("path", ALL_FILES, ids=[p.name for p in ALL_FILES])
def test_engine_without_the_cheap_stage(path, check_lint):
    """The cheap stage before libcst (engine/prescreen.py) loses no finding of any checks/ file;
    tests/test_prescreen.py checks variants of them."""
    with_stage, without = shape(check_lint(path).findings), shape(check_lint(path, prescreen=False).findings)
    assert with_stage == without
    assert without or path.name.endswith(".fixed.py") or path.name.startswith("MLS001")


def assert_columns(found: dict[tuple[int, str], int], path) -> None:
    for key, column in expected_columns(path).items():
        assert found.get(key) == column, f"{path.name}:{key[0]}: {key[1]} expected at column {column}"


@pytest.fixture(scope="module")
def flake8_results():
    proc = run_flake8("--isolated", "--select", "MLS", *[str(p.relative_to(REPO)) for p in FILES])
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    return flake8_columns(proc.stdout)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_flake8(path, flake8_results):
    found = flake8_results.get(str(path.relative_to(REPO)), {})
    assert set(found) == expected(path)
    assert_columns(found, path)


@pytest.fixture(scope="module")
def cli_data() -> dict:
    """The real thing, end to end: a process with two workers (whatever the machine's cores)."""
    proc = run_cli_process("check", "--format", "json", "--no-cache", "--jobs", "2",
                           str(CHECKS.relative_to(REPO)))
    assert proc.returncode == 1 and proc.stderr == ""
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def cli_results(cli_data):
    found: dict[str, dict] = {}
    for f in cli_data["findings"]:
        found.setdefault(os.path.normpath(f["path"]), {})[(f["line"], f["code"])] = f["column"]
    return found


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_cli(path, cli_results):
    found = cli_results.get(str(path.relative_to(REPO)), {})
    assert set(found) == expected(path)
    assert_columns(found, path)


def test_cli_in_parallel_equals_serial(cli_data):
    serial = cli_json("--jobs", "1", str(CHECKS.relative_to(REPO)))
    assert serial["findings"] == cli_data["findings"] and serial["findings"]
