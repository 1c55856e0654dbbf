"""``support-scope check``."""

from __future__ import annotations

from pathlib import Path

import click

from support_scope.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    emit,
    format_option,
    note_schema_engine,
    project,
    reporter,
    root_option,
    run_core,
)
from support_scope.cli.test_cmd import min_coverage_option


@click.command()
@root_option()
@click.option(
    "--decision-tests/--no-decision-tests",
    "decision_tests",
    default=True,
    show_default=True,
    help="Run the project's decision tests (tests/decisions/) against each valid policy.",
)
@min_coverage_option()
@format_option("check")
def check(root: Path | None, decision_tests: bool, min_coverage: float | None, output_format: str) -> None:
    """The CI gate: policies valid, releases intact, versions bumped as the changes require.

    \b
    Checks, every failure reported with what to do:
      1. every policies/*.json validates (as `support-scope validate`);
      2. every releases/<policy-id>/<version>.json is intact: its digest matches, it is in
         the compiler's canonical form, it holds that policy id and version, and its
         compiled part is what its embedded policy compiles to;
      3. each policy that differs from its latest release has a version above it, by at
         least the step the changes require (breaking => major, additive => minor,
         editorial => patch), as `support-scope diff` classifies them;
      4. CHANGELOG.md has a section `## [policy <policy-id> <version>]` for the policy's
         version;
      5. the project's decision tests pass (tests/decisions/*.json, or
         tests/decisions/<policy-id>/*.json), run against the policy as it stands, as
         `support-scope test` runs them.
    A policy never released is a failure too (run `support-scope release`). A policy whose
    latest release is damaged is reported `unverified`: it is not compared (the damaged
    release is the failure to fix first).

    JSON output: {"ok", "problem_count", "problems", "policies": [{"policy_id", "file",
    "version", "latest_release", "required_bump", "state"}], "releases_verified",
    "decision_tests": [as `support-scope test --format json`]}.

    \b
    Exit codes:
      0  every check passes
      1  some check failed (each failure printed, with what to do)
      2  usage error

    \b
    Examples:
      support-scope check
      support-scope check --root . --format json
    """
    from support_scope.versions.gate import check as run_check

    found = project(root)
    if found.root is None:
        raise click.UsageError("no project here (no policies/ directory): run it in one, or give --root DIR")
    note_schema_engine()
    report = run_core(run_check, found.root, decision_tests=decision_tests, min_coverage=min_coverage)
    emit(reporter(output_format).check(report))
    raise SystemExit(EXIT_OK if report.ok else EXIT_FAILED)
