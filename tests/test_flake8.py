"""The flake8 plugin through real flake8 subprocesses."""
from __future__ import annotations

from helpers import run_flake8

SOURCE = """import torch
import pickle

state = torch.load(path)
blob = pickle.loads(data)  # noqa: MLS101
other = pickle.loads(data)  # noqa: MLS1
again = torch.load(path)  # noqa: E501
quiet = torch.load(path)  # noqa
"""


def test_select_noqa_and_columns(tmp_path):
    (tmp_path / "train.py").write_text(SOURCE)
    proc = run_flake8("--isolated", "--select", "MLS", "train.py", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split(" ")[0] + " " + line.split(" ")[1] for line in lines] == [
        "train.py:4:9: MLS102", "train.py:7:9: MLS102"]
    assert "[AI guideline 1.3" in lines[0] and "CWE-502]" in lines[0]


def test_stdin_with_display_name(tmp_path):
    proc = run_flake8("--isolated", "--select", "MLS", "--stdin-display-name", "models/load.py", "-",
                      cwd=tmp_path, stdin="import torch\ntorch.load(p)\n")
    assert proc.stdout.startswith("models/load.py:2:1: MLS102 "), proc.stdout + proc.stderr


def test_jobs_and_many_files(tmp_path):
    for i in range(12):
        (tmp_path / f"m{i}.py").write_text("import torch\n\ntorch.load(p)\n")
    proc = run_flake8("--isolated", "--select", "MLS", "--jobs", "2", ".", cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert len(proc.stdout.splitlines()) == 12


def test_setup_cfg_extend_ignore_and_per_file_ignores(tmp_path):
    (tmp_path / "setup.cfg").write_text(
        "[flake8]\nextend-ignore = MLS101\nper-file-ignores =\n    tests/*: MLS102\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "train.py").write_text("import torch, pickle\ntorch.load(p)\npickle.load(f)\n")
    (tmp_path / "tests" / "test_x.py").write_text("import torch, pickle\ntorch.load(p)\n")
    proc = run_flake8("--select", "MLS", ".", cwd=tmp_path)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert [line.split(": ")[0] + " " + line.split(" ")[1] for line in proc.stdout.splitlines()] == [
        "./train.py:2:1 MLS102"]


def test_rule_options_from_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["torch>=2.6"]\n')
    (tmp_path / "train.py").write_text("import torch\ntorch.load(p)\ntorch.load(p, weights_only=False)\n")
    proc = run_flake8("--isolated", "--select", "MLS", "train.py", cwd=tmp_path)
    assert [line.split(" ")[0] for line in proc.stdout.splitlines()] == ["train.py:3:1:"]


def test_configuration_error_is_reported_not_raised(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.ml-seclint]\ntorch-min-versoin = "2.6"\n')
    (tmp_path / "train.py").write_text("import torch\ntorch.load(p)\n")
    proc = run_flake8("--isolated", "--select", "MLS", "train.py", cwd=tmp_path)
    assert "Traceback" not in proc.stderr
    assert "MLS000 ml-seclint configuration error" in proc.stdout
    assert "torch-min-versoin" in proc.stdout and "did you mean 'torch-min-version'" in proc.stdout


def test_plugin_is_on_by_default(tmp_path):
    (tmp_path / "train.py").write_text("import torch\n\ntorch.load(p)\n")
    proc = run_flake8("--isolated", "train.py", cwd=tmp_path)
    assert "MLS102" in proc.stdout


def test_plugin_import_is_light_and_the_engine_is_shared_by_parallel_workers(tmp_path):
    """Importing the plugin loads neither libcst nor the rules; a parallel run imports the engine
    once in flake8's main process, before the workers are forked."""
    import subprocess
    import sys
    import types

    from flake8.main.options import JobsArgument

    from ml_seclint.frontends.flake8_plugin import _runs_in_parallel

    code = "import sys, ml_seclint.frontends.flake8_plugin; print(sorted(m for m in ('libcst', " \
           "'ml_seclint.engine.registry') if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "[]", proc.stderr
    assert _runs_in_parallel(types.SimpleNamespace(jobs=JobsArgument("auto"), filenames=["."]))
    assert _runs_in_parallel(types.SimpleNamespace(jobs=JobsArgument("2"), filenames=["a.py", "b.py"]))
    assert not _runs_in_parallel(types.SimpleNamespace(jobs=JobsArgument("1"), filenames=["."]))
    (tmp_path / "one.py").write_text("x = 1\n")
    assert not _runs_in_parallel(types.SimpleNamespace(jobs=JobsArgument("auto"),
                                                       filenames=[str(tmp_path / "one.py")]))
