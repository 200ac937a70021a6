"""MLS0xx: findings about ml-seclint's own suppression comments (CLI only).

MLS000 (file could not be checked) is the engine's; MLS001 is produced by the CLI's suppression
step (ml_seclint/suppress.py) when `require-reason = true`, never by a traversal: the class only
carries the metadata that `rules`, `explain`, the docs test and SARIF read. It has no triggers, so
the engine never runs it.
"""
from __future__ import annotations

from typing import Sequence

from ml_seclint.engine.finding import Finding  # noqa: F401 - the return type
from ml_seclint.engine.rule import Rule


class SuppressionWithoutReason(Rule):
    code = "MLS001"
    context_severity: dict = {}
    summary = "a # noqa or # ml-seclint: ignore comment silences a finding without saying why"
    message = "{directive} silences {codes} without a reason; write why after the codes"
    severity = "low"
    confidence = "high"
    guideline = "2.4"
    triggers = ()

    @classmethod
    def finding(cls, suppression, codes: Sequence[str], path: str) -> Finding:
        """The MLS001 finding for a reasonless suppression comment (a suppress.Suppression)."""
        directive, listed = suppression.directive, ",".join(codes)
        example = f"# ml-seclint: ignore[{listed}]" if suppression.kind == "ignore" else f"# noqa: {listed}"
        message = (cls.message.format(directive=f"`{directive}`", codes=", ".join(codes))
                   + f", e.g. `{example} <why this is safe>`")
        return cls.text_finding(message, path, None, suppression.line, suppression.column,
                                suppression.column + len(directive))
