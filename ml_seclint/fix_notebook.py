"""Fixing Jupyter notebooks: the code cells are fixed together, written back cell by cell.

The cells are linted as one module (an import in the first cell resolves a call in a later one,
as when the notebook is checked), with a marker comment before each cell. `fix_text` fixes that
module; the markers split the result back into cells. Lines the fixes did not touch come back
from the original cell, so IPython magics that the notebook adapter neutralised for parsing
(`to_python`) return unchanged. An import a fix needs lands at the top of the first code cell.

`rewrite_notebook` puts the new sources into the notebook's JSON and re-serialises it in the
file's own layout (indentation, key order, escaping), refusing when that layout cannot be
reproduced exactly: outputs, metadata and every other cell stay byte for byte as they were.
"""
from __future__ import annotations

import itertools
import json
import re
from difflib import SequenceMatcher
from typing import Any, Callable, Optional, Sequence

from ml_seclint.config import Settings
from ml_seclint.engine import PARSE_ERROR
from ml_seclint.fixer import fix_text
from ml_seclint.rule import Finding, Rule

_NEWLINE = re.compile(r"\r\n|\r|\n")
_MARK = "# <ml-seclint cell {}>"
_MARK_LINE = re.compile(r"^# <ml-seclint cell (\d+)>$")

#: cell source -> (lines, neutralised lines): the notebook adapter's IPython neutraliser; it must
#: keep the number of lines (ml_seclint.notebooks.to_python does)
ToPython = Callable[[str], tuple[list[str], Any]]


def _error(path: str, message: str) -> Finding:
    return Finding(PARSE_ERROR, message, 1, 0, 1, 0, "medium", "high", path=path)


def fix_cells(sources: Sequence[str], path: str, settings: Settings, unsafe: bool = False, *,
              to_python: Optional[ToPython] = None, disable_noqa: bool = False,
              rules: Optional[Sequence[type[Rule]]] = None,
              ) -> tuple[list[str], list[Finding], Optional[Finding]]:
    """(new sources, fixed findings, error) for the code cells of one notebook, in order.

    Unchanged cells come back as the very same strings. On an error (MLS000) nothing changes.
    The fixed findings' positions refer to the joined module: use them for counting.
    """
    originals = [_NEWLINE.split(source) for source in sources]
    neutral = [to_python(source)[0] if to_python else lines for source, lines in zip(sources, originals)]
    if any(len(a) != len(b) for a, b in zip(originals, neutral)):
        return list(sources), [], _error(path, "fixes not applied: the cells could not be mapped back")
    joined: list[str] = []
    for index, lines in enumerate(neutral):
        joined.append(_MARK.format(index))
        joined.extend(lines)
    text = "\n".join(joined) + "\n"
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
    return out, result.fixed, None


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
    """(new notebook text, fixed findings, error) for the text of an .ipynb file."""
    try:
        notebook = json.loads(text)
        cells = [(i, c) for i, c in enumerate(notebook["cells"]) if c.get("cell_type") == "code"]
    except (ValueError, KeyError, TypeError, AttributeError):
        return text, [], None  # not a notebook this can fix; the check reports why
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
    return rewritten, fixed, None


_STYLES = [dict(indent=indent, sort_keys=sort_keys, ensure_ascii=ascii_)
           for indent, sort_keys, ascii_ in itertools.product((1, 2, 4, None), (True, False), (False, True))]


def rewrite_notebook(text: str, changes: dict[int, str]) -> Optional[str]:
    """The notebook with the sources of cells `changes` (index in `cells` -> new source) replaced,
    serialised exactly as the original was; None when no layout reproduces the original."""
    notebook = json.loads(text)
    body = text.rstrip("\n")
    style = next((s for s in _STYLES if json.dumps(notebook, **s) == body), None)  # type: ignore[arg-type]
    if style is None:
        return None
    for index, source in changes.items():
        cell = notebook["cells"][index]
        cell["source"] = source.splitlines(keepends=True) if isinstance(cell.get("source"), list) else source
    return json.dumps(notebook, **style) + text[len(body):]  # type: ignore[arg-type]
