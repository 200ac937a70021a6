"""The shipped pre-commit hook, run by pre-commit itself on a temporary git repository.

The hook in .pre-commit-hooks.yaml is `language: python`: pre-commit would build a virtualenv and
pip-install ml-seclint (and libcst) into it, which needs the network. The test therefore copies
the shipped hook's definition (id, name, types, require_serial, the arguments of its entry) into
a `repo: local` hook with `language: system` whose entry runs this environment's ml-seclint
(`python -m ml_seclint` + the shipped entry's arguments). Everything pre-commit does around the
hook (file selection by type, passing file names, the exit status failing the commit) is real.
"""
from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers import REPO

pytest.importorskip("pre_commit")


def shipped_hook() -> dict:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    return next(h for h in hooks if h["id"] == "ml-seclint")


def test_shipped_hook_definition():
    hook = shipped_hook()
    assert hook["language"] == "python"
    assert shlex.split(hook["entry"]) == ["ml-seclint", "check"]
    assert hook["types_or"] == ["python", "jupyter"] and hook["require_serial"] is True


def run(args: list[str], cwd: Path, home: Path) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    environment.update(PRE_COMMIT_HOME=str(home / "pre-commit-cache"), HOME=str(home),
                       GIT_CONFIG_NOSYSTEM="1")
    environment.pop("CI", None)
    return subprocess.run(args, cwd=cwd, env=environment, capture_output=True, text=True, timeout=600)


def test_hook_fails_a_commit_that_adds_torch_load_and_passes_a_clean_one(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    repo = tmp_path / "repo"
    repo.mkdir()
    hook = shipped_hook()
    entry = shlex.join([sys.executable, "-m", "ml_seclint", *shlex.split(hook["entry"])[1:]])
    local = {key: value for key, value in hook.items()
             if key not in ("language", "entry", "minimum_pre_commit_version")}
    local.update(language="system", entry=entry)
    (repo / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]}), encoding="utf-8")

    def git(*args: str) -> subprocess.CompletedProcess:
        return run(["git", *args], repo, home)

    assert git("init", "-q").returncode == 0
    for key, value in (("user.email", "t@example.com"), ("user.name", "T"), ("commit.gpgsign", "false")):
        git("config", key, value)
    install = run([sys.executable, "-m", "pre_commit", "install"], repo, home)
    assert install.returncode == 0, install.stdout + install.stderr
    git("add", ".pre-commit-config.yaml")
    assert git("commit", "-q", "-m", "config").returncode == 0

    (repo / "train.py").write_text("import torch\n\n\ndef restore(path):\n    return torch.load(path)\n",
                                   encoding="utf-8")
    git("add", "train.py")
    bad = git("commit", "-m", "load a checkpoint")
    assert bad.returncode != 0
    output = bad.stdout + bad.stderr  # git shows the hook's output on stderr
    assert "train.py:5:12: MLS102" in output
    assert "ml-seclint" in output and "Failed" in output

    (repo / "train.py").write_text(
        "import torch\n\n\ndef restore(path):\n    return torch.load(path, weights_only=True)\n",
        encoding="utf-8")
    (repo / "README.txt").write_text("torch.load(path) in prose is not Python\n", encoding="utf-8")
    git("add", "train.py", "README.txt")
    good = git("commit", "-m", "load weights only")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout + good.stderr
    assert git("log", "--oneline").stdout.count("\n") == 2

    # a notebook is checked too (types_or: jupyter)
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": ["import torch\n", "model = torch.load('model.pt')\n"]}
    (repo / "explore.ipynb").write_text(json.dumps(
        {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1), encoding="utf-8")
    git("add", "explore.ipynb")
    notebook = git("commit", "-m", "a notebook")
    assert notebook.returncode != 0
    assert "explore.ipynb:cell 1:2:9: MLS102" in notebook.stdout + notebook.stderr
