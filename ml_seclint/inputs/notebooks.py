"""Jupyter notebooks (.ipynb, nbformat 4) for the CLI.

The code cells are joined into one module, so an import in the first cell resolves a call in a
later one, and the engine runs once. IPython syntax is neutralised line by line without moving
any other line or column: a line magic, shell escape or help line (`%time`, `!pip`, `obj?`)
becomes a blank line (inside a block: `pass` at the same indentation; `x = !ls` keeps its target:
`x = ...`), the lines a backslash continues it onto become blank lines (IPython joins them to it),
and a cell magic that is not Python (`%%bash`, `%%writefile`) becomes blank lines.
A line map takes every finding back to its cell (1-based position in the notebook's `cells`
list, markdown cells included) and its line in that cell.

The text the engine never sees is still searched for provider keys (MLS401): magic and shell
lines, non-Python cell magics, markdown and raw cells, and the stored outputs of code cells.
`%env NAME=value` and `export NAME=value` with a credential name are MLS402.

A file that is not JSON or not nbformat 4 is one MLS000 finding; a cell that does not parse is
one MLS000 finding for that cell, and the other cells are still checked.
"""
from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence, Union

from ml_seclint.engine.code_context import apply as apply_context
from ml_seclint.engine.code_context import file_context, rules_for_context, selected
from ml_seclint.engine.config import Settings
from ml_seclint.engine.finding import NOT_CHECKED, Finding, error_finding
from ml_seclint.engine.guard import max_file_size
from ml_seclint.engine.lint import lint_source
from ml_seclint.engine.registry import RULES
from ml_seclint.engine.rule import Rule

# cell magics whose body is Python
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "python", "python3",
                                "pypy", "memit", "lprun", "cython_inline"})
_NEWLINE = re.compile(r"\r\n|\r|\n")
_HELP = re.compile(r"^(?:\?{1,2}[\w.*]+|[\w.*]+\?{1,2})\s*$")
_MAGIC_ASSIGN = re.compile(r"^(?P<target>[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=\s*[!%]")
_TEXT_MIME = re.compile(r"^(?:text/|application/(?:json|javascript|x-ipynb\+json|.*\+json))")


@dataclass
class Cell:
    index: int  # 1-based position in `cells`
    kind: str
    source: str
    outputs: list = field(default_factory=list)
    language: str = "python"  # the notebook's kernel language


@dataclass
class Text:
    """Notebook text the engine does not see, searched for keys."""

    cell: int
    line: int  # first line of `text` in the cell; 0 for a stored output
    text: str
    where: str  # how messages name it
    shell: bool = False  # a magic or shell line: `%env` / `export` assignments count
    anchor: int = 0  # a stored output: the length of its cell's first line, where it is reported


@dataclass
class Module:
    source: str
    line_map: list[tuple[int, int]]  # module line - 1 -> (cell, line in cell)
    cell_lines: dict[int, list[int]]  # cell -> its module line numbers
    texts: list[Text]


# -- reading ------------------------------------------------------------------------------------

def load(data: Union[bytes, str], path: str) -> tuple[Optional[list[Cell]], list[Finding]]:
    """The cells, or None and an MLS000 explaining why this is not an nbformat 4 notebook."""
    try:
        notebook = json.loads(data)
    except json.JSONDecodeError as exc:
        return None, [error_finding(path, f"not a valid notebook: invalid JSON ({exc.msg} at line "
                                          f"{exc.lineno} column {exc.colno})", exc.lineno, exc.colno - 1)]
    except (ValueError, RecursionError) as exc:  # undecodable bytes, absurd nesting
        return None, [error_finding(path, f"not a valid notebook: {type(exc).__name__}")]
    if not isinstance(notebook, dict):
        return None, [error_finding(path, "not a Jupyter notebook: the JSON is not an object")]
    version = notebook.get("nbformat")
    if version != 4:
        if version is None:
            reason = "not a Jupyter notebook: no nbformat field"
        else:
            reason = (f"nbformat {version!r} notebooks are not supported, only nbformat 4 (convert "
                      f"with `jupyter nbconvert --to notebook --nbformat 4`)")
        return None, [error_finding(path, reason)]
    raw_cells = notebook.get("cells")
    if not isinstance(raw_cells, list):
        return None, [error_finding(path, "not a valid nbformat 4 notebook: 'cells' is not a list")]
    language = _language(notebook.get("metadata"))
    cells: list[Cell] = []
    errors: list[Finding] = []
    for index, raw in enumerate(raw_cells, 1):
        source = raw.get("source") if isinstance(raw, dict) else None
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        kind = raw.get("cell_type") if isinstance(raw, dict) else None
        if not isinstance(source, str) or not isinstance(kind, str):
            error = error_finding(path, f"cell {index} is malformed (no cell_type or source); it was skipped")
            error.cell, error.end_column = index, 1
            errors.append(error)
            continue
        outputs = raw.get("outputs", [])
        cells.append(Cell(index, kind, source, outputs if isinstance(outputs, list) else [], language))
    return cells, errors


def _language(metadata: Any) -> str:
    """The kernel language from language_info or kernelspec; python when not stated."""
    if not isinstance(metadata, dict):
        return "python"
    for table, key in (("language_info", "name"), ("kernelspec", "language")):
        value = metadata.get(table, {}).get(key) if isinstance(metadata.get(table), dict) else None
        if isinstance(value, str) and value.strip():
            return value.strip().lower()
    return "python"


PYTHON_LANGUAGES = frozenset({"python", "python2", "python3", "ipython", "ipython2", "ipython3", "pypy3"})


# -- IPython syntax -> Python ---------------------------------------------------------------------

class _LineState:
    """Enough of the tokenizer to know whether a line starts a statement: open brackets,
    open (triple-quoted or backslash-continued) strings, backslash continuations."""

    def __init__(self) -> None:
        self.depth = 0
        self.quote: Optional[str] = None
        self.continued = False

    @property
    def at_statement_start(self) -> bool:
        return self.depth == 0 and self.quote is None and not self.continued

    def feed(self, line: str) -> None:
        i, n = 0, len(line)
        self.continued = False
        while i < n:
            c = line[i]
            if self.quote is not None:
                if c == "\\":
                    i += 2
                    continue
                if line.startswith(self.quote, i):
                    i += len(self.quote)
                    self.quote = None
                    continue
                i += 1
                continue
            if c == "#":
                return
            if c in "\"'":
                triple = line[i:i + 3]
                self.quote = triple if triple in ('"""', "'''") else c
                i += len(self.quote)
                continue
            if c in "([{":
                self.depth += 1
            elif c in ")]}":
                self.depth = max(0, self.depth - 1)
            elif c == "\\" and i == n - 1:
                self.continued = True
            i += 1
        if self.quote in ('"', "'"):
            if line.endswith("\\"):
                return  # a one-quote string continued by a backslash
            self.quote = None  # unterminated: the parser will say so


def to_python(source: str) -> tuple[list[str], list[tuple[int, str]]]:
    """The cell's lines with IPython syntax neutralised (same number of lines, other columns
    unchanged), and the (line, text) of each neutralised line."""
    lines = _NEWLINE.split(source)
    magic: list[tuple[int, str]] = []
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        name = lines[first].lstrip()[2:].split(maxsplit=1)
        if not name or name[0] not in PYTHON_CELL_MAGICS:
            magic = [(i + 1, line) for i, line in enumerate(lines) if line.strip()]
            return [""] * len(lines), magic
        magic.append((first + 1, lines[first]))
        lines[first] = ""
    state = _LineState()
    out: list[str] = []
    continued = False  # the line before is a magic or shell line ending in a backslash
    for number, line in enumerate(lines, 1):
        if continued:  # IPython joins it to that line (`!pip install -q \` + next line)
            magic.append((number, line))
            continued = line.endswith("\\")
            out.append("")
            continue
        if state.at_statement_start and line.strip():
            stripped = line.lstrip()
            indent = line[:len(line) - len(stripped)]
            assign = _MAGIC_ASSIGN.match(stripped)
            if stripped.startswith(("%", "!", "?")) or _HELP.match(stripped):
                magic.append((number, line))
                continued = line.endswith("\\")
                # a blank line at the top level (so a fix's import still lands among the cell's
                # imports), `pass` inside a block (which must not become empty)
                line = indent + "pass" if indent else ""
            elif assign:
                magic.append((number, line))
                continued = line.endswith("\\")
                line = f"{indent}{assign.group('target')} = ..."
        state.feed(line)
        out.append(line)
    return out, magic


def build_module(cells: Sequence[Cell], skip: frozenset = frozenset()) -> Module:
    source_lines: list[str] = []
    line_map: list[tuple[int, int]] = []
    cell_lines: dict[int, list[int]] = {}
    texts: list[Text] = []
    for cell in cells:
        if cell.kind != "code":
            if cell.kind in ("markdown", "raw") and cell.source:
                texts.append(Text(cell.index, 1, cell.source, f"a {cell.kind} cell"))
            continue
        for number, output in enumerate(cell.outputs, 1):
            text = output_text(output)
            if text:
                first = _NEWLINE.split(cell.source, 1)[0]
                texts.append(Text(cell.index, 0, text, f"the stored output {number} of cell {cell.index}",
                                  anchor=len(first)))
        if cell.language not in PYTHON_LANGUAGES:  # an R or Julia notebook: its code is text to us
            if cell.source:
                where = f"a code cell (kernel language: {cell.language})"
                texts.append(Text(cell.index, 1, cell.source, where))
            continue
        lines, magic = to_python(cell.source)
        for number, line in magic:
            texts.append(Text(cell.index, number, line, "a magic or shell command", shell=True))
        if cell.index in skip:
            lines = [""] * len(lines)
        cell_lines[cell.index] = []
        for number, line in enumerate(lines, 1):
            source_lines.append(line)
            line_map.append((cell.index, number))
            cell_lines[cell.index].append(len(source_lines))
    return Module("\n".join(source_lines) + "\n" if source_lines else "", line_map, cell_lines, texts)


def output_text(output: Any) -> str:
    """The text a stored output shows (streams, text and JSON results, errors); no images."""
    if not isinstance(output, dict):
        return ""
    parts: list[str] = []
    kind = output.get("output_type")
    if kind == "stream":
        parts.append(_joined(output.get("text")))
    elif kind in ("execute_result", "display_data", "update_display_data"):
        data = output.get("data")
        if isinstance(data, dict):
            for mime, value in data.items():
                if isinstance(mime, str) and _TEXT_MIME.match(mime):
                    parts.append(_joined(value) if isinstance(value, (str, list)) else json.dumps(value))
    elif kind == "error":
        parts.extend(_joined(output.get(k)) for k in ("ename", "evalue"))
        parts.append(_joined(output.get("traceback"), "\n"))
    return "\n".join(p for p in parts if p)


def _joined(value: Any, sep: str = "") -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return sep.join(v for v in value if isinstance(v, str))
    return ""


# -- linting ----------------------------------------------------------------------------------------

@dataclass
class NotebookResult:
    findings: list[Finding]  # code findings still carry module line numbers (see `located`)
    module: Optional[Module]
    text_findings: list[Finding] = field(default_factory=list)  # already in cell coordinates
    errors: list[Finding] = field(default_factory=list)  # MLS000, already in cell coordinates

    def located(self, findings: Optional[list[Finding]] = None) -> list[Finding]:
        """Code findings mapped to (cell, line in cell)."""
        out = []
        for finding in self.findings if findings is None else findings:
            if self.module is not None:
                _relocate(finding, self.module)
            out.append(finding)
        return out


def lint_notebook(data: Union[bytes, str], path: str, settings: Settings,
                  rules: Optional[Sequence[type[Rule]]] = None, *,
                  check_syntax: bool = False) -> NotebookResult:
    context = file_context(path, settings)
    if not selected(context, settings):
        return NotebookResult([], None)
    cells, errors = load(data, path)
    apply_context(errors, context, RULES)
    if cells is None:
        return NotebookResult([], None, errors=errors)
    rules = rules_for_context(settings.rules_for(path) if rules is None else rules, context, settings)
    module = build_module(cells)
    result = lint_source(module.source, path, settings, rules, check_syntax=check_syntax)
    if any(f.code == NOT_CHECKED and "syntax error" in f.message for f in result.findings):
        broken = _broken_cells(cells, errors, path)
        if broken:
            module = build_module(cells, frozenset(broken))
            result = lint_source(module.source, path, settings, rules, check_syntax=check_syntax)
    text_findings = apply_context(scan_texts(module.texts, path, rules), context, RULES)
    return NotebookResult(result.findings, module, text_findings, apply_context(errors, context, RULES))


def _broken_cells(cells: Sequence[Cell], errors: list[Finding], path: str) -> list[int]:
    """Cells that do not parse on their own: each one MLS000 (appended to `errors`)."""
    import libcst as cst

    from ml_seclint.engine.guard import Refused, parse

    broken = []
    for cell in cells:
        if cell.kind != "code" or cell.language not in PYTHON_LANGUAGES:
            continue
        lines, _ = to_python(cell.source)
        source = "\n".join(lines) + "\n"
        try:
            parse(source)
        except cst.ParserSyntaxError as exc:
            line, column = _syntax_position(source, exc.raw_line, exc.raw_column, len(lines))
            message = re.sub(r"error at \d+:\d+: ", "", exc.message)
            error = error_finding(path, f"syntax error in cell {cell.index}: {message}; the other "
                                        f"cells were checked", line, column)
            error.cell, error.end_column = cell.index, column + 1
            errors.append(error)
            broken.append(cell.index)
        except Exception as exc:  # noqa: BLE001 - parser bugs: skip the cell, keep the rest
            why = str(exc) if isinstance(exc, Refused) else type(exc).__name__
            error = error_finding(path, f"cell {cell.index} could not be parsed: {why}")
            error.cell, error.end_column = cell.index, 1
            errors.append(error)
            broken.append(cell.index)
    return broken


def _syntax_position(source: str, line: int, column: int, lines: int) -> tuple[int, int]:
    """CPython's position of a syntax error (libcst's can be off by a line); never its message,
    which quotes source text in some versions."""
    import ast
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
    except SyntaxError as exc:
        line, column = exc.lineno or line, (exc.offset or 1) - 1
    except (ValueError, MemoryError, RecursionError):
        pass
    return min(max(line, 1), max(lines, 1)), max(column, 0)


def _relocate(finding: Finding, module: Module) -> None:
    if finding.cell is not None or not module.line_map:
        return
    index = min(max(finding.line, 1), len(module.line_map)) - 1
    cell, line = module.line_map[index]
    end_index = min(max(finding.end_line, 1), len(module.line_map)) - 1
    end_cell, end_line = module.line_map[end_index]
    finding.cell, finding.line = cell, line
    if end_cell == cell and end_line >= line:
        finding.end_line = end_line
    else:
        finding.end_line, finding.end_column = line, finding.column
    for place in finding.related:  # the source of a flow may be in another cell
        last = len(module.line_map)
        place.cell, start = module.line_map[min(max(place.line, 1), last) - 1]
        end_cell, end = module.line_map[min(max(place.end_line, 1), last) - 1]
        place.line, place.end_line = start, end if end_cell == place.cell and end >= start else start
    finding.render_related()


def scan_texts(texts: Sequence[Text], path: str, rules: Sequence[type[Rule]]) -> list[Finding]:
    """What the rules find in notebook text the engine never parses (`Rule.text_findings`); a
    finding of a rule is dropped where a rule it `yields_to` reported the same place."""
    by_code = {rule.code: rule for rule in rules}
    findings: list[Finding] = []
    for text in texts:
        found = [f for rule in rules for f in rule.text_findings(text, path)]

        def outranked(f: Finding) -> bool:
            return any(g.code in by_code[f.code].yields_to and g.line == f.line
                       and g.column < f.end_column and f.column < g.end_column for g in found)
        findings.extend(f for f in found if not outranked(f))
    return findings


# -- the CLI's per-file check -------------------------------------------------------------------------

def check_notebook(task: Any) -> Any:
    """runner.check_file for a notebook: read, lint, suppression comments (`# noqa`,
    `# ml-seclint: ignore`) in code cells and on magic lines, map to cells."""
    from ml_seclint.engine.results import CheckResult

    data, error = read_notebook(task.path, task.settings)
    if data is None:
        return CheckResult(task.path, [error] if error else [])
    return check_notebook_data(data, task)


#: a notebook file may be this many times `max-file-size`: images and other binary outputs are
#: never read, and the limit applies again to the code and text that are checked
NOTEBOOK_SIZE_FACTOR = 20


def read_notebook(path: str, settings: Settings) -> tuple[Optional[bytes], Optional[Finding]]:
    from ml_seclint.inputs.sources import read_bytes

    return read_bytes(path, max_file_size(settings) * NOTEBOOK_SIZE_FACTOR)


def check_notebook_data(data: Union[bytes, str], task: Any, secrets: Optional[list[str]] = None) -> Any:
    """`check_notebook` for a notebook's contents (`--fix --diff` checks the fixed text without
    writing it). `secrets`, when given, receives the values of the MLS4xx findings reported or
    suppressed in code and on magic lines (what a diff of the notebook must redact)."""
    from ml_seclint.fix.fixes import detached
    from ml_seclint.engine.results import CheckResult, select_findings

    result = lint_notebook(data, task.path, task.settings, check_syntax=True)
    module = result.module
    enabled = lambda f: task.settings.code_enabled(f.code, task.path)  # noqa: E731
    if module is None:
        return CheckResult(task.path, [f for f in result.errors if enabled(f)])
    # code findings: suppression comments as in a .py file, on the joined module
    findings, suppressed = select_findings(result.findings, module.source, task.path, task.settings,
                                           task.disable_noqa)
    # findings on magic and shell lines: the comments of the original lines, at the same places
    magic = {(t.cell, t.line) for t in module.texts if t.shell}
    on_magic = [f for f in result.text_findings if (f.cell, f.line) in magic]
    elsewhere = [f for f in result.text_findings if (f.cell, f.line) not in magic and enabled(f)]
    for finding in on_magic:
        finding.line = finding.end_line = module.cell_lines[finding.cell][finding.line - 1]
        finding.cell = None
    kept, quiet = select_findings(on_magic, magic_source(module), task.path, task.settings,
                                  task.disable_noqa)
    if secrets is not None:
        from ml_seclint.rules.secrets import secret_values

        secrets += secret_values([*findings, *suppressed])
        # on magic lines: the credentials' values (MLS401 provider keys, here and in stored
        # outputs, are found by their shape wherever they are: secrets_table.scrub)
        lines = magic_source(module).split("\n")
        secrets += [lines[f.line - 1][f.column:f.end_column] for f in (*kept, *quiet)
                    if f.code.startswith("MLS4") and f.code != "MLS401" and f.line == f.end_line]
    findings = result.errors + result.located(findings + kept) + elsewhere
    suppressed = result.located(suppressed + quiet)
    findings.sort(key=lambda f: (f.cell or 0, f.line, f.column, f.code))
    for finding in (*findings, *suppressed):
        finding.node = None  # libcst nodes stay in the worker
        finding.fix = detached(finding.fix)
        if getattr(finding, "suppression", None) is not None and finding.suppression.line:
            cell, line = module.line_map[min(finding.suppression.line, len(module.line_map)) - 1]
            finding.suppression = dataclasses.replace(finding.suppression, line=line)
    return CheckResult(task.path, findings, suppressed, module.source.count("\n"))


def magic_source(module: Module) -> str:
    """The joined module with each neutralised magic or shell line put back in its place: where
    a suppression comment on such a line is found."""
    lines = module.source.split("\n")
    for text in module.texts:
        if text.shell:
            lines[module.cell_lines[text.cell][text.line - 1] - 1] = text.text
    return "\n".join(lines)
