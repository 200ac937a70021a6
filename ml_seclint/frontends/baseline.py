"""Baselines: accept today's findings, report only new ones.

A finding's key is (path, code, digest of its flagged line), the digest being a SHA-256 of the
line with all whitespace and any trailing comment removed. Line numbers play no part, so inserting
lines above a finding, re-indenting it or editing its comment keeps it matched; editing the flagged
code itself makes it new. Keys are counted: a baseline entry with `count: 2` accepts two identical
findings in that file, and a third is new (the later ones by position are reported).

The file is JSON sorted by path, code and digest, without line numbers or timestamps, so it changes
only when the accepted findings do and reads well in a diff. It never holds source text: only the
digest, the code and the finding's message (secret values are already redacted in messages).
Paths are relative to the baseline file's directory, so any working directory gives the same keys.
MLS000 (file could not be checked) is never baselined.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path
from typing import Iterable, Optional

from ml_seclint.output.source import SourceFiles
from ml_seclint.engine.finding import NOT_CHECKED, Finding
from ml_seclint.engine.suppress import Suppression

FORMAT_VERSION = 1
NEVER_BASELINED = (NOT_CHECKED,)


class BaselineError(Exception):
    """An unreadable or malformed baseline file; the message says which and why."""


Key = tuple[str, str, str]  # (path, code, digest)


def normalise(line: str) -> str:
    """The line without whitespace and without a trailing `#` comment (quotes are respected)."""
    quote: Optional[str] = None
    escaped = False
    end = len(line)
    for i, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#":
            end = i
            break
    return "".join(line[:end].split())


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


class Baseline:
    def __init__(self, path: str, counts: Optional[Counter] = None, messages: Optional[dict] = None) -> None:
        self.path = path
        self.directory = os.path.dirname(os.path.abspath(path))
        self.counts: Counter = counts if counts is not None else Counter()
        self.messages: dict[Key, str] = messages or {}
        self.unmatched = 0  # after split(): accepted findings that no longer occur (fixed)

    # -- keys ------------------------------------------------------------------------------
    def relpath(self, files: SourceFiles, path: str) -> str:
        return Path(os.path.relpath(files.absolute(path), self.directory)).as_posix()

    def key(self, finding: Finding, files: SourceFiles) -> Key:
        line = files.line(finding.path, finding.line, finding.cell)
        # a file gone since the run, or a notebook's stored output: the message stands in
        content = normalise(line) if line is not None else f"message:{finding.message}"
        return self.relpath(files, finding.path), finding.code, digest(content)

    # -- reading and writing ---------------------------------------------------------------
    @classmethod
    def load(cls, path: str) -> "Baseline":
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
        except OSError as exc:
            raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise BaselineError(f"baseline {path} is not valid JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("tool") != "ml-seclint" \
                or not isinstance(data.get("findings"), list):
            raise BaselineError(f"{path} is not an ml-seclint baseline (write one with --write-baseline)")
        if data.get("version") != FORMAT_VERSION:
            raise BaselineError(f"baseline {path} has format version {data.get('version')!r}; this "
                                f"ml-seclint reads version {FORMAT_VERSION}: write it again")
        baseline = cls(path)
        for number, entry in enumerate(data["findings"], 1):
            try:
                key = (str(entry["path"]), str(entry["code"]), str(entry["digest"]))
                count = int(entry.get("count", 1))
            except (TypeError, KeyError, ValueError):
                raise BaselineError(f"baseline {path}: entry {number} needs path, code, digest "
                                    f"and a numeric count") from None
            baseline.counts[key] += max(count, 0)
            baseline.messages.setdefault(key, str(entry.get("message", "")))
        return baseline

    @classmethod
    def build(cls, path: str, findings: Iterable[Finding], files: SourceFiles) -> "Baseline":
        baseline = cls(path)
        for finding in findings:
            if finding.code in NEVER_BASELINED:
                continue
            key = baseline.key(finding, files)
            baseline.counts[key] += 1
            baseline.messages.setdefault(key, finding.message)
        return baseline

    def dumps(self) -> str:
        entries = [{"path": path, "code": code, "digest": dig, "count": self.counts[(path, code, dig)],
                    "message": self.messages.get((path, code, dig), "")}
                   for path, code, dig in sorted(self.counts) if self.counts[(path, code, dig)] > 0]
        data = {
            "tool": "ml-seclint",
            "version": FORMAT_VERSION,
            "fingerprint": "sha256 of the flagged line without whitespace and comment, first 16 hex digits",
            "findings": entries,
        }
        return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"

    def write(self) -> None:
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, exist_ok=True)
        with open(self.path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(self.dumps())

    # -- matching --------------------------------------------------------------------------
    def split(self, findings: Iterable[Finding], files: SourceFiles,
              checked: Optional[Iterable[str]] = None) -> tuple[list[Finding], list[Finding]]:
        """(new, matched). Identical findings beyond the baseline's count are new, the later
        ones in the file first; matched findings get a `baseline` suppression. `unmatched` then
        counts accepted findings of the `checked` files (default: all) that no longer occur."""
        findings = list(findings)
        remaining = Counter(self.counts)
        accepted: set[int] = set()
        for finding in sorted(findings, key=lambda f: (f.path, f.cell or 0, f.line, f.column, f.code)):
            if finding.code in NEVER_BASELINED:
                continue
            key = self.key(finding, files)
            if remaining[key] > 0:
                remaining[key] -= 1
                accepted.add(id(finding))
                finding.suppression = Suppression("baseline", self.path, "accepted in the baseline")
        scope = None if checked is None else {self.relpath(files, path) for path in checked}
        self.unmatched = sum(n for key, n in remaining.items() if scope is None or key[0] in scope)
        return ([f for f in findings if id(f) not in accepted], [f for f in findings if id(f) in accepted])
