"""``support-scope find``."""

from __future__ import annotations

from pathlib import Path

import click

from support_scope.cli.common import EXIT_OK, emit_json, format_option, run_core
from support_scope.cli.decide_cmd import (
    LABELS,
    STATUSES,
    colon_for,
    lang_option,
    load,
    release_json,
    release_option,
    render_decision,
)


@click.command()
@click.argument("text")
@click.option(
    "--plan", default=None, help="The customer's plan: each match then carries the decision for it."
)
@click.option("--product", default=None, help="The customer's product id (with --plan).")
@release_option()
@format_option("text", "json")
@lang_option()
def find(
    text: str, plan: str | None, product: str | None, release: Path | None, output_format: str, lang: str
) -> None:
    """Find the lines of the support matrix that mention TEXT.

    Every word of TEXT must appear in the item's French or English text; case and accents do
    not matter ("boite dialogue" finds "boîtes de dialogue"). Matches come in source order,
    each with its category, item id, status and tier; an item that a category refers to
    ("Comme pour la configuration et installation") is found in that category as well. With
    --plan, each match carries the decision for that plan: the verdict, the referral, the
    billing note, what is left to check.

    JSON output: {"query", "plan", "product", "release", "matches": [{"category",
    "category_title", "item", "text", "status", "tier", "decision", ...}]} with French
    texts (English beside, as *_en).

    Exit codes: 0 searched (even with no match); 1 an unknown plan or product, or a release
    that cannot be loaded; 2 usage error.

    \b
    Examples:
      support-scope find "boîte de dialogue"
      support-scope find migration --plan standard --lang en
      support-scope find "app store" --format json
    """
    if not text.strip():
        raise click.BadParameter("give at least one word to look for", param_hint="TEXT")
    if product is not None and plan is None:
        raise click.UsageError("--product needs --plan (a decision needs both)")
    ruleset = load(release)
    matches = run_core(ruleset.find, text, plan=plan, product=product)
    if output_format == "json":
        emit_json(
            {
                "query": text,
                "plan": plan,
                "product": product,
                "release": release_json(ruleset),
                "matches": [match.to_json() for match in matches],
            }
        )
        raise SystemExit(EXIT_OK)
    labels = LABELS[lang]
    colon = colon_for(lang)
    if not matches:
        click.echo(f"{labels['no_match']} « {text} ».")
        raise SystemExit(EXIT_OK)
    lines = [f"{len(matches)} {labels['matches']} « {text} »{colon}"]
    eligibility = {
        c.id: c for m in matches if m.decision for c in m.decision.pending if c.scope == "eligibility"
    }
    if eligibility:
        # The same for every request: said once, not under each match.
        lines.append(f"{labels['always']}{colon}")
        lines.extend(f"  - {c.text.in_language(lang)} [{', '.join(c.missing)}]" for c in eligibility.values())
    current = None
    for match in matches:
        if match.category != current:
            current = match.category
            lines.append("")
            lines.append(f"{match.category_title.in_language(lang)} [{match.category}]")
        status = STATUSES[lang][match.status]
        if match.tier is not None:
            tier = ruleset.tiers[match.tier]["label"]
            status += f", {labels['tier']} {tier.get(lang) or tier['fr']}"
        lines.append(f"  - {match.text.in_language(lang)}")
        via = f", {labels['via']} {match.via}" if match.via else ""
        lines.append(f"    {match.item} ({status}{via})")
        if match.decision is not None:
            rendered = render_decision(match.decision, lang, indent="    ", eligibility=False)
            # The category, text and source are already on the lines above.
            lines.extend(rendered[:1] + rendered[3:])
        elif match.referrals:
            names = ", ".join(r.name.in_language(lang) for r in match.referrals)
            lines.append(f"    {labels['refer']}{colon} {names}")
    click.echo("\n".join(lines))
    raise SystemExit(EXIT_OK)
