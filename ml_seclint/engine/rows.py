"""Rules as declarations.

A `Row` says which calls a rule is about, which argument it reads, which value of that argument
is a finding, and what to report. One dispatcher (`RowDispatcher`) visits every call once for the
rows of every enabled rule: it looks the callee's terminal name up in an index built from the rows
(a string comparison for most calls), resolves the few candidates through the shared `CallView`,
and reports through the rule the row belongs to. A rule's prefilter triggers and the terminal
names are derived from its rows, never kept by hand.

True and false, for every rule: an argument is *true* when its resolved value is truthy
(`True`, `1`, `"yes"`, a non-empty list); *false* when it is resolved, not `None`, and falsy
(`False`, `0`, `""`); `None` is neither, because these APIs read `None` as "the default"; an
argument the analysis cannot resolve (a parameter, an unresolvable `**kwargs`) is neither, and an
absent one is `MISSING`.

Arguments bound by `functools.partial` are reported once, where the partial is made: a call through
the partial reports only a row whose deciding argument is written at that call.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence, Union

import libcst as cst

from ml_seclint.analysis.resolve import MISSING, UNKNOWN, CallView, literal
from ml_seclint.engine.triggers import CodeWord

if TYPE_CHECKING:  # pragma: no cover
    from ml_seclint.analysis.scopes import Scope
    from ml_seclint.engine.context import FileContext
    from ml_seclint.engine.rule import Rule


def is_true(value: Any) -> bool:
    """A resolved, truthy value."""
    return value is not MISSING and value is not UNKNOWN and bool(value)


def is_false(value: Any) -> bool:
    """A resolved value that is falsy but not None (None means "the default" in these APIs)."""
    return value is not MISSING and value is not UNKNOWN and value is not None and not value


@dataclass(frozen=True)
class When:
    """A condition on the deciding argument of a hit (its value may be MISSING or UNKNOWN)."""

    name: str
    test: Callable[["Hit"], bool]
    needs_argument: bool  # only an argument written in the source can meet it

    def __call__(self, hit: "Hit") -> bool:
        return self.test(hit)


def on_value(name: str, predicate: Callable[[Any], bool], needs_argument: bool) -> When:
    return When(name, lambda hit: predicate(hit.value), needs_argument)


ALWAYS = When("always", lambda hit: True, False)
TRUE = on_value("true", is_true, True)
FALSE = on_value("false", is_false, True)
#: missing or None: the callee's default applies
DEFAULT = on_value("missing or None", lambda value: value is MISSING or value is None, False)
#: missing, None or false: "no hash was given"
NOT_TRUE = on_value("not true", lambda value: value is not UNKNOWN and (value is None or not value), False)


def matches(description: str, predicate: Callable[[Any], bool]) -> When:
    """A resolved value for which `predicate` holds (`matches("a URL", lambda v: ...)`)."""
    return on_value(description, lambda value: value is not MISSING and value is not UNKNOWN
                    and predicate(value), True)


def given(description: str, predicate: Callable[["Hit"], bool]) -> When:
    """An argument written (or spread from a resolvable dict) for which `predicate(hit)` holds;
    for conditions on the expression itself rather than its literal value (a `**kwargs` dict)."""
    return When(description, lambda hit: hit.expr is not MISSING and hit.expr is not UNKNOWN
                and predicate(hit), True)


@dataclass(frozen=True)
class Arg:
    keyword: str
    position: Optional[int] = None


@dataclass
class Hit:
    """One call a row matched, handed to the row's message, fix and guard callables."""

    rule: "Rule"
    row: "Row"
    node: cst.Call
    view: CallView
    name: str  # the callee, shortened for messages ("torch.load", "eval")
    arg: Optional[Arg] = None  # the argument that decided (the first of the row's `args` given)
    expr: Any = MISSING  # its expression, MISSING or UNKNOWN
    scope: Optional["Scope"] = None  # the scope the expression belongs to
    value: Any = MISSING  # its literal value, MISSING or UNKNOWN

    @property
    def written(self) -> Optional[cst.Arg]:
        """The argument as written in this call (not in a `**dict` or a partial), or None."""
        return next((a for a in self.node.args if a.value is self.expr), None)


Text = Union[str, Callable[[Hit], Optional[str]]]


@dataclass(frozen=True)
class Row:
    """One declared check. Exactly one of `callees` (qualified names), `method` (a method name on
    any receiver) or `keyword_only` (any call passing one of the `args` by keyword) says which
    calls it is about.

    `args` are alternatives: the first one the call passes is the deciding argument (keras'
    `file_hash` or `md5_hash`). `message` is a template (`{name}` the callee, `{value!r}` the
    argument's value) or a callable returning the message (None: no finding); `unless` vetoes a
    hit (an option, a receiver check); `fix` builds the fix; `severity` (or a callable returning
    it) overrides the rule's.
    `requires` lists words one of which must occur in a file for `unless` to let a hit through
    (the libraries a receiver check looks for); the prefilter uses them.
    """

    callees: frozenset = frozenset()
    args: tuple = ()
    when: When = ALWAYS
    message: Optional[Text] = None
    severity: Union[None, str, Callable[[Hit], Optional[str]]] = None
    fix: Optional[Callable[[Hit], Any]] = None
    unless: Optional[Callable[[Hit], bool]] = None
    method: Optional[str] = None
    keyword_only: bool = False
    requires: tuple = ()

    def __post_init__(self) -> None:
        if isinstance(self.args, Arg):
            object.__setattr__(self, "args", (self.args,))
        object.__setattr__(self, "callees", frozenset(self.callees))
        kinds = sum((bool(self.callees), self.method is not None, self.keyword_only))
        if kinds != 1:
            raise ValueError("a row names its calls by exactly one of callees, method, keyword_only")
        if self.keyword_only and not (self.args and self.when.needs_argument):
            raise ValueError("a keyword_only row needs args and a condition met only by a written argument")
        if self.when is not ALWAYS and not self.args:
            raise ValueError(f"a row with condition {self.when.name!r} needs args")

    # -- what the dispatcher and the prefilter derive from a row ---------------------------
    def terminals(self) -> frozenset[str]:
        """The last names of the calls this row can match (empty for keyword-only rows)."""
        if self.method is not None:
            return frozenset({self.method})
        return frozenset(name.rsplit(".", 1)[-1] for name in self.callees)

    def triggers(self) -> tuple:
        """Prefilter entries: text that must occur on code lines of a file for the row to match.
        A qualified name resolves only through imports and attribute chains that spell each of
        its parts, so every part must occur (`builtins.` is implicit); a keyword the condition
        needs must occur too when it can only be passed by keyword; and one of `requires`."""
        if self.keyword_only:
            entries = [(CodeWord(a.keyword),) for a in self.args]
        else:
            needed: tuple = ()
            if self.when.needs_argument and len(self.args) == 1 and self.args[0].position is None:
                needed = (CodeWord(self.args[0].keyword),)
            names = [(self.method,)] if self.method is not None else \
                [tuple(p for p in dict.fromkeys(n.split(".")) if p != "builtins")
                 for n in sorted(self.callees)]
            entries = [tuple(CodeWord(part) for part in parts) + needed for parts in names]
        if self.requires:
            entries = [(*entry, CodeWord(word)) for entry in entries for word in self.requires]
        return tuple(dict.fromkeys(entries))

    # -- matching ------------------------------------------------------------------------
    def match(self, rule: "Rule", node: cst.Call, view: CallView) -> Optional[Hit]:
        if self.callees:
            names = view.names & self.callees
            if not names:
                return None
            name = min(names).replace("builtins.", "")
        elif self.method is not None:
            func = view.callee
            if not ((isinstance(func, cst.Attribute) and func.attr.value == self.method)
                    or any(n.rsplit(".", 1)[-1] == self.method for n in view.names)):
                return None
            name = _method_label(func, self.method)
        else:
            name = min(view.names).replace("builtins.", "") if view.names else _label(view.callee)
        hit = Hit(rule, self, node, view, name)
        if self.args:
            _decide(hit, view, self.args)
        if view.through_partial and not (hit.arg is not None and hit.expr is not MISSING
                                         and view.given_here(hit.arg.keyword, hit.arg.position)):
            return None  # reported where the partial was made
        if not self.when(hit):
            return None
        if self.unless is not None and self.unless(hit):
            return None
        return hit

    def text(self, hit: Hit) -> Optional[str]:
        template = self.message if self.message is not None else hit.rule.message
        if callable(template):
            return template(hit)
        return template.format(name=hit.name, value=hit.value)


def _decide(hit: Hit, view: CallView, args: Sequence[Arg]) -> None:
    """The deciding argument among alternatives: the first one with a value other than None,
    else the first one given (None), else the first (MISSING)."""
    chosen = None
    for arg in args:
        expr, scope = view.arg(arg.keyword, arg.position)
        value = expr if expr is MISSING or expr is UNKNOWN else literal(expr, scope)
        if expr is not MISSING and value is not None:
            chosen = (arg, expr, scope, value)
            break
        if chosen is None or (chosen[1] is MISSING and expr is not MISSING):
            chosen = (arg, expr, scope, value)
    hit.arg, hit.expr, hit.scope, hit.value = chosen  # type: ignore[misc]


def _label(func: cst.BaseExpression) -> str:
    if isinstance(func, cst.Attribute):
        owner = _label(func.value)
        return f"{owner}.{func.attr.value}" if owner else func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return ""


def _method_label(func: cst.BaseExpression, method: str) -> str:
    """`AutoModel.from_pretrained` for `transformers.AutoModel.from_pretrained(...)`."""
    if isinstance(func, cst.Attribute):
        owner = func.value
        owner_name = owner.attr.value if isinstance(owner, cst.Attribute) else \
            owner.value if isinstance(owner, cst.Name) else None
        if owner_name:
            return f"{owner_name}.{method}"
    return method


@dataclass
class _Index:
    by_terminal: dict[str, list[tuple["Rule", Row]]] = field(default_factory=dict)
    by_keyword: dict[str, list[tuple["Rule", Row]]] = field(default_factory=dict)


class RowDispatcher(cst.BatchableCSTVisitor):
    """The one `visit_Call` behind every rule's rows."""

    def __init__(self, ctx: "FileContext", rules: Sequence["Rule"]) -> None:
        super().__init__()
        self.ctx = ctx
        self.index = _Index()
        self.order: dict[int, tuple[int, int]] = {}
        for number, rule in enumerate(rules):
            for row_number, row in enumerate(type(rule).rows):
                self.order[id(row)] = (number, row_number)
                if row.keyword_only:
                    for arg in row.args:
                        self.index.by_keyword.setdefault(arg.keyword, []).append((rule, row))
                for terminal in row.terminals():
                    self.index.by_terminal.setdefault(terminal, []).append((rule, row))

    def get_visitors(self) -> dict:
        return {"visit_Call": self.visit_Call} if self.order else {}

    def visit_Call(self, node: cst.Call) -> None:
        candidates = self._candidates(node)
        if not candidates:
            return
        view = self.ctx.call(node)
        for rule, row in candidates:
            if rule.failed is not None:
                continue
            try:
                hit = row.match(rule, node, view)
                if hit is not None:
                    message = row.text(hit)
                    if message is not None:
                        severity = row.severity(hit) if callable(row.severity) else row.severity
                        rule.report(node, message, severity=severity,
                                    fix=row.fix(hit) if row.fix is not None else None)
            except Exception as exc:  # noqa: BLE001 - a rule bug switches that rule off for the file
                rule.fail(exc)

    def _candidates(self, node: cst.Call) -> list[tuple["Rule", Row]]:
        """The (rule, row) pairs whose terminal name or keyword the call may stand for; most calls
        get none without any name resolution."""
        index = self.index
        found: list[tuple["Rule", Row]] = []
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else \
            func.value if isinstance(func, cst.Name) else None
        direct = index.by_terminal.get(name) if name else None
        if direct:
            found.extend(direct)
        elif isinstance(func, cst.Name) or name == "partial":
            # an aliased import (`from torch import load as L`) or a partial: resolve once
            for qualname in sorted(self.ctx.call(node).names):
                found.extend(index.by_terminal.get(qualname.rsplit(".", 1)[-1], ()))
        if index.by_keyword:
            spread = False
            for arg in node.args:
                if arg.keyword is not None:
                    found.extend(index.by_keyword.get(arg.keyword.value, ()))
                elif arg.star == "**":
                    spread = True
            if spread:
                found.extend(pair for pairs in index.by_keyword.values() for pair in pairs)
        if len(found) > 1:  # each row once, in rule order then row order
            unique = {id(row): (rule, row) for rule, row in found}
            found = sorted(unique.values(), key=lambda pair: self.order[id(pair[1])])
        return found
