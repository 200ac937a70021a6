"""The CLI: exit codes, selection, noqa like flake8, configuration, JSON shape, rules/explain."""
from __future__ import annotations

import json

import pytest

from ml_seclint.frontends.runner import PARALLEL_MIN_FILES

from helpers import REPO, cli_json, flake8_pairs, run_cli, run_cli_process, run_flake8

NOQA_SOURCE = '''import torch
import pickle

a = torch.load(p)
b = torch.load(p)  # noqa
c = torch.load(p)  # noqa: MLS102
d = torch.load(p)  # noqa: MLS1
e = torch.load(p)  # NOQA:MLS101,MLS102
f = torch.load(p)  # noqa: E501
g = torch.load(p)  # noqa:mls102
h = torch.load(  # noqa: MLS102
    p)
i = torch.load(
    p)  # noqa: MLS102
j = pickle.loads("""
text # noqa
""")
k = pickle.loads(data)  # noqa: MLS
'''


def test_noqa_matches_flake8_exactly(tmp_path):
    (tmp_path / "n.py").write_text(NOQA_SOURCE)
    cli = {(f["line"], f["code"]) for f in cli_json("n.py", cwd=tmp_path)["findings"]}
    flake8 = flake8_pairs(run_flake8("--isolated", "--select", "MLS", "n.py", cwd=tmp_path).stdout)["n.py"]
    assert cli == flake8
    assert cli == {(4, "MLS102"), (9, "MLS102"), (10, "MLS102"), (13, "MLS102")}


def test_file_level_noqa(tmp_path):
    (tmp_path / "n.py").write_text("# flake8: noqa\nimport torch\ntorch.load(p)\n")
    assert cli_json("n.py", cwd=tmp_path)["findings"] == []
    proc = run_cli("check", "--disable-noqa", "n.py", cwd=tmp_path)
    assert proc.returncode == 1 and "MLS102" in proc.stdout


def test_exit_codes_and_default_path(tmp_path):
    # each exit status once from a real process (end to end: what the shell sees), the other
    # cases in-process (`main`'s return value or argparse's SystemExit is that status)
    (tmp_path / "clean.py").write_text("import torch\ntorch.load(p, weights_only=True)\n")
    proc = run_cli_process("check", cwd=tmp_path)
    assert proc.returncode == 0 and "No findings in 1 file" in proc.stdout
    (tmp_path / "bad.py").write_text("import torch\ntorch.load(p)\n")
    assert run_cli_process("check", cwd=tmp_path).returncode == 1
    assert run_cli("check", "--exit-zero", cwd=tmp_path).returncode == 0
    missing = run_cli_process("check", "nope.py", cwd=tmp_path)
    assert missing.returncode == 2 and "path 'nope.py' does not exist" in missing.stderr
    bad_flag = run_cli("check", "--select", "XYZ1", cwd=tmp_path)
    assert bad_flag.returncode == 2 and "'XYZ1' is not an ml-seclint code prefix" in bad_flag.stderr
    assert run_cli("check", "--frobnicate", cwd=tmp_path).returncode == 2
    assert run_cli("check", "--jobs", "0", cwd=tmp_path).returncode == 2


def test_select_and_ignore_by_prefix(tmp_path):
    (tmp_path / "m.py").write_text(
        "import torch, pickle, joblib\ntorch.load(p)\npickle.load(f)\njoblib.load(f)\n")
    codes = lambda *a: sorted(f["code"] for f in cli_json(*a, "m.py", cwd=tmp_path)["findings"])  # noqa: E731
    assert codes() == ["MLS101", "MLS102", "MLS103"]
    assert codes("--select", "MLS101,MLS103") == ["MLS101", "MLS103"]
    assert codes("--ignore", "MLS10") == []
    assert codes("--select", "MLS1", "--ignore", "MLS102") == ["MLS101", "MLS103"]


def test_walk_skips_vcs_venvs_build_and_excluded(tmp_path):
    bad = "import torch\ntorch.load(p)\n"
    for d in ("src", ".git", "build", "dist", "node_modules", "__pycache__", "env", "generated", "src/gen"):
        (tmp_path / d).mkdir(parents=True, exist_ok=True)
        (tmp_path / d / "m.py").write_text(bad)
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "src" / "notes.txt").write_text(bad)
    (tmp_path / "pyproject.toml").write_text('[tool.ml-seclint]\nexclude = ["generated", "src/gen"]\n')
    paths = sorted(f["path"] for f in cli_json(cwd=tmp_path)["findings"])
    assert paths == ["src/m.py"]


def test_config_select_ignore_per_file_ignores(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.ml-seclint]\nignore = ["MLS101"]\n[tool.ml-seclint.per-file-ignores]\n"tests/*" = ["MLS1"]\n')
    (tmp_path / "tests").mkdir()
    src = "import torch, pickle\ntorch.load(p)\npickle.load(f)\n"
    (tmp_path / "m.py").write_text(src)
    (tmp_path / "tests" / "t.py").write_text(src)
    found = {(f["path"], f["code"]) for f in cli_json(cwd=tmp_path)["findings"]}
    assert found == {("m.py", "MLS102")}


@pytest.mark.parametrize("table, words", [
    ('torch-min-versoin = "2.6"', ["unknown key 'torch-min-versoin'", "did you mean 'torch-min-version'"]),
    ('select = "MLS1"', ["'select' must be a list"]),
    ('ignore = ["E501"]', ["'ignore' has 'E501'"]),
    ('torch-min-version = 2.6', ["'torch-min-version' must be a string"]),
    ('torch-min-version = "latest"', ["'torch-min-version' must be a version"]),
    ('exclude = [1]', ["'exclude' must be a list of strings"]),
])
def test_configuration_errors_name_the_key(tmp_path, table, words):
    (tmp_path / "pyproject.toml").write_text(f"[tool.ml-seclint]\n{table}\n")
    (tmp_path / "m.py").write_text("import torch\ntorch.load(p)\n")
    proc = run_cli("check", cwd=tmp_path)
    assert proc.returncode == 2
    assert all(w in proc.stderr for w in words), proc.stderr
    assert "Traceback" not in proc.stderr


def test_invalid_toml_is_a_configuration_error(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.ml-seclint\n")
    (tmp_path / "m.py").write_text("x = 1\n")
    proc = run_cli("check", cwd=tmp_path)
    assert proc.returncode == 2 and "invalid TOML" in proc.stderr


def test_torch_min_version_option_and_dependency_floor(tmp_path):
    src = "import torch\ntorch.load(p)\ntorch.load(p, weights_only=False)\n"
    (tmp_path / "m.py").write_text(src)
    assert len(cli_json(cwd=tmp_path)["findings"]) == 2
    (tmp_path / "pyproject.toml").write_text('[tool.ml-seclint]\ntorch-min-version = "2.6.0"\n')
    assert [f["line"] for f in cli_json(cwd=tmp_path)["findings"]] == [3]
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\ndependencies = ["numpy", "torch >=2.6, <3; python_version >= \'3.9\'"]\n')
    assert [f["line"] for f in cli_json(cwd=tmp_path)["findings"]] == [3]
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\ndependencies = ["torch>=2.1"]\n')
    assert len(cli_json(cwd=tmp_path)["findings"]) == 2
    # a pickle_module turns the 2.6 default off (torch.serialization._default_to_weights_only)
    (tmp_path / "m.py").write_text(src + "import dill\ntorch.load(p, pickle_module=dill)\n"
                                   "torch.load(p, 'cpu', dill)\ntorch.load(p, pickle_module=None)\n"
                                   "torch.load(p, pickle_module=dill, weights_only=True)\n")
    (tmp_path / "pyproject.toml").write_text('[tool.ml-seclint]\ntorch-min-version = "2.6.0"\n')
    found = cli_json(cwd=tmp_path)["findings"]
    assert [f["line"] for f in found] == [3, 5, 6]
    assert "pickle_module" in found[1]["message"]
    (tmp_path / "m.py").write_text(src)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\ndependencies = ["torch>=2.6"]\n'
        '[tool.ml-seclint]\ntorch-min-version = "2.0"\n')
    assert len(cli_json(cwd=tmp_path)["findings"]) == 2


def test_dependency_floor_from_requirements_files(tmp_path):
    """A setup.py project (or a pyproject with dynamic dependencies) declares its floors in
    requirements files; files of other environments (docs, tests, dev) do not count, and one
    runtime file without a bound keeps the floor unknown."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text("import torch\ntorch.load(p)\n")
    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "framework.txt").write_text(
        "# runtime\n-r base.txt\n--index-url https://example.org\ntorch>=2.6  # cpu wheels\n")
    (tmp_path / "requirements" / "docs.txt").write_text("torch\nsphinx\n")
    assert cli_json(cwd=tmp_path)["findings"] == []
    (tmp_path / "requirements.txt").write_text("torch>=2.1\n")
    assert [f["line"] for f in cli_json(cwd=tmp_path)["findings"]] == [2]
    (tmp_path / "requirements.txt").unlink()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\ndependencies = ["numpy"]\n')
    assert len(cli_json(cwd=tmp_path)["findings"]) == 1  # listed in pyproject: the files are not read
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\ndynamic = ["dependencies"]\n')
    assert cli_json(cwd=tmp_path)["findings"] == []


def test_json_shape(tmp_path):
    (tmp_path / "m.py").write_text("import torch\nx = 1; torch.load(p, weights_only=False)\n")
    data = cli_json("m.py", cwd=tmp_path)
    assert set(data) == {"version", "findings", "summary"}
    (f,) = data["findings"]
    # end column: 1-based, just after the call
    assert (f["line"], f["column"], f["end_line"], f["end_column"]) == (2, 8, 2, 41)
    assert f["code"] == "MLS102" and f["name"] == "torch-load-unsafe" and f["severity"] == "critical"
    assert f["guideline"] == {"id": "1.3", "area": "Secure design", "title":
                              "Design your system for security as well as functionality and performance"}
    assert [g["id"] for g in f["secondary_guidelines"]] == ["2.1", "3.2"]
    assert f["cwe"] == ["CWE-502"] and "ML06:2023" in f["owasp"] and "AML.T0011.000" in f["atlas"]
    assert data["summary"]["findings"] == 1 and data["summary"]["by_code"] == {"MLS102": 1}


def test_no_progress_in_pipes(tmp_path, monkeypatch):
    # enough files for two workers, and no delay before the progress line a terminal would get
    for i in range(PARALLEL_MIN_FILES):
        (tmp_path / f"m{i}.py").write_text("import torch\ntorch.load(p)\n")
    monkeypatch.setenv("ML_SECLINT_PROGRESS_DELAY", "0")
    proc = run_cli("check", "--jobs", "2", ".", cwd=tmp_path)
    assert proc.returncode == 1 and proc.stdout.count("MLS102") == PARALLEL_MIN_FILES
    assert proc.stderr == ""


def test_rules_and_explain():
    proc = run_cli("rules")
    assert proc.returncode == 0 and "MLS102" in proc.stdout and "torch-load-unsafe" in proc.stdout
    assert "1.3 Design your system for security" in proc.stdout
    data = json.loads(run_cli("rules", "--format", "json").stdout)
    assert {r["code"] for r in data} >= {"MLS101", "MLS110"}
    doc = run_cli("explain", "MLS102")
    assert doc.returncode == 0 and doc.stdout == (REPO / "docs/rules/MLS102.md").read_text(encoding="utf-8")
    assert run_cli("explain", "torch-load-unsafe").stdout == doc.stdout
    unknown = run_cli("explain", "MLS999")
    assert unknown.returncode == 2 and "unknown rule" in unknown.stderr


def test_python_dash_m_and_version():
    proc = run_cli_process("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("ml-seclint ")


def test_progress_on_a_terminal(tmp_path):
    import os
    import pty
    import subprocess
    import sys

    for i in range(3):
        (tmp_path / f"m{i}.py").write_text("import torch\ntorch.load(p)\n")
    leader, follower = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if k != "CI"}
    environment["ML_SECLINT_PROGRESS_DELAY"] = "0"
    proc = subprocess.run([sys.executable, "-m", "ml_seclint", "check", "--jobs", "1", "."], cwd=tmp_path,
                          stdout=subprocess.PIPE, stderr=follower, env=environment, timeout=120)
    os.close(follower)
    shown = os.read(leader, 4096).decode()
    os.close(leader)
    assert "3/3 files" in shown and proc.stdout.count(b"MLS102") == 3
