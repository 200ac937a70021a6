"""A finding's fix as text edits, for the outputs that carry fixes (SARIF `fixes`, rdjson
`suggestions`, the language server's code actions).

Rules attach fixes as libcst node replacements, which exist only in the worker that parsed the
file. Here, in the worker, each fix is applied alone (`fixer._apply`: the same replacement and
import machinery as `--fix`), the result is compared with the original text line by line, and each
changed block is narrowed to the characters that differ. An edit is dropped when its new text
holds anything secret-shaped: the replacement of an MLS4xx literal is `os.environ[...]`, and the
old text never appears in an edit.
"""
from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Optional

import libcst as cst

from ml_seclint.engine.finding import Finding
from ml_seclint.fix.fixes import TextEdit

_LINES = re.compile(r"[^\n]*\n|[^\n]+\Z")


def attach_edits(findings: list[Finding], module: cst.Module, text: str) -> None:
    """Set `finding.fix.edits` for every finding whose fix has node replacements."""
    for finding in findings:
        fix = finding.fix
        if fix is None or not getattr(fix, "replacements", None):
            continue
        try:
            fix.edits = fix_edits(finding, module, text)
        except Exception:  # noqa: BLE001 - a fix that cannot be rendered is just not offered
            fix.edits = None


def fix_edits(finding: Finding, module: cst.Module, text: str) -> Optional[tuple[TextEdit, ...]]:
    from ml_seclint.fix.fixer import _apply

    new_module, applied = _apply(module, [finding])
    if not applied:
        return None
    edits = text_edits(text, new_module.code)
    if not edits or any(_secretish(edit.text, finding) for edit in edits):
        return None
    return tuple(edits)


def _secretish(text: str, finding: Finding) -> bool:
    from ml_seclint.rules.secrets import secret_values
    from ml_seclint.secrets_table import scrub

    return scrub(text) != text or any(value in text for value in secret_values([finding]))


def text_edits(old: str, new: str) -> list[TextEdit]:
    """The smallest edits (per changed block of lines) that turn `old` into `new`."""
    old_lines, new_lines = _LINES.findall(old), _LINES.findall(new)
    head = 0  # equal leading and trailing lines are skipped before the (quadratic) matcher
    while head < min(len(old_lines), len(new_lines)) and old_lines[head] == new_lines[head]:
        head += 1
    tail = 0
    while tail < min(len(old_lines), len(new_lines)) - head and old_lines[-1 - tail] == new_lines[-1 - tail]:
        tail += 1
    old_mid = old_lines[head:len(old_lines) - tail]
    new_mid = new_lines[head:len(new_lines) - tail]
    edits = []
    matcher = SequenceMatcher(None, old_mid, new_mid, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        before, after = "".join(old_mid[i1:i2]), "".join(new_mid[j1:j2])
        prefix = _common_prefix(before, after)
        suffix = _common_prefix(before[prefix:][::-1], after[prefix:][::-1])
        first = head + i1 + 1
        line, column = _position(before, prefix, first)
        end_line, end_column = _position(before, len(before) - suffix, first)
        edits.append(TextEdit(line, column, end_line, end_column, after[prefix:len(after) - suffix]))
    return edits


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _position(chunk: str, offset: int, first_line: int) -> tuple[int, int]:
    line = first_line + chunk.count("\n", 0, offset)
    return line, offset - (chunk.rfind("\n", 0, offset) + 1)


def apply_edits(text: str, edits) -> str:
    """`text` with `edits` applied (they must not overlap); used by the tests and the editor."""
    lines = _LINES.findall(text)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(line: int, column: int) -> int:
        return starts[min(line - 1, len(lines))] + column

    out = text
    for edit in sorted(edits, key=lambda e: (e.line, e.column), reverse=True):
        out = out[:offset(edit.line, edit.column)] + edit.text + out[offset(edit.end_line, edit.end_column):]
    return out
