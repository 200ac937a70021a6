"""Small libcst edits that fixes are built from, keeping the call's own layout (commas,
trailing commas, one argument per line)."""
from __future__ import annotations

import libcst as cst


def remove_arg(call: cst.Call, arg: cst.Arg) -> cst.Call:
    """`call` without `arg` (compared by identity)."""
    args = list(call.args)
    index = next(i for i, a in enumerate(args) if a is arg)
    del args[index]
    if args and index == len(args):
        # the removed argument was the last: its comma (none, or a trailing one) moves back
        args[-1] = args[-1].with_changes(comma=arg.comma)
    return call.with_changes(args=args)


def add_keyword(call: cst.Call, keyword: str, value: cst.BaseExpression) -> cst.Call:
    """`call` with `keyword=value` appended after the last argument."""
    new = cst.Arg(value=value, keyword=cst.Name(keyword),
                  equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                        whitespace_after=cst.SimpleWhitespace("")))
    args = list(call.args)
    if args and isinstance(args[-1].comma, cst.Comma):
        # a trailing comma (one argument per line): the new argument takes the line layout
        previous = args[-2].comma if len(args) > 1 else cst.Comma(
            whitespace_after=call.whitespace_before_args)
        new = new.with_changes(comma=args[-1].comma)
        args[-1] = args[-1].with_changes(comma=previous)
    args.append(new)
    return call.with_changes(args=args)
