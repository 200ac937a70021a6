"""GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` annotation per finding.

Escaping follows actions/toolkit (core/src/command.ts): the message escapes `%`, CR and LF;
property values also escape `:` and `,`. Columns are 1-based code points with an inclusive end, and
are only sent for single-line findings (the toolkit rejects columns on multi-line annotations).
Notebook findings point at the .ipynb line holding their cell's source line (line 1 when it
cannot be found), with the cell in the message.
GitHub shows at most 10 annotations of each level per step and 50 per job: for complete results
upload SARIF (docs/ci.md).
"""
from __future__ import annotations

from ml_seclint.engine.registry import RULES
from ml_seclint.output.report import Report
from ml_seclint.output.source import SourceFiles

LEVEL = {"low": "notice", "medium": "warning", "high": "error", "critical": "error"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding, files: SourceFiles) -> str:
    rule = RULES.get(finding.code)
    title = f"{finding.code} {rule.name if rule else 'file-not-checked'} ({finding.severity})"
    line, column, end_line, end_column, exact = files.located(finding)
    props = [("file", files.relative(finding.path)), ("line", line)]
    if end_line > line:
        props.append(("endLine", end_line))
    elif exact:
        props.append(("col", column + 1))
        if end_column > column:
            props.append(("endColumn", end_column))
    props.append(("title", title))
    message = finding.message if finding.cell is None else f"cell {finding.cell}: {finding.message}"
    rendered = ",".join(f"{key}={escape_property(str(value))}" for key, value in props)
    return f"::{LEVEL.get(finding.severity, 'warning')} {rendered}::{escape_data(message)}"


def render(report: Report) -> str:
    files = SourceFiles(report.root)
    return "".join(annotation(f, files) + "\n" for f in report.findings)
