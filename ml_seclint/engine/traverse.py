"""One read-only traversal dispatching to many visitors.

libcst's own `visit_batched` goes through `CSTNode.visit`, which rebuilds every node of the tree
(`_visit_and_replace_children`) even for read-only visitors; on real ML code that costs as much
as the parse. This walker reads the children straight from the dataclass fields instead and
calls the same `visit_<Node>` / `leave_<Node>` methods, so rules are ordinary libcst batchable
visitors. Children are visited in field order, with leading lines and decorators first;
attribute visitors (`visit_<Node>_<attr>`) are not supported. The walk is iterative: code nested
any depth is walked (issue 9).
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Iterable

import libcst as cst

_FIRST = ("leading_lines", "decorators", "lines_after_decorators")
_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(cls: type) -> tuple[str, ...]:
    """The child fields of a node class, last first (children are pushed on a stack)."""
    names = [f.name for f in dataclasses.fields(cls)]
    first = [n for n in _FIRST if n in names]
    result = tuple(reversed(first + [n for n in names if n not in first]))
    _FIELDS[cls] = result
    return result


def walk(module: cst.CSTNode, visitors: Iterable[cst.BatchableCSTVisitor]) -> None:
    visit: dict[str, list[Callable]] = {}
    leave: dict[str, list[Callable]] = {}
    for visitor in visitors:
        for name, method in visitor.get_visitors().items():
            kind, _, node_type = name.partition("_")
            if "_" in node_type:
                raise ValueError(f"attribute visitor {name} is not supported by the engine's walker")
            (visit if kind == "visit" else leave).setdefault(node_type, []).append(method)
    fields = _FIELDS
    node_base = cst.CSTNode
    sequences = (list, tuple)
    # An explicit stack, so no nesting depth reaches the recursion limit. A popped node is
    # visited and its children pushed (last first, so they come off in source order); a node
    # with leave_ methods is first pushed again as a 1-tuple, to be left after its children.
    pending: list = [module]
    pop, push = pending.pop, pending.append
    while pending:
        node = pop()
        if type(node) is tuple:
            node = node[0]
            for method in leave[type(node).__name__]:
                method(node)
            continue
        cls = type(node)
        name = cls.__name__
        methods = visit.get(name)
        if methods:
            for method in methods:
                method(node)
        if name in leave:
            push((node,))
        for field in fields.get(cls) or _fields(cls):
            value = getattr(node, field)
            if isinstance(value, node_base):
                push(value)
            elif value.__class__ in sequences:
                for item in reversed(value):
                    if isinstance(item, node_base):
                        push(item)
