"""``support-scope find``."""

from __future__ import annotations

from pathlib import Path

import click

from support_scope.cli.answers import load_ruleset
from support_scope.cli.common import (
    EXIT_OK,
    emit,
    format_option,
    lang_option,
    policy_option,
    release_option,
    reporter,
    root_option,
    run_core,
)


@click.command()
@click.argument("text")
@click.option(
    "--plan", default=None, help="The customer's plan: each match then carries the decision for it."
)
@click.option("--product", default=None, help="The customer's product id (with --plan).")
@release_option()
@policy_option()
@root_option()
@format_option("matches")
@lang_option()
def find(
    text: str,
    plan: str | None,
    product: str | None,
    release: Path | None,
    policy_id: str | None,
    root: Path | None,
    output_format: str,
    lang: str,
) -> None:
    """Find the lines of the support matrix that mention TEXT.

    Every word of TEXT must appear in the item's French or English text; case and accents do
    not matter ("boite dialogue" finds "boîtes de dialogue"). Matches come in source order,
    each with its category, item id, status and tier; an item that a category refers to
    ("Comme pour la configuration et installation") is found in that category as well. With
    --plan, each match carries the decision for that plan: the verdict, the referral, the
    billing note, what is left to check. The release is chosen as `decide` chooses it.

    JSON output: {"query", "plan", "product", "release", "matches": [{"category",
    "category_title", "item", "text", "status", "tier", "decision", ...}]} with French
    texts (English beside, as *_en).

    \b
    Exit codes:
      0  searched (even with no match)
      1  an unknown plan or product, or a release that cannot be loaded
      2  usage error

    \b
    Examples:
      support-scope find "boîte de dialogue"
      support-scope find migration --plan standard --lang en
      support-scope find "app store" --format json
    """
    from support_scope.consume.values import FindAnswer

    if not text.strip():
        raise click.BadParameter("give at least one word to look for", param_hint="TEXT")
    if product is not None and plan is None:
        raise click.UsageError("--product needs --plan (a decision needs both)")
    ruleset = load_ruleset(release, policy_id, root)
    matches = run_core(ruleset.find, text, plan=plan, product=product)
    answer = FindAnswer(ruleset.info, text, plan, product, tuple(matches), ruleset.tier_labels)
    emit(reporter(output_format, lang=lang).matches(answer))
    raise SystemExit(EXIT_OK)
