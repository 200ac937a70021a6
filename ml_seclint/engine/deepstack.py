"""Run a function with room to recurse: in a thread with a large stack and a raised recursion limit.

The engine's own walks are iterative, but libcst's visitors and code generation (used by the
fixer), its literal evaluation and some resolution helpers recurse once per nesting level, and
libcst's native parser uses the stack of the calling thread. Python's default limit (1,000 frames)
is reached by code the engine otherwise accepts (guard.MAX_DEPTH levels), and on Python 3.9/3.10
each frame also takes C stack. So the frontends run each file's work through `call`: in one
long-lived thread with STACK_SIZE bytes of stack (one thread, not one per file: a new thread per
file costs page faults and a malloc arena each time), with the recursion limit raised to
RECURSION_LIMIT while it runs (the limit is process-wide; it is put back when the call ends).
Python 3.12 also bounds C recursion at a fixed depth, so there a deeper libcst recursion is a
RecursionError (an MLS000 of that file), never a crash.
"""
from __future__ import annotations

import contextvars
import os
import queue
import sys
import threading
from typing import Any, Callable, Optional, TypeVar

STACK_SIZE = 256 << 20
RECURSION_LIMIT = 20_000

T = TypeVar("T")
_LOCK = threading.Lock()
_requests: "Optional[queue.SimpleQueue[Any]]" = None
_thread: Optional[threading.Thread] = None


def call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`function(*args, **kwargs)`, run as described above; exceptions propagate to the caller."""
    if threading.current_thread() is _thread:  # already there (lint_source inside a fix)
        return function(*args, **kwargs)
    context = contextvars.copy_context()
    with _LOCK:  # one call at a time: the recursion limit and the thread are shared
        requests = _worker()
        if requests is None:  # no room for such a thread: run here, with the usual limit
            return context.run(function, *args, **kwargs)
        done: "queue.SimpleQueue[tuple[bool, Any]]" = queue.SimpleQueue()
        saved = sys.getrecursionlimit()
        sys.setrecursionlimit(max(saved, RECURSION_LIMIT))
        try:
            requests.put((context, function, args, kwargs, done))
            ok, value = done.get()
        finally:
            sys.setrecursionlimit(saved)
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


def _worker() -> "Optional[queue.SimpleQueue[Any]]":
    global _requests, _thread
    if _thread is None or not _thread.is_alive():
        requests: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        thread = threading.Thread(target=_serve, args=(requests,), name="ml-seclint deep stack", daemon=True)
        previous = threading.stack_size()
        try:
            threading.stack_size(STACK_SIZE)
            thread.start()
        except (RuntimeError, ValueError, MemoryError):
            return None
        finally:
            threading.stack_size(previous)
        _requests, _thread = requests, thread
    return _requests


def stop() -> None:
    """End the thread (the next call starts a new one): before a fork, so that the child is
    forked from a process with one thread (Python 3.12+ warns about forking with more)."""
    global _requests, _thread
    with _LOCK:
        if _thread is not None and _thread.is_alive() and _requests is not None:
            _requests.put(None)
            _thread.join()
        _requests, _thread = None, None


def _serve(requests: "queue.SimpleQueue[Any]") -> None:
    while True:
        request = requests.get()
        if request is None:
            return
        context, function, args, kwargs, done = request
        try:
            done.put((True, context.run(function, *args, **kwargs)))
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            done.put((False, exc))


def _forget_thread() -> None:
    # a forked child has no copy of the thread (only the forking thread is copied), nor of the lock
    global _LOCK, _requests, _thread
    _LOCK, _requests, _thread = threading.Lock(), None, None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_thread)
