"""`{"version", "findings": [...], "summary": {...}}`."""
from __future__ import annotations

import json

from ml_seclint.output.report import Report, finding_dict


def render(report: Report) -> str:
    data = {
        "version": report.version,
        "findings": [finding_dict(f) for f in report.findings],
        "summary": report.summary(),
    }
    if report.show_suppressed:
        data["suppressed"] = [_suppressed(f) for f in report.suppressed]
    return json.dumps(data, indent=2) + "\n"


def _suppressed(finding) -> dict:
    why = finding.suppression
    data = finding_dict(finding)
    if why is not None:
        data["suppression"] = {"kind": why.kind, "directive": why.directive, "reason": why.reason,
                               "line": why.line or None}
    return data
