"""A small cache on disk for work that depends only on the package's own data (compiled schema
validators), so that a command run on every commit does not redo it each time.

Where: ``$SUPPORT_SCOPE_CACHE_DIR``, else ``$XDG_CACHE_HOME/support-scope``, else
``~/.cache/support-scope``; ``SUPPORT_SCOPE_CACHE_DIR=off`` turns it off. Entries are named by a
hash of everything they depend on, so a stale entry is never read: it is simply not found. The
cache is an optimisation only: a directory that cannot be created or written, or an entry that
cannot be read, is the same as an empty cache. Like Python's own ``__pycache__``, what is kept
there is trusted as the user's own files are: the directory is created private (0700).
"""

from __future__ import annotations

import os
from pathlib import Path

_ENV = "SUPPORT_SCOPE_CACHE_DIR"
_MAX_ENTRY = 64 * 1024 * 1024


def cache_dir() -> Path | None:
    """The cache directory (not created here), or None when the cache is off."""
    explicit = os.environ.get(_ENV)
    if explicit is not None:
        return None if explicit.strip().lower() in ("", "off", "0", "no") else Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "support-scope"
    try:
        return Path.home() / ".cache" / "support-scope"
    except RuntimeError:  # no home directory
        return None


def read_cached(name: str) -> bytes | None:
    """The bytes of entry ``name``, or None when there is none (or it cannot be read)."""
    directory = cache_dir()
    if directory is None:
        return None
    from support_scope.errors import InputError
    from support_scope.fileio.jsonfile import read_bytes

    try:
        return read_bytes(directory / name, limit=_MAX_ENTRY)
    except InputError:
        return None


def write_cached(name: str, data: bytes) -> None:
    """Keep ``data`` as entry ``name`` (atomically); silently nothing when that cannot be done."""
    directory = cache_dir()
    if directory is None:
        return
    from support_scope.errors import InputError
    from support_scope.fileio.atomic import write_atomic

    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(directory / name, data)
    except (OSError, InputError):
        pass
