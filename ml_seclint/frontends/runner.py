"""Running the engine over many files for the CLI: reading, noqa, the result cache, parallel
workers, progress."""
from __future__ import annotations

import contextlib
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Optional

from ml_seclint.engine.config import Settings
from ml_seclint.engine.lint import STAGES, FileResult, lint_source
from ml_seclint.fix.fixes import detached
from ml_seclint.engine.finding import Finding, error_finding
from ml_seclint.frontends.cache import CACHED, Cache, cache_directory, prune
from ml_seclint.inputs.sources import decode, read_text
from ml_seclint.engine.results import CheckResult, select_findings

# Below this many files a process pool costs more than it saves.
PARALLEL_MIN_FILES = 16


@dataclass
class Task:
    path: str
    settings: Settings
    disable_noqa: bool = False
    fix: bool = False  # apply fixes (ml_seclint.fix.fixer)
    unsafe_fixes: bool = False  # ... the unsafe ones too
    diff: bool = False  # compute the diff, do not write
    source: Optional[str] = None  # the text itself (standard input) instead of reading `path`
    edits: bool = False  # compute each fix's text edits (SARIF fixes, rdjson suggestions)
    cache: Optional[Cache] = None  # the result cache (not with fix, edits or standard input)


def check_file(task: Task) -> CheckResult:
    """Check one file; never raises (a failure is an MLS000 finding of that file)."""
    try:
        return _check(task)
    except Exception as exc:  # noqa: BLE001 - one bad file must not lose the others
        reason = f"internal error: {type(exc).__name__}: {exc}"
        return CheckResult(task.path, [error_finding(task.path, reason)])


def _check(task: Task) -> CheckResult:
    if task.fix and task.path.endswith(".ipynb"):
        from ml_seclint.fix.notebook import fix_notebook_file

        return fix_notebook_file(task)
    if task.fix:
        from ml_seclint.fix.fixer import check_and_fix

        return check_and_fix(task)
    if _cacheable(task):
        data = _read(task.path)
        if data is not None:  # else unreadable: reported below, never cached
            result, cache = _check_data(task, data), task.cache
            cache.store(cache.key(data, task.path, task.settings, task.disable_noqa), result,  # type: ignore
                        task.settings)
            return result
    if task.path.endswith(".ipynb"):
        from ml_seclint.inputs.notebooks import check_notebook, check_notebook_data

        if task.source is not None:
            return _with_source(check_notebook_data(task.source, task), task)
        return check_notebook(task)
    return _check_text(task, *((task.source, None) if task.source is not None else read_text(task.path)))


def _cacheable(task: Task) -> bool:
    """Fixing, fix edits (their text is source) and standard input never use the cache."""
    return task.cache is not None and not task.fix and not task.edits and task.source is None


def _read(path: str) -> Optional[bytes]:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def _check_data(task: Task, data: bytes) -> CheckResult:
    """The check of the bytes the cache key was computed from."""
    if task.path.endswith(".ipynb"):
        from ml_seclint.inputs.notebooks import check_notebook_data

        return check_notebook_data(data, task)
    return _check_text(task, *decode(data, task.path))


def _check_text(task: Task, text: Optional[str], error: Optional[Finding]) -> CheckResult:
    if text is None:
        return CheckResult(task.path, [error] if error else [])
    result: FileResult = lint_source(text, task.path, task.settings, check_syntax=True)
    findings, suppressed = select_findings(result.findings, text, task.path, task.settings,
                                           task.disable_noqa)
    if task.edits and result.module is not None:
        from ml_seclint.fix.edits import attach_edits

        attach_edits(findings, result.module, text)
    for finding in (*findings, *suppressed):
        finding.node = None  # libcst nodes stay in the worker
        finding.fix = detached(finding.fix)
    lines = text.count("\n") + 1
    return _with_source(CheckResult(task.path, findings, suppressed, lines, stage=result.stage), task)


def _with_source(result: CheckResult, task: Task) -> CheckResult:
    result.source = task.source  # standard input: the text outputs show lines of
    return result


def cached_result(task: Task) -> Optional[CheckResult]:
    """The task's result from the cache, or None."""
    if not _cacheable(task):
        return None
    data = _read(task.path)
    if data is None:
        return None
    key = task.cache.key(data, task.path, task.settings, task.disable_noqa)  # type: ignore[union-attr]
    return task.cache.load(key, task.path, task.settings)  # type: ignore[union-attr]


def run(tasks: list[Task], jobs: int, progress: Optional[Callable[[int, int], None]] = None,
        on_result: Optional[Callable[[CheckResult], None]] = None) -> list[CheckResult]:
    """Results in the order of `tasks`; `on_result` sees each one as soon as it and every result
    before it are done. Cached results are read here; only the others go to the workers."""
    total = len(tasks)
    known = [cached_result(task) for task in tasks]
    todo = [task for task, result in zip(tasks, known) if result is None]
    results: list[CheckResult] = []
    with _checked(todo, jobs) as checked:
        for result in known:
            results.append(result if result is not None else next(checked))
            if on_result:
                on_result(results[-1])
            if progress:
                progress(len(results), total)
    if todo:
        for directory in {cache_directory(t.settings, t.cache.override) for t in todo if t.cache}:
            prune(directory)
    return results


@contextlib.contextmanager
def _checked(tasks: list[Task], jobs: int) -> Iterator[Iterator[CheckResult]]:
    """The results of `tasks` in order: in this process, or from a pool of `jobs` workers."""
    if jobs <= 1 or len(tasks) < PARALLEL_MIN_FILES:
        yield map(check_file, tasks)
        return
    chunk = max(1, min(32, len(tasks) // (jobs * 8)))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield pool.map(check_file, tasks, chunksize=chunk)


def stage_counts(results: Iterable[CheckResult]) -> str:
    """`ML_SECLINT_STATS=1`: how many files stopped at each stage of the engine, or came from the
    cache (a debugging aid for the benchmark, not part of the normal output)."""
    counts = Counter(result.stage for result in results)
    names = {"text": "stopped by the text prefilter", "names": "by the cheap ast stage",
             "libcst": "parsed by libcst", CACHED: "read from the cache"}
    parts = [f"{counts.get(stage, 0)} {names[stage]}" for stage in (*STAGES, CACHED)]
    other = sum(n for stage, n in counts.items() if stage not in names)
    return (f"ml-seclint stats: {sum(counts.values())} files: {', '.join(parts)}"
            + (f", {other} other (notebooks, unreadable)" if other else ""))


class Progress:
    """`files done / total` on stderr, only on a terminal and only after a couple of seconds."""

    def __init__(self, stream=None, delay: Optional[float] = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() and not os.environ.get("CI")
        self.start = time.monotonic()
        self.delay = float(os.environ.get("ML_SECLINT_PROGRESS_DELAY", 2.0)) if delay is None else delay
        self.shown = False
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.start < self.delay or (now - self._last < 0.1 and done < total):
            return
        self._last = now
        self.shown = True
        self.stream.write(f"\rml-seclint: {done}/{total} files")
        self.stream.flush()

    def clear(self) -> None:
        """Erase the progress line (before other output on the same terminal)."""
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False

    def finish(self) -> None:
        self.clear()
