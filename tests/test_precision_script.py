"""bench/precision/precision.py on a tiny fake corpus: no network, no download, no subprocess.

The fake package is checked by the real engine, in process (`ml_seclint.frontends.cli.main`), and the
findings are compared with a fake verdicts file that has a judged finding, a missing one
(unjudged) and one for a line that no longer has a finding (stale).
"""
from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import sys
from pathlib import Path

import pytest

from ml_seclint.frontends import cli

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "precision" / "precision.py"

FAKE_SOURCE = '''\
import pickle

import torch


def decode(payload):
    return pickle.loads(payload)


def load(path):
    return torch.load(path)
'''

FAKE_TEST = '''\
import yaml


def read_config(path):
    return yaml.load(open(path))
'''


@pytest.fixture(scope="module")
def precision():
    spec = importlib.util.spec_from_file_location("bench_precision", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_precision"] = module  # dataclasses look their module up by name
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop("bench_precision", None)


def run_in_process(root: Path) -> dict:
    """What run_ml_seclint returns, from the CLI called in this process."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = cli.main(["check", "--format", "json", "--exit-zero", "--jobs", "1", str(root)])
    assert status == 0
    return json.loads(out.getvalue())


@pytest.fixture()
def fake_package(tmp_path):
    root = tmp_path / "src" / "fakepkg-1.0"
    (root / "fakepkg").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "fakepkg" / "core.py").write_text(FAKE_SOURCE)
    (root / "fakepkg" / "config.py").write_text(FAKE_TEST)
    # its own (empty) configuration, so that nothing above tmp_path is read
    (root / "pyproject.toml").write_text('[project]\nname = "fakepkg"\n\n[tool.ml-seclint]\n')
    return root


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("package,version,path,line,code,verdict,reason\n" + "".join(r + "\n" for r in rows))
    return path


def test_normalise_a_real_run(precision, fake_package):
    findings = precision.normalise("fakepkg", "1.0", run_in_process(fake_package), fake_package)
    keys = [(f.path, f.line, f.code) for f in findings]
    assert keys == [
        ("fakepkg/config.py", 5, "MLS107"),
        ("fakepkg/core.py", 7, "MLS101"),
        ("fakepkg/core.py", 11, "MLS102"),
    ]
    assert all(f.package == "fakepkg" and f.version == "1.0" for f in findings)
    assert [f.severity for f in findings][1] == "high"  # read from the JSON report


def test_compare_judged_unjudged_and_stale(precision, fake_package, tmp_path):
    findings = precision.normalise("fakepkg", "1.0", run_in_process(fake_package), fake_package)
    verdicts = precision.read_verdicts(write_csv(tmp_path / "verdicts.csv", [
        "fakepkg,1.0,fakepkg/core.py,7,MLS101,false,library: decodes a caller's payload",
        "fakepkg,1.0,fakepkg/core.py,11,MLS102,true,library: loads a caller-given checkpoint",
        "fakepkg,1.0,fakepkg/core.py,20,MLS101,true,library: a load a rule change removed",
        "otherpkg,2.0,x.py,1,MLS101,true,library: a package that was not checked",
    ]))
    comparison = precision.compare(findings, verdicts, ["fakepkg"])

    assert [(f.line, v.verdict) for f, v in comparison.judged] == [(7, "false"), (11, "true")]
    assert [(f.path, f.code) for f in comparison.unjudged] == [("fakepkg/config.py", "MLS107")]
    # the stale row is listed with its verdict; a package that was not checked is not stale
    assert [(v.line, v.verdict) for v in comparison.stale] == [(20, "true")]

    by_code = precision.tallies(comparison, "code")
    assert (by_code["MLS101"].false, by_code["MLS101"].strict) == (1, 0.0)
    assert by_code["MLS102"].strict == 1.0
    assert by_code["MLS107"].unjudged == 1 and by_code["MLS107"].strict is None
    total = by_code["total"]
    assert (total.true, total.false, total.debatable, total.unjudged) == (1, 1, 0, 1)
    assert total.strict == 0.5 and total.lenient == 0.5

    contexts = precision.tallies(comparison, "context")
    assert contexts["library"].judged == 2 and contexts["library"].unjudged == 1

    text = precision.render_text(comparison, findings)
    assert "Findings with no verdict yet: 1" in text
    assert "fakepkg/config.py:5 MLS107" in text
    assert "Verdicts that match no finding (removed by a rule change?): 1" in text
    assert "fakepkg/core.py:20 MLS101 [true]" in text
    assert "1 judged true: recall lost" in text


def test_strict_and_lenient_precision_with_debatable(precision):
    comparison = precision.Comparison(judged=[], unjudged=[], stale=[])
    for line, verdict in enumerate(["true", "false", "debatable", "debatable"], start=1):
        f = precision.Finding("p", "1", "tests/test_a.py", line, "MLS201")
        comparison.judged.append((f, precision.Verdict("p", "1", f.path, line, "MLS201", verdict, "test: x")))
    tally = precision.tallies(comparison)["MLS201"]
    assert tally.strict == 0.25 and tally.lenient == 0.75
    table = precision.precision_table(precision.tallies(comparison))
    assert "| MLS201 | 4 | 1 | 1 | 2 | 0 | 25% | 75% |" in table


def test_precision_per_severity_with_high_and_above(precision):
    comparison = precision.Comparison(judged=[], unjudged=[], stale=[])
    cases = [("critical", "true"), ("high", "true"), ("high", "debatable"), ("medium", "debatable")]
    for line, (severity, verdict) in enumerate(cases, start=1):
        f = precision.Finding("p", "1", "a.py", line, "MLS101", severity=severity)
        row = precision.Verdict("p", "1", f.path, line, "MLS101", verdict, "library: x")
        comparison.judged.append((f, row))
    table = precision.tallies(comparison, "severity")
    assert (table["high and above"].true, table["high and above"].debatable) == (2, 1)
    assert table["medium"].judged == 1 and table["total"].judged == 4
    rendered = precision.precision_table(table, "severity").splitlines()
    assert [row.split(" | ")[0] for row in rendered[2:]] == [
        "| critical", "| high", "| high and above", "| medium", "| **total**"]


def test_two_findings_on_one_line_take_one_row_each(precision):
    f = precision.Finding("p", "1", "a.py", 3, "MLS101")
    v = precision.Verdict("p", "1", "a.py", 3, "MLS101", "false", "test: round trip")
    comparison = precision.compare([f, f], [v], ["p"])
    assert len(comparison.judged) == 1 and len(comparison.unjudged) == 1 and not comparison.stale


def test_context_from_reason_then_path(precision):
    assert precision.context_of("pkg/convert.py", "script: conversion script") == "script"
    assert precision.context_of("tests/test_x.py") == "test"
    assert precision.context_of("keras/src/layers/layer_test.py") == "test"
    assert precision.context_of("examples/run.py") == "example"
    assert precision.context_of("pkg/_vendor/six.py") == "vendored"
    assert precision.context_of("benchmarks/bench.py") == "script"
    assert precision.context_of("pkg/core.py", "no context prefix here") == "library"


def test_read_verdicts_rejects_bad_rows(precision, tmp_path):
    with pytest.raises(ValueError, match="verdict 'maybe'"):
        precision.read_verdicts(write_csv(tmp_path / "a.csv", ["p,1,a.py,1,MLS101,maybe,test: x"]))
    with pytest.raises(ValueError, match="needs a reason"):
        precision.read_verdicts(write_csv(tmp_path / "b.csv", ["p,1,a.py,1,MLS101,true, "]))
    (tmp_path / "c.csv").write_text("package,path\n")
    with pytest.raises(ValueError, match="columns"):
        precision.read_verdicts(tmp_path / "c.csv")


def test_write_verdicts_round_trip(precision, tmp_path):
    rows = [precision.Verdict("p", "1", "b.py", 2, "MLS402", "false", 'test: "quoted", with comma'),
            precision.Verdict("p", "1", "a.py", 9, "MLS101", "true", "library: x")]
    path = tmp_path / "v.csv"
    precision.write_verdicts(path, rows)
    assert precision.read_verdicts(path) == sorted(rows, key=lambda v: (v.path, v.line))


def test_markdown_replaces_only_between_markers(precision, fake_package):
    findings = precision.normalise("fakepkg", "1.0", run_in_process(fake_package), fake_package)
    comparison = precision.compare(findings, [], ["fakepkg"])
    stats = {"fakepkg-1.0": {"name": "fakepkg", "version": "1.0", "filename": "fakepkg-1.0.tar.gz",
                             "files": 2, "findings": 3, "unchecked": 0}}
    block = precision.render_markdown(comparison, findings, stats, "ml-seclint 0.0")
    assert "| fakepkg | 1.0 | `fakepkg-1.0.tar.gz` | 2 | 3 | 0 |" in block
    assert "| fakepkg 1.0 | 1 | 1 | 1 | 3 |" in block  # MLS101, MLS102, MLS107 per package
    doc = f"# Title\n\nprose\n\n{precision.START_MARKER}\nold\n{precision.END_MARKER}\n\nmore prose\n"
    new = precision.replace_between_markers(doc, block)
    assert new.startswith("# Title\n\nprose\n\n") and new.endswith(f"{precision.END_MARKER}\n\nmore prose\n")
    assert "old" not in new and "Findings with no verdict: 3." in new
    with pytest.raises(ValueError):
        precision.replace_between_markers("no markers", block)


def test_unpack_strips_the_top_directory_and_keeps_only_code(precision, tmp_path, monkeypatch):
    import tarfile

    archive = tmp_path / "fakepkg-1.0.tar.gz"
    staging = tmp_path / "staging" / "fakepkg-1.0"
    (staging / "fakepkg").mkdir(parents=True)
    (staging / "fakepkg" / "core.py").write_text("x = 1\n")
    (staging / "README.md").write_text("readme\n")
    (staging / "pyproject.toml").write_text("[project]\n")
    (staging / "requirements").mkdir()
    (staging / "requirements" / "framework.txt").write_text("torch>=2.6\n")
    (staging / "docs").mkdir()
    (staging / "docs" / "notes.txt").write_text("notes\n")
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(staging, arcname="fakepkg-1.0")
    monkeypatch.setattr(precision, "SRC_DIR", tmp_path / "src")
    package = precision.Package("fakepkg", "1.0", archive.name, "0" * 64)
    root = precision.unpack(package, archive)
    kept = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert kept == [precision.UNPACKED, "fakepkg/core.py", "pyproject.toml", "requirements/framework.txt"]
    assert precision.count_files(root) == 1
    (root / "fakepkg" / "core.py").unlink()
    assert precision.unpack(package, archive) == root  # reused
    assert not (root / "fakepkg" / "core.py").exists()
    (root / precision.UNPACKED).write_text(package.filename + "\n")  # kept with an older keep list
    precision.unpack(package, archive)
    assert (root / "fakepkg" / "core.py").exists()


def test_download_uses_the_cache_and_checks_the_hash(precision, tmp_path, monkeypatch):
    import hashlib

    monkeypatch.setattr(precision, "ARCHIVES_DIR", tmp_path)
    data = b"fake archive"
    (tmp_path / "f-1.tar.gz").write_bytes(data)
    good = precision.Package("f", "1", "f-1.tar.gz", hashlib.sha256(data).hexdigest())

    def no_network(*args, **kwargs):
        raise AssertionError("the network was used")

    monkeypatch.setattr(precision.urllib.request, "urlopen", no_network)
    assert precision.download(good) == tmp_path / "f-1.tar.gz"
    bad = precision.Package("f", "1", "f-1.tar.gz", "0" * 64)
    with pytest.raises(AssertionError, match="network"):
        precision.download(bad)  # a cached file with the wrong hash is fetched again


def test_main_with_a_monkeypatched_run(precision, tmp_path, monkeypatch, capsys):
    package = precision.Package("fakepkg", "1.0", "fakepkg-1.0.tar.gz", "0" * 64)
    report = {"findings": [
        {"path": "fakepkg/core.py", "line": 7, "code": "MLS101",
         "message": "pickle.loads() [AI guideline 1.3]"},
        {"path": "fakepkg/bad.py", "line": 1, "code": "MLS000", "message": "file could not be checked: x"},
    ]}
    monkeypatch.setattr(precision, "PACKAGES", (package,))
    monkeypatch.setattr(precision, "SRC_DIR", tmp_path / "src")
    monkeypatch.setattr(precision, "download", lambda p: tmp_path / p.filename)
    monkeypatch.setattr(precision, "unpack", lambda p, a: tmp_path / "src" / p.key)
    monkeypatch.setattr(precision, "run_ml_seclint", lambda root, jobs=2: report)
    verdicts = write_csv(tmp_path / "verdicts.csv", ["fakepkg,1.0,fakepkg/core.py,9,MLS101,true,library: x"])
    unjudged_csv = tmp_path / "unjudged.csv"
    status = precision.main(["--verdicts", str(verdicts), "--check", "--unjudged-csv", str(unjudged_csv)])
    out = capsys.readouterr().out
    assert status == 1  # --check: an unjudged finding and a stale verdict
    assert "fakepkg 1.0 fakepkg/core.py:7 MLS101 pickle.loads()" in out
    assert "fakepkg 1.0 fakepkg/core.py:9 MLS101 [true] library: x" in out
    assert "MLS000, not counted above): 1" in out
    assert unjudged_csv.read_text().splitlines()[1].startswith("fakepkg,1.0,fakepkg/core.py,7,MLS101,,,")
