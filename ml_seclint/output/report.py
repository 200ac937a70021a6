"""What every output format renders: the run (`Report`) and the shape of one finding."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

from ml_seclint import __version__
from ml_seclint.guidelines import SECTIONS
from ml_seclint.engine.finding import SEVERITIES, Finding
from ml_seclint.engine.registry import RULES


@dataclass
class Report:
    """Everything a formatter may need about one run."""

    findings: list[Finding]
    files_checked: int
    suppressed: list[Finding] = field(default_factory=list)
    root: Optional[str] = None  # paths in machine formats are relative to this
    version: str = __version__
    show_suppressed: bool = False  # --show-suppressed: list `suppressed` with the reasons
    baseline: Optional[str] = None  # the --baseline file, when one was applied
    fixed: list[Finding] = field(default_factory=list)  # findings fixed by --fix (not in findings)
    hidden: int = 0  # findings left out by the --severity / --confidence display filters
    sources: dict = field(default_factory=dict)  # path -> text of inputs not on disk (stdin)
    sarif_category: Optional[str] = None  # SARIF automationDetails.id category
    docs_url: Optional[str] = None  # base URL or {code} template of hosted rule pages

    def summary(self) -> dict:
        return {
            "files_checked": self.files_checked,
            "files_with_findings": len({f.path for f in self.findings}),
            "findings": len(self.findings),
            "suppressed": len(self.suppressed),
            "by_code": dict(sorted(Counter(f.code for f in self.findings).items())),
            "by_severity": dict(sorted(Counter(f.severity for f in self.findings).items())),
            "by_context": dict(sorted(Counter(f.context for f in self.findings).items())),
            "fixed": len(self.fixed),
            "fixable": {safety: sum(1 for f in self.findings if fix_safety(f) == safety)
                        for safety in ("safe", "unsafe")},
        }


_SUFFIX = re.compile(r" \[AI guideline [^\[\]]*\]$")


def by_severity(findings: list[Finding]) -> list[tuple[str, int]]:
    """(severity, count), the most severe first; unknown severities last."""
    counts = Counter(f.severity for f in findings)
    order = [*reversed(SEVERITIES), *sorted(set(counts) - set(SEVERITIES))]
    return [(severity, counts[severity]) for severity in order if counts[severity]]


def short_message(finding: Finding) -> str:
    """The message without its `[AI guideline ...; CWE-...]` suffix (shown on its own line in
    the full text output, and left out of the concise one)."""
    return _SUFFIX.sub("", finding.message)


def rule_url(code: str, docs_url: Optional[str]) -> Optional[str]:
    """The hosted page of a rule (`docs-url` setting: a base URL or a template with {code})."""
    if not docs_url:
        return None
    if "{code}" in docs_url:
        return docs_url.replace("{code}", code)
    return f"{docs_url.rstrip('/')}/{code}.md"


def fix_safety(finding: Finding) -> Optional[str]:
    """"safe" or "unsafe" when the finding has a fix, else None."""
    safety = getattr(finding.fix, "safety", None)
    return safety if safety in ("safe", "unsafe") else None


def fix_summary(findings: list[Finding], marked: bool = True) -> list[str]:
    """Summary lines counting the findings that `--fix` / `--fix --unsafe-fixes` would remove
    (`marked`: the finding lines show the `(fix: ...)` marker of `fix_marker`)."""
    lines = []
    for safety, how in (("safe", "--fix"), ("unsafe", "--fix --unsafe-fixes")):
        count = sum(1 for f in findings if fix_safety(f) == safety)
        if count:
            article = "an" if safety == "unsafe" else "a"
            which = f"marked (fix: {safety})" if marked else f"with {article} {safety} fix"
            lines.append(f"{count} finding(s) {which} can be fixed with {how}.")
    return lines


def fix_marker(finding: Finding) -> str:
    """` (fix: safe)` / ` (fix: unsafe)` after a finding that has a fix, else ''."""
    safety = fix_safety(finding)
    return f" (fix: {safety})" if safety else ""


def finding_dict(finding: Finding) -> dict:
    """The JSON shape of one finding: 1-based lines and columns, end column exclusive."""
    rule = RULES.get(finding.code)
    data = {
        "path": finding.path,
        "line": finding.line,
        "column": finding.column + 1,
        "end_line": finding.end_line,
        "end_column": finding.end_column + 1,
        "code": finding.code,
        "name": rule.name if rule else "file-not-checked",
        "message": finding.message,
        "severity": finding.severity,
        "confidence": finding.confidence,
        "guideline": SECTIONS[rule.guideline].as_dict() if rule else None,
        "secondary_guidelines": [SECTIONS[s].as_dict() for s in rule.secondary_guidelines] if rule else [],
        "cwe": [f"CWE-{n}" for n in rule.cwe] if rule else [],
        "owasp": list(rule.owasp) if rule else [],
        "atlas": list(rule.atlas) if rule else [],
        "fix": {"available": fix_safety(finding) is not None, "safety": fix_safety(finding),
                "title": getattr(finding.fix, "title", None) if fix_safety(finding) else None},
    }
    data["context"] = finding.context
    if finding.cell is not None:
        data["cell"] = finding.cell
    if finding.related:  # the other places of a flow (its source first), as in SARIF
        data["related"] = [related_dict(place) for place in finding.related]
    return data


def related_dict(place) -> dict:
    data = {"line": place.line, "column": place.column + 1, "end_line": place.end_line,
            "end_column": place.end_column + 1, "message": place.message}
    if place.cell is not None:
        data["cell"] = place.cell
    return data
