"""Baselines through the CLI: matching survives line shifts and edits elsewhere, counts
multiplicity, and the file is sorted, stable and free of source text."""
from __future__ import annotations

import json
from pathlib import Path

from ml_seclint.frontends.baseline import normalise

from helpers import run_cli

TRAIN = '''import pickle
import torch


def restore(path, blob):
    state = torch.load(path)
    model = pickle.loads(blob)
    other = torch.load("s3cr3t-bucket/ckpt.pt")
    return state, model, other
'''


def check(cwd: Path, *args: str) -> tuple[int, dict, str]:
    proc = run_cli("check", "--format", "json", *args, cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(TRAIN, encoding="utf-8")
    (tmp_path / "src" / "clean.py").write_text("print('hi')\n", encoding="utf-8")
    return tmp_path


def test_baseline_reports_exactly_the_duplicate_after_lines_are_inserted(tmp_path):
    root = project(tmp_path)
    code, data, err = check(root, "--write-baseline", "ml-seclint-baseline.json")
    assert code == 0 and data["findings"] == [] and data["summary"]["suppressed"] == 3
    assert "wrote 3 finding(s)" in err
    assert check(root, "--baseline", "ml-seclint-baseline.json")[0] == 0

    # lines inserted above the old findings, an old finding duplicated further down, the
    # duplicated one re-indented differently, and an edit elsewhere in the file
    lines = TRAIN.splitlines()
    lines[0:0] = ['"""Training helpers."""', "import os", ""]
    body = lines.index("    return state, model, other")
    lines[body:body] = ["    if os.environ.get('DEBUG'):", "        again = torch.load(path)"]
    lines[-1] = "    return state, model, other, again"
    (root / "src" / "train.py").write_text("\n".join(lines) + "\n", encoding="utf-8")

    code, data, err = check(root, "--baseline", "ml-seclint-baseline.json")
    assert code == 1
    assert [(f["path"], f["line"], f["code"]) for f in data["findings"]] == \
        [("src/train.py", lines.index("        again = torch.load(path)") + 1, "MLS102")]
    assert err == ""


def test_third_identical_finding_is_new_where_the_baseline_had_two(tmp_path):
    (tmp_path / "m.py").write_text("import torch\na = torch.load(p)\na = torch.load(p)\n", encoding="utf-8")
    check(tmp_path, "--write-baseline", "b.json")
    entries = json.loads((tmp_path / "b.json").read_text())["findings"]
    assert [e["count"] for e in entries] == [2]
    (tmp_path / "m.py").write_text("import torch\na = torch.load(p)\na = torch.load(p)\n"
                                   "a = torch.load(p)\n", encoding="utf-8")
    _, data, _ = check(tmp_path, "--baseline", "b.json")
    assert [f["line"] for f in data["findings"]] == [4]
    # and one fewer is fine, with a note that the baseline can shrink
    (tmp_path / "m.py").write_text("import torch\na = torch.load(p)\n", encoding="utf-8")
    code, data, err = check(tmp_path, "--baseline", "b.json")
    assert code == 0 and data["findings"] == []
    assert "1 finding(s) in b.json no longer occur" in err


def test_editing_the_flagged_code_makes_a_finding_new(tmp_path):
    (tmp_path / "m.py").write_text("import torch\na = torch.load(p)  # old comment\n", encoding="utf-8")
    check(tmp_path, "--write-baseline", "b.json")
    (tmp_path / "m.py").write_text("import torch\nif 1:\n    a  =  torch.load(p)  # new comment\n",
                                   encoding="utf-8")
    assert check(tmp_path, "--baseline", "b.json")[1]["findings"] == []
    (tmp_path / "m.py").write_text("import torch\na = torch.load(q)\n", encoding="utf-8")
    assert [f["line"] for f in check(tmp_path, "--baseline", "b.json")[1]["findings"]] == [2]


def test_baseline_file_is_sorted_stable_and_holds_no_source_text(tmp_path):
    root = project(tmp_path)
    check(root, "--write-baseline", "b.json")
    first = (root / "b.json").read_text(encoding="utf-8")
    check(root, "--write-baseline", "b.json", "-j", "3")
    assert (root / "b.json").read_text(encoding="utf-8") == first
    data = json.loads(first)
    assert data["tool"] == "ml-seclint" and data["version"] == 1
    keys = [(e["path"], e["code"], e["digest"]) for e in data["findings"]]
    assert keys == sorted(keys)
    assert [e["path"] for e in data["findings"]] == ["src/train.py"] * 3
    assert "s3cr3t-bucket" not in first and "torch.load(path)" not in first
    assert all(set(e) == {"path", "code", "digest", "count", "message"} for e in data["findings"])
    assert '"line"' not in first  # no line numbers: they would change with every edit above


def test_paths_are_relative_to_the_baseline_not_the_working_directory(tmp_path):
    root = project(tmp_path)
    check(root, "--write-baseline", "b.json")
    code, data, _ = check(root / "src", ".", "--baseline", "../b.json")
    assert code == 0 and data["findings"] == []
    # checking one directory does not call the other baselined files "fixed"
    (root / "lib").mkdir()
    code, _, err = check(root, "lib", "--baseline", "b.json")
    assert code == 0 and err == ""


def test_files_that_cannot_be_checked_are_never_baselined(tmp_path):
    (tmp_path / "bad.py").write_text("import torch\nx = torch.load(p\n", encoding="utf-8")
    code, data, _ = check(tmp_path, "--write-baseline", "b.json")
    assert code == 1 and [f["code"] for f in data["findings"]] == ["MLS000"]
    assert json.loads((tmp_path / "b.json").read_text())["findings"] == []


def test_bad_baseline_files_are_usage_errors(tmp_path):
    (tmp_path / "m.py").write_text("x = 1\n", encoding="utf-8")
    for content, message in (
            (None, "cannot read baseline"),
            ("{", "is not valid JSON"),
            ('{"findings": []}', "is not an ml-seclint baseline"),
            ('{"tool": "ml-seclint", "version": 99, "findings": []}', "format version 99"),
            ('{"tool": "ml-seclint", "version": 1, "findings": [{"path": "m.py"}]}', "entry 1 needs")):
        if content is not None:
            (tmp_path / "b.json").write_text(content, encoding="utf-8")
        proc = run_cli("check", "--baseline", "b.json", cwd=tmp_path)
        assert proc.returncode == 2 and message in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr


def test_show_suppressed_lists_baselined_findings(tmp_path):
    root = project(tmp_path)
    check(root, "--write-baseline", "b.json")
    _, data, _ = check(root, "--baseline", "b.json", "--show-suppressed")
    assert {s["suppression"]["kind"] for s in data["suppressed"]} == {"baseline"}
    text = run_cli("check", "--baseline", "b.json", cwd=root).stdout
    assert "3 accepted by the baseline (--show-suppressed lists them)." in text


def test_normalise_drops_whitespace_and_comments_but_not_hashes_in_strings():
    assert normalise("  x = f( a,b )  # note") == "x=f(a,b)"
    assert normalise("url = 'http://h/#frag'  # c") == "url='http://h/#frag'"
    assert normalise('s = "it\\"s # not a comment"') == 's="it\\"s#notacomment"'


def test_notebook_findings_are_keyed_by_the_line_in_their_cell(tmp_path):
    from ml_seclint.frontends.baseline import Baseline
    from ml_seclint.output.source import SourceFiles
    from ml_seclint.engine.finding import Finding

    def notebook(cells: list) -> None:
        cells = [{"cell_type": kind, "source": source, "metadata": {}} for kind, source in cells]
        (tmp_path / "nb.ipynb").write_text(json.dumps({"cells": cells, "nbformat": 4}), encoding="utf-8")

    def finding(cell: int, line: int) -> Finding:
        return Finding("MLS102", "torch.load() ...", line, 4, line, 17, "high", "high", path="nb.ipynb",
                       cell=cell)

    notebook([("markdown", ["# Title"]), ("code", ["import torch\n", "x = torch.load(p)\n"])])
    baseline = Baseline.build(str(tmp_path / "b.json"), [finding(2, 2)], SourceFiles(str(tmp_path)))
    # a new cell above, a line inserted in the cell, the call re-spaced: still the old finding
    notebook([("code", ["print(1)"]), ("markdown", ["# Title"]),
              ("code", ["import torch\n", "\n", "x  =  torch.load(p)  # cached\n"])])
    old = finding(3, 3)
    assert baseline.split([old], SourceFiles(str(tmp_path))) == ([], [old])
    notebook([("code", ["import torch\n", "x = torch.load(q)\n"])])
    changed = finding(1, 2)
    assert baseline.split([changed], SourceFiles(str(tmp_path))) == ([changed], [])
