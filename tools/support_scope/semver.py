"""Semantic versions: parsing, precedence, and the latest of a directory's ``<version>.json`` files.

One reading of semver for the whole package: the consumer API picks the shipped release with
it, and ``release`` and ``check`` reckon version steps with it. Standard library only, so that
``load_release`` stays cheap to import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support_scope.errors import InputError

_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


@dataclass(frozen=True, order=False)
class Version:
    """A semantic version, ordered by semver precedence (build metadata ignored)."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    text: str = ""

    @classmethod
    def parse(cls, text: str) -> Version:
        match = _SEMVER.match(text)
        if not match:
            raise InputError(f"{text!r} is not a semantic version (MAJOR.MINOR.PATCH)")
        pre = tuple(match.group(4).split(".")) if match.group(4) else ()
        return cls(int(match.group(1)), int(match.group(2)), int(match.group(3)), pre, text)

    def key(self) -> tuple[Any, ...]:
        # A pre-release sorts before its release; numeric identifiers before alphanumeric ones.
        pre: tuple[Any, ...] = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.prerelease)
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, pre)

    def __lt__(self, other: Version) -> bool:
        return self.key() < other.key()

    def __gt__(self, other: Version) -> bool:
        return self.key() > other.key()

    def __str__(self) -> str:
        return self.text or f"{self.major}.{self.minor}.{self.patch}"


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
