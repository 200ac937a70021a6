"""One file's results as the CLI and the fixer hand them on, and the step that picks them:
enabled codes, then suppression comments."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ml_seclint.engine.config import Settings
from ml_seclint.engine.finding import Finding
from ml_seclint.engine.suppress import apply_suppressions


@dataclass
class CheckResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)
    lines: int = 0
    fixed: list[Finding] = field(default_factory=list)  # findings whose fix was applied
    diff: str = ""  # unified diff of the fixes (with --fix and --diff)
    stage: str = ""  # where the file stopped (engine/lint.py STAGES) or "cache" (ML_SECLINT_STATS)
    source: Optional[str] = None  # the checked text, when it was not a file (standard input)


def select_findings(findings: list[Finding], text: str, path: str, settings: Settings,
                    disable_noqa: bool = False) -> tuple[list[Finding], list[Finding]]:
    """(kept, suppressed): the enabled findings, split by suppression comments."""
    findings = [f for f in findings if settings.code_enabled(f.code, path)]
    suppressed: list[Finding] = []
    if not disable_noqa:
        require_reason = bool(settings.extra.get("require-reason")) \
            and settings.code_enabled("MLS001", path)
        findings, suppressed = apply_suppressions(findings, text, path=path, require_reason=require_reason,
                                                  nosec=settings.extra.get("honour-nosec") is True)
    return findings, suppressed
