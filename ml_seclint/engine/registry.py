"""All rules, found by importing every module of ml_seclint.rules."""
from __future__ import annotations

import importlib
import importlib.resources
import pkgutil
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from ml_seclint.engine.rule import Option, Rule


def _discover() -> dict[str, type[Rule]]:
    import ml_seclint.rules as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
    found: dict[str, type[Rule]] = {}

    def walk(cls: type[Rule]) -> None:
        for sub in cls.__subclasses__():
            if getattr(sub, "code", None) and sub.__module__.startswith("ml_seclint.rules"):
                if sub.code in found and found[sub.code] is not sub:
                    raise RuntimeError(f"duplicate rule code {sub.code}")
                found[sub.code] = sub
            walk(sub)

    walk(Rule)
    return dict(sorted(found.items()))


RULES: dict[str, type[Rule]] = _discover()


@lru_cache(maxsize=None)
def all_options() -> dict[str, Option]:
    options: dict[str, Option] = {}
    for rule in RULES.values():
        for opt in rule.options:
            options[opt.name] = opt
    return options


def rule_doc(code: str) -> Optional[str]:
    """The rule's documentation page (docs/rules/<code>.md), or None."""
    directory = docs_dir()
    page = directory.joinpath(f"{code}.md") if directory is not None else None
    return page.read_text(encoding="utf-8") if page is not None and page.is_file() else None


def docs_dir() -> Any:
    """docs/rules in a source checkout or editable install (the pages as edited), else the copy
    the wheel build put into the package (setup.py): a directory, or a Traversable inside a zip."""
    checkout = Path(__file__).resolve().parents[2] / "docs" / "rules"
    if checkout.is_dir():
        return checkout
    try:
        shipped = importlib.resources.files("ml_seclint").joinpath("rule_docs")
    except (ModuleNotFoundError, TypeError):
        return None
    return shipped if shipped.is_dir() else None
