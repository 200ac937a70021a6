"""Running the engine over many files for the CLI: reading, noqa, parallel workers, progress."""
from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterable, Optional

from ml_seclint.engine.config import Settings
from ml_seclint.engine.lint import FileResult, lint_source
from ml_seclint.fix.fixes import detached
from ml_seclint.engine.finding import error_finding
from ml_seclint.inputs.sources import read_text
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
    if task.path.endswith(".ipynb"):
        from ml_seclint.inputs.notebooks import check_notebook, check_notebook_data

        if task.source is not None:
            return _with_source(check_notebook_data(task.source, task), task)
        return check_notebook(task)
    text, error = (task.source, None) if task.source is not None else read_text(task.path)
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
    total = len(tasks)
    results: list[CheckResult] = []
    if jobs <= 1 or total < PARALLEL_MIN_FILES:
        iterator: Iterable[CheckResult] = map(check_file, tasks)
        for result in iterator:
            results.append(result)
            if progress:
                progress(len(results), total)
        return results
    chunk = max(1, min(32, total // (jobs * 8)))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for result in pool.map(check_file, tasks, chunksize=chunk):
            results.append(result)
            if progress:
                progress(len(results), total)
    return results


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
