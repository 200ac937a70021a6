"""Code that runs only after an explicit opt-in: the library did the right thing.

A load is *opted in* when, in the function (or module) that holds it,
- it sits in the body of an `if` whose test names an opt-in (`if allow_dangerous_deserialization:`,
  `if envs.VLLM_ALLOW_INSECURE_SERIALIZATION:`, `if not ssl_verify:` for a verification switch), or
- an earlier statement of an enclosing block refuses (raises) or returns without it:
  `if not allow_dangerous_deserialization: raise ValueError(...)`,
  `if not _is_pickle_loading_allowed(): raise ...`, `if safe_mode: raise ...`,
  `if ssl_config is not False: return ssl_config`;
- or it is the `except TypeError:` fallback of a `try` that passes `weights_only` (torch builds
  older than the argument).

An opt-in is a name that says so: `allow`, `dangerous`, `insecure`, `unsafe`, `trust`, `opt_in`,
`code_exec`, `code_load`, `pickle_loading`; or a safety switch turned off: `safe_mode`, `verify`,
`ssl` — in the test itself or in what a name it tests was assigned once in the function
(`shared = get_ssl_configuration()`). Such a finding belongs at the caller that opts in (MLS110
reports `allow_dangerous_deserialization=True`). Only the enclosing function is read: a guard in a
caller is not seen.
"""
from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from ml_seclint.analysis.codegen import code_for_node
from ml_seclint.analysis.nodes import children
from ml_seclint.analysis.resolve import calls_by_name
from ml_seclint.analysis.scopes import Scope

#: names of switches that turn the dangerous thing on, and of switches that keep it safe
OPT_IN = re.compile(r"allow|dangerous|insecure|unsafe|trust|opt_?in|code_exec|code_load|pickle_loading", re.I)
SAFETY = re.compile(r"safe_mode|verify|ssl", re.I)


def opted_in(node: cst.CSTNode, scope: Scope) -> Optional[str]:
    """The code of the opt-in guarding `node`, which is in `scope`, or None: a guard in the
    function itself, in the `__init__` of its class (a constructor that refuses without the
    opt-in), or around every call of a private function of the module (`_load(...)` called only
    behind `if not allow_x: raise`)."""
    root = scope.node
    memo = _memo(scope)
    found = _guard_in(node, root, memo)
    if found is not None or not isinstance(root, cst.FunctionDef):
        return found
    parent = scope.parent
    if parent is not None and isinstance(parent.node, cst.ClassDef):
        init = next((s for s in _body(parent.node) if isinstance(s, cst.FunctionDef)
                     and s.name.value == "__init__"), None)
        if init is not None and root is not init:
            values, _ = _facts(init, memo)
            for stmt in _body(init):
                if isinstance(stmt, cst.If) and _refuses(stmt, values):
                    return f"{_code(stmt.test)} in __init__"
        return None
    name = root.name.value
    if parent is not None and parent.kind == "module" and name.startswith("_"):
        # plain-name calls, each with the function (or the module) holding it
        calls = [(call, function or parent.node) for call, function, _ in calls_by_name(parent).get(name, ())
                 if isinstance(call.func, cst.Name)]
        if calls and all(_guard_in(call, function, memo) for call, function in calls):
            return f"every call of {name}() is behind an opt-in"
    return None


def _body(node: cst.CSTNode) -> list[cst.CSTNode]:
    body = getattr(node, "body", None)
    return list(body.body) if isinstance(body, cst.IndentedBlock) else []


def _memo(scope: Scope) -> dict[int, tuple[cst.CSTNode, dict[str, str], dict[int, cst.CSTNode]]]:
    """Per lint (kept on the module's scope, like roundtrip's caches): what `_facts` found for
    each function read, so a file with many findings reads each function once, not once each."""
    return scope.module().__dict__.setdefault("_guard_facts", {})


def _facts(root: cst.CSTNode, memo: dict) -> tuple[dict[str, str], dict[int, cst.CSTNode]]:
    """`root`'s assigned values and the parent of each node in its body (id -> parent), from one
    walk that does not enter nested functions, classes or lambdas (their own node is included)."""
    hit = memo.get(id(root))
    if hit is None or hit[0] is not root:
        hit = memo[id(root)] = (root, *_read(root))
    return hit[1], hit[2]


def _guard_in(node: cst.CSTNode, root: cst.CSTNode, memo: dict) -> Optional[str]:
    values, parents = _facts(root, memo)
    path = _path(root, node, parents)
    if not path:
        return None
    for parent, child in zip(path, path[1:]):
        if isinstance(parent, cst.If) and child is parent.body and _runs_opted_in(parent.test, values):
            return _code(parent.test)
        if isinstance(parent, cst.Try) and isinstance(child, cst.ExceptHandler) \
                and _catches_type_error(child) and "weights_only" in _code(parent):
            return "the fallback of a try that passes weights_only"
        body = getattr(parent, "body", None)
        if isinstance(body, (list, tuple)):
            for earlier in body:
                if earlier is child:
                    break
                if isinstance(earlier, cst.If) and _refuses(earlier, values):
                    return _code(earlier.test)
                if _checks(earlier):
                    return _code(earlier).strip()
    return None


def _read(root: cst.CSTNode) -> tuple[dict[str, str], dict[int, cst.CSTNode]]:
    """One walk of the function (or module) `root`, not entering the functions, classes and
    lambdas in it: name -> the code assigned to it, for names assigned once (a guard may test
    `shared`, assigned from `get_ssl_configuration()`), and the id of each node -> its parent."""
    found: dict[str, list[str]] = {}
    parents: dict[int, cst.CSTNode] = {}
    pending = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, (cst.Assign, cst.AnnAssign)) and node.value is not None:
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            for target in targets:
                if isinstance(target, cst.Name):
                    found.setdefault(target.value, []).append(_code(node.value))
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) and node is not root:
            continue  # another scope
        found_children = children(node)
        for child in found_children:
            parents.setdefault(id(child), node)
        pending.extend(found_children)
    return {name: codes[0] for name, codes in found.items() if len(codes) == 1}, parents


def _path(root: cst.CSTNode, target: cst.CSTNode, parents: dict[int, cst.CSTNode]) -> list[cst.CSTNode]:
    """The nodes from `root` down to `target` (both included), or [] when it is not inside."""
    path = [target]
    while path[-1] is not root:
        parent = parents.get(id(path[-1]))
        if parent is None:
            return []
        path.append(parent)
    return path[::-1]


def _switch(test: cst.BaseExpression, values: dict[str, str]) -> Optional[str]:
    """"opt-in" or "safety" when the test reads such a switch (itself, or through a name assigned
    once in the function), else None."""
    code = _code(test)
    texts = [code, *(values[n] for n in re.findall(r"[A-Za-z_]\w*", code) if n in values)]
    if any(OPT_IN.search(text) for text in texts):
        return "opt-in"
    if any(SAFETY.search(text) for text in texts):
        return "safety"
    return None


def _negated(test: cst.BaseExpression) -> bool:
    """`not x`, `x is not ...`, `x != ...`, `x is False`, `x is None`, `x == False`."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return True
    if isinstance(test, cst.Comparison):
        for target in test.comparisons:
            if isinstance(target.operator, (cst.IsNot, cst.NotEqual)):
                return True
            if isinstance(target.operator, (cst.Is, cst.Equal)) and isinstance(target.comparator, cst.Name) \
                    and target.comparator.value in ("False", "None"):
                return True
    return False


def _runs_opted_in(test: cst.BaseExpression, values: dict[str, str]) -> bool:
    """The body of `if test:` runs only after an opt-in: `if allow_x:`, `if not verify:`,
    `if url.startswith("wss://") and ssl_context is False:` (any conjunct of an `and`)."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _runs_opted_in(test.left, values) or _runs_opted_in(test.right, values)
    switch = _switch(test, values)
    return (switch == "opt-in" and not _negated(test)) or (switch == "safety" and _negated(test))


def _leaves_unless_opted_in(test: cst.BaseExpression, values: dict[str, str]) -> bool:
    """What follows `if test: raise` runs only after the opt-in: `not allow_x`, `safe_mode`,
    `ssl_config is not False`, or `path.endswith(".pkl") and not allow_pickle`."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _leaves_unless_opted_in(test.left, values) or _leaves_unless_opted_in(test.right, values)
    switch = _switch(test, values)
    return switch is not None and not (switch == "opt-in" and not _negated(test))


_CHECK_CALL = re.compile(r"^\s*[\w.]*(?:check|ensure|assert|require|validate)\w*\(", re.I)


def _checks(stmt: cst.CSTNode) -> bool:
    """`_check_model_code_loading_allowed(...)`: a statement that only calls a check of an opt-in
    (it raises when the opt-in is missing)."""
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1
            and isinstance(stmt.body[0], cst.Expr) and isinstance(stmt.body[0].value, cst.Call)):
        return False
    func = _code(stmt.body[0].value.func)
    return bool(_CHECK_CALL.match(func + "(") and OPT_IN.search(func))


def _refuses(stmt: cst.If, values: dict[str, str]) -> bool:
    """`if not allow_x: raise ...`, `if safe_mode: raise ...`, `if ssl_config is not False: return`:
    the body leaves, so what follows runs only after the opt-in (or with the safety switch off)."""
    if not _leaves_unless_opted_in(stmt.test, values):
        return False
    body = stmt.body
    last = body.body[-1] if body.body else None
    leaves = (cst.Raise, cst.Return)
    if isinstance(last, cst.SimpleStatementLine):
        return any(isinstance(small, leaves) for small in last.body)
    return isinstance(body, cst.SimpleStatementSuite) and any(isinstance(s, leaves) for s in body.body)


def _catches_type_error(handler: cst.ExceptHandler) -> bool:
    return handler.type is not None and "TypeError" in _code(handler.type)


def _code(node: cst.CSTNode) -> str:
    return code_for_node(node)  # iterative: deep expressions do not reach Python 3.12's C limit
