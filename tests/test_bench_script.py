"""bench/run.py's pure helpers on fake numbers: no network, no corpus, no timing."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

RUN_PY = Path(__file__).resolve().parent.parent / "bench" / "run.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_run", RUN_PY)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module  # dataclasses look their module up by name
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop("bench_run", None)


def _row(label, wall, cpu, findings, processes="1", rss=80.0, stages=None):
    row = {"label": label, "processes": processes, "wall_s": wall, "wall_all_s": [wall],
           "cpu_s": cpu, "files_per_s": 1000 / wall, "lines_per_s": 500000 / wall,
           "max_rss_mb": rss, "tree_rss_mb": 150.0, "exit_code": 1, "findings": findings}
    if stages:
        row["stages"] = stages
    return row


def fake_tools(mls_wall=10.0, bandit_wall=50.0):
    stages = {"files": 1000, "text": 600, "names": 350, "libcst": 50, "cache": 0}
    return {
        "ml-seclint": _row("ml-seclint check --format json (default --jobs, empty cache)", mls_wall, 18.0,
                           123, "2", stages=stages),
        "ml-seclint-cached": _row("the same again", 0.5, 0.4, 123, "2",
                                  stages={"files": 1000, "text": 0, "names": 0, "libcst": 0, "cache": 1000}),
        "ml-seclint-j1": _row("ml-seclint check --format json --jobs 1 --no-cache", 17.0, 17.0, 123,
                              rss=100.0),
        "bandit": _row("bandit -r -q -f json", bandit_wall, 49.0, 4567),
        "flake8-with-plugin": _row("flake8 --select=E,F,W,C90,MLS", 66.0, 122.0, 20000, "2"),
        "flake8-without-plugin": _row("flake8 --select=E,F,W,C90", 60.0, 110.0, 19877, "2"),
    }


def fake_results(bench, mls_wall=10.0, bandit_wall=50.0):
    tools = fake_tools(mls_wall, bandit_wall)
    return {
        "date": "2026-01-01 00:00 UTC", "repeat": 3,
        "machine": {"cpus": 2, "cpu_model": "Test CPU", "memory_gib": 24.0, "python": "3.11.7"},
        "load_average_1min": {"min": 0.1, "max": 2.5},
        "versions": {"ml-seclint": "ml-seclint 0.1.0", "bandit": "bandit 1.9.4"},
        "trees": {"diffusers": {
            "corpus": {"packages": ["pkg-1.0", "other-2.0"], "files": 1000, "lines": 500000, "bytes": 1},
            "tools": tools, "ratios": bench.ratios(tools, "diffusers")}},
    }


def test_ratios_compare_the_documented_pairs(bench):
    ratios = fake_results(bench)["trees"]["diffusers"]["ratios"]
    assert ratios["ml-seclint/bandit"]["wall"] == 0.2
    assert ratios["ml-seclint/bandit"]["target"] == 0.35  # diffusers' own target
    assert bench.ratios(fake_tools(), "fairseq")["ml-seclint/bandit"]["target"] == 0.25
    assert ratios["ml-seclint-j1/bandit"]["cpu"] == round(17 / 49, 2)
    assert ratios["ml-seclint-j1/bandit"]["measure"] == "cpu"
    assert ratios["flake8+MLS/flake8"]["wall"] == 1.1
    assert ratios["flake8+MLS/flake8"]["cpu"] == round(122 / 110, 2)
    assert ratios["cached/first"]["wall"] == 0.05
    assert ratios["memory"]["memory"] == 1.0


def test_a_skipped_tool_gives_no_ratio(bench):
    tools = fake_tools()
    del tools["bandit"]
    ratios = bench.ratios(tools)
    assert ratios["ml-seclint/bandit"]["wall"] is None
    assert ratios["flake8+MLS/flake8"]["wall"] == 1.1


def test_table_has_one_row_per_tool_and_the_verdicts(bench):
    table = bench.render_table(fake_results(bench))
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert len(rows) == 6
    assert "| `bandit -r -q -f json` | 1 | 50.0 | 49.0 | 20 | 10,000 | 80 / 150 | - | 4,567 |" in table
    assert "| 1,000 > 400 > 50 | 123 |" in table and "| 1,000 from cache | 123 |" in table
    assert "**diffusers**: pkg-1.0, other-2.0: 1,000 files, 500,000 lines." in table
    assert ("| ml-seclint (default --jobs) vs bandit (one process) | 0.20 | 0.37 | 1.00 | "
            "wall <= 0.35 (met) |") in table
    assert "| 0.34 | 0.35 | 1.25 | cpu <= 0.6 (met) |" in table
    slow = bench.render_table(fake_results(bench, mls_wall=20.0))
    assert "| 0.40 |" in slow and "(**not met**)" in slow


def test_marker_replacement_keeps_the_rest_and_is_idempotent(bench):
    readme = "# Bench\n\nintro\n\n<!-- results -->\nold numbers\n<!-- /results -->\n\nmethod\n"
    block = bench.render_table(fake_results(bench))
    once = bench.replace_between_markers(readme, block)
    assert once.startswith("# Bench\n\nintro\n\n<!-- results -->\n")
    assert once.endswith("<!-- /results -->\n\nmethod\n")
    assert "old numbers" not in once and block in once
    assert bench.replace_between_markers(once, block) == once
    other = bench.replace_between_markers(once, "new\n")
    assert "<!-- results -->\nnew\n<!-- /results -->" in other


def test_missing_markers_are_an_error(bench):
    with pytest.raises(ValueError):
        bench.replace_between_markers("# no markers\n", "x")
    with pytest.raises(ValueError):
        bench.replace_between_markers("<!-- results -->\nonly the start\n", "x")


def test_the_committed_readme_has_the_markers(bench):
    text = bench.README.read_text()
    assert text.count(bench.START_MARKER) == 1 and text.count(bench.END_MARKER) == 1


def test_flake8_output_is_counted_by_family(bench, tmp_path):
    out = tmp_path / "flake8.out"
    out.write_text("a.py:1:1: E501 line too long\n"
                   "a.py:2:5: MLS102 torch.load() without weights_only=True\n"
                   "dir/b c.py:10:0: F401 'os' imported but unused\n"
                   "garbage line\n")
    assert bench._count_flake8(out) == {"findings": 3, "by_code": {"E": 1, "F": 1, "MLS": 1}}


def test_corpus_stats_count_lines_like_wc_plus_an_unterminated_last_line(bench, tmp_path):
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "a.py").write_text("x = 1\ny = 2\n")
    (tmp_path / "pkg" / "sub" / "b.py").write_text("z = 3")
    (tmp_path / "pkg" / "notes.txt").write_text("not python\n")
    assert bench.corpus_stats([tmp_path / "pkg"]) == {"files": 2, "lines": 3, "bytes": 17}
