"""Sanitising guards: a test whose branch (or whose failure, when the branch exits) makes a
value safe for some sinks. `if cmd not in ALLOWED: raise` (a literal allow-list) cleans `cmd` for
every sink; `if target.is_relative_to(root):` cleans a resolved path for file sinks; `if
urlparse(url).hostname in HOSTS:` cleans `url` for URL fetches; `if x.isdigit():` cleans x.

A fact is (environment key, the sink kinds it becomes clean for, whether the key must hold a
resolved path, the expression to evaluate when the key is not in the environment).
"""
from __future__ import annotations

from typing import Callable

import libcst as cst

from ml_seclint.analysis import llm_api as api
from ml_seclint.analysis.resolve import UNKNOWN, constant, literal, qualnames
from ml_seclint.analysis.scopes import Scope
from ml_seclint.analysis.taint import Value, fixed_host, key_of, root_key

Fact = tuple  # (key, frozenset of sink kinds, needs a resolved path, expression or None)


def facts(test: cst.BaseExpression, scope: Scope,
          evaluate: Callable[[cst.BaseExpression], Value]) -> tuple[list[Fact], list[Fact]]:
    """(facts when `test` is true, facts when it is false)."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        yes, no = facts(test.expression, scope, evaluate)
        return no, yes
    if isinstance(test, cst.BooleanOperation):
        left, right = facts(test.left, scope, evaluate), facts(test.right, scope, evaluate)
        if isinstance(test.operator, cst.And):
            return left[0] + right[0], []
        return [], left[1] + right[1]
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        if isinstance(target.operator, (cst.In, cst.NotIn)) and literal_collection(target.comparator, scope):
            found = member_facts(test.left)
            return (found, []) if isinstance(target.operator, cst.In) else ([], found)
        if isinstance(target.operator, (cst.Equal, cst.NotEqual)):
            for side in (test.left, target.comparator):
                found = _commonpath_facts(side, scope)
                if found:
                    return (found, []) if isinstance(target.operator, cst.Equal) else ([], found)
    if isinstance(test, cst.Call) and isinstance(test.func, cst.Attribute):
        return _method_facts(test, scope, evaluate), []
    return [], []


def _method_facts(test: cst.Call, scope: Scope,
                  evaluate: Callable[[cst.BaseExpression], Value]) -> list[Fact]:
    """`x.isdigit()`, `target.is_relative_to(root)`, `str(target).startswith(str(root))`,
    `url.startswith("https://api.example.com/")`."""
    method = test.func.attr.value  # type: ignore[attr-defined]
    receiver = unwrap_str(test.func.value, scope)  # type: ignore[attr-defined]
    if method in api.CLEAN_TESTS:
        key = key_of(receiver)
        return [(key, frozenset({api.ALL}), False, receiver)] if key else []
    if method not in ("is_relative_to", "startswith"):
        return []
    found: list[Fact] = []
    resolved_here = isinstance(receiver, cst.Call) and is_resolver(receiver, scope)
    root = root_key(receiver)
    if root:
        found.append((root, frozenset({api.PATH}), not resolved_here, None))
    if method == "startswith" and test.args and root:
        prefix = evaluate(test.args[0].value)
        if prefix.full and fixed_host(prefix.head):
            found.append((root, frozenset({api.URL}), False, None))
    return found


def _commonpath_facts(expr: cst.BaseExpression, scope: Scope) -> list[Fact]:
    """`os.path.commonpath([root, target]) == root`."""
    if not (isinstance(expr, cst.Call) and qualnames(expr.func, scope) & {"os.path.commonpath",
                                                                          "os.path.commonprefix"}):
        return []
    found: list[Fact] = []
    for arg in expr.args:
        if isinstance(arg.value, (cst.List, cst.Tuple)):
            for element in arg.value.elements:
                key = root_key(element.value)
                if key:
                    found.append((key, frozenset({api.PATH}), True, None))
    return found


_COLLECTIONS = frozenset({"builtins.set", "builtins.frozenset", "builtins.tuple", "builtins.list"})


def literal_collection(expr: cst.BaseExpression, scope: Scope) -> bool:
    """A literal list/tuple/set/dict of literals, a constant bound to one, `set(...)` /
    `frozenset(...)` of one, or `.keys()` of one: a fixed allow-list."""
    expr, scope = constant(expr, scope)
    if isinstance(expr, cst.Call):
        func = expr.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("keys", "values") and not expr.args:
            return literal_collection(expr.func.value, scope)
        if len(expr.args) == 1 and qualnames(func, scope) & _COLLECTIONS:
            return literal_collection(expr.args[0].value, scope)
        return False
    if isinstance(expr, cst.Dict):
        return all(isinstance(e, cst.DictElement) and literal(e.key, scope) is not UNKNOWN
                   for e in expr.elements)
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        return all(not isinstance(e, cst.StarredElement) and literal(e.value, scope) is not UNKNOWN
                   for e in expr.elements)
    return False


def member_facts(left: cst.BaseExpression) -> list:
    """`x in ALLOWED` cleans x; `urlparse(u).hostname in HOSTS` cleans u for URLs;
    `cmd.split()[0] in PROGRAMS` cleans cmd's program."""
    key = key_of(left)
    if key is not None:
        return [(key, frozenset({api.ALL}), False, left)]
    kinds: set[str] = set()
    node = left
    root = None
    for _ in range(8):
        if isinstance(node, cst.Attribute):
            if node.attr.value in ("hostname", "netloc", "host"):
                kinds.add(api.URL)
            node = node.value
        elif isinstance(node, cst.Subscript):
            kinds.add(api.ARGV)
            node = node.value
        elif isinstance(node, cst.Call):
            if isinstance(node.func, cst.Attribute) and node.func.attr.value not in ("split",):
                node = node.func.value
            elif isinstance(node.func, cst.Attribute):
                node = node.func.value
            elif node.args:
                node = node.args[0].value
            else:
                break
        elif isinstance(node, cst.Name):
            root = node.value
            break
        else:
            break
    return [(root, frozenset(kinds), False, None)] if root and kinds else []


def unwrap_str(expr: cst.BaseExpression, scope: Scope) -> cst.BaseExpression:
    while isinstance(expr, cst.Call) and expr.args \
            and qualnames(expr.func, scope) & {"builtins.str", "os.fspath"}:
        expr = expr.args[0].value
    return expr


def is_resolver(expr: cst.Call, scope: Scope) -> bool:
    if isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "resolve":
        return True
    return bool(qualnames(expr.func, scope) & api.RESOLVERS)
