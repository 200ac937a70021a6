"""Suppression comments: `# noqa` stays flake8-compatible, `# ml-seclint: ignore[...] reason`
works in the CLI and the flake8 plugin, `require-reason` reports bare ones as MLS001 and
`--show-suppressed` lists what was silenced and why."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ml_seclint.engine.config import ConfigError, settings_from_table
from ml_seclint.engine.suppress import Suppressor, apply_suppressions

from helpers import CHECKS, REPO, cli_json, expected, flake8_pairs, run_cli, run_flake8

CHECK = next(CHECKS.glob("MLS001_*.py"))
REL = str(CHECK.relative_to(REPO))


def config(tmp_path: Path, body: str) -> str:
    path = tmp_path / "pyproject.toml"
    path.write_text(f"[tool.ml-seclint]\n{body}\n", encoding="utf-8")
    return str(path)


def cli(*args: str, cwd: Path = REPO) -> dict:
    proc = run_cli("check", "--format", "json", *args, cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def pairs(data: dict, key: str = "findings") -> set[tuple[int, str]]:
    return {(f["line"], f["code"]) for f in data[key]}


def test_check_file_through_the_cli_with_require_reason(tmp_path):
    data = cli(REL, "--config", config(tmp_path, "require-reason = true"))
    assert pairs(data) == expected(CHECK)
    mls001 = [f for f in data["findings"] if f["code"] == "MLS001"]
    line = CHECK.read_text(encoding="utf-8").splitlines()[mls001[0]["line"] - 1]
    assert mls001[0]["column"] == line.index("# noqa") + 1  # on the comment itself
    assert "`# noqa: MLS102` silences MLS102 without a reason" in mls001[0]["message"]
    assert mls001[0]["guideline"]["id"] == "2.4"


def test_without_require_reason_only_unsilenced_findings_remain(tmp_path):
    data = cli(REL, "--config", config(tmp_path, ""))
    assert pairs(data) == {p for p in expected(CHECK) if p[1] != "MLS001"}


def test_flake8_silences_the_same_findings_as_the_cli():
    proc = run_flake8("--isolated", "--select", "MLS", REL)
    assert proc.returncode in (0, 1), proc.stderr
    assert flake8_pairs(proc.stdout).get(REL, set()) == {p for p in expected(CHECK) if p[1] != "MLS001"}
    # --disable-noqa turns off both kinds of comment in both front ends
    proc = run_flake8("--isolated", "--select", "MLS", "--disable-noqa", REL)
    raw = flake8_pairs(proc.stdout)[REL]
    assert raw == pairs(cli(REL, "--disable-noqa"))
    assert len(raw) == 9 and {code for _, code in raw} == {"MLS102"}


def test_show_suppressed_lists_reasons(tmp_path):
    data = cli(REL, "--show-suppressed", "--config", config(tmp_path, ""))
    lines = CHECK.read_text(encoding="utf-8").splitlines()
    by_line = {f["line"]: f["suppression"] for f in data["suppressed"]}
    reasons = {lines[n - 1].split("=")[0].strip(): s["reason"] for n, s in by_line.items()}
    assert reasons == {
        "a": "", "b": "", "c": "", "d": "", "e": "",
        "f": "checkpoint written by our own trainer",
        "g": "sha256 checked in download",
        "h": "signed release bucket, see SEC-123",
    }
    assert {s["kind"] for s in by_line.values()} == {"noqa", "ignore"}
    assert data["summary"]["suppressed"] == 8
    text = run_cli("check", REL, "--show-suppressed", "--config", config(tmp_path, "")).stdout
    assert "by # ml-seclint: ignore[MLS102] on line" in text
    assert ": signed release bucket, see SEC-123" in text
    assert "by # noqa on line" in text and "(no reason given)" in text


def test_require_reason_is_a_validated_global_key_and_follows_selection(tmp_path):
    with pytest.raises(ConfigError, match="require-reason"):
        settings_from_table({"require-reason": "yes"}, "pyproject.toml")
    assert settings_from_table({"require-reason": True}, "x").extra["require-reason"] is True
    data = cli(REL, "--config", config(tmp_path, 'require-reason = true\nignore = ["MLS001"]'))
    assert "MLS001" not in {f["code"] for f in data["findings"]}


def lint(source: str, require_reason: bool = True):
    from ml_seclint.engine.config import Settings
    from ml_seclint.engine.lint import lint_source

    findings = lint_source(source, "m.py", Settings()).findings
    return apply_suppressions(findings, source, path="m.py", require_reason=require_reason)


def test_noqa_in_a_multiline_string_covers_the_call_like_flake8(tmp_path):
    source = 'import torch\nx = torch.load("""a\nb""")  # noqa: MLS102 fixture only\n'
    kept, dropped = lint(source)
    assert kept == [] and dropped[0].suppression.line == 3 and dropped[0].suppression.reason == "fixture only"
    (tmp_path / "m.py").write_text(source, encoding="utf-8")
    assert run_flake8("--isolated", "--select", "MLS", "m.py", cwd=tmp_path).stdout == ""


def test_file_level_noqa_with_codes_silences_only_those_codes(tmp_path):
    """`# flake8: noqa: E501` is a style exemption: flake8 7 skips the whole file for it (with a
    warning); the CLI, like Ruff, silences only the listed codes, so MLS findings stay."""
    kept, dropped = lint("# flake8: noqa: E501,W291\nimport torch\nx = torch.load(p, weights_only=False)\n")
    assert [f.code for f in kept] == ["MLS102"] and dropped == []
    kept, dropped = lint("# flake8: noqa: MLS1 -- converted checkpoints only\nimport torch\n"
                         "x = torch.load(p, weights_only=False)\n")
    assert kept == [] and dropped[0].suppression.directive == "# flake8: noqa: MLS1"
    assert dropped[0].suppression.reason == "converted checkpoints only"


def test_file_level_noqa_without_reason_is_reported_once():
    source = "# flake8: noqa\nimport torch\nx = torch.load(p)\ny = torch.load(q)\n"
    kept, dropped = lint(source)
    assert len(dropped) == 2 and [(f.code, f.line) for f in kept] == [("MLS001", 1)]
    kept, _ = lint("# flake8: noqa -- generated by protoc\nimport torch\nx = torch.load(p)\n")
    assert kept == []


def test_ignore_only_counts_in_comments_and_for_listed_codes():
    kept, _ = lint('import torch\nx = torch.load("# ml-seclint: ignore")\n')
    assert [f.code for f in kept] == ["MLS102"]  # inside a string, not a comment
    kept, _ = lint("import torch\nx = torch.load(p)  # ml-seclint: ignore[MLS103, MLS2] other rules\n")
    assert [f.code for f in kept] == ["MLS102"]
    kept, dropped = lint("import torch\nx = torch.load(p)  # ml-seclint: ignore[] nothing listed\n")
    assert [f.code for f in kept] == ["MLS102"] and dropped == []


def test_source_that_does_not_tokenize_falls_back_to_the_physical_line():
    suppressor = Suppressor("x = (\ny = torch.load(p)  # ml-seclint: ignore[MLS102] why\n")
    found = suppressor.find("MLS102", 2)
    assert found is not None and (found.kind, found.reason, found.line) == ("ignore", "why", 2)
    assert suppressor.find("MLS102", 1) is None


def test_noqa_lines_split_as_flake8_splits_them(tmp_path):
    """Form feeds, vertical tabs, U+2028 and friends are no line breaks to flake8 (nor Python):
    the CLI must not split at them (str.splitlines does) when it looks for `# noqa` (issue 9)."""
    lines = [
        "import torch",
        "\x0c",  # a page break on its own line
        "torch.load(a)  # noqa: MLS102",
        "torch.load(b)  # note\u2028# noqa: MLS102",
        'x = "p\x0bq"; torch.load(c)  # noqa',
        "torch.load(d)  # \x1c\x1d\x1e\x85 # noqa",
        "torch.load(e)  # \x0c",
        "torch.load(f)",
        "y = 1  # noqa\u2029",
        "torch.load(g)",
    ]
    (tmp_path / "odd.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    flake8 = run_flake8("--isolated", "--select", "MLS", "odd.py", cwd=tmp_path)
    assert "Traceback" not in flake8.stderr
    found = flake8_pairs(flake8.stdout)["odd.py"]
    assert found == pairs(cli("odd.py", cwd=tmp_path))
    assert found == {(7, "MLS102"), (8, "MLS102"), (10, "MLS102")}


NOSEC_SOURCE = """import pickle
import torch
import yaml

a = torch.load(p)  # nosec B614
b = torch.load(p)  # nosec B506 - a yaml id does not cover torch.load
c = pickle.load(f)  # nosec
d = yaml.load(s)  # nosec: B506, B301 reviewed: our own config
e = torch.load(p)  # nosec blacklist
"""


def test_bandit_nosec_is_honoured_only_when_asked(tmp_path):
    (tmp_path / "m.py").write_text(NOSEC_SOURCE)
    assert {f["line"] for f in cli_json("m.py", cwd=tmp_path)["findings"]} == {5, 6, 7, 8, 9}
    (tmp_path / "pyproject.toml").write_text("[tool.ml-seclint]\nhonour-nosec = true\n")
    data = cli_json("m.py", "--show-suppressed", cwd=tmp_path)
    assert {f["line"] for f in data["findings"]} == {6}
    proc = run_cli("check", "--show-suppressed", "m.py", cwd=tmp_path)
    assert "by # nosec: B506, B301 on line 8: reviewed: our own config" in proc.stdout
    flake8 = run_flake8("--select", "MLS", "m.py", cwd=tmp_path)
    assert {line for line, _ in flake8_pairs(flake8.stdout)["m.py"]} == {6}
