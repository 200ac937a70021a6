"""`check --statistics`: one row per code instead of one line per finding.

Columns are data (`COLUMNS`). Every row counts its findings per code context (library, test,
example, ...: engine/code_context.py); the text table shows that column when some finding is not
in library code.
"""
from __future__ import annotations

import json
from collections import Counter
from typing import Iterable

from ml_seclint.engine.finding import SEVERITIES
from ml_seclint.engine.registry import RULES
from ml_seclint.output.report import fix_safety


def statistics(findings: Iterable) -> list[dict]:
    """Rows sorted by count (highest first), then code."""
    groups: dict[str, list] = {}
    for finding in findings:
        groups.setdefault(finding.code, []).append(finding)
    rows = []
    for code, group in groups.items():
        rule = RULES.get(code)
        row = {
            "code": code,
            "name": rule.name if rule else "file-not-checked",
            "severity": _worst(f.severity for f in group),
            "count": len(group),
            "fixable": {s: sum(1 for f in group if fix_safety(f) == s) for s in ("safe", "unsafe")},
        }
        contexts = Counter(c for c in (getattr(f, "context", None) for f in group) if c)
        if contexts:
            row["contexts"] = dict(sorted(contexts.items()))
        rows.append(row)
    return sorted(rows, key=lambda r: (-r["count"], r["code"]))


def _worst(severities: Iterable[str]) -> str:
    found = set(severities)
    return max(found, key=lambda s: SEVERITIES.index(s) if s in SEVERITIES else -1)


def _fixable(row: dict) -> str:
    parts = [f"{n} {safety}" for safety, n in row["fixable"].items() if n]
    return ", ".join(parts) or "-"


# (header, cell of a row, right-aligned); a column whose cells are all empty is left out
COLUMNS = (
    ("COUNT", lambda r: str(r["count"]), True),
    ("CODE", lambda r: r["code"], False),
    ("NAME", lambda r: r["name"], False),
    ("SEVERITY", lambda r: r["severity"], False),
    ("FIXABLE", _fixable, False),
    ("CONTEXTS", lambda r: ", ".join(f"{k} {v}" for k, v in r.get("contexts", {}).items())
     if set(r.get("contexts", {})) != {"library"} else "", False),
)


def _contexts(row: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in row.get("contexts", {}).items())


def render_text(rows: list[dict]) -> str:
    if not rows:
        return "No findings.\n"
    columns = [(h, cell, right) for h, cell, right in COLUMNS if any(cell(r) for r in rows)]
    if any(h == "CONTEXTS" for h, _, _ in columns):  # then for every row, library-only ones too
        columns = [(h, (_contexts if h == "CONTEXTS" else cell), right) for h, cell, right in columns]
    table = [[h for h, _, _ in columns]] + [[cell(r) for _, cell, _ in columns] for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(columns))]
    lines = []
    for row in table:
        cells = [c.rjust(w) if right else c.ljust(w) for c, w, (_, _, right) in zip(row, widths, columns)]
        lines.append("  ".join(cells).rstrip())
    total = sum(r["count"] for r in rows)
    lines.append(f"{total} finding(s) in total.")
    return "\n".join(lines) + "\n"


def render_json(rows: list[dict]) -> str:
    return json.dumps(rows, indent=2) + "\n"
