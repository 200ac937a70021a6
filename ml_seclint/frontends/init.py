"""`ml-seclint init`: add a commented `[tool.ml-seclint]` table to pyproject.toml.

The file is created when missing and otherwise extended at its end, byte for byte as it was
before; a file that already has the table, or is not valid TOML, is left alone. Every key is
listed, commented out at its default, with its help text, so the table documents itself.
"""
from __future__ import annotations

import json
import os
import textwrap
from typing import Any

from ml_seclint.engine.code_context import DEFAULT_SELECTED
from ml_seclint.engine.config import GLOBAL_KEYS, ConfigError, _load_toml
from ml_seclint.engine.registry import all_options

# example values for keys whose default is "not set"
_EXAMPLES = {"exclude": ["third_party", "notebooks/scratch"],
             "docs-url": "https://security.example.org/ml-seclint/{code}.html",
             "sarif-category": "ml-seclint", "torch-min-version": "2.6", "python-min-version": "3.14"}
_DEFAULTS = {"select": ["MLS"], "ignore": [], "require-reason": False, "notebooks": True,
             "context": list(DEFAULT_SELECTED)}
# tables, written as commented sub-tables at the end
_TABLES = {"per-file-ignores": ('"tests/*"', ["MLS1"]), "contexts": ("test", ["qa/**", "*_check.py"])}


class InitError(Exception):
    pass


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, str)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise TypeError(type(value).__name__)


def _entry(key: str, value: Any, text: str, active: bool = False) -> list[str]:
    lines = [f"# {line}" for line in textwrap.wrap(text, 96)]
    lines.append(f"{'' if active else '# '}{key} = {_toml(value)}")
    return lines


def table() -> str:
    out = ["[tool.ml-seclint]",
           "# Written by `ml-seclint init`. Keys that are commented out show their default or an",
           "# example; `ml-seclint explain CODE` documents each rule and its options.", ""]
    out += _entry("select", ["MLS"], GLOBAL_KEYS["select"][1], active=True) + [""]
    for key, (kind, text) in GLOBAL_KEYS.items():
        if key == "select" or key in _TABLES:
            continue
        fallback = {bool: False, list: [], int: 0}.get(kind, "")
        out += _entry(key, _DEFAULTS.get(key, _EXAMPLES.get(key, fallback)), text) + [""]
    for name, option in sorted(all_options().items()):
        value = option.default if option.default is not None else _EXAMPLES.get(name, "")
        out += _entry(name, value, option.help) + [""]
    for key, (name, value) in _TABLES.items():
        if key in GLOBAL_KEYS:
            out += [f"# {line}" for line in textwrap.wrap(GLOBAL_KEYS[key][1], 96)]
            out += [f"# [tool.ml-seclint.{key}]", f"# {name} = {_toml(value)}", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def init(path: str) -> str:
    """Write the table into `path`; returns what was done. InitError when nothing may change."""
    if os.path.exists(path):
        try:
            data = _load_toml(path)  # type: ignore[arg-type]
        except ConfigError as exc:
            raise InitError(f"{exc}; nothing changed") from None
        if "ml-seclint" in data.get("tool", {}):
            raise InitError(f"{path} already has a [tool.ml-seclint] table; nothing changed")
        with open(path, "rb") as fh:
            existing = fh.read()
        newline = b"\r\n" if b"\r\n" in existing else b"\n"
        # a blank line between the existing text and the table
        separator = b"" if not existing else (newline if existing.endswith((b"\n", b"\r")) else newline * 2)
        with open(path, "ab") as fh:
            body = table().replace("\n", newline.decode()).encode()
            fh.write(separator + body)
        return f"added a [tool.ml-seclint] table to {path}"
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(table())
    return f"created {path} with a [tool.ml-seclint] table"
