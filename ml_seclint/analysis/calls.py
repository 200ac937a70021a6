"""Cheap pre-checks on calls, before any name resolution.

Most calls in a file are of names a rule does not care about. Checking the *terminal* name of
the callee (`x.extractall` -> "extractall") is a string comparison; only a bare name that is not
itself one of the terminals (`dl(...)` after `from huggingface_hub import hf_hub_download as
dl`) is resolved, and that resolution is cached per call and shared by every rule.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import libcst as cst

if TYPE_CHECKING:  # pragma: no cover
    from ml_seclint.engine.context import FileContext


def terminal(func: cst.BaseExpression) -> Optional[str]:
    """The last name of a callee: `a.b.load` -> "load", `load` -> "load"."""
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return None


def callee_terminal(ctx: "FileContext", node: cst.Call, terminals: frozenset[str]) -> Optional[str]:
    """The terminal name in `terminals` the call may stand for, or None: the attribute name of
    `x.name(...)`, or for a bare name, the name itself or the last part of what it resolves to
    (an aliased import, `functools.partial`)."""
    func = node.func
    if isinstance(func, cst.Attribute):
        return func.attr.value if func.attr.value in terminals else None
    if isinstance(func, cst.Name):
        if func.value in terminals:
            return func.value
        for name in sorted(ctx.call(node).names):
            last = name.rsplit(".", 1)[-1]
            if last in terminals:
                return last
    return None
