"""`# noqa` exactly as flake8 7 applies it, for the CLI (under flake8, flake8 does it itself).

Mirrors flake8/defaults.py, processor.py and violation.py: the inline regex below (case
insensitive); a bare `# noqa` silences every code; listed codes match by prefix; the comment is
searched in the finding's line joined with the other lines of the same token run (so a `# noqa`
anywhere in a multi-line string spanning the line counts); a line starting with
`# flake8: noqa` skips the whole file.
"""
from __future__ import annotations

import io
import re
import tokenize
from typing import Iterable, Optional

NOQA_INLINE = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
NOQA_FILE = re.compile(r"\s*# flake8[:=]\s*noqa", re.I)
_SEP = re.compile(r"[,\s]+")


def _line_mapping(lines: list[str]) -> dict[int, str]:
    """flake8's FileProcessor._noqa_line_mapping."""
    mapping: dict[int, str] = {}
    source = "".join(lines)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return {}
    low, high = len(lines) + 2, -1
    for tok in tokens:
        if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT):
            continue
        low, high = min(low, tok.start[0]), max(high, tok.end[0])
        if tok.type in (tokenize.NL, tokenize.NEWLINE):
            joined = "".join(lines[low - 1:high])
            for number in range(low, high + 1):
                mapping[number] = joined
            low, high = len(lines) + 2, -1
    return mapping


class Noqa:
    """Decides which findings of one source are silenced."""

    def __init__(self, source: str) -> None:
        self.lines = source.splitlines(keepends=True)
        self.whole_file = any(NOQA_FILE.match(line) for line in self.lines)
        self._mapping: Optional[dict[int, str]] = None

    def codes_for(self, line: int) -> Optional[list[str]]:
        """[] for a bare noqa, the listed codes, or None when the line has no noqa."""
        if self._mapping is None:
            self._mapping = _line_mapping(self.lines)
        text = self._mapping.get(line)
        if text is None:
            text = self.lines[line - 1] if 1 <= line <= len(self.lines) else ""
        match = NOQA_INLINE.search(text)
        if match is None:
            return None
        codes = match.group("codes")
        return [c for c in _SEP.split(codes) if c] if codes else []

    def suppresses(self, code: str, line: int) -> bool:
        if self.whole_file:
            return True
        codes = self.codes_for(line)
        if codes is None:
            return False
        return not codes or code.startswith(tuple(codes))


def apply_noqa(findings: Iterable, source: str) -> tuple[list, list]:
    """(kept, suppressed)."""
    findings = list(findings)
    if not findings or ("noqa" not in source.lower()):
        return findings, []
    noqa = Noqa(source)
    kept, dropped = [], []
    for finding in findings:
        (dropped if noqa.suppresses(finding.code, finding.line) else kept).append(finding)
    return kept, dropped
