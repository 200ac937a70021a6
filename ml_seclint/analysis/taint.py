"""Values of the dataflow layer: where untrusted data comes from (Origin), what an expression holds
(Value: its taint, a tracked object, its known text), and what the layer reports (Flow, SinkHit).

A taint is a tuple of (origin, the sink kinds it was sanitised for), ordered by the origin's
creation, so that reports are deterministic and the first source of several is the one named.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable, Optional

import libcst as cst

from ml_seclint.analysis import llm_api as api
from ml_seclint.analysis.scopes import dotted


@dataclass(frozen=True, eq=False)
class Origin:
    """Where untrusted data enters: a source call, a tool parameter, a helper's result."""

    kind: str  # llm_api.MODEL, TOOL, NETWORK, TEMPLATE, PARAM
    label: str  # "client.chat.completions.create()", "parameter 'cmd' of run_command()"
    node: cst.CSTNode
    seq: int  # creation order: the first of several origins is reported
    via: Optional["Origin"] = None  # the source inside a helper that returned it
    param: Optional[str] = None  # PARAM: the parameter's name
    receiver: Optional[str] = None  # NETWORK: the socket it came from ("self.socket")


Taint = tuple


def union(a: Taint, b: Taint) -> Taint:
    if not a:
        return b
    if not b or a == b:
        return a
    merged = dict(a)
    for origin, safe in b:
        merged[origin] = merged[origin] & safe if origin in merged else safe
    return tuple(sorted(merged.items(), key=lambda item: item[0].seq))


def clean(taint: Taint, kinds: frozenset) -> Taint:
    return tuple((origin, safe | kinds) for origin, safe in taint)


@dataclass(frozen=True)
class Obj:
    """An object of a known kind (llm_api.Kind) and the attribute path walked on it so far."""

    kind: api.Kind
    path: str = ""
    node: Optional[cst.CSTNode] = field(default=None, compare=False)  # the constructor call

    def attr(self, name: str) -> Optional["Obj"]:
        path = f"{self.path}.{name}" if self.path else name
        kind = self.kind
        if kind.has_prefix(path) or path in kind.outputs or path in kind.sinks or path in kind.derived \
                or path in kind.same:
            return replace(self, path=path)
        return None


@dataclass(frozen=True)
class Value:
    taint: Taint = ()
    obj: Optional[Obj] = None
    head: str = ""  # the known leading text of a string
    full: bool = False  # `head` is the whole value: a literal


EMPTY = Value()


def join(a: Value, b: Value) -> Value:
    """Either of two values (branches, `a or b`)."""
    if a is b:
        return a
    return Value(union(a.taint, b.taint), a.obj or b.obj, a.head if a.head == b.head else "",
                 a.full and b.full and a.head == b.head)


def taint_only(*values: Value) -> Value:
    taint: Taint = ()
    for value in values:
        taint = union(taint, value.taint)
    return Value(taint) if taint else EMPTY


def concat(left: Value, right: Value) -> Value:
    head = left.head + right.head if left.full else left.head
    return Value(union(left.taint, right.taint), head=head, full=left.full and right.full)


def merge_env(a: dict[str, Value], b: dict[str, Value]) -> dict[str, Value]:
    merged = dict(a)
    for key, value in b.items():
        old = merged.get(key)
        merged[key] = value if old is None else join(old, value)
    return merged


def pipe(left: Optional[Obj], right: Optional[Obj]) -> Optional[Obj]:
    """`prompt | llm | parser`: a LangChain runnable sequence with a model in it."""
    for side in (left, right):
        if side is not None and side.kind.name == "langchain" and not side.path:
            return Obj(side.kind, node=side.node)
    return None


def method_obj(base: Obj, method: str) -> Optional[Obj]:
    path = f"{base.path}.{method}" if base.path else method
    kind = base.kind
    if path in kind.derived:
        return Obj(api.KINDS[kind.derived[path]])
    if path in kind.same:
        return Obj(kind, node=base.node)
    return None


@dataclass
class Flow:
    """Untrusted data reaching a sink."""

    sink: cst.Call  # the call reported
    kind: str  # the sink kind (llm_api.CODE, SQL, ...)
    label: str  # "exec()", "subprocess.run(shell=True)"
    origin: Origin
    inner: Optional[tuple[cst.CSTNode, str]] = None  # a helper's own sink: (node, label)


@dataclass
class SinkHit:
    """A sink call and the value of its deciding argument (MLS506 wants clean ones too)."""

    node: cst.Call
    kind: str
    label: str
    value: Value
    expr: Optional[cst.BaseExpression]
    obj: Optional[Obj] = None  # the receiver, for methods of tracked objects


@dataclass
class Summary:
    params: list[str]
    returns: Value = EMPTY
    sinks: list[tuple[str, str, frozenset, cst.CSTNode, str]] = field(default_factory=list)
    method: bool = False  # called through self: the first parameter is bound


@dataclass
class Result:
    flows: list[Flow] = field(default_factory=list)
    hits: list[SinkHit] = field(default_factory=list)
    returns: Value = EMPTY


# -- text ------------------------------------------------------------------------------------------

def describe(expr: cst.BaseExpression) -> str:
    """`client.chat.completions.create`, `self.llm.invoke`, `chain.invoke`; `...` for the rest."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        base = describe(expr.value)
        return f"{base}.{expr.attr.value}" if len(base) < 60 else f"….{expr.attr.value}"
    if isinstance(expr, cst.Call):
        return f"{describe(expr.func)}()"
    if isinstance(expr, cst.Subscript):
        index = expr.slice[0].slice if len(expr.slice) == 1 else None
        if isinstance(index, cst.Index) and isinstance(index.value, (cst.SimpleString, cst.Integer)) \
                and len(index.value.value) < 40:
            return f"{describe(expr.value)}[{index.value.value}]"
        return f"{describe(expr.value)}[…]"
    if isinstance(expr, cst.Await):
        return describe(expr.expression)
    return "…"


def short_name(qualname: str) -> str:
    """`langchain_experimental.sql.SQLDatabaseChain.from_llm` -> `SQLDatabaseChain.from_llm`,
    `builtins.eval` -> `eval`, `os.system` -> `os.system`."""
    parts = qualname.replace("builtins.", "").split(".")
    if len(parts) > 2 and any(p[:1].isupper() for p in parts[1:]):
        first = next(i for i, p in enumerate(parts) if i > 0 and p[:1].isupper())
        return ".".join(parts[first:])
    return ".".join(parts[-2:])


def call_label(func: cst.BaseExpression, names: Iterable[str] = ()) -> str:
    names = sorted(names)
    if names and isinstance(func, cst.Name):
        return names[0].replace("builtins.", "") + "()"
    return describe(func) + "()"


def fixed_host(head: str) -> bool:
    """`https://api.example.com/...`: the scheme and the host are literal text."""
    scheme, sep, rest = head.partition("://")
    if not sep or not scheme.isalpha():
        return False
    for index, char in enumerate(rest):
        if char in "/?#":
            return index > 0
        if char in "@{":
            return False
    return False


def key_of(expr: cst.BaseExpression) -> Optional[str]:
    """The environment key of a name, an attribute chain or a literal subscript of one:
    `x`, `self.code`, `plan['shell']`."""
    if isinstance(expr, (cst.Name, cst.Attribute)):
        return dotted(expr)
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 \
            and isinstance(expr.slice[0].slice, cst.Index):
        index = expr.slice[0].slice.value
        if isinstance(index, (cst.SimpleString, cst.Integer)):
            base = key_of(expr.value)
            return f"{base}[{index.value}]" if base is not None else None
    return None


def root_key(expr: cst.BaseExpression) -> Optional[str]:
    """The name a path check is about: `target` for `target`, `str(target)`, `target.resolve()`."""
    for _ in range(6):
        if isinstance(expr, (cst.Name, cst.Attribute)) and dotted(expr):
            return dotted(expr)
        if isinstance(expr, cst.Call):
            if isinstance(expr.func, cst.Attribute):
                expr = expr.func.value
            elif expr.args:
                expr = expr.args[0].value
            else:
                return None
        else:
            return None
    return None
