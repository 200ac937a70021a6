"""Odd input gives a clear MLS000 (or error line), never a traceback, and never loses the other
files' results."""
from __future__ import annotations

import ast
import os
import sys

import pytest

from ml_seclint.engine.config import Settings
from ml_seclint.engine.lint import lint_source
from ml_seclint.engine.rule import Rule

from helpers import cli_json, run_cli, run_flake8

BAD = "import torch\ntorch.load(p)\n"


def _write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.fixture
def odd_tree(tmp_path):
    _write(tmp_path, "a_good.py", BAD.encode())
    _write(tmp_path, "syntax.py", b"import torch\ndef f(:\n    torch.load(p)\n")
    _write(tmp_path, "undecodable.py", b"import torch\nx = '\xff\xfe'\ntorch.load(p)\n")
    _write(tmp_path, "latin1.py", "# -*- coding: latin-1 -*-\nimport torch\nname = 'café'\ntorch.load(p)\n"
           .encode("latin-1"))
    _write(tmp_path, "bom.py", b"\xef\xbb\xbf" + BAD.encode())
    _write(tmp_path, "crlf.py", BAD.replace("\n", "\r\n").encode())
    _write(tmp_path, "empty.py", b"")
    _write(tmp_path, "binary.py", b"\x7fELF\x02\x01\x01\x00\x00torch load\x00\x00")
    _write(tmp_path, "newer_syntax.py", b"import torch\ntype Alias = list[int]\ntorch.load(p)\n")
    _write(tmp_path, "bad_cookie.py", b"# -*- coding: no-such-codec -*-\nimport torch\n")
    os.symlink("missing-target.py", tmp_path / "dangling.py")
    os.symlink("loop.py", tmp_path / "loop.py")
    (tmp_path / "z_good.py").write_text(BAD)
    return tmp_path


def _by_file(data):
    found = {}
    for f in data["findings"]:
        found.setdefault(os.path.basename(f["path"]), []).append(f)
    return found


def test_cli_reports_every_odd_file_and_keeps_the_rest(odd_tree):
    proc = run_cli("check", "--format", "json", str(odd_tree))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    import json

    found = _by_file(json.loads(proc.stdout))
    codes = {name: sorted(f["code"] for f in fs) for name, fs in found.items()}
    assert codes["a_good.py"] == ["MLS102"] and codes["z_good.py"] == ["MLS102"]
    assert codes["latin1.py"] == ["MLS102"] and found["latin1.py"][0]["line"] == 4
    assert codes["bom.py"] == ["MLS102"] and found["bom.py"][0]["line"] == 2
    assert codes["crlf.py"] == ["MLS102"] and found["crlf.py"][0]["line"] == 2
    assert "empty.py" not in found

    def only_error(name, *words):
        assert codes[name] == ["MLS000"], (name, found[name])
        message = found[name][0]["message"]
        assert all(w in message for w in words), message
        return found[name][0]

    assert only_error("syntax.py", "syntax error")["line"] == 2
    assert only_error("undecodable.py", "cannot decode", "0xff")["line"] == 2
    only_error("binary.py", "binary file")
    only_error("bad_cookie.py", "encoding")
    only_error("dangling.py", "cannot read file")
    only_error("loop.py", "cannot read file")
    if sys.version_info < (3, 12):
        assert codes["newer_syntax.py"] == ["MLS000", "MLS102"]
        assert "cannot compile" in found["newer_syntax.py"][0]["message"]
    else:
        assert codes["newer_syntax.py"] == ["MLS102"]


def test_text_output_of_odd_files_is_one_line_each(odd_tree):
    proc = run_cli("check", str(odd_tree))
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = [line for line in proc.stdout.splitlines() if "MLS000" in line]
    assert len(lines) == 6 + (sys.version_info < (3, 12))


def _ast_rejects_nul_with_value_error() -> bool:
    try:
        ast.parse("\0")
    except ValueError:
        return True
    except SyntaxError:
        return False
    return False


def test_flake8_survives_odd_files(odd_tree):
    if _ast_rejects_nul_with_value_error():
        # Python 3.9/3.10: ast.parse raises ValueError on NUL bytes, and flake8 itself (not the
        # plugin, which it never reaches) dies of it on every file of the run
        (odd_tree / "binary.py").unlink()
    proc = run_flake8("--isolated", "--select", "MLS,E999", str(odd_tree))
    assert "Traceback" not in proc.stderr, proc.stderr
    out = proc.stdout
    assert "a_good.py:2:1: MLS102" in out and "z_good.py:2:1: MLS102" in out
    assert "latin1.py:4:1: MLS102" in out and "crlf.py:2:1: MLS102" in out
    assert "bom.py:2:1: MLS102" in out


def test_parse_failure_is_one_mls000_with_python_position():
    result = lint_source("import torch\ntorch.load(p)\nx = (1,\n", "f.py", Settings())
    assert [f.code for f in result.findings] == ["MLS000"]
    assert "syntax error" in result.findings[0].message and result.findings[0].line == 3


class _Exploding(Rule):
    code = "MLS999"
    name = "exploding"
    summary = message = "test rule"
    guideline = "1.3"
    cwe = (502,)
    triggers = ("torch",)

    def visit_Call(self, node):
        raise ValueError("boom")


def test_crashing_rule_becomes_mls000_and_other_rules_still_report():
    from ml_seclint.engine.registry import RULES

    rules = [RULES["MLS102"], _Exploding]
    result = lint_source(BAD, "f.py", Settings(), rules)
    codes = sorted(f.code for f in result.findings)
    assert codes == ["MLS000", "MLS102"]
    crash = next(f for f in result.findings if f.code == "MLS000")
    assert "MLS999" in crash.message and "ValueError: boom" in crash.message


def test_deep_nesting_does_not_crash():
    source = "import torch\nx = " + "(" * 300 + "1" + ")" * 300 + "\ntorch.load(p)\n"
    result = lint_source(source, "deep.py", Settings())
    assert all(f.code in ("MLS000", "MLS102") for f in result.findings)


def test_json_shape_for_mls000(odd_tree):
    data = cli_json(str(odd_tree / "binary.py"))
    (finding,) = data["findings"]
    assert finding["code"] == "MLS000" and finding["line"] == 1 and finding["column"] == 1
    assert finding["guideline"] is None and finding["name"] == "file-not-checked"
