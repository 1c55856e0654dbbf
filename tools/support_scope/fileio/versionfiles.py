"""Release files on disk: a directory of ``<version>.json`` files, and the latest of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support_scope.errors import InputError
from support_scope.model.semver import Version


def latest_version_file(directory: Path) -> Path | None:
    """The ``<version>.json`` file of ``directory`` with the highest version (None when there is
    none); a file whose name is not a semantic version is ignored."""
    found: list[tuple[tuple[Any, ...], str, Path]] = []
    for path in directory.glob("*.json") if directory.is_dir() else []:
        try:
            version = Version.parse(path.stem)
        except InputError:
            continue
        # Two names of one precedence (build metadata) are told apart by name, not by glob order.
        found.append((version.key(), path.name, path))
    return max(found)[2] if found else None
