"""flake8 adapter: a thin tree plugin over the engine.

flake8 keeps selection, `# noqa`, extend-ignore and per-file-ignores; this adapter only runs the
engine with the rule options of `[tool.ml-seclint]`, drops what `# ml-seclint: ignore[...]` comments
silence (so the editor agrees with the CLI), and never raises: any failure becomes one
MLS000 line for that file, so flake8 still reports every other finding of every file. flake8 calls
it only for files Python parses, and the engine's guard refuses what would crash libcst's parser
in them (engine/guard.py), so the plugin cannot take a flake8 worker down.
"""
from __future__ import annotations

import ast
import os
from typing import Any, Iterator, Optional

from ml_seclint import __version__

Result = tuple[int, int, str, type]


class Flake8Plugin:
    name = "ml-seclint"
    version = __version__
    config_path: Optional[str] = None
    disable_noqa = False

    def __init__(self, tree: ast.AST, lines: list[str], filename: str) -> None:
        self.tree = tree  # flake8's own parse: the engine's cheap stage walks it, no second parse
        self.lines = lines
        self.filename = filename

    @classmethod
    def add_options(cls, manager: Any) -> None:
        manager.add_option(
            "--ml-seclint-config", default=None, parse_from_config=True,
            help="pyproject.toml whose [tool.ml-seclint] rule options to use "
                 "(default: the nearest one above each file)")

    @classmethod
    def parse_options(cls, options: Any) -> None:
        cls.config_path = getattr(options, "ml_seclint_config", None)
        cls.disable_noqa = bool(getattr(options, "disable_noqa", False))
        if _runs_in_parallel(options):
            # flake8 forks its workers after this: importing the engine (libcst, the rules) once
            # here spares each worker its own import. A single file imports it only if it needs it.
            try:
                import ml_seclint.engine.lint  # noqa: F401
            except Exception:  # noqa: BLE001 - run() reports it per file as MLS000, never flake8
                pass

    def run(self) -> Iterator[Result]:
        try:
            results = list(self._run())
        except Exception as exc:  # noqa: BLE001 - a raise here would abort the whole flake8 run
            from ml_seclint.engine.finding import error_finding

            reason = f"internal error: {type(exc).__name__}: {exc}"
            results = [self._line(error_finding(self.filename, reason))]
        yield from results

    def _line(self, finding: Any) -> Result:
        return finding.line, finding.column, f"{finding.code} {finding.message}", type(self)

    def _run(self) -> Iterator[Result]:
        from ml_seclint.engine.config import ConfigError, find_settings, load_settings
        from ml_seclint.engine.finding import error_finding
        from ml_seclint.engine.lint import lint_source
        from ml_seclint.engine.registry import RULES
        from ml_seclint.engine.suppress import drop_ignored

        try:
            if self.config_path:
                settings = load_settings(self.config_path)
            else:
                stdin = self.filename in ("-", "stdin")
                where = os.getcwd() if stdin else os.path.dirname(os.path.abspath(self.filename))
                settings = find_settings(where)
        except ConfigError as exc:
            prefix = "ml-seclint configuration error: "
            yield self._line(error_finding(self.filename, str(exc), prefix=prefix))
            return
        # flake8 does the selecting: run every rule, with the project's rule options
        source = "".join(self.lines)
        result = lint_source(source, self.filename, settings, list(RULES.values()), tree=self.tree)
        # flake8 applies `# noqa`; ml-seclint's own `# ml-seclint: ignore[...]` is applied here
        nosec = settings.extra.get("honour-nosec") is True
        for finding in result.findings if self.disable_noqa else drop_ignored(result.findings, source, nosec):
            yield self._line(finding)


def _runs_in_parallel(options: Any) -> bool:
    """flake8 will check several files in worker processes: --jobs is not 1 and a directory or
    more than one file was named."""
    jobs = getattr(options, "jobs", None)
    if jobs is None or (getattr(jobs, "n_jobs", 1) == 1 and not getattr(jobs, "is_auto", False)):
        return False
    names = list(getattr(options, "filenames", None) or ["."])
    return len(names) > 1 or os.path.isdir(names[0])
