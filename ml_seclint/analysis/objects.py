"""Objects made by a known call, followed by name within a scope.

`tar = tarfile.open(p)`, `with tarfile.open(p) as tar:`, `self.session = requests.Session()`:
rules that care about *methods called on* such objects (`tar.extractall()`,
`session.verify = False`) ask :func:`created_by` whether a receiver was made by one of a set of
qualified names. Only bindings in the scope that owns the name count (Python's LEGB for plain
names; the current scope for attribute chains such as `self.session`), and only when *every*
binding there is such a call: a name that is also a parameter, a loop variable or assigned
something else is not followed. Nothing here guesses: an unknown receiver is simply not made by X.
"""
from __future__ import annotations

from typing import Optional, Union

import libcst as cst

from ml_seclint.analysis.nodes import calls_in
from ml_seclint.analysis.resolve import qualnames
from ml_seclint.analysis.scopes import ASSIGN, Scope, dotted
from ml_seclint.analysis.statements import statements

#: context managers that hand back the object they wrap: `with closing(tarfile.open(p)) as t`
WRAPPERS = frozenset({"contextlib.closing"})


class _Index:
    """Per scope: the `with ... as NAME` items by the NAME node, and the values assigned to
    attribute chains (`self.session = ...`) by their dotted text."""

    def __init__(self, scope: Scope) -> None:
        self.with_items: dict[int, cst.BaseExpression] = {}
        self.with_statements: dict[int, cst.With] = {}  # by the NAME node too
        self.attributes: dict[str, list[Optional[cst.BaseExpression]]] = {}
        node = scope.node
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            self._block(node.body)
        elif isinstance(node, cst.Module):
            self._block(node)

    def _block(self, block: Union[cst.Module, cst.BaseSuite]) -> None:
        for stmt in statements(block):
            if isinstance(stmt, cst.BaseSmallStatement):
                self._small(stmt)
            elif isinstance(stmt, cst.With):
                for item in stmt.items:
                    target = item.asname.name if item.asname is not None else None
                    if isinstance(target, cst.Name):
                        self.with_items[id(target)] = item.item
                        self.with_statements[id(target)] = stmt
                    elif isinstance(target, cst.Attribute):
                        self._attribute(target, item.item)

    def _small(self, small: cst.BaseSmallStatement) -> None:
        if isinstance(small, cst.Assign):
            for target in small.targets:
                if isinstance(target.target, cst.Attribute):
                    self._attribute(target.target, small.value)
        elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Attribute):
            self._attribute(small.target, small.value)
        elif isinstance(small, cst.AugAssign) and isinstance(small.target, cst.Attribute):
            self._attribute(small.target, None)

    def _attribute(self, target: cst.Attribute, value: Optional[cst.BaseExpression]) -> None:
        key = dotted(target)
        if key is not None:
            self.attributes.setdefault(key, []).append(value)


def _index(scope: Scope) -> _Index:
    index = scope.__dict__.get("_objects")
    if index is None:
        index = scope.__dict__["_objects"] = _Index(scope)
    return index


def enclosing_with_item(name: cst.Name, scope: Scope, inside: cst.CSTNode
                        ) -> Optional[tuple[cst.BaseExpression, Scope]]:
    """For a name bound more than once: the item of the innermost `with <item> as name:` whose body
    holds the call `inside` (`with open(a) as f: load(f)` ... `with open(b, "w") as f:`)."""
    owner, bindings = scope.lookup(name.value)
    if owner is None or owner is not scope:
        return None
    index = _index(owner)
    found: Optional[tuple[cst.BaseExpression, int]] = None
    for binding in bindings:
        stmt = index.with_statements.get(id(binding.node))
        if stmt is None:
            continue
        calls = [id(call) for call in calls_in(stmt.body)]
        if id(inside) in calls and (found is None or len(calls) < found[1]):
            found = (index.with_items[id(binding.node)], len(calls))
    return (found[0], owner) if found is not None else None


def _unwrap(expr: cst.BaseExpression, scope: Scope) -> cst.BaseExpression:
    while isinstance(expr, cst.Call) and expr.args and qualnames(expr.func, scope) & WRAPPERS:
        expr = expr.args[0].value
    return expr


def is_call_to(expr: Optional[cst.BaseExpression], scope: Scope, names: frozenset[str]) -> bool:
    """`expr` is a call of one of `names` (through `contextlib.closing`)."""
    if expr is None:
        return False
    expr = _unwrap(expr, scope)
    return isinstance(expr, cst.Call) and bool(qualnames(expr.func, scope) & names)


def created_by(expr: cst.BaseExpression, scope: Scope, names: frozenset[str]) -> bool:
    """Whether `expr` is an object made by a call to one of `names`: the call itself
    (`tarfile.open(p).extractall()`), a name every binding of which is such a call or
    `with <call> as name`, or an attribute chain (`self.session`) assigned only such calls in
    the current scope."""
    if isinstance(expr, cst.Call):
        return is_call_to(expr, scope, names)
    if isinstance(expr, cst.Name):
        owner, bindings = scope.lookup(expr.value)
        if owner is None or not bindings:
            return False
        index = _index(owner)
        for binding in bindings:
            if binding.kind == ASSIGN:
                value = binding.value
            else:
                value = index.with_items.get(id(binding.node))
            if not is_call_to(value, owner, names):
                return False
        return True
    if isinstance(expr, cst.Attribute):
        key = dotted(expr)
        values = _index(scope).attributes.get(key) if key is not None else None
        return bool(values) and all(is_call_to(v, scope, names) for v in values)  # type: ignore[union-attr]
    return False


def origin(name: cst.Name, scope: Scope) -> Optional[tuple[cst.BaseExpression, Scope]]:
    """What a name is bound to when it has exactly one binding: an assignment's value (a name
    never changed in place), or the item of `with <expr> as name`; with the scope it belongs to."""
    owner, bindings = scope.lookup(name.value)
    if owner is None or len(bindings) != 1:
        return None
    binding = bindings[0]
    if binding.kind == ASSIGN:
        return None if name.value in owner.mutated else (binding.value, owner)  # type: ignore[return-value]
    item = _index(owner).with_items.get(id(binding.node))
    return (item, owner) if item is not None else None
