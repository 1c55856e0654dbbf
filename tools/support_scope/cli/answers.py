"""What ``decide`` and ``find`` share: which release answers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from support_scope.cli.common import project, run_core

if TYPE_CHECKING:
    from support_scope.consume.ruleset import Ruleset


def release_alone(release: object, policy_id: str | None, root: Path | None) -> None:
    """``--release`` names the release itself: with ``--policy`` or ``--root`` it is a usage error."""
    if release is not None and (policy_id is not None or root is not None):
        raise click.UsageError("--release names the release itself: give it alone, or --policy/--root")


def release_path(release: Path | None, policy_id: str | None, root: Path | None) -> Path:
    """``--release FILE``, or the project's latest release of the policy."""
    release_alone(release, policy_id, root)
    path: Path = release if release is not None else run_core(project(root).latest_release, policy_id)
    return path


def load_ruleset(
    release: Path | None, policy_id: str | None, root: Path | None, keys: tuple[Path, ...] = ()
) -> Ruleset:
    """The ruleset of ``--release FILE``, or of the project's latest release of the policy;
    signed by one of ``keys`` (``--verify-with``) when any are given."""
    from support_scope.consume.load import load_release

    path = release_path(release, policy_id, root)
    ruleset: Ruleset = run_core(load_release, path, keys=keys or None)
    return ruleset
