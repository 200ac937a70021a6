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
from typing import Any, Optional

import libcst as cst

from ml_seclint.engine.finding import Finding
from ml_seclint.fix.fixes import TextEdit

_LINES = re.compile(r"[^\n]*\n|[^\n]+\Z")


def attach_edits(findings: list[Finding], module: cst.Module, text: str) -> None:
    """Set `finding.fix.edits` for every finding whose fix has node replacements."""
    todo = [f for f in findings if f.fix is not None and getattr(f.fix, "replacements", None)]
    if not todo:
        return
    layout = _Layout(module, text)
    imports: dict = {}
    for finding in todo:
        try:
            edits = layout.edits(finding, imports)
            if edits is None:
                edits = _whole_module_edits(finding, module, text)
            if edits and any(_secretish(edit.text, finding) for edit in edits):
                edits = None
            finding.fix.edits = tuple(edits) if edits else None
        except Exception:  # noqa: BLE001 - a fix that cannot be rendered is just not offered
            finding.fix.edits = None


class _Layout:
    """Where the fixes' nodes are, from one position pass over the module: each replaced node's
    text (checked against what libcst renders for it) is compared with what the new node
    renders, so no tree is transformed per finding. Imports a fix needs are computed once per
    set of imports, on the original module. An import the fix leaves unused is not removed here
    (`--fix` removes it; for a suggestion, the scope analysis costs seconds on a large file and
    an unused import is harmless)."""

    def __init__(self, module: cst.Module, text: str) -> None:
        from ml_seclint.analysis.codegen import positions

        self.module = module
        self.text = text
        self.positions = positions(module)  # PositionProvider's ranges, for any nesting depth
        self.line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
        self.statement_lines = [self.positions[stmt].start.line for stmt in module.body]
        self.bound: dict = {}  # import -> the first top-level statement importing it, or None
        self.scope: Any = None  # the module's bindings, built when an import is looked up

    def _imported_before(self, spec: tuple, statement: int) -> bool:
        """Whether a top-level import before `statement` binds what `spec` imports, and nothing
        else binds that name at module level: fixer._bound_before's test, with the import's
        position computed once per file instead of per finding."""
        if spec not in self.bound:
            self.bound[spec] = self._first_import(spec)
        first = self.bound[spec]
        return first is not None and first < statement

    def _first_import(self, spec: tuple) -> Optional[int]:
        from ml_seclint.analysis.scopes import IMPORT, Scope
        from ml_seclint.fix.fixer import _import_args

        name, member, asname = _import_args(spec)
        if member is None and asname is None and "." in name:
            return None  # left to AddImportsVisitor, as the fixer does
        bound = asname or member or name
        qualname = f"{name}.{member}" if member else name
        if self.scope is None:
            self.scope = Scope(self.module, None)
        bindings = self.scope.bindings.get(bound)
        if not bindings or any(b.kind != IMPORT or b.qualname != qualname for b in bindings):
            return None
        for index, stmt in enumerate(self.module.body):
            if isinstance(stmt, cst.SimpleStatementLine) and \
                    any(isinstance(small, (cst.Import, cst.ImportFrom)) for small in stmt.body) and \
                    Scope(cst.Module(body=[stmt]), None).bindings.get(bound):
                return index
        return None

    def _offset(self, line: int, column: int) -> int:
        return self.line_starts[line - 1] + column

    def edits(self, finding: Finding, import_cache: dict) -> Optional[list[TextEdit]]:
        import bisect

        fix = finding.fix
        edits: list[TextEdit] = []
        for node, new in fix.replacements.items():
            where = self.positions.get(node)
            if where is None:
                return None  # not a node of this module: the whole module, below
            old = self.text[self._offset(where.start.line, where.start.column):
                            self._offset(where.end.line, where.end.column)]
            if old != self.module.code_for_node(node):
                return None  # the node owns text outside its range: the whole module, below
            for e in text_edits(old, self.module.code_for_node(new)):
                edits.append(TextEdit(
                    e.line + where.start.line - 1, e.column + (where.start.column if e.line == 1 else 0),
                    e.end_line + where.start.line - 1,
                    e.end_column + (where.start.column if e.end_line == 1 else 0), e.text))
        first_line = min(self.positions[n].start.line for n in fix.replacements)
        first_statement = bisect.bisect_right(self.statement_lines, first_line) - 1
        needed = [spec for spec in fix.imports if not self._imported_before(spec, first_statement)]
        if needed:
            key = tuple(needed)
            if key not in import_cache:
                import_cache[key] = text_edits(self.text, _add_imports(self.module, key).code)
            extra = import_cache[key]
            if any(e.end_line >= first_line for e in extra):
                return None  # the imports land next to the edit: the whole module decides
            edits = [*extra, *edits]
        return sorted(edits)


def _add_imports(module: cst.Module, specs: tuple) -> cst.Module:
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor

    from ml_seclint.fix.fixer import _import_args

    context = CodemodContext()
    for spec in specs:
        AddImportsVisitor.add_needed_import(context, *_import_args(spec))
    # transform_module_impl: AddImportsVisitor needs no metadata, so skip the wrapper's deep copy
    return AddImportsVisitor(context).transform_module_impl(module)


def _whole_module_edits(finding: Finding, module: cst.Module, text: str) -> Optional[list[TextEdit]]:
    """The fix applied to the whole module by the fixer's own machinery, compared with `text`."""
    from ml_seclint.fix.fixer import _apply

    new_module, applied = _apply(module, [finding])
    return text_edits(text, new_module.code) if applied else None


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
