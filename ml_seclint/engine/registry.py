"""All rules, found by importing every module of ml_seclint.rules."""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

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


def rules_with_option(name: str) -> list[str]:
    return [code for code, rule in RULES.items() if any(o.name == name for o in rule.options)]
