"""reviewdog's rdjson (`DiagnosticResult`, reviewdog/proto/rdf/reviewdog.proto).

Positions are 1-based lines and 1-based columns counted in UTF-8 bytes, with an exclusive end; the
linter's code-point columns are converted with the file's text. Notebook findings keep the notebook
path and cell-relative line, with the cell in the message.
"""
from __future__ import annotations

import json
from typing import Optional

from ml_seclint.output.report import Report
from ml_seclint.output.sarif import PROJECT_URL, help_uri
from ml_seclint.output.source import SourceFiles

SEVERITY = {"low": "INFO", "medium": "WARNING", "high": "ERROR", "critical": "ERROR"}


def byte_column(line_text: Optional[str], column: int) -> int:
    """1-based UTF-8 byte column of 0-based code-point `column` on a line."""
    if line_text is None:
        return column + 1
    return len(line_text[:column].encode("utf-8", "surrogatepass")) + 1


def diagnostic(finding, files: SourceFiles) -> dict:
    notebook = finding.cell is not None
    start_text = None if notebook else files.line(finding.path, finding.line)
    end_text = None if notebook else files.line(finding.path, finding.end_line)
    message = finding.message if not notebook else f"cell {finding.cell}: {finding.message}"
    return {
        "message": message,
        "location": {
            "path": files.relative(finding.path),
            "range": {
                "start": {"line": finding.line, "column": byte_column(start_text, finding.column)},
                "end": {"line": finding.end_line, "column": byte_column(end_text, finding.end_column)},
            },
        },
        "severity": SEVERITY.get(finding.severity, "WARNING"),
        "code": {"value": finding.code, "url": help_uri(finding.code)},
    }


def render(report: Report) -> str:
    files = SourceFiles(report.root)
    return json.dumps({
        "source": {"name": "ml-seclint", "url": PROJECT_URL},
        "diagnostics": [diagnostic(f, files) for f in report.findings],
    }, indent=2, ensure_ascii=False) + "\n"
