"""Fixes that rules attach to findings (applied by the CLI's --fix; see docs/fixes.md).

A rule builds a `Fix` from the nodes it visited and passes it to `self.report(node, fix=...)`.
`ml_seclint.fix.fixer` applies it. The helpers below build the common edits of a call's arguments
while keeping the call's layout (one line, one argument per line, trailing commas, comments).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple, Optional, Union

import libcst as cst

SAFE, UNSAFE = "safe", "unsafe"


class TextEdit(NamedTuple):
    """Replace the text from (line, column) to (end_line, end_column) with `text`: 1-based lines,
    0-based code-point columns, end exclusive; start == end inserts. Computed in the worker
    (ml_seclint.fix.edits), where the fix's nodes live, for SARIF, rdjson and the editor."""

    line: int
    column: int
    end_line: int
    end_column: int
    text: str


@dataclass
class Fix:
    """A mechanical edit for one finding.

    `replacements` maps original libcst nodes (by identity) to their new nodes; `imports` lists
    imports the new code needs, as ("module",) or ("module", "name"). `safety` is "safe" when
    the edit preserves behaviour for every correct program, "unsafe" otherwise.
    `unused_imports` lists imports, in the same form, that the edit may leave unused: each is
    removed only if nothing in the module uses it any more.
    """

    title: str
    safety: str
    replacements: dict[Any, Any] = field(default_factory=dict)
    imports: tuple[tuple[str, ...], ...] = ()
    unused_imports: tuple[tuple[str, ...], ...] = ()
    edits: Optional[tuple[TextEdit, ...]] = None  # the fix alone as text edits, when computed

    def detached(self) -> "Fix":
        """The same fix without its libcst nodes (what crosses process boundaries and is shown
        in the output: title, safety and the text edits)."""
        return Fix(self.title, self.safety, {}, self.imports, self.unused_imports, self.edits)


def detached(fix: Any) -> Any:
    """`fix` without libcst nodes, for findings that leave the worker process."""
    method = getattr(fix, "detached", None)
    return method() if method is not None else fix


def applies(fix: Any, unsafe: bool) -> bool:
    """Whether `fix` is applied by `--fix` (safe only) or `--fix --unsafe-fixes`."""
    safety = getattr(fix, "safety", None)
    return safety == SAFE or (unsafe and safety == UNSAFE)


# -- building edits ------------------------------------------------------------------------

_NO_SPACE = cst.SimpleWhitespace("")
Whitespace = Union[cst.SimpleWhitespace, cst.ParenthesizedWhitespace]


def keyword(name: str, value: Union[str, cst.BaseExpression]) -> cst.Arg:
    """`name=value` as an argument (`value` may be source text such as "True")."""
    expr = cst.parse_expression(value) if isinstance(value, str) else value
    return cst.Arg(value=expr, keyword=cst.Name(name),
                   equal=cst.AssignEqual(whitespace_before=_NO_SPACE, whitespace_after=_NO_SPACE))


def _bare_line(ws: cst.ParenthesizedWhitespace, last_line: cst.SimpleWhitespace,
               indent: bool) -> cst.ParenthesizedWhitespace:
    """A line break with no comment, continuing at `last_line`."""
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(newline=ws.first_line.newline), empty_lines=[],
        indent=indent, last_line=last_line)


def _separator(call: cst.Call) -> Whitespace:
    """The whitespace this call puts after the comma between two arguments."""
    args = call.args
    if len(args) >= 2 and isinstance(args[-2].comma, cst.Comma):
        ws = args[-2].comma.whitespace_after
    else:
        ws = call.whitespace_before_args
    if isinstance(ws, cst.ParenthesizedWhitespace):
        return _bare_line(ws, ws.last_line, ws.indent)
    return cst.SimpleWhitespace(" ")


def add_keyword(call: cst.Call, arg: cst.Arg) -> cst.Call:
    """`call` with `arg` appended, laid out like the other arguments:

        f(a)                   -> f(a, k=v)
        f(a,\\n  b)            -> f(a,\\n  b,\\n  k=v)
        f(\\n    a,  # c\\n)  -> f(\\n    a,  # c\\n    k=v,\\n)
    """
    args = list(call.args)
    if not args:
        return call.with_changes(args=[arg])
    last = args[-1]
    sep = _separator(call)
    if isinstance(last.comma, cst.Comma):  # trailing comma: the new argument gets one too
        closing = last.comma.whitespace_after
        if isinstance(closing, cst.ParenthesizedWhitespace) and isinstance(sep, cst.ParenthesizedWhitespace):
            # keep the last argument's own comment; continue at the arguments' indentation
            args[-1] = last.with_changes(comma=last.comma.with_changes(
                whitespace_after=closing.with_changes(indent=sep.indent, last_line=sep.last_line)))
            new_comma = cst.Comma(whitespace_before=_NO_SPACE,
                                  whitespace_after=_bare_line(closing, closing.last_line, closing.indent))
        else:
            args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=sep))
            new_comma = last.comma
        args.append(arg.with_changes(comma=new_comma))
    else:
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=sep), whitespace_after_arg=_NO_SPACE)
        args.append(arg.with_changes(whitespace_after_arg=last.whitespace_after_arg))
    return call.with_changes(args=args)


def _merge(before: Any, closing: Whitespace) -> Whitespace:
    """The whitespace left when an argument between `before` (after the previous comma) and
    `closing` (before the closing parenthesis) is removed. A comment at the end of the removed
    argument's own line goes with it; comments on lines of their own stay."""
    if isinstance(before, cst.ParenthesizedWhitespace):
        if isinstance(closing, cst.ParenthesizedWhitespace):
            return before.with_changes(empty_lines=[*before.empty_lines, *closing.empty_lines],
                                       indent=closing.indent, last_line=closing.last_line)
        if before.first_line.comment is not None or before.empty_lines:
            return before.with_changes(indent=True, last_line=_NO_SPACE)
    return closing


def remove_arg(call: cst.Call, arg: cst.Arg) -> cst.Call:
    """`call` without `arg` (which must be one of its arguments, by identity); the comment on the
    removed argument's line goes with it, the others stay."""
    args = list(call.args)
    index = next(i for i, a in enumerate(args) if a is arg)
    del args[index]
    if not args:
        return call.with_changes(args=[], whitespace_before_args=_NO_SPACE)
    if index < len(args):
        return call.with_changes(args=args)
    prev = args[-1]  # the removed argument was the last one
    before = prev.comma.whitespace_after if isinstance(prev.comma, cst.Comma) else prev.whitespace_after_arg
    if isinstance(arg.comma, cst.Comma):  # keep the trailing-comma style
        closing = arg.comma.whitespace_after
        comma: Any = (prev.comma if isinstance(prev.comma, cst.Comma) else cst.Comma())
        args[-1] = prev.with_changes(comma=comma.with_changes(whitespace_after=_merge(before, closing)))
    else:
        args[-1] = prev.with_changes(comma=cst.MaybeSentinel.DEFAULT,
                                     whitespace_after_arg=_merge(before, arg.whitespace_after_arg))
    return call.with_changes(args=args)


def direct_arg(call: cst.Call, expr: Any) -> Optional[cst.Arg]:
    """The argument of `call` whose value is `expr` (by identity), if it is written in the call
    itself (not in a `**dict` or a `functools.partial` elsewhere)."""
    return next((a for a in call.args if a.value is expr), None)


def rename(expr: cst.BaseExpression, new_name: str, scope: Any, title: str, safety: str) -> Optional[Fix]:
    """A fix making `expr` name `new_name` of the same module instead: `mod.old` -> `mod.new`
    (whatever `mod` is called here), or a name imported with `from mod import old [as x]` ->
    `new`, adding `from mod import new` and dropping the old import if nothing else uses it.
    None when that cannot be done cleanly (an assigned alias, `new` already meaning something
    else in this scope, a relative import)."""
    from ml_seclint.analysis.resolve import qualnames, single_binding
    from ml_seclint.analysis.scopes import IMPORT

    if isinstance(expr, cst.Attribute):
        return Fix(title, safety, {expr.attr: cst.Name(new_name)})
    if not isinstance(expr, cst.Name):
        return None
    _, binding = single_binding(expr, scope)
    if binding is None or binding.kind != IMPORT or not binding.qualname or "." not in binding.qualname:
        return None
    module, old = binding.qualname.rsplit(".", 1)
    if not module or module.startswith("."):
        return None
    meaning = qualnames(cst.Name(new_name), scope)
    if not meaning or not meaning <= {f"builtins.{new_name}", f"{module}.{new_name}"}:
        return None  # `new_name` is a local, or imported from elsewhere
    unused = (module, old) if expr.value == old else (module, old, expr.value)
    return Fix(title, safety, {expr: cst.Name(new_name)}, imports=((module, new_name),),
               unused_imports=(unused,))
