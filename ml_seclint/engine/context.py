"""Per-file state shared by the rules during the one traversal."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import libcst as cst

from ml_seclint.analysis import resolve
from ml_seclint.analysis.guards import opted_in
from ml_seclint.engine.code_context import file_context
from ml_seclint.analysis.scopes import Scope
from ml_seclint.engine.rule import visitor_names

if TYPE_CHECKING:  # pragma: no cover
    from ml_seclint.engine.config import Settings
    from ml_seclint.engine.rule import Rule


class FileContext:
    def __init__(self, module: cst.Module, path: str, settings: "Settings") -> None:
        self.module = module
        self.path = path
        self.settings = settings
        self.scope = Scope(module, None)
        self.reports: list[tuple["Rule", cst.CSTNode, str, str, Any]] = []
        # (code, id(node)) -> ((node, text), ...): the other places of a report (a flow's source)
        self.related: dict[tuple[str, int], tuple] = {}
        self._view: Optional[resolve.CallView] = None
        self.expecting_error: list[cst.With] = []  # the `with pytest.raises(...)` blocks we are in

    # -- reporting ------------------------------------------------------------------------
    def add(self, rule: "Rule", node: cst.CSTNode, message: str, severity: str, fix: Any,
            related: tuple = ()) -> None:
        """`related`: ((node, text), ...), other places the finding is about (a flow's source); the
        message may name them with `{@0}`, `{@1}` ... (filled with "line N" once positions are known)."""
        if self.expecting_error:
            return  # a test that expects this call to fail is not using it
        if rule.honours_opt_in and opted_in(node, self.scope):
            return  # behind an explicit opt-in: the finding belongs where the caller opts in
        self.reports.append((rule, node, message, severity, fix))
        if related:
            self.related.setdefault((rule.code, id(node)), related)

    @property
    def code_context(self) -> str:
        """Where the file lives: library, test, example, ... (engine/code_context.py)."""
        found = self.__dict__.get("_code_context")
        if found is None:
            found = self.__dict__["_code_context"] = file_context(self.path, self.settings)
        return found

    # -- resolution, always relative to the scope being visited ---------------------------
    def qualnames(self, expr: cst.BaseExpression) -> frozenset[str]:
        return resolve.qualnames(expr, self.scope)

    def call(self, node: cst.Call) -> resolve.CallView:
        """The CallView of `node`; computed once and shared by every rule visiting it."""
        view = self._view
        if view is None or view.node is not node:
            view = self._view = resolve.call_view(node, self.scope)
        return view

    def literal(self, expr: cst.BaseExpression) -> Any:
        return resolve.literal(expr, self.scope)

    def string_prefix(self, expr: cst.BaseExpression) -> Optional[str]:
        return resolve.string_prefix(expr, self.scope)


class _Tracker(cst.BatchableCSTVisitor):
    def __init__(self, ctx: FileContext) -> None:
        super().__init__()
        self.ctx = ctx

    def get_visitors(self) -> dict:
        return {name: getattr(self, name) for name in visitor_names(type(self))}


#: context managers of tests that expect the block to raise
EXPECTS_ERROR = frozenset({"pytest.raises"})
_ASSERT_RAISES = frozenset({"assertRaises", "assertRaisesRegex", "assertRaisesRegexp"})


class ScopeEnter(_Tracker):
    """Runs before the rules on each node: enters function, lambda and class scopes, and
    `with pytest.raises(...)` / `with self.assertRaises(...)` blocks."""

    def _enter(self, node: Any) -> None:
        self.ctx.scope = Scope(node, self.ctx.scope)

    visit_FunctionDef = visit_ClassDef = visit_Lambda = _enter

    def visit_With(self, node: cst.With) -> None:
        for item in node.items:
            call = item.item
            if isinstance(call, cst.Call) and (
                    (isinstance(call.func, cst.Attribute) and call.func.attr.value in _ASSERT_RAISES)
                    or self.ctx.qualnames(call.func) & EXPECTS_ERROR):
                self.ctx.expecting_error.append(node)
                return


class ScopeLeave(_Tracker):
    """Runs after the rules on each node: leaves the scope again."""

    def _leave(self, node: Any) -> None:
        self.ctx.scope = self.ctx.scope.parent or self.ctx.scope

    leave_FunctionDef = leave_ClassDef = leave_Lambda = _leave

    def leave_With(self, node: cst.With) -> None:
        if self.ctx.expecting_error and self.ctx.expecting_error[-1] is node:
            self.ctx.expecting_error.pop()
