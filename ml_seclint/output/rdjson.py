"""reviewdog's rdjson (`DiagnosticResult`, reviewdog/proto/rdf/reviewdog.proto).

Positions are 1-based lines and 1-based columns counted in UTF-8 bytes, with an exclusive end; the
linter's code-point columns are converted with the file's text. Notebook findings point at the line
of the .ipynb file that holds their cell's source line, with the cell in the message. A finding
whose fix was rendered as text edits carries them as `suggestions` (GitHub "suggested changes"
through reviewdog's github-pr-review reporter); the message says whether the fix is unsafe.
"""
from __future__ import annotations

import json
from typing import Optional

from ml_seclint.output.report import Report
from ml_seclint.output.sarif import help_uri
from ml_seclint.output.source import SourceFiles

SEVERITY = {"low": "INFO", "medium": "WARNING", "high": "ERROR", "critical": "ERROR"}


def byte_column(line_text: Optional[str], column: int) -> int:
    """1-based UTF-8 byte column of 0-based code-point `column` on a line."""
    if line_text is None:
        return column + 1
    return len(line_text[:column].encode("utf-8", "surrogatepass")) + 1


def _position(files: SourceFiles, path: str, line: int, column: int) -> dict:
    return {"line": line, "column": byte_column(files.line(path, line), column)}


def suggestions(finding, files: SourceFiles) -> list:
    """The fix's text edits (computed in the worker) as suggestions; none for notebooks, whose
    edits are edits of a cell, not of the .ipynb text."""
    edits = getattr(finding.fix, "edits", None)
    if not edits or finding.cell is not None:
        return []
    return [{"range": {"start": _position(files, finding.path, e.line, e.column),
                       "end": _position(files, finding.path, e.end_line, e.end_column)},
             "text": e.text} for e in edits]


def diagnostic(finding, files: SourceFiles, docs_url: Optional[str] = None) -> dict:
    line, column, end_line, end_column, exact = files.located(finding)
    message = finding.message if finding.cell is None else f"cell {finding.cell}: {finding.message}"
    if exact:
        where = {"start": _position(files, finding.path, line, column),
                 "end": _position(files, finding.path, end_line, end_column)}
    else:  # a notebook cell not found in the JSON text: the whole first line
        where = {"start": {"line": 1}}
    data = {
        "message": message,
        "location": {"path": files.relative(finding.path), "range": where},
        "severity": SEVERITY.get(finding.severity, "WARNING"),
        "code": {"value": finding.code},
    }
    url = help_uri(finding.code, docs_url)
    if url:
        data["code"]["url"] = url
    suggested = suggestions(finding, files)
    if suggested:
        safety = finding.fix.safety
        data["message"] += (f" Suggested fix: {finding.fix.title}." if safety == "safe" else
                            f" Suggested fix (unsafe, may change behaviour; review it): {finding.fix.title}.")
        data["suggestions"] = suggested
    return data


def render(report: Report) -> str:
    files = SourceFiles(report.root, report.sources)
    return json.dumps({
        "source": {"name": "ml-seclint"},
        "diagnostics": [diagnostic(f, files, report.docs_url) for f in report.findings],
    }, indent=2, ensure_ascii=False) + "\n"
