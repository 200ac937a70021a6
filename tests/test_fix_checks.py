"""`ml-seclint check --fix --unsafe-fixes` over a copy of checks/ through the real CLI.

- every checks/X.py with a checks/X.fixed.py sibling becomes exactly that file (byte for byte);
- every check file of a rule that offers a fix has such a sibling (regenerate them with
  `python tests/generate_fixed.py`, then review `git diff checks/`);
- nothing with a fix of the applied safety is left, the files still compile, only flagged
  statements and imports changed, and a second run changes nothing.
"""
from __future__ import annotations

import ast
import difflib
import io
import json
import shutil
import tokenize
from pathlib import Path

import pytest

from ml_seclint.engine.registry import RULES

from generate_fixed import fix_copies, fixed_path
from helpers import check_files, expected, run_cli

FILES = check_files()
IDS = [p.name for p in FILES]
PAIRS = [p for p in FILES if fixed_path(p).exists()]


def _rule(check: Path):
    return RULES.get(check.name.split("_", 1)[0])


@pytest.fixture(scope="module")
def fixed_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("fixed")
    proc = fix_copies(FILES, directory)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return directory


def test_every_rule_with_a_fix_has_fixed_check_files():
    missing = [p.name for p in FILES if _rule(p) is not None and _rule(p).fix_safety
               and not fixed_path(p).exists()]
    assert not missing, (f"no .fixed.py expectation for {missing}: run `python tests/generate_fixed.py`"
                         f" and review `git diff checks/`")


def test_fixed_files_belong_to_a_check_file():
    for fixed in Path(FILES[0].parent).glob("*.fixed.py"):
        assert fixed.with_name(fixed.name.replace(".fixed.py", ".py")).exists(), fixed.name


@pytest.mark.parametrize("path", PAIRS, ids=[p.name for p in PAIRS])
def test_fix_gives_the_fixed_file(path, fixed_dir):
    got = (fixed_dir / path.name).read_bytes()
    want = fixed_path(path).read_bytes()
    if got != want:
        diff = "".join(difflib.unified_diff(want.decode().splitlines(True), got.decode().splitlines(True),
                                            f"{path.name} (expected)", f"{path.name} (--fix)"))
        pytest.fail(f"--fix --unsafe-fixes result differs from {fixed_path(path).name}:\n{diff}")


def _json(directory: Path, *args: str) -> dict:
    proc = run_cli("check", "--format", "json", *args, ".", cwd=directory)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def test_no_finding_with_a_fix_remains(fixed_dir):
    data = _json(fixed_dir)
    left = [(f["path"], f["line"], f["code"]) for f in data["findings"] if f["fix"]["available"]]
    assert not left
    assert data["summary"]["fixable"] == {"safe": 0, "unsafe": 0}


def test_safe_fixes_alone_leave_no_safe_fix(tmp_path):
    for check in FILES:
        shutil.copyfile(check, tmp_path / check.name)
    before = _json(tmp_path)
    proc = run_cli("check", "--fix", "--exit-zero", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    after = _json(tmp_path)
    assert not [f for f in after["findings"] if f["fix"]["safety"] == "safe"]
    # no unsafe fix was applied
    assert after["summary"]["fixable"]["unsafe"] == before["summary"]["fixable"]["unsafe"]
    assert after["summary"]["fixed"] == 0  # a plain check fixes nothing


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_fixed_file_compiles(path, fixed_dir):
    source = (fixed_dir / path.name).read_bytes()
    compile(source, path.name, "exec", dont_inherit=True)


def _statement_lines(source: str, line: int) -> set[int]:
    """The lines of the logical line (statement) that starts or continues on `line`."""
    start = None
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if start is None and tok.type not in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT,
                                              tokenize.DEDENT, tokenize.NEWLINE):
            start = tok.start[0]
        if tok.type == tokenize.NEWLINE:
            if start is not None and start <= line <= tok.end[0]:
                return set(range(start, tok.end[0] + 1))
            start = None
    return {line}


def _import_lines(source: str) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_only_flagged_statements_and_imports_change(path, fixed_dir):
    before = path.read_text(encoding="utf-8")
    after = (fixed_dir / path.name).read_text(encoding="utf-8")
    editable = _import_lines(before)
    for line, _ in expected(path):
        editable |= _statement_lines(before, line)
    old, new = before.splitlines(True), after.splitlines(True)
    new_imports = _import_lines(after)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        changed = set(range(i1 + 1, i2 + 1))
        assert changed <= editable, f"{path.name}: --fix changed unflagged lines {sorted(changed - editable)}"
        if tag == "insert":  # only imports (and the blank line after them) may appear from nothing
            added = [n for n in range(j1 + 1, j2 + 1) if new[n - 1].strip()]
            assert set(added) <= new_imports or (i1 and i1 in editable), \
                f"{path.name}: --fix inserted lines {added}"


def test_second_run_changes_nothing(fixed_dir, tmp_path):
    for check in FILES:
        shutil.copyfile(fixed_dir / check.name, tmp_path / check.name)
    proc = run_cli("check", "--fix", "--unsafe-fixes", "--format", "json", ".", cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    assert json.loads(proc.stdout)["summary"]["fixed"] == 0
    for check in FILES:
        assert (tmp_path / check.name).read_bytes() == (fixed_dir / check.name).read_bytes()
    diff = run_cli("check", "--diff", "--unsafe-fixes", ".", cwd=tmp_path)
    assert diff.stdout == ""
