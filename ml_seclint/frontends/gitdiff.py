"""`--since REV`: the files and lines changed since a git revision.

`git diff REV` compares the revision with the working tree (committed, staged and unstaged
changes); files git does not track yet count as entirely new. A range such as
`origin/main...HEAD` is passed to git as it is (then untracked files are not included). Renames are
followed, so a moved file only counts its edited lines; deleted files have nothing to check.
"""
from __future__ import annotations

import codecs
import os
import re
import subprocess
from typing import Optional

HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(?P<start>\d+)(?:,(?P<count>\d+))? @@")


class GitError(Exception):
    """git is missing, the directory is not a repository, or the revision is unknown."""


def _git(args: list[str], cwd: str) -> str:
    try:
        proc = subprocess.run(["git", "-c", "core.quotePath=false", *args], cwd=cwd,
                              capture_output=True, text=True, encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror or exc}") from None
    if proc.returncode != 0:
        detail = proc.stderr.strip().splitlines()
        raise GitError(detail[-1] if detail else f"git {args[0]} failed ({proc.returncode})")
    return proc.stdout


def _unquote(path: str) -> str:
    """git's C-style quoting of unusual file names ("a\\tb", "\\303\\251")."""
    if len(path) >= 2 and path[0] == path[-1] == '"':
        raw = codecs.escape_decode(path[1:-1].encode("utf-8", "surrogateescape"))[0]
        return raw.decode("utf-8", "surrogateescape")
    return path


def _new_path(header: str) -> Optional[str]:
    """The file name in a `+++ b/name` line (None for /dev/null)."""
    name = _unquote(header[4:].rstrip("\n"))
    if name == "/dev/null":
        return None
    return name[2:] if name.startswith("b/") else name


def parse_diff(text: str) -> dict[str, set[int]]:
    """Repository-relative path -> line numbers (in the new version) added or modified, from
    `git diff --unified=0` output."""
    changed: dict[str, set[int]] = {}
    current: Optional[set[int]] = None
    for line in text.splitlines():
        if line.startswith("diff --git "):
            current = None
        elif line.startswith("+++ "):
            name = _new_path(line)
            current = changed.setdefault(name, set()) if name is not None else None
        elif line.startswith("@@") and current is not None:
            match = HUNK.match(line)
            if match:
                start = int(match.group("start"))
                count = int(match.group("count")) if match.group("count") is not None else 1
                current.update(range(start, start + count))
    return changed


def changed_lines(revision: str, cwd: str = ".") -> dict[str, Optional[set[int]]]:
    """Absolute path -> changed line numbers, or None for a file git does not track (all new)."""
    top = _git(["rev-parse", "--show-toplevel"], cwd).strip()
    is_range = ".." in revision
    if not is_range:
        try:
            _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"], cwd)
        except GitError:
            raise GitError(f"unknown revision '{revision}'") from None
    diff = _git(["diff", "--no-color", "--no-ext-diff", "--no-textconv", "--unified=0", "--find-renames",
                 "--diff-filter=d", "--src-prefix=a/", "--dst-prefix=b/", "--ignore-submodules",
                 revision, "--"], top)
    result: dict[str, Optional[set[int]]] = {
        os.path.normpath(os.path.join(top, path)): lines for path, lines in parse_diff(diff).items()}
    if not is_range:
        untracked = _git(["ls-files", "-z", "--others", "--exclude-standard"], top)
        for path in filter(None, untracked.split("\0")):
            result[os.path.normpath(os.path.join(top, path))] = None
    return result


def on_changed_line(finding, lines: Optional[set[int]]) -> bool:
    """A finding is on the diff when any line it spans was added or modified (so a call whose
    `weights_only=False` argument was added on its own line counts). Notebook findings count
    when the notebook changed at all: their cell lines are not the file's lines."""
    if lines is None or finding.cell is not None:
        return True
    return any(number in lines for number in range(finding.line, max(finding.line, finding.end_line) + 1))
