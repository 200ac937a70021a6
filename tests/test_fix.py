"""The fix machinery (ml_seclint/fixer.py) and the MLS1xx fixes, through the fixer API, the file
layer and the real CLI."""
from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import libcst as cst
import pytest

from ml_seclint.engine.config import Settings
from ml_seclint.fix.fixer import MAX_ROUNDS, fix_file, fix_source, fix_text, unified_diff
from ml_seclint.fix.fixes import SAFE, UNSAFE, Fix
from ml_seclint.engine.rule import Rule

from helpers import run_cli, run_cli_process

SETTINGS = Settings()


def fixed(source: str, unsafe: bool = True, **kwargs) -> str:
    return fix_text(textwrap.dedent(source), "t.py", SETTINGS, unsafe, **kwargs).text


# -- MLS1xx fixes: before/after pairs ---------------------------------------------------------

PAIRS = {
    "MLS102 add weights_only": (
        "import torch\nstate = torch.load(p)\n",
        "import torch\nstate = torch.load(p, weights_only=True)\n"),
    "MLS102 alias and from-import": (
        "import torch as T\nfrom torch import load as L\na = T.load(p, map_location='cpu')\nb = L(p)\n",
        "import torch as T\nfrom torch import load as L\n"
        "a = T.load(p, map_location='cpu', weights_only=True)\n"
        "b = L(p, weights_only=True)\n"),
    "MLS102 weights_only=False": (
        "import torch\nstate = torch.load(p, weights_only=False, mmap=True)\n",
        "import torch\nstate = torch.load(p, weights_only=True, mmap=True)\n"),
    "MLS102 constant False": (
        "import torch\nW = False\nstate = torch.load(p, weights_only=W)\n",
        "import torch\nW = False\nstate = torch.load(p, weights_only=True)\n"),
    "MLS102 multi-line with trailing comma and comment": (
        "import torch\nstate = torch.load(\n    path,\n    map_location='cpu',  # on CPU\n)\n",
        "import torch\nstate = torch.load(\n    path,\n    map_location='cpu',  # on CPU\n"
        "    weights_only=True,\n)\n"),
    "MLS102 resolved **kwargs": (
        "import torch\nKW = {'map_location': 'cpu'}\nstate = torch.load(p, **KW)\n",
        "import torch\nKW = {'map_location': 'cpu'}\nstate = torch.load(p, **KW, weights_only=True)\n"),
    "MLS102 partial": (
        "import functools, torch\nload = functools.partial(torch.load, map_location='cpu')\n",
        "import functools, torch\n"
        "load = functools.partial(torch.load, map_location='cpu', weights_only=True)\n"),
    "MLS104 keyword": (
        "import numpy as np\na = np.load(p, allow_pickle=True)\n",
        "import numpy as np\na = np.load(p)\n"),
    "MLS104 keyword in the middle": (
        "import numpy as np\na = np.load(p, allow_pickle=True, mmap_mode='r')\n",
        "import numpy as np\na = np.load(p, mmap_mode='r')\n"),
    "MLS104 positional": (
        "import numpy\na = numpy.load(p, None, True)\nb = numpy.load(p, allow_pickle=False)\n",
        "import numpy\na = numpy.load(p, None, False)\nb = numpy.load(p, allow_pickle=False)\n"),
    "MLS104 multi-line": (
        "import numpy as np\na = np.load(\n    p,\n    allow_pickle=True,  # object arrays\n)\n",
        "import numpy as np\na = np.load(\n    p,\n)\n"),
    "MLS107 yaml.load": (
        "import yaml\ncfg = yaml.load(f)\ndocs = yaml.load_all(f)\n",
        "import yaml\ncfg = yaml.safe_load(f)\ndocs = yaml.safe_load_all(f)\n"),
    "MLS107 module alias kept": (
        "import yaml as y\ncfg = y.load(f)\n",
        "import yaml as y\ncfg = y.safe_load(f)\n"),
    "MLS107 from-import": (
        "from yaml import load\ncfg = load(f)\n",
        "from yaml import safe_load\ncfg = safe_load(f)\n"),
    "MLS107 from-import still used elsewhere": (
        "from yaml import load, dump\ncfg = load(f)\nother = load  # kept\n",
        "from yaml import safe_load, load, dump\ncfg = safe_load(f)\nother = load  # kept\n"),
    "MLS107 Loader keyword": (
        "import yaml\ncfg = yaml.load(f, Loader=yaml.Loader)\n",
        "import yaml\ncfg = yaml.load(f, Loader=yaml.SafeLoader)\n"),
    "MLS107 CLoader positional": (
        "import yaml\ncfg = yaml.load(f, yaml.CLoader)\n",
        "import yaml\ncfg = yaml.load(f, yaml.CSafeLoader)\n"),
    "MLS107 Loader from-import": (
        "from yaml import load, UnsafeLoader\ncfg = load(f, Loader=UnsafeLoader)\n",
        "from yaml import SafeLoader, load\ncfg = load(f, Loader=SafeLoader)\n"),
    "MLS107 unsafe_load and full_load": (
        "import yaml\na = yaml.unsafe_load(f)\nb = yaml.full_load_all(f)\n",
        "import yaml\na = yaml.safe_load(f)\nb = yaml.safe_load_all(f)\n"),
    "MLS109": (
        "from transformers import AutoModel\nm = AutoModel.from_pretrained(name, use_safetensors=False)\n",
        "from transformers import AutoModel\nm = AutoModel.from_pretrained(name)\n"),
    "nested fixes in one statement": (
        "import torch, yaml\nx = torch.load(yaml.load(f))\n",
        "import torch, yaml\nx = torch.load(yaml.safe_load(f), weights_only=True)\n"),
}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_fix_pair(name):
    before, after = PAIRS[name]
    result = fix_text(before, "t.py", SETTINGS, True)
    assert result.text == after
    assert not [f for f in result.remaining if f.fix is not None], result.remaining
    assert fix_text(after, "t.py", SETTINGS, True).text == after  # idempotent


@pytest.mark.parametrize("source", [
    "import yaml\ndef safe_load(x):\n    return x\ncfg = yaml.load(f)\n",  # attribute: still fine
])
def test_attribute_rename_ignores_local_names(source):
    assert "yaml.safe_load(f)" in fixed(source)


@pytest.mark.parametrize("source", [
    # `safe_load` already means something else here: no fix rather than a wrong one
    "from yaml import load\ndef safe_load(x):\n    return x\ncfg = load(f)\n",
    "from yaml import load\nfrom mylib import safe_load\ncfg = load(f)\n",
    # an assigned alias cannot be renamed
    "import yaml\nyl = yaml.load\ncfg = yl(f)\n",
    # the unsafe value sits in a dict: editing it could change other calls
    "import torch\nKW = dict(weights_only=False)\nstate = torch.load(p, **KW)\n",
    "import numpy as np\nKW = {'allow_pickle': True}\na = np.load(p, **KW)\n",
    # a Loader subclass: changing its base is not mechanical
    "import yaml\nclass L(yaml.Loader):\n    pass\ncfg = yaml.load(f, Loader=L)\n",
])
def test_no_fix_offered(source):
    result = fix_text(source, "t.py", SETTINGS, True)
    assert result.text == source
    assert result.remaining and all(f.fix is None for f in result.remaining)


def test_safe_only_applies_safe_fixes():
    source = "import torch, yaml\na = yaml.load(f)\nb = torch.load(p)\n"
    result = fix_text(source, "t.py", SETTINGS, unsafe=False)
    assert result.text == "import torch, yaml\na = yaml.safe_load(f)\nb = torch.load(p)\n"
    assert [f.code for f in result.fixed] == ["MLS107"]
    assert [(f.code, f.fix.safety) for f in result.remaining] == [("MLS102", UNSAFE)]


def test_fix_source_api_for_notebook_cells():
    text, done, remaining = fix_source("import yaml\nyaml.load(s)\n", "nb.ipynb", SETTINGS, False)
    assert text == "import yaml\nyaml.safe_load(s)\n"
    assert [f.code for f in done] == ["MLS107"] and remaining == []


# -- noqa -------------------------------------------------------------------------------------

def test_noqa_suppressed_findings_are_never_fixed():
    source = textwrap.dedent("""\
        import torch
        a = torch.load(p)  # noqa: MLS102
        b = torch.load(  # noqa
            p,
        )
        c = torch.load(p)  # noqa: MLS107
        """)
    result = fix_text(source, "t.py", SETTINGS, True)
    assert result.text == source.replace("c = torch.load(p)", "c = torch.load(p, weights_only=True)")
    assert len(result.suppressed) == 2
    assert fix_text(source, "t.py", SETTINGS, True, disable_noqa=True).text.count("weights_only") == 3


def test_ml_seclint_ignore_comments_are_honoured_too():
    source = ("import torch\na = torch.load(p)  # ml-seclint: ignore[MLS102] trusted local file\n"
              "b = torch.load(p)\n")
    result = fix_text(source, "t.py", SETTINGS, True)
    assert result.text == source.replace("b = torch.load(p)", "b = torch.load(p, weights_only=True)")
    assert [f.line for f in result.suppressed] == [2]


def test_disabled_codes_are_not_fixed():
    source = "import torch\na = torch.load(p)\n"
    settings = Settings(ignore=("MLS102",))
    assert fix_text(source, "t.py", settings, True).text == source


# -- the machinery, with test rules ------------------------------------------------------------

class _TestRule(Rule):
    guideline = "1.3"
    cwe = (20,)
    name = "test"
    summary = message = "test finding"
    triggers = ("",)


class Bump(_TestRule):
    """Every integer literal is a finding whose fix adds one: it never goes away."""
    code = "MLS901"

    def visit_Integer(self, node: cst.Integer) -> None:
        self.report(node, fix=Fix("bump", SAFE, {node: cst.Integer(str(int(node.value) + 1))}))


class DuplicateKeyword(_TestRule):
    """Adds `x=1` to every call of f: the second keyword does not compile."""
    code = "MLS902"

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "f":
            from ml_seclint.fix.fixes import add_keyword, keyword
            self.report(node, fix=Fix("dup", SAFE, {node: add_keyword(node, keyword("x", "1"))}))


class Unparseable(_TestRule):
    code = "MLS903"

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == "bad":
            self.report(node, fix=Fix("break", SAFE, {node: cst.Name("if")}))


class NeedsOs(_TestRule):
    """`KEY = "literal"` -> `KEY = os.environ["KEY"]` with `import os` added where missing."""
    code = "MLS904"

    def visit_Assign(self, node: cst.Assign) -> None:
        target = node.targets[0].target
        if isinstance(target, cst.Name) and target.value == "KEY" \
                and isinstance(node.value, cst.SimpleString):
            new = cst.parse_expression('os.environ["KEY"]')
            self.report(node, fix=Fix("env", UNSAFE, {node.value: new}, imports=(("os",),)))


class Foreign(_TestRule):
    """A buggy rule whose replacement key is not a node of the tree."""
    code = "MLS905"

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == "foreign":
            self.report(node, fix=Fix("nothing", SAFE, {cst.Name("foreign"): cst.Name("x")}))


def test_rounds_are_bounded():
    result = fix_text("x = 0\n", "t.py", SETTINGS, rules=[Bump])
    assert result.text == f"x = {MAX_ROUNDS}\n"
    assert result.rounds == MAX_ROUNDS and len(result.fixed) == MAX_ROUNDS
    assert [f.code for f in result.remaining] == ["MLS901"]


def test_overlapping_fixes_all_land_over_rounds():
    result = fix_text("x = [1, 2, [3]]\n", "t.py", SETTINGS, rules=[Bump], max_rounds=1)
    assert result.text == "x = [2, 3, [4]]\n"  # independent targets go in one round


class _AddKeyword(_TestRule):
    """Adds `<name>=1` to calls of g that lack it."""
    kw = ""

    def visit_Call(self, node: cst.Call) -> None:
        from ml_seclint.fix.fixes import add_keyword, keyword
        if isinstance(node.func, cst.Name) and node.func.value == "g" \
                and not any(a.keyword is not None and a.keyword.value == self.kw for a in node.args):
            self.report(node, fix=Fix(self.kw, SAFE, {node: add_keyword(node, keyword(self.kw, "1"))}))


class AddA(_AddKeyword):
    code, kw = "MLS906", "a"


class AddB(_AddKeyword):
    code, kw = "MLS907", "b"


def test_fixes_of_the_same_node_land_in_successive_rounds():
    result = fix_text("x = g(g())  # keep\n", "t.py", SETTINGS, rules=[AddA, AddB])
    assert result.text == "x = g(g(a=1, b=1), a=1, b=1)  # keep\n"
    assert result.rounds == 4 and len(result.fixed) == 4 and result.remaining == []


def test_outer_fix_wins_and_inner_follows():
    result = fix_text("import torch, yaml\nx = torch.load(yaml.load(f))\n", "t.py", SETTINGS, True)
    assert [f.code for f in result.fixed] == ["MLS102", "MLS107"] and result.rounds == 2


def test_result_that_does_not_compile_leaves_the_file_untouched():
    source = "f(1)\nf(2, x=0)\n"
    result = fix_text(source, "t.py", SETTINGS, rules=[DuplicateKeyword])
    assert result.text == source and result.fixed == []
    assert result.error is not None and result.error.code == "MLS000"
    assert "MLS902" in result.error.message and "cannot compile" in result.error.message
    assert result.error in result.remaining and len(result.remaining) == 3


def test_result_that_does_not_parse_leaves_the_file_untouched():
    source = "bad = 1\n"
    result = fix_text(source, "t.py", SETTINGS, rules=[Unparseable])
    assert result.text == source and result.error is not None
    assert "cannot parse" in result.error.message


def test_source_python_cannot_parse_is_not_fixed():
    source = "import yaml\nx = yaml.load(f)\nprint 'py2'\n"  # libcst rejects it too
    result = fix_text(source, "t.py", SETTINGS)
    assert result.text == source and [f.code for f in result.remaining] == ["MLS000"]


def test_source_that_does_not_compile_only_needs_to_parse():
    source = "import yaml\ndef g():\n    nonlocal zz\ncfg = yaml.load(f)\n"  # ast parses, compile fails
    assert fixed(source) == source.replace("yaml.load", "yaml.safe_load")


def test_source_the_running_python_cannot_parse_is_left_alone(monkeypatch):
    from ml_seclint.fix import fixer

    monkeypatch.setattr(fixer, "_python_error", lambda text, path, compile_: "invalid syntax")
    source = "import yaml\ncfg = yaml.load(f)\n"  # stands in for syntax newer than this Python
    result = fix_text(source, "t.py", SETTINGS)
    assert result.text == source and result.fixed == []
    assert "cannot parse it, so the fixed code could not be verified" in result.error.message


def test_imports_are_added_once():
    result = fix_text('KEY = "abc"\n', "t.py", SETTINGS, True, rules=[NeedsOs])
    assert result.text == 'import os\n\nKEY = os.environ["KEY"]\n'
    source = 'import os\nimport sys\nKEY = "abc"\n'
    assert fix_text(source, "t.py", SETTINGS, True, rules=[NeedsOs]).text == \
        'import os\nimport sys\nKEY = os.environ["KEY"]\n'
    source = '"""Doc."""\nfrom __future__ import annotations\nimport sys\n\nKEY = "abc"\n'
    assert fix_text(source, "t.py", SETTINGS, True, rules=[NeedsOs]).text == \
        '"""Doc."""\nfrom __future__ import annotations\nimport sys\nimport os\n\nKEY = os.environ["KEY"]\n'


@pytest.mark.parametrize("source, expected", [
    # an import after other statements already serves the fix: no second `import os`
    ('pass\nimport os\nKEY = "abc"\n', 'pass\nimport os\nKEY = os.environ["KEY"]\n'),
    ('import sys\nsys.path.insert(0, ".")\nimport os\n\nKEY = "abc"\n',
     'import sys\nsys.path.insert(0, ".")\nimport os\n\nKEY = os.environ["KEY"]\n'),
    ('x = 1\nimport os, sys\nif x:\n    KEY = "abc"\n',
     'x = 1\nimport os, sys\nif x:\n    KEY = os.environ["KEY"]\n'),
    # ... but not one that runs after the edit, one that binds another name or module, one that is
    # conditional, or a name that is also rebound
    ('KEY = "abc"\nimport os\n', 'import os\n\nKEY = os.environ["KEY"]\nimport os\n'),
    ('pass\nimport os.path as os\nKEY = "abc"\n',
     'import os\n\npass\nimport os.path as os\nKEY = os.environ["KEY"]\n'),
    ('pass\nfrom x import os\nKEY = "abc"\n',
     'import os\n\npass\nfrom x import os\nKEY = os.environ["KEY"]\n'),
    ('pass\nif TYPE_CHECKING:\n    import os\nKEY = "abc"\n',
     'import os\n\npass\nif TYPE_CHECKING:\n    import os\nKEY = os.environ["KEY"]\n'),
    ('pass\nimport os\nos = None\nKEY = "abc"\n',
     'import os\n\npass\nimport os\nos = None\nKEY = os.environ["KEY"]\n'),
])
def test_an_import_the_module_already_has_is_not_added_again(source, expected):
    result = fix_text(source, "t.py", SETTINGS, True, rules=[NeedsOs])
    assert result.text == expected and result.error is None


def test_an_existing_import_after_a_statement_serves_the_real_secrets_fix():
    source = ('from openai import OpenAI\nprint("start")\nimport os\n'
              'client = OpenAI(api_key="q7Rt2vXw9LmZ4pKcB8nD")\n')
    assert fixed(source) == source.replace('"q7Rt2vXw9LmZ4pKcB8nD"', 'os.environ["OPENAI_API_KEY"]')


def test_a_fix_whose_nodes_are_not_in_the_tree_is_dropped():
    result = fix_text("foreign = 1\n", "t.py", SETTINGS, rules=[Foreign])
    assert result.text == "foreign = 1\n" and result.error is None


# -- files: bytes, encodings, newlines ---------------------------------------------------------

def _fix_bytes(tmp_path: Path, data: bytes, unsafe: bool = True) -> bytes:
    path = tmp_path / "m.py"
    path.write_bytes(data)
    outcome = fix_file(str(path), SETTINGS, unsafe)
    assert outcome.error is None, outcome.error
    return path.read_bytes()


def test_bom_is_kept(tmp_path):
    data = b"\xef\xbb\xbfimport yaml\n# caf\xc3\xa9\ncfg = yaml.load(f)\n"
    assert _fix_bytes(tmp_path, data) == data.replace(b"yaml.load", b"yaml.safe_load")


def test_crlf_is_kept(tmp_path):
    data = b"import torch\r\n\r\nx = torch.load(\r\n    p,\r\n)\r\ny = 1\n"  # mixed on purpose
    assert _fix_bytes(tmp_path, data) == \
        b"import torch\r\n\r\nx = torch.load(\r\n    p,\r\n    weights_only=True,\r\n)\r\ny = 1\n"


def test_crlf_import_insertion(tmp_path):
    data = b'import sys\r\nKEY = "abc"\r\n'
    path = tmp_path / "m.py"
    path.write_bytes(data)
    result = fix_text(data.decode(), str(path), SETTINGS, True, rules=[NeedsOs])
    assert result.text == 'import sys\r\nimport os\r\n\r\nKEY = os.environ["KEY"]\r\n'


def test_latin1_with_cookie_is_kept(tmp_path):
    text = "# -*- coding: latin-1 -*-\nimport yaml\nNAME = 'Zoë'  # ü\ncfg = yaml.load(f)\n"
    data = text.encode("latin-1")
    assert _fix_bytes(tmp_path, data) == data.replace(b"yaml.load", b"yaml.safe_load")


def test_no_trailing_newline_tabs_and_form_feed(tmp_path):
    data = b"import yaml\n\x0c\nif x:\n\tcfg = yaml.load(f)  # tab\n\tz = 1"
    assert _fix_bytes(tmp_path, data) == data.replace(b"yaml.load", b"yaml.safe_load")


def test_unchanged_file_is_not_rewritten(tmp_path):
    path = tmp_path / "m.py"
    path.write_bytes(b"import torch\nx = torch.load(p)\n")
    before = path.stat().st_mtime_ns
    outcome = fix_file(str(path), SETTINGS, unsafe=False)
    assert not outcome.written and path.stat().st_mtime_ns == before and outcome.diff == ""


def test_unified_diff_applies_with_git(tmp_path):
    old = "import yaml\nx = yaml.load(f)\ny = 2"
    new = fixed(old)
    (tmp_path / "m.py").write_bytes(old.encode())  # write_text(newline=) is Python 3.10+
    patch = unified_diff(old, new, "m.py")
    assert "\\ No newline at end of file" not in patch.split("@@")[2].split("+x")[0]
    proc = subprocess.run(["git", "apply", "-"], input=patch, text=True, cwd=tmp_path, capture_output=True)
    assert proc.returncode == 0, proc.stderr + patch
    assert (tmp_path / "m.py").read_text() == new


# -- CLI -------------------------------------------------------------------------------------

SAMPLE = ("import torch, yaml\nKW = dict(weights_only=False)\ncfg = yaml.load(f)\nstate = torch.load(p)\n"
          "x = torch.load(q, **KW)\n")


def test_cli_fix_writes_safe_fixes_and_reports(tmp_path):
    (tmp_path / "m.py").write_text(SAMPLE)
    proc = run_cli("check", "--fix", ".", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert (tmp_path / "m.py").read_text() == SAMPLE.replace("yaml.load", "yaml.safe_load")
    assert "Fixed 1 finding(s) in 1 file(s); 2 remain." in proc.stdout
    assert "1 finding(s) marked (fix: unsafe) can be fixed with --fix --unsafe-fixes." in proc.stdout
    lines = proc.stdout.splitlines()
    # concise lines: severity after the code, the fix marker last, no guideline suffix
    assert lines[0].startswith("m.py:4:9: MLS102 [high] torch.load() without")
    assert lines[0].endswith("unpickling) (fix: unsafe)")
    assert lines[1].startswith("m.py:5:5: MLS102 [critical] ") and "(fix:" not in lines[1]  # no fix
    assert "MLS107" not in proc.stdout


def test_cli_unsafe_fixes_and_exit_code(tmp_path):
    (tmp_path / "m.py").write_text(SAMPLE.replace("x = torch.load(q, **KW)\n", ""))
    proc = run_cli("check", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Fixed 2 finding(s) in 1 file(s); none remain." in proc.stdout
    assert "weights_only=True" in (tmp_path / "m.py").read_text()


def test_cli_diff_does_not_write(tmp_path):
    (tmp_path / "m.py").write_text(SAMPLE)
    proc = run_cli("check", "--diff", "--unsafe-fixes", ".", cwd=tmp_path)
    assert proc.returncode == 1
    assert (tmp_path / "m.py").read_text() == SAMPLE
    assert proc.stdout.startswith("--- a/m.py\n+++ b/m.py\n")
    assert "+state = torch.load(p, weights_only=True)" in proc.stdout
    assert proc.stderr == "Would fix 2 finding(s) in 1 file(s); 1 finding(s) would remain.\n"
    safe_only = run_cli("check", "--diff", ".", cwd=tmp_path)
    assert safe_only.stderr == ("Would fix 1 finding(s) in 1 file(s); 2 finding(s) would remain.\n"
                                "1 finding(s) with an unsafe fix can be fixed with --fix --unsafe-fixes.\n")
    subprocess.run(["git", "apply", "-"], input=proc.stdout, text=True, cwd=tmp_path, check=True)
    assert (tmp_path / "m.py").read_text() == fixed(SAMPLE)


def test_cli_diff_to_output_file_and_fail_on(tmp_path):
    (tmp_path / "m.py").write_text("import yaml\ncfg = yaml.load(f)\n")
    proc = run_cli("check", "--diff", "--output", "fix.patch", ".", cwd=tmp_path)
    assert proc.returncode == 1 and proc.stdout == ""  # something to fix
    assert "+cfg = yaml.safe_load(f)" in (tmp_path / "fix.patch").read_text()
    assert (tmp_path / "m.py").read_text() == "import yaml\ncfg = yaml.load(f)\n"
    assert run_cli("check", "--fix", ".", cwd=tmp_path).returncode == 0
    assert run_cli("check", "--diff", ".", cwd=tmp_path).returncode == 0  # nothing left


def test_cli_fix_cannot_combine_with_since(tmp_path):
    (tmp_path / "m.py").write_text("x = 1\n")
    proc = run_cli("check", "--fix", "--since", "HEAD", ".", cwd=tmp_path)
    assert proc.returncode == 2 and "cannot be combined with --since" in proc.stderr


def test_cli_fix_then_write_baseline_records_what_remains(tmp_path):
    (tmp_path / "m.py").write_text(SAMPLE)
    proc = run_cli("check", "--fix", "--unsafe-fixes", "--write-baseline", "base.json", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "wrote 1 finding(s) to base.json" in proc.stderr  # only the unfixable one
    assert run_cli("check", "--baseline", "base.json", ".", cwd=tmp_path).returncode == 0


def test_cli_json_carries_fix_availability(tmp_path):
    (tmp_path / "m.py").write_text(SAMPLE)
    proc = run_cli("check", "--format", "json", ".", cwd=tmp_path)
    data = json.loads(proc.stdout)
    fixes = {(f["line"], f["code"]): f["fix"] for f in data["findings"]}
    assert fixes[(3, "MLS107")] == {"available": True, "safety": "safe",
                                    "title": "use safe_load instead of load"}
    assert fixes[(4, "MLS102")] == {"available": True, "safety": "unsafe", "title": "add weights_only=True"}
    assert fixes[(5, "MLS102")] == {"available": False, "safety": None, "title": None}
    assert data["summary"]["fixable"] == {"safe": 1, "unsafe": 1} and data["summary"]["fixed"] == 0
    assert (tmp_path / "m.py").read_text() == SAMPLE  # without --fix nothing is written


def test_cli_fix_in_parallel_workers(tmp_path):
    for i in range(40):
        (tmp_path / f"m{i:02}.py").write_text(SAMPLE)
    proc = run_cli_process("check", "--fix", "--unsafe-fixes", "--jobs", "2", "--format", "json", ".",
                           cwd=tmp_path)
    data = json.loads(proc.stdout)
    assert data["summary"]["fixed"] == 80 and data["summary"]["findings"] == 40
    assert all((tmp_path / f"m{i:02}.py").read_text() == fixed(SAMPLE) for i in range(40))


class Accent(_TestRule):
    code = "MLS908"

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == "cafe":
            self.report(node, fix=Fix("accent", SAFE, {node: cst.Name("café")}))


def test_result_the_file_encoding_cannot_hold_is_not_written(tmp_path):
    path = tmp_path / "m.py"
    path.write_bytes(b"# coding: ascii\ncafe = 1\n")
    outcome = fix_file(str(path), SETTINGS, rules=[Accent])
    assert path.read_bytes() == b"# coding: ascii\ncafe = 1\n" and not outcome.written
    assert "fixes not applied" in outcome.error.message and "ascii" in outcome.error.message
    assert [f.code for f in outcome.result.remaining] == ["MLS908", "MLS000"]
    assert outcome.result.fixed == [] and outcome.diff == ""


def test_write_failure_keeps_the_file_and_reports(tmp_path, monkeypatch):
    import builtins

    from ml_seclint.fix import fixer

    def refuse(file, mode="r", *args, **kwargs):
        if "w" in mode:
            raise PermissionError(13, "Permission denied")
        return builtins.open(file, mode, *args, **kwargs)

    monkeypatch.setattr(fixer, "open", refuse, raising=False)
    path = tmp_path / "m.py"
    path.write_bytes(b"import yaml\ncfg = yaml.load(f)\n")
    outcome = fix_file(str(path), SETTINGS)
    assert path.read_bytes() == b"import yaml\ncfg = yaml.load(f)\n" and not outcome.written
    assert outcome.error.message == "fixes not written: Permission denied"
    assert [f.code for f in outcome.result.remaining] == ["MLS107", "MLS000"]
    assert outcome.result.fixed == []
