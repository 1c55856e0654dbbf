"""``support-scope decide``."""

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
    verify_with_option,
)


def _key_value_pairs(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    """The option's syntax, a usage error (exit 2) when wrong; what the values mean is the
    release's to check (a fact it does not declare, a value of the wrong type: exit 1)."""
    for value in values:
        key, equals, _ = value.partition("=")
        if not equals or not key.strip():
            raise click.BadParameter(f"{value!r} is not KEY=VALUE (for example new_customer=oui)")
    return values


@click.command()
@click.option("--plan", required=True, help="The customer's plan: standard, extended or pro.")
@click.option("--category", required=True, help="The category id (e.g. desktop-setup); `find` gives it.")
@click.option(
    "--item",
    default=None,
    help="The item id (e.g. desktop-setup-kb-pages); `find` gives it. Omit it for a request the category lists nowhere.",
)
@click.option(
    "--request",
    "request",
    default=None,
    metavar="KIND",
    help="A request kind instead of an item: dialog-error (an error shown by a dialog box of the Act! interface), "
    "other-error (an error not shown by one), usage-help (help getting started with and using the software), "
    "training-consulting; the category's line of that kind answers, else the general terms and grants.",
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
    callback=_key_value_pairs,
    help="A fact about the request, repeatable: new_customer=oui, days_since_first_invoice=12. Booleans read "
    "true/false, yes/no, oui/non, vrai/faux, 1/0 (any case); integers are whole numbers.",
)
@release_option()
@verify_with_option()
@policy_option()
@root_option()
@format_option("decision")
@lang_option()
def decide(
    plan: str,
    category: str,
    item: str | None,
    request: str | None,
    product: str | None,
    contexts: tuple[str, ...],
    release: Path | None,
    verify_with: tuple[Path, ...],
    policy_id: str | None,
    root: Path | None,
    output_format: str,
    lang: str,
) -> None:
    """Decide whether a support request is in scope for a customer.

    The request is --item (a line of the matrix; `find` gives it), or --request KIND (a
    request kind, no line named), or neither (a request nothing names). The answer is one
    of: included (in scope for this plan), upgrade (in scope only for a higher tier),
    excluded (not covered: with what the customer can do instead, referrals and offers),
    ineligible (product not covered, or a condition not met), unlisted (nothing covers it;
    the hourly technical service may be offered). It cites the source lines it rests on,
    says which rule decided, and names the policy version that answered: the project's
    latest release (the checkout's releases/<policy-id>/, so the version `release` just
    cut), or --release FILE. With --verify-with PUBLIC_KEY, the release must also be
    signed by that key (`support-scope sign`).

    Conditions are never ignored: a fact the --context does not give is unknown, and when
    its value could change the answer the headline says so (INCLUS SI … / INCLUDED IF …)
    and names the facts to ask; one the context contradicts decides (ineligible, or excluded
    when it places the problem in the customer's environment).

    JSON output: {"release": {"policy_id", "policy_version", "digest"}, "context",
    "decision": {"outcome", "conditional", "reason", "rule", "citation", "cites", "tier",
    "plans", "referrals", "offers", "billing", "caveats", "conditions", "pending",
    "pending_facts", ...}}.

    \b
    Exit codes:
      0  answered (whatever the outcome)
      1  an unknown id, a bad --context value, or a release that cannot be loaded (or, with
         --verify-with, is not signed by a trusted key)
      2  usage error

    \b
    Examples:
      support-scope decide --plan standard --category desktop-setup --item desktop-setup-install-config-assistance
      support-scope decide --plan extended --category cloud-onboarding --item cloud-onboarding-go-live \\
          --context new_customer=oui --context days_since_first_invoice=12 --format json
      support-scope decide --plan standard --category remote-sync --request usage-help
    """
    from support_scope.consume.values import DecisionAnswer

    if item is not None and request is not None:
        raise click.UsageError("give --item or --request, not both")
    ruleset = load_ruleset(release, policy_id, root, verify_with)
    context = run_core(ruleset.parse_context, contexts) if contexts else None
    decision = run_core(
        ruleset.decide,
        plan=plan,
        category=category,
        item=item,
        request=request,
        product=product,
        context=context,
    )
    emit(reporter(output_format, lang=lang).decision(DecisionAnswer(ruleset.info, context or {}, decision)))
    raise SystemExit(EXIT_OK)
