"""Notebook fixing building blocks (ml_seclint/fix_notebook.py): cells fixed together, written
back cell by cell, outputs and metadata byte for byte."""
from __future__ import annotations

import json

from ml_seclint.config import Settings
from ml_seclint.fix_notebook import fix_cells, fix_notebook, rewrite_notebook

from test_fix import NeedsOs

SETTINGS = Settings()


def to_python(source: str):
    """A stand-in for the notebook adapter's neutraliser: magics and shell lines become `pass`."""
    lines = source.split("\n")
    return [("pass" if line.lstrip().startswith(("%", "!")) else line) for line in lines], []


def notebook(*cells, indent=1) -> str:
    data = {"cells": [], "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
            "nbformat": 4, "nbformat_minor": 5}
    for kind, source, outputs in cells:
        cell = {"cell_type": kind, "metadata": {"tags": ["é"]}, "source": source.splitlines(True)}
        if kind == "code":
            cell.update(execution_count=1, outputs=outputs)
        data["cells"].append(cell)
    return json.dumps(data, indent=indent, sort_keys=True, ensure_ascii=False) + "\n"


OUTPUT = [{"name": "stdout", "output_type": "stream", "text": ["loaded ✓\n"]}]


def test_cells_resolve_each_other_and_keep_magics():
    sources = ["import torch\n%matplotlib inline", "# comment\n%%time\nstate = torch.load(p)\n", "x = 1"]
    new, fixed, error = fix_cells(sources, "nb.ipynb", SETTINGS, unsafe=True, to_python=to_python)
    assert error is None and len(fixed) == 1
    assert new[0] is sources[0] and new[2] is sources[2]  # untouched cells: the same strings
    assert new[1] == "# comment\n%%time\nstate = torch.load(p, weights_only=True)\n"


def test_safe_only_and_imports_rewritten_in_their_cell():
    sources = ["from yaml import load", "cfg = load(s)", "import torch\nw = torch.load(p)"]
    new, fixed, error = fix_cells(sources, "nb.ipynb", SETTINGS, to_python=to_python)
    assert error is None and [f.code for f in fixed] == ["MLS107"]
    assert new == ["from yaml import safe_load", "cfg = safe_load(s)", sources[2]]


def test_new_import_goes_to_the_first_code_cell():
    new, _, error = fix_cells(['x = 1', 'KEY = "abc"'], "nb.ipynb", SETTINGS, unsafe=True, rules=[NeedsOs])
    assert error is None
    assert new == ["import os\n\nx = 1", 'KEY = os.environ["KEY"]']


def test_fix_notebook_changes_only_the_fixed_source_lines():
    text = notebook(("markdown", "# Title\n", []),
                    ("code", "import torch\n", []),
                    ("code", "%%time\nstate = torch.load(path)\n", OUTPUT))
    new, fixed, error = fix_notebook(text, "nb.ipynb", SETTINGS, unsafe=True, to_python=to_python)
    assert error is None and len(fixed) == 1
    before, after = '"state = torch.load(path)\\n"', '"state = torch.load(path, weights_only=True)\\n"'
    assert new == text.replace(before, after) and before in text
    again, fixed, error = fix_notebook(new, "nb.ipynb", SETTINGS, unsafe=True, to_python=to_python)
    assert again == new and fixed == [] and error is None


def test_layout_that_cannot_be_reproduced_is_not_rewritten():
    text = notebook(("code", "import torch\nstate = torch.load(path)\n", OUTPUT), indent=3)
    assert rewrite_notebook(text, {0: "x = 1\n"}) is None
    new, fixed, error = fix_notebook(text, "nb.ipynb", SETTINGS, unsafe=True, to_python=to_python)
    assert new == text and fixed == [] and "layout could not be reproduced" in error.message


def test_a_fix_that_needs_no_change_and_a_broken_notebook():
    text = notebook(("code", "x = 1\n", []))
    assert fix_notebook(text, "nb.ipynb", SETTINGS, True) == (text, [], None)
    assert fix_notebook("{not json", "nb.ipynb", SETTINGS, True) == ("{not json", [], None)
