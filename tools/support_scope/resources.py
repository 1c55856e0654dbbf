"""Where the package's own data lives: schemas, the shipped policies and their releases.

In a wheel they are package data under ``support_scope/data``; in a source checkout run
without installing, they are the checkout's ``schema/``, ``policies/`` and ``releases/``.
Which policy and which release a *command* uses is :mod:`support_scope.project`'s to say.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from support_scope.errors import ReleaseError
from support_scope.fileio.versionfiles import latest_version_file

POLICY_SCHEMA = "support-scope.schema.json"
SHIPPED_POLICY_ID = "act-premium-support-scope"


def data_dir(kind: str) -> Path:
    """The directory holding the package's ``schema``, ``policies`` or ``releases``."""
    packaged = Path(str(resources.files("support_scope"))) / "data" / kind
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / kind


@cache
def load_schema(name: str = POLICY_SCHEMA) -> dict[str, Any]:
    """A JSON Schema shipped with the package, parsed (cached: schemas never change at run time)."""
    path = data_dir("schema") / name
    with path.open("rb") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema


def shipped_policies() -> list[Path]:
    """Every policy document shipped with the package, sorted by file name."""
    return sorted(data_dir("policies").glob("*.json"))


def shipped_policy(policy_id: str = SHIPPED_POLICY_ID) -> Path:
    """The shipped policy document with this id."""
    return data_dir("policies") / f"{policy_id}.json"


def shipped_release(policy_id: str = SHIPPED_POLICY_ID) -> Path:
    """The shipped release of highest version (semantic-version order) of a policy."""
    directory = data_dir("releases") / policy_id
    latest = latest_version_file(directory)
    if latest is None:
        raise ReleaseError(
            f"no release shipped for {policy_id!r} (looked in {directory}); "
            "compile one with `support-scope compile POLICY -o FILE` and pass its path"
        )
    return latest
