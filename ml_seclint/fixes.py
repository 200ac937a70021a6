"""Fixes that rules attach to findings (applied by the CLI's --fix; see docs/architecture.md)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SAFE, UNSAFE = "safe", "unsafe"


@dataclass
class Fix:
    """A mechanical edit for one finding.

    `replacements` maps original libcst nodes (by identity) to their new nodes; `imports` lists
    imports the new code needs, as ("module",) or ("module", "name"). `safety` is "safe" when
    the edit preserves behaviour for every correct program, "unsafe" otherwise.
    """

    title: str
    safety: str
    replacements: dict[Any, Any] = field(default_factory=dict)
    imports: tuple[tuple[str, ...], ...] = ()
