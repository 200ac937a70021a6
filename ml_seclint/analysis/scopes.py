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

IMPORT, ASSIGN, DEF, CLASS, PARAM, OTHER = "import", "assign", "def", "class", "param", "other"

ScopeNode = Union[cst.Module, cst.FunctionDef, cst.ClassDef, cst.Lambda]


@dataclass
class Binding:
    kind: str
    node: cst.CSTNode
    qualname: Optional[str] = None  # IMPORT: what the name stands for
    value: Optional[cst.BaseExpression] = None  # ASSIGN: the assigned expression


def dotted(expr: cst.BaseExpression) -> Optional[str]:
    """`a.b.c` as a string, for import statements."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        base = dotted(expr.value)
        return f"{base}.{expr.attr.value}" if base else None
    return None


class Scope:
    def __init__(self, node: ScopeNode, parent: Optional["Scope"]) -> None:
        self.node = node
        self.parent = parent
        self.kind = {cst.Module: "module", cst.ClassDef: "class"}.get(type(node), "function")
        self._bindings: Optional[dict[str, list[Binding]]] = None
        self.global_names: set[str] = set()
        self.mutated: set[str] = set()  # names changed by `x[k] = v`, `x.update(...)`, `x += ...`

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
            elif isinstance(node, (cst.Module, cst.ClassDef)):
                self._block(node.body if isinstance(node, cst.ClassDef) else node)
            if isinstance(node, cst.Module):
                # `global X` in any function means X can change: it is no constant
                self.mutated.update(_globals_declared(node))
        return self._bindings

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

    def _block(self, block: Union[cst.Module, cst.BaseSuite, None]) -> None:
        if block is None:
            return
        body = block.body
        if isinstance(block, cst.SimpleStatementSuite):
            for small in body:
                self._small(small)
            return
        for stmt in body:
            self._statement(stmt)

    def _statement(self, stmt: cst.CSTNode) -> None:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                self._small(small)
        elif isinstance(stmt, cst.FunctionDef):
            self._bind(stmt.name.value, Binding(DEF, stmt))
        elif isinstance(stmt, cst.ClassDef):
            self._bind(stmt.name.value, Binding(CLASS, stmt))
        elif isinstance(stmt, cst.If):
            self._block(stmt.body)
            orelse = stmt.orelse
            if isinstance(orelse, cst.If):
                self._statement(orelse)
            elif orelse is not None:
                self._block(orelse.body)
        elif isinstance(stmt, (cst.For, cst.While)):
            if isinstance(stmt, cst.For):
                self._target(stmt.target, None)
            self._block(stmt.body)
            if stmt.orelse is not None:
                self._block(stmt.orelse.body)
        elif isinstance(stmt, (cst.Try, cst.TryStar)):
            self._block(stmt.body)
            for handler in stmt.handlers:
                if handler.name is not None:
                    self._target(handler.name.name, None)
                self._block(handler.body)
            if stmt.orelse is not None:
                self._block(stmt.orelse.body)
            if stmt.finalbody is not None:
                self._block(stmt.finalbody.body)
        elif isinstance(stmt, cst.With):
            for item in stmt.items:
                if item.asname is not None:
                    self._target(item.asname.name, None)
            self._block(stmt.body)
        elif isinstance(stmt, cst.Match):
            for case in stmt.cases:
                self._block(case.body)

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
            for element in target.elements:
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
    """Names declared `global` anywhere in the module's functions (a statement-level walk)."""
    names: set[str] = set()
    pending: list[cst.CSTNode] = list(module.body)
    while pending:
        stmt = pending.pop()
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Global):
                    names.update(n.name.value for n in small.names)
        elif isinstance(stmt, cst.BaseCompoundStatement):
            for block in _blocks(stmt):
                if isinstance(block, cst.SimpleStatementSuite):
                    names.update(n.name.value for small in block.body if isinstance(small, cst.Global)
                                 for n in small.names)
                else:
                    pending.extend(block.body)
    return names


def _blocks(stmt: cst.BaseCompoundStatement) -> list:
    blocks = [stmt.body] if not isinstance(stmt, cst.Match) else []  # a match has only cases
    for attr in ("orelse", "finalbody"):
        extra = getattr(stmt, attr, None)
        if isinstance(extra, cst.If):
            blocks.extend(_blocks(extra))
        elif extra is not None:
            blocks.append(extra.body)
    for handler in getattr(stmt, "handlers", ()):
        blocks.append(handler.body)
    for case in getattr(stmt, "cases", ()):
        blocks.append(case.body)
    return blocks
