"""The CLI's result cache (like Ruff's): a file whose bytes, settings and ml-seclint are unchanged
is not checked again.

One entry per file result under `<cache dir>/<version>/<aa>/<key>.json`, where the key hashes the
file's bytes, the ml-seclint version and code, the Python and libcst versions, the effective
settings for that file (selection, rule options, project metadata, the per-file-ignores that match
it, its code context) and `--disable-noqa`. The cache directory is `.ml_seclint_cache` next to the
pyproject.toml the settings came from (else the current directory), or `cache-dir` in
`[tool.ml-seclint]` (relative to that file), or `ML_SECLINT_CACHE_DIR`, or `--cache-dir`;
`--no-cache` (or `ML_SECLINT_NO_CACHE=1`) turns it off, and `--fix`/`--diff` never use it.

An entry holds only what the outputs print: positions, codes, messages (MLS4xx values are
redacted in messages), severities, fix title and safety, and for suppressed findings the
suppression comment's kind, codes, place and reason (scrubbed of provider keys); never source
text or libcst nodes. Entries are written atomically (a temporary file renamed into place), so
parallel workers and concurrent runs never see half an entry; an entry that does not read back
as expected is ignored and rewritten. Results with an MLS000 finding are not cached (a crash may
not happen again). The directory is kept under `MAX_ENTRIES` entries, least recently used first
out, and entries of other ml-seclint versions are removed.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from ml_seclint import __version__
from ml_seclint.engine.code_context import file_context
from ml_seclint.engine.config import Settings
from ml_seclint.engine.finding import NOT_CHECKED, Finding, Related
from ml_seclint.engine.results import CheckResult
from ml_seclint.engine.suppress import Suppression
from ml_seclint.secrets_table import scrub

DIRECTORY_NAME = ".ml_seclint_cache"
ENV_DIR = "ML_SECLINT_CACHE_DIR"
ENV_OFF = "ML_SECLINT_NO_CACHE"
FORMAT = 2  # bumped when the entry layout changes (2: a flow's related places)
MAX_ENTRIES = 50_000
#: the stage reported for a result read from the cache (engine/lint.py has the others)
CACHED = "cache"


@dataclass(frozen=True)
class CachedFix:
    """What the outputs read of a fix: its title and safety (the fixer never sees a cached result)."""

    title: str
    safety: str


def code_fingerprint() -> str:
    """ml-seclint's version and its source files' sizes and times (an editable install changes
    without a version bump), the Python and libcst versions."""
    package = Path(__file__).resolve().parent.parent
    parts = [__version__, sys.version, str(FORMAT), _libcst_version()]
    for path in sorted(package.rglob("*.py")):
        try:
            stat = path.stat()
        except OSError:
            continue
        parts.append(f"{path.relative_to(package).as_posix()}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _libcst_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("libcst")
    except PackageNotFoundError:  # pragma: no cover - a dependency
        return "?"


def settings_fingerprint(settings: Settings) -> str:
    """Everything in the settings that can change a file's result, except per-file-ignores
    (`Cache.key` adds the patterns that match the file)."""
    extra = {k: v for k, v in settings.extra.items() if k != "cache-dir"}
    data = {"select": settings.select, "ignore": settings.ignore, "options": settings.options,
            "project": settings.project, "extra": extra}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=repr).encode()).hexdigest()


def cache_directory(settings: Settings, override: Optional[str] = None) -> Path:
    """`--cache-dir` or ML_SECLINT_CACHE_DIR, else `cache-dir` of the settings' pyproject.toml
    (relative to it), else `.ml_seclint_cache` in the project root or the current directory."""
    chosen = override or os.environ.get(ENV_DIR)
    if chosen:
        return Path(chosen).absolute()
    root = Path(settings.root) if settings.root else Path.cwd()
    configured = settings.extra.get("cache-dir")
    return (root / configured).absolute() if configured else root / DIRECTORY_NAME


class Cache:
    """The result cache of one run, shared by every task (it pickles to the workers)."""

    def __init__(self, override: Optional[str] = None) -> None:
        self.override = override
        self.code = code_fingerprint()
        self._settings: dict[int, tuple[Settings, str]] = {}

    def __getstate__(self) -> dict:
        return {"override": self.override, "code": self.code, "_settings": {}}

    # -- keys ------------------------------------------------------------------------------
    def _settings_key(self, settings: Settings) -> str:
        known = self._settings.get(id(settings))
        if known is None or known[0] is not settings:
            known = self._settings[id(settings)] = (settings, settings_fingerprint(settings))
        return known[1]

    def key(self, data: bytes, path: str, settings: Settings, disable_noqa: bool) -> str:
        """What the path adds to the bytes: the per-file-ignores that match it, its code context
        (tests, examples, ...) and whether it is a notebook."""
        ignores = sorted(pattern for pattern, codes in settings.per_file_ignores.items()
                         if settings.ignored_by(path, pattern))
        header = json.dumps([self.code, self._settings_key(settings), ignores, file_context(path, settings),
                             disable_noqa, path.endswith(".ipynb")])
        return hashlib.sha256(header.encode() + b"\0" + data).hexdigest()

    def entry(self, key: str, settings: Settings) -> Path:
        return cache_directory(settings, self.override) / __version__ / key[:2] / f"{key}.json"

    # -- reading and writing ---------------------------------------------------------------
    def load(self, key: str, path: str, settings: Settings) -> Optional[CheckResult]:
        """The cached result, or None (absent, unreadable or not in the expected shape)."""
        entry = self.entry(key, settings)
        try:
            with open(entry, encoding="utf-8") as fh:
                record = json.load(fh)
            result = _result(record, path)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        try:
            os.utime(entry)  # least recently used goes first when the cache is pruned
        except OSError:
            pass
        return result

    def store(self, key: str, result: CheckResult, settings: Settings) -> bool:
        """Write the entry atomically; False when the result is not cacheable or the directory
        is not writable (the run goes on without caching)."""
        if any(f.code == NOT_CHECKED for f in (*result.findings, *result.suppressed)):
            return False
        entry = self.entry(key, settings)
        record = {"format": FORMAT, "lines": result.lines,
                  "findings": [_finding(f) for f in result.findings],
                  "suppressed": [_finding(f) for f in result.suppressed]}
        try:
            _prepare(entry.parent.parent.parent)
            entry.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as fh:
                    json.dump(record, fh)
                os.replace(temporary, entry)
            except BaseException:
                _remove(temporary)
                raise
        except OSError:
            return False
        return True


def _prepare(directory: Path) -> None:
    """The cache directory with a .gitignore (`*`) and a CACHEDIR.TAG, as Ruff's."""
    if (directory / ".gitignore").is_file():
        return
    directory.mkdir(parents=True, exist_ok=True)
    _write_small(directory / ".gitignore", "# written by ml-seclint: the cache is never committed\n*\n")
    _write_small(directory / "CACHEDIR.TAG",
                 "Signature: 8a477f597d28d172789f06886806bc55\n# ml-seclint's result cache\n")


def _write_small(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(handle, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(temporary, path)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def prune(directory: Path, limit: int = MAX_ENTRIES) -> int:
    """Remove the entries of other versions, and the least recently used entries of this version
    beyond `limit` (down to 80% of it). Returns how many entries were removed."""
    removed = 0
    if not directory.is_dir():
        return 0
    for child in directory.iterdir():
        if child.is_dir() and child.name != __version__:
            removed += _remove_tree(child)
    current = directory / __version__
    if not current.is_dir():
        return removed
    entries = []
    for sub in os.scandir(current):
        if sub.is_dir():
            for item in os.scandir(sub.path):
                try:
                    entries.append((item.stat().st_mtime, item.path))
                except OSError:
                    pass
    if len(entries) > limit:
        entries.sort()
        for _, path in entries[:len(entries) - int(limit * 0.8)]:
            _remove(path)
            removed += 1
    return removed


def _remove_tree(directory: Path) -> int:
    removed = 0
    for root, dirs, files in os.walk(directory, topdown=False):
        for name in files:
            _remove(os.path.join(root, name))
            removed += 1
        for name in dirs:
            try:
                os.rmdir(os.path.join(root, name))
            except OSError:
                pass
    try:
        os.rmdir(directory)
    except OSError:
        pass
    return removed


# -- the record of one result -------------------------------------------------------------------

_FIELDS = ("code", "message", "line", "column", "end_line", "end_column", "severity", "confidence", "cell",
           "context")


def _finding(finding: Finding) -> dict:
    data: dict[str, Any] = {name: getattr(finding, name) for name in _FIELDS}
    safety = getattr(finding.fix, "safety", None)
    if safety is not None:
        data["fix"] = [str(getattr(finding.fix, "title", "")), str(safety)]
    if finding.related:  # a flow's source and helper sinks (SARIF relatedLocations, JSON related)
        data["related"] = [[r.line, r.column, r.end_line, r.end_column, scrub(r.message), r.cell]
                           for r in finding.related]
    suppression = finding.suppression
    if suppression is not None:
        data["suppression"] = [suppression.kind, scrub(suppression.directive), scrub(suppression.reason),
                               suppression.line, suppression.column]
    return data


def _result(record: dict, path: str) -> CheckResult:
    if record.get("format") != FORMAT:
        raise ValueError("another entry format")
    return CheckResult(path, [_restore(f, path) for f in record["findings"]],
                       [_restore(f, path) for f in record["suppressed"]], int(record["lines"]),
                       stage=CACHED)


def _restore(data: dict, path: str) -> Finding:
    finding = Finding(**{name: data[name] for name in _FIELDS}, path=path)
    numbers = (finding.line, finding.column, finding.end_line, finding.end_column)
    if not all(isinstance(n, int) for n in numbers) or not isinstance(finding.code, str) \
            or not isinstance(finding.message, str):
        raise TypeError("not a finding")
    if "fix" in data:
        title, safety = data["fix"]
        finding.fix = CachedFix(str(title), str(safety))
    if "related" in data:
        finding.related = tuple(Related(int(line), int(column), int(end_line), int(end_column), str(text),
                                        None if cell is None else int(cell))
                                for line, column, end_line, end_column, text, cell in data["related"])
    if "suppression" in data:
        kind, directive, reason, line, column = data["suppression"]
        finding.suppression = Suppression(kind, directive, reason, int(line), int(column))
    return finding
