"""A libcst node's children, read from its fields.

libcst's `node.children` runs a visitor that rebuilds the node to collect them: a walk over a
whole module through it spends most of its time constructing nodes it throws away. `children`
here returns the same nodes from the node's dataclass fields, several times faster. They come in
field order, which is source order for the children that can contain a call once the few node
types below are read in libcst's visiting order (a walk finds calls in source order); names,
whitespace and punctuation may come in another order. tests/test_nodes.py compares both with
libcst's `children`.
"""
from __future__ import annotations

import dataclasses
from typing import Iterator

import libcst as cst

#: the types whose field order puts calls out of source order (a decorator after the body, the
#: test of `a if test else b` before `a`), with their fields in libcst's visiting order
_SOURCE_ORDER: dict[type, tuple[str, ...]] = {
    cst.FunctionDef: ("leading_lines", "decorators", "lines_after_decorators", "asynchronous",
                      "whitespace_after_def", "name", "whitespace_after_name", "type_parameters",
                      "whitespace_after_type_parameters", "whitespace_before_params", "params", "returns",
                      "whitespace_before_colon", "body"),
    cst.ClassDef: ("leading_lines", "decorators", "lines_after_decorators", "whitespace_after_class", "name",
                   "whitespace_after_name", "type_parameters", "whitespace_after_type_parameters", "lpar",
                   "bases", "keywords", "rpar", "whitespace_before_colon", "body"),
    cst.IfExp: ("lpar", "body", "whitespace_before_if", "whitespace_after_if", "test",
                "whitespace_before_else", "whitespace_after_else", "orelse", "rpar"),
    cst.ExceptHandler: ("leading_lines", "whitespace_after_except", "type", "name", "whitespace_before_colon",
                        "body"),
    cst.MatchCase: ("leading_lines", "whitespace_after_case", "pattern", "whitespace_before_if",
                    "whitespace_after_if", "guard", "whitespace_before_colon", "body"),
}
_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(kind: type) -> tuple[str, ...]:
    names = tuple(f.name for f in dataclasses.fields(kind))
    first = tuple(n for n in _SOURCE_ORDER.get(kind, ()) if n in names)
    return first + tuple(n for n in names if n not in first)  # a field libcst adds later still counts


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The nodes `node.children` holds (see the module's docstring for their order)."""
    names = _FIELDS.get(type(node))
    if names is None:
        names = _FIELDS[type(node)] = _fields(type(node))
    found: list[cst.CSTNode] = []
    for name in names:
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            found.append(value)
        elif isinstance(value, (list, tuple)):
            found.extend(item for item in value if isinstance(item, cst.CSTNode))
    return found


def calls_in(node: cst.CSTNode) -> Iterator[cst.Call]:
    """Every call under `node` (itself included, nested functions too), in source order."""
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, cst.Call):
            yield current
        pending.extend(reversed(children(current)))
