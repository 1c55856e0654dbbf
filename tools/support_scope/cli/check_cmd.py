"""``support-scope check``."""

from __future__ import annotations

from pathlib import Path

import click

from support_scope.cli.common import EXIT_FAILED, EXIT_OK, emit_json, format_option, render_problems, run_core


@click.command()
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=Path(),
    show_default=True,
    help="The project root holding policies/, releases/ and CHANGELOG.md.",
)
@format_option("text", "json")
def check(root: Path, output_format: str) -> None:
    """The CI gate: policies valid, releases intact, versions bumped as the changes require.

    \b
    Checks, every failure reported with what to do:
      1. every policies/*.json validates (as `support-scope validate`);
      2. every releases/<policy-id>/<version>.json is intact: its digest matches, it is in
         the compiler's canonical form, and it holds that policy id and version;
      3. each policy that differs from its latest release has a version above it, by at
         least the step the changes require (breaking => major, additive => minor,
         editorial => patch), as `support-scope diff` classifies them;
      4. CHANGELOG.md has a section `## [policy <policy-id> <version>]` for the policy's
         version.
    A policy never released is a failure too (run `support-scope release`). A policy whose
    latest release is damaged is reported `unverified`: it is not compared (the damaged
    release is the failure to fix first).

    \b
    Exit codes:
      0  every check passes
      1  some check failed (each failure printed, with what to do)
      2  usage error (unknown option, --root not a directory)

    \b
    Examples:
      support-scope check
      support-scope check --root . --format json
    """
    from support_scope.versions import check as run_check

    report = run_core(run_check, root)
    if output_format == "json":
        emit_json(report.to_json())
    else:
        render_problems(report.problems)
        for status in report.policies:
            if status.state == "invalid":
                continue
            detail = {
                "released": f"same as its release {status.latest_release}",
                "pending": f"changed since {status.latest_release} (needs {status.required_bump or 'a new version'}), version {status.version}",
                "unreleased": "never released",
                "unverified": f"not compared: its latest release {status.latest_release} is damaged",
            }[status.state]
            click.echo(f"{status.policy_id} {status.version}: {detail}")
        count = len(report.problems)
        if report.ok:
            click.echo(
                f"ok: {len(report.policies)} polic{'ies' if len(report.policies) != 1 else 'y'}, {report.releases_verified} release{'s' if report.releases_verified != 1 else ''} verified"
            )
        else:
            click.echo(f"check failed: {count} problem{'s' if count != 1 else ''}")
    raise SystemExit(EXIT_OK if report.ok else EXIT_FAILED)
