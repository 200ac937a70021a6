"""The cheap stage before libcst: Python's own parser (C, ten times faster than libcst's) and one
walk of its tree, compared with what the enabled rules declare (`Rule.identifiers`,
`Rule.qualified`, derived from their rows).

A rule can only report a call, assignment or string whose names occur in the code:

- a qualified name such as `torch.load` resolves (analysis/resolve.py) only through a name or
  attribute chain in the file that ends in `load` and whose first name is an import, a builtin, or
  a variable (`t = torch; t.load`, `L = torch.load`). So a chain counts for a qualified name when
  its first name is bound only by imports in the whole file and one of them, followed by the rest
  of the chain, spells the name (`import numpy as np` + `np.load` -> `numpy.load`; `json.load` does
  not count for it); when its first name is not bound at all and `builtins.<chain>` is the name;
  and always when its first name is assigned anywhere in the file or it starts with something
  other than a name (`self.x.load`, `f().load`). `functools.partial(torch.load, ...)` and
  `x = torch.load` spell the chain too, and an import of the name itself counts wherever the
  alias is used (`from torch import load as L`).
- a method on any receiver (`from_pretrained`) or a keyword counts when the name occurs at all:
  as a name, an attribute, an imported name (each part of a dotted one), a keyword or an
  identifier-like string constant (`**{"trust_remote_code": True}`).

A rule with none of its names in the file is dropped for that file; unlike the text prefilter,
this stage does not see docstrings, comments or string contents. The file-wide view is coarser
than the engine's scopes, always towards keeping a file. A file that `ast` cannot parse goes to
libcst as before (libcst reads syntax newer than the running Python).
"""
from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Optional, Sequence, Union

if TYPE_CHECKING:  # pragma: no cover
    from ml_seclint.engine.rule import Rule

#: a chain whose first name is assigned somewhere: it may stand for anything
ANYTHING = None


class Names:
    """What one walk of a file's tree found: its identifiers, the imports and assigned names, and
    the name/attribute chains ending in one of `terminals`."""

    def __init__(self, tree: ast.AST, terminals: frozenset[str] = frozenset()) -> None:
        self.identifiers: set[str] = set()
        self.imports: dict[str, set[str]] = {}  # bound name -> what it imports
        self.imported: dict[str, set[str]] = {}  # terminal -> names imported from a module
        self.assigned: set[str] = set()
        self.star_import = False
        self.chains: dict[str, list[tuple[Optional[str], tuple[str, ...]]]] = {}  # terminal -> (first, rest)
        self._walk(tree, terminals)

    def _walk(self, tree: ast.AST, terminals: frozenset[str]) -> None:
        # an explicit stack over `_fields`: twice as fast as ast.walk, and leaves (names,
        # constants, imports) are not descended into
        add = self.identifiers.add
        chain = self.chains.setdefault
        name_type, attribute, keyword, alias, constant = ast.Name, ast.Attribute, ast.keyword, ast.alias, \
            ast.Constant
        load, node_type = ast.Load, ast.AST
        stack: list[ast.AST] = [tree]
        pop, push = stack.pop, stack.append
        while stack:
            node = pop()
            kind = type(node)
            if kind is name_type:
                name = node.id  # type: ignore[attr-defined]
                add(name)
                if type(node.ctx) is not load:  # type: ignore[attr-defined]
                    self.assigned.add(name)  # stored or deleted
                elif name in terminals:
                    chain(name, []).append((name, ()))
                continue
            if kind is attribute:
                attr = node.attr  # type: ignore[attr-defined]
                add(attr)
                if attr in terminals:
                    chain(attr, []).append(_chain(node))  # type: ignore[arg-type]
                push(node.value)  # type: ignore[attr-defined]
                continue
            if kind is constant:
                value = node.value  # type: ignore[attr-defined]
                if type(value) is str and value.isidentifier():
                    add(value)
                continue
            if kind is keyword:
                if node.arg:  # type: ignore[attr-defined]
                    add(node.arg)  # type: ignore[attr-defined]
            elif kind is alias:
                self.identifiers.update(node.name.split("."))  # type: ignore[attr-defined]
                continue
            elif kind is ast.Import or kind is ast.ImportFrom:
                self._import(node)  # type: ignore[arg-type]
            for field in kind._fields:
                value = getattr(node, field, None)
                if type(value) is list:
                    for item in value:
                        if isinstance(item, node_type):
                            push(item)
                elif isinstance(value, node_type):
                    push(value)

    def _import(self, node: Union[ast.Import, ast.ImportFrom]) -> None:
        if isinstance(node, ast.Import):
            for item in node.names:
                bound = item.asname or item.name.split(".")[0]
                self.imports.setdefault(bound, set()).add(item.name if item.asname else bound)
            return
        module = "." * node.level + (node.module or "")
        for item in node.names:
            if item.name == "*":
                self.star_import = True
                continue
            full = f"{module}.{item.name}" if node.module else f"{module}{item.name}"
            self.imports.setdefault(item.asname or item.name, set()).add(full)
            self.imported.setdefault(item.name, set()).add(full)

    def resolve(self, first: Optional[str], rest: tuple[str, ...]) -> Optional[set[str]]:
        """The qualified names a chain may stand for, or ANYTHING."""
        if first is None or first in self.assigned or (self.star_import and first not in self.imports):
            return ANYTHING
        tail = "".join("." + part for part in rest)
        names = {f"builtins.{first}{tail}"}  # not bound in the scope where the chain is
        names.update(f"{module}{tail}" for module in self.imports.get(first, ()))
        return names

    def admits(self, rule: type[Rule]) -> bool:
        """The rule may report in this file."""
        if rule.identifiers is None or not self.identifiers.isdisjoint(rule.identifiers):
            return True
        wanted = rule.qualified
        for end in {name.rsplit(".", 1)[-1] for name in wanted}:
            imported = self.imported.get(end)
            if imported and not imported.isdisjoint(wanted):
                return True
            for first, rest in self.chains.get(end, ()):
                names = self.resolve(first, rest)
                if names is ANYTHING or not names.isdisjoint(wanted):
                    return True
        return False


def _chain(node: ast.Attribute) -> tuple[Optional[str], tuple[str, ...]]:
    """`a.b.c` -> ("a", ("b", "c")); the first part is None when it is not a name."""
    parts = [node.attr]
    value = node.value
    while type(value) is ast.Attribute:
        parts.append(value.attr)  # type: ignore[attr-defined]
        value = value.value  # type: ignore[attr-defined]
    first = value.id if type(value) is ast.Name else None  # type: ignore[attr-defined]
    return first, tuple(reversed(parts))


def terminals(rules: Sequence[type[Rule]]) -> frozenset[str]:
    """The last parts of the rules' qualified names: the chains worth collecting."""
    return frozenset(name.rsplit(".", 1)[-1] for rule in rules for name in rule.qualified)


def screen(tree: ast.AST, rules: Sequence[type[Rule]]) -> list[type[Rule]]:
    """The rules that may report in `tree` (see the module docstring)."""
    if all(rule.identifiers is None for rule in rules):
        return list(rules)
    names = Names(tree, terminals(rules))
    return [rule for rule in rules if names.admits(rule)]
