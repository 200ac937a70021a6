"""Fixing Jupyter notebooks: the code cells are fixed together, written back cell by cell.

The cells are linted as one module (an import in the first cell resolves a call in a later one,
as when the notebook is checked), with a marker comment before each cell. `fix_text` fixes that
module; the markers split the result back into cells. Lines the fixes did not touch come back
from the original cell, so IPython magics that the notebook adapter neutralised for parsing
(`to_python`) return unchanged. An import a fix needs lands at the top of the first code cell
(unless a cell before the fixed line already imports it). A cell that does not parse is left out,
as when checking, and stays as it is.

`rewrite_notebook` puts the new sources into the notebook's JSON and re-serialises it in the
file's own layout (indentation, key order, escaping), refusing when that layout cannot be
reproduced exactly: outputs, metadata and every other cell stay byte for byte as they were.

`fix_notebook_file` is the CLI's `--fix` / `--diff` for one .ipynb file (via
`fixer.check_and_fix`): the remaining findings come from the check of the fixed text
(`notebooks.check_notebook_data`), and the diff is redacted like a .py file's.
"""
from __future__ import annotations

import dataclasses
import itertools
import json
import re
from difflib import SequenceMatcher
from typing import Any, Callable, Optional, Sequence

from ml_seclint.engine.config import Settings
from ml_seclint.fix.fixer import fix_text
from ml_seclint.engine.finding import Finding, error_finding
from ml_seclint.engine.rule import Rule

_NEWLINE = re.compile(r"\r\n|\r|\n")
_MARK = "# <ml-seclint cell {}>"
_MARK_LINE = re.compile(r"^# <ml-seclint cell (\d+)>$")

#: cell source -> (lines, neutralised lines): the notebook adapter's IPython neutraliser; it must
#: keep the number of lines (ml_seclint.inputs.notebooks.to_python does)
ToPython = Callable[[str], tuple[list[str], Any]]


def _error(path: str, message: str) -> Finding:
    return error_finding(path, message, prefix="")


def fix_cells(sources: Sequence[str], path: str, settings: Settings, unsafe: bool = False, *,
              to_python: Optional[ToPython] = None, disable_noqa: bool = False,
              rules: Optional[Sequence[type[Rule]]] = None,
              ) -> tuple[list[str], list[Finding], Optional[Finding]]:
    """(new sources, fixed findings, error) for the code cells of one notebook, in order.

    Unchanged cells come back as the very same strings. On an error (MLS000) nothing changes.
    A cell that does not parse is left out of the module (blank lines), as when checking, and
    stays unchanged. The fixed findings carry `cell` (1-based position in `sources`) and the line
    in that cell where they were found (a finding of a later round may be off by the lines an
    added import took).
    """
    originals = [_NEWLINE.split(source) for source in sources]
    neutral = [to_python(source)[0] if to_python else lines for source, lines in zip(sources, originals)]
    if any(len(a) != len(b) for a, b in zip(originals, neutral)):
        return list(sources), [], _error(path, "fixes not applied: the cells could not be mapped back")
    text = _join(neutral)
    if not _parses(text):  # as when checking: a cell that does not parse is left out (blank lines)
        neutral = [lines if _parses("\n".join(lines) + "\n") else [""] * len(lines) for lines in neutral]
        text = _join(neutral)
    result = fix_text(text, path, settings, unsafe, disable_noqa=disable_noqa, rules=rules)
    if result.error is not None or result.text == text:
        return list(sources), [], result.error
    cells = _split(result.text, len(sources))
    if cells is None:
        return list(sources), [], _error(path, "fixes not applied: a fix moved a cell boundary")
    out: list[str] = []
    for source, lines, old, new in zip(sources, originals, neutral, cells):
        if new == old:
            out.append(source)
            continue
        merged = _merge(lines, old, new)
        if merged is None:
            return list(sources), [], _error(path, "fixes not applied: a fix touched an IPython magic line")
        out.append(("\r\n" if "\r\n" in source else "\n").join(merged))
    cell_of = [(cell, line) for cell, lines in enumerate(neutral, 1) for line in range(len(lines) + 1)]
    for finding in result.fixed:  # where it was found (exact in the first round)
        finding.cell, finding.line = cell_of[min(max(finding.line, 1), len(cell_of)) - 1]
        finding.line = finding.end_line = max(finding.line, 1)
    return out, result.fixed, None


def _join(cells: Sequence[list[str]]) -> str:
    joined: list[str] = []
    for index, lines in enumerate(cells):
        joined.append(_MARK.format(index))
        joined.extend(lines)
    return "\n".join(joined) + "\n"


def _parses(text: str) -> bool:
    from ml_seclint.engine.guard import parse

    try:
        parse(text)
    except Exception:  # noqa: BLE001 - any parser failure: the cell is not fixable
        return False
    return True


def _split(text: str, count: int) -> Optional[list[list[str]]]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    cells: list[list[str]] = []
    head: list[str] = []  # before the first marker: only what a fix put at the very top
    for line in lines:
        match = _MARK_LINE.match(line)
        if match:
            if int(match.group(1)) != len(cells):
                return None
            cells.append([])
        elif cells:
            cells[-1].append(line)
        else:
            head.append(line)
    if len(cells) != count:
        return None
    if head and cells:
        cells[0][:0] = head
    return cells


def _merge(original: list[str], old: list[str], new: list[str]) -> Optional[list[str]]:
    """`new` with the untouched lines taken from `original` (restoring neutralised magics)."""
    merged: list[str] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            merged.extend(original[i1:i2])
            continue
        if any(original[k] != old[k] for k in range(i1, i2)):
            return None
        merged.extend(new[j1:j2])
    return merged


# -- the notebook file ---------------------------------------------------------------------

def cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def fix_notebook(text: str, path: str, settings: Settings, unsafe: bool = False, *,
                 to_python: Optional[ToPython] = None, disable_noqa: bool = False,
                 ) -> tuple[str, list[Finding], Optional[Finding]]:
    """(new notebook text, fixed findings, error) for the text of an .ipynb file.

    Only an nbformat 4 notebook of a Python kernel whose cells are all well formed is fixed; for
    anything else the text comes back unchanged with no error (the check reports what is wrong).
    The fixed findings carry `cell` (1-based position in the notebook's `cells`).
    """
    from ml_seclint.inputs.notebooks import PYTHON_LANGUAGES, load

    loaded, problems = load(text, path)
    if loaded is None or problems or any(c.language not in PYTHON_LANGUAGES for c in loaded):
        return text, [], None
    notebook = json.loads(text)
    cells = [(i, c) for i, c in enumerate(notebook["cells"]) if c.get("cell_type") == "code"]
    sources = [cell_source(c) for _, c in cells]
    new, fixed, error = fix_cells(sources, path, settings, unsafe, to_python=to_python,
                                  disable_noqa=disable_noqa)
    changes = {i: n for (i, _), s, n in zip(cells, sources, new) if n is not s}
    if error is not None or not changes:
        return text, [], error
    rewritten = rewrite_notebook(text, changes)
    if rewritten is None:
        return text, [], _error(path, "fixes not applied: the notebook's JSON layout could not be "
                                      "reproduced, so rewriting it would reformat the whole file")
    for finding in fixed:
        finding.cell = cells[finding.cell - 1][0] + 1
    return rewritten, fixed, None


_STYLES = [dict(indent=indent, sort_keys=sort_keys, ensure_ascii=ascii_, separators=separators)
           for indent, separators in ((1, None), (2, None), (4, None), (None, None), (None, (",", ":")))
           for sort_keys, ascii_ in itertools.product((True, False), (False, True))]
_LINES = re.compile(r"[^\n]*\n|[^\n]+\Z")


def rewrite_notebook(text: str, changes: dict[int, str]) -> Optional[str]:
    """The notebook with the sources of cells `changes` (index in `cells` -> new source) replaced,
    serialised exactly as the original was; None when no layout reproduces the original.

    The layouts tried: indentation 1, 2, 4 or none (also without spaces), keys sorted or not,
    non-ASCII escaped or not, LF or CRLF line breaks, any trailing newlines. A changed source
    that was a list of lines is split as the original list was (at every line break, as
    nbformat does, or at \\n only)."""
    notebook = json.loads(text)
    crlf = "\r\n" in text and "\r" not in text.replace("\r\n", "")  # raw CR/LF are layout only
    layout = text.replace("\r\n", "\n") if crlf else text
    body = layout.rstrip("\n")
    style = next((s for s in _STYLES if json.dumps(notebook, **s) == body), None)  # type: ignore[arg-type]
    if style is None:
        return None
    for index, source in changes.items():
        cell = notebook["cells"][index]
        old = cell.get("source")
        if isinstance(old, list):
            joined = "".join(old)
            split_at_newline = old != joined.splitlines(keepends=True) and old == _LINES.findall(joined)
            cell["source"] = _LINES.findall(source) if split_at_newline else source.splitlines(keepends=True)
        else:
            cell["source"] = source
    out = json.dumps(notebook, **style) + layout[len(body):]  # type: ignore[arg-type]
    return out.replace("\n", "\r\n") if crlf else out


def fix_notebook_file(task: Any) -> Any:
    """runner.Task -> runner.CheckResult for `check --fix` / `--diff` on an .ipynb file: fix,
    write (or diff), and report what the check of the fixed notebook finds."""
    import codecs

    from ml_seclint.inputs import notebooks
    from ml_seclint.fix.fixer import outside_roots, redact_diff, secret_settings, unified_diff
    from ml_seclint.fix.fixes import detached

    data, _ = notebooks.read_notebook(task.path, task.settings)
    if data is None:
        return notebooks.check_notebook(task)  # reports why it cannot be read
    bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
    try:
        text = data[len(bom):].decode("utf-8")
    except UnicodeDecodeError:
        return notebooks.check_notebook_data(data, task)  # not fixed; the check says why
    new, fixed, error = fix_notebook(text, task.path, task.settings, task.unsafe_fixes,
                                     to_python=notebooks.to_python, disable_noqa=task.disable_noqa)
    new_data = bom + new.encode("utf-8") if new != text else data
    secrets: list[str] = []
    result = notebooks.check_notebook_data(new_data, task, secrets)
    if new != text:  # what the diff must redact, whichever rules this run selected
        secret_task = dataclasses.replace(task, settings=secret_settings(task.settings), disable_noqa=True)
        for version in (data, new_data):
            notebooks.check_notebook_data(version, secret_task, secrets)
    if new != text:
        result.diff = redact_diff(unified_diff(text, new, task.path), fixed, secrets)
        refusal = None if task.diff else outside_roots(task.path, task.roots)
        if refusal:
            result = notebooks.check_notebook_data(data, task)
            error, fixed = _error(task.path, refusal), []
        elif not task.diff:
            try:
                with open(task.path, "wb") as fh:
                    fh.write(new_data)
            except OSError as exc:
                result = notebooks.check_notebook_data(data, task)
                error = _error(task.path, f"fixes not written: {exc.strerror or exc}")
                fixed = []
    if error is not None:
        result.findings.append(error)
    for finding in fixed:
        finding.node = None  # libcst nodes stay in the worker
        finding.fix = detached(finding.fix)
    result.fixed = fixed
    return result
