"""A cheap import-alias and binding table, computed lazily per scope.

libcst's ScopeProvider/QualifiedNameProvider cost a full extra traversal per file (several times
the parse). Rules only need names resolved at the few calls they care about, so each scope's
bindings are collected from its *statements* on first use and cached; nested function and class
bodies are not entered (they are scopes of their own).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional, Union

import libcst as cst

from ml_seclint.analysis.statements import pattern_names, statements

IMPORT, ASSIGN, DEF, CLASS, PARAM, OTHER = "import", "assign", "def", "class", "param", "other"

ScopeNode = Union[cst.Module, cst.FunctionDef, cst.ClassDef, cst.Lambda]


@dataclass
class Binding:
    kind: str
    node: cst.CSTNode
    qualname: Optional[str] = None  # IMPORT: what the name stands for
    value: Optional[cst.BaseExpression] = None  # ASSIGN: the assigned expression
    #: OTHER, a name unpacked from an assignment (`a, b = f()`): (the value, the name's position)
    unpacked: Optional[tuple[cst.BaseExpression, int]] = None


def dotted(expr: cst.BaseExpression) -> Optional[str]:
    """`a.b.c` as a string (import statements, attribute targets); None for anything else."""
    parts: list[str] = []
    while isinstance(expr, cst.Attribute):
        parts.append(expr.attr.value)
        expr = expr.value
    if not isinstance(expr, cst.Name):
        return None
    parts.append(expr.value)
    return ".".join(reversed(parts))


def scoped_name(expr: cst.BaseExpression, scope: "Scope") -> Optional[str]:
    """`dotted(expr)`, told apart by the function that binds a plain name: one function's local
    `conn` is not another's (`conn@<id>`); attribute chains (`self.sock`) and module names are
    shared by the whole file."""
    text = dotted(expr)
    if text is None or "." in text:
        return text
    owner, _ = scope.lookup(text)
    return text if owner is None or owner.kind == "module" else f"{text}@{id(owner.node)}"


class Scope:
    def __init__(self, node: ScopeNode, parent: Optional["Scope"]) -> None:
        self.node = node
        self.parent = parent
        self.kind = {cst.Module: "module", cst.ClassDef: "class"}.get(type(node), "function")
        self._bindings: Optional[dict[str, list[Binding]]] = None
        self.global_names: set[str] = set()
        self.mutated: set[str] = set()  # names changed by `x[k] = v`, `x.update(...)`, `x += ...`
        self.star_import = False  # `from m import *` at this level: unbound names may come from m

    @property
    def bindings(self) -> dict[str, list[Binding]]:
        if self._bindings is None:
            self._bindings = {}
            node = self.node
            if isinstance(node, cst.Lambda):
                self._params(node.params)
            elif isinstance(node, cst.FunctionDef):
                self._params(node.params)
                self._block(node.body)
            elif isinstance(node, cst.ClassDef):
                self._block(node.body)
            else:
                self._block(node)
            if isinstance(node, cst.Module):
                # `global X` in any function means X can change: it is no constant
                self.mutated.update(_globals_declared(node))
        return self._bindings

    def class_scope(self) -> Optional["Scope"]:
        """The nearest class scope around this one (itself when it is one): where `self.x` lives."""
        scope: Optional[Scope] = self
        while scope is not None and scope.kind != "class":
            scope = scope.parent
        return scope

    def module(self) -> "Scope":
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def lookup(self, name: str) -> tuple[Optional["Scope"], list[Binding]]:
        """The scope that binds `name` as seen from here, and its bindings (Python's LEGB)."""
        scope: Optional[Scope] = self.module() if name in self.global_names else self
        first = True
        while scope is not None:
            if scope.kind != "class" or first:
                found = scope.bindings.get(name)
                if found:
                    return scope, found
            first = False
            scope = scope.parent
        return None, []

    # -- collection ---------------------------------------------------------------------
    def _bind(self, name: str, binding: Binding) -> None:
        self._bindings.setdefault(name, []).append(binding)  # type: ignore[union-attr]

    def _params(self, params: cst.Parameters) -> None:
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        for extra in (params.star_arg, params.star_kwarg):
            if isinstance(extra, cst.Param):
                every.append(extra)
        for param in every:
            self._bind(param.name.value, Binding(PARAM, param))

    def _block(self, block: Union[cst.Module, cst.BaseSuite]) -> None:
        for stmt in statements(block):
            if isinstance(stmt, cst.BaseSmallStatement):
                self._small(stmt)
            elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                kind = DEF if isinstance(stmt, cst.FunctionDef) else CLASS
                self._bind(stmt.name.value, Binding(kind, stmt))
            elif isinstance(stmt, cst.For):
                self._target(stmt.target, None)
            elif isinstance(stmt, (cst.Try, cst.TryStar)):
                for handler in stmt.handlers:
                    if handler.name is not None:
                        self._target(handler.name.name, None)
            elif isinstance(stmt, cst.With):
                for item in stmt.items:
                    if item.asname is not None:
                        self._target(item.asname.name, None)
            elif isinstance(stmt, cst.Match):
                for case in stmt.cases:
                    for name in pattern_names(case.pattern):
                        self._target(name, None)

    def _small(self, small: cst.BaseSmallStatement) -> None:
        if isinstance(small, cst.Import):
            for alias in small.names:
                full = dotted(alias.name)
                if alias.asname is not None:
                    self._target(alias.asname.name, None, qualname=full)
                elif full:
                    top = full.split(".")[0]
                    self._bind(top, Binding(IMPORT, small, qualname=top))
        elif isinstance(small, cst.ImportFrom):
            if isinstance(small.names, cst.ImportStar):
                self.star_import = True
                return
            module = dotted(small.module) if small.module is not None else ""
            dots = "." * len(small.relative)
            for alias in small.names:
                name = alias.name.value if isinstance(alias.name, cst.Name) else dotted(alias.name)
                qual = f"{dots}{module}.{name}" if module else f"{dots}{name}"
                if alias.asname is not None:
                    self._target(alias.asname.name, None, qualname=qual)
                else:
                    self._bind(name, Binding(IMPORT, small, qualname=qual))
        elif isinstance(small, cst.Assign):
            for target in small.targets:
                self._target(target.target, small.value)
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                self._target(small.target, small.value)
        elif isinstance(small, cst.AugAssign):
            if isinstance(small.target, cst.Name):
                self._bind(small.target.value, Binding(OTHER, small))
                self.mutated.add(small.target.value)
        elif isinstance(small, (cst.Global, cst.Nonlocal)):
            if isinstance(small, cst.Global):
                self.global_names.update(n.name.value for n in small.names)
        elif isinstance(small, cst.Expr):
            call = small.value
            # kwargs.update(...) / kwargs.setdefault(...): the dict is no longer a literal
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) \
                    and isinstance(call.func.value, cst.Name):
                self.mutated.add(call.func.value.value)

    def _target(self, target: cst.BaseExpression, value: Optional[cst.BaseExpression],
                qualname: Optional[str] = None) -> None:
        if isinstance(target, cst.Name):
            if qualname is not None:
                self._bind(target.value, Binding(IMPORT, target, qualname=qualname))
            elif value is not None:
                self._bind(target.value, Binding(ASSIGN, target, value=value))
            else:
                self._bind(target.value, Binding(OTHER, target))
        elif isinstance(target, (cst.Tuple, cst.List)):
            starred = any(isinstance(e, cst.StarredElement) for e in target.elements)
            for index, element in enumerate(target.elements):
                if value is not None and not starred and isinstance(element.value, cst.Name):
                    self._bind(element.value.value, Binding(OTHER, element.value, unpacked=(value, index)))
                else:
                    self._target(element.value, None)
        elif isinstance(target, cst.StarredElement):
            self._target(target.value, None)
        elif isinstance(target, (cst.Subscript, cst.Attribute)):
            base = target.value
            while isinstance(base, (cst.Subscript, cst.Attribute)):
                base = base.value
            if isinstance(base, cst.Name):
                self.mutated.add(base.value)


def names_in(bindings: Iterable[Binding]) -> list[Binding]:
    """Bindings that can change what a name means: `x = None` fallbacks after a failed import
    (``try: import yaml / except ImportError: yaml = None``) do not hide the import."""
    return [b for b in bindings
            if not (b.kind == ASSIGN and isinstance(b.value, cst.Name) and b.value.value == "None")]


def _globals_declared(module: cst.Module) -> set[str]:
    """Names declared `global` anywhere in the module's functions."""
    return {name.name.value for stmt in statements(module, nested=True) if isinstance(stmt, cst.Global)
            for name in stmt.names}
