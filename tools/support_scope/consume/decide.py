"""The decision procedure: from a question and the conditions' states to a :class:`Decision`.

The order (the README's "Deciding without this package" says the same for ports):

1. unknown ids and bad context values are errors, raised before this module is reached;
2. a product not covered gives ``ineligible``;
3. an eligibility condition that is false gives ``ineligible``;
4. no item gives ``unlisted`` (with the billing note of the billable technical service);
5. an excluded item gives ``excluded``, with its referrals and billing note;
6. a condition of the category that is false gives ``ineligible``;
7. the item's tier among the plan's tiers gives ``included``; otherwise ``upgrade`` to that tier.

A condition the context leaves unknown never changes the outcome: it is listed as pending.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from support_scope.consume.values import (
    Billing,
    Citation,
    ConditionCheck,
    Decision,
    Provenance,
    Referral,
    Text,
    Verdict,
)
from support_scope.model.conditions import Evaluator, Truth, compile_test
from support_scope.model.release import CompiledCategory, CompiledCondition, CompiledPlan, CompiledTier, Rule
from support_scope.model.vocab import Outcome


class Condition:
    """A compiled condition: its words, its facts, its test (compiled on first use)."""

    __slots__ = ("_evaluate", "data", "facts", "id", "scope", "text")

    def __init__(self, data: CompiledCondition) -> None:
        self.data = data
        self.id = data["id"]
        self.scope = data["scope"]
        self.facts: tuple[str, ...] = tuple(data["facts"])
        self.text = Text.of(data["text"])
        self._evaluate: Evaluator | None = None

    def outcome(self, context: Mapping[str, Any]) -> Truth | tuple[str, ...]:
        """True or False, or the facts missing to settle it."""
        if self._evaluate is None:
            self._evaluate = compile_test(self.data["test"])
        value = self._evaluate(context)
        if value is None:
            return tuple(f for f in self.facts if context.get(f) is None)
        return value

    def check(self, context: Mapping[str, Any] | None) -> ConditionCheck:
        outcome = self.facts if context is None else self.outcome(context)
        if isinstance(outcome, tuple):
            return ConditionCheck(self.id, self.scope, self.text, "unknown", self.facts, outcome)
        return ConditionCheck(self.id, self.scope, self.text, "met" if outcome else "unmet", self.facts)


@dataclass(frozen=True)
class Question:
    """What a decision is about: the ids, already checked against the release."""

    plan: CompiledPlan
    category: CompiledCategory
    rule: Rule | None
    product_id: str | None
    product: Mapping[str, Any] | None
    item_id: str | None


@dataclass(frozen=True)
class Lookup:
    """What the procedure reads from the release beyond the question itself."""

    tiers: Mapping[str, CompiledTier]
    plan_tiers: Mapping[str, frozenset[str]]
    tier_plans: Mapping[str, tuple[str, ...]]
    referrals: Mapping[str, Text]
    unlisted_billing: Billing | None


def build(question: Question, states: tuple[ConditionCheck, ...], lookup: Lookup) -> Decision:
    """The decision for ``question`` given how each applicable condition came out."""
    plan, category, rule = question.plan, question.category, question.rule
    base: dict[str, Any] = {
        "plan": plan["id"],
        "category": category["id"],
        "item": question.item_id,
        "product": question.product_id,
        "conditions": states,
    }
    title = Text.of(category["title"])
    if rule is None:
        base["citation"] = Citation(category["id"], title, None, None, Provenance.of(category["provenance"]))
    else:
        via = rule.get("via")
        base["citation"] = Citation(
            category["id"],
            title,
            question.item_id,
            Text.of(rule["text"]),
            Provenance.of(rule["provenance"]),
            via["item"] if via else None,
            via["category"] if via else None,
        )
        base["tier"] = rule.get("tier")
        base["plans"] = lookup.tier_plans[rule["tier"]] if "tier" in rule else ()
        base["referrals"] = tuple(Referral(r, lookup.referrals[r]) for r in rule.get("referrals", ()))
        base["billing"] = Billing.of(rule["billing"]) if "billing" in rule else None

    product = question.product
    if product is not None and not product["eligible"]:
        return Decision("ineligible", reason=_product_reason(product), **base)
    unmet = [state for state in states if state.state == "unmet"]
    eligibility_unmet = [state for state in unmet if state.scope == "eligibility"]
    if eligibility_unmet:
        return Decision("ineligible", reason=_unmet_reason(eligibility_unmet), **base)
    if rule is None:
        base["billing"] = lookup.unlisted_billing
        return Decision(
            "unlisted",
            reason=_reason(
                f"Aucune ligne de la catégorie « {title.fr} » ne couvre cette demande : elle ne figure pas "
                "dans le champ d'application (un service technique facturé peut être proposé).",
                f"No line of the category “{title.in_language('en')}” covers this request: it is not in the "
                "support scope (a billed technical service may be offered).",
            ),
            **base,
        )
    if rule["status"] == "excluded":
        return Decision("excluded", reason=_excluded_reason(base["referrals"], base["billing"]), **base)
    if unmet:
        return Decision("ineligible", reason=_unmet_reason(unmet), **base)
    outcome, reason = _tier_outcome(plan, rule["tier"], lookup)
    return Decision(outcome, reason=reason, **base)


def grant_verdict(
    plan: CompiledPlan, tier: str, product: Mapping[str, Any] | None, lookup: Lookup
) -> Verdict:
    """What a tier grant means for a customer on ``plan``: as for an included line of that tier."""
    plans = lookup.tier_plans[tier]
    if product is not None and not product["eligible"]:
        return Verdict("ineligible", _product_reason(product), tier, plans)
    outcome, reason = _tier_outcome(plan, tier, lookup)
    return Verdict(outcome, reason, tier, plans)


def _tier_outcome(plan: CompiledPlan, tier: str, lookup: Lookup) -> tuple[Outcome, Text]:
    """``included`` when the plan reaches ``tier``, else ``upgrade``, with the reason in words."""
    tier_label = Text.of(lookup.tiers[tier]["label"])
    plan_name = Text.of(plan["name"])
    if tier in lookup.plan_tiers[plan["id"]]:
        return "included", _reason(
            f"Inclus dans l'offre « {plan_name.fr} » (niveau « {tier_label.fr} »).",
            f"Included in the “{plan_name.in_language('en')}” plan ({tier_label.in_language('en')} tier).",
        )
    plans = lookup.tier_plans[tier]
    return "upgrade", _reason(
        f"Non inclus dans l'offre « {plan_name.fr} » : ce service relève du niveau « {tier_label.fr} » "
        f"({', '.join(plans) or 'aucune offre'}).",
        f"Not included in the “{plan_name.in_language('en')}” plan: this service needs the "
        f"{tier_label.in_language('en')} tier ({', '.join(plans) or 'no plan'}).",
    )


def _product_reason(product: Mapping[str, Any]) -> Text:
    name = Text.of(product["name"])
    return _reason(
        f"Le produit « {name.fr} » n'est pas couvert par l'assistance.",
        f"The product “{name.in_language('en')}” is not covered by support.",
    )


def _excluded_reason(referrals: tuple[Referral, ...], billing: Billing | None) -> Text:
    fr = "Service non inclus dans le champ d'application de l'assistance."
    en = "This service is not included in the support scope."
    if referrals:
        fr += " Adressez-vous à : " + ", ".join(r.name.fr for r in referrals) + "."
        en += " Refer to: " + ", ".join(r.name.in_language("en") for r in referrals) + "."
    if billing is not None:
        fr += " Disponible contre facturation séparée."
        en += " Available for a separate fee."
    return _reason(fr, en)


def _reason(fr: str, en: str) -> Text:
    return Text((("en", en), ("fr", fr)))


def _unmet_reason(unmet: list[ConditionCheck]) -> Text:
    return _reason(
        "Condition non remplie : " + " ; ".join(state.text.fr for state in unmet),
        "Condition not met: " + "; ".join(state.text.in_language("en") for state in unmet),
    )
