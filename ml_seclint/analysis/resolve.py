"""Resolution helpers: qualified names, constants, literals, keyword arguments, calls.

Every rule goes through these, so `import torch as T; T.load`, `from torch import load as L`,
`f = functools.partial(torch.load, ...)`, `WEIGHTS_ONLY = True` and `**{"weights_only": True}`
are understood the same way everywhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Optional, Sequence

import libcst as cst

from ml_seclint.analysis.literals import number_value, string_value
from ml_seclint.analysis.nodes import children
from ml_seclint.analysis.scopes import ASSIGN, CLASS, DEF, IMPORT, Binding, Scope, names_in


class _Sentinel:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def __bool__(self) -> bool:
        return False


#: the value cannot be known statically (a parameter, a call result, a mutated dict ...)
UNKNOWN: Any = _Sentinel("UNKNOWN")
#: the argument is certainly absent
MISSING: Any = _Sentinel("MISSING")

_MAX_DEPTH = 8
PARTIAL = frozenset({"functools.partial"})


def qualnames(expr: cst.BaseExpression, scope: Scope, depth: int = 0) -> frozenset[str]:
    """Fully qualified names `expr` may stand for; empty if it is a local object."""
    if depth > _MAX_DEPTH:
        return frozenset()
    if isinstance(expr, cst.Name):
        owner, bindings = scope.lookup(expr.value)
        if owner is None:
            # `from .imports import *` brings `torch`, `np`, `pickle` (the lookup built the table)
            if scope.module().star_import:
                return frozenset({f"builtins.{expr.value}", STAR_IMPORTED.get(expr.value, expr.value)})
            return frozenset({f"builtins.{expr.value}"})
        bindings = names_in(bindings) or bindings
        if all(b.kind == IMPORT for b in bindings):
            return frozenset(b.qualname for b in bindings if b.qualname)
        if len(bindings) == 1 and bindings[0].kind == ASSIGN and expr.value not in owner.mutated:
            # `load = torch.load` aliases; `x = torch.load(p)` is a value, not a name
            value = bindings[0].value
            if isinstance(value, (cst.Name, cst.Attribute)):
                return qualnames(value, owner, depth + 1)
            module = _imported_by_call(value, owner, depth)
            if module:
                return frozenset({module})
        return frozenset()
    if isinstance(expr, cst.Attribute):
        return frozenset(f"{base}.{expr.attr.value}" for base in qualnames(expr.value, scope, depth + 1))
    return frozenset()


#: what an unbound name stands for in a module with a star import (`from fastai.imports import *`):
#: the module of that name, or the module of a conventional alias
STAR_IMPORTED = {"np": "numpy", "pd": "pandas", "tf": "tensorflow", "plt": "matplotlib.pyplot"}

#: calls that return a module: `torch = pytest.importorskip("torch")`
MODULE_IMPORTERS = frozenset({"pytest.importorskip", "importlib.import_module"})


def _imported_by_call(value: Any, scope: Scope, depth: int) -> Optional[str]:
    if isinstance(value, cst.Call) and value.args and value.args[0].keyword is None \
            and isinstance(value.args[0].value, cst.SimpleString) \
            and qualnames(value.func, scope, depth + 1) & MODULE_IMPORTERS:
        module = string_value(value.args[0].value)
        if isinstance(module, str) and module.replace(".", "").replace("_", "").isalnum():
            return module
    return None


def single_binding(name: cst.Name, scope: Scope) -> tuple[Optional[Scope], Optional[Binding]]:
    owner, bindings = scope.lookup(name.value)
    if owner is None or len(bindings) != 1 or name.value in owner.mutated:
        return owner, None
    return owner, bindings[0]


def constant(expr: cst.BaseExpression, scope: Scope) -> tuple[cst.BaseExpression, Scope]:
    """Follow names assigned exactly once (module or function level) to their value."""
    for _ in range(_MAX_DEPTH):
        if not isinstance(expr, cst.Name) or expr.value in ("True", "False", "None"):
            break
        owner, binding = single_binding(expr, scope)
        if binding is None or binding.kind != ASSIGN or owner is None:
            break
        expr, scope = binding.value, owner  # type: ignore[assignment]
    return expr, scope


def literal(expr: cst.BaseExpression, scope: Scope) -> Any:
    """The Python value of a literal or a constant, or UNKNOWN."""
    expr, scope = constant(expr, scope)
    if isinstance(expr, cst.Name):
        return {"True": True, "False": False, "None": None}.get(expr.value, UNKNOWN)
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float)):
        value = string_value(expr) if isinstance(expr, cst.BaseString) else number_value(expr)
        return UNKNOWN if value is None else value
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Not):
        value = literal(expr.expression, scope)
        return UNKNOWN if value is UNKNOWN else not value
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
        value = literal(expr.expression, scope)
        return -value if isinstance(value, (int, float)) else UNKNOWN
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        values = []
        for element in expr.elements:
            if isinstance(element, cst.StarredElement):
                return UNKNOWN
            values.append(literal(element.value, scope))
        return UNKNOWN if any(v is UNKNOWN for v in values) else values
    return UNKNOWN


def string_prefix(expr: cst.BaseExpression, scope: Scope) -> Optional[str]:
    """The known leading text of a string expression: a literal, a constant, or the literal head
    of an f-string / concatenation / `+` chain. None when nothing is known."""
    expr, scope = constant(expr, scope)
    if isinstance(expr, cst.SimpleString):
        value = string_value(expr)
        return value if isinstance(value, str) else None
    if isinstance(expr, cst.FormattedString):
        head = []
        for part in expr.parts:
            if isinstance(part, cst.FormattedStringText):
                head.append(part.value)
                continue
            # f"{BASE_URL}/x": a plain replacement field holding a string constant is known text
            value = literal(part.expression, scope) \
                if part.format_spec is None and part.conversion is None else UNKNOWN
            if not isinstance(value, str):
                break
            head.append(value)
        return "".join(head) or None
    if isinstance(expr, cst.ConcatenatedString):
        left = string_prefix(expr.left, scope)
        if left is None:
            return None
        full = string_value(expr)
        return full if isinstance(full, str) else left
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        left = literal(expr.left, scope)
        if isinstance(left, str):  # BASE_URL + "/x": the whole left side is known
            return left + (string_prefix(expr.right, scope) or "")
        return string_prefix(expr.left, scope)
    return None


Items = dict[str, tuple[cst.BaseExpression, Scope]]


def dict_items(expr: cst.BaseExpression, scope: Scope) -> Optional[Items]:
    """`{"k": v}` / `dict(k=v)` (or a name bound once to one, never mutated) as {key: (value,
    scope)}; None when the keys cannot all be known."""
    expr, scope = constant(expr, scope)
    items: Items = {}
    if isinstance(expr, cst.Dict):
        for element in expr.elements:
            if isinstance(element, cst.StarredDictElement):
                nested = dict_items(element.value, scope)
                if nested is None:
                    return None
                items.update(nested)
                continue
            key = literal(element.key, scope)
            if not isinstance(key, str):
                return None
            items[key] = (element.value, scope)
        return items
    if isinstance(expr, cst.Call) and qualnames(expr.func, scope) == {"builtins.dict"}:
        for arg in expr.args:
            if arg.keyword is None:
                return None
            items[arg.keyword.value] = (arg.value, scope)
        return items
    return None


@dataclass
class CallView:
    """A call as the callee sees it: `functools.partial` unwrapped, its arguments merged."""

    node: cst.Call
    names: frozenset[str]
    args: Sequence[cst.Arg]
    scope: Scope
    arg_scopes: Sequence[Scope]  # the scope each argument's expression belongs to
    partial: Optional[cst.Call] = None  # the functools.partial(...) call, if any
    bound: int = 0  # how many of `args` the partial bound (they come first)

    @property
    def through_partial(self) -> bool:
        """Called through a name bound to a partial: the partial itself was already checked,
        so only arguments given here can add a finding."""
        return self.partial is not None and self.partial is not self.node

    @property
    def callee(self) -> cst.BaseExpression:
        """The expression of the function really called: the first argument of the partial
        (`partial(AutoModel.from_pretrained, ...)`), else the call's own `func`."""
        if self.partial is not None:
            return self.partial.args[0].value
        return self.node.func

    def _find(self, keyword: str, position: Optional[int]) -> tuple[Any, Scope, int]:
        unknown = False
        index = 0
        found: Optional[tuple[Any, Scope, int]] = None
        for number, (arg, scope) in enumerate(zip(self.args, self.arg_scopes)):
            # the last match wins: a keyword given to the call overrides the partial's
            if arg.keyword is not None:
                if arg.keyword.value == keyword:
                    found = (arg.value, scope, number)
            elif arg.star == "":
                if position is not None and index == position and not unknown:
                    found = (arg.value, scope, number)
                index += 1
            elif arg.star == "*":
                if position is not None:
                    unknown = True
            else:  # "**"
                items = dict_items(arg.value, scope)
                if items is None:
                    unknown = True
                elif keyword in items:
                    found = (*items[keyword], number)
        if found is not None:
            return found
        return (UNKNOWN if unknown else MISSING), self.scope, -1

    def arg(self, keyword: str, position: Optional[int] = None) -> tuple[Any, Scope]:
        """The expression passed as `keyword` (or at `position`), or MISSING / UNKNOWN.

        Sees keywords, positional arguments, and `**{...}` literals or names bound to them.
        An unresolvable `**kwargs` (or `*args` before `position`) makes an absent argument
        UNKNOWN rather than MISSING.
        """
        expr, scope, _ = self._find(keyword, position)
        return expr, scope

    def given_here(self, keyword: str, position: Optional[int] = None) -> bool:
        """The argument is written at this call, not bound by the partial it calls through (a
        rule that checked the partial reports an argument the partial bound there, once)."""
        return self._find(keyword, position)[2] >= self.bound

    def value(self, keyword: str, position: Optional[int] = None, default: Any = MISSING) -> Any:
        """The literal value of an argument; `default` when it is absent, UNKNOWN if unknowable."""
        expr, scope = self.arg(keyword, position)
        if expr is MISSING:
            return default
        if expr is UNKNOWN:
            return UNKNOWN
        return literal(expr, scope)


#: calls that set environment variables, for rules about what a variable switches on or off
ENVIRONMENT_WRITES = frozenset({"os.environ.update", "os.environ.setdefault", "os.putenv"})


def environment_writes(view: CallView, name: str) -> list[tuple[Any, Any]]:
    """(variable, value) literals that `os.environ.update(...)`, `os.environ.setdefault(k, v)` or
    `os.putenv(k, v)` (`name`) sets; UNKNOWN or MISSING where they cannot be read."""
    if name != "os.environ.update":
        value = view.value("value", 1) if name == "os.putenv" else view.value("default", 1)
        return [(view.value("key", 0), value)]
    pairs: list[tuple[Any, Any]] = []
    for arg in view.args:
        if arg.keyword is not None:
            pairs.append((arg.keyword.value, literal(arg.value, view.scope)))
        elif arg.star in ("", "**"):
            pairs.extend((k, literal(*v)) for k, v in (dict_items(arg.value, view.scope) or {}).items())
    return pairs


def call_view(call: cst.Call, scope: Scope, depth: int = 0) -> CallView:
    names = qualnames(call.func, scope)
    args = list(call.args)
    if names & PARTIAL and args and args[0].keyword is None and args[0].star == "":
        # functools.partial(torch.load, ...) is reported where the partial is made
        target = args[0].value
        return CallView(call, qualnames(target, scope), args[1:], scope, [scope] * (len(args) - 1), call)
    if isinstance(call.func, cst.Name) and not names:
        owner, binding = single_binding(call.func, scope)
        value = binding.value if binding is not None and binding.kind == ASSIGN else None
        if isinstance(value, cst.Call) and owner is not None and depth < _MAX_DEPTH:
            inner = call_view(value, owner, depth + 1)  # bounded: `f = f(x)` refers to itself
            if inner.partial is not None:
                # loader = partial(torch.load, map_location="cpu"); loader(p, weights_only=False)
                return CallView(call, inner.names, [*inner.args, *args], scope,
                                [*inner.arg_scopes, *([scope] * len(args))], inner.partial,
                                len(inner.args))
    return CallView(call, names, args, scope, [scope] * len(args))


def _class_binding(name: cst.Name, scope: Scope) -> tuple[Optional[Scope], Optional[cst.ClassDef]]:
    # `Cls.add_constructor(...)` or `Cls.attr = v` marks the name as mutated, but it still names
    # the same class statement: only a second binding of the name makes it unknown
    owner, bindings = scope.lookup(name.value)
    if owner is not None and len(bindings) == 1 and bindings[0].kind == CLASS:
        return owner, bindings[0].node  # type: ignore[return-value]
    return owner, None


def local_function(func: cst.BaseExpression, scope: Scope) -> Optional[cst.FunctionDef]:
    """The `def` a callee names when it is defined in this module: a function (`check(...)`), a
    local class's `__init__` (`Loader(...)`), a method of the enclosing class (`self.check(...)`)
    or of a local class (`Loader.check(...)`). None when it is defined elsewhere or inherited."""
    if isinstance(func, cst.Name):
        owner, bindings = scope.lookup(func.value)
        if owner is None or len(bindings) != 1:
            return None
        node = bindings[0].node
        if bindings[0].kind == DEF and isinstance(node, cst.FunctionDef):
            return node
        if bindings[0].kind == CLASS and isinstance(node, cst.ClassDef):
            return _method(node, "__init__")
        return None
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        receiver = func.value.value
        if receiver in ("self", "cls"):
            current = scope.class_scope()
            if current is not None and isinstance(current.node, cst.ClassDef):
                return _method(current.node, func.attr.value)
            return None
        _, cls = _class_binding(func.value, scope)
        return _method(cls, func.attr.value) if cls is not None else None
    return None


def calls_of(definition: cst.FunctionDef,
             within: Scope) -> Iterator[tuple[cst.Call, Optional[cst.FunctionDef], Scope]]:
    """The calls of `definition` (by its name, or as `self.<name>` in its class) in the code of
    `within` (the module, or the class of a method), each with the function holding it (None at
    module or class level) and that function's scope."""
    for call, function, scope in calls_by_name(within).get(definition.name.value, ()):
        if local_function(call.func, scope) is definition:
            yield call, function, scope


def calls_by_name(within: Scope) -> dict[str, list[tuple[cst.Call, Optional[cst.FunctionDef], Scope]]]:
    """Every call in the code of `within` by the last name of its callee (`f(...)`, `x.f(...)`),
    with the function holding it (None at module or class level) and that function's scope: one
    walk, kept on the scope (a file with many findings asks for many names)."""
    found = within.__dict__.get("_calls_by_name")
    if found is not None:
        return found  # type: ignore[no-any-return]
    found = {}
    pending: list[tuple[cst.CSTNode, Optional[cst.FunctionDef], Scope]] = [(within.node, None, within)]
    while pending:
        node, function, scope = pending.pop()
        if isinstance(node, cst.Call):
            name = _callee_name(node.func)
            if name is not None:
                found.setdefault(name, []).append((node, function, scope))
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)) and node is not within.node:
            inner = Scope(node, scope)
            holder = node if isinstance(node, cst.FunctionDef) else None
            pending.extend((child, holder, inner) for child in children(node))
        else:
            pending.extend((child, function, scope) for child in children(node))
    within.__dict__["_calls_by_name"] = found
    return found


def _callee_name(func: cst.BaseExpression) -> Optional[str]:
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return func.value if isinstance(func, cst.Name) else None


def _method(cls: cst.ClassDef, name: str) -> Optional[cst.FunctionDef]:
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    return next((s for s in body if isinstance(s, cst.FunctionDef) and s.name.value == name), None)


def local_ancestry(expr: cst.BaseExpression, scope: Scope) -> tuple[list[cst.ClassDef], frozenset[str]]:
    """For a class defined in this module: the local classes of its inheritance chain (itself
    first) and the qualified names of the outside bases they reach, each base resolved in the
    scope that defines its class (`class Strict(MyLoader)`, `class MyLoader(yaml.SafeLoader)`
    -> [Strict, MyLoader], {"yaml.SafeLoader"}). ([], {}) when `expr` is not a local class."""
    if not isinstance(expr, cst.Name):
        return [], frozenset()
    classes: list[cst.ClassDef] = []
    outside: set[str] = set()
    pending: list[tuple[cst.BaseExpression, Scope]] = [(expr, scope)]
    while pending and len(classes) <= _MAX_DEPTH:
        current, where = pending.pop(0)
        if not isinstance(current, cst.Name):
            outside |= qualnames(current, where)
            continue
        owner, cls = _class_binding(current, where)
        if cls is None or owner is None:
            outside |= qualnames(current, where)
            continue
        if any(cls is seen for seen in classes):
            continue
        classes.append(cls)
        pending.extend((base.value, owner) for base in cls.bases if base.keyword is None)
    if not classes:
        return [], frozenset()
    return classes, frozenset(outside)


def defines_method(cls: cst.ClassDef, name: str) -> bool:
    """The class body defines `name` itself: `def name(...)` or `name = ...`."""
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    for stmt in body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == name:
            return True
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else \
                    [small.target] if isinstance(small, cst.AnnAssign) and small.value is not None else []
                if any(isinstance(t, cst.Name) and t.value == name for t in targets):
                    return True
    return False
