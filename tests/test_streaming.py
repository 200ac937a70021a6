"""On a terminal the text format prints each file's findings as soon as the file is done; the
final output is the same as when piped."""
from __future__ import annotations

import contextlib
import io

import ml_seclint.frontends.runner as runner
from ml_seclint.frontends.cli import main

from helpers import run_cli


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_findings_stream_file_by_file(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("[tool.ml-seclint]\n")
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.py").write_text("import torch\ntorch.load(p)\n")
    monkeypatch.setenv("NO_COLOR", "1")
    piped = run_cli("check", "--format", "full", "--jobs", "1", "--no-cache", cwd=tmp_path).stdout

    out = Terminal()
    seen_before: dict[str, str] = {}
    check_file = runner.check_file

    def recording(task):
        seen_before[task.path] = out.getvalue()
        return check_file(task)

    monkeypatch.setattr(runner, "check_file", recording)
    monkeypatch.chdir(tmp_path)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(["check", "--jobs", "1", "--no-cache"]) == 1  # full style on a terminal
    assert seen_before["a.py"] == ""
    assert seen_before["b.py"].startswith("a.py:2:1: MLS102 ") and "b.py:" not in seen_before["b.py"]
    assert "Found 3 finding(s)" not in seen_before["c.py"]
    assert out.getvalue() == piped


def test_machine_formats_and_files_do_not_stream(tmp_path, monkeypatch):
    (tmp_path / "a.py").write_text("import torch\ntorch.load(p)\n")
    out = Terminal()
    monkeypatch.chdir(tmp_path)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        main(["check", "--format", "json", "--no-cache"])
    assert out.getvalue().startswith("{")
