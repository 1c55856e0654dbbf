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
    ("item-kind-changed", "request kind changed", _B, "A line is now of a request kind, of another one, or of none: requests of that kind are answered by it (or no longer), and the not-covered terms of its kind qualify it (or no longer); some answers may get worse."),
    ("item-exclusion-kind-removed", "request kind changed", _A, "An excluded line is no longer of a request kind: requests of that kind are answered by the general terms and grants instead."),
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
    ("condition-effect-hardened", "condition tightened", _B, "What a condition's failure means got harsher (not-applicable, then not-covered, then ineligible): requests that do not meet it get a worse answer."),
    ("condition-effect-softened", "condition loosened", _A, "What a condition's failure means got milder: requests that do not meet it get a better answer (the general grants, or a way out)."),
    ("condition-scope-widened", "condition tightened", _B, "A condition now applies to more lines of its category."),
    ("condition-scope-narrowed", "condition loosened", _A, "A condition now applies to fewer lines of its category."),
    ("condition-scope-changed", "condition changed", _B, "A condition now applies to other lines of its category (some more, some fewer)."),
    ("condition-term-changed", "condition changed", _E, "A not-covered condition names another term to answer when it fails: the words and citations of the answer change, not its outcome."),
    # groups and notes
    ("group-added", "group added", _E, "A lead-in sentence (group) appeared in a category."),
    ("group-removed", "group removed", _E, "A lead-in sentence (group) disappeared from a category."),
    ("note-added", "note added", _E, "A note that withholds nothing appeared in a category."),
    ("note-removed", "note removed", _E, "A note that withheld nothing disappeared from a category."),
    ("note-restriction-added", "note added", _B, "A resolution rule that withholds lines or request kinds, or a scope note that excludes what nothing covers, appeared in a category."),
    ("note-restriction-removed", "note removed", _A, "A resolution rule that withheld lines or request kinds, or a scope note that excluded what nothing covers, disappeared."),
    ("note-changed", "note changed", _E, "A note's kind, cause, tier or referrals changed."),
    ("note-excludes-unlisted", "note changed", _B, "A scope note now makes what nothing covers in its category excluded rather than unlisted."),
    ("note-unlisted-again", "note changed", _A, "A scope note no longer makes what nothing covers in its category excluded: such requests are unlisted again."),
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
    ("grant-kinds-widened", "tier grant changed", _A, "A tier's general grant now answers more request kinds."),
    ("grant-kinds-narrowed", "tier grant changed", _B, "A tier's general grant answers fewer (or other) request kinds."),
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
    ("request-kind-added", "request kind added", _E, "A request kind is declared: questions may name it."),
    ("request-kind-removed", "request kind removed", _B, "A request kind is no longer declared: services that ask with it must change."),
    # general terms
    ("restriction-added", "general term changed", _B, "A general restriction (not covered, call limit) appeared."),
    ("restriction-removed", "general term changed", _A, "A general restriction (not covered, call limit) disappeared."),
    ("general-term-added", "general term changed", _E, "A general term that restricts nothing (billable service, referral, plan-tier) appeared."),
    ("general-term-removed", "general term changed", _E, "A general term that restricts nothing (billable service, referral, plan-tier) disappeared."),
    ("general-term-changed", "general term changed", _E, "A general term's kind, billing or referrals changed."),
    ("call-limit-tightened", "general term changed", _B, "A call may now be limited more strictly (shorter, or fewer problems)."),
    ("call-limit-loosened", "general term changed", _A, "A call may now be limited less strictly."),
    ("restriction-widened", "general term changed", _B, "A not-covered term or resolution rule withholds more: more request kinds or lines, or a test that holds more often."),
    ("restriction-narrowed", "general term changed", _A, "A not-covered term or resolution rule withholds less: fewer request kinds or lines, or a test that holds less often."),
    ("restriction-changed", "general term changed", _B, "A not-covered term or resolution rule withholds other requests (some more, some fewer)."),
    ("restriction-restated", "general term changed", _E, "A not-covered term's or resolution rule's test is written differently but holds for exactly the same requests."),
    ("precedence-changed", "precedence changed", _B, "The order in which lines, not-covered terms and grants answer changed: some answers may get worse."),
    ("precedence-stated", "precedence stated", _E, "The precedence is now stated in the policy (or no longer), in the same order as before."),
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
    ("annotation-changed", "notes changed", _E, "Provenance, source notes, legal-review flags or the source reference changed; not part of the contract."),
    ("other-field-changed", "field changed", _E, "Any other field changed (compared field by field); legal review."),
)
# fmt: on
RULES: dict[str, Rule] = {row[0]: Rule(*row) for row in _RULE_TABLE}
