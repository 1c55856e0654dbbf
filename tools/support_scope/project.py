"""Which policy, which release: one answer for every command.

A *project* is a directory holding ``policies/<policy-id>.json``, ``releases/<policy-id>/<version>.json``
and ``CHANGELOG.md`` (this repository is one; ``support-scope release`` writes them). Commands
find theirs the way git finds a repository: ``--root DIR`` when given, else the current
directory or the nearest parent with a ``policies/`` directory holding a policy; outside any
project, the policy and releases shipped with the package. So, in a checkout, ``decide``
answers from the checkout's latest release (the one ``release`` just wrote), and anywhere else
from the shipped one; and the text output says which answered.

Files named on the command line are read through :func:`read_document`, so that a missing
file, a directory, or a release where a policy is expected get the same words (and exit 1)
in every command.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from support_scope.errors import InputError, ReleaseError
from support_scope.fileio.jsonfile import parse_json, read_text
from support_scope.fileio.versionfiles import latest_version_file
from support_scope.model.release import wrong_kind
from support_scope.resources import data_dir

_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")  # the schema's id pattern, matched whole
Kind = Literal["policy", "release"]


def check_id(value: str, what: str = "policy id") -> str:
    """``value`` when it is a valid id (a slug); an :class:`InputError` otherwise. Ids become
    file names: one like ``../x`` or ``/etc/x`` must never reach a path."""
    if len(value) > 80 or not _ID.fullmatch(value):
        raise InputError(
            f"{value!r} is not a valid {what} (lower-case letters and digits in words joined by single hyphens)"
        )
    return value


@dataclass(frozen=True)
class Project:
    """Where a command's policies and releases are: a project directory, or the shipped data."""

    policies_dir: Path
    releases_dir: Path
    root: Path | None  # None for the shipped data: nothing there is written

    @classmethod
    def find(cls, root: Path | None = None, start: Path | None = None) -> Project:
        """The project of ``root``; else the nearest one from ``start`` (the current directory)
        upwards; else the shipped data."""
        if root is not None:
            if not root.exists():
                raise InputError(f"{root}: no such directory (--root names a project directory)")
            if not root.is_dir():
                raise InputError(f"{root}: not a directory (--root names a project directory)")
            return cls(root / "policies", root / "releases", root)
        here = (start or Path.cwd()).absolute()
        for directory in (here, *here.parents):
            policies = directory / "policies"
            if policies.is_dir() and any(policies.glob("*.json")):
                return cls(_shown(policies), _shown(directory / "releases"), _shown(directory))
        return cls.shipped()

    @classmethod
    def shipped(cls) -> Project:
        return cls(data_dir("policies"), data_dir("releases"), None)

    @property
    def label(self) -> str:
        return "the shipped policies" if self.root is None else str(self.root)

    def policy_files(self) -> list[Path]:
        """Every ``policies/*.json``, sorted by name."""
        return sorted(self.policies_dir.glob("*.json")) if self.policies_dir.is_dir() else []

    def policy_path(self, policy_id: str | None = None) -> Path:
        """``policies/<policy_id>.json``; without an id, the only policy there is."""
        if policy_id is not None:
            path = self.policies_dir / f"{check_id(policy_id)}.json"
            if not path.is_file():
                raise InputError(
                    f"no policy {policy_id!r} in {_shown(self.policies_dir)} (has: {self._ids()})"
                )
            return path
        files = self.policy_files()
        if len(files) == 1:
            return _shown(files[0])
        if not files:
            raise InputError(f"no policy (*.json) in {_shown(self.policies_dir)}")
        raise InputError(
            f"{_shown(self.policies_dir)} holds {len(files)} policies ({self._ids()}): name one with --policy ID"
        )

    def policy_id(self, policy_id: str | None = None) -> str:
        return policy_id if policy_id is not None else self.policy_path().stem

    def latest_release(self, policy_id: str | None = None) -> Path:
        """The release of highest version of a policy (by default the only one of the project)."""
        pid = check_id(self.policy_id(policy_id))
        directory = self.releases_dir / pid
        latest = latest_version_file(directory)
        if latest is None and policy_id is not None:
            # Releases alone answer (a service's directory may hold no policy); with neither,
            # the id is unknown, and "run `release`" would be no advice for a mistyped one.
            self.policy_path(policy_id)
        if latest is None:
            advice = (
                "run `support-scope release` to cut one"
                if self.root is not None
                else "compile one with `support-scope compile -o FILE` and pass it with --release"
            )
            raise ReleaseError(f"no release of {pid!r} in {_shown(directory)}: {advice}")
        return _shown(latest)

    def _ids(self) -> str:
        return ", ".join(path.stem for path in self.policy_files()) or "none"


def _shown(path: Path) -> Path:
    """``path`` relative to the current directory when it lies below it (for messages)."""
    try:
        return Path(os.path.relpath(path)) if Path(path).is_absolute() and _below_cwd(path) else path
    except ValueError:
        return path


def _below_cwd(path: Path) -> bool:
    try:
        Path(path).relative_to(Path.cwd())
        return True
    except ValueError:
        return False


def read_document(path: Path, expected: Kind, display: str | None = None) -> tuple[dict[str, Any], str]:
    """The JSON document of ``path`` and its text, refused with the same words everywhere when it
    is missing, a directory, not JSON, not an object, or the other kind (a release given where
    a policy is expected, or the reverse)."""
    name = display or str(path)
    text = read_text(path, name, f"{expected} file")
    document = parse_json(text, name)
    if not isinstance(document, dict):
        raise InputError(f"{name}:1:1: not a {expected}: a {expected} is a JSON object")
    reason = wrong_kind(document, expected)
    if reason is not None:
        raise InputError(f"{name}: {reason}")
    return document, text
