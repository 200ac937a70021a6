"""`{"version", "findings": [...], "summary": {...}}`."""
from __future__ import annotations

import json

from ml_seclint.output import Report, finding_dict


def render(report: Report) -> str:
    return json.dumps({
        "version": report.version,
        "findings": [finding_dict(f) for f in report.findings],
        "summary": report.summary(),
    }, indent=2) + "\n"
