"""Where a loader's bytes come from when that is a channel between the processes of one job.

A pickle carried in a tensor (`pickle.loads(t.numpy().tobytes())`, `bytes(t.cpu().numpy())`) is
the hand-written form of torch.distributed's object collectives (`broadcast_object_list`,
`recv_object_list` do exactly this): the bytes come from another rank of the same job. Whether
those peers are trusted is a fact of the deployment (the cluster network), not of the code, so the
rules grade such a load lower instead of staying silent: ShadowMQ (CVE-2025-30165) was "peers of
the same deployment" too.
"""
from __future__ import annotations

from typing import Optional

import libcst as cst

from ml_seclint.analysis.resolve import qualnames
from ml_seclint.analysis.roundtrip import in_memory
from ml_seclint.analysis.scopes import ASSIGN, Scope

#: wrappers that hand the same bytes on
_BYTES_WRAPPERS = frozenset({"builtins.bytes", "builtins.bytearray", "builtins.memoryview", "io.BytesIO"})
_MAX_DEPTH = 6


def carried_in_tensor(expr: cst.BaseExpression, scope: Scope) -> bool:
    """The bytes are an array's or tensor's contents taken out with `.numpy()`: through names
    (every assignment of a local name), slices and `bytes`/`bytearray`/`memoryview`/`io.BytesIO`."""
    return _tensor_bytes(expr, scope, 0, set())


def _tensor_bytes(expr: cst.BaseExpression, scope: Scope, depth: int, seen: set[str]) -> bool:
    if depth > _MAX_DEPTH:
        return False
    if isinstance(expr, cst.Subscript):  # buf[:size]
        return _tensor_bytes(expr.value, scope, depth + 1, seen)
    if isinstance(expr, cst.Name):
        if expr.value in seen:  # buf = bytes(bytearray(buf)): the other bindings decide
            return True
        seen = seen | {expr.value}
        # the sender's branch of the same function assigns its own pickle: `data = pickle.dumps(x)`
        values = [v for v in _assigned(expr, scope, only=True) if not in_memory(v, scope)]
        return bool(values) and all(_tensor_bytes(v, scope, depth + 1, seen) for v in values)
    if not isinstance(expr, cst.Call):
        return False
    func = expr.func
    if isinstance(func, cst.Attribute) and func.attr.value == "tobytes":
        return _numpy_view(func.value, scope, depth + 1)
    if qualnames(func, scope) & _BYTES_WRAPPERS and expr.args:
        inner = expr.args[0].value
        return _numpy_view(inner, scope, depth + 1) or _tensor_bytes(inner, scope, depth + 1, seen)
    return False


def _numpy_view(expr: cst.BaseExpression, scope: Scope, depth: int) -> bool:
    """`t.numpy()`, `t.cpu().numpy()`, or a name one of whose assignments is such a chain (a
    parameter converted when it is a tensor: `if torch.is_tensor(x): x = x.cpu().numpy()`)."""
    if depth > _MAX_DEPTH:
        return False
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
        if expr.func.attr.value == "numpy":
            return True
        return _numpy_view(expr.func.value, scope, depth + 1)
    if isinstance(expr, cst.Name):
        return any(_numpy_view(v, scope, depth + 1) for v in _assigned(expr, scope)
                   if not (isinstance(v, cst.Name) and v.value == expr.value))
    return False


def _assigned(name: cst.Name, scope: Scope, only: bool = False) -> list[cst.BaseExpression]:
    """The values a function-local name is assigned; with `only`, none unless every binding of it
    is an assignment (a parameter or loop variable could hold anything)."""
    owner, bindings = scope.lookup(name.value)
    if owner is None or owner.kind != "function" or (only and any(b.kind != ASSIGN for b in bindings)):
        return []
    values: list[Optional[cst.BaseExpression]] = [b.value for b in bindings if b.kind == ASSIGN]
    return [v for v in values if v is not None]
