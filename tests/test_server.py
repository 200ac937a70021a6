"""`ml-seclint server` end to end: a real LSP client (pygls's) talks to the server over stdio.
Diagnostics on open, change and save; a fix code action applied; the noqa code action applied."""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls")

from lsprotocol import types  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402

from ml_seclint.frontends.server import noqa_edit  # noqa: E402

# a character outside the BMP before the call: UTF-16 columns differ from code points
SOURCE = 'import torch\nimport yaml\n\nemoji = "😀"; state = torch.load(path)\ncfg = yaml.load(text)\n'


def apply(text: str, edits: list) -> str:
    """Apply LSP text edits (UTF-16 positions) to `text`."""
    lines = text.splitlines(keepends=True)

    def offset(position: types.Position) -> int:
        before = "".join(lines[:position.line])
        line = lines[position.line] if position.line < len(lines) else ""
        units, chars = 0, 0
        while units < position.character:
            units += 2 if ord(line[chars]) > 0xFFFF else 1
            chars += 1
        return len(before) + chars

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[:offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text


async def session(root: Path) -> None:
    client = LanguageClient("ml-seclint-test", "1")
    published: asyncio.Queue = asyncio.Queue()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
        published.put_nowait(params)

    async def diagnostics() -> list:
        params = await asyncio.wait_for(published.get(), 60)
        return params.diagnostics

    await client.start_io(sys.executable, "-m", "ml_seclint", "server", cwd=str(root))
    try:
        await client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=root.as_uri()))
        client.initialized(types.InitializedParams())
        path = root / "train.py"
        path.write_text(SOURCE, encoding="utf-8")
        uri = path.as_uri()
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="python", version=1, text=SOURCE)))
        found = await diagnostics()
        assert [(d.code, d.range.start.line, d.range.start.character) for d in found] == [
            ("MLS102", 3, len('emoji = "😀"; state = '.encode("utf-16-le")) // 2), ("MLS107", 4, 6)]
        assert found[0].severity == types.DiagnosticSeverity.Error and found[0].source == "ml-seclint"

        # the fix of MLS107 as a code action, applied
        yaml_diag = found[1]
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri), range=yaml_diag.range,
            context=types.CodeActionContext(diagnostics=[yaml_diag])))
        titles = [a.title for a in actions]
        assert titles == ["Fix: use safe_load instead of load", "Suppress MLS107 with `# noqa: MLS107`"]
        assert actions[0].is_preferred
        text = apply(SOURCE, actions[0].edit.changes[uri])
        assert text == SOURCE.replace("yaml.load", "yaml.safe_load")
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
        assert [d.code for d in await diagnostics()] == ["MLS102"]

        # MLS102: the unsafe fix is labelled; the noqa action silences it
        torch_diag = found[0]
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri), range=torch_diag.range,
            context=types.CodeActionContext(diagnostics=[torch_diag])))
        assert actions[0].title == "Fix: add weights_only=True (unsafe: may change behaviour)"
        assert not actions[0].is_preferred
        noqa = next(a for a in actions if a.title.startswith("Suppress MLS102"))
        text = apply(text, noqa.edit.changes[uri])
        assert text.splitlines()[3].endswith("torch.load(path)  # noqa: MLS102")
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
        assert list(await diagnostics()) == []

        # on save the document is checked again (here: the configuration changed on disk)
        (root / "pyproject.toml").write_text('[tool.ml-seclint]\nselect = ["MLS9"]\n', encoding="utf-8")
        client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
        (error,) = await diagnostics()
        assert "matches no ml-seclint code" in error.message and error.range.start.line == 0
        await client.shutdown_async(None)
        client.exit(None)
        await asyncio.wait_for(client.stop(), 30)  # the server exits by itself after `exit`
    finally:
        if client._server is not None and client._server.returncode is None:  # a failed assertion
            client._server.kill()
            await client.stop()


def test_language_server_end_to_end(tmp_path):
    (tmp_path / ".git").mkdir()  # the configuration search stops here
    asyncio.run(session(tmp_path))


def test_noqa_edit_extends_or_adds_a_comment():
    assert noqa_edit("x = f(p)\n", "MLS102") == (8, "  # noqa: MLS102")
    assert noqa_edit("x = f(p)  # noqa: E501\n", "MLS102") == (22, ",MLS102")
    assert noqa_edit("x = f(p)  # noqa\n", "MLS102") is None
    assert noqa_edit("x = f(p)  # noqa: MLS1\n", "MLS102") is None
