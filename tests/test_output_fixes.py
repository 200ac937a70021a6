"""Fixes in the machine formats: SARIF `fixes` and rdjson `suggestions` computed in the worker
from the rules' libcst fixes, validated against the SARIF 2.1.0 schema and an rdjson schema
written from reviewdog's proto; applying the edits gives what `--fix` gives. Also the SARIF
category, docs-url, and notebook findings at their .ipynb lines in every format."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from ml_seclint.fix.edits import apply_edits, text_edits
from ml_seclint.fix.fixes import TextEdit

from helpers import CHECKS, run_cli

DATA = Path(__file__).parent / "data"
SARIF_SCHEMA = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
RDJSON_SCHEMA = json.loads((DATA / "rdjson.schema.json").read_text(encoding="utf-8"))
SOURCE = ('import torch\nimport yaml\n\nlabel = "façade"; cfg = yaml.load(open("c.yaml"))\n'
          'state = torch.load(\n    path,\n)\n')


def validate(schema: dict, document: dict, cls=jsonschema.Draft7Validator) -> None:
    errors = sorted(cls(schema).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def output(fmt: str, *args: str, cwd: Path) -> dict:
    proc = run_cli("check", "--output-format", fmt, *args, cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def test_text_edits_are_minimal_and_apply():
    old = "import yaml\nx = 1\ncfg = yaml.load(f)\n"
    new = "import os\nimport yaml\nx = 1\ncfg = yaml.safe_load(f)\n"
    edits = text_edits(old, new)
    assert edits == [TextEdit(1, 0, 1, 0, "import os\n"), TextEdit(3, 11, 3, 11, "safe_")]
    assert apply_edits(old, edits) == new


def test_sarif_fixes_apply_like_the_fixer(tmp_path):
    (tmp_path / "m.py").write_text(SOURCE, encoding="utf-8")
    sarif = output("sarif", cwd=tmp_path)
    validate(SARIF_SCHEMA, sarif, jsonschema.Draft4Validator)
    results = {r["ruleId"]: r for r in sarif["runs"][0]["results"]}
    (yaml_fix,) = results["MLS107"]["fixes"]
    assert yaml_fix["description"]["text"] == "Safe fix: use safe_load instead of load"
    assert yaml_fix["properties"] == {"safety": "safe"}
    change = yaml_fix["artifactChanges"][0]
    assert change["artifactLocation"]["uri"] == "m.py"
    column = SOURCE.splitlines()[3].index("load(") + 1  # code points (columnKind)
    region = {"startLine": 4, "startColumn": column, "endLine": 4, "endColumn": column}
    assert change["replacements"] == [{"deletedRegion": region, "insertedContent": {"text": "safe_"}}]
    (torch_fix,) = results["MLS102"]["fixes"]
    assert torch_fix["description"]["text"].startswith("Unsafe fix (may change behaviour; review it): add")
    # applying every fix's replacements gives the file `--fix --unsafe-fixes` writes
    regions = [(r["deletedRegion"], r["insertedContent"]["text"]) for result in results.values()
               for fix in result["fixes"] for change in fix["artifactChanges"]
               for r in change["replacements"]]
    edits = [TextEdit(d["startLine"], d["startColumn"] - 1, d["endLine"], d["endColumn"] - 1, text)
             for d, text in regions]
    applied = apply_edits(SOURCE, edits)
    assert run_cli("check", "--fix", "--unsafe-fixes", cwd=tmp_path).returncode == 0
    assert applied == (tmp_path / "m.py").read_text(encoding="utf-8")


def test_rdjson_suggestions_in_utf8_bytes_validate(tmp_path):
    (tmp_path / "m.py").write_text(SOURCE, encoding="utf-8")
    data = output("rdjson", cwd=tmp_path)
    validate(RDJSON_SCHEMA, data)
    by_code = {d["code"]["value"]: d for d in data["diagnostics"]}
    yaml_diag = by_code["MLS107"]
    line = SOURCE.splitlines()[3]
    column = len(line[:line.index("load(")].encode()) + 1  # "façade" is 7 bytes, 6 characters
    assert yaml_diag["suggestions"] == [{"range": {"start": {"line": 4, "column": column},
                                                   "end": {"line": 4, "column": column}}, "text": "safe_"}]
    assert yaml_diag["message"].endswith("Suggested fix: use safe_load instead of load.")
    assert "(unsafe, may change behaviour; review it)" in by_code["MLS102"]["message"]


def test_secret_fixes_never_carry_the_secret(tmp_path):
    source = (CHECKS / "MLS401_hardcoded_provider_key.py").read_text(encoding="utf-8")
    (tmp_path / "keys.py").write_text(source, encoding="utf-8")
    for fmt in ("sarif", "rdjson"):
        text = run_cli("check", "--output-format", fmt, cwd=tmp_path).stdout
        assert "sk-FakeKeyForMlSeclint" not in text
    sarif = output("sarif", cwd=tmp_path)
    texts = [r["insertedContent"]["text"] for result in sarif["runs"][0]["results"]
             for fix in result.get("fixes", []) for change in fix["artifactChanges"]
             for r in change["replacements"]]
    assert texts and any('os.environ["OPENAI_API_KEY"]' in t for t in texts)


@pytest.mark.parametrize("head", ["", '"""Module doc."""\nimport sys\n\n', "import os\n\n"])
def test_an_edit_with_an_import_matches_the_fixer(tmp_path, head):
    key = "sk-proj-" + "Zq8vR2mN5xT1wK7pL4sJ9dF3" * 4  # noqa: MLS401 - a made-up key for the test
    source = f"{head}import openai\n\n\ndef client():\n    return openai.OpenAI(api_key=\"{key}\")\n"
    (tmp_path / "m.py").write_text(source, encoding="utf-8")
    (result,) = output("sarif", cwd=tmp_path)["runs"][0]["results"]
    edits = [TextEdit(r["deletedRegion"]["startLine"], r["deletedRegion"]["startColumn"] - 1,
                      r["deletedRegion"]["endLine"], r["deletedRegion"]["endColumn"] - 1,
                      r["insertedContent"]["text"])
             for fix in result["fixes"] for change in fix["artifactChanges"] for r in change["replacements"]]
    assert len(edits) == (1 if head.startswith("import os") else 2)  # `import os` added when missing
    assert run_cli("check", "--fix", "--unsafe-fixes", cwd=tmp_path).returncode == 0
    assert apply_edits(source, edits) == (tmp_path / "m.py").read_text(encoding="utf-8")


def test_sarif_category_docs_url_and_no_placeholder(tmp_path):
    (tmp_path / "m.py").write_text(SOURCE, encoding="utf-8")
    sarif = output("sarif", cwd=tmp_path)
    run = sarif["runs"][0]
    assert run["automationDetails"] == {"id": "ml-seclint/"}
    assert "informationUri" not in run["tool"]["driver"]
    assert all("helpUri" not in rule for rule in run["tool"]["driver"]["rules"])
    assert run_cli("check", "--format", "sarif", "--sarif-category", "py3.12/backend",
                   cwd=tmp_path).stdout.count('"id": "py3.12/backend/"') == 1
    (tmp_path / "pyproject.toml").write_text(
        '[tool.ml-seclint]\nsarif-category = "ml"\ndocs-url = "https://sec.example.org/rules/{code}.html"\n')
    run = output("sarif", cwd=tmp_path)["runs"][0]
    assert run["automationDetails"]["id"] == "ml/"
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["MLS102"]["helpUri"] == "https://sec.example.org/rules/MLS102.html"
    rd = output("rdjson", cwd=tmp_path)
    assert rd["diagnostics"][0]["code"]["url"].startswith("https://sec.example.org/rules/MLS")


def _notebook(tmp_path: Path) -> tuple[Path, list[str]]:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# Loading ✓\n", "text"]},
             {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
              "source": ["import torch\n", "\n", "état = \"é\"; m = torch.load(p)\n"]}]
    text = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
                      indent=1, ensure_ascii=False) + "\n"
    path = tmp_path / "nb.ipynb"
    path.write_text(text, encoding="utf-8")
    return path, text.splitlines()


def test_notebook_findings_point_at_the_ipynb_line_in_every_format(tmp_path):
    _, lines = _notebook(tmp_path)
    number = next(i for i, line in enumerate(lines, 1) if "torch.load" in line)
    column = lines[number - 1].index("torch.load")  # 0-based, code points
    sarif = output("sarif", cwd=tmp_path)
    validate(SARIF_SCHEMA, sarif, jsonschema.Draft4Validator)
    (result,) = sarif["runs"][0]["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (number, column + 1)
    assert region["endColumn"] == column + 1 + len("torch.load(p)")
    assert result["message"]["text"].startswith("cell 2: ") and result["properties"]["cell"] == 2
    (diag,) = output("rdjson", cwd=tmp_path)["diagnostics"]
    assert diag["location"]["range"]["start"] == {
        "line": number, "column": len(lines[number - 1][:column].encode()) + 1}
    github = run_cli("check", "--format", "github", cwd=tmp_path).stdout
    assert f"file=nb.ipynb,line={number},col={column + 1}," in github
    # the text formats keep the cell position
    assert run_cli("check", cwd=tmp_path).stdout.startswith("nb.ipynb:cell 2:3:17: MLS102")


def test_notebook_source_not_found_falls_back_to_a_cell_property(tmp_path):
    from ml_seclint.engine.finding import Finding
    from ml_seclint.output.report import Report
    from ml_seclint.output.sarif import render

    path, _ = _notebook(tmp_path)
    finding = Finding("MLS102", "m", 9, 0, 9, 4, "high", "high", path=str(path), cell=2)  # no line 9
    region = json.loads(render(Report([finding], 1, root=str(tmp_path))))["runs"][0]["results"][0][
        "locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 1, "properties": {"cell": 2, "cellLine": 9, "cellColumn": 1}}


def test_check_files_rdjson_validates():
    """The check files of the rules with fixes, safe and unsafe (SARIF of all of checks/:
    tests/test_sarif.py validates it and counts its fixes)."""
    files = ["checks/MLS102_torch_load_unsafe.py", "checks/MLS107_yaml_unsafe_load.py"]
    data = json.loads(run_cli("check", "--output-format", "rdjson", *files).stdout)
    validate(RDJSON_SCHEMA, data)
    suggested = [d for d in data["diagnostics"] if "suggestions" in d]
    assert len(suggested) >= 10 and {d["code"]["value"] for d in suggested} == {"MLS102", "MLS107"}
    assert any("(unsafe" in d["message"] for d in suggested)
    assert any("Suggested fix: use" in d["message"] for d in suggested)
