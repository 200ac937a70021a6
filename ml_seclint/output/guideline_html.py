"""The guideline report (ml_seclint.output.guideline_report) as one self-contained HTML page:
inline CSS, no scripts, no external resources, so it can be attached to a ticket or archived."""
from __future__ import annotations

from html import escape

from ml_seclint.engine.registry import RULES
from ml_seclint.guidelines import DOCUMENT, DOCUMENT_URL, SECTIONS
from ml_seclint.output.guideline_report import GuidelineReport, advice, standards

CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;
background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px 32px 48px}
h1{font-size:26px;margin:8px 0 4px}h2{font-size:20px;margin:32px 0 8px;border-bottom:2px solid #dde1e7}
h3{font-size:16px;margin:20px 0 6px}.muted{color:#5b6475}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.card{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:10px 16px;min-width:110px}
.card b{display:block;font-size:24px}
table{border-collapse:collapse;width:100%;background:#fff;margin:8px 0}
th,td{border:1px solid #dde1e7;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5}td.n{text-align:right;font-variant-numeric:tabular-nums}
.sev{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px;font-weight:600;color:#fff}
.critical{background:#7b1fa2}.high{background:#c62828}.medium{background:#ef6c00}.low{background:#0277bd}
.bar{height:10px;background:#c62828;border-radius:3px;min-width:2px}
.section{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:4px 16px 12px;margin:12px 0}
.unchecked{background:#fafbfc;color:#5b6475}
code{background:#eef1f5;border-radius:3px;padding:0 4px;font-size:13px}
ol li{margin:4px 0}
"""


def _sev(severity: str) -> str:
    return f'<span class="sev {escape(severity)}">{escape(severity)}</span>'


def _severities(counts: dict[str, int]) -> str:
    return " ".join(f"{_sev(s)} {n}" for s, n in counts.items()) or "-"


def _code(text: str) -> str:
    return f"<code>{escape(text)}</code>"


def _md_code(text: str) -> str:
    """`advice()` text with its backticks as <code>."""
    parts = escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def render(report: GuidelineReport) -> str:
    out = ['<!DOCTYPE html>', '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<title>ml-seclint guideline report</title>", f"<style>{CSS}</style>", "</head>", "<body>",
           "<main>",
           "<h1>ml-seclint guideline report</h1>",
           f'<p class="muted">Findings mapped to the <a href="{escape(DOCUMENT_URL)}">'
           f"{escape(DOCUMENT)}</a>; the x.y section numbers are ml-seclint's. "
           f"ml-seclint {escape(report.version)}.</p>",
           '<div class="cards">']
    if report.files_checked is not None:
        out.append(f'<div class="card" id="files-checked"><b>{report.files_checked}</b>files checked</div>')
    out.append(f'<div class="card" id="findings-total"><b>{report.total}</b>findings</div>')
    for severity, count in report.by_severity.items():
        out.append(f'<div class="card"><b>{count}</b>{_sev(severity)}</div>')
    out.append("</div>")
    if set(report.by_context) - {"library"}:
        out.append('<p id="by-context">By code context: '
                   + ", ".join(f"{n} {escape(c)}" for c, n in report.by_context.items()) + ".</p>")
    if report.not_checked:
        out.append(f"<p><strong>{len(report.not_checked)} file(s) could not be checked</strong> "
                   f"(MLS000):</p><ul>")
        out += [f"<li>{_code(line)}</li>" for line in report.not_checked[:20]]
        out.append("</ul>")
    out += ['<h2 id="first">What to do first</h2>', '<ol id="first-steps">']
    for row, where in report.first_steps:
        examples = ", ".join(_code(w) for w in where)
        out.append(f'<li>{_sev(row.worst)} <strong>{row.count}</strong> &times; '
                   f'<a href="{escape(row.url)}">{escape(row.code)}</a> {escape(row.name)} in {row.files} '
                   f"file(s), e.g. {examples}; {_md_code(advice(row))}.</li>")
    if not report.first_steps:
        out.append("<li>Nothing: no findings.</li>")
    out.append("</ol>")
    most = max([s.count for _, _, sections in report.areas for s in sections] + [1])
    out += ['<h2 id="coverage">Coverage of the guideline</h2>', '<table id="coverage-table">',
            "<thead><tr><th>Section</th><th>Area</th><th>Findings</th><th></th><th>Severity</th>"
            "<th>ml-seclint rules</th></tr></thead>", "<tbody>"]
    for _, _, sections in report.areas:
        for s in sections:
            if s.rules or s.secondary:
                rules = ", ".join(f'<a href="{escape(r.url)}">{escape(r.code)}</a>' for r in s.rules)
                if s.secondary:
                    rules += (" " if rules else "") + '<span class="muted">secondary: ' + \
                        escape(", ".join(s.secondary)) + "</span>"
            else:
                rules = '<span class="muted">not checkable from code</span>'
            width = 100 * s.count / most
            out.append(f'<tr data-section="{escape(s.id)}"><td><a href="#section-{s.id.replace(".", "-")}">'
                       f"{escape(s.id)}</a> {escape(s.title)}</td><td>{escape(s.area)}</td>"
                       f'<td class="n">{s.count}</td><td style="width:120px">'
                       + (f'<div class="bar" style="width:{width:.0f}%"></div>' if s.count else "")
                       + f"</td><td>{_severities(s.by_severity)}</td><td>{rules}</td></tr>")
    out += ["</tbody>", "</table>"]
    for number, name, sections in report.areas:
        out.append(f'<h2 id="area-{escape(number)}">{escape(number)} {escape(name)}</h2>')
        for s in sections:
            anchor = f"section-{s.id.replace('.', '-')}"
            if s.not_static:
                out.append(f'<div class="section unchecked" id="{anchor}"><h3>{escape(s.id)} '
                           f"{escape(s.title)}</h3><p>Not checked: {escape(s.not_static)} cannot be seen in "
                           f"code.</p></div>")
                continue
            out.append(f'<div class="section" id="{anchor}"><h3>{escape(s.id)} {escape(s.title)}</h3>')
            out.append(f"<p>{s.count} finding(s) {_severities(s.by_severity)}</p>" if s.count
                       else "<p>No findings.</p>")
            if s.rules:
                out.append("<table><thead><tr><th>Rule</th><th>Severity</th><th>Findings</th><th>Files</th>"
                           "<th>Fix</th></tr></thead><tbody>")
                out += [f'<tr><td><a href="{escape(r.url)}">{escape(r.code)}</a> {escape(r.name)}</td>'
                        f'<td>{_sev(r.severity)}</td><td class="n">{r.count}</td><td class="n">{r.files}</td>'
                        f"<td>{escape(r.fix or '-')}</td></tr>" for r in s.rules]
                out.append("</tbody></table>")
            if s.secondary:
                out.append(f'<p class="muted">Also relevant: {escape(", ".join(s.secondary))} '
                           f"(primary section elsewhere).</p>")
            if s.top_files:
                out.append("<p>Files with most findings: "
                           + ", ".join(f"{_code(path)} ({n})" for path, n in s.top_files) + "</p>")
            out.append("</div>")
    out += ['<h2 id="rules">Rules</h2>', "<table><thead><tr><th>Rule</th><th>Severity</th>"
            "<th>What it flags</th><th>Guideline</th><th>Standards</th></tr></thead><tbody>"]
    for r in report.rules:
        section = SECTIONS[RULES[r.code].guideline]
        out.append(f'<tr id="{escape(r.code)}"><td>{escape(r.code)} {escape(r.name)}</td>'
                   f"<td>{_sev(r.severity)}</td><td>{escape(r.summary)}</td>"
                   f"<td>{escape(section.id)} {escape(section.title)}</td>"
                   f"<td>{'<br>'.join(escape(s) for s in standards(r.code))}</td></tr>")
    out += ["</tbody></table>", "</main>", "</body>", "</html>"]
    return "\n".join(out) + "\n"
