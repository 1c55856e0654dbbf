"""``support-scope diff``."""

from __future__ import annotations

import click

from support_scope.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    color_option,
    emit,
    format_option,
    reporter,
    run_core,
)
from support_scope.model.vocab import SEVERITIES


@click.command()
@click.argument("old", required=False)
@click.argument("new", required=False)
@format_option("diff")
@click.option(
    "--fail-on",
    type=click.Choice(list(reversed(SEVERITIES))),
    default=None,
    help="Exit 1 when a change of this severity or higher exists (editorial < additive < breaking).",
)
@color_option()
@click.option(
    "--rules", "list_rules", is_flag=True, help="List every rule (id, severity, description) and exit."
)
def diff(
    old: str | None,
    new: str | None,
    output_format: str,
    fail_on: str | None,
    color: bool | None,
    list_rules: bool,
) -> None:
    """Show what changed between two versions of a policy, and what it does to coverage.

    OLD and NEW are each a policy file, a compiled release (releases/<id>/<version>.json,
    its digest verified), or a file at a git revision, REV:path (read with `git show` in the
    current directory's repository; the path is from the repository's root). REV is any git
    revision: a commit, a branch, HEAD, or a tag such as v1.0.0 if you tag releases.

    Records are matched by their ids, never by position: reordering is editorial. Every change
    has a rule id (see --rules) and a severity by its effect on coverage: breaking (some
    customers lose coverage), additive (coverage widened), editorial (wording, translation,
    notes, order). The required version bump follows: major, minor, patch; when NEW's
    version is not above OLD's by that step, the text and markdown summaries say so. French
    text changes are marked word by word and flagged for legal review.

    Every change is located: file:line:col where its value starts, in NEW for what was added
    or changed, in OLD for what was removed (a release: in the policy it embeds; REV:path: under
    the path); and has a fingerprint that stays the same when records move or a branch is
    rebased.

    --format text (breaking changes first; coloured on a terminal, [-removed-]{+added+}),
    markdown (to paste in a pull request, ~~removed~~ **added**), json
    (schema/diff.schema.json), or for CI: github (an annotation per change on its line),
    sarif, junit (a test case per change). In the CI formats a change is an error when NEW's
    version is not above OLD's by the step it requires, else a warning (breaking, legal
    review) or a notice.

    \b
    Exit codes:
      0  compared (whatever changed), unless --fail-on applies
      1  --fail-on found a change at or above its level, or a side cannot be read
         (never taken as "no changes")
      2  usage error (OLD or NEW missing, unknown option or choice)

    \b
    Examples:
      # what changed since the latest release (the most useful one):
      support-scope diff releases/act-premium-support-scope/2.0.1.json policies/act-premium-support-scope.json
      # what have I changed since the last commit?
      support-scope diff HEAD:policies/act-premium-support-scope.json policies/act-premium-support-scope.json --format markdown
      # what the policy's last major version changed, failing on a breaking change:
      support-scope diff releases/act-premium-support-scope/1.0.0.json releases/act-premium-support-scope/2.0.0.json --fail-on breaking
      support-scope diff --rules
    """
    from support_scope.changes.rules import RULES

    report = reporter(output_format, color=color)
    if list_rules:
        emit(report.rules(list(RULES.values())))
        raise SystemExit(EXIT_OK)
    if old is None or new is None:
        raise click.UsageError("diff needs OLD and NEW (or --rules)")
    from support_scope.changes.differ import diff_documents
    from support_scope.changes.locate import locate_changes
    from support_scope.changes.sides import load_side

    old_side = run_core(load_side, old)
    new_side = run_core(load_side, new)
    result = locate_changes(diff_documents(old_side.document, new_side.document), old_side, new_side)
    emit(report.diff(result, old, new), color=report.color)
    if fail_on is not None and result.at_least(fail_on):  # type: ignore[arg-type]
        raise SystemExit(EXIT_FAILED)
    raise SystemExit(EXIT_OK)
