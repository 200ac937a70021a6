"""Applying the fixes rules attach to findings (`ml-seclint check --fix / --unsafe-fixes / --diff`).

One round: lint -> drop disabled and `# noqa`-suppressed findings -> keep the findings whose fix
the run allows -> pick fixes whose edited nodes do not overlap (an outer edit wins; the inner one
is found again by the next round's lint) -> one identity-keyed libcst transformer applies their
replacements -> `AddImportsVisitor` adds what they need and `RemoveImportsVisitor` drops imports
they left unused -> the code must still parse with libcst and Python's `ast` (and compile, if the
original did). Rounds repeat until no applicable fix is left, nothing changes, or MAX_ROUNDS.
If any round produces code that does not parse, nothing is applied and an MLS000 finding says why.

Everything works on text (`fix_text`, `fix_source`; notebooks: ml_seclint/fix/notebook.py);
`fix_file` adds the file handling: the original encoding (cookie or BOM) is used to write back.
Every line the fixes did not change is written back byte for byte, CRLF included: libcst keeps
the bytes outside the edited nodes except whitespace it normalises (a form feed at the start of a
line), and such lines are taken from the original text; a fix that would rewrite one is refused.
A file reached through a symlink is written only when its target is inside the checked paths.
"""
from __future__ import annotations

import ast
import difflib
import io
import os
import re
import sys
import tokenize
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional, Sequence, Union

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor

from ml_seclint.engine.config import Settings
from ml_seclint.engine.finding import Finding, error_finding
from ml_seclint.analysis import codegen
from ml_seclint.engine.guard import parse
from ml_seclint.engine.lint import lint_source
from ml_seclint.fix.fixes import applies
from ml_seclint.engine.rule import Rule
from ml_seclint.engine.results import CheckResult, select_findings

#: upper bound on apply/re-lint rounds per file (nested fixes need one round per level)
MAX_ROUNDS = 10


@dataclass
class FixResult:
    text: str  # the fixed source; the original one when nothing was applied
    fixed: list[Finding] = field(default_factory=list)  # findings whose fix was applied
    remaining: list[Finding] = field(default_factory=list)  # findings of `text` (not suppressed)
    suppressed: list[Finding] = field(default_factory=list)  # `# noqa` findings of `text`
    error: Optional[Finding] = None  # MLS000 when the fixes were not applied (also in remaining)
    rounds: int = 0


def fix_source(text: str, path: str, settings: Settings, unsafe: bool = False,
               ) -> tuple[str, list[Finding], list[Finding]]:
    """(new_text, fixed, remaining) for one module given as a string.

    `unsafe` also applies unsafe fixes. On failure the text comes back unchanged, nothing is
    fixed and `remaining` holds an MLS000 finding saying why.
    """
    result = fix_text(text, path, settings, unsafe)
    return result.text, result.fixed, result.remaining


def fix_text(text: str, path: str, settings: Settings, unsafe: bool = False, *,
             disable_noqa: bool = False, rules: Optional[Sequence[type[Rule]]] = None,
             max_rounds: int = MAX_ROUNDS) -> FixResult:
    current = text
    fixed: list[Finding] = []
    first: Optional[tuple[list[Finding], list[Finding]]] = None
    original_compiles: Optional[bool] = None
    rounds = 0
    while True:
        result = lint_source(current, path, settings, rules, check_syntax=True)
        kept, suppressed = select_findings(result.findings, current, path, settings, disable_noqa)
        if first is None:
            first = (kept, suppressed)
        todo = [f for f in kept if applies(f.fix, unsafe) and getattr(f.fix, "replacements", None)]
        if not todo or result.module is None or rounds >= max_rounds:
            return FixResult(current, fixed, kept, suppressed, rounds=rounds)
        chosen = _select(todo)
        try:
            module, chosen = _apply(result.module, chosen)
            new = _code(module)
            kept_lines = _keep_untouched(current, _code(result.module), new)
        except Exception as exc:  # noqa: BLE001 - a rule built a replacement libcst rejects
            return _failed(text, path, first, chosen, f"{type(exc).__name__}: {exc}")
        if isinstance(kept_lines, int):
            return _failed(text, path, first, chosen, None,
                           f"fixes not applied, the file is unchanged: libcst does not reproduce line "
                           f"{kept_lines} as it is (a form feed or other whitespace it normalises), "
                           f"and a fix would rewrite it")
        new = kept_lines
        if not chosen or new == current:  # the fixes changed nothing: stop rather than loop
            return FixResult(current, fixed, kept, suppressed, rounds=rounds)
        if original_compiles is None:
            original_compiles = _python_error(text, path, compile_=True) is None
            if not original_compiles and _python_error(text, path, compile_=False):
                version = ".".join(map(str, sys.version_info[:2]))
                return _failed(text, path, first, chosen, None,
                               f"fixes not applied, the file is unchanged: Python {version} cannot "
                               f"parse it, so the fixed code could not be verified")
        problem = _verify(new, path, original_compiles)
        if problem:
            return _failed(text, path, first, chosen, problem)
        fixed.extend(chosen)
        current = new
        rounds += 1


def _code(module: cst.Module) -> str:
    try:
        return module.code
    except RecursionError:  # deeply nested: the same code, generated without recursion
        return codegen.code(module)


def _keep_untouched(text: str, roundtrip: str, new: str) -> Union[str, int]:
    """`new` (libcst's code of the fixed module) with every line the fixes did not change taken
    from `text` byte for byte. libcst's code of the unfixed module (`roundtrip`) is `text`
    except where it normalises whitespace (a form feed at the start of a line is dropped): such
    lines come back from `text` when no fix touches them. The number of a line that a fix does
    touch is returned instead: the fix would silently rewrite it."""
    if roundtrip == text:
        return new
    original, normal, fixed = (_LINES.findall(t) for t in (text, roundtrip, new))
    if len(original) != len(normal):
        return 1 + next((i for i, (a, b) in enumerate(zip(original, normal)) if a != b), len(normal))
    merged: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, normal, fixed, autojunk=False).get_opcodes():
        if tag == "equal":
            merged.extend(original[i1:i2])
            continue
        changed = next((k for k in range(i1, i2) if original[k] != normal[k]), None)
        if changed is not None:
            return changed + 1
        merged.extend(fixed[j1:j2])
    return "".join(merged)


def _error(path: str, message: str, line: int = 1, column: int = 0) -> Finding:
    return error_finding(path, message, line, column, prefix="")


def _failed(text: str, path: str, first: Any, chosen: list[Finding], problem: Optional[str],
            message: Optional[str] = None) -> FixResult:
    codes = ", ".join(sorted({f.code for f in chosen}))
    where = min(chosen, key=lambda f: (f.line, f.column))
    error = _error(path, message or f"fixes not applied, the file is unchanged: the fixes of {codes} "
                                    f"gave {problem}; please report this", where.line, where.column)
    kept, suppressed = first
    return FixResult(text, [], sorted([*kept, error], key=lambda f: (f.line, f.column, f.code)),
                     suppressed, error)


# -- choosing non-overlapping fixes ---------------------------------------------------------

class _Collect(cst.CSTVisitor):
    def __init__(self, wanted: set[int]) -> None:
        super().__init__()
        self.wanted = wanted
        self.found: set[int] = set()

    def on_visit(self, node: cst.CSTNode) -> bool:
        if id(node) in self.wanted:
            self.found.add(id(node))
        return True


def _select(todo: list[Finding]) -> list[Finding]:
    """Fixes whose edited nodes neither coincide nor nest; an outer edit is preferred (the inner
    finding is seen again on the re-lint and fixed in the next round)."""
    unique: dict[int, Finding] = {}
    for finding in todo:
        unique.setdefault(id(finding.fix), finding)
    findings = list(unique.values())
    wanted = {id(node) for f in findings for node in f.fix.replacements}
    inside: dict[int, set[int]] = {}  # target -> other targets strictly inside it
    for f in findings:
        for node in f.fix.replacements:
            if id(node) not in inside:
                collector = _Collect(wanted)
                node.visit(collector)
                inside[id(node)] = collector.found - {id(node)}

    def targets(f: Finding) -> set[int]:
        return {id(n) for n in f.fix.replacements}

    def outer_first(f: Finding) -> tuple:
        return (-sum(len(inside[t]) for t in targets(f)), f.line, f.column, f.code)

    chosen: list[Finding] = []
    chosen_targets: set[int] = set()
    covered: set[int] = set()  # the chosen targets and every target inside one of them
    for f in sorted(findings, key=outer_first):
        mine = targets(f)
        within = set().union(*(inside[t] for t in mine))
        if mine & covered or within & chosen_targets:
            continue
        chosen.append(f)
        chosen_targets |= mine
        covered |= mine | within
    return chosen


# -- applying -------------------------------------------------------------------------------

class _Replace(cst.CSTTransformer):
    """Replaces nodes by identity; does not descend into a replaced node."""

    def __init__(self, mapping: dict[int, tuple[cst.CSTNode, Any]]) -> None:
        super().__init__()
        self.mapping = mapping
        self.applied: set[int] = set()

    def on_visit(self, node: cst.CSTNode) -> bool:
        return id(node) not in self.mapping

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        hit = self.mapping.get(id(original_node))
        if hit is not None and hit[0] is original_node:
            self.applied.add(id(original_node))
            return hit[1]
        return updated_node


def _apply(module: cst.Module, chosen: list[Finding]) -> tuple[cst.Module, list[Finding]]:
    while chosen:
        mapping = {id(node): (node, new) for f in chosen for node, new in f.fix.replacements.items()}
        transformer = _Replace(mapping)
        new_module = module.visit(transformer)
        # a fix whose nodes are not all in this tree (a rule bug) is dropped as a whole
        complete = [f for f in chosen if all(id(n) in transformer.applied for n in f.fix.replacements)]
        if len(complete) == len(chosen):
            break
        chosen = complete
    else:
        return module, []
    return _imports(new_module, chosen), chosen


def _import_args(spec: tuple[str, ...]) -> tuple[str, Optional[str], Optional[str]]:
    module, name, asname = (*spec, None, None)[:3]
    return module, name, asname  # type: ignore[return-value]


def _imports(module: cst.Module, chosen: list[Finding]) -> cst.Module:
    needed = [s for f in chosen for s in getattr(f.fix, "imports", ()) if not _bound_before(module, s, f)]
    if needed:
        context = CodemodContext()
        for spec in needed:
            AddImportsVisitor.add_needed_import(context, *_import_args(spec))
        module = AddImportsVisitor(context).transform_module(module)
    unused = [s for f in chosen for s in getattr(f.fix, "unused_imports", ())]
    if unused:
        context = CodemodContext()
        for spec in unused:
            RemoveImportsVisitor.remove_unused_import(context, *_import_args(spec))
        module = RemoveImportsVisitor(context).transform_module(module)
    return module


def _bound_before(module: cst.Module, spec: tuple[str, ...], finding: Finding) -> bool:
    """Whether the module already imports `spec` in a top-level statement that runs before the
    statements holding `finding`'s edits, and binds that name to nothing else at module level.

    AddImportsVisitor only looks at the leading import block: without this, `pass` / `import os`
    / `KEY = "..."` would gain a second `import os` at the top. Dotted module imports
    without an alias (`import a.b`) are left to AddImportsVisitor.
    """
    from ml_seclint.analysis.scopes import IMPORT, Scope

    name, member, asname = _import_args(spec)
    if member is None and asname is None and "." in name:
        return False
    bound = asname or member or name
    qualname = f"{name}.{member}" if member else name
    bindings = Scope(module, None).bindings.get(bound)
    if not bindings or any(b.kind != IMPORT or b.qualname != qualname for b in bindings):
        return False
    wanted = {id(node) for node in finding.fix.replacements.values()}
    first_import: Optional[int] = None
    for index, stmt in enumerate(module.body):
        if first_import is None and isinstance(stmt, cst.SimpleStatementLine) \
                and any(isinstance(small, (cst.Import, cst.ImportFrom)) for small in stmt.body):
            if Scope(cst.Module(body=[stmt]), None).bindings.get(bound):
                first_import = index
                continue
        collector = _Collect(wanted)
        stmt.visit(collector)
        if collector.found:  # the first statement an edit is in
            return first_import is not None
    return False  # the edits were not found: let AddImportsVisitor decide


# -- verifying ------------------------------------------------------------------------------

_FLAGS = getattr(ast, "PyCF_ALLOW_TOP_LEVEL_AWAIT", 0)  # notebook cells may `await` at top level


def _python_error(text: str, path: str, compile_: bool) -> Optional[str]:
    flags = _FLAGS | (0 if compile_ else ast.PyCF_ONLY_AST)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, path, "exec", flags=flags, dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        return getattr(exc, "msg", None) or str(exc)
    except (MemoryError, RecursionError) as exc:
        return type(exc).__name__
    return None


def _verify(text: str, path: str, original_compiles: bool) -> Optional[str]:
    """Why the fixed code is unacceptable, or None."""
    try:
        parse(text)
    except Exception as exc:  # noqa: BLE001
        return f"code libcst cannot parse ({getattr(exc, 'message', exc)})"
    version = ".".join(map(str, sys.version_info[:2]))
    error = _python_error(text, path, compile_=False)
    if error:
        return f"code Python {version} cannot parse ({error})"
    if original_compiles:
        error = _python_error(text, path, compile_=True)
        if error:
            return f"code Python {version} cannot compile ({error})"
    return None


# -- files ----------------------------------------------------------------------------------

@dataclass
class FileFix:
    path: str
    result: Optional[FixResult]  # None when the file could not be read or decoded
    original: str = ""
    diff: str = ""
    written: bool = False
    error: Optional[Finding] = None  # unreadable, undecodable or unwritable file
    rules: Optional[Sequence[type[Rule]]] = field(default=None, repr=False)


def fix_file(path: str, settings: Settings, unsafe: bool = False, *, write: bool = True,
             disable_noqa: bool = False, rules: Optional[Sequence[type[Rule]]] = None,
             roots: Sequence[str] = ()) -> FileFix:
    """Fix one file; with `write` the file is rewritten when it changed (bytes outside the edits,
    the encoding and a BOM are kept), otherwise only the diff is computed. With `roots` (the
    checked directories), a symlink to a file outside them is not written through."""
    from ml_seclint.engine.guard import max_file_size
    from ml_seclint.inputs.sources import decode, read_bytes

    data, problem = read_bytes(path, max_file_size(settings))
    if data is None:
        return FileFix(path, None, error=problem)
    text, problem = decode(data, path)
    if text is None:
        return FileFix(path, None, error=problem)
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    result = fix_text(text, path, settings, unsafe, disable_noqa=disable_noqa, rules=rules)
    outcome = FileFix(path, result, text, rules=rules)
    if result.text == text:
        return outcome
    try:
        if text.encode(encoding) != data:
            raise ValueError(f"the file does not round-trip through its encoding ({encoding})")
        new_data = result.text.encode(encoding)
    except (UnicodeError, ValueError) as exc:
        return _unchanged(outcome, settings, disable_noqa, _error(path, f"fixes not applied: {exc}"))
    secrets = [*secret_findings(text, path, settings), *secret_findings(result.text, path, settings)]
    outcome.diff = redact_diff(unified_diff(text, result.text, path),
                               (*result.fixed, *result.remaining, *result.suppressed, *secrets))
    if write:
        refusal = outside_roots(path, roots)
        if refusal:
            return _unchanged(outcome, settings, disable_noqa, _error(path, refusal))
        try:
            with open(path, "wb") as fh:
                fh.write(new_data)
        except OSError as exc:
            return _unchanged(outcome, settings, disable_noqa,
                              _error(path, f"fixes not written: {exc.strerror or exc}"))
        outcome.written = True
    return outcome


def secret_settings(settings: Settings) -> Settings:
    """`settings` with every MLS4xx rule enabled and nothing else: what a diff must redact does not
    depend on the rules the run selected."""
    import dataclasses

    return dataclasses.replace(settings, select=("MLS4",), ignore=(), per_file_ignores={})


def secret_findings(text: str, path: str, settings: Settings) -> list[Finding]:
    """The MLS4xx findings of `text` (suppressed or not), with their nodes."""
    return lint_source(text, path, secret_settings(settings)).findings


def outside_roots(path: str, roots: Sequence[str]) -> Optional[str]:
    """Why `path` must not be written: it leads (through a symlink) to a file outside every root
    (real paths of the checked directories). None when it may be."""
    if not roots:
        return None
    target = os.path.realpath(path)
    if any(target == root or target.startswith(root.rstrip(os.sep) + os.sep) for root in roots):
        return None
    return (f"fixes not written: the file is a symlink to {target}, outside the checked paths "
            f"(run ml-seclint on that file itself to fix it)")


def _unchanged(outcome: FileFix, settings: Settings, disable_noqa: bool, error: Finding) -> FileFix:
    """The file stays as it was: its own findings (a lint without fixing) plus `error`."""
    result = fix_text(outcome.original, outcome.path, settings, disable_noqa=disable_noqa,
                      rules=outcome.rules, max_rounds=0)
    result.remaining.append(error)
    result.error = error
    outcome.result, outcome.error, outcome.diff = result, error, ""
    return outcome


_LINES = re.compile(r"[^\n]*\n|[^\n]+\Z")


def unified_diff(old: str, new: str, path: str) -> str:
    """A `git apply`-able unified diff (lines split at \\n only, so CR and form feeds stay put)."""
    out = []
    for line in difflib.unified_diff(_LINES.findall(old), _LINES.findall(new), f"a/{path}", f"b/{path}"):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def redact_diff(diff: str, findings: Iterable[Finding], values: Iterable[str] = ()) -> str:
    """A diff is output too: the values MLS4xx found (fixed or not; from the findings' nodes, plus
    `values` found elsewhere, such as a notebook's `%env` lines) and any provider-shaped key are
    shown redacted, even though that keeps the patch from applying to those lines. A value is
    also redacted in its JSON-escaped forms (a notebook's diff is a diff of JSON)."""
    import json

    from ml_seclint.secrets_table import redact, scrub

    from ml_seclint.rules.secrets import secret_values

    for value in sorted({*secret_values(findings), *values}, key=len, reverse=True):
        if len(value) < 8:
            continue
        for form in {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}:
            diff = diff.replace(form, redact(value))
    return scrub(diff)


def check_and_fix(task: Any) -> Any:
    """runner.Task -> runner.CheckResult for `check --fix`: the findings left after fixing."""
    from ml_seclint.fix.fixes import detached

    outcome = fix_file(task.path, task.settings, task.unsafe_fixes, write=not task.diff,
                       disable_noqa=task.disable_noqa, roots=task.roots)
    if outcome.result is None:
        return CheckResult(task.path, [outcome.error] if outcome.error else [])
    result = outcome.result
    for finding in (*result.remaining, *result.suppressed, *result.fixed):
        finding.node = None  # libcst nodes stay in the worker
        finding.fix = detached(finding.fix)
    return CheckResult(task.path, result.remaining, result.suppressed, result.text.count("\n") + 1,
                       fixed=result.fixed, diff=outcome.diff)
