"""The cheap stage before libcst: Python's own parser (C, ten times faster than libcst's) and one
walk of its tree for the identifiers the enabled rules declare (`Rule.identifiers`).

A rule can only report a call, assignment or string whose names occur in the code: a qualified
name such as `torch.load` resolves only through an import or attribute chain that spells `load`
(an alias imports the original name, `x = torch.load` and `functools.partial(torch.load, ...)`
spell it too), and a keyword reaches a call as a keyword or a `**{"key": ...}` string. So the
identifiers of a file are every `Name`, `Attribute` name, imported name (each part of a dotted
one), keyword and identifier-like string constant in its `ast`, and a rule whose declared names
are all absent is dropped for the file. Unlike the text prefilter, this does not see docstrings,
comments or string contents. A file that `ast` cannot parse goes to libcst as before (libcst reads
syntax newer than the running Python).
"""
from __future__ import annotations

import ast
import warnings
from typing import TYPE_CHECKING, Optional, Sequence, Union

if TYPE_CHECKING:  # pragma: no cover
    from ml_seclint.engine.rule import Rule


def parse(source: Union[str, bytes], path: str) -> tuple[Optional[ast.AST], Optional[BaseException]]:
    """(tree, None), or (None, the exception) when the running Python cannot parse the source."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences are not our business
            return ast.parse(source, path), None
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        return None, exc


def identifiers(tree: ast.AST) -> set[str]:
    """The names a rule may look for in `tree` (see the module docstring)."""
    names: set[str] = set()
    add = names.add
    name_type, attribute, keyword, alias, constant = ast.Name, ast.Attribute, ast.keyword, ast.alias, \
        ast.Constant
    for node in ast.walk(tree):
        kind = type(node)
        if kind is name_type:
            add(node.id)  # type: ignore[attr-defined]
        elif kind is attribute:
            add(node.attr)  # type: ignore[attr-defined]
        elif kind is constant:
            value = node.value  # type: ignore[attr-defined]
            if type(value) is str and value.isidentifier():
                add(value)
        elif kind is keyword:
            if node.arg:  # type: ignore[attr-defined]
                add(node.arg)  # type: ignore[attr-defined]
        elif kind is alias:
            names.update(node.name.split("."))  # type: ignore[attr-defined]
    return names


def screen(tree: ast.AST, rules: Sequence[type[Rule]]) -> list[type[Rule]]:
    """The rules that may report in `tree`: those declaring no identifiers (they always pass) and
    those with a declared name among the tree's identifiers."""
    if all(rule.identifiers is None for rule in rules):
        return list(rules)
    present = identifiers(tree)
    return [rule for rule in rules if rule.identifiers is None or not present.isdisjoint(rule.identifiers)]
