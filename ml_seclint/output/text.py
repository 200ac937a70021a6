"""Text for people, in Ruff's two styles.

`concise`: one line per finding, `path:line:col: CODE [severity] message (fix: safe)` (notebooks:
`path:cell N:line:col:`), the first word after the location being the code as in flake8.
`full` (the default on a terminal): the same line, then the flagged source with a caret range,
the guideline section and CWE, and whether a fix exists.

`render_findings` renders any batch of findings (one file's, as it completes) and `render_summary`
the closing lines, so a caller can stream. Source lines are shown with anything that looks like
a secret masked (same length, so the carets stay aligned): the span of an MLS4xx finding,
provider-shaped keys, string literals that look like credentials, URL passwords,
credential-named URL parameters and authorization values, whatever rules ran.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Optional

from ml_seclint.engine.registry import RULES
from ml_seclint.guidelines import SECTIONS
from ml_seclint.output.report import (Report, by_severity, fix_marker, fix_safety, fix_summary,
                                      short_message)
from ml_seclint.output.source import SourceFiles
from ml_seclint.output.style import Painter

#: at most this many source lines of a multi-line finding are shown
MAX_SOURCE_LINES = 4
_STRING = re.compile(r"""(?P<q>['"])(?P<body>(?:\\.|(?!(?P=q)).)*)(?P=q)""")


@dataclass
class TextOptions:
    style: str = "concise"  # or "full"
    colour: bool = False
    quiet: bool = False  # findings only, no summary


def location(finding) -> str:
    cell = f"cell {finding.cell}:" if finding.cell is not None else ""
    return f"{finding.path}:{cell}{finding.line}:{finding.column + 1}"


def headline(finding, paint: Painter) -> str:
    return (f"{paint(location(finding), 'bold')}: {paint(finding.code, 'bold')} "
            f"{paint('[' + finding.severity + ']', *_severity_style(finding.severity))} "
            f"{short_message(finding)}{fix_marker(finding)}")


def _severity_style(severity: str) -> tuple:
    from ml_seclint.output.style import SEVERITY_STYLE

    return SEVERITY_STYLE.get(severity, ("yellow",))


def render_findings(findings: Iterable, options: TextOptions, files: Optional[SourceFiles] = None,
                    secrets: Iterable = ()) -> str:
    """The lines of `findings`. `secrets`: other MLS4xx findings (suppressed ones too) whose
    spans are masked wherever their lines are shown."""
    paint = Painter(options.colour)
    findings = list(findings)
    if options.style != "full":
        return "".join(headline(f, paint) + "\n" for f in findings)
    files = files or SourceFiles()
    masks = _secret_spans([*findings, *secrets], files)
    return "".join(_full(f, paint, files, masks) for f in findings)


def _full(finding, paint: Painter, files: SourceFiles, masks: dict) -> str:
    out = [headline(finding, paint)]
    snippet = _snippet(finding, paint, files, masks)
    if snippet:
        out.extend(snippet)
    rule = RULES.get(finding.code)
    notes = []
    if rule is not None:
        section = SECTIONS[rule.guideline]
        cwe = "; " + ", ".join(f"CWE-{n}" for n in rule.cwe) if rule.cwe else ""
        notes.append(f"guideline {section.id} {section.area}: {section.title}{cwe}")
        safety = fix_safety(finding)
        if safety:
            how = "--fix" if safety == "safe" else "--fix --unsafe-fixes"
            notes.append(f"fix ({safety}): {getattr(finding.fix, 'title', '')} "
                         f"(ml-seclint check {how})")
        else:
            notes.append("fix: none automatic; `ml-seclint explain " + finding.code + "` says what to write")
    out.extend(paint("   = ", "blue", "bold") + note for note in notes)
    return "\n".join(out) + "\n\n"


def _snippet(finding, paint: Painter, files: SourceFiles, masks: dict) -> list[str]:
    last = min(finding.end_line, finding.line + MAX_SOURCE_LINES - 1)
    rows = []
    for number in range(finding.line, max(last, finding.line) + 1):
        text = files.line(finding.path, number, finding.cell)
        if text is None:
            return []
        text = mask_secrets(text, masks.get((files.absolute(finding.path), finding.cell, number), ()))
        start = finding.column if number == finding.line else len(text) - len(text.lstrip())
        end = finding.end_column if number == finding.end_line else len(text.rstrip())
        rows.append((number, text, start, max(end, start + 1)))
    width = len(str(rows[-1][0]))
    gutter = paint(" " * width + " |", "blue", "bold")
    out = [gutter]
    for number, text, start, end in rows:
        shown = text.expandtabs(4)
        left = len(text[:start].expandtabs(4))
        right = len(text[:min(end, len(text))].expandtabs(4)) if end <= len(text) else left + end - start
        out.append(paint(str(number).rjust(width) + " |", "blue", "bold") + " " + shown)
        if number == finding.line:  # the carets mark where the finding starts; the lines after it
            carets = paint("^" * max(right - left, 1), *_severity_style(finding.severity))  # follow
            out.append(gutter + " " + " " * left + carets)
    if finding.end_line > last:
        out.append(gutter + " ...")
    out.append(gutter)
    return out


def _secret_spans(findings: Iterable, files: SourceFiles) -> dict:
    """(absolute path, cell, line) -> [(start, end)] spans of MLS4xx findings on that line."""
    spans: dict = {}
    for f in findings:
        if f.code.startswith("MLS4"):
            for number in range(f.line, f.end_line + 1):
                start = f.column if number == f.line else 0
                end = f.end_column if number == f.end_line else 1 << 30
                spans.setdefault((files.absolute(f.path), f.cell, number), []).append((start, end))
    return spans


def mask(value: str) -> str:
    """Same length, at most four (and at most a quarter) of the characters shown."""
    shown = min(4, len(value) // 4)
    return value[:shown] + "*" * (len(value) - shown)


def mask_secrets(line: str, spans: Iterable = ()) -> str:
    from ml_seclint.secrets_table import credential_spans, find_keys, looks_secret

    chars = list(line)

    def hide(start: int, end: int) -> None:
        end = min(end, len(chars))
        chars[start:end] = mask("".join(chars[start:end]))

    for start, end in spans:
        hide(start, end)
    for key in find_keys(line):
        hide(key.start, key.end)
    for start, end in credential_spans(line):  # a URL's password, `?token=...`, `Bearer ...`
        hide(start, end)
    for match in _STRING.finditer(line):
        body = match.group("body")
        if "{" not in body and looks_secret(body):  # (an f-string's placeholders are not a key)
            hide(match.start("body"), match.end("body"))
    return "".join(chars)


def render_summary(report: Report, options: TextOptions) -> str:
    if options.quiet:
        return ""
    paint = Painter(options.colour)
    lines = []
    summary = report.summary()
    if report.findings:
        severities = ", ".join(paint(f"{n} {s}", *_severity_style(s))
                               for s, n in by_severity(report.findings))
        if options.style != "full":
            lines.append("")
        lines.append(f"Found {summary['findings']} finding(s) ({severities}) in "
                     f"{summary['files_with_findings']} of {summary['files_checked']} file(s).")
        if set(summary["by_context"]) != {"library"}:
            lines.append("By context: " + ", ".join(f"{n} {c}" for c, n in sorted(
                summary["by_context"].items(), key=lambda item: (-item[1], item[0]))) + ".")
    else:
        lines.append(f"No findings in {summary['files_checked']} file(s).")
    if report.hidden:
        lines.append(f"{report.hidden} finding(s) below the --severity/--confidence filter not shown.")
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
            lines.append(headline(f, paint))
            lines.append(f"    by {why}")
    return "\n".join(lines) + "\n"


def render(report: Report, options: Optional[TextOptions] = None) -> str:
    options = options or TextOptions()
    files = SourceFiles(report.root, report.sources)
    return (render_findings(report.findings, options, files, report.suppressed)
            + render_summary(report, options))
