"""The fuzzers of tests/test_fuzz.py (issue 9): every input yields findings or MLS000 lines, never an
exception, and a valid file's findings do not change when unrelated valid code is appended.

Two generators: a grammar of valid Python (for the running version) built around the calls the
rules look for, inside the constructs that used to break the engine (match, walrus, async, except*,
PEP 695 generics and type aliases, PEP 701 f-strings, decorators, deep `elif`s and concatenations);
and a mutation fuzzer over the check files of checks/ (bytes cut, repeated, swapped, and odd
characters inserted: brackets, quotes, backslashes, NUL, form feed, U+2028, `\\N{`).

In CI each runs a few seconds (fixed seed). The long run, documented in docs/development.md:

    ML_SECLINT_FUZZ_SECONDS=600 python -m pytest tests/test_fuzz.py -q
"""
from __future__ import annotations

import ast
import os
import re
import sys
import time

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from ml_seclint.engine.config import Settings
from ml_seclint.engine.lint import lint_source
from ml_seclint.frontends.flake8_plugin import Flake8Plugin
from ml_seclint.secrets_table import FORMATS

from helpers import check_files

SECONDS = float(os.environ.get("ML_SECLINT_FUZZ_SECONDS", "0"))
CODE = re.compile(r"^MLS\d{3}$")
KEYS = [f.sample_key() for f in FORMATS]
PY = sys.version_info[:2]
LONGEST = 400 if SECONDS else 120  # chains, concatenations, elif ladders: the long run goes deeper


def _settings(examples: int):
    # CI: a fixed seed. Long run: rounds of fresh random examples (see _run)
    return settings(max_examples=examples if not SECONDS else 20, deadline=None, database=None,
                    derandomize=not SECONDS, suppress_health_check=list(HealthCheck))


def _run(test) -> int:
    """Once (CI), or round after round with a fresh seed until the time is up (long run, rounds
    of 20 examples, so the time limit is kept). Returns the number of rounds."""
    end = time.monotonic() + SECONDS
    test()
    rounds = 1
    while time.monotonic() < end:
        seed(int(time.time_ns() % 2**32))(test)()
        rounds += 1
    return rounds


# -- a grammar of valid Python around risky calls ------------------------------------------------

IMPORTS = ["import torch", "import torch as T", "from torch import load as L", "import pickle",
           "from pickle import loads", "import yaml", "import numpy as np", "import requests",
           "import tarfile", "from transformers import AutoModel", "import os", "import joblib"]
CALLS = ["torch.load(p)", "T.load(p, map_location='cpu')", "L(p, weights_only=False)", "pickle.load(f)",
         "loads(b)", "yaml.load(s)", "np.load(f, allow_pickle=True)", "requests.get(u, verify=False)",
         "requests.get('http://example.com/m.bin')", "tarfile.open(p).extractall()", "joblib.load(p)",
         "AutoModel.from_pretrained('org/model', trust_remote_code=True)", "torch.hub.load('a/b', 'm')",
         "os.environ.setdefault('HF_TOKEN', 'Zq8vR2mT9pLwX4kB')"]
NAMES = st.sampled_from(["x", "y", "p", "f", "s", "u", "b", "load", "cfg", "model", "data"])
STRINGS = st.sampled_from(['"a"', "'b'", '"http://example.com/x"', 'b"bytes"', 'r"\\d+"', '"""doc"""',
                           *[f'"{k}"' for k in KEYS[:6]]])


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


@st.composite
def expressions(draw, depth: int = 0) -> str:
    leaf = draw(st.one_of(st.sampled_from(CALLS), NAMES, STRINGS, st.integers(-5, 10**6).map(str)))
    kind = draw(st.sampled_from(["leaf", "walrus", "concat", "chain", "lambda", "fstring", "comp", "call",
                                 "subscript", "not", "ifexp"]))
    inner = draw(expressions(depth + 1)) if depth < 1 and kind != "leaf" else leaf
    count = draw(st.integers(2, LONGEST))  # long chains and concatenations: deep trees
    if kind == "walrus":
        return f"({draw(NAMES)}_w := {inner})"
    if kind == "concat":
        return "(" + " ".join([draw(STRINGS.filter(lambda s: not s.startswith("b")))] * count) + ")"
    if kind == "chain":
        op = draw(st.sampled_from([" + ", " and ", " or ", " * "]))
        return "(" + op.join([inner] + [leaf] * count) + ")"
    if kind == "lambda":
        return f"(lambda {draw(NAMES)}: {inner})"
    if kind == "fstring":
        quote = '"' if PY >= (3, 12) else "'"  # PEP 701: the same quotes inside
        return f'f"{{{inner if PY >= (3, 12) else draw(NAMES)}}} {{{quote}k{quote}!r:>{{3}}}}"'
    if kind == "comp":
        return f"[{inner} for {draw(NAMES)}_c in range(3) if {draw(NAMES)}]"
    if kind == "call":
        return f"{draw(st.sampled_from(['print', 'f', 'obj.method']))}({inner}, *a, k={leaf}, **kw)"
    if kind == "subscript":
        return f"{draw(NAMES)}[{inner}]"
    if kind == "not":
        return "not " * (count // 4) + inner
    if kind == "ifexp":
        return f"({inner} if {draw(NAMES)} else {leaf})"
    return leaf


@st.composite
def blocks(draw, depth: int = 0) -> list[str]:
    out: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        out += draw(statements(depth))
    return out


@st.composite
def statements(draw, depth: int = 0) -> list[str]:
    expr = draw(expressions())
    name = draw(NAMES)
    if depth >= 2 or draw(st.integers(0, 2)) == 0:
        simple = draw(st.sampled_from(["expr", "assign", "annassign", "augassign", "global", "del", "assert",
                                       "import", "keyassign"]))
        return {
            "expr": [expr],
            "assign": [f"{name} = {expr}"],
            "annassign": [f"{name}: int = {expr}"],
            "augassign": [f"{name} += {expr}"],
            "global": [f"global {name}", f"{name} = {expr}"],
            "del": [f"{name} = 1", f"del {name}"],
            "assert": [f"assert {expr}, 'message'"],
            "import": [draw(st.sampled_from(IMPORTS))],
            "keyassign": [f"api_key = {draw(STRINGS)}"],
        }[simple]
    kinds = ["if", "elifs", "for", "while", "try", "with", "def", "async", "class", "decorated"]
    if PY >= (3, 10):
        kinds.append("match")
    if PY >= (3, 11):
        kinds.append("trystar")
    if PY >= (3, 12):
        kinds += ["generic", "typealias"]
    kind = draw(st.sampled_from(kinds))
    body = draw(blocks(depth + 1))
    other = draw(blocks(depth + 1)) if kind in ("if", "elifs", "for", "try", "trystar", "match") else []
    if kind == "if":
        return [f"if {expr}:", *_indent(body), "else:", *_indent(other)]
    if kind == "elifs":
        ladder = ["if x == 0:", *_indent(body)]
        for number in range(1, draw(st.integers(1, LONGEST))):
            ladder += [f"elif x == {number}:", "    pass"]
        return ladder + ["else:", *_indent(other)]
    if kind == "for":
        return [f"for {name} in {expr}:", *_indent(body), "else:", *_indent(other)]
    if kind == "while":
        return [f"while {expr}:", *_indent(body), "    break"]
    if kind == "try":
        return ["try:", *_indent(body), "except (ValueError, OSError) as err:", *_indent(other),
                "finally:", "    pass"]
    if kind == "trystar":
        return ["try:", *_indent(body), "except* ValueError as group:", *_indent(other)]
    if kind == "with":
        return [f"with open({name}) as fh, {expr} as {name}_ctx:", *_indent(body)]
    if kind == "def":
        return [f"def {name}_fn({name}, *args, key=None, **kwargs):", *_indent(body), f"    return {expr}"]
    if kind == "async":
        return [f"async def {name}_co({name}):", f"    await {name}", *_indent(body),
                f"    async with {name} as {name}_a:", "        pass"]
    if kind == "class":
        return [f"class {name.title()}Model(Base, metaclass=Meta):", *_indent(body)]
    if kind == "decorated":
        return ["@decorator(arg=1)", "@other", f"def {name}_dec():", *_indent(body)]
    if kind == "match":
        return [f"match {expr}:", "    case [1, *rest]:", *_indent(_indent(body)),
                f"    case {{'k': {name}_v, **kw}} | Point(x=0) as {name}_p:", *_indent(_indent(other)),
                "    case _:", "        pass"]
    if kind == "generic":
        return [f"def {name}_gen[T: int, *Ts, **P](arg: T) -> T:", *_indent(body), "    return arg"]
    return [f"type {name.title()}Alias[T] = list[T] | {name}"]


@st.composite
def modules(draw) -> str:
    lines = [draw(st.sampled_from(IMPORTS)) for _ in range(draw(st.integers(0, 4)))]
    lines += draw(blocks())
    source = "\n".join(lines) + "\n"
    try:
        flags = ast.PyCF_ONLY_AST | getattr(ast, "PyCF_ALLOW_TOP_LEVEL_AWAIT", 0)
        compile(source, "fuzz.py", "exec", flags=flags)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        from hypothesis import reject

        reject()
    return source


UNRELATED = ("\n\ndef _fuzz_unrelated(value):\n    total = 0\n    for item in value:\n"
             "        total += item\n    return total\n\n\nclass _FuzzUnrelated:\n    limit = 3\n")


def _checked(source: str) -> list[tuple[int, int, str]]:
    result = lint_source(source, "fuzz.py", Settings(), check_syntax=True)
    lines = len(re.split(r"\r\n|\r|\n", source))  # as Python (and libcst) count lines
    for finding in result.findings:
        assert CODE.match(finding.code) and finding.message, finding
        assert 1 <= finding.line <= lines and finding.column >= 0, finding
        assert not any(key in finding.message for key in KEYS), finding.message
    return sorted((f.line, f.column, f.code) for f in result.findings)


# What the long run found, kept as regressions: each is valid code that must give no MLS000.
FOUND = [
    # a name bound to a call of itself: call resolution recursed until the recursion limit and
    # switched off every rule that resolves calls (a real pattern: `transform = transform(cfg)`)
    "import torch\ntransform = transform(config)\ntransform(q)\ntorch.load(x)\n",
]


def what_the_long_run_found():
    for source in FOUND:
        assert "MLS000" not in {code for _, _, code in _checked(source)}, source


def generated_valid_python():
    @_settings(6)
    @given(modules())
    def generated(source):
        found = _checked(source)
        errors = [f for f in found if f[2] == "MLS000"]
        assert not errors, (errors, source)  # valid code: nothing the engine could not check
        assert _checked(source + UNRELATED) == found, source

    _run(generated)


# -- mutations of the check files ------------------------------------------------------------

SEEDS = [path.read_text(encoding="utf-8") for path in check_files()]
ODD = ["(", ")", "[", "{", "}", '"', "'", '"""', "\\", "\\N{", "\x00", "\x0c", "\u2028", "\t", "\r",
       ":", "match x:\n    case 1:\n", "elif", "  ", "\n", "#", "# noqa", "\xff", "é", "f'{", "lambda:"]


@st.composite
def mutants(draw) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 6))):
        where = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "repeat", "swap", "truncate"]))
        if kind == "insert":
            text = text[:where] + draw(st.sampled_from(ODD)) * draw(st.integers(1, 40)) + text[where:]
        elif kind == "delete":
            text = text[:where] + text[where + draw(st.integers(1, 200)):]
        elif kind == "repeat":
            piece = text[where:where + draw(st.integers(1, 80))]
            text = text[:where] + piece * draw(st.integers(1, 50)) + text[where:]
        elif kind == "swap":
            lines = text.split("\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        else:
            text = text[:where]
    return text


def mutated_check_files():
    @_settings(40)
    @given(mutants())
    def mutated(text):
        _checked(text)
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return  # flake8 reports E999 and does not run the plugin
        lines = text.splitlines(keepends=True)
        for line, column, message, _ in Flake8Plugin(tree, lines, "fuzz.py").run():
            assert line >= 1 and column >= 0 and CODE.match(message.split()[0]), message

    _run(mutated)
