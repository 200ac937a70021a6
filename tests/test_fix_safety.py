"""`--fix` changes only what it fixes: every other byte stays, form feeds included, and a symlink
to a file outside the checked paths is never written through (issue 9)."""
from __future__ import annotations

import json
import os

from helpers import run_cli

FORM_FEEDS = ("import yaml\n\x0c\ndef f():\n    pass\n\x0cdef g():\n    pass\n"
              "if a:\n    x = 1\n\x0c    y = 2\ncfg = yaml.load(text)\n")


def test_form_feeds_outside_the_edit_are_kept(tmp_path):
    path = tmp_path / "pages.py"
    path.write_bytes(FORM_FEEDS.encode())
    proc = run_cli("check", "--fix", str(path))
    assert proc.returncode == 0, proc.stdout
    assert path.read_bytes() == FORM_FEEDS.replace("yaml.load(", "yaml.safe_load(").encode()


def test_a_fix_on_a_line_libcst_would_normalise_is_refused(tmp_path):
    source = "import yaml\n\x0ccfg = yaml.load(text)\n"
    path = tmp_path / "page.py"
    path.write_bytes(source.encode())
    proc = run_cli("check", "--fix", "--format", "json", str(path))
    assert proc.returncode == 1
    codes = sorted(f["code"] for f in json.loads(proc.stdout)["findings"])
    assert codes == ["MLS000", "MLS107"] and "line 2" in proc.stdout
    assert path.read_bytes() == source.encode()


def _tree_with_links(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "target.py").write_text("import yaml\ncfg = yaml.load(text)\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "real.py").write_text("import yaml\ncfg = yaml.load(text)\n")
    os.symlink(outside / "target.py", tree / "to_outside.py")
    os.symlink("real.py", tree / "to_inside.py")
    return tree, outside


def test_symlink_to_a_file_outside_the_checked_paths_is_not_written(tmp_path):
    tree, outside = _tree_with_links(tmp_path)
    proc = run_cli("check", "--fix", "--format", "json", str(tree))
    assert (outside / "target.py").read_text() == "import yaml\ncfg = yaml.load(text)\n"
    assert "safe_load" in (tree / "real.py").read_text()
    found = {(os.path.basename(f["path"]), f["code"]) for f in json.loads(proc.stdout)["findings"]}
    assert found == {("to_outside.py", "MLS000"), ("to_outside.py", "MLS107")}
    assert "outside the checked paths" in proc.stdout
    # named on the command line, the link is still checked against its own directory
    run_cli("check", "--fix", str(tree / "to_outside.py"))
    assert (outside / "target.py").read_text() == "import yaml\ncfg = yaml.load(text)\n"
    # the target itself, named, is fixed
    run_cli("check", "--fix", str(outside))
    assert "safe_load" in (outside / "target.py").read_text()


def test_notebook_symlink_outside_is_not_written(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": ["import yaml\n", "cfg = yaml.load(text)\n"]}
    text = json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)
    (outside / "n.ipynb").write_text(text)
    tree = tmp_path / "tree"
    tree.mkdir()
    os.symlink(outside / "n.ipynb", tree / "n.ipynb")
    proc = run_cli("check", "--fix", str(tree))
    assert (outside / "n.ipynb").read_text() == text
    assert "outside the checked paths" in proc.stdout
