"""`ml-seclint report`: one page per repository, organised by the NCSC/CISA guideline.

`build()` turns findings in their JSON shape (`report.finding_dict`, as `check --format json`
writes them, so a saved results file works as well as a fresh run) into a `GuidelineReport`:
per guideline area and section the findings (counts by severity, the rules that found them, the
files with most findings), the sections ml-seclint has rules for, the sections it cannot check
from code and why, and a short "what to do first" list by severity. `markdown()` renders it;
ml_seclint.output.guideline_html renders the same model as a self-contained HTML page.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

from ml_seclint.engine.finding import NOT_CHECKED, SEVERITIES
from ml_seclint.engine.registry import RULES
from ml_seclint.guidelines import (ATLAS_TITLES, AREAS, CWE_TITLES, DOCUMENT, DOCUMENT_URL, OWASP_TITLES,
                                   SECTIONS)
from ml_seclint.output.report import rule_url

#: how many files a section lists, and how many items "what to do first" has
TOP_FILES = 5
FIRST_STEPS = 5

# Why a section without rules cannot be checked by reading code (paraphrasing what it asks for).
NOT_STATIC = {
    "0.1": "who is accountable for security downstream: an organisational commitment",
    "1.1": "staff training and awareness of AI threats",
    "1.2": "a documented threat model and risk assessment",
    "1.4": "choosing a model and architecture with the threat model in mind",
    "2.3": "model and data cards, SBOMs, records of data sources and guardrails",
    "2.4": "tracking technical debt over the life cycle (MLS001 covers silenced findings)",
    "3.3": "incident response, escalation and remediation plans",
    "3.4": "security evaluation (benchmarks, red teaming) before release",
    "3.5": "secure defaults and user guidance of the released product",
    "4.1": "monitoring outputs and behaviour in production",
    "4.2": "logging and monitoring inputs in production",
    "4.3": "the update process for models, data and prompts",
    "4.4": "sharing lessons learned and vulnerability disclosure",
}
_RANK = {s: i for i, s in enumerate(SEVERITIES)}


@dataclass
class RuleRow:
    code: str
    name: str
    severity: str
    summary: str
    count: int = 0
    files: int = 0
    fix: Optional[str] = None  # "safe" / "unsafe" / None, from the rule
    fixable: int = 0  # findings with a fix here
    url: str = ""  # the hosted page (docs-url) or an anchor in the report
    worst: str = ""  # the highest severity among its findings (a finding may be raised above the rule's)


@dataclass
class SectionRow:
    id: str
    title: str
    area: str
    rules: list[RuleRow] = field(default_factory=list)  # rules whose primary section this is
    secondary: list[str] = field(default_factory=list)  # rules citing it as a secondary section
    by_severity: dict[str, int] = field(default_factory=dict)
    top_files: list[tuple[str, int]] = field(default_factory=list)
    not_static: Optional[str] = None  # why no rule can check it (sections without rules)

    @property
    def count(self) -> int:
        return sum(self.by_severity.values())

    @property
    def checked(self) -> bool:
        return bool(self.rules or self.secondary)


@dataclass
class GuidelineReport:
    version: str
    files_checked: Optional[int]
    total: int
    by_severity: dict[str, int]
    areas: list[tuple[str, str, list[SectionRow]]]  # (number, name, sections)
    first_steps: list[tuple[RuleRow, list[str]]]  # the rule and example locations
    not_checked: list[str]  # MLS000: files that could not be checked (path: reason)
    rules: list[RuleRow]
    by_context: dict[str, int] = field(default_factory=dict)  # library, test, example, ...


def build(findings: list[dict], files_checked: Optional[int], version: str,
          docs_url: Optional[str] = None) -> GuidelineReport:
    real = [f for f in findings if f.get("code") != NOT_CHECKED]
    by_code: dict[str, list[dict]] = {}
    for f in real:
        by_code.setdefault(f["code"], []).append(f)
    rows: dict[str, RuleRow] = {}
    for code, rule in RULES.items():
        hits = by_code.get(code, [])
        rows[code] = RuleRow(code, rule.name, rule.severity, rule.summary, len(hits),
                             len({f["path"] for f in hits}), rule.fix_safety,
                             sum(1 for f in hits if (f.get("fix") or {}).get("available")),
                             rule_url(code, docs_url) or f"#{code}",
                             SEVERITIES[_worst_rank(hits)] if hits else rule.severity)
    sections: dict[str, SectionRow] = {sid: SectionRow(sid, s.title, s.area) for sid, s in SECTIONS.items()}
    for code, rule in RULES.items():
        sections[rule.guideline].rules.append(rows[code])
        for sid in rule.secondary_guidelines:
            sections[sid].secondary.append(code)
    per_section: dict[str, list[dict]] = {}
    for f in real:
        sid = (f.get("guideline") or {}).get("id")
        if sid in sections:
            per_section.setdefault(sid, []).append(f)
    for sid, row in sections.items():
        hits = per_section.get(sid, [])
        counts = Counter(f["severity"] for f in hits)
        row.by_severity = {s: counts[s] for s in reversed(SEVERITIES) if counts[s]}
        row.top_files = Counter(f["path"] for f in hits).most_common(TOP_FILES)
        row.rules.sort(key=lambda r: (-r.count, r.code))
        if not row.checked:
            row.not_static = NOT_STATIC.get(sid, "a process or organisational measure")
    areas = []
    for number, name in AREAS.items():
        members = [row for sid, row in sections.items() if sid.split(".")[0] == number]
        if members:
            areas.append((number, name, members))
    total = Counter(f["severity"] for f in real)
    ranked = sorted((r for r in rows.values() if r.count),
                    key=lambda r: (-_worst_rank(by_code[r.code]), -r.count, r.code))
    first = [(r, [_where(f) for f in by_code[r.code][:3]]) for r in ranked[:FIRST_STEPS]]
    not_checked = [f"{f['path']}: {f['message']}" for f in findings if f.get("code") == NOT_CHECKED]
    contexts = Counter(f.get("context") or "library" for f in real)
    return GuidelineReport(version, files_checked, len(real),
                           {s: total[s] for s in reversed(SEVERITIES) if total[s]}, areas, first,
                           not_checked, list(rows.values()),
                           dict(sorted(contexts.items(), key=lambda item: (-item[1], item[0]))))


def _worst_rank(findings: list[dict]) -> int:
    return max(_RANK.get(f["severity"], 0) for f in findings)


def _where(finding: dict) -> str:
    cell = f"cell {finding['cell']}:" if finding.get("cell") is not None else ""
    return f"{finding['path']}:{cell}{finding['line']}"


def standards(code: str) -> list[str]:
    """The rule's CWE, OWASP and ATLAS ids with their titles."""
    rule = RULES[code]
    return ([f"CWE-{n} {CWE_TITLES.get(n, '')}".rstrip() for n in rule.cwe]
            + [f"OWASP {o} {OWASP_TITLES.get(o, '')}".rstrip() for o in rule.owasp]
            + [f"ATLAS {a} {ATLAS_TITLES.get(a, '')}".rstrip() for a in rule.atlas])


def advice(row: RuleRow) -> str:
    if row.fix == "safe":
        return "`ml-seclint check --fix` fixes them"
    if row.fix == "unsafe":
        return "`ml-seclint check --diff --unsafe-fixes` shows fixes to review"
    return f"`ml-seclint explain {row.code}` says what to write instead"


# -- Markdown ----------------------------------------------------------------------------------

def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _severities(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {s}" for s, n in counts.items()) or "none"


def markdown(report: GuidelineReport) -> str:
    out = ["# ml-seclint guideline report", ""]
    checked = f"{report.files_checked} file(s) checked, " if report.files_checked is not None else ""
    out += [f"{checked}{report.total} finding(s) ({_severities(report.by_severity)}); ml-seclint "
            f"{report.version}. Sections are those of the [{DOCUMENT}]({DOCUMENT_URL}); the x.y "
            f"numbers are ml-seclint's (docs/guidelines.md).", ""]
    if set(report.by_context) - {"library"}:
        out += ["By code context: " + ", ".join(f"{n} {c}" for c, n in report.by_context.items()) + ".", ""]
    if report.not_checked:
        out += [f"**{len(report.not_checked)} file(s) could not be checked** (MLS000):", ""]
        out += [f"- `{_md_cell(line)}`" for line in report.not_checked[:20]] + [""]
    out += ["## What to do first", ""]
    if not report.first_steps:
        out += ["Nothing: no findings.", ""]
    for number, (row, where) in enumerate(report.first_steps, 1):
        examples = ", ".join(f"`{w}`" for w in where)
        out.append(f"{number}. **{row.worst}**: {row.count} x [{row.code}]({row.url}) {row.name} in "
                   f"{row.files} file(s) (e.g. {examples}); {advice(row)}.")
    out += ["", "## Coverage of the guideline", "",
            "| Section | Area | Findings | Severity | ml-seclint rules |", "|---|---|---|---|---|"]
    for _, _, sections in report.areas:
        for s in sections:
            rules = ", ".join(f"[{r.code}]({r.url})" for r in s.rules) or \
                (f"secondary: {', '.join(s.secondary)}" if s.secondary else "not checkable from code")
            out.append(f"| [{s.id}](#section-{s.id.replace('.', '-')}) {_md_cell(s.title)} | {s.area} | "
                       f"{s.count} | {_severities(s.by_severity) if s.count else '-'} | {rules} |")
    for number, name, sections in report.areas:
        out += ["", f"## {number} {name}"]
        for s in sections:
            out += ["", f'<a id="section-{s.id.replace(".", "-")}"></a>', f"### {s.id} {s.title}", ""]
            if s.not_static:
                out.append(f"Not checked: {s.not_static} cannot be seen in code.")
                continue
            out.append(f"{s.count} finding(s) ({_severities(s.by_severity)})." if s.count else
                       "No findings.")
            if s.rules:
                out += ["", "| Rule | Severity | Findings | Files | Fix |", "|---|---|---|---|---|"]
                out += [f"| [{r.code}]({r.url}) {r.name} | {r.severity} | {r.count} | {r.files} | "
                        f"{r.fix or '-'} |" for r in s.rules]
            if s.secondary:
                out += ["", "Also relevant: " + ", ".join(s.secondary) + " (primary section elsewhere)."]
            if s.top_files:
                out += ["", "Files with most findings: "
                        + ", ".join(f"`{path}` ({n})" for path, n in s.top_files) + "."]
    out += ["", "## Rules", ""]
    for r in report.rules:
        rule = RULES[r.code]
        section = SECTIONS[rule.guideline]
        out += [f'<a id="{r.code}"></a>', f"**{r.code} {r.name}** ({r.severity}): {_md_cell(r.summary)}. "
                f"Guideline {section.id} {section.title}. {'; '.join(standards(r.code))}.", ""]
    return "\n".join(out).rstrip("\n") + "\n"
