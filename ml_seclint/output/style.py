"""Terminal colour: on for a terminal, off for pipes and files; `NO_COLOR` turns it off and
`FORCE_COLOR` on (https://no-color.org, https://force-color.org), as Ruff does."""
from __future__ import annotations

import os
from typing import Mapping, Optional, TextIO

RESET = "\033[0m"
CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "blue": "34",
         "magenta": "35", "cyan": "36"}
SEVERITY_STYLE = {"critical": ("bold", "magenta"), "high": ("bold", "red"), "medium": ("yellow",),
                  "low": ("cyan",)}


def use_colour(stream: Optional[TextIO], environ: Optional[Mapping[str, str]] = None) -> bool:
    environ = os.environ if environ is None else environ
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Painter:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles or not text:
            return text
        return "\033[" + ";".join(CODES[s] for s in styles) + "m" + text + RESET

    def severity(self, text: str, severity: str) -> str:
        return self(text, *SEVERITY_STYLE.get(severity, ("yellow",)))
