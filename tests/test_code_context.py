"""Code context: where a file lives decides what a finding is worth (engine/code_context.py)."""
from __future__ import annotations

import json

import pytest

from ml_seclint.engine.code_context import classify, shifted

from helpers import cli_json, flake8_pairs, run_cli, run_flake8

KEY = "hf_" + "FakeKeyForMlSeclintChecksNotARealC"  # assembled: no literal key in this file


@pytest.mark.parametrize("path, context", [
    ("src/pkg/model.py", "library"),
    ("tests/test_model.py", "test"),
    ("pkg/tests/helpers.py", "test"),
    ("pkg/model_test.py", "test"),
    ("conftest.py", "test"),
    ("examples/train.py", "example"),
    ("docs/source/conf.py", "docs"),
    ("scripts/convert.py", "script"),
    ("src/pkg/models/bert/convert_bert_checkpoint.py", "script"),
    ("benchmarks/speed.py", "script"),
    ("src/pkg/_vendor/truststore/_api.py", "vendored"),
    ("third_party/lib/x.py", "vendored"),
    ("notebooks/explore.ipynb", "notebook"),
    ("examples/explore.ipynb", "example"),
    ("src/pkg/tools/search.py", "library"),  # a `tools` package is library code
    ("src/pkg/testing_utils.py", "library"),
])
def test_path_conventions(path, context):
    assert classify(path) == context


def test_globs_come_first():
    assert classify("recipes/finetune.py", {"example": ["recipes"]}) == "example"
    assert classify("src/pkg/tests/x.py", {"library": ["src/pkg/*"]}) == "library"


def test_shifted_stays_within_the_scale():
    assert shifted("high", -1) == "medium" and shifted("low", -1) == "low"
    assert shifted("critical", 1) == "critical" and shifted("medium", 0) == "medium"


@pytest.fixture
def tree(tmp_path):
    for rel in ("src/pkg/load.py", "tests/test_load.py", "examples/demo.py", "src/pkg/_vendor/x/y.py"):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"import torch\nstate = torch.load(p)\nTOKEN = {KEY!r}  # noqa: MLS402\n")
    (tmp_path / "pyproject.toml").write_text("[tool.ml-seclint]\n")
    return tmp_path


def found(data):
    return sorted((f["path"], f["code"], f["context"], f["severity"]) for f in data["findings"])


def test_default_run_skips_vendored_code_and_checks_tests_for_keys_only(tree):
    data = cli_json(".", cwd=tree)
    assert found(data) == [
        ("examples/demo.py", "MLS102", "example", "high"),
        ("examples/demo.py", "MLS401", "example", "high"),
        ("src/pkg/load.py", "MLS102", "library", "high"),
        ("src/pkg/load.py", "MLS401", "library", "high"),
        ("tests/test_load.py", "MLS401", "test", "high"),  # a live key matters anywhere
    ]
    assert data["summary"]["by_context"] == {"example": 2, "library": 2, "test": 1}
    text = run_cli("check", ".", cwd=tree).stdout
    assert "By context: 2 example, 2 library, 1 test." in text


def test_context_flag_and_key_select(tree):
    data = cli_json("--context", "test,vendored", ".", cwd=tree)
    assert found(data) == [
        ("src/pkg/_vendor/x/y.py", "MLS102", "vendored", "high"),
        ("src/pkg/_vendor/x/y.py", "MLS401", "vendored", "high"),
        ("tests/test_load.py", "MLS102", "test", "medium"),  # asked for: one level lower
        ("tests/test_load.py", "MLS401", "test", "high"),
    ]
    (tree / "pyproject.toml").write_text('[tool.ml-seclint]\ncontext = ["library"]\n'
                                         '[tool.ml-seclint.contexts]\nlibrary = ["examples"]\n')
    assert {f["path"] for f in cli_json(".", cwd=tree)["findings"]} == {"examples/demo.py", "src/pkg/load.py"}


def test_flake8_agrees(tree):
    proc = run_flake8("--select", "MLS", ".", cwd=tree)
    assert {path: {code for _, code in pairs} for path, pairs in flake8_pairs(proc.stdout).items()} == {
        "examples/demo.py": {"MLS102", "MLS401"}, "src/pkg/load.py": {"MLS102", "MLS401"},
        "tests/test_load.py": {"MLS401"}}


def test_sarif_carries_the_context(tree):
    sarif = json.loads(run_cli("check", "--format", "sarif", ".", cwd=tree).stdout)
    result = next(r for r in sarif["runs"][0]["results"] if "tests/" in json.dumps(r["locations"]))
    assert result["properties"]["context"] == "test" and "context:test" in result["properties"]["tags"]


@pytest.mark.parametrize("args, words", [
    (["--context", "tests"], "'tests', which is not a code context"),
])
def test_unknown_context_is_a_usage_error(tree, args, words):
    proc = run_cli("check", *args, ".", cwd=tree)
    assert proc.returncode == 2 and words in proc.stderr and "did you mean 'test'" in proc.stderr


def test_unknown_context_in_config(tree):
    (tree / "pyproject.toml").write_text('[tool.ml-seclint.contexts]\nlibary = ["src"]\n')
    proc = run_cli("check", ".", cwd=tree)
    assert proc.returncode == 2 and "'libary'" in proc.stderr and "did you mean 'library'" in proc.stderr
