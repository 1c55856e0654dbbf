"""Releases on disk: ``releases/<policy-id>/<version>.json``, immutable, each verified as the gate verifies it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support_scope.compile.verify import check_release_bytes
from support_scope.errors import InputError, ReleaseError
from support_scope.fileio.jsonfile import read_bytes
from support_scope.fileio.versionfiles import latest_version_file

CHANGELOG = "CHANGELOG.md"


@dataclass(frozen=True)
class ReleaseFile:
    policy_id: str
    version: str
    path: Path


def latest_release(root: Path, policy_id: str) -> ReleaseFile | None:
    """The release with the highest version, or None before the first release."""
    path = latest_version_file(root / "releases" / policy_id)
    return ReleaseFile(policy_id, path.stem, path) if path is not None else None


def read_release(path: Path, display: str | None = None) -> dict[str, Any]:
    """A release file, verified as the gate verifies it (digest, canonical bytes, schema, recompiled)."""
    name = display or str(path)
    try:
        raw = read_bytes(path, name, "release file")
    except InputError as e:
        raise ReleaseError(str(e)) from e
    return check_release_bytes(raw, name)


def misfiled(release: dict[str, Any], policy_id: str, version: str) -> str | None:
    """Why a verified release is not the file ``releases/<policy_id>/<version>.json`` should be,
    or None when its manifest names that policy and version."""
    manifest = release["manifest"]
    if manifest.get("policy_id") == policy_id and manifest.get("policy_version") == version:
        return None
    return f"holds {manifest.get('policy_id')} {manifest.get('policy_version')}, not {policy_id} {version}"


def refuse_misfiled(release: dict[str, Any], path: Path, policy_id: str, version: str) -> None:
    """A :class:`ReleaseError` when the release at ``path`` is not the one its name says."""
    why = misfiled(release, policy_id, version)
    if why is not None:
        raise ReleaseError(f"{path}: {why}; restore it from version control (released files are immutable)")
