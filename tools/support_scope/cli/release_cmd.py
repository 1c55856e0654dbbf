"""``support-scope release``."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from support_scope.cli.common import EXIT_OK, emit_json, fail, format_option, run_core
from support_scope.errors import SupportScopeError


def _default_policy(root: Path) -> Path:
    """The only policy under ``root``/policies/ (a usage error when there are none or several)."""
    policies = sorted((root / "policies").glob("*.json"))
    if len(policies) != 1:
        raise click.UsageError(
            f"name the POLICY to release ({root / 'policies'} holds {len(policies)} *.json files, not one)"
        )
    return policies[0]


@click.command()
@click.argument("policy", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--bump",
    type=click.Choice(["major", "minor", "patch"]),
    default=None,
    help="The version step. Default: the smallest the changes allow. A smaller one is refused.",
)
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=Path(),
    show_default=True,
    help="The project root holding releases/ and CHANGELOG.md.",
)
@click.option(
    "--date",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The date of the CHANGELOG section (default: today).",
)
@format_option("text", "json")
def release(
    policy: Path | None, bump: str | None, dry_run: bool, root: Path, on: datetime | None, output_format: str
) -> None:
    """Release a policy: bump its version, compile it, draft the CHANGELOG section.

    POLICY (default: the only file in policies/) is compared with its latest release in
    releases/<policy-id>/. The changes decide the smallest version step allowed: breaking
    => major, additive => minor, editorial => patch; a smaller --bump is refused. Then,
    only once everything is computed, three files are written atomically: the policy with
    its new version (nothing else touched), releases/<policy-id>/<version>.json (never
    overwritten: released files are immutable), and a CHANGELOG.md section headed
    `## [policy <policy-id> <version>] - YYYY-MM-DD`, drafted from the diff below the
    [Unreleased] section, for a person to edit. CHANGELOG.md must exist (Keep a
    Changelog): release does not create it.

    The first release (no release yet) is the policy's own version, as it stands.

    \b
    Exit codes:
      0  released; with --dry-run, it could be released, or there is nothing to release
         (the policy is the same as its latest release: said so, nothing written)
      1  refused: nothing to release (without --dry-run), --bump too small, version
         already released, no CHANGELOG.md, invalid or unreadable policy or release
      2  usage error (unknown option, no POLICY named and policies/ holds not exactly one)

    \b
    Examples:
      support-scope release --dry-run
      support-scope release --dry-run --format json
      support-scope release policies/act-premium-support-scope.json --dry-run --bump major
      support-scope release
    """
    from support_scope.versions import NothingToRelease, apply_release, plan_release

    today = on.date() if on is not None else date.today()
    policy_path = policy or _default_policy(root)
    try:
        plan = plan_release(root, policy_path, bump, today)
    except NothingToRelease as e:
        if not dry_run:
            fail(str(e))
        if output_format == "json":
            emit_json(
                {"dry_run": True, "nothing_to_release": True, "message": str(e), "policy": str(policy_path)}
            )
        else:
            click.echo(str(e))
        raise SystemExit(EXIT_OK) from None
    except SupportScopeError as e:
        fail(str(e))
    rewrites_policy = plan.policy_changed
    if not dry_run:
        run_core(apply_release, plan)
    if output_format == "json":
        emit_json({"dry_run": dry_run, "policy_rewritten": rewrites_policy, **plan.to_json()})
        raise SystemExit(EXIT_OK)
    verb = "would release" if dry_run else "released"
    previous = (
        f" (previous: {plan.previous}; changes require {plan.required_bump or 'nothing'})"
        if plan.previous
        else " (first release)"
    )
    click.echo(f"{verb} {plan.policy_id} {plan.version}{previous}")
    prefix = "would write" if dry_run else "wrote"
    click.echo(f"  {prefix} {plan.release_path}")
    if rewrites_policy:
        click.echo(f"  {prefix} {plan.policy_path} (version {plan.version})")
    click.echo(f"  {prefix} {plan.changelog_path}: section drafted below; edit it before merging")
    click.echo("")
    click.echo(plan.section, nl=False)
    raise SystemExit(EXIT_OK)
