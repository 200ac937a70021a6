"""Deep but valid code is analysed like any other code; deeper than the engine's bound, or nested
so deeply that libcst's native parser would crash, it is one MLS000 naming the line (issue 9)."""
from __future__ import annotations

import glob

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from ml_seclint.engine.config import Settings
from ml_seclint.engine.guard import MAX_DEPTH
from ml_seclint.engine.lint import lint_source
from ml_seclint.analysis.codegen import code, positions

from helpers import CHECKS, cli_json, flake8_pairs, run_flake8

KEY = "hf_" + "Ab3dE" * 6 + "f9Zq"  # noqa: MLS401 - a fake Hugging Face token, for the test

N = 1000
DEEP = {
    # a long prompt: one implicit concatenation of N parts, a key among them
    "concat": "PROMPT = (\n" + "".join(f'    "part {i} "\n' for i in range(N)) + f'    "{KEY}"\n)\n',
    "plus": "x = " + " + ".join(f"a{i}" for i in range(N)) + "\n",
    "and": "x = " + " and ".join(f"a{i}" for i in range(N)) + "\n",
    "or_not": "x = " + "not " * N + "a\n",
    "elif": "if x == 0:\n    pass\n" + "".join(f"elif x == {i}:\n    torch.load(p{i})\n" for i in (1, 2))
            + "".join(f"elif x == {i}:\n    pass\n" for i in range(3, N)),
    "calls": "x = y" + ".f()" * 400 + "\n",  # libcst's parser is slow on long call chains
    "url": 'URL = "http://example.com/" + ' + " + ".join(f"p{i}" for i in range(N)) + "\n"
           "requests.get(URL)\n",
}


def _source(body: str) -> str:
    return "import torch\nimport requests\ntorch.load(a)\n" + body + "torch.load(b)\n"


def _found(source: str) -> list[tuple[int, str]]:
    return sorted((f.line, f.code) for f in lint_source(source, "deep.py", Settings()).findings)


@pytest.mark.parametrize("name", sorted(DEEP))
def test_deep_valid_code_is_analysed(name):
    source = _source(DEEP[name])
    found = _found(source)
    assert "MLS000" not in {code for _, code in found}, found
    last = source.count("\n")
    assert (3, "MLS102") in found and (last, "MLS102") in found
    if name == "concat":
        assert (5, "MLS401") in found
    if name == "elif":
        assert (7, "MLS102") in found and (9, "MLS102") in found


def test_deep_file_through_the_cli_and_flake8(tmp_path):
    # pyflakes (run by flake8 whatever --select says) itself fails on deep `elif`s and `+` chains
    source = _source(DEEP["concat"] + DEEP["and"])
    (tmp_path / "deep.py").write_text(source)
    data = cli_json(str(tmp_path))
    found = sorted((f["line"], f["code"]) for f in data["findings"])
    # what the engine finds in each part (test_deep_valid_code_is_analysed), no MLS000
    assert found == [(3, "MLS102"), (5, "MLS401"), (source.count("\n"), "MLS102")]
    # what would crash libcst's parser is an MLS000 line in flake8 too, never a dead worker
    (tmp_path / "crash.py").write_text(_source("x = " + " and ".join(["a"] * 3000) + "\n"))
    proc = run_flake8("--isolated", "--select", "MLS", str(tmp_path))
    assert "Traceback" not in proc.stderr
    pairs = flake8_pairs(proc.stdout)
    assert set(pairs[str(tmp_path / "deep.py")]) == set(found)
    assert pairs[str(tmp_path / "crash.py")] == {(4, "MLS000")}  # the line of the chain


def _only_error(source: str, *words: str) -> int:
    findings = lint_source(source, "deep.py", Settings()).findings
    assert [f.code for f in findings] == ["MLS000"], findings
    assert all(w in findings[0].message for w in words), findings[0].message
    return findings[0].line


def test_deeper_than_the_bound_is_one_mls000_with_the_line():
    line = _only_error("import torch\ntorch.load(p)\n\nx = " + " + ".join(["a"] * (MAX_DEPTH + 10)) + "\n",
                       "nested too deeply", f"{MAX_DEPTH:,}")
    assert line == 4


@pytest.mark.parametrize("source", [
    "import torch\nx = " + "(" * 1400 + "\ntorch.load(p)\n",  # crashed libcst's parser (segfault)
    "import torch\nx = " + "[" * 5000 + "]" * 5000 + "\ntorch.load(p)\n",
    "import torch\nx = " + " and ".join(["a"] * 9000) + "\ntorch.load(p)\n",  # so did this
], ids=["unclosed-brackets", "brackets", "and-chain"])
def test_what_would_crash_the_parser_is_refused(source):
    _only_error(source, "nested too deeply")


def test_iterative_positions_equal_libcst_positions():
    sources = [open(path, encoding="utf-8").read() for path in sorted(glob.glob(str(CHECKS / "*.py")))[::4]]
    sources += ["", "\n", "x = 1", "if a:\n\tpass\r\nelse:\n\tpass", "def f(*, a=1, **k) -> int: ...\n"]
    for source in sources:
        module = cst.parse_module(source)
        expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        assert positions(module) == dict(expected)
        assert code(module) == source == module.code


def test_positions_of_a_few_nodes_stop_early():
    module = cst.parse_module("a = 1\n" + "b = 2\n" * 1000)
    first = module.body[0]
    ranges = positions(module, [first])
    assert ranges[first].start.line == 1 and len(ranges) < 50
