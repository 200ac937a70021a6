"""What the engine checks before libcst sees a file, so no input crashes or stalls the run.

libcst's parser is native code: about 3,000 nested brackets, or a chain of 9,000 `and`s, overflow
its stack and end the whole process with a segfault, and chains of calls or operators cost it
time that grows with the cube of their length (1,250 chained calls: seconds; 3,000: minutes).
So a file is first measured:

- Size: larger than `max-file-size` (default 1 MiB) -> not parsed (the engine costs about 20 CPU
  seconds and 700 MB per MB of ordinary code, 50 s and 1.5 GB per MB of one-token lines).
- Python's own parser (`ast`, C, much faster than libcst): a file it rejects as nested too deeply
  (more than 200 brackets, "too complex", its recursion or memory limit) is not parsed; a file it
  accepts is measured, and one nested deeper than MAX_DEPTH syntax-tree levels is not parsed
  (`a and b and c` counts as nested, as libcst nests it).
- A file Python rejects for another reason (a syntax error, or syntax newer than the running
  Python) is parsed by libcst without that measure; the CLI does it in a child process
  (frontends/runner.py), which is what `isolation()` is for.
"""
from __future__ import annotations

import ast
import contextlib
import contextvars
import warnings
from dataclasses import dataclass
from typing import Any, Iterator, Optional, Union

import libcst as cst

#: syntax-tree levels (as CPython's ast counts them, `and`/`or` chains as libcst nests them) a
#: file may have: 2,500 `+` terms, `elif`s or nested `not`s, 1,250 chained calls
MAX_DEPTH = 2500
#: default of the `max-file-size` setting, bytes
DEFAULT_MAX_FILE_SIZE = 1 << 20

_NESTING = ("too many nested parentheses", "too complex", "too many nested f-strings",
            "f-string: expressions nested too deeply", "too many levels of indentation")

_ISOLATE: contextvars.ContextVar[bool] = contextvars.ContextVar("ml_seclint_isolate", default=False)


class NeedsIsolation(BaseException):
    """Raised instead of parsing a file Python's parser could not vet, while `isolation()` is on:
    the caller parses it in a child process, where a crash costs that file only. A BaseException,
    so that the handlers that turn errors into MLS000 findings let it through."""


class Refused(ValueError):
    """`parse` was given a source nested too deeply for libcst's parser."""


@contextlib.contextmanager
def isolation() -> Iterator[None]:
    token = _ISOLATE.set(True)
    try:
        yield
    finally:
        _ISOLATE.reset(token)


def isolating() -> bool:
    return _ISOLATE.get()


def max_file_size(settings: Any) -> int:
    value = settings.extra.get("max-file-size", DEFAULT_MAX_FILE_SIZE)
    return value if isinstance(value, int) and value > 0 else DEFAULT_MAX_FILE_SIZE


def too_large(size: int, limit: int) -> str:
    return (f"too large, skipped: {size:,} bytes, more than max-file-size ({limit:,}); raise "
            f"`max-file-size` in [tool.ml-seclint] to check it")


@dataclass
class Vetting:
    tree: Optional[ast.AST] = None  # Python's syntax tree, when Python accepts the file
    refusal: Optional[tuple[int, int, str]] = None  # (line, column, reason): do not parse
    python_error: Optional[tuple[int, int, str]] = None  # Python rejects it (not for nesting)


def vet(source: Union[str, bytes], path: str, tree: Optional[ast.AST] = None, *,
        measure: bool = True) -> Vetting:
    """Parse with Python (unless `tree` is given) and, with `measure`, measure the nesting."""
    if tree is None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # invalid escape sequences are not our business
                tree = ast.parse(source, path)
        except SyntaxError as exc:
            where = (exc.lineno or _nul_line(source), max((exc.offset or 1) - 1, 0))
            message = f"line {where[0]}: {exc.msg}"
            if any(text in (exc.msg or "") for text in _NESTING):
                return Vetting(refusal=(*where, f"nested too deeply for Python's parser ({message})"))
            return Vetting(python_error=(*where, message))
        except (RecursionError, MemoryError) as exc:
            reason = f"nested too deeply for Python's parser ({type(exc).__name__}: {exc})".replace(" ()", "")
            return Vetting(refusal=(1, 0, reason))
        except ValueError as exc:  # NUL bytes (a notebook cell can hold one)
            line = _nul_line(source)
            return Vetting(python_error=(line, 0, f"line {line}: {exc}"))
    deepest = _deepest(tree) if measure else None
    if deepest is not None:
        line, depth = deepest
        return Vetting(tree, refusal=(line, 0, f"nested too deeply: more than {MAX_DEPTH:,} syntax levels "
                                               f"at line {line} (ml-seclint analyses up to {MAX_DEPTH:,})"))
    return Vetting(tree)


def parse(source: Union[str, bytes], path: str = "<string>") -> cst.Module:
    """`cst.parse_module` behind the guard, for code that did not come through lint_source (a
    notebook cell, fixed code): Refused for a source nested too deeply, NeedsIsolation while
    isolating for a source Python rejects."""
    vetting = vet(source, path)
    if vetting.refusal is not None:
        raise Refused(vetting.refusal[2])
    if vetting.python_error is not None and isolating():
        raise NeedsIsolation(path)
    return cst.parse_module(source)


def _nul_line(source: Union[str, bytes]) -> int:
    """The line of the first NUL (Python's message about one has no line)."""
    text = source.decode("latin-1") if isinstance(source, bytes) else source
    return text.count("\n", 0, max(text.find("\0"), 0)) + 1


def _deepest(tree: ast.AST) -> Optional[tuple[int, int]]:
    """(line, depth) of the first level deeper than MAX_DEPTH, or None: a level-by-level walk (no
    recursion, no per-node tuples)."""
    levels: dict[int, list[Any]] = {1: [tree]}
    node_base, bool_op = ast.AST, ast.BoolOp
    fields = _FIELDS
    depth = 0
    while levels:
        depth += 1
        nodes = levels.pop(depth, None)
        if nodes is None:  # a gap left by an `and` chain
            continue
        if depth > MAX_DEPTH:
            return next((n.lineno for n in nodes if hasattr(n, "lineno")), 1), depth
        below = levels.setdefault(depth + 1, [])
        add = below.append
        for node in nodes:
            cls = node.__class__
            if cls is bool_op:  # libcst nests `a and b and c` one level per operator
                levels.setdefault(depth + len(node.values), []).extend(node.values)
                continue
            for name in fields.get(cls) or _fields(cls):
                value = getattr(node, name, None)
                if value.__class__ is list:
                    for item in value:
                        if isinstance(item, node_base):
                            add(item)
                elif isinstance(value, node_base):
                    add(value)
        if not below:
            del levels[depth + 1]
    return None


_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(cls: type) -> tuple[str, ...]:
    names = tuple(name for name in cls._fields if name != "ctx")  # type: ignore[attr-defined]
    _FIELDS[cls] = names
    return names
