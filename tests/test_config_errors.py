"""A configuration the CLI cannot use is exit 2 with a message that names the file, never a
traceback (exit 1 means findings); odd dependency tables of the project are not ours to reject
(issue 9)."""
from __future__ import annotations

import json
import os

import pytest

from helpers import run_cli

SOURCE = "import torch\ntorch.load(p)\n"

BAD = {
    "not-utf8": (b'[tool.ml-seclint]\nselect = ["MLS\xff"]\n', "not UTF-8"),
    "nested": (b"x = " + b"[" * 10_000 + b"]" * 10_000 + b"\n", "nested too deeply"),
    "malformed": (b"[tool.ml-seclint\nselect = 1\n", "invalid TOML"),
    "absurd-version": (b'[tool.ml-seclint]\ntorch-min-version = "' + b"9" * 5000 + b'"\n',
                       "must be a version"),
    "huge-file-size": (b"[tool.ml-seclint]\nmax-file-size = -1\n", "max-file-size"),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_configuration_is_exit_2_with_a_message(tmp_path, name):
    data, words = BAD[name]
    (tmp_path / "pyproject.toml").write_bytes(data)
    (tmp_path / "x.py").write_text(SOURCE)
    for args in ([str(tmp_path)], ["--config", str(tmp_path / "pyproject.toml"), str(tmp_path / "x.py")]):
        proc = run_cli("check", *args)
        assert proc.returncode == 2, (proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr and words in proc.stderr and "pyproject.toml" in proc.stderr
        assert len(proc.stderr) < 500


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_config_that_is_a_fifo_is_refused_not_waited_on(tmp_path):
    os.mkfifo(tmp_path / "pyproject.toml")
    (tmp_path / "x.py").write_text(SOURCE)
    proc = run_cli("check", "--config", str(tmp_path / "pyproject.toml"), str(tmp_path / "x.py"))
    assert proc.returncode == 2 and "not a regular file" in proc.stderr


@pytest.mark.parametrize("project", [
    'dependencies = ["torch>=' + "9" * 5000 + '"]',
    "dependencies = 5\noptional-dependencies = 5",
    'requires-python = ">=3.' + "9" * 5000 + '"',
    'dependencies = [1, ["torch>=2.6"]]',
])
def test_odd_project_tables_do_not_switch_rules_off(tmp_path, project):
    (tmp_path / "pyproject.toml").write_text(f"[project]\n{project}\n[tool.ml-seclint]\n")
    (tmp_path / "x.py").write_text(SOURCE)
    proc = run_cli("check", "--format", "json", str(tmp_path))
    assert proc.returncode == 1
    assert [f["code"] for f in json.loads(proc.stdout)["findings"]] == ["MLS102"]
