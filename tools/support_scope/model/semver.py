"""Semantic versions: parsing, precedence, steps, and the latest of a directory's ``<version>.json`` files.

One reading of semver for the whole package: the consumer API picks the latest release with
it, diff says which version a change needs, ``release`` and ``check`` reckon steps with it.
Standard library only, so that ``load_release`` stays cheap to import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from support_scope.errors import InputError
from support_scope.model.vocab import BUMP_RANK, Bump

# ASCII digits only, and matched whole (fullmatch): "1.0.0\n" is not a version.
_NUMBER = r"(0|[1-9][0-9]{0,17})"
_SEMVER = re.compile(
    rf"{_NUMBER}\.{_NUMBER}\.{_NUMBER}"
    r"(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
_MAX_LENGTH = 256


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
        match = _SEMVER.fullmatch(text) if len(text) <= _MAX_LENGTH else None
        if not match:
            raise InputError(f"{text!r} is not a semantic version (MAJOR.MINOR.PATCH)")
        pre = tuple(match.group(4).split(".")) if match.group(4) else ()
        return cls(int(match.group(1)), int(match.group(2)), int(match.group(3)), pre, text)

    def key(self) -> tuple[Any, ...]:
        # A pre-release sorts before its release; numeric identifiers before alphanumeric ones.
        pre: tuple[Any, ...] = tuple(
            (0, int(p), "") if p.isascii() and p.isdigit() else (1, 0, p) for p in self.prerelease
        )
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, pre)

    def __lt__(self, other: Version) -> bool:
        return self.key() < other.key()

    def __gt__(self, other: Version) -> bool:
        return self.key() > other.key()

    def __str__(self) -> str:
        return self.text or f"{self.major}.{self.minor}.{self.patch}"


def bump_version(version: str, bump: Bump) -> str:
    """The next version: ``1.2.3`` bumped ``minor`` is ``1.3.0`` (a pre-release part is dropped)."""
    v = Version.parse(version)
    if bump == "major":
        return f"{v.major + 1}.0.0"
    if bump == "minor":
        return f"{v.major}.{v.minor + 1}.0"
    return f"{v.major}.{v.minor}.{v.patch + 1}"


def bump_between(old: str, new: str) -> Bump | None:
    """The size of the step from ``old`` to ``new`` (``major``/``minor``/``patch``), None if not above."""
    a, b = Version.parse(old), Version.parse(new)
    if not b > a:
        return None
    if b.major != a.major:
        return "major"
    if b.minor != a.minor:
        return "minor"
    return "patch"


def bump_satisfies(actual: Bump | None, required: Bump | None) -> bool:
    """True when a step of size ``actual`` is at least ``required``."""
    if required is None:
        return True
    return actual is not None and BUMP_RANK[actual] >= BUMP_RANK[required]


def version_advice(old: str | None, new: str | None, required: Bump | None) -> str | None:
    """A warning when ``new`` is not above ``old`` by the step ``required``, naming the version needed.

    For example ``NEW still carries version 1.0.0: this needs at least 2.0.0``; None when the
    version is enough, when nothing is required, or when a version is not a semantic version.
    """
    if required is None or old is None or new is None:
        return None
    try:
        needed = bump_version(old, required)
        step = bump_between(old, new)
        same = Version.parse(old).key() == Version.parse(new).key()
    except InputError:
        return None
    if same:
        return f"NEW still carries version {new}: this needs at least {needed}"
    if step is None:
        return f"NEW's version {new} is not above {old}: this needs at least {needed}"
    if not bump_satisfies(step, required):
        return f"NEW's version {new} is only a {step} step over {old}: this needs at least {needed}"
    return None
