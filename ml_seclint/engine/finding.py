"""Findings, severities, and the one constructor of MLS000 ("this file could not be checked")."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ml_seclint.secrets_table import scrub

SEVERITIES = ("low", "medium", "high", "critical")
# GitHub code scanning reads a CVSS-like score; these sit in the middle of each band.
SECURITY_SEVERITY = {"low": "3.0", "medium": "5.5", "high": "8.0", "critical": "9.5"}
#: the code of a file (or part of one) that could not be checked, or fixes that were not applied
NOT_CHECKED = "MLS000"


@dataclass
class Related:
    """Another place a finding is about (the source of a flow), shown as a SARIF relatedLocation
    and a codeFlow step. Lines are 1-based, columns 0-based as in Finding."""

    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    cell: Optional[int] = None  # notebooks: 1-based cell index

    def where(self) -> str:
        return f"cell {self.cell}, line {self.line}" if self.cell is not None else f"line {self.line}"


@dataclass
class Finding:
    code: str
    message: str  # without the code prefix; includes the guideline/CWE suffix
    line: int  # 1-based
    column: int  # 0-based, code points (flake8 convention; outputs add 1)
    end_line: int
    end_column: int  # 0-based, exclusive
    severity: str
    confidence: str
    path: str = ""
    cell: Optional[int] = None  # notebooks: 1-based cell index
    context: str = "library"  # where the code lives (engine/code_context.py)
    fix: Any = None
    node: Any = field(default=None, repr=False, compare=False)
    # set by the CLI when a comment or the baseline silenced the finding (suppress.Suppression)
    suppression: Any = field(default=None, compare=False)
    related: tuple = ()  # Related places, in the order of the flow (source first)
    # the message with `{@0}`, `{@1}` ... where the related places go (see render_related)
    template: Optional[str] = field(default=None, repr=False, compare=False)

    def render_related(self) -> None:
        """Fill the message's placeholders with the related places (again after a notebook's
        lines were mapped to cells)."""
        if self.template is not None:
            text = self.template
            for number, place in enumerate(self.related):
                text = text.replace(f"{{@{number}}}", place.where())
            self.message = text


def error_finding(path: str, reason: str, line: int = 1, column: int = 0, *, cell: Optional[int] = None,
                  prefix: str = "file could not be checked: ") -> Finding:
    """MLS000. Every reason is scrubbed: an exception message may quote source text, and a key
    is never printed in full."""
    line, column = max(line, 1), max(column, 0)
    return Finding(NOT_CHECKED, f"{prefix}{scrub(reason)}", line, column, line, column, "medium", "high",
                   path=path, cell=cell)
