"""``support-scope find``."""

from __future__ import annotations

from pathlib import Path

import click

from support_scope.cli.answers import load_ruleset
from support_scope.cli.common import (
    EXIT_OK,
    color_enabled,
    color_option,
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
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="At most this many answers (identical lines count as one).",
)
@release_option()
@policy_option()
@root_option()
@format_option("matches")
@lang_option()
@color_option()
def find(
    text: str,
    plan: str | None,
    product: str | None,
    limit: int,
    release: Path | None,
    policy_id: str | None,
    root: Path | None,
    output_format: str,
    lang: str,
    color: bool | None,
) -> None:
    """Find the lines of the support matrix that answer TEXT (a ticket's words), best first.

    TEXT is what the customer or the agent wrote, in French or English: case, accents,
    plurals and inflections do not matter, nor a typo of a letter or two ("synchronisaton"),
    and the policy's vocabulary leads common words to the matrix's ("backup" finds "Sauvegardes
    serveur"). Items of every category, tier grants and general terms are searched, each
    answer with its score, category and id (or grant or term id) and the words that matched
    (highlighted on a terminal); identical lines are one answer that names the others. With
    --plan, each answer carries its decision for that plan: the verdict, the referral, the
    billing note, what is left to check. The release is chosen as `decide` chooses it.

    JSON output: {"query", "plan", "product", "release", "matches": [{"rank", "ref", "kind",
    "score", "category", "item", "grant", "term", "text", "status", "tier", "matched", "same",
    "decision", ...}]}, best first, with French texts (English beside, as *_en).

    \b
    Exit codes:
      0  searched (even with no match)
      1  an unknown plan or product, or a release that cannot be loaded
      2  usage error

    \b
    Examples:
      support-scope find "le client n'arrive pas à sauvegarder son serveur"
      support-scope find "error popup when importing a csv" --plan standard --lang en
      support-scope find "app store" --format json --limit 3
    """
    from support_scope.consume.values import FindAnswer

    if not text.strip():
        raise click.BadParameter("give at least one word to look for", param_hint="TEXT")
    if product is not None and plan is None:
        raise click.UsageError("--product needs --plan (a decision needs both)")
    ruleset = load_ruleset(release, policy_id, root)
    matches = run_core(ruleset.find, text, plan=plan, product=product, limit=limit)
    answer = FindAnswer(ruleset.info, text, plan, product, tuple(matches), ruleset.tier_labels, limit)
    emit(reporter(output_format, lang=lang, color=color).matches(answer), color=color_enabled(color))
    raise SystemExit(EXIT_OK)
