"""Positions (libcst's PositionProvider ranges) and code generation without recursion.

libcst generates code, and with it positions, by recursion: every node's `_codegen_impl` calls
`_codegen` on its children, so a module nested a few hundred levels deep (a long prompt built by
implicit concatenation, a long `+` chain or `elif` ladder) exceeds the recursion limit, and on
Python 3.12 no recursion limit is high enough (C recursion there has a fixed bound).

Here the same `_codegen_impl` methods run with an explicit stack: while `CSTNode._codegen` is
swapped for a stand-in that only leaves a placeholder (the child, its keyword arguments, the
indentation at that point), each node generates its own tokens with placeholders for its children,
and the placeholders are expanded one at a time. The token stream is the one libcst would produce,
so the ranges are exactly PositionProvider's (syntactic positions where a node records them, its
whole code otherwise); `code()` is exactly `module.code`. The swap is process-wide while it lasts, so
it is serialised by a lock; the engine generates code only here and in libcst's own codegen, never
both at once.
"""
from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from typing import Any, Iterator, Optional

import libcst as cst
from libcst.metadata import CodePosition, CodeRange
from libcst._nodes.internal import CodegenState

_NEWLINE = re.compile(r"\r\n?|\n")  # as libcst's position provider counts lines
_LOCK = threading.Lock()


class _Child:
    """A child node whose code is generated later, with what its parent gave it."""

    __slots__ = ("node", "kwargs", "indent")

    def __init__(self, node: cst.CSTNode, kwargs: dict, indent: list[str]) -> None:
        self.node, self.kwargs, self.indent = node, kwargs, indent


class _Open:  # a node's syntactic range starts here
    __slots__ = ("node", "start_node", "end_node")

    def __init__(self, node: cst.CSTNode, start_node: Any, end_node: Any) -> None:
        self.node, self.start_node, self.end_node = node, start_node, end_node


class _Close:  # ... and ends here
    __slots__ = ("open",)

    def __init__(self, open_: _Open) -> None:
        self.open = open_


class _End:  # the end of a node's whole code
    __slots__ = ("node",)

    def __init__(self, node: cst.CSTNode) -> None:
        self.node = node


_POP = object()  # Module without a trailing newline: drop the last token


class _State(CodegenState):
    """A CodegenState whose position records become markers in the token stream."""

    @contextmanager
    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: Any = None,
                                  end_node: Any = None) -> Iterator[None]:
        mark = _Open(node, start_node, end_node)
        self.tokens.append(mark)  # type: ignore[arg-type]
        try:
            yield
        finally:
            self.tokens.append(_Close(mark))  # type: ignore[arg-type]

    def pop_trailing_newline(self) -> None:
        self.tokens.append(_POP)  # type: ignore[arg-type]


def _defer(self: cst.CSTNode, state: CodegenState, **kwargs: Any) -> None:
    state.tokens.append(_Child(self, kwargs, list(state.indent_tokens)))  # type: ignore[arg-type]


def generate(module: cst.Module, node: Optional[cst.CSTNode] = None,
             ranges: Optional[dict] = None, until: Optional[set[int]] = None) -> str:
    """The code of `node` (default: the whole module) as libcst generates it; with `ranges`, the
    range of every node is stored there (PositionProvider's ranges, for a whole module). With
    `until` (ids of nodes), generation stops once those nodes are done."""
    remaining = set(until) if until else None
    text: list[str] = []
    line, column = 1, 0
    starts: list[CodePosition] = []
    opened: dict[int, CodePosition] = {}
    pending: list[Any] = [_Child(module if node is None else node, {}, [])]
    with _LOCK:
        original = cst.CSTNode._codegen
        cst.CSTNode._codegen = _defer  # type: ignore[method-assign]
        try:
            while pending:
                item = pending.pop()
                kind = type(item)
                if kind is str:
                    text.append(item)
                    segments = _NEWLINE.split(item)
                    if len(segments) == 1:
                        column += len(item)
                    else:
                        line += len(segments) - 1
                        column = len(segments[-1])
                elif kind is _Child:
                    state = _State(default_indent=module.default_indent,
                                   default_newline=module.default_newline, indent_tokens=item.indent)
                    item.node._codegen_impl(state, **item.kwargs)
                    starts.append(CodePosition(line, column))
                    pending.append(_End(item.node))
                    pending.extend(reversed(state.tokens))
                elif kind is _End:
                    start = starts.pop()
                    if ranges is not None and item.node not in ranges:
                        ranges[item.node] = CodeRange(start, CodePosition(line, column))
                    if remaining is not None:
                        remaining.discard(id(item.node))
                        if not remaining:
                            break
                elif kind is _Open:
                    opened[id(item)] = CodePosition(line, column)
                elif kind is _Close:
                    mark = item.open
                    start = opened.pop(id(mark))
                    if ranges is not None:
                        if mark.start_node is not None:
                            start = ranges[mark.start_node].start
                        end = ranges[mark.end_node].end if mark.end_node is not None \
                            else CodePosition(line, column)
                        ranges[mark.node] = CodeRange(start, end)
                elif item is _POP:
                    if text:
                        text.pop()
        finally:
            cst.CSTNode._codegen = original  # type: ignore[method-assign]
    return "".join(text)


def code(module: cst.Module) -> str:
    """`module.code`, for a module nested any depth."""
    return generate(module)


_EMPTY = cst.Module([])


def code_for_node(node: cst.CSTNode, module: cst.Module = _EMPTY) -> str:
    """`module.code_for_node(node)`, for a node nested any depth."""
    return generate(module, node)


def positions(module: cst.Module, nodes: Optional[list[cst.CSTNode]] = None) -> dict:
    """{node: CodeRange} as PositionProvider computes them: for every node, or for at least
    `nodes` (the code is generated only as far as the last of them)."""
    ranges: dict = {}
    generate(module, ranges=ranges, until={id(n) for n in nodes} if nodes else None)
    return ranges
