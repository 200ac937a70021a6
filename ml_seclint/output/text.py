"""flake8-style lines: `path:line:col: CODE message` (notebooks: `path:cell N:line:col:`)."""
from __future__ import annotations

from ml_seclint.output import Report


def location(finding) -> str:
    cell = f"cell {finding.cell}:" if finding.cell is not None else ""
    return f"{finding.path}:{cell}{finding.line}:{finding.column + 1}"


def render(report: Report) -> str:
    lines = [f"{location(f)}: {f.code} {f.message}" for f in report.findings]
    summary = report.summary()
    if report.findings:
        severities = ", ".join(f"{n} {s}" for s, n in summary["by_severity"].items())
        lines.append("")
        lines.append(f"Found {summary['findings']} finding(s) ({severities}) in "
                     f"{summary['files_with_findings']} of {summary['files_checked']} file(s).")
    else:
        lines.append(f"No findings in {summary['files_checked']} file(s).")
    if report.suppressed:
        lines.append(f"{len(report.suppressed)} finding(s) suppressed by noqa comments.")
    return "\n".join(lines) + "\n"
