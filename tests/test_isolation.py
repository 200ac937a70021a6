"""No input loses another file's results, and none stalls the run: special files, huge files,
files that crash the parser or its process (issue 9)."""
from __future__ import annotations

import faulthandler
import json
import os
import signal
import sys

import pytest

from ml_seclint.frontends import runner

from helpers import run_cli, run_cli_process

GOOD = "import torch\ntorch.load(p)\n"
MAIN_PID = os.getpid()
MATCH = sys.version_info >= (3, 10)


def _good_files(root, count, prefix="good"):
    for number in range(count):
        (root / f"{prefix}_{number:02}.py").write_text(GOOD)


def _by_file(stdout):
    found = {}
    for finding in json.loads(stdout)["findings"]:
        found.setdefault(os.path.basename(finding["path"]), []).append(finding)
    return found


@pytest.fixture
def crashing_check(monkeypatch):
    """Checking a file named crash*.py kills its process with SIGSEGV, as libcst's parser does on
    some inputs, in a child process only (the workers are forked from this one)."""
    real = runner._check

    def check(task):
        if os.path.basename(task.path).startswith("crash") and os.getpid() != MAIN_PID:
            faulthandler.disable()  # pytest's traceback dump would only clutter the output
            os.kill(os.getpid(), signal.SIGSEGV)
        return real(task)

    monkeypatch.setattr(runner, "_check", check)


def _assert_only_the_crashed_file_lost(proc, count):
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    found = _by_file(proc.stdout)
    for number in range(count):
        assert [f["code"] for f in found[f"good_{number:02}.py"]] == ["MLS102"]
    (crash,) = found["crash.py"]
    assert crash["code"] == "MLS000"
    assert "parser crashed" in crash["message"] and "SIGSEGV" in crash["message"]


def test_a_worker_that_dies_costs_only_its_file(tmp_path, crashing_check):
    count = runner.PARALLEL_MIN_FILES + 4
    _good_files(tmp_path, count)
    (tmp_path / "crash.py").write_text(GOOD)
    proc = run_cli("check", "--format", "json", "--jobs", "2", str(tmp_path))
    _assert_only_the_crashed_file_lost(proc, count)


def test_with_one_job_a_file_python_rejects_is_parsed_in_a_child(tmp_path, crashing_check):
    _good_files(tmp_path, 3)
    # Python rejects it (the escape), libcst does not: it is parsed in a child process
    (tmp_path / "crash.py").write_text('import torch\nX = "\\N{BOGUS}"\ntorch.load(p)\n')
    (tmp_path / "newer.py").write_text('import torch\nX = "\\N{BOGUS}"\ntorch.load(p)\n')
    proc = run_cli("check", "--format", "json", "--jobs", "1", str(tmp_path))
    _assert_only_the_crashed_file_lost(proc, 3)
    assert sorted(f["code"] for f in _by_file(proc.stdout)["newer.py"]) == ["MLS000", "MLS102"]


def _special_tree(root):
    """Every case of issue 9 that used to crash, hang or exhaust the run, and ordinary files."""
    _good_files(root, 3)
    (root / "brackets.py").write_text("import torch\nx = " + "(" * 1400 + "\ntorch.load(p)\n")
    (root / "and_chain.py").write_text("import torch\nx = " + " and ".join(["a"] * 9000)
                                       + "\ntorch.load(p)\n")
    (root / "huge.py").write_text("import torch\nx = '" + "a" * (2 << 20) + "'\ntorch.load(p)\n")
    (root / "many_lines.py").write_text("import torch\n" + "x = 1\n" * 200_000 + "torch.load(p)\n")
    (root / "regex_bomb.py").write_text("# token:" + " " * 50_000 + "\n# " + "key" * 20_000 + "\n")
    (root / "syntax.py").write_text("import os\ndef f(:\n")
    os.mkfifo(root / "fifo.py")
    os.symlink("/dev/zero", root / "zero.py")
    (root / "sub").mkdir()
    _good_files(root / "sub", 2, "also_good")
    # valid code that used to lose findings: match, deep nesting, literals Python rejects
    (root / "sub" / "match_case.py").write_text(
        "import torch\nmatch x:\n    case [a, *rest]:\n        pass\ntorch.load(p)\n" if MATCH else GOOD)
    (root / "sub" / "deep.py").write_text(
        "import torch\nPROMPT = (\n" + '    "part "\n' * 1000 + ")\nif x == 0:\n    pass\n"
        + "elif x == 1:\n    pass\n" * 1000 + "torch.load(p)\n")
    (root / "sub" / "bogus_literal.py").write_text('import torch\nX = "hf_\\N{BOGUS}"\ntorch.load(p)\n')
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": ["!pip install -q \\\n", "    transformers\n", "import torch\n", "torch.load(p)\n"]}
    (root / "sub" / "colab.ipynb").write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5,
                                                          "metadata": {}, "cells": [cell]}))


EXPECTED_ERRORS = {"brackets.py": "nested too deeply", "and_chain.py": "nested too deeply",
                   "huge.py": "too large", "many_lines.py": "too large", "syntax.py": "syntax error",
                   "fifo.py": "not a regular file", "zero.py": "not a regular file"}


def _assert_special_tree(proc):
    assert proc.returncode == 1 and "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    found = _by_file(proc.stdout)
    assert [f["code"] for f in found["good_00.py"]] == ["MLS102"]
    assert sum(1 for f in json.loads(proc.stdout)["findings"] if f["code"] == "MLS102") == 9
    for name in ("match_case.py", "deep.py", "colab.ipynb"):
        assert [f["code"] for f in found[name]] == ["MLS102"], found[name]
    assert sorted(f["code"] for f in found["bogus_literal.py"]) == ["MLS000", "MLS102"]
    for name, words in EXPECTED_ERRORS.items():
        assert [f["code"] for f in found[name]] == ["MLS000"], (name, found[name])
        assert words in found[name][0]["message"], found[name][0]["message"]
    assert "regex_bomb.py" not in found


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_special_tree_in_process(tmp_path):
    _special_tree(tmp_path)
    _assert_special_tree(run_cli("check", "--format", "json", "--jobs", "1", str(tmp_path)))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_special_tree_end_to_end_with_workers(tmp_path):
    _special_tree(tmp_path)
    for number in range(runner.PARALLEL_MIN_FILES):
        (tmp_path / "sub" / f"more_{number}.py").write_text("x = 1\n")
    # named on the command line too: the FIFO is still not opened for reading
    proc = run_cli_process("check", "--format", "json", "--jobs", "2", str(tmp_path),
                           str(tmp_path / "fifo.py"))
    _assert_special_tree(proc)


def test_max_file_size_setting(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.ml-seclint]\nmax-file-size = 20\n")
    (tmp_path / "a.py").write_text(GOOD)  # 27 bytes
    proc = run_cli("check", "--format", "json", str(tmp_path))
    (finding,) = json.loads(proc.stdout)["findings"]
    assert finding["code"] == "MLS000" and "27 bytes" in finding["message"] and "(20)" in finding["message"]
    (tmp_path / "pyproject.toml").write_text("[tool.ml-seclint]\nmax-file-size = 0\n")
    proc = run_cli("check", str(tmp_path))
    assert proc.returncode == 2 and "max-file-size" in proc.stderr


def test_syntax_error_without_trigger_words_is_reported(tmp_path):
    (tmp_path / "broken.py").write_text("def f(:\n    return 1\n")
    (tmp_path / "fine.py").write_text("def f():\n    return 1\n")
    proc = run_cli("check", "--format", "json", str(tmp_path))
    (finding,) = json.loads(proc.stdout)["findings"]
    assert finding["path"].endswith("broken.py") and finding["line"] == 1
    assert "syntax error" in finding["message"]
