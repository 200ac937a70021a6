"""`ml-seclint server`: a Language Server (LSP over stdio, on pygls) for editors.

Diagnostics are published when a Python document is opened, changed and saved, from the same
engine, configuration and suppression comments as `ml-seclint check`. Code actions: each finding's
fix ("Fix: add weights_only=True", unsafe ones labelled), with the text edits computed here, where
the parsed module lives (ml_seclint.fix.edits), and "Suppress MLS102 with `# noqa: MLS102`".
Columns are code points internally and converted to the encoding the client negotiated (UTF-16
by default). A configuration error becomes one diagnostic at the top of the document.
"""
from __future__ import annotations

import os
import re
from typing import Any, Optional

from ml_seclint import __version__
from ml_seclint.engine.finding import NOT_CHECKED, Finding

SEVERITY_LEVEL = {"critical": 1, "high": 1, "medium": 2, "low": 3}  # Error, Warning, Information
_NOQA = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.I)


class Linted:
    """One version of a document: its findings (with their libcst nodes: this process is the
    worker) and the parsed module, so fix edits are computed only when code actions are asked
    for, not on every keystroke."""

    def __init__(self, text: str, findings: list[Finding], module: Any, error: Optional[str]) -> None:
        self.text, self.findings, self.module, self.error = text, findings, module, error
        self.edits_done = False

    def with_edits(self) -> list[Finding]:
        from ml_seclint.fix.edits import attach_edits

        if not self.edits_done and self.module is not None:
            attach_edits(self.findings, self.module, self.text)
        self.edits_done = True
        return self.findings


def lint_document(text: str, path: str) -> Linted:
    from ml_seclint.engine.config import ConfigError, find_settings
    from ml_seclint.engine.lint import lint_source
    from ml_seclint.engine.results import select_findings

    try:
        settings = find_settings(os.path.dirname(os.path.abspath(path)))
    except ConfigError as exc:
        return Linted(text, [], None, str(exc))
    result = lint_source(text, path, settings, check_syntax=True)
    findings, _ = select_findings(result.findings, text, path, settings)
    return Linted(text, findings, result.module, None)


def noqa_edit(line: str, code: str) -> Optional[tuple[int, str]]:
    """(column, text to insert) that makes `line` silence `code`, or None when it already does."""
    match = _NOQA.search(line)
    if match is None:
        stripped = line.rstrip("\r\n")
        body = stripped.rstrip()
        return len(body), f"  # noqa: {code}"
    codes = match.group("codes")
    if codes is None or any(code.startswith(c.upper()) for c in re.split(r"[,\s]+", codes) if c):
        return None  # a bare `# noqa` or one that covers the code already
    return match.end("codes"), f",{code}"


def build_server() -> Any:
    from lsprotocol import types
    from pygls.lsp.server import LanguageServer
    from pygls.uris import to_fs_path

    server = LanguageServer("ml-seclint", __version__)
    linted: dict[str, Linted] = {}

    def to_range(doc: Any, line: int, column: int, end_line: int, end_column: int) -> Any:
        codec = server.workspace.position_codec
        lines = doc.lines
        start = codec.position_to_client_units(lines, types.Position(line - 1, column))
        end = codec.position_to_client_units(lines, types.Position(end_line - 1, end_column))
        return types.Range(start, end)

    def diagnostic(doc: Any, finding: Finding) -> Any:
        from ml_seclint.output.report import fix_marker

        return types.Diagnostic(
            range=to_range(doc, finding.line, finding.column, finding.end_line, finding.end_column),
            message=finding.message + fix_marker(finding),
            severity=types.DiagnosticSeverity(SEVERITY_LEVEL.get(finding.severity, 2)),
            code=finding.code, source="ml-seclint")

    def publish(uri: str) -> None:
        doc = server.workspace.get_text_document(uri)
        path = to_fs_path(uri) or uri
        if not uri.startswith(("file:", "untitled:")):  # notebook cells and the like: not served
            return
        if not path.endswith((".py", ".pyi")) and doc.language_id not in ("python", None):
            return
        linted[uri] = result = lint_document(doc.source, path)
        diagnostics = [diagnostic(doc, f) for f in result.findings]
        error = result.error
        if error:
            diagnostics.append(types.Diagnostic(
                range=types.Range(types.Position(0, 0), types.Position(0, 0)),
                message=f"ml-seclint configuration: {error}", severity=types.DiagnosticSeverity.Error,
                source="ml-seclint"))
        server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=doc.version, diagnostics=diagnostics))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: Any, params: Any) -> None:
        publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: Any, params: Any) -> None:
        publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: Any, params: Any) -> None:
        publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: Any, params: Any) -> None:
        linted.pop(params.text_document.uri, None)
        server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=params.text_document.uri, diagnostics=[]))

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
    def code_action(ls: Any, params: Any) -> list:
        uri = params.text_document.uri
        doc = server.workspace.get_text_document(uri)
        wanted = params.range
        actions = []
        current = linted.get(uri)
        if current is None or current.text != doc.source:  # asked before the change was linted
            return []
        for finding in current.with_edits():
            where = to_range(doc, finding.line, finding.column, finding.end_line, finding.end_column)
            if (where.end.line, where.end.character) < (wanted.start.line, wanted.start.character) or \
                    (where.start.line, where.start.character) > (wanted.end.line, wanted.end.character):
                continue
            diag = diagnostic(doc, finding)
            fix = finding.fix
            edits = getattr(fix, "edits", None)
            if edits:
                unsafe = " (unsafe: may change behaviour)" if fix.safety == "unsafe" else ""
                label = f"Fix: {fix.title}{unsafe}"
                changes = [types.TextEdit(to_range(doc, e.line, e.column, e.end_line, e.end_column), e.text)
                           for e in edits]
                actions.append(types.CodeAction(
                    title=label, kind=types.CodeActionKind.QuickFix, diagnostics=[diag],
                    is_preferred=fix.safety == "safe", edit=types.WorkspaceEdit(changes={uri: changes})))
            lines = doc.lines
            if finding.code != NOT_CHECKED and 0 <= finding.line - 1 < len(lines):  # (noqa can't fix MLS000)
                insert = noqa_edit(lines[finding.line - 1], finding.code)
                if insert is not None:
                    column, text = insert
                    at = to_range(doc, finding.line, column, finding.line, column)
                    actions.append(types.CodeAction(
                        title=f"Suppress {finding.code} with `# noqa: {finding.code}`",
                        kind=types.CodeActionKind.QuickFix, diagnostics=[diag],
                        edit=types.WorkspaceEdit(changes={uri: [types.TextEdit(at, text)]})))
        return actions

    return server


def serve() -> None:
    build_server().start_io()
