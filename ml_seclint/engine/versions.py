"""Version floors from a project's dependency specifiers (no `packaging` dependency)."""
from __future__ import annotations

import re
from typing import Any, Optional

_VERSION = re.compile(r"^\s*(\d+(?:\.\d+)*)")
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)\Z", re.S)
#: digits in one part of a version: more is absurd (and int() refuses 4,300 and up)
_MAX_DIGITS = 18


def parse_version(text: str) -> Optional[tuple[int, ...]]:
    """`"2.6.1"` -> (2, 6, 1); None when the text does not start with a version, or a part of it
    has more than 18 digits."""
    match = _VERSION.match(text)
    if match is None:
        return None
    parts = match.group(1).split(".")
    if any(len(part) > _MAX_DIGITS for part in parts):
        return None
    return tuple(int(part) for part in parts)


def _lower_bound(spec: str) -> Optional[tuple[int, ...]]:
    bound = None
    for clause in spec.split(";")[0].split(","):
        clause = clause.strip().strip("()")
        for op in (">=", "==", "~=", "===", ">"):
            if clause.startswith(op):
                version = parse_version(clause[len(op):].lstrip("="))
                if version is not None and (bound is None or version > bound):
                    bound = version
                break
        if clause.startswith("^"):  # poetry caret
            version = parse_version(clause[1:])
            if version is not None and (bound is None or version > bound):
                bound = version
    return bound


def _table(value: Any) -> dict:
    """A pyproject table, or {} when the file has something else there (it is not ours to
    reject: the project's own tools will)."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def dependency_floor(project: dict, package: str) -> Optional[tuple[int, ...]]:
    """The lowest version of `package` the project admits, from its dependency specifiers
    ([project] dependencies and optional-dependencies, poetry's tables, or the lines of its
    requirements files). None when it is not declared or some specifier has no lower bound."""
    specs: list[str] = []
    groups = _table(project.get("optional-dependencies")).values()
    for requirement in [*_list(project.get("dependencies")), *(r for group in groups for r in _list(group)),
                        *_list(project.get("_requirements"))]:
        match = _REQ_NAME.match(requirement) if isinstance(requirement, str) else None
        if match and _normal(match.group(1)) == _normal(package):
            specs.append(match.group(3))
    poetry = _table(project.get("_poetry"))
    for table in (_table(poetry.get("dependencies")),
                  *(_table(_table(g).get("dependencies")) for g in _table(poetry.get("group")).values())):
        for name, value in table.items():
            if _normal(name) == _normal(package):
                value = value.get("version", "") if isinstance(value, dict) else value
                specs.append(str(value))
    if not specs:
        return None
    bounds = [_lower_bound(s) for s in specs]
    if any(b is None for b in bounds):
        return None
    return min(bounds)  # type: ignore[type-var]


def version_at_least(value: Any, floor: tuple[int, ...]) -> bool:
    version = parse_version(value) if isinstance(value, str) else value
    return version is not None and tuple(version) >= floor


def requires_python_floor(project: dict) -> Optional[tuple[int, ...]]:
    """The lowest Python the project supports: `[project] requires-python` (e.g. ">=3.10"), or
    poetry's `python` dependency (e.g. "^3.10"). None when it is not declared or has no lower
    bound."""
    spec = project.get("requires-python")
    if isinstance(spec, str):
        return _lower_bound(spec)
    python = _table(_table(project.get("_poetry")).get("dependencies")).get("python")
    if isinstance(python, str):
        return _lower_bound(python)
    return None
