"""The rules of the diff: every kind of change, its stable id and its severity, in one table.

A change's severity is its effect on what customers are told: ``breaking`` when some customer
gets a worse answer (needs a major version), ``additive`` when some get more (minor),
``editorial`` when nobody's answer changes (patch). ``support-scope diff --rules`` prints this
table; ``tests/test_diff_rules.py`` holds every severity to a hand-written expectation, and
``tests/mutation/severities.py`` checks that flipping any one of them fails a test.
"""

from __future__ import annotations

from dataclasses import dataclass

from support_scope.model.vocab import Severity


@dataclass(frozen=True)
class Rule:
    """One kind of change: a stable id, what it is, and its effect on coverage."""

    id: str
    kind: str
    severity: Severity
    description: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "kind": self.kind, "severity": self.severity, "description": self.description}


_B: Severity = "breaking"
_A: Severity = "additive"
_E: Severity = "editorial"
# fmt: off
_RULE_TABLE: tuple[tuple[str, str, Severity, str], ...] = (
    # items
    ("item-added", "item added", _A, "A service is now included: customers of the plans that reach its tier gain it."),
    ("item-removed", "item removed", _B, "An included service is gone from the matrix: customers who had it lose it."),
    ("item-exclusion-added", "item added", _B, "A service is now listed as not covered (before, the matrix did not mention it)."),
    ("item-exclusion-removed", "item removed", _A, "A service is no longer listed as not covered."),
    ("item-excluded", "item moved from included to excluded", _B, "An included service is now listed as not covered."),
    ("item-included", "item moved from excluded to included", _A, "A service listed as not covered is now included."),
    ("item-tier-raised", "tier raised", _B, "An included service now needs a higher tier: customers of the lower plans lose it."),
    ("item-tier-lowered", "tier lowered", _A, "An included service now needs a lower tier: customers of more plans gain it."),
    ("item-recategorized", "item moved to another category", _E, "An item moved to another category whose conditions accept the same requests."),
    ("item-recategorized-conditions", "item moved to another category", _B, "An item moved to a category with other conditions: some requests may lose coverage."),
    ("item-reordered", "items reordered", _E, "Items of a category are listed in another order."),
    ("item-regrouped", "item group changed", _E, "An item is listed under another lead-in sentence (group)."),
    ("item-referral-changed", "referral changed", _E, "Where the customer is sent instead changed."),
    ("item-billing-changed", "billing changed", _E, "The billing note of a service changed (how it is paid for apart from the plan)."),
    ("item-reference-widened", "reference changed", _A, "A reference item ('see') stands for more items when included, or for fewer when excluded."),
    ("item-reference-narrowed", "reference changed", _B, "A reference item ('see') stands for fewer or other items when included, or for more when excluded."),
    # categories
    ("category-added", "category added", _E, "A category appeared; the effect on coverage is reported item by item."),
    ("category-removed", "category removed", _E, "A category disappeared; the effect on coverage is reported item by item."),
    ("category-retitled", "category retitled", _E, "The French title of a category changed."),
    ("category-reordered", "categories reordered", _E, "The categories are listed in another order."),
    # conditions (of a category or of eligibility)
    ("condition-added", "condition tightened", _B, "A new condition must hold: requests that do not meet it lose coverage."),
    ("condition-removed", "condition loosened", _A, "A condition no longer applies: requests that did not meet it gain coverage."),
    ("condition-tightened", "condition tightened", _B, "A condition accepts fewer requests than before."),
    ("condition-loosened", "condition loosened", _A, "A condition accepts more requests than before."),
    ("condition-changed", "condition changed", _B, "A condition accepts some requests it refused and refuses some it accepted."),
    ("condition-restated", "condition restated", _E, "A condition's test is written differently but accepts exactly the same requests."),
    # groups and notes
    ("group-added", "group added", _E, "A lead-in sentence (group) appeared in a category."),
    ("group-removed", "group removed", _E, "A lead-in sentence (group) disappeared from a category."),
    ("note-added", "note added", _E, "A note appeared in a category."),
    ("note-removed", "note removed", _E, "A note disappeared from a category."),
    ("note-changed", "note changed", _E, "A note's kind, cause or tier changed."),
    # products
    ("product-added", "product eligibility changed", _A, "An eligible product appeared: its subscribers gain support."),
    ("product-removed", "product eligibility changed", _B, "An eligible product disappeared: its subscribers lose support."),
    ("product-listed", "product added", _E, "A product not covered by support is now named."),
    ("product-unlisted", "product removed", _E, "A product not covered by support is no longer named."),
    ("product-eligibility-granted", "product eligibility changed", _A, "A product's subscribers are now eligible for support."),
    ("product-eligibility-withdrawn", "product eligibility changed", _B, "A product is dropped: its subscribers lose support."),
    # tiers and plans
    ("tier-added", "tier added", _E, "A support tier appeared; what it changes for customers is reported on plans and items."),
    ("tier-removed", "tier removed", _E, "A support tier disappeared; what it changes for customers is reported on plans and items."),
    ("tier-inclusion-added", "tier widened", _A, "A tier now includes another tier's services as well."),
    ("tier-inclusion-removed", "tier narrowed", _B, "A tier no longer includes another tier's services."),
    ("grant-added", "tier grant added", _A, "A tier grants something more in general."),
    ("grant-removed", "tier grant removed", _B, "A tier no longer grants something in general."),
    ("plan-added", "plan added", _A, "A plan appeared."),
    ("plan-removed", "plan removed", _B, "A plan disappeared: its customers lose their support."),
    ("plan-tier-raised", "plan tier raised", _A, "A plan now gives a higher tier: its customers gain coverage."),
    ("plan-tier-lowered", "plan tier lowered", _B, "A plan now gives a lower tier: its customers lose coverage."),
    # facts and referrals
    ("fact-added", "fact added", _E, "A context fact is declared."),
    ("fact-removed", "fact removed", _E, "A context fact is no longer declared."),
    ("fact-type-changed", "fact changed", _B, "A context fact has another type: services that pass it must change."),
    ("referral-target-added", "referral changed", _E, "A referral target is declared."),
    ("referral-target-removed", "referral changed", _E, "A referral target is no longer declared."),
    # general terms
    ("restriction-added", "general term changed", _B, "A general restriction (not covered, call limit) appeared."),
    ("restriction-removed", "general term changed", _A, "A general restriction (not covered, call limit) disappeared."),
    ("general-term-added", "general term changed", _E, "A general term that restricts nothing (billable service, referral, plan-tier) appeared."),
    ("general-term-removed", "general term changed", _E, "A general term that restricts nothing (billable service, referral, plan-tier) disappeared."),
    ("general-term-changed", "general term changed", _E, "A general term's kind, billing or referrals changed."),
    ("call-limit-tightened", "general term changed", _B, "A call may now be limited more strictly (shorter, or fewer problems)."),
    ("call-limit-loosened", "general term changed", _A, "A call may now be limited less strictly."),
    # the vocabulary of the search (find): words, never what a customer is told
    ("vocabulary-group-added", "vocabulary changed", _E, "A group of words for the ticket search appeared; no answer changes."),
    ("vocabulary-group-removed", "vocabulary changed", _E, "A group of words for the ticket search disappeared; no answer changes."),
    ("vocabulary-group-changed", "vocabulary changed", _E, "A group's words, kind, matrix terms or note changed; only what the search ranks first may change."),
    # the document
    ("policy-id-changed", "policy renamed", _B, "The policy's id changed: consumers and releases know it by the old one."),
    ("language-added", "translation changed", _E, "The document declares a new language."),
    ("language-removed", "translation changed", _E, "The document no longer declares a language."),
    # any text
    ("text-changed", "text changed", _E, "A French (authoritative) text changed: legal review."),
    ("translation-changed", "translation changed", _E, "A translation (not the French text) changed, appeared or disappeared."),
    ("annotation-changed", "notes changed", _E, "Provenance, source notes or the source reference changed; not part of the contract."),
    ("other-field-changed", "field changed", _E, "Any other field changed (compared field by field); legal review."),
)
# fmt: on
RULES: dict[str, Rule] = {row[0]: Rule(*row) for row in _RULE_TABLE}
