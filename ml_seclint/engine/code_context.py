"""Where code lives, and what that does to a finding.

Every finding gets a `context`: `library` (the code a package ships and runs), `test`, `example`,
`script` (tools, conversion and benchmark scripts), `docs`, `notebook` or `vendored` (a copy of
someone else's code). It comes from the file's path, relative to the project root: the globs of
`[tool.ml-seclint.contexts]` first, then these conventions, in this order:

- vendored: a directory `vendor`, `_vendor`, `vendored`, `third_party`, `thirdparty`, `extern`
- test: a directory `tests`, `test`, `testing`; `test_*.py`, `*_test.py`, `conftest.py`
- docs: a directory `docs`, `doc`, `docs_src`
- example: a directory `examples`, `example`, `demo`, `demos`, `tutorials`, `cookbook`
- script: a directory `scripts`, `benchmarks`, `benchmark`, `bench`; a checkpoint
  conversion script `convert_*.py`
- notebook: a `.ipynb` file anywhere else
- library: everything else

The selected contexts (`context = [...]` in the configuration, `--context` on the command line;
by default every context but `vendored`) decide which files are checked at all. A rule may declare
`context_severity`: `{"example": -1}` is one severity level lower in examples, and `{"test": OFF}`
means the rule checks test code only when the test context is selected explicitly (in tests most
loads read fixtures and most downloads fetch test data: noise in a default run). MLS000 is never
dropped.
"""
from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Iterable, Optional

from ml_seclint.engine.finding import NOT_CHECKED, SEVERITIES, Finding

if TYPE_CHECKING:  # pragma: no cover
    from ml_seclint.engine.config import Settings

CONTEXTS = ("library", "test", "example", "script", "docs", "notebook", "vendored")
DEFAULT_SELECTED = tuple(c for c in CONTEXTS if c != "vendored")

_DIRECTORIES = (
    ("vendored", frozenset({"vendor", "_vendor", "vendored", "third_party", "thirdparty", "extern"})),
    ("test", frozenset({"tests", "test", "testing"})),
    ("docs", frozenset({"docs", "doc", "docs_src"})),
    ("example", frozenset({"examples", "example", "demo", "demos", "tutorials", "cookbook"})),
    ("script", frozenset({"scripts", "benchmarks", "benchmark", "bench"})),
)


def classify(relpath: str, globs: Optional[dict[str, Iterable[str]]] = None) -> str:
    """The context of a file, given its path relative to the project root (forward slashes)."""
    for context, patterns in (globs or {}).items():
        if any(_glob(relpath, pattern) for pattern in patterns):
            return context
    parts = relpath.split("/")
    directories, name = set(parts[:-1]), parts[-1]
    for context, names in _DIRECTORIES:
        if directories & names:
            return context
        if context == "test" and (name.startswith("test_") or name.endswith("_test.py")
                                  or name == "conftest.py"):
            return context
        if context == "script" and name.startswith("convert_") and name.endswith(".py"):
            return context
    return "notebook" if name.endswith(".ipynb") else "library"


def _glob(relpath: str, pattern: str) -> bool:
    pattern = pattern.rstrip("/")
    return fnmatch.fnmatch(relpath, pattern) or relpath.startswith(pattern + "/") \
        or fnmatch.fnmatch(relpath, pattern + "/*")


def file_context(path: str, settings: "Settings") -> str:
    return classify(settings.relpath(path), settings.extra.get("contexts"))


#: a rule's `context_severity` value for a context it leaves alone unless asked
OFF = None


def selected(context: str, settings: "Settings") -> bool:
    return context in (settings.extra.get("context") or DEFAULT_SELECTED)


def explicitly_selected(context: str, settings: "Settings") -> bool:
    return context in (settings.extra.get("context") or ())


def rules_for_context(rules: Iterable, context: str, settings: "Settings") -> list:
    """The rules that check code of this context: a rule that is OFF there only when the user
    selected the context explicitly."""
    explicit = explicitly_selected(context, settings)
    return [r for r in rules if explicit or r.context_severity.get(context, 0) is not OFF]


def shifted(severity: str, steps: int) -> str:
    """`severity` moved `steps` levels (negative: lower), kept within low..critical."""
    if severity not in SEVERITIES or not steps:
        return severity
    return SEVERITIES[max(0, min(len(SEVERITIES) - 1, SEVERITIES.index(severity) + steps))]


def describe(steps: dict[str, Optional[int]]) -> str:
    """A rule's `context_severity` in words, as its docs page states it."""
    if not steps:
        return "same severity in every context"
    parts = []
    for context, step in sorted(steps.items(), key=lambda item: CONTEXTS.index(item[0])):
        if step is OFF:
            parts.append(f"{context} code is checked only when selected (`--context {context}`), "
                         f"one level lower")
            continue
        levels = "one level" if abs(step) == 1 else f"{abs(step)} levels"
        parts.append(f"{levels} {'lower' if step < 0 else 'higher'} in {context} code")
    return "; ".join(parts)


def apply(findings: list[Finding], context: str, rules: dict) -> list[Finding]:
    """Set each finding's context and the severity its rule gives it there."""
    for finding in findings:
        finding.context = context
        rule = rules.get(finding.code)
        if rule is not None and finding.code != NOT_CHECKED:
            step = rule.context_severity.get(context, 0)
            finding.severity = shifted(finding.severity, -1 if step is OFF else step)
    return findings
