"""The cheap `ast` stage before libcst (engine/prescreen.py) never loses a finding: every checks/
file (in tests/test_checks.py), generated variants of them, and hand-written variants of the ways a
call can be spelled give the same findings with and without it; files with no candidate never
reach libcst."""
from __future__ import annotations

import ast
import json
import re
import sys

import pytest

import ml_seclint.engine.lint as lint
from ml_seclint.engine.config import Settings
from ml_seclint.engine.lint import LIBCST, NAMES, TEXT, lint_source
from ml_seclint.engine.prescreen import ANYTHING, Names, screen
from ml_seclint.engine.registry import RULES
from ml_seclint.frontends.flake8_plugin import Flake8Plugin
from ml_seclint.inputs.notebooks import check_notebook_data
from ml_seclint.frontends.runner import Task

from helpers import CHECKS, shape

CHECK_FILES = sorted(p for p in CHECKS.glob("MLS*.py"))


def both_ways(source: str, path: str = "variant.py", settings: Settings = None) -> tuple[list, list, str]:
    settings = settings or Settings()
    screened = lint_source(source, path, settings, check_syntax=True)
    full = lint_source(source, path, settings, check_syntax=True, prescreen=False)
    return shape(screened.findings), shape(full.findings), screened.stage


# every checks/ file itself: tests/test_checks.py test_engine_without_the_cheap_stage (it shares
# the lints of test_engine)


# -- generated variants of every check file ------------------------------------------------------

_IMPORT = re.compile(r"^import ([A-Za-z_][\w.]*)$", re.M)


def _aliased(source: str) -> str:
    """`import torch` -> `import torch as _m_torch`, every `torch.` after it renamed."""
    for module in sorted(set(_IMPORT.findall(source)), key=len, reverse=True):
        alias = "_m_" + module.replace(".", "_")
        source = re.sub(rf"^import {re.escape(module)}$", f"import {module} as {alias}", source, flags=re.M)
        source = re.sub(rf"(?<![\w.]){re.escape(module)}\.", f"{alias}.", source)
    return source


def _rebound(source: str) -> str:
    """Every imported module also assigned (`torch = torch`): the stage must treat it as anything."""
    modules = sorted({m.split(".")[0] for m in _IMPORT.findall(source)})
    return source + "".join(f"\n{m} = {m}" for m in modules) + "\n"


def _in_function(source: str) -> str:
    """The whole module as a function body: every import becomes local."""
    return "def _wrapped():\n" + "".join("    " + line if line.strip() else line
                                         for line in source.splitlines(True)) + "\n    pass\n"


def _star_imports(source: str) -> str:
    return "from os import *\n" + source


def _notebook(source: str) -> bytes:
    """The file as a notebook, one code cell per blank-line-separated block."""
    blocks = [b for b in re.split(r"\n\s*\n", source) if b.strip()]
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
              "source": (b + "\n").splitlines(True)} for b in blocks]
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}).encode()


# two transformations per variant (each keeps what the other tests): half the lint runs of four
VARIANTS = {"aliased_in_function": lambda s: _in_function(_aliased(s)),
            "rebound_star": lambda s: _star_imports(_rebound(s))}
CASES = [(p, v) for p in CHECK_FILES if not p.name.endswith(".fixed.py") for v in VARIANTS]


@pytest.mark.parametrize("path,variant", CASES, ids=[f"{p.stem}-{v}" for p, v in CASES])
def test_generated_variants_same_findings(path, variant):
    source = VARIANTS[variant](path.read_text(encoding="utf-8"))
    with_stage, without, _ = both_ways(source, f"{path.stem}_{variant}.py")
    assert with_stage == without


def _no_screen(tree, rules):
    return list(rules)


@pytest.mark.parametrize("path", [p for p in CHECK_FILES if not p.name.endswith(".fixed.py")],
                         ids=lambda p: p.name)
def test_notebook_variants_same_findings(path, monkeypatch):
    data = _notebook(path.read_text(encoding="utf-8"))
    task = Task(f"{path.stem}.ipynb", Settings())
    screened = check_notebook_data(data, task)
    monkeypatch.setattr(lint, "screen", _no_screen)
    full = check_notebook_data(data, task)
    assert shape(screened.findings) == shape(full.findings)
    assert shape(screened.suppressed) == shape(full.suppressed)


# -- the ways a call can be spelled ----------------------------------------------------------------

SPELLINGS = {
    "from_import_alias": ("from torch import load as L\nL(p)\n", "MLS102"),
    "dotted_import": ("import torch.serialization\ntorch.serialization.load(p)\n", "MLS102"),
    "dotted_import_alias": ("import torch.serialization as ts\nts.load(p)\n", "MLS102"),
    "assigned_function": ("import torch\nx = torch.load\nx(p)\n", "MLS102"),
    "assigned_module": ("import torch\nt = torch\nt.load(p)\n", None),  # the engine does not follow it
    "module_alias_chain": ("import torch as T\nT.hub.load('a/b', 'm')\n", "MLS202"),
    "partial": ("import functools, torch\nf = functools.partial(torch.load, map_location='cpu')\n"
                "f(p, weights_only=False)\n", "MLS102"),
    "partial_from_import": ("from functools import partial\nfrom torch import load\n"
                            "f = partial(load, weights_only=False)\n", "MLS102"),
    "kwargs_dict": ("import numpy as np\nkw = {'allow_pickle': True}\nnp.load(p, **kw)\n", "MLS104"),
    "kwargs_dict_call": ("import numpy as np\nnp.load(p, **dict(allow_pickle=True))\n", "MLS104"),
    "keyword_in_dict_only": ("from transformers import AutoModel\nopts = {'trust_remote_code': True}\n"
                             "AutoModel.from_pretrained('org/m', **opts)\n", "MLS201"),
    "try_import_fallback": ("try:\n    import yaml\nexcept ImportError:\n    yaml = None\n"
                            "yaml.load(s)\n", "MLS107"),
    "from_yaml_alias": ("from yaml import unsafe_load as U\nU(s)\n", "MLS107"),
    "unpickler_subclass": ("import pickle\nclass U(pickle.Unpickler):\n    pass\nU(f).load()\n", "MLS101"),
    "unpickler_alias_subclass": ("from pickle import Unpickler as Base\nclass U(Base):\n    pass\n"
                                 "U(f).load()\n", "MLS101"),
    "tar_object": ("import tarfile\nwith tarfile.open(p) as t:\n    t.extractall(d)\n", "MLS304"),
    "tar_from_import": ("from tarfile import open as topen\nar = topen(p)\nar.extractall(d)\n", "MLS304"),
    "session_method": ("import requests\ns = requests.Session()\ns.get('http://example.com/m.bin')\n",
                       "MLS303"),
    "session_verify": ("import requests\ns = requests.Session()\ns.verify = False\n", "MLS302"),
    "environ_subscript": ("from os import environ\nenviron['CURL_CA_BUNDLE'] = ''\n", "MLS302"),
    "check_hostname": ("import ssl\nctx = ssl.create_default_context()\nctx.check_hostname = False\n",
                       "MLS302"),
    "pipeline_alias": ("from transformers import pipeline as mk\nmk('text-generation', model='gpt2')\n",
                       "MLS203"),
    "hub_download_method": ("from huggingface_hub import HfApi\nHfApi().hf_hub_download('org/m', 'f.bin')\n",
                            "MLS203"),
    "load_dataset_module": ("import datasets\ndatasets.load_dataset('org/data')\n", "MLS203"),
    "method_alias": ("from transformers import AutoModel\nload = AutoModel.from_pretrained\n"
                     "load('org/m', use_safetensors=False)\n", "MLS109"),
    "in_class_body": ("import torch\nclass A:\n    loader = torch.load\n    def f(self, p):\n"
                      "        return self.loader(p)\n", None),
    "in_lambda_default": ("import pickle\nf = lambda d, loads=pickle.loads: loads(d)\n", None),
    "decorator": ("import torch\n@torch.hub.load('a/b', 'm')\ndef f():\n    pass\n", "MLS202"),
    "builtin_eval_like": ("import torch\ndef g(load):\n    return load(p)\n", None),
    "walrus": ("import torch\nif (f := torch.load):\n    f(p)\n", None),  # the engine does not follow it
    "global_rebinding": ("import torch\ndef g():\n    global torch\n    torch = make()\ntorch.load(p)\n",
                         None),
    "shelve": ("import shelve as sh\nsh.open('db')\n", "MLS106"),
    "star_import": ("from pickle import *\nloads(b)\n", None),
    "relative_import": ("from .compat import load\nload(p)\n", None),
    "f_string_call": ("import torch\nx = f'{torch.load(p)}'\n", "MLS102"),
    "secret": ("OPENAI_API_KEY = 'sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z" * 2 + "'\n", None),
}


@pytest.mark.parametrize("name", sorted(SPELLINGS))
def test_spellings_same_findings(name):
    source, code = SPELLINGS[name]
    # every hub download reported (data-only ones too), so the download spellings are findings
    with_stage, without, _ = both_ways(source, settings=Settings(options={"pin-data-downloads": True}))
    assert with_stage == without
    if code is not None:  # the case really is a finding: the comparison is not vacuous
        assert code in {f[5] for f in without}, without


# -- what the stage drops ------------------------------------------------------------------------------

def test_stage_drops_files_without_a_candidate():
    # "torch" and "load" pass the text prefilter; no chain resolves to torch.load
    assert both_ways("import json, torch\njson.load(f)\nmodel = torch.nn.Linear(2, 2)\n")[2] == NAMES
    # the trigger words only in a docstring (the text prefilter cannot tell)
    doc = '"""\n    model = AutoModel.from_pretrained("org/m")\n"""\nimport transformers\n'
    assert both_ways(doc)[2] == NAMES
    assert both_ways("import torch\ntorch.load(p)\n")[2] == LIBCST
    assert both_ways("x = 1\n")[2] == TEXT


def test_names_resolution():
    tree = ast.parse("import numpy as np, json\nfrom torch import hub as H\nfrom . import rel\n"
                     "x = json\nnp.load(a)\njson.load(b)\nH.list(c)\nx.load(d)\nf().load(e)\nlist(g)\n")
    names = Names(tree, frozenset({"load", "list"}))
    assert set(names.chains["load"]) == {("np", ("load",)), ("json", ("load",)), ("x", ("load",)),
                                         (None, ("load",))}
    assert names.resolve("x", ("load",)) is ANYTHING  # x is assigned
    assert names.resolve(None, ("load",)) is ANYTHING  # f().load
    assert names.resolve("np", ("load",)) == {"numpy.load", "builtins.np.load"}
    assert names.resolve("json", ("load",)) == {"json.load", "builtins.json.load"}
    assert "torch.hub.list" in names.resolve("H", ("list",))
    assert names.resolve("list", ()) == {"builtins.list"}
    assert names.resolve("rel", ()) == {"builtins.rel", ".rel"}


def test_screen_per_rule():
    tree = ast.parse("import json\nimport numpy as np\njson.load(f)\nnp.load(g)\n")
    kept = {rule.code for rule in screen(tree, list(RULES.values()))}
    assert "MLS104" in kept and "MLS102" not in kept and "MLS107" not in kept
    assert {"MLS401", "MLS402"} <= kept  # the secrets rules always pass


def test_rules_declare_what_their_visitors_need():
    for code, rule in RULES.items():
        if code in ("MLS401", "MLS402"):
            assert rule.identifiers is None  # every string: no cheap pre-check
        elif code != "MLS001":
            assert rule.identifiers is not None and (rule.identifiers or rule.qualified), code


def test_file_ast_cannot_parse_goes_to_libcst():
    source = "print 'python 2'\nimport torch\ntorch.load(p)\n"
    result = lint_source(source, "old.py", Settings(), check_syntax=True)
    assert result.stage == LIBCST
    assert [f.code for f in result.findings] == ["MLS000"]


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="needs syntax newer than the running Python")
def test_newer_syntax_goes_to_libcst():
    source = "import torch\ntype Alias = int\ntorch.load(p)\n"
    screened, full, stage = both_ways(source)
    assert stage == LIBCST and screened == full
    assert {f[5] for f in full} == {"MLS000", "MLS102"}


def test_flake8_plugin_walks_flake8s_tree():
    """The plugin hands flake8's tree to the cheap stage instead of parsing again: a tree without
    the call means no candidate, whatever the lines say."""
    lines = ["import torch\n", "torch.load(p)\n"]
    found = list(Flake8Plugin(ast.parse("".join(lines)), lines, "a.py").run())
    assert [r[2].split()[0] for r in found] == ["MLS102"]
    assert list(Flake8Plugin(ast.parse("import torch\n"), lines, "a.py").run()) == []
