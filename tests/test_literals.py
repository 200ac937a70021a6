"""A literal Python rejects but libcst accepts affects only its own node: no rule is switched off
for the file, the CLI's MLS000 names its line, and a key inside it is still found (issue 9)."""
from __future__ import annotations

import json

import libcst as cst
import pytest

from ml_seclint.analysis.literals import lenient_text, number_value, string_parts, string_value
from ml_seclint.engine.config import Settings
from ml_seclint.engine.lint import lint_source

from helpers import cli_json

KEY = "hf_" + "Ab3dE" * 6 + "f9Zq"  # noqa: MLS401 - a fake Hugging Face token, for the test
PASSWORD = "Zx9Qw3Lk8Mn2Bv7"  # noqa: MLS402 - a fake password, for the test
# line 2 of each test file: a literal Python rejects where a rule evaluates it (a key word in a
# string, a credential name, an argument value), which used to switch that rule off for the file
BAD = {
    "unknown-name": r'X = "hf_\N{BOGUS}"',
    "short-hex": r'password = "hf_\x4"',
    "non-ascii-bytes": 'X = b"hf_é"',
    "nul": 'X = "hf_a\0b"',
    "huge-int": "torch.load(q, weights_only=1" + "0" * 5000 + ")",
}


def _source(bad: str) -> str:
    return (f"import torch\n{bad}\nTOKEN = \"{KEY}\"\napi_key = \"{PASSWORD}\"\n"
            f"torch.load(p, weights_only=False)\n")


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
def test_other_literals_are_still_checked(bad):
    findings = lint_source(_source(bad), "x.py", Settings(), check_syntax=True).findings
    found = sorted((f.line, f.code) for f in findings)
    assert found == [(2, "MLS000"), (3, "MLS401"), (4, "MLS402"), (5, "MLS102")], findings
    assert "cannot compile" in findings[0].message and "line 2" in findings[0].message
    assert "internal error" not in " ".join(f.message for f in findings)


def test_a_key_inside_a_rejected_literal_is_found():
    source = f'import torch\nTOKEN = "\\N{{BOGUS}} {KEY}"\n'
    findings = lint_source(source, "x.py", Settings()).findings
    assert [(f.line, f.code) for f in findings] == [(2, "MLS401")]
    assert KEY not in findings[0].message


def test_rejected_literals_in_a_notebook(tmp_path):
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": [f'TOKEN = "{KEY}"\n', 'X = "a\0b"\n']},
             {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": ["import torch\n", "torch.load(p)\n"]}]
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}
    (tmp_path / "n.ipynb").write_text(json.dumps(notebook))
    data = cli_json(str(tmp_path / "n.ipynb"))
    found = sorted((f["cell"], f["line"], f["code"]) for f in data["findings"])
    assert found == [(1, 1, "MLS401"), (1, 2, "MLS000"), (2, 2, "MLS102")], data["findings"]


def test_literal_helpers():
    concat = cst.parse_expression('"a" "b" \'c\'')
    assert [p.value for p in string_parts(concat)] == ['"a"', '"b"', "'c'"]
    assert string_value(concat) == "abc"
    assert string_value(cst.parse_expression('"a" f"{b}"')) is None
    assert string_value(cst.parse_expression(r'"\d"')) == "\\d"  # an invalid escape is no error
    bogus = cst.parse_expression(r'"x\N{BOGUS}y"')
    assert string_value(bogus) is None and lenient_text(bogus) == "x" + " " * 9 + "y"
    assert string_value(bogus, lenient=True) == lenient_text(bogus)
    assert number_value(cst.parse_expression("0x10")) == 16
    assert number_value(cst.parse_expression("1" + "0" * 5000)) is None
    long = cst.parse_expression("(" + " ".join(['"a"'] * 3000) + ")")
    assert string_value(long) == "a" * 3000
