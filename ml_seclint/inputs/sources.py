"""Finding the files to check and reading them into text, with every failure explained."""
from __future__ import annotations

import io
import os
import stat
import tokenize
from typing import Iterator, Optional

from ml_seclint.engine.finding import Finding, error_finding
from ml_seclint.engine.guard import too_large

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".bzr", "__pycache__", "node_modules", "build", "dist", ".tox", ".nox",
    ".venv", "venv", ".eggs", ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages",
    ".ipynb_checkpoints",
})
EXTENSIONS = (".py",)
NOTEBOOK_EXTENSIONS = (".ipynb",)


def notebooks_enabled(settings) -> bool:
    """The `notebooks` key of [tool.ml-seclint] (default true); `--no-notebooks` sets it false."""
    return settings.extra.get("notebooks", True) is not False


def _is_virtualenv(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


def walk(top: str, settings_for, extensions: tuple[str, ...] = EXTENSIONS) -> Iterator[str]:
    """Files under `top` in a stable order; skips VCS, cache, build and virtualenv directories
    and the configured `exclude` patterns. Symlinked directories are not followed (no loops)."""
    for root, dirs, files in os.walk(top, followlinks=False):
        settings = settings_for(root)
        dirs[:] = sorted(
            d for d in dirs
            if d not in SKIP_DIRS and not d.endswith(".egg-info")
            and not _is_virtualenv(os.path.join(root, d))
            and not settings.excluded(os.path.join(root, d)))
        wanted = extensions + NOTEBOOK_EXTENSIONS if notebooks_enabled(settings) else extensions
        for name in sorted(files):
            path = os.path.join(root, name)
            if name.endswith(wanted) and not settings.excluded(path):
                yield path


def read_bytes(path: str, limit: Optional[int] = None) -> tuple[Optional[bytes], Optional[Finding]]:
    """The file's bytes, or None and an MLS000 saying why not. Only a regular file is read (a FIFO
    would block the run forever, a device such as /dev/zero never ends), and none larger than
    `limit` bytes: the type and size are checked before opening, and again on the open file (it
    may have been replaced), and no more than `limit` + 1 bytes are read."""
    try:
        info = os.stat(path)
        if stat.S_ISREG(info.st_mode):
            fd = os.open(path, os.O_RDONLY | _NONBLOCK)  # a FIFO swapped in cannot block here
            try:
                info = os.fstat(fd)
                if stat.S_ISREG(info.st_mode) and not (limit and info.st_size > limit):
                    with os.fdopen(fd, "rb", closefd=False) as fh:
                        data = fh.read(limit + 1 if limit else -1)
                    if not (limit and len(data) > limit):
                        return data, None
                    info = os.fstat(fd)
            finally:
                os.close(fd)
    except OSError as exc:
        return None, error_finding(path, f"cannot read file: {exc.strerror or exc}")
    if not stat.S_ISREG(info.st_mode):
        return None, error_finding(path, f"not a regular file ({_kind(info.st_mode)}), skipped")
    return None, error_finding(path, too_large(max(info.st_size, (limit or 0) + 1), limit or 0))


_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISDIR, "a directory")):
        if test(mode):
            return name
    return "not a plain file"


def read_text(path: str, limit: Optional[int] = None) -> tuple[Optional[str], Optional[Finding]]:
    """The decoded source (BOM removed, encoding cookie honoured), or an MLS000 saying why not
    (see `read_bytes`)."""
    data, error = read_bytes(path, limit)
    if data is None:
        return None, error
    return decode(data, path)


def decode(data: bytes, path: str) -> tuple[Optional[str], Optional[Finding]]:
    if b"\0" in data:
        return None, error_finding(path, "binary file (contains NUL bytes), not Python source")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:  # unknown or conflicting coding cookie
        return None, error_finding(path, f"bad encoding declaration: {exc}")
    try:
        return data.decode(encoding), None
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return None, error_finding(path, f"cannot decode as {encoding}: byte 0x{data[exc.start]:02x} "
                                         f"is invalid (add a coding cookie or fix the file)", line)
    except LookupError as exc:
        return None, error_finding(path, f"unknown encoding: {exc}")
