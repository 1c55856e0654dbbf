"""``support-scope release``."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from support_scope.cli.common import EXIT_OK, emit_json, format_option, run_core


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
    [Unreleased] section, for a person to edit.

    The first release (no release yet) is the policy's own version, as it stands.

    Exit 0 when released (or, with --dry-run, when it could be); 1 when refused (nothing to
    release, bump too small, version already released, invalid policy).

    \b
    Examples:
      support-scope release --dry-run
      support-scope release policies/act-premium-support-scope.json --bump minor
    """
    from support_scope.versions import apply_release, plan_release

    today = on.date() if on is not None else date.today()
    plan = run_core(plan_release, root, policy or _default_policy(root), bump, today)
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
