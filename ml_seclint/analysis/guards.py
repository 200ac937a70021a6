"""Code that runs only after an explicit opt-in: the library did the right thing.

A load is *opted in* when, in the function (or module) that holds it,
- it sits in the body of an `if` whose test names an opt-in (`if allow_dangerous_deserialization:`,
  `if envs.VLLM_ALLOW_INSECURE_SERIALIZATION:`, `if not ssl_verify:` for a verification switch), or
- an earlier statement of an enclosing block refuses without it:
  `if not allow_dangerous_deserialization: raise ValueError(...)`,
  `if not _is_pickle_loading_allowed(): raise ...`, `if safe_mode: raise ...`;
- or it is the `except TypeError:` fallback of a `try` that passes `weights_only` (torch builds
  older than the argument).

An opt-in is a name that says so: `allow`, `dangerous`, `insecure`, `unsafe`, `trust`, `opt_in`,
`code_exec`, `code_load`, `pickle_loading`, `safe_mode`, `verify`. Such a finding belongs at the
caller that opts in (MLS110 reports `allow_dangerous_deserialization=True`). Only the enclosing
function is read: a guard in a caller is not seen.
"""
from __future__ import annotations

import re
from typing import Optional

import libcst as cst

OPT_IN = re.compile(r"allow|dangerous|insecure|unsafe|trust|opt_?in|code_exec|code_load|pickle_loading"
                    r"|safe_mode|verify", re.I)
_CODE = cst.Module([])


def opted_in(node: cst.CSTNode, root: cst.CSTNode) -> Optional[str]:
    """The code of the opt-in guarding `node` inside `root` (a function or module), or None."""
    path = _path(root, node)
    if not path:
        return None
    for parent, child in zip(path, path[1:]):
        if isinstance(parent, cst.If) and child is parent.body and _names_opt_in(parent.test):
            return _code(parent.test)
        if isinstance(parent, cst.ExceptHandler) and _catches_type_error(parent):
            continue  # judged with its try below
        if isinstance(parent, cst.Try) and isinstance(child, cst.ExceptHandler) \
                and _catches_type_error(child) and "weights_only" in _code(parent.body):
            return "the try above it passes weights_only"
        body = getattr(parent, "body", None)
        if isinstance(body, (list, tuple)):
            for earlier in body:
                if earlier is child:
                    break
                if isinstance(earlier, cst.If) and _refuses(earlier):
                    return _code(earlier.test)
    return None


def _path(root: cst.CSTNode, target: cst.CSTNode) -> list[cst.CSTNode]:
    """The nodes from `root` down to `target` (both included), or [] when it is not inside."""
    stack: list[tuple[cst.CSTNode, int]] = [(root, 0)]
    path: list[cst.CSTNode] = []
    while stack:
        node, depth = stack.pop()
        del path[depth:]
        path.append(node)
        if node is target:
            return path
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) and node is not root:
            continue  # another scope
        stack.extend((child, depth + 1) for child in reversed(node.children))
    return []


def _names_opt_in(test: cst.BaseExpression) -> bool:
    return bool(OPT_IN.search(_code(test)))


def _refuses(stmt: cst.If) -> bool:
    """`if <opt-in test>: raise ...` (the body ends by raising)."""
    if not _names_opt_in(stmt.test):
        return False
    body = stmt.body
    last = body.body[-1] if body.body else None
    if isinstance(last, cst.SimpleStatementLine):
        return any(isinstance(small, cst.Raise) for small in last.body)
    return isinstance(body, cst.SimpleStatementSuite) and any(isinstance(s, cst.Raise) for s in body.body)


def _catches_type_error(handler: cst.ExceptHandler) -> bool:
    return handler.type is not None and "TypeError" in _code(handler.type)


def _code(node: cst.CSTNode) -> str:
    return _CODE.code_for_node(node)
