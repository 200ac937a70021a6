"""Suppression comments for the CLI: flake8's `# noqa` and ml-seclint's own
`# ml-seclint: ignore[MLS102] reason`.

`# noqa` works exactly as flake8 7 applies it (under flake8, flake8 does it itself). Mirrors
flake8/defaults.py, processor.py and violation.py: the inline regex below (case insensitive); a
bare `# noqa` silences every code; listed codes match by prefix; the comment is searched in the
finding's line joined with the other lines of the same token run (so a `# noqa` anywhere in a
multi-line string spanning the line counts); a line starting with `# flake8: noqa` skips the whole
file. One exception: `# flake8: noqa: E501` (codes on the file-level line) silences only the listed
codes here, as in Ruff. flake8 7 skips the whole file for it (and logs a warning), so a style
exemption would hide security findings; under flake8, flake8 itself still decides.

`# ml-seclint: ignore[CODES] reason` is read from the comments of the same token run; without
`[CODES]` it silences every code, listed codes match by prefix. For both kinds the text after the
codes, up to the next `#`, is the reason that `require-reason = true` asks for and
`--show-suppressed` prints.
"""
from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass
from typing import Iterable, Optional

from ml_seclint.secrets_table import scrub

NOQA_INLINE = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
NOQA_FILE = re.compile(r"\s*# flake8[:=]\s*noqa", re.I)
#: `# flake8: noqa: E501, W291`: a file-level line with codes (only those codes, see above)
NOQA_FILE_CODES = re.compile(r"\s*# flake8[:=]\s*noqa\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*)",
                             re.I)
_SEP = re.compile(r"[,\s]+")
# The reason after a noqa: codes are read case-sensitively here, so a reason such as
# "trusted checkpoint" is not taken for codes (flake8's own regex would not care either way).
_NOQA_REASON = re.compile(r"(?i:# noqa)(?::[\s]?(?:[A-Z]+[0-9]+(?:[,\s]+)?)+)?(?P<rest>[^#\r\n]*)")
# Bandit's `# nosec` / `# nosec B301, B614 - reason` (honoured with `honour-nosec = true`)
NOSEC = re.compile(r"#\s*nosec\b:?(?P<ids>(?:[\s,]*B\d{3})*)(?P<rest>[^#\r\n]*)")
#: Bandit test ids -> the ml-seclint codes that cover the same calls
BANDIT_CODES: dict[str, tuple[str, ...]] = {
    "B102": ("MLS501",), "B104": ("MLS503",), "B105": ("MLS402",), "B106": ("MLS402",),
    "B107": ("MLS402",), "B113": (), "B201": ("MLS503",), "B202": ("MLS304",),
    "B301": ("MLS101", "MLS105", "MLS106"), "B302": ("MLS106",), "B307": ("MLS501",),
    "B310": ("MLS301", "MLS303"), "B323": ("MLS302",), "B501": ("MLS302",), "B506": ("MLS107",),
    "B510": ("MLS401", "MLS402"), "B602": ("MLS501", "MLS505"), "B605": ("MLS501", "MLS505"),
    "B614": ("MLS102",), "B615": ("MLS203", "MLS204"), "B701": ("MLS506",),
}
IGNORE = re.compile(r"#\s*ml-seclint:\s*ignore\b(?:\[(?P<codes>[^\]\r\n]*)\])?(?P<rest>[^#\r\n]*)", re.I)
_REASON_EDGE = " \t\r\n-\u2013\u2014:;,.=()"


def _reason(rest: str) -> str:
    """The reason after the codes; a provider key in it is redacted (it is printed)."""
    reason = rest.strip(_REASON_EDGE)
    return scrub(reason) if re.search(r"\w", reason) else ""


def _codes(listed: Optional[str]) -> list[str]:
    return [c for c in _SEP.split(listed) if c] if listed else []


def _covers(codes: list[str], code: str) -> bool:
    """A suppression listing `codes` (none: every code) covers `code` (prefix match)."""
    return not codes or code.startswith(tuple(codes))


@dataclass(frozen=True)
class Suppression:
    """Why a finding is not reported: a comment (`noqa`, `file-noqa`, `ignore`) or the baseline."""

    kind: str
    directive: str  # the comment without its reason ("# noqa: MLS102"), or the baseline file
    reason: str  # "" when none was given
    line: int = 0  # where the comment is (0 for the baseline)
    column: int = 0

    def describe(self) -> str:
        why = f": {self.reason}" if self.reason else " (no reason given)"
        where = f" on line {self.line}" if self.line else ""
        return f"{self.directive}{where}{why}"


def _scan(lines: list[str]) -> tuple[dict[int, tuple[int, int]], dict[int, list[tuple[int, int, str]]]]:
    """flake8's FileProcessor._noqa_line_mapping as line -> (first, last) line of its token run,
    plus the comment tokens by line. Empty when the source does not tokenize."""
    groups: dict[int, tuple[int, int]] = {}
    comments: dict[int, list[tuple[int, int, str]]] = {}
    source = "".join(lines)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return {}, {}
    low, high = len(lines) + 2, -1
    for tok in tokens:
        if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT):
            continue
        if tok.type == tokenize.COMMENT:
            comments.setdefault(tok.start[0], []).append((tok.start[0], tok.start[1], tok.string))
        low, high = min(low, tok.start[0]), max(high, tok.end[0])
        if tok.type in (tokenize.NL, tokenize.NEWLINE):
            for number in range(low, high + 1):
                groups[number] = (low, high)
            low, high = len(lines) + 2, -1
    return groups, comments


def physical_lines(source: str) -> list[str]:
    """The lines as flake8 reads a file (`tokenize.open(...).readlines()`): split at \\n, \\r\\n and
    \\r only, each ending in \\n. `str.splitlines` also splits at form feeds, vertical tabs, U+2028
    and other characters that are no line break to Python or flake8."""
    return io.StringIO(source, newline=None).readlines()


class Noqa:
    """Decides which findings of one source are silenced by `# noqa` (flake8's rules)."""

    def __init__(self, source: str) -> None:
        self.lines = physical_lines(source)
        self.whole_file = any(NOQA_FILE.match(line) for line in self.lines)
        self._groups: Optional[dict[int, tuple[int, int]]] = None
        self._comments: dict[int, list[tuple[int, int, str]]] = {}

    def _group(self, line: int) -> tuple[int, int]:
        if self._groups is None:
            self._groups, self._comments = _scan(self.lines)
        return self._groups.get(line, (line, line))

    def _match(self, line: int) -> tuple[int, str, Optional[re.Match]]:
        """The first line of the token run of `line`, its text and the noqa in it."""
        low, high = self._group(line)
        if not 1 <= low <= len(self.lines):
            return line, "", None
        text = "".join(self.lines[low - 1:high])
        return low, text, NOQA_INLINE.search(text)

    def codes_for(self, line: int) -> Optional[list[str]]:
        """[] for a bare noqa, the listed codes, or None when the line has no noqa."""
        match = self._match(line)[2]
        return None if match is None else _codes(match.group("codes"))

    def suppresses(self, code: str, line: int) -> bool:
        if self.whole_file:
            return True
        codes = self.codes_for(line)
        return codes is not None and _covers(codes, code)


class Suppressor(Noqa):
    """`# noqa` plus `# ml-seclint: ignore[...]` (and, with `nosec`, Bandit's `# nosec`), with the
    comment and reason that silenced each finding."""

    def __init__(self, source: str, nosec: bool = False) -> None:
        super().__init__(source)
        self.nosec = nosec

    def ignore_comment(self, code: str, line: int) -> Optional[Suppression]:
        """The `# ml-seclint: ignore` on the token run of `line` that covers `code`."""
        low, high = self._group(line)
        if self._groups:
            candidates = [c for number in range(low, high + 1) for c in self._comments.get(number, ())]
        else:  # the source does not tokenize: look at the physical line, as flake8 does
            text = self.lines[line - 1] if 1 <= line <= len(self.lines) else ""
            candidates = [(line, text.find("#"), text[text.find("#"):])] if "#" in text else []
        for number, column, text in candidates:
            if self.nosec:
                for match in NOSEC.finditer(text):
                    if _nosec_covers(match.group("ids"), code):
                        directive = match.group(0)[:match.start("rest") - match.start()].rstrip()
                        return Suppression("nosec", directive, _reason(match.group("rest")),
                                           number, column + match.start())
            for match in IGNORE.finditer(text):
                listed = match.group("codes")
                # no brackets: every code; `ignore[]`: none
                if listed is None or (listed.strip() and _covers(_codes(listed.upper()), code)):
                    directive = match.group(0)[:match.start("rest") - match.start()].rstrip()
                    return Suppression("ignore", directive, _reason(match.group("rest")),
                                       number, column + match.start())
        return None

    def find(self, code: str, line: int) -> Optional[Suppression]:
        ignored = self.ignore_comment(code, line)
        if ignored is not None:
            return ignored
        low, text, match = self._match(line)
        if match is not None and _covers(_codes(match.group("codes")), code):
            rest = _NOQA_REASON.match(text, match.start())  # same start, so it always matches
            directive = text[match.start():rest.start("rest")].rstrip()
            before = text[:match.start()]
            return Suppression("noqa", directive, _reason(rest.group("rest")),
                               low + before.count("\n"), len(before) - (before.rfind("\n") + 1))
        if self.whole_file:
            for number, text in enumerate(self.lines, 1):
                match = NOQA_FILE.match(text)
                listed = NOQA_FILE_CODES.match(text) if match else None
                if listed is not None and not _covers(_codes(listed.group("codes").upper()), code):
                    continue
                if match:
                    directive = listed or match
                    reason = _reason(text[directive.end():].split("#")[0])
                    return Suppression("file-noqa", directive.group(0).strip(), reason, number,
                                       match.group(0).index("#"))
        return None


def _nosec_covers(ids: str, code: str) -> bool:
    """A bare `# nosec` (or one naming a Bandit test by name, `# nosec blacklist`) covers every
    code; listed Bandit ids cover their ml-seclint codes."""
    listed = [i for i in re.split(r"[\s,]+", ids) if i]
    if not listed:
        return True
    return any(code in BANDIT_CODES.get(i, ()) for i in listed)


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


def _may_suppress(source: str, nosec: bool = False) -> bool:
    lowered = source.lower()
    return "noqa" in lowered or "ml-seclint" in lowered or (nosec and "nosec" in lowered)


def apply_suppressions(findings: Iterable, source: str, *, path: str = "",
                       require_reason: bool = False, nosec: bool = False) -> tuple[list, list]:
    """(kept, suppressed) for `# noqa` and `# ml-seclint: ignore` (and Bandit's `# nosec` with
    `nosec`); each suppressed finding gets its `suppression`. With `require_reason`, every comment
    that silenced a finding without giving a reason adds an MLS001 finding to `kept` (which no
    comment can silence)."""
    findings = list(findings)
    if not findings or not _may_suppress(source, nosec):
        return findings, []
    suppressor = Suppressor(source, nosec)
    kept, dropped = [], []
    unexplained: dict[tuple[int, int], tuple[Suppression, list[str]]] = {}
    for finding in findings:
        why = suppressor.find(finding.code, finding.line)
        if why is None:
            kept.append(finding)
            continue
        finding.suppression = why
        dropped.append(finding)
        if not why.reason:
            codes = unexplained.setdefault((why.line, why.column), (why, []))[1]
            if finding.code not in codes:
                codes.append(finding.code)
    if require_reason and unexplained:
        from ml_seclint.rules.suppression import SuppressionWithoutReason

        kept.extend(SuppressionWithoutReason.finding(why, codes, path)
                    for why, codes in unexplained.values())
        kept.sort(key=lambda f: (f.line, f.column, f.code))
    return kept, dropped


def drop_ignored(findings: Iterable, source: str, nosec: bool = False) -> list:
    """The findings no `# ml-seclint: ignore` comment (or, with `nosec`, `# nosec`) covers: for the
    flake8 plugin, where flake8 itself applies `# noqa`."""
    findings = list(findings)
    lowered = source.lower()
    if not findings or ("ml-seclint" not in lowered and not (nosec and "nosec" in lowered)):
        return findings
    suppressor = Suppressor(source, nosec)
    return [f for f in findings if suppressor.ignore_comment(f.code, f.line) is None]
