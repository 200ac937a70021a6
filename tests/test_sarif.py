"""SARIF: valid against the OASIS SARIF 2.1.0 schema, with everything GitHub code scanning reads,
and line fingerprints computed exactly as github/codeql-action's upload step computes them."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from ml_seclint.output.report import Report
from ml_seclint.output.sarif import line_hashes, render
from ml_seclint.engine.registry import RULES
from ml_seclint.engine.finding import SECURITY_SEVERITY, Finding

from helpers import CHECKS, REPO, run_cli

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def validate(document: dict) -> None:
    validator = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def sarif(*args: str, cwd: Path = REPO) -> dict:
    proc = run_cli("check", "--format", "sarif", *args, cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


# The published test vectors of github/codeql-action, src/fingerprints.test.ts (test "hash"),
# at commit a7d3945ab4c0fd136ba0970df5a1b7ca4dadb07a: input text -> expected hash of every line.
FINGERPRINT_VECTORS = [
    ("", ["c129715d7a2bc9a3:1"]),
    (" a\nb\n  \t\tc\n d", [
        "271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"]),
    (" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End", [
        "8b7cf3e952e7aeb2:1", "b1ae1287ec4718d9:1", "bff680108adb0fcc:1", "c6805c5e1288b612:1",
        "b86d3392aea1be30:1", "e6ceba753e1a442:1"]),
    *((text, ["e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1", "e20e36e16fcb0cc8:1",
              "b3edc88f2938467e:1", "c8e28b0b4002a3a0:1", "c129715d7a2bc9a3:1"])
      for text in (" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n",
                   " hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r",
                   " hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n",
                   " hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n")),
    ("Lorem ipsum dolor sit amet.\n" * 10, [
        "a7f2ff13bc495cf2:1", "a7f2ff13bc495cf2:2", "a7f2ff13bc495cf2:3", "a7f2ff13bc495cf2:4",
        "a7f2ff13bc495cf2:5", "a7f2ff13bc495cf2:6", "a7f2ff1481e87703:1", "a9cf91f7bbf1862b:1",
        "55ec222b86bcae53:1", "cc97dc7b1d7d8f7b:1", "c129715d7a2bc9a3:1"]),
    ("x = 2\nx = 1\nprint(x)\nx = 3\nprint(x)\nx = 4\nprint(x)\n", [
        "e54938cc54b302f1:1", "bb609acbe9138d60:1", "1131fd5871777f34:1", "5c482a0f8b35ea28:1",
        "54517377da7028d2:1", "2c644846cb18d53e:1", "f1b89f20de0d133:1", "c129715d7a2bc9a3:1"]),
]


@pytest.mark.parametrize("text, expected", FINGERPRINT_VECTORS)
def test_fingerprints_match_codeql_action_vectors(text, expected):
    assert line_hashes(text) == expected
    # hashing can stop after the last line a finding needs
    assert all(line_hashes(text, n) == expected[:n] for n in range(1, len(expected) + 1))


@pytest.fixture(scope="module")
def checks_sarif() -> dict:
    return sarif(str(CHECKS.relative_to(REPO)))


def test_checks_sarif_validates_against_the_schema(checks_sarif):
    validate(checks_sarif)
    assert checks_sarif["version"] == "2.1.0"
    run = checks_sarif["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["results"], "the checks/ files have findings"


def test_checks_sarif_carries_fixes(checks_sarif):
    with_fixes = [r for r in checks_sarif["runs"][0]["results"] if "fixes" in r]
    assert len(with_fixes) >= 20
    assert {f["properties"]["safety"] for r in with_fixes for f in r["fixes"]} == {"safe", "unsafe"}


def test_every_rule_is_described_for_code_scanning(checks_sarif):
    rules = {r["id"]: r for r in checks_sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert set(RULES) | {"MLS000"} == set(rules)
    for code, rule in RULES.items():
        descriptor = rules[code]
        assert descriptor["name"] == rule.name
        for key in ("shortDescription", "fullDescription"):
            assert 0 < len(descriptor[key]["text"]) <= 1024
        assert descriptor["help"]["text"] and descriptor["help"]["markdown"]
        assert "helpUri" not in descriptor  # no docs-url: the page itself is the help
        props = descriptor["properties"]
        assert "security" in props["tags"]
        assert f"guideline/{rule.guideline}" in props["tags"]
        assert all(f"external/cwe/cwe-{n}" in props["tags"] for n in rule.cwe)
        assert len(props["tags"]) <= 20
        assert props["precision"] in ("very-high", "high", "medium", "low")
        score = props["security-severity"]
        assert isinstance(score, str) and 0.1 <= float(score) <= 10.0
        assert score == SECURITY_SEVERITY[rule.severity]


def test_help_markdown_is_the_rule_page(checks_sarif):
    rules = {r["id"]: r for r in checks_sarif["runs"][0]["tool"]["driver"]["rules"]}
    page = (REPO / "docs" / "rules" / "MLS102.md").read_text(encoding="utf-8")
    markdown = rules["MLS102"]["help"]["markdown"]
    assert markdown.startswith(page.rstrip("\n"))
    # the standards, with their titles from ml_seclint.guidelines
    assert "- CWE-502: Deserialization of Untrusted Data" in markdown
    assert "- MITRE ATLAS AML.T0011.000: User Execution: Unsafe AI Artifacts" in markdown
    assert rules["MLS102"]["fullDescription"]["text"].startswith("Flags `torch.load(...)`")


def test_results_have_relative_locations_regions_and_fingerprints(checks_sarif):
    run = checks_sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    hashes: dict[str, list[str]] = {}  # uri -> its line hashes, computed once per file
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        uri = location["artifactLocation"]["uri"]
        assert uri.startswith("checks/") and not uri.startswith("/")
        region = location["region"]
        assert {"startLine", "startColumn", "endLine", "endColumn"} <= set(region)
        assert (region["endLine"], region["endColumn"]) > (region["startLine"], region["startColumn"])
        if uri not in hashes:
            hashes[uri] = line_hashes((REPO / uri).read_text(encoding="utf-8"))
        line_hash = hashes[uri][region["startLine"] - 1]
        assert result["partialFingerprints"]["primaryLocationLineHash"] == line_hash


def test_region_columns_are_one_based_with_exclusive_end(tmp_path):
    (tmp_path / "m.py").write_text('import torch\nx = "é"; y = torch.load(p)\n', encoding="utf-8")
    document = sarif("m.py", cwd=tmp_path)
    validate(document)
    region = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    line = 'x = "é"; y = torch.load(p)'
    start = line.index("torch.load")
    assert region == {"startLine": 2, "startColumn": start + 1, "endLine": 2, "endColumn": len(line) + 1}


def test_odd_paths_are_percent_encoded_uris(tmp_path):
    folder = tmp_path / "my models"
    folder.mkdir()
    (folder / "lädt.py").write_text("import torch\nstate = torch.load(p)\n", encoding="utf-8")
    document = sarif(".", cwd=tmp_path)
    validate(document)
    uri = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "my%20models/l%C3%A4dt.py"


def test_suppressed_findings_carry_their_justification(tmp_path):
    (tmp_path / "m.py").write_text(
        "import torch\n"
        "a = torch.load(p)  # ml-seclint: ignore[MLS102] our own trainer wrote it\n"
        "b = torch.load(p)  # noqa: MLS102\n", encoding="utf-8")
    assert sarif("m.py", cwd=tmp_path)["runs"][0]["results"] == []
    document = sarif("m.py", "--show-suppressed", cwd=tmp_path)
    validate(document)
    results = document["runs"][0]["results"]
    assert [r["suppressions"][0]["justification"] for r in results] == \
        ["our own trainer wrote it", "# noqa: MLS102 (no reason given)"]
    assert all(r["suppressions"][0]["kind"] == "inSource" for r in results)


def test_not_checked_files_and_notebook_cells_validate(tmp_path):
    (tmp_path / "bad.py").write_text("import torch\nstate = torch.load(p\ndef f(:\n", encoding="utf-8")
    document = sarif("bad.py", cwd=tmp_path)
    validate(document)
    [result] = document["runs"][0]["results"]
    assert result["ruleId"] == "MLS000"
    # notebook findings: the notebook's path, the cell in the message and in the properties
    (tmp_path / "nb.ipynb").write_text('{"cells": []}\n', encoding="utf-8")
    finding = Finding("MLS102", "torch.load() ... [AI guideline]", 3, 4, 3, 20, "high", "high",
                      path="nb.ipynb", cell=2)
    document = json.loads(render(Report([finding], 1, root=str(tmp_path))))
    validate(document)
    [result] = document["runs"][0]["results"]
    assert result["message"]["text"].startswith("cell 2: ")
    assert result["properties"]["cell"] == 2
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "nb.ipynb"
