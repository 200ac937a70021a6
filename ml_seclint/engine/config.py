"""`[tool.ml-seclint]` in pyproject.toml: discovery, validation, settings."""
from __future__ import annotations

import fnmatch
import os
import re
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from ml_seclint.engine.code_context import CONTEXTS
from ml_seclint.engine.finding import NOT_CHECKED
from ml_seclint.engine.registry import RULES, all_options
from ml_seclint.engine.versions import parse_version

CODE_PREFIX = re.compile(r"^MLS[0-9]{0,3}$")


class ConfigError(Exception):
    """A bad key, value or flag; the message names it. The CLI exits 2."""


# Keys that are not rule options: name -> (type, help)
GLOBAL_KEYS: dict[str, tuple[type, str]] = {
    "select": (list, "code prefixes to enable (default: all, [\"MLS\"])"),
    "ignore": (list, "code prefixes to disable"),
    "exclude": (list, "glob patterns of files and directories not to check"),
    "per-file-ignores": (dict, "{glob: [code prefixes]} ignored in the matching files"),
    "require-reason": (bool, "report a # noqa / # ml-seclint: ignore that silences a finding "
                             "without a reason as MLS001 (CLI)"),
    "notebooks": (bool, "check Jupyter notebooks (.ipynb) found in directories (default: true)"),
    "max-file-size": (int, "files larger than this many bytes are skipped with an MLS000 (default: "
                           "1048576, 1 MiB; a notebook may be 20 times larger, since its images "
                           "are not read)"),
    "cache-dir": (str, "directory of the CLI's result cache, relative to this pyproject.toml "
                       "(default: .ml_seclint_cache beside it)"),
    "docs-url": (str, "where the team hosts the rule pages: a base URL (`<base>/MLS102.md`) or a "
                      "template with {code}; SARIF helpUri and report links use it"),
    "sarif-category": (str, "SARIF automationDetails.id category, for several analyses of one "
                            "repository (matrix builds, monorepos)"),
    "honour-nosec": (bool, "treat Bandit's `# nosec` / `# nosec B301,B614` as suppressions of the "
                           "equivalent ml-seclint codes (default: false)"),
    "context": (list, "code contexts to report (default: every context but \"vendored\"): "
                      + ", ".join(CONTEXTS)),
    "contexts": (dict, "{context: [globs]}: files that belong to a context, before the path conventions"),
}


@dataclass
class Settings:
    select: tuple[str, ...] = ("MLS",)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    root: Optional[str] = None  # directory of the pyproject.toml the settings came from
    project: dict = field(default_factory=dict)  # that file's [project]/[tool.poetry] data
    extra: dict[str, Any] = field(default_factory=dict)  # global keys added by other modules
    source: Optional[str] = None

    def option(self, name: str) -> Any:
        if name in self.options:
            return self.options[name]
        opt = all_options()[name]
        if opt.derive is not None:
            derived = opt.derive(self)
            if derived is not None:
                return derived
        return opt.default

    def relpath(self, path: str) -> str:
        if self.root:
            try:
                return Path(os.path.abspath(path)).relative_to(self.root).as_posix()
            except ValueError:
                pass
        return Path(path).as_posix()

    def code_enabled(self, code: str, path: Optional[str] = None) -> bool:
        if code == NOT_CHECKED:
            return True
        selected = max((len(p) for p in self.select if code.startswith(p)), default=-1)
        ignored = max((len(p) for p in self.ignore if code.startswith(p)), default=-1)
        if path is not None and self.per_file_ignores:
            rel = self.relpath(path)
            for pattern, codes in self.per_file_ignores.items():
                if _glob_match(rel, pattern) and any(code.startswith(c) for c in codes):
                    return False
        # like flake8 and ruff, the longer (more specific) prefix wins
        return selected >= 0 and selected > ignored

    def ignored_by(self, path: str, pattern: str) -> bool:
        """The per-file-ignores `pattern` applies to `path`."""
        return _glob_match(self.relpath(path), pattern)

    def rules_for(self, path: Optional[str] = None) -> list:
        return [rule for code, rule in sorted(RULES.items()) if self.code_enabled(code, path)]

    def excluded(self, path: str) -> bool:
        if not self.exclude:
            return False
        rel = self.relpath(path)
        name = os.path.basename(path.rstrip("/"))
        return any(fnmatch.fnmatch(name, p) or _glob_match(rel, p) for p in self.exclude)


def _glob_match(rel: str, pattern: str) -> bool:
    pattern = pattern.rstrip("/")
    if pattern.startswith("./"):
        pattern = pattern[2:]
    return fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(rel, pattern + "/*") \
        or rel.startswith(pattern + "/")


# -- loading ------------------------------------------------------------------------------

def _load_toml(path: Path) -> dict:
    """The parsed file; ConfigError (the CLI exits 2) for anything that is not readable TOML."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO would block the run
            raise ConfigError(f"{path}: not a regular file")
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 (byte 0x{exc.object[exc.start]:02x} at "
                          f"offset {exc.start})") from None
    except ValueError as exc:  # tomllib.TOMLDecodeError, and anything else it rejects
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except (RecursionError, MemoryError):
        raise ConfigError(f"{path}: invalid TOML: nested too deeply to read") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


def known_codes() -> list[str]:
    return [NOT_CHECKED, *RULES]


def code_prefix_problem(prefix: str) -> Optional[str]:
    """Why `prefix` cannot select anything (with a close match), or None when it names at least
    one code. A typo such as MLS9 would otherwise switch the gate off without a word."""
    if not CODE_PREFIX.match(prefix):
        return f"'{prefix}' is not an ml-seclint code prefix (MLS followed by up to three digits)"
    codes = known_codes()
    if any(code.startswith(prefix) for code in codes):
        return None
    import difflib

    prefixes = sorted({code[:n] for code in codes for n in range(3, len(code) + 1)})
    close = difflib.get_close_matches(prefix, [p for p in prefixes if len(p) == len(prefix)] or prefixes,
                                      n=1, cutoff=0.5)
    hint = f"; did you mean '{close[0]}'?" if close else "; `ml-seclint rules` lists them"
    return f"'{prefix}' matches no ml-seclint code{hint}"


def _check_codes(key: str, values: Any, where: str) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f"{where}: '{key}' must be a list of code prefixes such as [\"MLS1\"]")
    for value in values:
        problem = code_prefix_problem(value)
        if problem:
            raise ConfigError(f"{where}: '{key}' has {problem}")
    return tuple(values)


def _check_type(key: str, value: Any, expected: type, where: str) -> Any:
    if expected is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: '{key}' must be a list of strings")
    elif expected is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: '{key}' must be true or false")
    elif expected is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: '{key}' must be an integer")
    elif expected is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: '{key}' must be a string")
    elif expected is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: '{key}' must be a table")
    return value


def settings_from_table(table: dict, where: str, root: Optional[str] = None,
                        project: Optional[dict] = None) -> Settings:
    settings = Settings(root=root, project=project or {}, source=where)
    options = all_options()
    for key, value in table.items():
        if key in ("select", "ignore"):
            setattr(settings, key, _check_codes(key, value, where))
        elif key == "exclude":
            settings.exclude = tuple(_check_type(key, value, list, where))
        elif key == "per-file-ignores":
            _check_type(key, value, dict, where)
            settings.per_file_ignores = {
                pattern: _check_codes(f"per-file-ignores.{pattern}", codes, where)
                for pattern, codes in value.items()}
        elif key == "context":
            contexts = _check_type(key, value, list, where)
            settings.extra[key] = tuple(check_contexts(contexts, f"{where}: '{key}'"))
        elif key == "contexts":
            _check_type(key, value, dict, where)
            check_contexts(list(value), f"{where}: [tool.ml-seclint.contexts]")
            settings.extra[key] = {name: tuple(_check_type(f"contexts.{name}", globs, list, where))
                                   for name, globs in value.items()}
        elif key in GLOBAL_KEYS:
            settings.extra[key] = _check_type(key, value, GLOBAL_KEYS[key][0], where)
            if key == "max-file-size" and value < 1:
                raise ConfigError(f"{where}: 'max-file-size' must be a positive number of bytes")
        elif key in options:
            opt = options[key]
            settings.options[key] = _check_type(key, value, opt.type, where)
            if opt.derive is not None and opt.type is str:
                _check_version(key, value, where)
        else:
            raise ConfigError(f"{where}: unknown key '{key}' in [tool.ml-seclint]"
                              + _suggest(key, [*GLOBAL_KEYS, *options]))
    return settings


def check_contexts(names: list, where: str) -> list:
    for name in names:
        if name not in CONTEXTS:
            raise ConfigError(f"{where} has {name!r}, which is not a code context ({', '.join(CONTEXTS)})"
                              + _suggest(str(name), list(CONTEXTS)))
    return names


def _check_version(key: str, value: str, where: str) -> None:
    if parse_version(value) is None:
        shown = repr(value) if len(value) <= 40 else repr(value[:37] + "...")
        raise ConfigError(f"{where}: '{key}' must be a version such as \"2.6\", not {shown}")


def _suggest(key: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _project_table(data: dict) -> dict:
    project = dict(data.get("project", {}))
    poetry = data.get("tool", {}).get("poetry", {})
    if poetry:
        project["_poetry"] = poetry
    return project


_CACHE: dict[str, tuple[float, Optional[dict]]] = {}


def _pyproject(path: Path) -> Optional[dict]:
    """Parsed pyproject.toml, cached by mtime (the flake8 plugin lives in long editor sessions)."""
    key = str(path)
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    hit = _CACHE.get(key)
    if hit is not None and hit[0] == mtime:
        return hit[1]
    data = _load_toml(path)
    _CACHE[key] = (mtime, data)
    return data


def find_settings(start: str) -> Settings:
    """Settings for files under directory `start`: the nearest pyproject.toml with a
    [tool.ml-seclint] table, searching up to the repository root. The nearest project directory
    (a pyproject.toml, setup.py or setup.cfg) supplies the project metadata (dependency floors,
    requires-python), with its requirements files when the pyproject does not list dependencies."""
    directory = Path(os.path.abspath(start))
    if not directory.is_dir():
        directory = directory.parent
    project: Optional[dict] = None
    for candidate in (directory, *directory.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            data = _pyproject(pyproject) or {}
            if project is None:
                project = _with_requirements(_project_table(data), candidate)
            table = data.get("tool", {}).get("ml-seclint")
            if table is not None:
                return settings_from_table(table, str(pyproject), str(candidate), project)
        elif project is None and any((candidate / name).is_file() for name in ("setup.py", "setup.cfg")):
            project = _with_requirements({}, candidate)
        if (candidate / ".git").exists():
            break
    return Settings(project=project or {})


#: where setup.py-based projects keep their dependency specifiers
_REQUIREMENT_FILES = ("requirements.txt", "requirements*.txt", "requirements/*.txt")


def _with_requirements(project: dict, directory: Path) -> dict:
    """`project` plus the requirement lines of the directory's requirements files, when the
    pyproject does not list its dependencies itself (none, or `dynamic`: setup.py reads them
    from those files). Every file counts: a floor holds only if all of them agree."""
    if "dependencies" in project and "dependencies" not in _list_of(project.get("dynamic")):
        return project
    lines = [line for path in _requirement_files(directory) for line in _requirement_lines(path)]
    return {**project, "_requirements": lines} if lines else project


def _list_of(value: object) -> list:
    return value if isinstance(value, list) else []


#: requirements files of environments the package does not run in (`requirements/docs.txt`)
_NOT_RUNTIME = re.compile(r"doc|test|lint|dev|style|format|typing|mypy", re.I)


_FILES: dict[str, tuple[tuple, list[Path]]] = {}


def _requirement_files(directory: Path) -> list[Path]:
    """The runtime requirements files of a project directory; cached until the directory (or its
    `requirements/`) changes (flake8 asks once per file)."""
    stamp = tuple(_mtime(d) for d in (directory, directory / "requirements"))
    hit = _FILES.get(str(directory))
    if hit is not None and hit[0] == stamp:
        return hit[1]
    found: dict[Path, None] = {}
    for pattern in _REQUIREMENT_FILES:
        try:
            found.update((path, None) for path in sorted(directory.glob(pattern))
                         if path.is_file() and not _NOT_RUNTIME.search(path.stem))
        except OSError:
            continue
    _FILES[str(directory)] = (stamp, list(found))
    return list(found)


def _mtime(path: Path) -> Optional[float]:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


_REQUIREMENTS: dict[str, tuple[float, list[str]]] = {}


def _requirement_lines(path: Path) -> list[str]:
    """Requirement specifiers of a pip requirements file: comments, options (`-r`, `-e`,
    `--index-url`) and URLs or paths left out. Unreadable files give none. Cached by mtime."""
    try:
        mtime = path.stat().st_mtime
        hit = _REQUIREMENTS.get(str(path))
        if hit is not None and hit[0] == mtime:
            return hit[1]
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    lines = []
    for raw in text.splitlines()[:5000]:
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith(("#", "-", ".", "/")) and "://" not in line and " @ " not in line:
            lines.append(line)
    _REQUIREMENTS[str(path)] = (mtime, lines)
    return lines


def load_settings(config: str) -> Settings:
    path = Path(config)
    data = _load_toml(path)
    table = data.get("tool", {}).get("ml-seclint", {})
    project = _with_requirements(_project_table(data), path.resolve().parent)
    return settings_from_table(table, str(path), str(path.resolve().parent), project)
