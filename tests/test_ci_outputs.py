"""GitHub annotations, reviewdog rdjson, --output and --fail-on through the CLI."""
from __future__ import annotations

import json
from pathlib import Path

from ml_seclint.output import formats
from ml_seclint.output.report import Report
from ml_seclint.output.github import escape_data, escape_property
from ml_seclint.engine.finding import Finding

from helpers import run_cli

SOURCE = 'import torch\nlabel = "façade ✓"; state = torch.load(path)\nmodel = torch.load(\n    path)\n'


def write(tmp_path: Path, text: str = SOURCE) -> Path:
    (tmp_path / "sub").mkdir(exist_ok=True)
    path = tmp_path / "sub" / "m.py"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_format_is_registered():
    assert {"text", "json", "sarif", "github", "rdjson"} <= set(formats())


def test_github_annotations(tmp_path):
    write(tmp_path)
    proc = run_cli("check", "--format", "github", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    first, second = proc.stdout.splitlines()
    line = SOURCE.splitlines()[1]
    start = line.index("torch.load")
    assert first.startswith(f"::error file=sub/m.py,line=2,col={start + 1},endColumn={len(line)},"
                            f"title=MLS102 torch-load-unsafe (high)::torch.load() without")
    # a multi-line finding has endLine and no columns (the toolkit rejects them)
    assert second.startswith("::error file=sub/m.py,line=3,endLine=4,title=MLS102")


def test_github_escaping_follows_the_actions_toolkit():
    assert escape_data("100% sure\r\nnext: a,b") == "100%25 sure%0D%0Anext: a,b"
    assert escape_property("dir:x,y/100%\n") == "dir%3Ax%2Cy/100%25%0A"
    finding = Finding("MLS102", "msg with\nnewline, 50% and ::colons", 1, 0, 1, 5, "low", "high",
                      path="we,ird:name.py")
    out = formats()["github"](Report([finding], 1, root="."))
    assert out == ("::notice file=we%2Cird%3Aname.py,line=1,col=1,endColumn=5,"
                   "title=MLS102 torch-load-unsafe (low)::msg with%0Anewline, 50%25 and ::colons\n")


def test_rdjson_uses_utf8_byte_columns_with_exclusive_end(tmp_path):
    write(tmp_path)
    proc = run_cli("check", "--format", "rdjson", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["source"]["name"] == "ml-seclint"
    first, second = data["diagnostics"]
    line = SOURCE.splitlines()[1]
    start = line.index("torch.load")
    assert first["location"] == {"path": "sub/m.py", "range": {
        "start": {"line": 2, "column": len(line[:start].encode()) + 1},
        "end": {"line": 2, "column": len(line.encode()) + 1}}}
    assert len(line[:start].encode()) > start  # the non-ASCII text before it counts in bytes
    assert first["severity"] == "ERROR" and first["code"]["value"] == "MLS102"
    assert "url" not in first["code"]  # no docs-url configured: no made-up link
    assert second["location"]["range"] == {"start": {"line": 3, "column": 9},
                                           "end": {"line": 4, "column": 10}}


def test_output_file_and_fail_on(tmp_path):
    write(tmp_path, "import torch\nstate = torch.load(path)\nfull = torch.load(path, weights_only=False)\n")
    proc = run_cli("check", "--format", "sarif", "--output", "out/report.sarif", cwd=tmp_path)
    assert proc.returncode == 2 and "cannot write out/report.sarif" in proc.stderr
    (tmp_path / "out").mkdir()
    proc = run_cli("check", "--format", "sarif", "--output", "out/report.sarif", cwd=tmp_path)
    assert proc.returncode == 1 and proc.stdout == ""
    assert len(json.loads((tmp_path / "out" / "report.sarif").read_text())["runs"][0]["results"]) == 2
    # one high and one critical finding: every threshold fails
    for level in ("low", "medium", "high", "critical"):
        assert run_cli("check", "--fail-on", level, cwd=tmp_path).returncode == 1
    write(tmp_path, "import torch\nstate = torch.load(path)\n")  # only the high one left
    assert run_cli("check", "--fail-on", "critical", cwd=tmp_path).returncode == 0
    assert run_cli("check", "--fail-on", "high", cwd=tmp_path).returncode == 1
    assert run_cli("check", "--fail-on", "severe", cwd=tmp_path).returncode == 2
