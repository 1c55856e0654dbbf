"""Loading a release for deciding: the file read, verified, and turned into a :class:`Ruleset`."""

from __future__ import annotations

from pathlib import Path

from support_scope.compile.verify import load_release_bytes
from support_scope.consume.ruleset import Ruleset
from support_scope.errors import InputError, ReleaseError
from support_scope.fileio.jsonfile import read_bytes


def load_release(path: str | Path | None = None) -> Ruleset:
    """Load and verify a compiled release; without ``path``, the shipped policy's latest release.

    A file whose digest does not match its content (tampered, truncated, hand-edited), of a
    format this version does not read, or not a release at all is refused with a
    :class:`ReleaseError` saying why.
    """
    if path is None:
        from support_scope.resources import shipped_release

        path = shipped_release()
    path = Path(path)
    display = str(path)
    try:
        raw = read_bytes(path, display, "release file")
    except InputError as e:
        raise ReleaseError(str(e)) from e
    verified = load_release_bytes(raw, display)
    return Ruleset(
        verified.compiled,
        verified.manifest,
        verified.load_policy,
        source=display,
        search_loader=verified.load_search,
    )
