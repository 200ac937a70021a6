"""Running the engine over many files for the CLI: reading, noqa, the result cache, worker
processes, progress.

No file can cost another file its results. Files are checked in this process, with the engine's
guard (engine/guard.py) refusing what would crash libcst's native parser; a file the guard cannot
vet (Python rejects it: a syntax error, or syntax newer than this Python) is checked in a child
process instead. With --jobs N every file goes to N worker processes. Either way, a process that
dies on a file (a segfault, killed for running out of memory) turns that file alone into an MLS000
finding, and a new process takes over the remaining files. Cached results are read in this process
before any file is checked.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any, Callable, Iterable, Optional

from ml_seclint.engine import deepstack, guard
from ml_seclint.engine.config import Settings
from ml_seclint.engine.finding import Finding, error_finding
from ml_seclint.engine.lint import STAGES, FileResult, lint_source
from ml_seclint.engine.results import CheckResult, select_findings
from ml_seclint.fix.fixes import detached
from ml_seclint.frontends.cache import CACHED, Cache, cache_directory, prune
from ml_seclint.inputs.sources import decode, read_bytes, read_text

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
    roots: tuple[str, ...] = ()  # real paths of the checked directories: --fix writes only inside
    cache: Optional[Cache] = None  # the result cache (not with fix, edits or standard input)


def check_file(task: Task) -> CheckResult:
    """Check one file here; never raises (a failure is an MLS000 finding of that file)."""
    try:
        return deepstack.call(_check, task)
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
        data, error = _read(task)
        if data is None:  # unreadable, not a regular file, too large: reported, never cached
            return CheckResult(task.path, [error] if error else [])
        result, cache = _check_data(task, data), task.cache
        cache.store(cache.key(data, task.path, task.settings, task.disable_noqa), result,  # type: ignore
                    task.settings)
        return result
    if task.path.endswith(".ipynb"):
        from ml_seclint.inputs.notebooks import check_notebook, check_notebook_data

        if task.source is not None:
            return _with_source(check_notebook_data(task.source, task), task)
        return check_notebook(task)
    text, error = (task.source, None) if task.source is not None \
        else read_text(task.path, guard.max_file_size(task.settings))
    return _check_text(task, text, error)


def _cacheable(task: Task) -> bool:
    """Fixing, fix edits (their text is source) and standard input never use the cache."""
    return task.cache is not None and not task.fix and not task.edits and task.source is None


def _read(task: Task) -> tuple[Optional[bytes], Optional[Finding]]:
    """The file's bytes within its size limit (regular files only: a FIFO would block)."""
    if task.path.endswith(".ipynb"):
        from ml_seclint.inputs.notebooks import read_notebook

        return read_notebook(task.path, task.settings)
    return read_bytes(task.path, guard.max_file_size(task.settings))


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
    data = _read(task)[0]
    if data is None:
        return None
    key = task.cache.key(data, task.path, task.settings, task.disable_noqa)  # type: ignore[union-attr]
    return task.cache.load(key, task.path, task.settings)  # type: ignore[union-attr]


#: called with (position in the list of tasks, its result) as each file is done
Done = Callable[[int, CheckResult], None]


def run(tasks: list[Task], jobs: int, progress: Optional[Callable[[int, int], None]] = None,
        on_result: Optional[Callable[[CheckResult], None]] = None) -> list[CheckResult]:
    """Results in the order of `tasks`; `on_result` sees each one as soon as it and every result
    before it are done. Cached results are read here; only the others are checked."""
    total = len(tasks)
    results: list[Optional[CheckResult]] = [cached_result(task) for task in tasks]
    todo = [index for index, result in enumerate(results) if result is None]
    finished, shown = total - len(todo), 0

    def show_ready() -> None:
        nonlocal shown
        while shown < total and results[shown] is not None:
            if on_result:
                on_result(results[shown])  # type: ignore[arg-type]
            shown += 1

    def done(position: int, result: CheckResult) -> None:
        nonlocal finished
        results[todo[position]] = result
        finished += 1
        if progress:
            progress(finished, total)
        show_ready()

    show_ready()
    todo_tasks = [tasks[index] for index in todo]
    if jobs <= 1 or len(todo_tasks) < PARALLEL_MIN_FILES:
        _run_here(todo_tasks, done)
    else:
        _run_workers(todo_tasks, jobs, done)
    if todo_tasks:
        for directory in {cache_directory(t.settings, t.cache.override) for t in todo_tasks if t.cache}:
            prune(directory)
    return results  # type: ignore[return-value]


def _run_here(tasks: list[Task], done: Done) -> None:
    child: Optional[_Worker] = None
    try:
        for position, task in enumerate(tasks):
            try:
                with guard.isolation():
                    result = check_file(task)
            except guard.NeedsIsolation:
                child = child if child is not None and child.alive() else _Worker()
                result = child.check(task)
            done(position, result)
    finally:
        if child is not None:
            child.stop()


def _run_workers(tasks: list[Task], jobs: int, done: Done) -> None:
    queue = deque(range(len(tasks)))
    workers = [_Worker() for _ in range(min(jobs, len(tasks)))]
    remaining = len(tasks)
    try:
        while remaining:
            for number, worker in enumerate(workers):
                if queue and not worker.pending and not worker.alive():  # killed between files
                    worker.stop()
                    worker = workers[number] = _Worker()
                while queue and len(worker.pending) < IN_FLIGHT:
                    worker.send(queue.popleft(), tasks)
            busy = [w for w in workers if w.pending]
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
            for number, worker in enumerate(workers):
                if not worker.pending or not ready & {worker.conn, worker.process.sentinel}:
                    continue
                while worker.pending and (worker.conn.poll() or not worker.alive()):
                    index, result = worker.receive(tasks)
                    remaining -= 1
                    done(index, result)
                    if not worker.alive():  # it died on `index`: the files after it go to another
                        queue.extendleft(reversed(worker.pending))
                        worker.pending.clear()
                        worker.stop()
                        workers[number] = _Worker()
                        break
    finally:
        for worker in workers:
            worker.stop()


#: files sent ahead to each worker, so that it does not wait for the parent between files
IN_FLIGHT = 2


def _context() -> Any:
    # fork is cheap and needs no re-import; elsewhere (macOS, Windows) the platform's default
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


class _Worker:
    """A child process that checks the files it is sent, in order."""

    def __init__(self) -> None:
        context = _context()
        deepstack.stop()  # fork a process with one thread
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child,), name="ml-seclint worker", daemon=True)
        self.process.start()
        child.close()
        self.pending: deque[int] = deque()  # the tasks sent and not answered, oldest first

    def alive(self) -> bool:
        return self.process.is_alive()

    def send(self, index: int, tasks: list[Task]) -> None:
        self.pending.append(index)
        try:
            self.conn.send((index, tasks[index]))
        except (OSError, ValueError):  # it just died: the next wait sees it
            pass

    def receive(self, tasks: list[Task]) -> tuple[int, CheckResult]:
        """(index, result) of the oldest file it was sent: its result, or an MLS000 if the process
        died checking it (it checks them in order, so that is the one it died on)."""
        index = self.pending.popleft()
        task = tasks[index]
        try:
            if self.conn.poll():
                sent_index, result = self.conn.recv()
                if sent_index == index:
                    return index, result
        except (EOFError, OSError, ValueError, TypeError, AttributeError, ImportError):
            pass  # died while sending
        self.process.join(5)
        if self.process.is_alive():  # a broken pipe, yet alive: do not trust it with more files
            self.process.terminate()
            self.process.join(5)
        return index, CheckResult(task.path, [error_finding(task.path, _crash_reason(self.process.exitcode))])

    def check(self, task: Task) -> CheckResult:
        self.send(0, [task])
        wait([self.conn, self.process.sentinel])
        return self.receive([task])[1]

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(1)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(1)
        self.conn.close()


def _crash_reason(exitcode: Optional[int]) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        why = {"SIGSEGV": "a segmentation fault, as libcst's native parser has on pathological code",
               "SIGKILL": "killed, usually for running out of memory"}.get(name, name)
        cause = f"{name}: {why}" if why != name else name
    else:
        cause = f"exit status {exitcode}"
    return f"the parser crashed on this file ({cause}); the other files were checked"


def _serve(conn: Any) -> None:
    """A worker process: check each task it receives, until None or the parent goes away."""
    while True:
        try:
            item = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if item is None:
            return
        index, task = item
        result = check_file(task)
        try:
            conn.send((index, result))
        except (OSError, ValueError):
            return
        except Exception as exc:  # noqa: BLE001 - an unpicklable result: report it instead
            reason = f"internal error: the result could not be sent: {type(exc).__name__}"
            conn.send((index, CheckResult(task.path, [error_finding(task.path, reason)])))


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
