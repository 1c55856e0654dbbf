"""The one check before any input file is opened: a regular file, of a size the tool will read."""

from __future__ import annotations

import stat
from pathlib import Path

from support_scope.errors import InputError


def unreadable(path: Path, what: str) -> str | None:
    """Why ``path`` cannot be read as the input ``what``, in :func:`regular_file`'s words, or
    None: for commands that check all their files before any work (the size is checked on
    reading)."""
    try:
        regular_file(path, str(path), what, limit=1 << 62)
    except InputError as e:
        return str(e)
    return None


def regular_file(path: Path, name: str, what: str, limit: int, error: type[InputError] = InputError) -> int:
    """The size of ``path``, once it is known to be a regular file of at most ``limit`` bytes;
    else ``error`` saying why, in the words of ``what`` the file should be ("policy file",
    "workbook"). A device, a pipe or a socket is refused before it is opened: ``/dev/zero``
    would never end, a FIFO would wait forever."""
    try:
        info = Path(path).stat()
    except FileNotFoundError as e:
        raise error(f"{name}: no such {what}") from e
    except OSError as e:
        raise error(f"{name}: cannot read: {e.strerror or e}") from e
    if stat.S_ISDIR(info.st_mode):
        raise error(f"{name}: is a directory, not a {what}")
    if not stat.S_ISREG(info.st_mode):
        raise error(f"{name}: not a regular file (a device, a pipe or a socket), not a {what}")
    if info.st_size > limit:
        raise error(f"{name}: {info.st_size:,} bytes, more than the {limit:,} a {what} may hold; refused")
    return info.st_size
