"""Literal values that never raise and never recurse.

libcst accepts literals that Python rejects (`"\\N{BOGUS}"`, `"\\x4"`, non-ASCII in `b""`, a NUL,
an integer of 5,000 digits), and its `evaluated_value` then raises; an implicit concatenation
(`"a" "b" ...`, a long prompt) is evaluated with one recursive call per part. Here a literal
Python rejects is just not a known value (`None`), for that node alone; `lenient_text` still gives
its characters to whoever scans text (keys in a string Python rejects are keys all the same).
"""
from __future__ import annotations

import ast
import re
import warnings
from typing import Any, Optional, Union

import libcst as cst

# an escape sequence, well-formed or not (a `\N{...}` name is at most a line)
_ESCAPE = re.compile(r"\\(?:N\{[^}\n]{0,200}\}?|x[0-9a-fA-F]{0,2}|u[0-9a-fA-F]{0,4}|U[0-9a-fA-F]{0,8}"
                     r"|[0-7]{1,3}|.)", re.S)


def string_parts(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The SimpleString / FormattedString parts of a (possibly nested) implicit concatenation,
    in source order; any other expression is its own only part."""
    parts: list[cst.BaseExpression] = []
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, cst.ConcatenatedString):
            pending.append(current.right)
            pending.append(current.left)
        else:
            parts.append(current)
    return parts


def concatenations(node: cst.ConcatenatedString) -> list[cst.ConcatenatedString]:
    """`node` and the ConcatenatedString nodes nested in it."""
    found = []
    pending: list[cst.BaseExpression] = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, cst.ConcatenatedString):
            found.append(current)
            pending += [current.left, current.right]
    return found


def _evaluate(text: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "\d": an invalid escape is still a string
        return ast.literal_eval(text)


def literal_error(node: cst.BaseExpression) -> Optional[str]:
    """Why Python rejects a string or number literal (`None` when it accepts it, or `node` is no
    such literal)."""
    for part in string_parts(node):
        if isinstance(part, (cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary)):
            try:
                _evaluate(part.value)
            except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError) as exc:
                return getattr(exc, "msg", None) or f"{type(exc).__name__}: {exc}"
    return None


def string_value(node: cst.BaseExpression, *, lenient: bool = False) -> Union[str, bytes, None]:
    """The value of a string literal or implicit concatenation; None for an f-string part, a mix
    of bytes and str, anything Python rejects, or any other expression. With `lenient`, a literal
    Python rejects gives `lenient_text` instead (for text scans)."""
    if lenient:
        value = string_value(node)
        return lenient_text(node) if value is None else value
    if not isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        return None
    values = []
    for part in string_parts(node):
        if not isinstance(part, cst.SimpleString):
            return None
        try:
            values.append(_evaluate(part.value))
        except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
            return None
    if not values or len({type(v) for v in values}) != 1 or not isinstance(values[0], (str, bytes)):
        return None
    return values[0][:0].join(values)


def lenient_text(node: cst.BaseExpression) -> Optional[str]:
    """The text of a string literal or concatenation: its value when Python accepts it (bytes as
    latin-1), else the characters between the quotes with each escape sequence blanked (same
    length, so nothing runs together). None for f-strings and other expressions."""
    value = string_value(node)
    if value is not None:
        return value.decode("latin-1") if isinstance(value, bytes) else value
    if not isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        return None
    texts = []
    for part in string_parts(node):
        if not isinstance(part, cst.SimpleString):
            return None
        raw = part.raw_value
        texts.append(raw if "r" in part.prefix.lower() else _ESCAPE.sub(lambda m: " " * len(m.group()), raw))
    return "".join(texts)


def number_value(node: cst.BaseExpression) -> Union[int, float, complex, None]:
    """The value of a number literal; None when Python rejects it (an int of 5,000 digits)."""
    if not isinstance(node, (cst.Integer, cst.Float, cst.Imaginary)):
        return None
    try:
        return _evaluate(node.value)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return None
