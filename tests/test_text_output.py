"""What people see from `ml-seclint check`: concise and full text, colour, --quiet,
--statistics, display filters, excludes on the command line, standard input, and unknown code
prefixes as errors. All through the CLI (in-process)."""
from __future__ import annotations

import json
import re

import pytest

from ml_seclint.output.text import mask_secrets

from helpers import CHECKS, run_cli

SOURCE = ("import torch, yaml, pickle\n"
          "state = torch.load(path)\n"
          "full = torch.load(path, weights_only=False)\n"
          "cfg = yaml.load(open('c.yaml'))\n"
          "obj = pickle.loads(\n"
          "    blob)\n")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def project(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "m.py").write_text(SOURCE, encoding="utf-8")
    return tmp_path


def test_concise_lines_and_summary_in_severity_order(project):
    proc = run_cli("check", "--output-format", "concise", cwd=project)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0] == ("src/m.py:2:9: MLS102 [high] torch.load() without weights_only=True runs code "
                        "embedded in the checkpoint (torch < 2.6 defaults to full unpickling) (fix: unsafe)")
    assert lines[1].startswith("src/m.py:3:8: MLS102 [critical] torch.load(weights_only=False)")
    assert "[AI guideline" not in proc.stdout  # the short message only
    assert "Found 4 finding(s) (1 critical, 3 high) in 1 of 1 file(s)." in proc.stdout
    # not a terminal: `text` (the default) is concise; --format is the same option
    assert run_cli("check", cwd=project).stdout == proc.stdout
    assert run_cli("check", "--format", "concise", cwd=project).stdout == proc.stdout
    quiet = run_cli("check", "--quiet", cwd=project)
    assert quiet.returncode == 1 and quiet.stdout.splitlines() == lines[:4]


def test_full_shows_source_carets_guideline_and_fix(project):
    proc = run_cli("check", "--output-format", "full", "--select", "MLS102,MLS101", cwd=project)
    blocks = proc.stdout.split("\n\n")
    assert blocks[0].splitlines() == [
        "src/m.py:2:9: MLS102 [high] torch.load() without weights_only=True runs code embedded in the "
        "checkpoint (torch < 2.6 defaults to full unpickling) (fix: unsafe)",
        "  |",
        "2 | state = torch.load(path)",
        "  |         ^^^^^^^^^^^^^^^^",
        "  |",
        "   = guideline 1.3 Secure design: Design your system for security as well as functionality and "
        "performance; CWE-502",
        "   = fix (unsafe): add weights_only=True (ml-seclint check --fix --unsafe-fixes)",
    ]
    pickle_block = blocks[2].splitlines()  # a multi-line call: its lines, carets where it starts
    assert pickle_block[2:5] == ["5 | obj = pickle.loads(", "  |       ^^^^^^^^^^^^^", "6 |     blob)"]
    assert "   = fix: none automatic; `ml-seclint explain MLS101` says what to write" in pickle_block
    assert ANSI.search(proc.stdout) is None  # not a terminal, no FORCE_COLOR


def test_colour_follows_force_color_and_no_color(project, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    coloured = run_cli("check", "--output-format", "full", cwd=project).stdout
    assert "\x1b[1;31m[high]\x1b[0m" in coloured and "\x1b[1;35m[critical]\x1b[0m" in coloured
    plain = run_cli("check", "--output-format", "full", cwd=project).stdout
    assert ANSI.sub("", coloured) == ANSI.sub("", plain)
    monkeypatch.setenv("NO_COLOR", "1")  # NO_COLOR wins
    assert ANSI.search(run_cli("check", "--output-format", "full", cwd=project).stdout) is None
    monkeypatch.delenv("NO_COLOR")
    # never into a file
    run_cli("check", "--output", "out.txt", cwd=project)
    assert ANSI.search((project / "out.txt").read_text()) is None


def test_full_output_masks_secrets_on_shown_lines(tmp_path):
    path = CHECKS / "MLS401_hardcoded_provider_key.py"
    source = path.read_text(encoding="utf-8")
    (tmp_path / "keys.py").write_text(source, encoding="utf-8")
    proc = run_cli("check", "--output-format", "full", "keys.py", cwd=tmp_path)
    assert proc.returncode == 1 and "19 | openai.api_key = \"sk-*****" in proc.stdout
    keys = re.findall(r"sk-[A-Za-z0-9_-]{20,}", source)
    assert keys and not any(key in proc.stdout for key in keys)
    # a line shown for another finding masks credential-looking literals too
    line = 'torch.load(p); password = "Zx9vQ2mL7pR4tW8k"'
    masked = mask_secrets(line)
    assert len(masked) == len(line) and "Zx9vQ2mL7pR4tW8k" not in masked
    assert masked.startswith("torch.load(p)")


def test_statistics_text_and_json(project):
    proc = run_cli("check", "--statistics", cwd=project)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "COUNT  CODE    NAME               SEVERITY  FIXABLE",
        "    2  MLS102  torch-load-unsafe  critical  2 unsafe",
        "    1  MLS101  pickle-load        high      -",
        "    1  MLS107  yaml-unsafe-load   high      1 safe",
        "4 finding(s) in total.",
    ]
    rows = json.loads(run_cli("check", "--statistics", "--output-format", "json", cwd=project).stdout)
    assert rows[0] == {"code": "MLS102", "name": "torch-load-unsafe", "severity": "critical", "count": 2,
                       "fixable": {"safe": 0, "unsafe": 2}, "contexts": {"library": 2}}
    assert run_cli("check", "--statistics", "--output-format", "sarif", cwd=project).returncode == 2


def test_statistics_has_a_context_column_when_not_all_is_library_code():
    from ml_seclint.engine.finding import Finding
    from ml_seclint.output.statistics import render_text, statistics

    findings = [Finding("MLS102", "m", 1, 0, 1, 1, "high", "high", path="a.py") for _ in range(3)]
    assert "CONTEXTS" not in render_text(statistics(findings))  # all library code
    for finding, context in zip(findings, ("library", "test", "test")):
        finding.context = context
    assert statistics(findings)[0]["contexts"] == {"library": 1, "test": 2}
    assert render_text(statistics(findings)).splitlines()[1].endswith("library 1, test 2")


def test_severity_and_confidence_filters_hide_and_do_not_fail(project):
    proc = run_cli("check", "--severity", "critical", cwd=project)
    assert proc.returncode == 1 and proc.stdout.count("MLS102") == 1
    assert "3 finding(s) below the --severity/--confidence filter not shown." in proc.stdout
    (project / "src" / "m.py").write_text("import pickle\npickle.loads(b)\n")
    assert run_cli("check", "--severity", "critical", cwd=project).returncode == 0
    assert run_cli("check", "--confidence", "high", cwd=project).returncode == 1
    assert run_cli("check", "--severity", "severe", cwd=project).returncode == 2


def test_exclude_and_extend_exclude_on_the_command_line(project):
    (project / "gen").mkdir()
    (project / "gen" / "g.py").write_text(SOURCE)
    (project / "pyproject.toml").write_text('[tool.ml-seclint]\nexclude = ["src"]\n')
    paths = lambda *a: {f["path"] for f in json.loads(run_cli(  # noqa: E731
        "check", "--format", "json", *a, cwd=project).stdout)["findings"]}
    assert paths() == {"gen/g.py"}
    assert paths("--extend-exclude", "gen") == set()
    assert paths("--exclude", "gen") == {"src/m.py"}  # replaces the configured list


def test_stdin_with_a_filename_uses_its_configuration(project):
    (project / "pyproject.toml").write_text(
        '[tool.ml-seclint.per-file-ignores]\n"src/legacy/*" = ["MLS107"]\n')
    proc = run_cli("check", "-", "--stdin-filename", "src/legacy/t.py", cwd=project, stdin=SOURCE)
    assert proc.returncode == 1
    assert "src/legacy/t.py:2:9: MLS102" in proc.stdout and "MLS107" not in proc.stdout
    full = run_cli("check", "-", "--output-format", "full", cwd=project, stdin=SOURCE)
    assert full.stdout.startswith("-:2:9: MLS102") and "2 | state = torch.load(path)" in full.stdout
    assert run_cli("check", "-", "--fix", cwd=project, stdin=SOURCE).returncode == 2
    assert run_cli("check", "--stdin-filename", "x.py", cwd=project).returncode == 2


@pytest.mark.parametrize("args, words", [
    (("--select", "MLS9"), "'MLS9' matches no ml-seclint code; did you mean 'MLS"),
    (("--ignore", "MLS1O2"), "'MLS1O2' is not an ml-seclint code prefix"),
    (("--ignore", "MLS109,MLS188"), "'MLS188' matches no ml-seclint code; did you mean 'MLS1"),
])
def test_unknown_code_prefixes_are_errors(project, args, words):
    proc = run_cli("check", *args, cwd=project)
    assert proc.returncode == 2 and words in proc.stderr, proc.stderr


@pytest.mark.parametrize("table", ['select = ["MLS9"]',
                                   '[tool.ml-seclint.per-file-ignores]\n"t/*" = ["MLS77"]'])
def test_unknown_code_prefixes_in_configuration(project, table):
    (project / "pyproject.toml").write_text(f"[tool.ml-seclint]\n{table}\n")
    proc = run_cli("check", cwd=project)
    assert proc.returncode == 2 and "matches no ml-seclint code" in proc.stderr
