"""Replacing files atomically: readers see the old file or the new one, never half of it."""

from __future__ import annotations

import os
from pathlib import Path

from support_scope.errors import InputError


def write_atomic(path: Path, data: bytes, *, make_parents: bool = False) -> None:
    """Replace ``path`` with ``data`` in one step: readers see the old file or the new one, never half.

    A missing directory is an :class:`InputError` (a mistyped ``-o`` should not quietly create
    a tree) unless ``make_parents`` says the layout calls for it, as ``releases/<id>/`` does.
    """
    import tempfile  # here, not at the top: the consumer API imports this module and never writes

    path = Path(path)
    directory = path.parent if str(path.parent) else Path()
    if path.is_dir():
        raise InputError(f"{path}: is a directory; name a file to write")
    if make_parents:
        directory.mkdir(parents=True, exist_ok=True)
    elif not directory.is_dir():
        raise InputError(f"{path}: directory {directory} does not exist")
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        Path(temporary).chmod(mode)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
