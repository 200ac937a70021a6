"""The CLI's result cache: a second run reads it instead of parsing, and it is invalidated by the
file's content, the settings and the ml-seclint version; corrupt entries are ignored and
rewritten; parallel writers never leave half an entry; no entry holds a secret."""
from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest

import ml_seclint.engine.lint as lint
import ml_seclint.frontends.cache as cache_module
from ml_seclint.engine.config import Settings
from ml_seclint.engine.finding import Finding
from ml_seclint.engine.results import CheckResult
from ml_seclint.engine.suppress import Suppression
from ml_seclint.frontends.cache import Cache, CachedFix, prune

from helpers import run_cli

KEY = "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z" * 2 + "T3BlbkFJ" + "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp"
SOURCE = ("import torch\nimport pickle\n\nstate = torch.load(path)\n"
          "blob = pickle.loads(data)  # noqa: MLS101 trusted\n")


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project with its own pyproject.toml and the default cache location (no env override)."""
    monkeypatch.delenv("ML_SECLINT_CACHE_DIR", raising=False)
    (tmp_path / "pyproject.toml").write_text("[tool.ml-seclint]\n")
    (tmp_path / "train.py").write_text(SOURCE)
    (tmp_path / "clean.py").write_text("import os\nprint(os.getcwd())\n")
    return tmp_path


def check(project: Path, *args: str) -> dict:
    proc = run_cli("check", "--format", "json", "--show-suppressed", *args, cwd=project)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def entries(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.json"))


def stats(project: Path, monkeypatch, *args: str) -> str:
    with monkeypatch.context() as patch:
        patch.setenv("ML_SECLINT_STATS", "1")
        return run_cli("check", *args, cwd=project).stderr


def _no_parse(*args, **kwargs):
    raise AssertionError("the cache should have answered")


def test_second_run_reads_the_cache(project, monkeypatch):
    first = check(project)
    cache_dir = project / ".ml_seclint_cache"
    assert (cache_dir / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (cache_dir / "CACHEDIR.TAG").is_file()
    assert len(entries(cache_dir)) == 2
    monkeypatch.setattr(lint.cst, "parse_module", _no_parse)
    monkeypatch.setattr(lint.guard, "vet", _no_parse)
    second = check(project)
    assert second == first
    assert [f["code"] for f in second["findings"]] == ["MLS102"]
    assert "2 read from the cache" in stats(project, monkeypatch)


def test_related_places_from_the_cache(project, monkeypatch):
    (project / "app.py").write_text("from openai import OpenAI\nclient = OpenAI()\n\ndef ask(q):\n"
                                    "    code = client.responses.create(model='m', input=q).output_text\n"
                                    "    exec(code)\n")
    first = check(project, "app.py")
    monkeypatch.setattr(lint.cst, "parse_module", _no_parse)
    second = check(project, "app.py")
    assert second == first
    [finding] = second["findings"]
    assert [r["line"] for r in finding["related"]] == [5]  # the flow's source survives the cache


def test_text_output_and_fix_markers_from_the_cache(project):
    first = run_cli("check", "--show-suppressed", cwd=project)
    second = run_cli("check", "--show-suppressed", cwd=project)
    assert second.stdout == first.stdout and "(fix: unsafe)" in second.stdout
    assert "by # noqa: MLS101 on line 5: trusted" in second.stdout


def test_content_change_invalidates(project, monkeypatch):
    check(project)
    (project / "train.py").write_text(SOURCE + "again = pickle.load(f)\n")
    assert "1 parsed by libcst, 1 read from the cache" in stats(project, monkeypatch)
    data = check(project)
    assert [(f["line"], f["code"]) for f in data["findings"]] == [(4, "MLS102"), (6, "MLS101")]
    assert len(entries(project / ".ml_seclint_cache")) == 3  # the old entry stays until pruned


def test_settings_change_invalidates(project):
    assert [f["code"] for f in check(project)["findings"]] == ["MLS102"]
    assert check(project, "--ignore", "MLS102")["findings"] == []
    (project / "pyproject.toml").write_text('[tool.ml-seclint]\ntorch-min-version = "2.6"\n')
    assert check(project)["findings"] == []
    (project / "pyproject.toml").write_text("[tool.ml-seclint]\n")
    assert [f["code"] for f in check(project, "--disable-noqa")["findings"]] == ["MLS102", "MLS101"]
    (project / "pyproject.toml").write_text('[tool.ml-seclint]\nper-file-ignores = {"train.py" = ["MLS1"]}\n')
    assert check(project)["findings"] == []


def test_version_change_invalidates_and_prunes(project, monkeypatch):
    check(project)
    old = project / ".ml_seclint_cache" / cache_module.__version__
    assert old.is_dir()
    monkeypatch.setattr(cache_module, "__version__", "99.0")
    monkeypatch.setattr(lint.cst, "parse_module", _no_parse)  # a miss must parse: proves it missed
    data = check(project)
    assert [f["code"] for f in data["findings"]] == ["MLS000"]  # the patched parser, not the cache
    assert not old.exists()  # another version's entries are removed


def test_code_fingerprint_changes_with_the_version(monkeypatch):
    before = cache_module.code_fingerprint()
    monkeypatch.setattr(cache_module, "__version__", "99.0")
    assert cache_module.code_fingerprint() != before


def test_other_versions_are_pruned(tmp_path):
    (tmp_path / "0.0.1" / "ab").mkdir(parents=True)
    (tmp_path / "0.0.1" / "ab" / "x.json").write_text("{}")
    current = tmp_path / cache_module.__version__ / "cd"
    current.mkdir(parents=True)
    for i in range(10):
        path = current / f"{i}.json"
        path.write_text("{}")
        os.utime(path, (i, i))
    assert prune(tmp_path, limit=5) == 1 + 6
    assert not (tmp_path / "0.0.1").exists()
    assert sorted(p.name for p in current.iterdir()) == [f"{i}.json" for i in range(6, 10)]


@pytest.mark.parametrize("garbage", [b"", b"{", b"[]", b"null", b'{"format": 1}',
                                     b'{"format": 1, "lines": 1, "findings": [{"code": 3}], '
                                     b'"suppressed": []}',
                                     b'{"format": 1, "lines": 1, "findings": [7], "suppressed": []}',
                                     b"\xff\xfe\x00binary"])
def test_corrupt_entries_are_ignored_and_rewritten(project, garbage):
    first = check(project)
    for entry in entries(project / ".ml_seclint_cache"):
        entry.write_bytes(garbage)
    assert check(project) == first
    for entry in entries(project / ".ml_seclint_cache"):
        json.loads(entry.read_text())["format"]  # rewritten whole


def test_unwritable_cache_directory_does_not_stop_the_run(project):
    (project / "blocked").write_text("a file where the cache directory should be")
    data = check(project, "--cache-dir", str(project / "blocked" / "cache"))
    assert [f["code"] for f in data["findings"]] == ["MLS102"]


def test_no_cache_and_locations(project, tmp_path_factory, monkeypatch):
    check(project, "--no-cache")
    assert not (project / ".ml_seclint_cache").exists()
    monkeypatch.setenv("ML_SECLINT_NO_CACHE", "1")
    check(project)
    assert not (project / ".ml_seclint_cache").exists()
    monkeypatch.delenv("ML_SECLINT_NO_CACHE")
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    check(project, "--cache-dir", str(elsewhere))
    assert entries(elsewhere) and not (project / ".ml_seclint_cache").exists()
    monkeypatch.setenv("ML_SECLINT_CACHE_DIR", str(elsewhere / "env"))
    check(project)
    assert entries(elsewhere / "env")
    monkeypatch.delenv("ML_SECLINT_CACHE_DIR")
    (project / "pyproject.toml").write_text('[tool.ml-seclint]\ncache-dir = "build/lint-cache"\n')
    sub = project / "pkg"
    sub.mkdir()
    (sub / "m.py").write_text(SOURCE)
    check(project / "pkg")  # relative to the pyproject.toml, not the current directory
    assert entries(project / "build" / "lint-cache")


def test_cache_dir_config_must_be_a_string(project):
    (project / "pyproject.toml").write_text("[tool.ml-seclint]\ncache-dir = 3\n")
    proc = run_cli("check", cwd=project)
    assert proc.returncode == 2 and "'cache-dir' must be a string" in proc.stderr


def test_fix_and_diff_bypass_the_cache(project):
    check(project)
    for entry in entries(project / ".ml_seclint_cache"):  # a poisoned cache: fixing must not read it
        record = json.loads(entry.read_text())
        record["findings"] = []
        entry.write_text(json.dumps(record))
    proc = run_cli("check", "--diff", "--unsafe-fixes", cwd=project)
    assert "weights_only=True" in proc.stdout
    proc = run_cli("check", "--fix", "--unsafe-fixes", cwd=project)
    assert "weights_only=True" in (project / "train.py").read_text()


def test_no_secret_in_an_entry(project):
    (project / "keys.py").write_text(f'OPENAI_API_KEY = "{KEY}"\n'
                                     f'other = "{KEY}"  # noqa: MLS401 test key {KEY}\n')
    data = check(project)
    assert any(f["code"] == "MLS401" for f in data["findings"])
    for entry in entries(project / ".ml_seclint_cache"):
        text = entry.read_text()
        assert KEY not in text and KEY[8:40] not in text
    again = check(project)
    assert again == data


def test_errors_are_not_cached(project):
    (project / "broken.py").write_text("import torch\ntorch.load(\n")
    check(project)
    assert len(entries(project / ".ml_seclint_cache")) == 2  # train.py and clean.py only


def test_notebooks_are_cached(project, monkeypatch):
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
              "source": ["import torch\n"]},
             {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
              "source": ["torch.load(p)\n"]}]
    (project / "nb.ipynb").write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                                                  "cells": cells}))
    first = check(project)
    assert any(f.get("cell") == 2 for f in first["findings"])
    assert check(project) == first
    assert "3 read from the cache" in stats(project, monkeypatch)


# -- the entries themselves ----------------------------------------------------------------------

def _result(path: str) -> CheckResult:
    finding = Finding("MLS102", "message", 3, 4, 3, 9, "high", "high", path=path,
                      fix=CachedFix("add weights_only=True", "unsafe"))
    quiet = Finding("MLS101", "other", 5, 0, 5, 7, "high", "high", path=path,
                    suppression=Suppression("noqa", "# noqa: MLS101", "trusted", 5, 20))
    return CheckResult(path, [finding], [quiet], 6)


def test_round_trip(tmp_path):
    cache = Cache(str(tmp_path))
    settings = Settings()
    key = cache.key(b"data", "a.py", settings, False)
    assert cache.store(key, _result("a.py"), settings)
    loaded = cache.load(key, "b.py", settings)
    assert loaded.findings == _result("b.py").findings
    assert loaded.suppressed[0].suppression == _result("b.py").suppressed[0].suppression
    assert loaded.lines == 6 and loaded.stage == "cache"
    assert cache.key(b"data2", "a.py", settings, False) != key
    assert cache.key(b"data", "a.py", settings, True) != key
    assert cache.key(b"data", "a.ipynb", settings, False) != key


def _writer(directory: str, rounds: int) -> int:
    cache = Cache(directory)
    settings = Settings()
    bad = 0
    for i in range(rounds):
        key = cache.key(str(i % 5).encode(), "a.py", settings, False)
        cache.store(key, _result("a.py"), settings)
        loaded = cache.load(key, "a.py", settings)
        if loaded is None or loaded.findings != _result("a.py").findings:
            bad += 1
    return bad


def test_concurrent_writers(tmp_path):
    """Processes writing and reading the same entries at once: every read is a whole entry."""
    fork = hasattr(os, "fork")
    context = multiprocessing.get_context("fork") if fork else multiprocessing.get_context()
    with context.Pool(4) as pool:
        bad = pool.starmap(_writer, [(str(tmp_path), 150)] * 4)
    assert bad == [0, 0, 0, 0]
    assert not [p for p in tmp_path.rglob(".tmp-*")]  # no temporary file left behind


def test_parallel_run_writes_every_entry(project):
    for i in range(20):
        (project / f"m{i}.py").write_text(SOURCE.replace("path", f"path{i}"))
    first = check(project, "--jobs", "2")
    assert len(entries(project / ".ml_seclint_cache")) == 22
    assert check(project, "--jobs", "2") == first


def test_same_bytes_in_another_code_context(project):
    """Identical files in src/ and tests/ are checked differently (tests are off by default for
    the loader rules), so the code context is part of the key."""
    for directory in ("src", "tests"):
        (project / directory).mkdir()
        (project / directory / "loader.py").write_text(SOURCE)
    first = check(project)
    second = check(project)
    assert second == first
    paths = {f["path"] for f in first["findings"]}
    assert "src/loader.py" in paths and "tests/loader.py" not in paths
