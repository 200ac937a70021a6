"""Output formats. Each module exposes `render(report) -> str` (report.Report); `formats()` maps
the format names to them."""
from __future__ import annotations


def formats() -> dict:
    """Format name -> render function (imported lazily to keep start-up cheap)."""
    from ml_seclint.output import github, json_format, rdjson, sarif, text

    return {"text": text.render, "json": json_format.render, "sarif": sarif.render,
            "github": github.render, "rdjson": rdjson.render}
