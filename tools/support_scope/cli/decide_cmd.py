"""``support-scope decide``, and the rendering of decisions that ``find`` shares."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from support_scope.cli.common import EXIT_OK, F, emit_json, format_option, run_core

if TYPE_CHECKING:
    from support_scope.ruleset import Decision, Ruleset

LANGUAGES = ("fr", "en")

# What a support agent reads, per outcome and language.
VERDICTS = {
    "fr": {
        "included": "INCLUS",
        "upgrade": "NIVEAU SUPÉRIEUR REQUIS",
        "excluded": "NON INCLUS",
        "ineligible": "NON ÉLIGIBLE",
        "unlisted": "NON RÉPERTORIÉ",
    },
    "en": {
        "included": "INCLUDED",
        "upgrade": "UPGRADE NEEDED",
        "excluded": "EXCLUDED",
        "ineligible": "INELIGIBLE",
        "unlisted": "UNLISTED",
    },
}
STATUSES = {
    "fr": {"included": "inclus", "excluded": "non inclus"},
    "en": {"included": "included", "excluded": "excluded"},
}
LABELS = {
    "fr": {
        "source": "Source",
        "via": "par renvoi de",
        "check": "À vérifier (le contexte ne le dit pas)",
        "facts": "faits",
        "refer": "Orienter vers",
        "billing": "Facturation",
        "tier": "niveau",
        "plans": "offres",
        "no_match": "Aucun élément ne correspond à",
        "matches": "résultat(s) pour",
        "always": "Pour toute demande, à vérifier",
    },
    "en": {
        "source": "Source",
        "via": "referred to by",
        "check": "Left to check (the context does not say)",
        "facts": "facts",
        "refer": "Refer to",
        "billing": "Billing",
        "tier": "tier",
        "plans": "plans",
        "no_match": "No item matches",
        "matches": "match(es) for",
        "always": "For every request, check",
    },
}


def release_option() -> Callable[[F], F]:
    return click.option(
        "--release",
        "release",
        type=click.Path(dir_okay=False, path_type=Path),
        help="A compiled release (from `support-scope compile`). Default: the shipped policy's latest release.",
    )


def lang_option() -> Callable[[F], F]:
    return click.option(
        "--lang",
        type=click.Choice(LANGUAGES),
        default="fr",
        show_default=True,
        help="Language of the text output (French is authoritative).",
    )


def load(release: Path | None) -> Ruleset:
    from support_scope.ruleset import load_release

    ruleset: Ruleset = run_core(load_release, release)
    return ruleset


def release_json(ruleset: Ruleset) -> dict[str, Any]:
    return {
        "policy_id": ruleset.policy_id,
        "policy_version": ruleset.policy_version,
        "digest": ruleset.digest,
    }


def render_decision(decision: Decision, lang: str, indent: str = "", eligibility: bool = True) -> list[str]:
    """The lines an agent reads: verdict, reason, source, what is left to check, referral, billing.

    ``eligibility=False`` leaves out the eligibility conditions left to check (the same for
    every request; ``find`` states them once).
    """
    labels = LABELS[lang]
    colon = colon_for(lang)
    citation = decision.citation
    lines = [f"{indent}{VERDICTS[lang][decision.outcome]}{colon} {decision.reason.in_language(lang)}"]
    where = f"{citation.category_title.in_language(lang)}"
    if citation.text is not None:
        where += f" › {citation.text.in_language(lang)}"
    lines.append(f"{indent}  {where}")
    source = (
        f"{indent}  {labels['source']}{colon} p. {citation.provenance.page}, l. {citation.provenance.line}"
    )
    if citation.via:
        source += f" ({labels['via']} {citation.via})"
    lines.append(source)
    # The reason already names unmet conditions; and once a request is ineligible or excluded,
    # what is left to check cannot change the answer: listing it would only distract.
    pending = [c for c in decision.pending if eligibility or c.scope != "eligibility"]
    if pending and decision.outcome not in ("ineligible", "excluded"):
        lines.append(f"{indent}  {labels['check']}{colon}")
        for check in pending:
            lines.append(
                f"{indent}    - {check.text.in_language(lang)} [{labels['facts']}: {', '.join(check.missing)}]"
            )
    if decision.referrals and decision.outcome != "excluded":  # an exclusion's reason names them
        names = ", ".join(r.name.in_language(lang) for r in decision.referrals)
        lines.append(f"{indent}  {labels['refer']}{colon} {names}")
    if decision.billing is not None:
        lines.append(f"{indent}  {labels['billing']}{colon} {decision.billing.text.in_language(lang)}")
    return lines


def colon_for(lang: str) -> str:
    """French typography puts a space before a colon."""
    return " :" if lang == "fr" else ":"


@click.command()
@click.option("--plan", required=True, help="The customer's plan: standard, extended or pro.")
@click.option("--category", required=True, help="The category id (e.g. desktop-setup); `find` gives it.")
@click.option(
    "--item",
    default=None,
    help="The item id (e.g. desktop-setup-kb-pages); `find` gives it. Omit it for a request the category lists nowhere.",
)
@click.option(
    "--product",
    default=None,
    help="The customer's product id (e.g. act-premium); a product not covered is ineligible.",
)
@click.option(
    "--context",
    "contexts",
    multiple=True,
    metavar="KEY=VALUE",
    help="A fact about the request, repeatable: new_customer=oui, days_since_first_invoice=12. Booleans read "
    "true/false, yes/no, oui/non, vrai/faux, 1/0 (any case); integers are whole numbers.",
)
@release_option()
@format_option("text", "json")
@lang_option()
def decide(
    plan: str,
    category: str,
    item: str | None,
    product: str | None,
    contexts: tuple[str, ...],
    release: Path | None,
    output_format: str,
    lang: str,
) -> None:
    """Decide whether a support request is in scope for a customer.

    The answer is one of: included (in scope for this plan), upgrade (in scope only for a
    higher tier), excluded (listed as not covered; with any referral and billing note),
    ineligible (product not covered, or a condition not met), unlisted (no line of the
    category covers it). It cites the line of the source document it rests on.

    Conditions are never ignored: the eligibility conditions (active subscription, supported
    platform) and the category's own (e.g. new customers only) are checked against the
    --context facts; one the context does not settle is listed as left to check, one it
    contradicts makes the request ineligible.

    Exit codes: 0 answered (whatever the outcome); 1 an unknown id, a bad --context value, or
    a release that cannot be loaded (missing, tampered); 2 usage error.

    \b
    Examples:
      support-scope decide --plan standard --category desktop-setup --item desktop-setup-install-config-assistance
      support-scope decide --plan extended --category cloud-onboarding --item cloud-onboarding-go-live \\
          --context new_customer=oui --context days_since_first_invoice=12 --format json
    """
    ruleset = load(release)
    context = run_core(ruleset.parse_context, contexts) if contexts else None
    decision: Decision = run_core(
        ruleset.decide, plan=plan, category=category, item=item, product=product, context=context
    )
    if output_format == "json":
        emit_json(
            {"release": release_json(ruleset), "context": context or {}, "decision": decision.to_json()}
        )
    else:
        click.echo("\n".join(render_decision(decision, lang)))
    raise SystemExit(EXIT_OK)
