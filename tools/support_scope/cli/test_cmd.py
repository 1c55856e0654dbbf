"""``support-scope test``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from support_scope.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    emit,
    fail,
    format_option,
    note_schema_engine,
    policy_option,
    project,
    release_option,
    reporter,
    root_option,
    run_core,
)

F = TypeVar("F", bound=Callable[..., Any])


def min_coverage_option() -> Callable[[F], F]:
    return click.option(
        "--min-coverage",
        type=click.FloatRange(0, 100),
        default=None,
        metavar="PERCENT",
        help="Fail when the decision tests cover less than PERCENT of the policy (the mean of the "
        "items, request kinds and conditions they touch).",
    )


@click.command("test")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@release_option()
@policy_option()
@root_option()
@min_coverage_option()
@format_option("decision_tests")
def test(
    files: tuple[Path, ...],
    release: Path | None,
    policy_id: str | None,
    root: Path | None,
    min_coverage: float | None,
    output_format: str,
) -> None:
    """Run decision tests: questions whose answers the policy must keep.

    FILES are decision test files or directories of them (default: the project's
    tests/decisions/*.json, and tests/decisions/<policy-id>/*.json). Each file holds cases
    (schema/decision-tests.schema.json):

    \b
      {"description": "...", "cases": [{"id": "kb-pages-standard", "source": [15],
        "why": "...", "question": {"plan": "standard", "category": "desktop-setup",
        "item": "desktop-setup-kb-pages", "product": "act-premium",
        "context": {"active_subscription": true}},
        "expect": {"outcome": "included", "tier": "self-service"}}]}

    The questions are asked of the project's policy as it stands, compiled in memory
    (--policy ID among several), or of --release FILE. outcome, tier and conditional must be
    equal; every referral, offer, pending fact and cited line listed must be in the decision.
    A key this release does not produce is a failure that says so. Every failure is located
    at its case's line (file:line:col). The coverage says which items, request kinds and
    conditions the cases touch; --min-coverage makes it a requirement.

    JSON output: {"ok", "policy_id", "policy_version", "answered_by", "files", "summary",
    "problems", "cases": [{"file", "id", "line", "column", "status", "failures", "decision"}],
    "coverage": {"percent", "items", "request_kinds", "conditions"}, "min_coverage"}.

    \b
    Exit codes:
      0  every case passed (and the coverage is at least --min-coverage)
      1  a case failed, a file is invalid, the coverage is too low, or no tests were found
      2  usage error

    \b
    Examples:
      support-scope test
      support-scope test tests/decisions/act-premium-conformance.json --format github
      support-scope test --release releases/act-premium-support-scope/2.0.1.json --min-coverage 50
    """
    from support_scope.decisiontests import (
        default_test_files,
        policy_ruleset,
        read_test_file,
        run_tests,
        test_files,
    )
    from support_scope.project import read_document

    if release is not None and policy_id is not None:
        raise click.UsageError("--release names the release itself: give it alone, or --policy")
    found = project(root)
    note_schema_engine()
    if release is not None:
        from support_scope.consume.load import load_release

        ruleset = run_core(load_release, release)
        answered_by = str(release)
        single = True
    else:
        policy_path = run_core(found.policy_path, policy_id)
        document, text = run_core(read_document, policy_path, "policy")
        ruleset = run_core(policy_ruleset, document, text, str(policy_path))
        answered_by = f"{policy_path}, compiled in memory"
        single = len(found.policy_files()) <= 1
    if files:
        paths = test_files(files)
    elif found.root is not None:
        paths = default_test_files(found.root, ruleset.policy_id, single)
    else:
        paths = []
    if not paths:
        where = f"{found.root / 'tests' / 'decisions'}/" if found.root is not None else "this directory"
        fail(
            f"no decision tests: none in {where} for {ruleset.policy_id} "
            "(write a file of cases there, see `support-scope test --help`, or name one)"
        )
    report = run_tests(ruleset, [read_test_file(path) for path in paths], answered_by, min_coverage)
    emit(reporter(output_format).decision_tests(report))
    raise SystemExit(EXIT_OK if report.ok else EXIT_FAILED)
