"""Shared test helpers: the checks/ annotations and the three front ends."""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from ml_seclint.frontends.cli import main

REPO = Path(__file__).resolve().parent.parent
CHECKS = REPO / "checks"
# `# expect: MLS102` or, pinning the 1-based column of the finding, `# expect: MLS102@13`
EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>MLS\d{3}(?:@\d+)?(?:\s*,\s*MLS\d{3}(?:@\d+)?)*)")
FLAKE8_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) (?P<msg>.*)$")


# Codes the CLI's suppression step reports (not a traversal): their check files go through
# tests/test_suppressions.py instead of the engine / flake8 / CLI comparison.
SUPPRESSION_CODES = ("MLS001",)


def check_files() -> list[Path]:
    return sorted(p for p in CHECKS.glob("MLS*.py") if not p.name.endswith(".fixed.py"))


def _annotations(path: Path) -> list[tuple[int, str, int | None]]:
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = EXPECT.search(line)
        if match:
            for item in match.group("codes").split(","):
                code, _, column = item.strip().partition("@")
                found.append((number, code, int(column) if column else None))
    return found


def expected(path: Path) -> set[tuple[int, str]]:
    """(line, code) pairs annotated with `# expect: MLSxxx` in a check file."""
    return {(line, code) for line, code, _ in _annotations(path)}


def expected_columns(path: Path) -> dict[tuple[int, str], int]:
    """(line, code) -> 1-based column, for annotations written `# expect: MLSxxx@column`."""
    return {(line, code): column for line, code, column in _annotations(path) if column is not None}


def shape(findings) -> list[tuple]:
    """What two lints must agree on, finding by finding."""
    return sorted((f.cell or 0, f.line, f.column, f.end_line, f.end_column, f.code, f.message, f.severity,
                   getattr(f.fix, "title", None)) for f in findings)


def env() -> dict:
    environment = dict(os.environ)
    environment.pop("CI", None)
    return environment


def run(args: list[str], cwd: Path = REPO, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, input=stdin, capture_output=True, text=True, env=env(), timeout=600)


def run_cli(*args: str, cwd: Path = REPO, stdin: str | None = None) -> subprocess.CompletedProcess:
    """The CLI in this process (`main(argv)` with captured streams): what most tests need, at a
    fraction of a subprocess start. `run_cli_process` is the real thing."""
    out, err = io.StringIO(), io.StringIO()
    old_cwd, old_stdin = os.getcwd(), sys.stdin
    sys.stdin = io.StringIO(stdin or "")
    try:
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse: --help, --version, usage errors
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    finally:
        os.chdir(old_cwd)
        sys.stdin = old_stdin
    return subprocess.CompletedProcess(["ml-seclint", *args], code, out.getvalue(), err.getvalue())


def run_cli_process(*args: str, cwd: Path = REPO, stdin: str | None = None) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "ml_seclint", *args], cwd=cwd, stdin=stdin)


def run_flake8(*args: str, cwd: Path = REPO, stdin: str | None = None) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "flake8", *args], cwd=cwd, stdin=stdin)


def flake8_columns(output: str) -> dict[str, dict[tuple[int, str], int]]:
    """path -> (line, code) -> 1-based column, from flake8's default output."""
    found: dict[str, dict[tuple[int, str], int]] = {}
    for line in output.splitlines():
        match = FLAKE8_LINE.match(line)
        if match:
            path = os.path.normpath(match.group("path"))
            key = (int(match.group("line")), match.group("code"))
            found.setdefault(path, {})[key] = int(match.group("col"))
    return found


def flake8_pairs(output: str) -> dict[str, set[tuple[int, str]]]:
    found: dict[str, set[tuple[int, str]]] = {}
    for line in output.splitlines():
        match = FLAKE8_LINE.match(line)
        if match:
            path = os.path.normpath(match.group("path"))
            found.setdefault(path, set()).add((int(match.group("line")), match.group("code")))
    return found


def cli_json(*args: str, cwd: Path = REPO, process: bool = False) -> dict:
    proc = (run_cli_process if process else run_cli)("check", "--format", "json", *args, cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)
