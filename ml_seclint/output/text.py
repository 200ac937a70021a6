"""flake8-style lines: `path:line:col: CODE message` (notebooks: `path:cell N:line:col:`)."""
from __future__ import annotations

from ml_seclint.output.report import Report, fix_marker, fix_summary


def location(finding) -> str:
    cell = f"cell {finding.cell}:" if finding.cell is not None else ""
    return f"{finding.path}:{cell}{finding.line}:{finding.column + 1}"


def finding_lines(findings) -> list[str]:
    return [f"{location(f)}: {f.code} {f.message}{fix_marker(f)}" for f in findings]


def render(report: Report, streamed: bool = False) -> str:
    """The report; `streamed`: without the finding lines, already printed file by file."""
    lines = [] if streamed else finding_lines(report.findings)
    summary = report.summary()
    if report.findings:
        severities = ", ".join(f"{n} {s}" for s, n in summary["by_severity"].items())
        lines.append("")
        lines.append(f"Found {summary['findings']} finding(s) ({severities}) in "
                     f"{summary['files_with_findings']} of {summary['files_checked']} file(s).")
        if set(summary["by_context"]) != {"library"}:
            lines.append("By context: " + ", ".join(f"{n} {c}" for c, n in sorted(
                summary["by_context"].items(), key=lambda item: (-item[1], item[0]))) + ".")
    else:
        lines.append(f"No findings in {summary['files_checked']} file(s).")
    if report.suppressed:
        accepted = sum(1 for f in report.suppressed if f.suppression and f.suppression.kind == "baseline")
        parts = [f"{len(report.suppressed) - accepted} finding(s) suppressed by comments"] \
            if accepted < len(report.suppressed) else []
        parts += [f"{accepted} accepted by the baseline"] if accepted else []
        hint = "" if report.show_suppressed else " (--show-suppressed lists them)"
        lines.append(", ".join(parts) + hint + ".")
    if report.fixed:
        files = len({f.path for f in report.fixed})
        lines.append(f"Fixed {len(report.fixed)} finding(s) in {files} file(s); "
                     f"{len(report.findings) or 'none'} remain.")
    lines.extend(fix_summary(report.findings))
    if report.show_suppressed and report.suppressed:
        lines.append("")
        lines.append("Suppressed:")
        for f in report.suppressed:
            why = f.suppression.describe() if f.suppression else "suppressed"
            lines.append(f"{location(f)}: {f.code} {f.message}")
            lines.append(f"    by {why}")
    return "\n".join(lines) + "\n"
