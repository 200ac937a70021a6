"""The one statement walk (analysis/statements.py) under the scope table, object tracking and the
`global` scan: every compound statement, ladders of any length, `match` (issue 9)."""
from __future__ import annotations

import sys

import libcst as cst
import pytest

from ml_seclint.analysis.scopes import Scope
from ml_seclint.analysis.statements import statements
from ml_seclint.engine.config import Settings
from ml_seclint.engine.lint import lint_source

from helpers import cli_json

needs_match = pytest.mark.skipif(sys.version_info < (3, 10), reason="match needs Python 3.10")

# One call per rule family that resolves a module-level name, after a `match` statement.
RISKY = '''\
import pickle
import joblib
import torch
import yaml
import tarfile
import requests
from transformers import AutoModel

match command:
    case ["load", path]:
        pass
    case {"x": 1, **rest}:
        pass
    case Point(x=0) | Point(y=0) as p:
        pass
    case _:
        pass

pickle.load(fh)
joblib.load(p)
torch.load(p)
yaml.load(text)
tarfile.open(p).extractall()
requests.get("http://example.com/model.bin")
AutoModel.from_pretrained("org/model", trust_remote_code=True)
'''


def _codes(source: str) -> list[tuple[int, str]]:
    return sorted((f.line, f.code) for f in lint_source(source, "m.py", Settings()).findings)


@needs_match
def test_match_statement_does_not_switch_rules_off():
    found = _codes(RISKY)
    assert not any(code == "MLS000" for _, code in found), found
    without_match = RISKY.split("match command:")[0] + "\n" * 10 + RISKY.split("        pass\n\n")[-1]
    assert found == _codes(without_match)
    assert {code for _, code in found} >= {"MLS101", "MLS102", "MLS103", "MLS107", "MLS201", "MLS303",
                                           "MLS304"}


@needs_match
def test_match_through_the_cli(tmp_path):
    (tmp_path / "m.py").write_text(RISKY)
    data = cli_json(str(tmp_path / "m.py"))
    codes = [f["code"] for f in data["findings"]]
    assert "MLS000" not in codes and "MLS102" in codes


@needs_match
def test_case_patterns_bind_names():
    source = ("from pickle import load\n"
              "match msg:\n"
              "    case {'loader': load}:\n"
              "        load(fh)\n")
    assert _codes(source) == []  # `load` is whatever matched, not pickle.load
    scope = Scope(cst.parse_module(source), None)
    assert [b.kind for b in scope.bindings["load"]] == ["import", "other"]


def test_every_block_is_walked_in_order():
    source = '''\
a = 1; b = 2
if x:
    c = 1
elif y:
    d = 1
elif z:
    e = 1
else:
    f = 1
for g in h:
    i = 1
else:
    j = 1
while k:
    m = 1
try:
    n = 1
except E as o:
    p = 1
else:
    q = 1
finally:
    r = 1
with s as t:
    u = 1
def v():
    w = 1
class C:
    y2 = 1
'''
    module = cst.parse_module(source)
    assigned = [s.targets[0].target.value for s in statements(module) if isinstance(s, cst.Assign)]
    assert assigned == ["a", "b", "c", "d", "e", "f", "i", "j", "m", "n", "p", "q", "r", "u"]
    nested = [s.targets[0].target.value for s in statements(module, nested=True) if isinstance(s, cst.Assign)]
    assert nested == assigned + ["w", "y2"]
    bindings = Scope(module, None).bindings
    assert {"g", "o", "t", "v", "C"} <= set(bindings)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="except* needs Python 3.11")
def test_try_star_handlers():
    module = cst.parse_module("try:\n    a = 1\nexcept* E as err:\n    import pickle\n")
    bindings = Scope(module, None).bindings
    assert set(bindings) == {"a", "err", "pickle"}


def test_elif_ladder_of_any_length_without_recursion():
    ladder = "".join(f"elif x == {i}:\n    import pickle as p{i}\n" for i in range(1, 3000))
    module = cst.parse_module("if x == 0:\n    pass\n" + ladder + "def f():\n    global p5\n")
    scope = Scope(module, None)
    assert len([n for n in scope.bindings if n.startswith("p")]) == 2999
    assert "p5" in scope.mutated and "p6" not in scope.mutated
