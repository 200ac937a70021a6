"""A JSON Schema (draft-07, the form SchemaStore and Even Better TOML use, like Ruff's ruff.json)
for the `[tool.ml-seclint]` table, generated from the keys `config.py` validates and the rules'
options. The package ships it as ml_seclint/ml-seclint.schema.json (a test keeps the file
current: `python -m ml_seclint.engine.config_schema > ml_seclint/ml-seclint.schema.json`)."""
from __future__ import annotations

import json
from typing import Any

from ml_seclint.engine.code_context import CONTEXTS
from ml_seclint.engine.config import GLOBAL_KEYS, known_codes
from ml_seclint.engine.registry import all_options

_TYPES = {bool: "boolean", int: "integer", str: "string"}


def code_prefixes() -> list[str]:
    """Every prefix that selects at least one code (what `select`/`ignore` accept)."""
    return sorted({code[:n] for code in known_codes() for n in range(3, len(code) + 1)})


def _typed(kind: type) -> dict:
    if kind is list:
        return {"type": "array", "items": {"type": "string"}}
    if kind is dict:
        return {"type": "object"}
    return {"type": _TYPES[kind]}


def config_schema() -> dict:
    codes = {"type": "array", "items": {"$ref": "#/definitions/CodePrefix"}, "uniqueItems": True}
    properties: dict[str, Any] = {}
    for key, (kind, text) in GLOBAL_KEYS.items():
        if key in ("select", "ignore"):
            entry = dict(codes)
        elif key == "per-file-ignores":
            entry = {"type": "object", "additionalProperties": codes}
        elif key == "context":
            entry = {"type": "array", "items": {"enum": list(CONTEXTS)}, "uniqueItems": True}
        elif key == "contexts":
            entry = {"type": "object", "propertyNames": {"enum": list(CONTEXTS)},
                     "additionalProperties": {"type": "array", "items": {"type": "string"}}}
        else:
            entry = _typed(kind)
        properties[key] = {**entry, "description": text}
    for name, option in sorted(all_options().items()):
        entry = _typed(option.type)
        if option.derive is not None and option.type is str:
            entry["pattern"] = r"^\s*\d+(\.\d+)*"  # as config.py reads it: a leading version
        if option.default is not None:
            entry["default"] = option.default
        properties[name] = {**entry, "description": option.help}
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "ml-seclint",
        "description": "Configuration of ml-seclint, the security linter for machine-learning code: the "
                       "[tool.ml-seclint] table of pyproject.toml.",
        "type": "object",
        "additionalProperties": False,
        "properties": dict(sorted(properties.items())),
        "definitions": {"CodePrefix": {
            "description": "An ml-seclint code or code prefix (MLS, MLS1, MLS102, ...).",
            "type": "string", "enum": code_prefixes()}},
    }


def render() -> str:
    return json.dumps(config_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render(), end="")
