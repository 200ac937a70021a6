"""The one statement walk shared by the scope table, object tracking and the `global` scan.

`statements(block)` yields the statements of a block in source order, descending into every
block of a compound statement (if/elif/else ladders of any length, for/while/else,
try/except/else/finally, try/except*, with, match/case) with an explicit stack, so no nesting or
ladder length reaches Python's recursion limit. A simple statement line gives its small
statements (`a = 1; b = 2` gives two); a compound statement is yielded before the statements of
its blocks. Function and class bodies are scopes of their own: they are entered only with
`nested=True`.
"""
from __future__ import annotations

from typing import Iterator, Union

import libcst as cst

Statement = Union[cst.BaseSmallStatement, cst.BaseCompoundStatement]
Block = Union[cst.Module, cst.BaseSuite]

_SCOPES = (cst.FunctionDef, cst.ClassDef)


def statements(block: Block, *, nested: bool = False) -> Iterator[Statement]:
    pending: list[cst.CSTNode] = [block]
    while pending:
        node = pending.pop()
        if isinstance(node, (cst.BaseSmallStatement, cst.BaseCompoundStatement)):
            yield node
            if isinstance(node, cst.BaseCompoundStatement) and (nested or not isinstance(node, _SCOPES)):
                pending.extend(reversed(blocks(node)))
        else:  # a module, an indented block, a simple statement line or suite
            pending.extend(reversed(getattr(node, "body", ())))


def blocks(stmt: cst.BaseCompoundStatement) -> list[cst.CSTNode]:
    """The parts of a compound statement that hold statements, in source order. An `elif` is
    the `If` statement itself (its own blocks follow when it is walked)."""
    if isinstance(stmt, cst.Match):
        return [case.body for case in stmt.cases]
    parts: list[cst.CSTNode] = [stmt.body]
    parts.extend(handler.body for handler in getattr(stmt, "handlers", ()))
    orelse = getattr(stmt, "orelse", None)
    if isinstance(orelse, cst.If):
        parts.append(orelse)
    elif orelse is not None:
        parts.append(orelse.body)
    finalbody = getattr(stmt, "finalbody", None)
    if finalbody is not None:
        parts.append(finalbody.body)
    return parts


def pattern_names(pattern: cst.MatchPattern) -> Iterator[cst.Name]:
    """The names a `case` pattern binds (`case Point(x=px) | [*rest] as p`), without recursion."""
    pending: list[cst.CSTNode] = [pattern]
    while pending:
        node = pending.pop()
        if isinstance(node, cst.MatchAs):
            if node.name is not None:
                yield node.name
            if node.pattern is not None:
                pending.append(node.pattern)
        elif isinstance(node, cst.MatchStar):
            if node.name is not None:
                yield node.name
        elif isinstance(node, cst.MatchMapping):
            if node.rest is not None:
                yield node.rest
            pending.extend(element.pattern for element in node.elements)
        elif isinstance(node, cst.MatchClass):
            pending.extend(element.value for element in node.patterns)
            pending.extend(element.pattern for element in node.kwds)
        elif isinstance(node, (cst.MatchSequence, cst.MatchList, cst.MatchTuple)):
            pending.extend(element if isinstance(element, cst.MatchStar) else element.value
                           for element in node.patterns)
        elif isinstance(node, cst.MatchOr):
            pending.extend(element.pattern for element in node.patterns)
