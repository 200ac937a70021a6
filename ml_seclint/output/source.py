"""The checked files, read again for the machine formats: SARIF line fingerprints, reviewdog byte
columns and baseline digests need the text around a finding, which the workers do not send back.
Only files with findings are read, each once."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Optional

LINE_BREAK = re.compile(r"\r\n|\r|\n")


class SourceFiles:
    def __init__(self, root: Optional[str] = None, texts: Optional[dict] = None) -> None:
        self.root = os.path.abspath(root or os.getcwd())
        self._raw: dict[str, Optional[bytes]] = {}
        self._lines: dict[str, Optional[list[str]]] = {}
        for path, text in (texts or {}).items():  # inputs that are not files (stdin)
            key = self.absolute(path)
            self._raw[key] = text.encode("utf-8", "surrogatepass")
            self._lines[key] = LINE_BREAK.split(text)
        self._cells: dict[str, Optional[list]] = {}
        self._positions: dict[str, object] = {}

    def absolute(self, path: str) -> str:
        return os.path.normpath(path if os.path.isabs(path) else os.path.join(self.root, path))

    def relative(self, path: str) -> str:
        """`path` relative to the root, with forward slashes (`../x.py` when outside it)."""
        return Path(os.path.relpath(self.absolute(path), self.root)).as_posix()

    def raw(self, path: str) -> Optional[bytes]:
        key = self.absolute(path)
        if key not in self._raw:
            from ml_seclint.inputs.sources import read_bytes

            self._raw[key] = read_bytes(key)[0]  # a regular file only: a FIFO would block
        return self._raw[key]

    def lines(self, path: str) -> Optional[list[str]]:
        """The lines as the linter decoded them (encoding cookie honoured, BOM removed)."""
        from ml_seclint.inputs.sources import decode

        key = self.absolute(path)
        if key not in self._lines:
            data = self.raw(key)
            text = decode(data, key)[0] if data is not None else None
            self._lines[key] = LINE_BREAK.split(text) if text is not None else None
        return self._lines[key]

    def line(self, path: str, number: int, cell: Optional[int] = None) -> Optional[str]:
        """Line `number` of the file, or of notebook cell `cell` (1-based in `cells`)."""
        lines = self.lines(path) if cell is None else self.cell_lines(path, cell)
        return lines[number - 1] if lines is not None and 1 <= number <= len(lines) else None

    def cell_lines(self, path: str, cell: int) -> Optional[list[str]]:
        key = self.absolute(path)
        if key not in self._cells:
            try:
                cells = json.loads(self.raw(key) or b"").get("cells")
            except (ValueError, AttributeError):
                cells = None
            self._cells[key] = cells if isinstance(cells, list) else None
        cells = self._cells[key]
        if cells is None or not 1 <= cell <= len(cells) or not isinstance(cells[cell - 1], dict):
            return None
        source = cells[cell - 1].get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        return LINE_BREAK.split(source) if isinstance(source, str) else None

    def notebook_position(self, path: str, cell: int, line: int, column: int) -> Optional[tuple[int, int]]:
        """(line, column) in the .ipynb file's own text of a cell position (1-based line,
        0-based code-point column), or None (ml_seclint.output.notebook_positions)."""
        from ml_seclint.output.notebook_positions import positions

        key = self.absolute(path)
        if key not in self._positions:
            raw = self.raw(key)
            self._positions[key] = positions(raw) if raw is not None else None
        found = self._positions[key]
        return found.find(cell, line, column) if found is not None else None  # type: ignore[attr-defined]

    def located(self, finding) -> tuple[int, int, int, int, bool]:
        """(line, column, end_line, end_column, exact) of a finding in the file's own text:
        notebook findings are moved to the .ipynb lines holding their cell's source; `exact` is
        False when that is not possible (the location is then line 1 of the file)."""
        if finding.cell is None:
            return finding.line, finding.column, finding.end_line, finding.end_column, True
        start = self.notebook_position(finding.path, finding.cell, finding.line, finding.column)
        end = self.notebook_position(finding.path, finding.cell, finding.end_line, finding.end_column)
        if start is None or end is None or end < start:
            return 1, 0, 1, 0, False
        return (*start, *end, True)
