"""Run a function with room to recurse: in a thread with a large stack and a raised recursion limit.

The engine's own walks are iterative, but libcst's visitors and code generation (used by the
fixer), its literal evaluation and some resolution helpers recurse once per nesting level, and
libcst's native parser uses the stack of the calling thread. Python's default limit (1,000 frames)
is reached by code the engine otherwise accepts (guard.MAX_DEPTH levels), and on Python 3.9/3.10
each frame also takes C stack. So the frontends run each file's work through `call`: in a thread
with STACK_SIZE bytes of stack and the recursion limit raised to RECURSION_LIMIT while it runs (the
limit is process-wide; it is put back when the last such call ends). Python 3.12 also bounds C
recursion at a fixed depth, so there a deeper libcst recursion is a RecursionError (an MLS000 of
that file), never a crash.
"""
from __future__ import annotations

import contextvars
import sys
import threading
from typing import Any, Callable, TypeVar

STACK_SIZE = 256 << 20
RECURSION_LIMIT = 20_000

T = TypeVar("T")
_LOCK = threading.Lock()
_local = threading.local()
_active = 0
_saved_limit = 0


def call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`function(*args, **kwargs)`, run as described above; exceptions propagate to the caller."""
    if getattr(_local, "deep", False):
        return function(*args, **kwargs)
    outcome: dict[str, Any] = {}
    context = contextvars.copy_context()

    def run() -> None:
        _local.deep = True
        try:
            outcome["value"] = context.run(function, *args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="ml-seclint", daemon=True)
    if not _start(thread):  # no room for such a thread: run here, with the usual limit
        try:
            run()
        finally:
            _local.deep = False
    else:
        try:
            thread.join()
        finally:
            _release()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _start(thread: threading.Thread) -> bool:
    global _active, _saved_limit
    with _LOCK:
        if _active == 0:
            _saved_limit = sys.getrecursionlimit()
            sys.setrecursionlimit(max(_saved_limit, RECURSION_LIMIT))
        _active += 1
        previous = threading.stack_size()
        try:
            threading.stack_size(STACK_SIZE)
            thread.start()
            return True
        except (RuntimeError, ValueError, MemoryError):
            _active -= 1
            if _active == 0:
                sys.setrecursionlimit(_saved_limit)
            return False
        finally:
            threading.stack_size(previous)


def _release() -> None:
    global _active
    with _LOCK:
        _active -= 1
        if _active == 0:
            sys.setrecursionlimit(_saved_limit)
