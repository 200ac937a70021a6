"""Statement blocks of a function body, walked without recursion (any nesting depth), for the
dataflow layer. Handles every compound statement: if/elif/else, for/while (also async), with (also
async), try/except/else/finally, try/except*, match/case."""
from __future__ import annotations

from typing import Any, Iterable, Optional

import libcst as cst


def body_of(node: cst.CSTNode) -> Optional[list]:
    if isinstance(node, cst.Module):
        return list(node.body)
    if isinstance(node, cst.FunctionDef):
        return block(node.body)
    return None


def block(suite: Any) -> list:
    """The statements of an indented block or of `if x: a; b` on one line."""
    if isinstance(suite, cst.SimpleStatementSuite):
        return [suite]  # walked like a SimpleStatementLine: both hold small statements
    return list(getattr(suite, "body", ()))


def always_exits(suite: Any) -> bool:
    """The block ends in return, raise, continue or break (on every path of a final if/else)."""
    statements = block(suite)
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
        return any(isinstance(s, (cst.Return, cst.Raise, cst.Continue, cst.Break)) for s in last.body)
    if isinstance(last, cst.If) and last.orelse is not None and not isinstance(last.orelse, cst.If):
        return always_exits(last.body) and always_exits(last.orelse.body)
    return False


def all_statements(body: Iterable[cst.CSTNode]) -> Iterable[cst.CSTNode]:
    """Every small statement and compound statement below `body`, nested functions included
    (iterative: any nesting depth)."""
    pending = list(body)
    while pending:
        stmt = pending.pop()
        if isinstance(stmt, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            yield from stmt.body
            continue
        yield stmt
        if isinstance(stmt, cst.BaseCompoundStatement):
            pending.extend(block(getattr(stmt, "body", None)))  # a match statement has only cases
            for attr in ("orelse", "finalbody"):
                extra = getattr(stmt, attr, None)
                if isinstance(extra, cst.If):
                    pending.append(extra)
                elif extra is not None:
                    pending.extend(block(extra.body))
            for handler in getattr(stmt, "handlers", ()):
                pending.extend(block(handler.body))
            for case in getattr(stmt, "cases", ()):
                pending.extend(block(case.body))


def captures(pattern: cst.MatchPattern) -> list[str]:
    names = []
    pending: list[Any] = [pattern]
    while pending:
        node = pending.pop()
        if isinstance(node, cst.MatchAs) and node.name is not None:
            names.append(node.name.value)
        elif isinstance(node, cst.MatchStar) and node.name is not None:
            names.append(node.name.value)
        elif isinstance(node, cst.MatchMapping) and node.rest is not None:
            names.append(node.rest.value)
        if isinstance(node, cst.CSTNode):
            pending.extend(c for c in node.children if isinstance(c, cst.CSTNode))
    return names
