"""Notebook fixing (ml_seclint/fix_notebook.py): cells fixed together, written back cell by cell,
outputs and metadata byte for byte; the building blocks, then `check --fix / --diff` on .ipynb
files through the real CLI."""
from __future__ import annotations

import ast
import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from ml_seclint.engine.config import Settings
from ml_seclint.fix.notebook import fix_cells, fix_notebook, rewrite_notebook
from ml_seclint.inputs.notebooks import to_python as neutralise

from helpers import CHECKS, run_cli
from test_fix import NeedsOs
from test_secrets import full_secrets

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


# -- through the CLI (`check --fix / --unsafe-fixes / --diff` on .ipynb files) -------------------

DATA = Path(__file__).parent / "data"
SCHEMAS = {version: json.loads((DATA / f"nbformat.v{version}.schema.json").read_text(encoding="utf-8"))
           for version in ("4.4", "4.5")}
CHECK_NOTEBOOK = CHECKS / "notebook_secrets.ipynb"


def valid(notebook: dict, version: str) -> bool:
    try:
        jsonschema.validate(notebook, SCHEMAS[version])
    except jsonschema.ValidationError:
        return False
    return True


def parses(source: str) -> bool:
    try:
        compile("\n".join(neutralise(source)[0]), "cell", "exec",
                flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    except SyntaxError:
        return False
    return True


def assert_only_sources_changed(before: bytes, after: bytes) -> None:
    """Same cells, same outputs, metadata and every other field; the code cells parse as before;
    the result is nbformat 4 JSON valid wherever the original was."""
    old, new = json.loads(before), json.loads(after)
    assert new["nbformat"] == 4 and len(new["cells"]) == len(old["cells"])
    assert {k: v for k, v in old.items() if k != "cells"} == {k: v for k, v in new.items() if k != "cells"}
    for a, b in zip(old["cells"], new["cells"]):
        assert {k: v for k, v in a.items() if k != "source"} == {k: v for k, v in b.items() if k != "source"}
        if a["cell_type"] == "code":
            assert parses("".join(b["source"])) == parses("".join(a["source"]))
    for version in SCHEMAS:
        assert valid(new, version) == valid(old, version), version
    assert any(valid(new, version) for version in SCHEMAS)


def test_cli_fixes_the_check_notebook(tmp_path):
    path = tmp_path / "nb.ipynb"
    shutil.copy(CHECK_NOTEBOOK, path)
    before = path.read_bytes()
    proc = run_cli("check", "--fix", "--unsafe-fixes", "nb.ipynb", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Fixed 3 finding(s) in 1 file(s); 6 remain." in proc.stdout
    after = path.read_bytes()
    # byte for byte: only the three fixed lines of cell 4 changed
    edits = [(b'login(token=\\"hf_FakeKeyForMlSeclintChecksNotARealC\\")',  # noqa: MLS401 - fake key
              b'login(token=os.environ[\\"HF_TOKEN\\"])'),
             (b'OpenAI(api_key=\\"q7Rt2vXw9LmZ4pKcB8nD\\")',
              b'OpenAI(api_key=os.environ[\\"OPENAI_API_KEY\\"])'),
             (b'torch.load(\\"checkpoint.pt\\")  # expect',
              b'torch.load(\\"checkpoint.pt\\", weights_only=True)  # expect')]
    expected = before
    for old, new in edits:
        assert expected.count(old) == 1
        expected = expected.replace(old, new)
    assert after == expected
    assert_only_sources_changed(before, after)
    code = [c for c in json.loads(after)["cells"] if c["cell_type"] == "code"]
    assert [parses("".join(c["source"])) for c in code] == [True, True, True, False, True]  # 6 was broken
    # what remains: the text findings (markdown, output, magic lines) and the broken cell
    remaining = [line.split(" ")[1] for line in proc.stdout.splitlines() if ": MLS" in line]
    assert remaining == ["3:1:23:", "4:1:1:", "4:1:20:", "4:5:32:", "5:2:23:", "6:1:12:"]
    assert "(fix:" not in proc.stdout
    # a second run changes nothing
    again = run_cli("check", "--fix", "--unsafe-fixes", "nb.ipynb", cwd=tmp_path)
    assert path.read_bytes() == after and "Fixed" not in again.stdout
    assert "Found 6 finding(s)" in again.stdout
    diff = run_cli("check", "--diff", "--unsafe-fixes", "nb.ipynb", cwd=tmp_path)
    assert diff.stdout == ""
    assert "Would fix 0 finding(s) in 0 file(s); 6 finding(s) would remain." in diff.stderr


def jupyter(*cells: tuple) -> bytes:
    """A notebook as Jupyter writes it (indent 1, sorted keys, UTF-8), nbformat 4.5 with cell ids."""
    data = {"cells": [], "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                         "language_info": {"name": "python", "version": "3.11.4"}}}
    for number, (kind, source, outputs) in enumerate(cells, 1):
        cell = {"cell_type": kind, "id": f"c{number:03d}", "metadata": {"tags": ["données"]},
                "source": source.splitlines(True)}
        if kind == "code":
            cell.update(execution_count=number, outputs=outputs)
        data["cells"].append(cell)
    return (json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


STREAM = [{"name": "stdout", "output_type": "stream",
           "text": ["état: chargé ✓\n", "100%|██████████|\n"]}]
RESULT = [{"data": {"text/plain": ["{'loss': 0.25}"]}, "execution_count": 4, "metadata": {},
           "output_type": "execute_result"}]
TORCH_NOTEBOOK = jupyter(
    ("code", "%matplotlib inline\nimport torch\nimport yaml\n\ntorch.manual_seed(0)\n", []),
    ("markdown", "## Load the checkpoint\n", []),
    ("code", "import os\n", []),
    ("code", "%%time\ncfg = yaml.load(open('cfg.yml'))\nstate = torch.load(path)\n", STREAM),
    ("code", "for p in paths:\n    !ls {p}\n    w = torch.load(p, map_location='cpu')\n"
             "legacy = torch.load(old)  # noqa: MLS102 trusted, built here\n", RESULT),
    ("code", 'WANDB_API_KEY = "Bv2Nc4Mx6Lz8Kq0Wp3Er"\n', []),
)
TORCH_FIXED = (TORCH_NOTEBOOK
               .replace(b'"cfg = yaml.load(', b'"cfg = yaml.safe_load(')
               .replace(b"torch.load(path)", b"torch.load(path, weights_only=True)")
               .replace(b"torch.load(p, map_location='cpu')",
                        b"torch.load(p, map_location='cpu', weights_only=True)")
               .replace(b'"WANDB_API_KEY = \\"Bv2Nc4Mx6Lz8Kq0Wp3Er\\"',
                        b'"WANDB_API_KEY = os.environ[\\"WANDB_API_KEY\\"]'))


def test_cli_fixes_a_later_cell_using_an_import_of_the_first(tmp_path):
    path = tmp_path / "train.ipynb"
    path.write_bytes(TORCH_NOTEBOOK)
    proc = run_cli("check", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Fixed 4 finding(s) in 1 file(s); none remain." in proc.stdout
    after = path.read_bytes()
    # the noqa'd load stays; `import os` of cell 3 serves the key's fix (no second import)
    assert after == TORCH_FIXED and after.count(b"import os") == 1
    assert_only_sources_changed(TORCH_NOTEBOOK, after)
    assert valid(json.loads(after), "4.5")
    again = run_cli("check", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert again.returncode == 0 and path.read_bytes() == after and "Fixed" not in again.stdout


def test_cli_safe_fixes_only_in_a_notebook(tmp_path):
    path = tmp_path / "train.ipynb"
    path.write_bytes(TORCH_NOTEBOOK)
    proc = run_cli("check", "--fix", "train.ipynb", cwd=tmp_path)
    assert "Fixed 1 finding(s) in 1 file(s); 3 remain." in proc.stdout
    assert path.read_bytes() == TORCH_NOTEBOOK.replace(b'"cfg = yaml.load(', b'"cfg = yaml.safe_load(')
    assert "train.ipynb:cell 4:3:9: MLS102 " in proc.stdout  # positions are in the fixed cells


def test_cli_diff_of_a_notebook_redacts_and_does_not_write(tmp_path):
    path = tmp_path / "train.ipynb"
    path.write_bytes(TORCH_NOTEBOOK)
    proc = run_cli("check", "--diff", "--unsafe-fixes", "train.ipynb", cwd=tmp_path)
    assert proc.returncode == 1 and path.read_bytes() == TORCH_NOTEBOOK
    assert proc.stdout.startswith("--- a/train.ipynb\n+++ b/train.ipynb\n")
    assert "Bv2Nc4Mx6Lz8Kq0Wp3Er" not in proc.stdout and '\\"Bv2N…(20 chars)\\"' in proc.stdout
    assert "Would fix 4 finding(s) in 1 file(s); 0 finding(s) would remain." in proc.stderr
    # the check file: secrets in fixed lines, in context lines (`%env`, shell) and outputs
    shutil.copy(CHECK_NOTEBOOK, path)
    before = path.read_bytes()
    proc = run_cli("check", "--diff", "--unsafe-fixes", "train.ipynb", cwd=tmp_path)
    assert path.read_bytes() == before and proc.stdout.count("\n-") == 3
    assert "%env WANDB_API_KEY=Bv2N…(20 chars)" in proc.stdout
    for secret in full_secrets():
        assert secret not in proc.stdout + proc.stderr


def test_notebook_diff_applies_with_git(tmp_path):
    path = tmp_path / "train.ipynb"
    source = TORCH_NOTEBOOK.replace(b'"WANDB_API_KEY = \\"Bv2Nc4Mx6Lz8Kq0Wp3Er\\"\\n"', b'"x = 1\\n"')
    path.write_bytes(source)
    patch = run_cli("check", "--diff", "--unsafe-fixes", "train.ipynb", cwd=tmp_path).stdout
    proc = subprocess.run(["git", "apply", "-"], input=patch, text=True, cwd=tmp_path, capture_output=True)
    assert proc.returncode == 0, proc.stderr + patch
    assert path.read_bytes() == TORCH_FIXED.replace(
        b'"WANDB_API_KEY = os.environ[\\"WANDB_API_KEY\\"]\\n"', b'"x = 1\\n"')


def test_cli_crlf_and_compact_layouts_are_kept(tmp_path):
    data = json.loads(TORCH_NOTEBOOK)
    for name, text in {"crlf": TORCH_NOTEBOOK.replace(b"\n", b"\r\n"),
                       "compact": json.dumps(data, separators=(",", ":")).encode(),
                       "ascii": json.dumps(data, indent=2).encode() + b"\n\n"}.items():
        path = tmp_path / f"{name}.ipynb"
        path.write_bytes(text)
        proc = run_cli("check", "--fix", "--unsafe-fixes", path.name, cwd=tmp_path)
        assert "Fixed 4 finding(s)" in proc.stdout, name
        after = path.read_bytes()
        assert_only_sources_changed(text, after)
        assert json.loads(after) == json.loads(TORCH_FIXED), name
        if name == "crlf":
            assert after == TORCH_FIXED.replace(b"\n", b"\r\n")


@pytest.mark.parametrize("change", [
    lambda text: json.dumps(json.loads(text), indent=3),  # an indentation no known writer uses
    lambda text: text.replace('"nbformat": 4,', '"nbformat": 4,\n "nbformat": 4,'),  # a duplicate key
])
def test_cli_leaves_a_notebook_whose_layout_it_cannot_reproduce(tmp_path, change):
    path = tmp_path / "odd.ipynb"
    path.write_text(change(TORCH_NOTEBOOK.decode()), encoding="utf-8")
    before = path.read_bytes()
    proc = run_cli("check", "--fix", "--unsafe-fixes", "odd.ipynb", cwd=tmp_path)
    assert path.read_bytes() == before
    assert ("odd.ipynb:1:1: MLS000 [medium] fixes not applied: the notebook's JSON layout could not be "
            "reproduced") in proc.stdout
    assert "Found 5 finding(s)" in proc.stdout  # the four fixable ones and the MLS000


def test_cli_does_not_fix_other_kernels_or_broken_notebooks(tmp_path):
    data = json.loads(TORCH_NOTEBOOK)
    data["metadata"]["language_info"]["name"] = data["metadata"]["kernelspec"]["language"] = "R"
    cases = {"r.ipynb": json.dumps(data, indent=1).encode(),
             "v3.ipynb": TORCH_NOTEBOOK.replace(b'"nbformat": 4', b'"nbformat": 3'),
             "latin1.ipynb": TORCH_NOTEBOOK.replace("données".encode(), "données".encode("latin-1"))}
    for name, text in cases.items():
        (tmp_path / name).write_bytes(text)
    run_cli("check", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    for name, text in cases.items():
        assert (tmp_path / name).read_bytes() == text, name


def test_bom_is_kept_and_noqa_on_every_line_means_nothing_to_do(tmp_path):
    path = tmp_path / "bom.ipynb"
    path.write_bytes(b"\xef\xbb\xbf" + TORCH_NOTEBOOK)
    run_cli("check", "--fix", "--unsafe-fixes", "bom.ipynb", cwd=tmp_path)
    assert path.read_bytes() == b"\xef\xbb\xbf" + TORCH_FIXED
    quiet = TORCH_NOTEBOOK.replace(b"\\n\"", b"  # ml-seclint: ignore demo\\n\"")
    path.write_bytes(quiet)
    proc = run_cli("check", "--fix", "--unsafe-fixes", "--show-suppressed", "bom.ipynb", cwd=tmp_path)
    assert path.read_bytes() == quiet and "Fixed" not in proc.stdout


def test_write_failure_keeps_the_notebook_and_reports(tmp_path, monkeypatch):
    import builtins

    from ml_seclint.fix import notebook as module
    from ml_seclint.frontends.runner import Task, check_file

    def refuse(file, mode="r", *args, **kwargs):
        if "w" in mode:
            raise PermissionError(13, "Permission denied")
        return builtins.open(file, mode, *args, **kwargs)

    monkeypatch.setattr(module, "open", refuse, raising=False)
    path = tmp_path / "train.ipynb"
    path.write_bytes(TORCH_NOTEBOOK)
    result = check_file(Task(str(path), SETTINGS, fix=True, unsafe_fixes=True))
    assert path.read_bytes() == TORCH_NOTEBOOK and result.fixed == [] and result.diff == ""
    assert [f.code for f in result.findings] == ["MLS107", "MLS102", "MLS102", "MLS402", "MLS000"]
    assert result.findings[-1].message == "fixes not written: Permission denied"


def test_fixed_findings_name_their_cells(tmp_path):
    from ml_seclint.frontends.runner import Task, check_file

    path = tmp_path / "train.ipynb"
    path.write_bytes(TORCH_NOTEBOOK)
    result = check_file(Task(str(path), SETTINGS, fix=True, unsafe_fixes=True, diff=True))
    assert sorted((f.cell, f.line, f.code) for f in result.fixed) == \
        [(4, 2, "MLS107"), (4, 3, "MLS102"), (5, 3, "MLS102"), (6, 1, "MLS402")]
    assert all(f.node is None and f.fix.replacements == {} for f in result.fixed)
    assert path.read_bytes() == TORCH_NOTEBOOK and "WANDB_API_KEY" in result.diff
