"""``support-scope release``."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from support_scope.cli.common import (
    EXIT_OK,
    emit,
    fail,
    format_option,
    note_schema_engine,
    policy_option,
    project,
    reporter,
    root_option,
    run_core,
)
from support_scope.errors import SupportScopeError
from support_scope.model.vocab import BUMPS


@click.command()
@click.argument("policy", required=False, type=click.Path(path_type=Path))
@policy_option()
@click.option(
    "--bump",
    type=click.Choice(BUMPS),
    default=None,
    help="The version step. Default: the smallest the changes allow. A smaller one is refused.",
)
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
@root_option()
@click.option(
    "--date",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    default=None,
    help="The date of the CHANGELOG section (default: today).",
)
@format_option("release")
def release(
    policy: Path | None,
    policy_id: str | None,
    bump: str | None,
    dry_run: bool,
    root: Path | None,
    on: datetime | None,
    output_format: str,
) -> None:
    """Release a policy: bump its version, compile it, draft the CHANGELOG section.

    POLICY (default: the project's policy, --policy ID among several) is compared with its
    latest release in releases/<policy-id>/. The changes decide the smallest version step
    allowed: breaking => major, additive => minor, editorial => patch; a smaller --bump is
    refused. Then, only once everything is computed, three files are written: the policy with
    its new version (nothing else touched), releases/<policy-id>/<version>.json (never
    overwritten: released files are immutable), and a CHANGELOG.md section headed
    `## [policy <policy-id> <version>] - YYYY-MM-DD`, drafted from the diff below the
    [Unreleased] section, for a person to edit. CHANGELOG.md must exist (Keep a
    Changelog): release does not create it.

    The three files are written as one transaction, under the project's lock
    (.support-scope.lock; another run at the same time is refused): if the release is
    interrupted (killed, a full disk), the project is as it was, or the next `release`
    completes it (and `check` reports it until then). A file changed by someone else while
    the release was computed, or made read-only, is refused, nothing written.

    The first release (no release yet) is the policy's own version, as it stands.

    \b
    Exit codes:
      0  released, or an interrupted release completed; with --dry-run, it could be
         released, or there is nothing to release (the policy is the same as its latest
         release: said so, nothing written)
      1  refused: nothing to release (without --dry-run), --bump too small, version
         already released, no CHANGELOG.md, invalid or unreadable policy or release,
         no single policy to release, another run holds the project, a file changed
         meanwhile or read-only, a file that cannot be written (named)
      2  usage error

    \b
    Examples:
      support-scope release --dry-run
      support-scope release --dry-run --format json
      support-scope release policies/act-premium-support-scope.json --dry-run --bump major
      support-scope release
    """
    from support_scope.versions.release import (
        RELEASE_COMMAND,
        NothingToRelease,
        ReleaseOutcome,
        pending_release,
        plan_release,
        release_project,
    )

    if policy is not None and policy_id is not None:
        raise click.UsageError("name the policy once: a POLICY file or --policy ID")
    found = project(root)
    if found.root is None:
        raise click.UsageError("no project here (no policies/ directory): run it in one, or give --root DIR")
    today = on.date() if on is not None else date.today()
    policy_path = policy if policy is not None else run_core(found.policy_path, policy_id)
    report = reporter(output_format)
    note_schema_engine()
    try:
        if dry_run:
            interrupted = pending_release(found.root)
            if interrupted is not None:
                message = f"would complete {interrupted}, which an interrupted run left half written (`{RELEASE_COMMAND}` does it)"
                outcome = ReleaseOutcome(str(policy_path), True, message=message, completed=True)
            else:
                plan = plan_release(found.root, policy_path, bump, today)  # type: ignore[arg-type]
                outcome = ReleaseOutcome(str(policy_path), True, plan, plan.policy_changed)
        else:
            outcome = release_project(found.root, policy_path, bump, today)  # type: ignore[arg-type]
    except NothingToRelease as e:
        if not dry_run:
            fail(str(e))
        emit(report.release(ReleaseOutcome(str(policy_path), dry_run, message=str(e))))
        raise SystemExit(EXIT_OK) from None
    except SupportScopeError as e:
        fail(str(e))
    emit(report.release(outcome))
    raise SystemExit(EXIT_OK)
