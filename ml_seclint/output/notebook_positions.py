"""Where a notebook cell's line is in the .ipynb file itself.

Findings in notebooks are in cell coordinates (cell, line in the cell, column). Annotations in
code review and code scanning need a line of the file: the JSON string that holds that cell line.
`positions(raw)` scans the notebook's JSON keeping the offset of every string of each cell's
`source`, and `NotebookPositions.find(cell, line, column)` turns a cell position into a 1-based
line and 0-based code-point column of the .ipynb text (escapes such as \\n, \\" and \\uXXXX are
counted as written). None when the file is not a notebook or the position is not in it.
"""
from __future__ import annotations

import json
import re
from json.decoder import scanstring
from typing import Optional

_WS = re.compile(r"[ \t\n\r]*")
_LITERAL = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")
_NEWLINE = re.compile(r"\r\n|\r|\n")


class _Scanner:
    """Enough of a JSON parser to record where the strings of `cells[i].source` start."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.cells: list[Optional[list[tuple[int, str]]]] = []

    def value(self, i: int, path: tuple) -> int:
        i = _WS.match(self.text, i).end()
        c = self.text[i]
        if c == "{":
            return self.obj(i + 1, path)
        if c == "[":
            return self.array(i + 1, path)
        if c == '"':
            value, end = scanstring(self.text, i + 1)
            if len(path) == 4 and path[0] == "cells" and path[2] == "source" or \
                    len(path) == 3 and path[0] == "cells" and path[2] == "source":
                self.cells[path[1]].append((i, value))
            return end
        match = _LITERAL.match(self.text, i)
        if not match:
            raise ValueError(f"unexpected {c!r} at {i}")
        return match.end()

    def obj(self, i: int, path: tuple) -> int:
        i = _WS.match(self.text, i).end()
        if self.text[i] == "}":
            return i + 1
        while True:
            i = _WS.match(self.text, i).end()
            key, i = scanstring(self.text, i + 1)
            i = _WS.match(self.text, i).end() + 1  # the colon
            if path == () and key == "cells":
                i = self.cell_list(i)
            else:
                i = self.value(i, (*path, key) if len(path) < 4 else path + ("*",))
            i = _WS.match(self.text, i).end()
            if self.text[i] == "}":
                return i + 1
            i += 1  # the comma

    def array(self, i: int, path: tuple) -> int:
        index = 0
        i = _WS.match(self.text, i).end()
        if self.text[i] == "]":
            return i + 1
        while True:
            i = self.value(i, (*path, index) if len(path) == 3 else path + ("*",))
            index += 1
            i = _WS.match(self.text, i).end()
            if self.text[i] == "]":
                return i + 1
            i += 1

    def cell_list(self, i: int) -> int:
        i = _WS.match(self.text, i).end()
        if self.text[i] != "[":
            return self.value(i, ("x",))
        i = _WS.match(self.text, i + 1).end()
        if self.text[i] == "]":
            return i + 1
        while True:
            self.cells.append([])
            i = self.value(i, ("cells", len(self.cells) - 1))
            i = _WS.match(self.text, i).end()
            if self.text[i] == "]":
                return i + 1
            i += 1


def _raw_index(text: str, start: int, decoded: int) -> int:
    """Index in `text` of decoded character `decoded` of the JSON string whose quote is at
    `start` (escapes advance several raw characters per decoded one)."""
    i, n = start + 1, 0
    while n < decoded:
        if text[i] == "\\":
            if text[i + 1] == "u":
                code = int(text[i + 2:i + 6], 16)
                i += 6
                if 0xD800 <= code < 0xDC00 and text.startswith("\\u", i):
                    i += 6  # a surrogate pair is one code point
            else:
                i += 2
        else:
            i += 1
        n += 1
    return i


class NotebookPositions:
    def __init__(self, text: str, cells: list) -> None:
        self.text = text
        self.cells = cells
        self.line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]

    def find(self, cell: int, line: int, column: int) -> Optional[tuple[int, int]]:
        if not 1 <= cell <= len(self.cells) or not self.cells[cell - 1]:
            return None
        tokens = self.cells[cell - 1]
        source = "".join(value for _, value in tokens)
        starts = [0] + [m.end() for m in _NEWLINE.finditer(source)]
        if not 1 <= line <= len(starts):
            return None
        offset = starts[line - 1] + column
        before = 0
        for index, (start, value) in enumerate(tokens):
            last = index == len(tokens) - 1
            if offset < before + len(value) or (last and offset == before + len(value)):
                raw = _raw_index(self.text, start, offset - before)
                number = self.text.count("\n", 0, raw)
                return number + 1, raw - self.line_starts[number]
            before += len(value)
        return None


def positions(raw: bytes) -> Optional[NotebookPositions]:
    try:
        text = raw.decode("utf-8")
        json.loads(text)  # a valid document first: the scanner trusts the structure
        scanner = _Scanner(text)
        scanner.value(0, ())
    except (ValueError, IndexError, UnicodeDecodeError, RecursionError):
        return None
    return NotebookPositions(text, scanner.cells)
