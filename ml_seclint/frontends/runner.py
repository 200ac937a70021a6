"""Running the engine over many files for the CLI: reading, noqa, worker processes, progress.

No file can cost another file its results. Files are checked in this process, with the engine's
guard (engine/guard.py) refusing what would crash libcst's native parser; a file the guard cannot
vet (Python rejects it: a syntax error, or syntax newer than this Python) is checked in a child
process instead. With --jobs N every file goes to N worker processes. Either way, a process that
dies on a file (a segfault, killed for running out of memory) turns that file alone into an MLS000
finding, and a new process takes over the remaining files.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any, Callable, Optional

from ml_seclint.engine import deepstack, guard
from ml_seclint.engine.config import Settings
from ml_seclint.engine.finding import error_finding
from ml_seclint.engine.lint import FileResult, lint_source
from ml_seclint.engine.results import CheckResult, select_findings
from ml_seclint.fix.fixes import detached
from ml_seclint.inputs.sources import read_text

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
    if task.path.endswith(".ipynb"):
        from ml_seclint.inputs.notebooks import check_notebook, check_notebook_data

        if task.source is not None:
            return _with_source(check_notebook_data(task.source, task), task)
        return check_notebook(task)
    text, error = (task.source, None) if task.source is not None \
        else read_text(task.path, guard.max_file_size(task.settings))
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
    return _with_source(CheckResult(task.path, findings, suppressed, text.count("\n") + 1), task)


def _with_source(result: CheckResult, task: Task) -> CheckResult:
    result.source = task.source  # standard input: the text outputs show lines of
    return result


def run(tasks: list[Task], jobs: int,
        progress: Optional[Callable[[int, int], None]] = None) -> list[CheckResult]:
    """Results in the order of `tasks`."""
    if jobs <= 1 or len(tasks) < PARALLEL_MIN_FILES:
        return _run_here(tasks, progress)
    return _run_workers(tasks, jobs, progress)


def _run_here(tasks: list[Task], progress: Optional[Callable[[int, int], None]]) -> list[CheckResult]:
    results: list[CheckResult] = []
    child: Optional[_Worker] = None
    try:
        for task in tasks:
            try:
                with guard.isolation():
                    result = check_file(task)
            except guard.NeedsIsolation:
                child = child if child is not None and child.alive() else _Worker()
                result = child.check(task)
            results.append(result)
            if progress:
                progress(len(results), len(tasks))
    finally:
        if child is not None:
            child.stop()
    return results


def _run_workers(tasks: list[Task], jobs: int,
                 progress: Optional[Callable[[int, int], None]]) -> list[CheckResult]:
    results: list[Optional[CheckResult]] = [None] * len(tasks)
    queue = deque(range(len(tasks)))
    workers = [_Worker() for _ in range(min(jobs, len(tasks)))]
    done = 0
    try:
        while done < len(tasks):
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
                    results[index] = result
                    done += 1
                    if progress:
                        progress(done, len(tasks))
                    if not worker.alive():  # it died on `index`: the files after it go to another
                        queue.extendleft(reversed(worker.pending))
                        worker.pending.clear()
                        worker.stop()
                        workers[number] = _Worker()
                        break
    finally:
        for worker in workers:
            worker.stop()
    return results  # type: ignore[return-value]


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

    def finish(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
