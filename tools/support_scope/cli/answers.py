"""What ``decide`` and ``find`` share: which release answers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from support_scope.cli.common import project, run_core

if TYPE_CHECKING:
    from support_scope.consume.ruleset import Ruleset


def load_ruleset(release: Path | None, policy_id: str | None, root: Path | None) -> Ruleset:
    """The ruleset of ``--release FILE``, or of the project's latest release of the policy."""
    from support_scope.consume.load import load_release

    if release is not None and (policy_id is not None or root is not None):
        raise click.UsageError("--release names the release itself: give it alone, or --policy/--root")
    path = release if release is not None else run_core(project(root).latest_release, policy_id)
    ruleset: Ruleset = run_core(load_release, path)
    return ruleset
