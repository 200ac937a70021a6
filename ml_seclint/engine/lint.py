"""The one engine behind the flake8 plugin and the CLI.

text prefilter -> guard (size, Python's parser, nesting: engine/guard.py) -> cheap stage (the
rules' names in Python's own `ast`, engine/prescreen.py) -> parse once (libcst) -> one batched
traversal of every enabled rule -> positions (only for files with findings).
"""
from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field
from typing import Optional, Sequence, Union

import libcst as cst

from ml_seclint.analysis.codegen import positions
from ml_seclint.analysis.resolve import STAR_IMPORTED
from ml_seclint.engine import deepstack, guard
from ml_seclint.engine.code_context import apply as apply_context
from ml_seclint.engine.code_context import file_context, rules_for_context, selected
from ml_seclint.engine.config import Settings
from ml_seclint.engine.context import FileContext, ScopeEnter, ScopeLeave
from ml_seclint.engine.finding import Finding, Related, error_finding
from ml_seclint.engine.prescreen import screen
from ml_seclint.engine.registry import RULES
from ml_seclint.engine.rows import RowDispatcher
from ml_seclint.engine.rule import Rule
from ml_seclint.engine.traverse import walk
from ml_seclint.secrets_table import scrub


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    lines: int = 0
    # the parsed tree the findings' nodes belong to (the fixer edits it); never pickled
    module: Optional[cst.Module] = field(default=None, repr=False, compare=False)
    stage: str = ""  # how far the file got: one of STAGES


_STAR_IMPORT = re.compile(r"^[ \t]*from[ \t]+[\w.]+[ \t]+import[ \t]+\*", re.M)

#: the stage a file stopped at: no rule's text triggers; no rule's names in its `ast`; parsed by libcst
TEXT, NAMES, LIBCST = "text", "names", "libcst"
STAGES = (TEXT, NAMES, LIBCST)


def active_rules(text: Union[str, bytes], rules: Sequence[type[Rule]],
                 settings: Optional[Settings] = None) -> list[type[Rule]]:
    """The rules whose triggers occur in the text. Substring and regex tests are far cheaper than
    a parse, and most files of a repository can match none of the rules."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")  # triggers are ASCII; only a yes/no is needed here
    if _STAR_IMPORT.search(text):  # `np.load` after `from m import *` stands for numpy.load
        text += "".join(f"\n{module}" for alias, module in STAR_IMPORTED.items()
                        if re.search(rf"\b{alias}\.", text))
    present: dict[object, bool] = {}

    def has(trigger: object) -> bool:
        if trigger not in present:
            present[trigger] = (trigger in text) if isinstance(trigger, str) \
                else trigger.search(text) is not None  # type: ignore[attr-defined]
        return present[trigger]

    active = []
    for rule in rules:
        for entry in (rule.triggers if settings is None else rule.triggers_for(settings)):
            if all(has(t) for t in (entry if isinstance(entry, tuple) else (entry,))):
                active.append(rule)
                break
    return active


def lint_source(source: Union[str, bytes], path: str, settings: Settings,
                rules: Optional[Sequence[type[Rule]]] = None, *,
                check_syntax: bool = False, tree: Optional[ast.AST] = None,
                prescreen: bool = True) -> FileResult:
    """Lint one module. `rules` defaults to those the settings enable for `path`.

    Never raises for bad input: a file libcst cannot parse, one too large or nested too deeply
    for it (engine/guard.py), or a rule that crashes, becomes an MLS000 finding and every other
    finding is kept. `check_syntax` also reports what the running Python rejects, in files no
    rule applies to as well (the CLI; flake8 does this itself and reports E999). `tree` is
    Python's syntax tree of the source when the caller has one (flake8 does). `prescreen=False`
    skips the cheap stage (only to compare the findings with and without it). Runs with a large
    stack (engine/deepstack.py). Raises guard.NeedsIsolation for a file Python rejects while
    `guard.isolation()` is on.
    """
    return deepstack.call(_lint_in_context, source, path, settings, rules, check_syntax, tree, prescreen)


def _lint_in_context(source: Union[str, bytes], path: str, settings: Settings,
                     rules: Optional[Sequence[type[Rule]]], check_syntax: bool,
                     tree: Optional[ast.AST], prescreen: bool) -> FileResult:
    context = file_context(path, settings)
    if not selected(context, settings):
        return FileResult(path)  # vendored code, unless asked for, and contexts left out by the user
    rules = rules_for_context(settings.rules_for(path) if rules is None else rules, context, settings)
    result = _lint(source, path, settings, rules, check_syntax, tree, prescreen)
    apply_context(result.findings, context, RULES)
    return result


def _lint(source: Union[str, bytes], path: str, settings: Settings, rules: Sequence[type[Rule]],
          check_syntax: bool, tree: Optional[ast.AST], prescreen: bool) -> FileResult:
    result = FileResult(path, stage=TEXT)
    limit = guard.max_file_size(settings)
    if len(source) > limit:
        result.findings.append(error_finding(path, guard.too_large(len(source), limit)))
        return result
    rules = active_rules(source, rules, settings)
    if not rules and not check_syntax:
        return result
    vetting = guard.vet(source, path, tree, measure=False)
    if rules and vetting.tree is not None:
        if prescreen:
            rules = screen(vetting.tree, rules)
            result.stage = NAMES
        if rules:  # libcst will see it: measure the nesting on the same tree
            vetting = guard.vet(source, path, vetting.tree)
    if vetting.refusal is not None:
        line, column, reason = vetting.refusal
        result.findings.append(error_finding(path, reason, line, column))
        return result
    python_error = vetting.python_error
    if not rules and python_error is None:
        return result  # valid Python that no rule can match
    if python_error is not None and guard.isolating():
        raise guard.NeedsIsolation(path)
    tree = vetting.tree = None  # not kept alive while libcst builds its tree
    result.stage = LIBCST
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        # Python's own message and position are clearer when it rejects the file too
        if python_error is not None:
            line, column, reason = python_error
        else:
            line, column, reason = exc.raw_line, exc.raw_column, exc.message
        result.findings.append(error_finding(path, f"syntax error: {reason}", line, column))
        return result
    except Exception as exc:  # noqa: BLE001 - decoding errors, parser bugs
        result.findings.append(error_finding(path, f"{type(exc).__name__}: {exc}"))
        return result
    result.module = module
    if check_syntax and python_error is not None:
        version = ".".join(map(str, sys.version_info[:2]))
        line, column, reason = python_error
        result.findings.append(error_finding(
            path, f"Python {version} cannot compile this file ({reason}); libcst parsed "
                  f"it, so it may use newer syntax: other findings come from libcst alone",
            line, column))
    if not rules:
        return result

    ctx = FileContext(module, path, settings)
    instances = [rule(ctx) for rule in rules]
    try:
        walk(module, [ScopeEnter(ctx), RowDispatcher(ctx, instances), *instances, ScopeLeave(ctx)])
    except RecursionError:
        result.findings.append(error_finding(path, "the file is nested too deeply to analyse"))
    except Exception as exc:  # noqa: BLE001 - never lose the other files' results
        result.findings.append(error_finding(path, f"internal error: {type(exc).__name__}: {exc}"))
    for rule in instances:
        if rule.failed is not None:
            result.findings.append(error_finding(
                path, f"internal error in rule {rule.code} ({rule.name}): "
                      f"{type(rule.failed).__name__}: {rule.failed}; other rules still ran"))
    if ctx.reports:
        try:
            result.findings.extend(_locate(module, ctx, path))
        except Exception as exc:  # noqa: BLE001 - code generation: report it, keep the rest
            result.findings.append(error_finding(
                path, f"internal error while locating findings: {type(exc).__name__}"))
    result.findings.sort(key=lambda f: (f.line, f.column, f.code))
    return result


def _locate(module: cst.Module, ctx: FileContext, path: str) -> list[Finding]:
    """Positions are a full code-generation pass, so they are computed only here (iteratively:
    analysis/codegen.py)."""
    wanted = [node for _, node, *_ in ctx.reports]
    wanted.extend(other for places in ctx.related.values() for other, _ in places)  # a flow's source
    ranges = positions(module, wanted)
    findings: list[Finding] = []
    seen: set[tuple[str, int]] = set()
    outranked = _outranked(ctx.reports)
    for rule, node, message, severity, fix in ctx.reports:
        if (rule.code, id(node)) in seen or (rule.code, id(node)) in outranked:
            continue
        seen.add((rule.code, id(node)))
        where = ranges[node]
        finding = Finding(
            # a message may quote source text (a URL): never a secret in full, whatever the rule
            rule.code, f"{scrub(message)} {rule.suffix()}", where.start.line, where.start.column,
            where.end.line, where.end.column, severity, rule.confidence, path=path, fix=fix,
            node=node)
        related = ctx.related.get((rule.code, id(node)))
        if related:
            places = [ranges[other] for other, _ in related]
            finding.related = tuple(
                Related(p.start.line, p.start.column, p.end.line, p.end.column, scrub(text))
                for p, (_, text) in zip(places, related))
            finding.template = finding.message
            finding.render_related()
        findings.append(finding)
    return findings


def _outranked(reports: list) -> set[tuple[str, int]]:
    """(code, node) reports dropped because a rule the reporting rule `yields_to` reported the
    same node or a node inside it (a key in one part of a concatenated string)."""
    by_code: dict[str, set[int]] = {}
    for rule, node, *_ in reports:
        by_code.setdefault(rule.code, set()).add(id(node))
    dropped: set[tuple[str, int]] = set()
    for rule, node, *_ in reports:
        higher = set().union(*(by_code.get(code, set()) for code in rule.yields_to))
        if higher and not higher.isdisjoint(_subtree(node)):
            dropped.add((rule.code, id(node)))
    return dropped


def _subtree(node: cst.CSTNode) -> set[int]:
    ids, pending = set(), [node]
    while pending:
        current = pending.pop()
        ids.add(id(current))
        pending.extend(current.children)
    return ids
