"""Notebooks: code cells as one module, magics, cell/line positions, markdown and outputs, broken
notebooks, the CLI switches."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ml_seclint.engine.config import Settings
from ml_seclint.inputs.notebooks import lint_notebook, to_python
from ml_seclint.secrets_table import FORMATS_BY_ID, find_keys

from helpers import CHECKS, REPO, cli_json, run_cli

NOTEBOOK = CHECKS / "notebook_secrets.ipynb"
EXPECT = re.compile(r"(?:#|<!--)\s*expect:\s*(?P<codes>MLS\d{3}(?:\s*,\s*MLS\d{3})*)")


def notebook_expected(path: Path) -> set[tuple[int, int, str]]:
    """(cell, line, code) from `# expect:` / `<!-- expect: -->` annotations in the cells and the
    `ml_seclint_expect` list in the notebook metadata (for outputs and `%env` lines)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    found = {tuple(e) for e in data["metadata"].get("ml_seclint_expect", [])}
    for index, cell in enumerate(data["cells"], 1):
        for number, line in enumerate("".join(cell["source"]).splitlines(), 1):
            match = EXPECT.search(line)
            if match:
                found.update((index, number, c.strip()) for c in match.group("codes").split(","))
    return found


def cell(source: str, kind: str = "code", outputs=()) -> dict:
    data = {"cell_type": kind, "metadata": {}, "source": source.splitlines(True)}
    if kind == "code":
        data.update(execution_count=None, outputs=list(outputs))
    return data


def notebook(*cells: dict) -> str:
    return json.dumps({"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def located(text: str) -> list[tuple]:
    result = lint_notebook(text, "nb.ipynb", Settings())
    findings = result.errors + result.located() + result.text_findings
    return sorted((f.cell, f.line, f.column, f.code) for f in findings)


# -- the check file through the engine and the CLI ------------------------------------------------

def test_check_notebook_engine():
    result = lint_notebook(NOTEBOOK.read_bytes(), str(NOTEBOOK), Settings())
    findings = result.errors + result.located() + result.text_findings
    assert {(f.cell, f.line, f.code) for f in findings} == notebook_expected(NOTEBOOK)


def test_check_notebook_cli_json():
    data = cli_json(str(NOTEBOOK.relative_to(REPO)), process=True)
    assert {(f["cell"], f["line"], f["code"]) for f in data["findings"]} == notebook_expected(NOTEBOOK)
    assert data["summary"]["files_checked"] == 1


def test_check_notebook_cli_text():
    proc = run_cli("check", str(NOTEBOOK.relative_to(REPO)))
    assert proc.returncode == 1, proc.stderr
    assert "checks/notebook_secrets.ipynb:cell 4:4:9: MLS102 " in proc.stdout
    assert "checks/notebook_secrets.ipynb:cell 3:1:23: MLS401 " in proc.stdout
    lines = [line for line in proc.stdout.splitlines() if "MLS" in line and ": MLS" in line]
    shape = re.compile(r"^checks/notebook_secrets\.ipynb:cell \d+:\d+:\d+: MLS\d{3} ")
    assert all(shape.match(line) for line in lines)


# -- one module, positions ----------------------------------------------------------------------------

def test_imports_in_one_cell_resolve_calls_in_later_cells():
    text = notebook(
        cell("# Title", "markdown"),
        cell("import torch as T\nfrom yaml import load as yload\n"),
        cell("Some prose.\n\nMore prose.", "markdown"),
        cell("x = 1\n\n\nstate = T.load(path)\n"),
        cell("cfg = yload(open('c.yml'))\n"),
    )
    assert located(text) == [(4, 4, 8, "MLS102"), (5, 1, 6, "MLS107")]


def test_column_and_end_positions_are_within_the_cell():
    text = notebook(cell("import torch\n"), cell("if True:\n    m = torch.load(\n        p)\n"))
    result = lint_notebook(text, "nb.ipynb", Settings())
    [finding] = result.located()
    assert (finding.cell, finding.line, finding.column, finding.end_line) == (2, 2, 8, 3)


def test_magics_and_shell_escapes_do_not_break_parsing():
    text = notebook(
        cell("%matplotlib inline\n%load_ext autoreload\nimport torch\n!nvidia-smi\n"),
        cell("%%time\nstate = torch.load(p)\n"),
        cell("%%bash\nfor f in *.pt; do echo $f; done\n"),
        cell("files = !ls *.pt\ntorch.load?\n??torch.load\n"
             "for f in files:\n    !echo {f}\n    torch.load(f)\n"),
        cell("%%writefile helper.py\nimport torch\ntorch.load(x)\n"),
    )
    assert located(text) == [(2, 2, 8, "MLS102"), (4, 6, 4, "MLS102")]


def test_to_python_keeps_every_line_and_column():
    source = ("%pip install x\nx = 1  # %not a magic\ny = (a\n     % b)\ns = '''\n!not a shell line\n'''\n"
              "z = !ls\n  %time f()\n")
    lines, magic = to_python(source)
    assert lines == ["", "x = 1  # %not a magic", "y = (a", "     % b)", "s = '''",
                     "!not a shell line", "'''", "z = ...", "  pass", ""]
    assert [n for n, _ in magic] == [1, 8, 9]


def test_notebooks_in_other_languages_are_searched_for_keys_only():
    hf = FORMATS_BY_ID["huggingface"].sample_key()
    data = json.loads(notebook(cell("library(dplyr)\nx <- readRDS('m.rds')\n"),
                               cell(f'Sys.setenv(HF_TOKEN = "{hf}")\n')))
    data["metadata"] = {"kernelspec": {"language": "R", "name": "ir"}, "language_info": {"name": "R"}}
    assert located(json.dumps(data)) == [(2, 1, 23, "MLS401")]


def test_cell_numbers_count_markdown_and_raw_cells():
    text = notebook(cell("md", "markdown"), cell("raw", "raw"), cell("import pickle\npickle.loads(b)\n"))
    assert located(text) == [(3, 2, 0, "MLS101")]


# -- secrets outside the code -------------------------------------------------------------------------

def test_markdown_outputs_and_magics_are_searched_for_keys():
    hf = FORMATS_BY_ID["huggingface"].sample_key()
    google = FORMATS_BY_ID["google"].sample_key()
    text = notebook(
        cell(f"Intro\n\nUse `{hf}` for now.", "markdown"),
        cell("print(1)\n", outputs=[
            {"output_type": "stream", "name": "stdout", "text": ["a\n", f"token={hf}\n"]},
            {"output_type": "display_data", "metadata": {},
             "data": {"image/png": f"iVBOR{google}AAAA", "text/plain": ["<Figure>"]}},
            {"output_type": "error", "ename": "AuthenticationError",
             "evalue": f"Incorrect API key provided: {google}", "traceback": []},
        ]),
        cell(f"!huggingface-cli login --token {hf}\n%env HF_TOKEN={hf}\n"),
        cell(f"Raw text {google}", "raw"),
    )
    findings = located(text)
    assert findings == [(1, 3, 5, "MLS401"), (2, 1, 0, "MLS401"), (2, 1, 0, "MLS401"),
                        (3, 1, 31, "MLS401"), (3, 2, 14, "MLS401"), (4, 1, 9, "MLS401")]
    result = lint_notebook(text, "nb.ipynb", Settings())
    messages = " ".join(f.message for f in result.text_findings)
    assert hf not in messages and google not in messages
    assert "stored output 1 of cell 2 (line 2)" in messages and "stored output 3 of cell 2" in messages


def test_env_magic_with_a_credential_is_mls402_and_redacted():
    text = notebook(cell("%env WANDB_API_KEY=Bv2Nc4Mx6Lz8Kq0Wp3Er\n%env CUDA_VISIBLE_DEVICES=0,1\n"
                         "!export HF_HOME=/data/hf && export API_TOKEN='Lp9Ok8Ij7Uh6Yg5Tf4Rd'\n"
                         "%env OPENAI_API_KEY=sk-...\n"))
    result = lint_notebook(text, "nb.ipynb", Settings())
    assert sorted((f.line, f.column, f.code) for f in result.text_findings) == [
        (1, 19, "MLS402"), (3, 46, "MLS402")]
    assert all("Bv2Nc4Mx6Lz8Kq0Wp3Er" not in f.message for f in result.text_findings)


def test_selection_applies_to_text_findings(tmp_path):
    hf = FORMATS_BY_ID["huggingface"].sample_key()
    path = tmp_path / "nb.ipynb"
    path.write_text(notebook(cell(f"token {hf}", "markdown")), encoding="utf-8")
    assert cli_json(str(path), "--select", "MLS1")["findings"] == []
    assert len(cli_json(str(path))["findings"]) == 1


def test_noqa_in_code_and_magic_lines(tmp_path):
    hf = FORMATS_BY_ID["huggingface"].sample_key()
    path = tmp_path / "nb.ipynb"
    path.write_text(notebook(
        cell("import torch\nm = torch.load(p)  # noqa: MLS102\nn = torch.load(p)\n"),
        cell(f"!hf auth login --token {hf}  # noqa: MLS401\n!hf auth login --token {hf}\n"),
    ), encoding="utf-8")
    data = cli_json(str(path))
    assert sorted((f["cell"], f["line"], f["code"]) for f in data["findings"]) == [
        (1, 3, "MLS102"), (2, 2, "MLS401")]
    assert data["summary"]["suppressed"] == 2
    data = cli_json(str(path), "--disable-noqa")
    assert len(data["findings"]) == 4


# -- broken notebooks ---------------------------------------------------------------------------------

@pytest.mark.parametrize("content, reason", [
    ("{not json", "invalid JSON"),
    ("", "invalid JSON"),
    ("[1, 2]", "not an object"),
    ('{"cells": []}', "no nbformat"),
    ('{"nbformat": 3, "worksheets": []}', "nbformat 3 notebooks are not supported"),
    ('{"nbformat": 4, "cells": {}}', "'cells' is not a list"),
])
def test_broken_notebooks_are_mls000(content, reason):
    result = lint_notebook(content, "nb.ipynb", Settings())
    [error] = result.errors
    assert error.code == "MLS000" and reason in error.message and error.cell is None


def test_undecodable_bytes_are_mls000():
    result = lint_notebook(b"\xff\xfe\x00garbage", "nb.ipynb", Settings())
    assert [e.code for e in result.errors] == ["MLS000"]


def test_a_broken_cell_is_reported_and_the_others_still_checked():
    text = notebook(
        cell("import torch\n"),
        cell("def f(:\n    pass\n"),
        {"cell_type": "code", "metadata": {}},  # no source
        cell("torch.load(p)\n"),
    )
    assert located(text) == [(2, 1, 6, "MLS000"), (3, 1, 0, "MLS000"), (4, 1, 0, "MLS102")]


def test_a_broken_notebook_does_not_stop_the_run(tmp_path):
    (tmp_path / "bad.ipynb").write_text("{oops", encoding="utf-8")
    (tmp_path / "old.ipynb").write_text('{"nbformat": 3}', encoding="utf-8")
    (tmp_path / "good.ipynb").write_text(notebook(cell("import pickle\npickle.load(f)\n")), encoding="utf-8")
    (tmp_path / "script.py").write_text("import pickle\npickle.load(f)\n", encoding="utf-8")
    data = cli_json(str(tmp_path))
    got = sorted((Path(f["path"]).name, f.get("cell"), f["line"], f["code"]) for f in data["findings"])
    assert got == [("bad.ipynb", None, 1, "MLS000"), ("good.ipynb", 1, 2, "MLS101"),
                   ("old.ipynb", None, 1, "MLS000"), ("script.py", None, 2, "MLS101")]


# -- switches ------------------------------------------------------------------------------------------

def _project(tmp_path, config: str = "") -> Path:
    (tmp_path / "pyproject.toml").write_text(f"[tool.ml-seclint]\n{config}", encoding="utf-8")
    (tmp_path / "nb.ipynb").write_text(notebook(cell("import pickle\npickle.load(f)\n")), encoding="utf-8")
    (tmp_path / "a.py").write_text("import pickle\npickle.load(f)\n", encoding="utf-8")
    return tmp_path


def test_notebooks_are_walked_by_default(tmp_path):
    data = cli_json(".", cwd=_project(tmp_path))
    assert sorted(f["path"] for f in data["findings"]) == ["a.py", "nb.ipynb"]


def test_no_notebooks_switch_and_config_key(tmp_path):
    data = cli_json(".", "--no-notebooks", cwd=_project(tmp_path))
    assert [f["path"] for f in data["findings"]] == ["a.py"]
    other = tmp_path / "cfg"
    other.mkdir()
    data = cli_json(".", cwd=_project(other, "notebooks = false\n"))
    assert [f["path"] for f in data["findings"]] == ["a.py"]
    data = cli_json("nb.ipynb", "a.py", cwd=other)  # named explicitly: still checked
    assert sorted(f["path"] for f in data["findings"]) == ["a.py", "nb.ipynb"]


def test_notebooks_config_key_is_validated(tmp_path):
    proc = run_cli("check", ".", cwd=_project(tmp_path, 'notebooks = "no"\n'))
    assert proc.returncode == 2 and "'notebooks' must be true or false" in proc.stderr


# -- flake8 through nbQA (documented in docs/notebooks.md) ---------------------------------------------

@pytest.mark.skipif(shutil.which("nbqa") is None and not Path(sys.executable).with_name("nbqa").exists(),
                    reason="nbqa is not installed")
def test_nbqa_flake8_runs_the_plugin(tmp_path):
    nbqa = shutil.which("nbqa") or str(Path(sys.executable).with_name("nbqa"))
    path = tmp_path / "nb.ipynb"
    path.write_text(notebook(cell("Intro", "markdown"), cell("%matplotlib inline\nimport torch\n"),
                             cell("torch.load(p)\n")), encoding="utf-8")
    proc = subprocess.run([nbqa, "flake8", str(path), "--isolated", "--select", "MLS"],
                          capture_output=True, text=True, timeout=300)
    assert re.search(r"nb\.ipynb:cell_2:1:1: MLS102 ", proc.stdout), proc.stdout + proc.stderr


def test_no_key_from_the_check_notebook_in_any_format():
    from ml_seclint.output import formats

    keys = {k.value for k in find_keys(NOTEBOOK.read_text(encoding="utf-8"))}
    assert len(keys) >= 3
    for name in formats():
        proc = run_cli("check", "--format", name, str(NOTEBOOK.relative_to(REPO)))
        assert not any(k in proc.stdout + proc.stderr for k in keys), name


# -- backslash-continued magics (issue 9) ---------------------------------------------------------

def test_backslash_continued_shell_lines_are_joined_as_ipython_joins_them():
    lines, magic = to_python("!pip install -q \\\n    transformers \\\n    datasets\nimport torch\n"
                             "if x:\n    !ls \\\n  -la\n    y = 1\n")
    assert lines == ["", "", "", "import torch", "if x:", "    pass", "", "    y = 1", ""]
    assert [number for number, _ in magic] == [1, 2, 3, 6, 7]


def test_a_cell_with_a_continued_install_line_is_checked_and_keys_on_continuations_found(tmp_path):
    key = FORMATS_BY_ID["huggingface"].sample_key()
    text = notebook(
        cell("!pip install -q \\\n    transformers \\\n    accelerate\nimport torch\ntorch.load(p)\n"),
        cell(f"!huggingface-cli login --token \\\n    {key}\n"))
    assert located(text) == [(1, 5, 0, "MLS102"), (2, 2, 4, "MLS401")]
    (tmp_path / "colab.ipynb").write_text(text)
    data = cli_json(str(tmp_path / "colab.ipynb"))
    assert sorted((f["cell"], f["line"], f["code"]) for f in data["findings"]) == \
        [(1, 5, "MLS102"), (2, 2, "MLS401")]
    assert key not in json.dumps(data)
