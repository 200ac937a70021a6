"""Classes, methods and annotations, as the dataflow layer needs them: `self` in a method, the values
assigned to `self.x` in any method of a class, the names in an annotation, and parameter types
that cannot carry text (int, Literal[...], an Enum)."""
from __future__ import annotations

from typing import Optional

import libcst as cst

from ml_seclint.analysis import llm_api as api
from ml_seclint.analysis.blocks import all_statements, block
from ml_seclint.analysis.resolve import local_ancestry, qualnames
from ml_seclint.analysis.scopes import Scope
from ml_seclint.analysis.taint import Value


def is_self(name: cst.Name, scope: Scope) -> bool:
    """`name` is the first parameter of a method (self, cls)."""
    node = scope.node
    if not isinstance(node, cst.FunctionDef) or scope.parent is None or scope.parent.kind != "class":
        return False
    params = [*node.params.posonly_params, *node.params.params]
    return bool(params) and params[0].name.value == name.value


def enclosing_class(scope: Scope) -> Optional[tuple[Scope, cst.ClassDef]]:
    parent = scope.parent
    if isinstance(scope.node, cst.FunctionDef) and parent is not None \
            and isinstance(parent.node, cst.ClassDef):
        return parent, parent.node
    return None


def class_attributes(node: cst.ClassDef, class_scope: Scope) -> dict[str, list]:
    """attr -> [("annotation" | "value", expression, scope to resolve it in)] for the class's fields
    and every `self.attr = value` in its methods."""
    table: dict[str, list] = {}
    for stmt in block(node.body):
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                    field = table.setdefault(small.target.value, [])
                    field.append(("annotation", small.annotation.annotation, class_scope))
                    if small.value is not None:
                        table[small.target.value].append(("value", small.value, class_scope))
                elif isinstance(small, cst.Assign):
                    for target in small.targets:
                        if isinstance(target.target, cst.Name):
                            table.setdefault(target.target.value, []).append(
                                ("value", small.value, class_scope))
        elif isinstance(stmt, cst.FunctionDef):
            params = [*stmt.params.posonly_params, *stmt.params.params]
            if not params:
                continue
            self_name = params[0].name.value
            method_scope = Scope(stmt, class_scope)
            for small in all_statements(block(stmt.body)):
                targets: list = []
                value = None
                if isinstance(small, cst.Assign):
                    targets, value = [t.target for t in small.targets], small.value
                elif isinstance(small, cst.AnnAssign) and small.value is not None:
                    targets, value = [small.target], small.value
                for target in targets:
                    if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) \
                            and target.value.value == self_name:
                        table.setdefault(target.attr.value, []).append(("value", value, method_scope))
    return table


def safe_annotation(annotation: cst.BaseExpression, scope: Scope) -> bool:
    """int, float, bool, a Literal[...] or an Enum: the framework validates the value into
    something that cannot carry a command or a path."""
    if isinstance(annotation, cst.Subscript):
        names = qualnames(annotation.value, scope)
        if names & {"typing.Literal", "typing_extensions.Literal"}:
            return True
        if names & {"typing.Annotated", "typing_extensions.Annotated"} and annotation.slice:
            first = annotation.slice[0].slice
            return isinstance(first, cst.Index) and safe_annotation(first.value, scope)
        if names & {"typing.Optional"} and annotation.slice:
            first = annotation.slice[0].slice
            return isinstance(first, cst.Index) and safe_annotation(first.value, scope)
        return False
    if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
        sides = (annotation.left, annotation.right)
        return all(safe_annotation(s, scope) or (isinstance(s, cst.Name) and s.value == "None")
                   for s in sides)
    names = qualnames(annotation, scope)
    if names & api.SAFE_PARAM_TYPES:
        return True
    if isinstance(annotation, cst.Name):  # a local Enum subclass
        classes, bases = local_ancestry(annotation, scope)
        return bool(bases & {"enum.Enum", "enum.IntEnum", "enum.StrEnum"})
    return False


def annotation_names(annotation: cst.BaseExpression, scope: Scope) -> frozenset[str]:
    """Qualified names in an annotation: `X`, `Optional[X]`, `X | None`, `"X"`."""
    if isinstance(annotation, cst.Subscript):
        found: set[str] = set()
        for element in annotation.slice:
            if isinstance(element.slice, cst.Index):
                found |= annotation_names(element.slice.value, scope)
        return frozenset(found)
    if isinstance(annotation, cst.BinaryOperation):
        return annotation_names(annotation.left, scope) | annotation_names(annotation.right, scope)
    if isinstance(annotation, cst.SimpleString):
        value = annotation.evaluated_value
        if isinstance(value, str) and value.replace(".", "").replace("_", "").isalnum():
            try:
                return qualnames(cst.parse_expression(value), scope)
            except Exception:  # noqa: BLE001 - not an expression
                return frozenset()
        return frozenset()
    return qualnames(annotation, scope)


def bind_args(params: list[str], args: list, definition: cst.FunctionDef) -> dict[str, Value]:
    bound: dict[str, Value] = {}
    index = 0
    for arg, value in args:
        if arg.keyword is not None:
            bound[arg.keyword.value] = value
        elif arg.star == "":
            if index < len(params):
                bound[params[index]] = value
            index += 1
    return bound


def decorator_name(decorator: cst.Decorator) -> Optional[str]:
    expr = decorator.decorator
    return expr.value if isinstance(expr, cst.Name) else None
