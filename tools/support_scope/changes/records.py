"""What the rules make of each kind of record besides categories and items: products,
conditions, tiers and their grants, plans, facts, referrals, general terms, groups and notes.

Each kind is a :class:`~support_scope.changes.core.Collection`: the rules for a record that
appears or disappears, and a function for one kept on both sides.
"""

from __future__ import annotations

from typing import Any

from support_scope.changes.core import RESTRICTING_TERMS, Collection, Differ, Match, plans_in_words, strings
from support_scope.model.conditions import compare_tests


def compare_product(d: Differ, m: Match) -> None:
    if m.old.get("eligible") != m.new.get("eligible"):
        granted = m.new.get("eligible") is True
        d.field(
            "product-eligibility-granted" if granted else "product-eligibility-withdrawn",
            m,
            "eligible",
            f"{m.label} {'is now eligible: its subscribers gain support' if granted else 'is dropped: its subscribers lose support'}",
        )


def compare_condition(d: Differ, m: Match) -> None:
    before, after = m.old.get("test"), m.new.get("test")
    if before == after:
        return
    relation = compare_tests([before], [after])
    rule, effect = _CONDITION_RELATIONS[relation]
    every = sorted(d.new_cov.plans)
    d.field(
        rule,
        m,
        "test",
        f"{m.label} {effect}",
        plans_losing=every if relation in ("tightened", "changed") else [],
        plans_gaining=every if relation in ("loosened", "changed") else [],
    )


def compare_tier(d: Differ, m: Match) -> None:
    before, after = strings(m.old.get("includes")), strings(m.new.get("includes"))
    users = sorted(p for p, t in d.new_cov.plans.items() if t == m.id)
    for included in after:
        if included not in before:
            d.field(
                "tier-inclusion-added",
                m,
                "includes",
                f"{m.label} now includes tier {included!r}: customers of {plans_in_words(users)} gain its services",
                old=None,
                new=included,
                plans_gaining=users,
            )
    for included in before:
        if included not in after:
            d.field(
                "tier-inclusion-removed",
                m,
                "includes",
                f"{m.label} no longer includes tier {included!r}: customers of {plans_in_words(users)} lose its services",
                old=included,
                new=None,
                plans_losing=users,
            )
    reach = sorted(d.new_cov.tiers.plans_reaching(m.id))
    d.collection(GRANTS, m.old, m.new, m.old_path, m.new_path, m.ids, m.label, reach)


def compare_plan(d: Differ, m: Match) -> None:
    before, after = m.old.get("tier"), m.new.get("tier")
    if before != after:
        raised = d.new_cov.higher(after, before)
        d.field(
            "plan-tier-raised" if raised else "plan-tier-lowered",
            m,
            "tier",
            f"{m.label} now gives tier {after!r} instead of {before!r}: its customers {'gain' if raised else 'lose'} coverage",
            plans_gaining=[m.id] if raised else [],
            plans_losing=[] if raised else [m.id],
        )


def compare_fact(d: Differ, m: Match) -> None:
    before, after = m.old.get("type"), m.new.get("type")
    if before != after:
        d.field(
            "fact-type-changed",
            m,
            "type",
            f"{m.label} is now a {after} (was {before}): services passing it must change",
        )


def compare_general_term(d: Differ, m: Match) -> None:
    before, after = m.old.get("limits"), m.new.get("limits")
    if before != after:
        tightened = _limits_relation(before, after) == "tightened"
        every = sorted(d.new_cov.plans)
        d.field(
            "call-limit-tightened" if tightened else "call-limit-loosened",
            m,
            "limits",
            f"{m.label}: call limits {before} → {after}",
            plans_losing=every if tightened else [],
            plans_gaining=[] if tightened else every,
        )
    for name in ("kind", "billing", "referrals"):
        if m.old.get(name) != m.new.get(name):
            d.field("general-term-changed", m, name, f"{m.label}: {name} changed", legal=True)


def compare_note(d: Differ, m: Match) -> None:
    for name in ("kind", "cause", "tier"):
        before, after = m.old.get(name), m.new.get(name)
        if before != after:
            d.field("note-changed", m, name, f"{m.where}: note {m.id!r}: {name} {before!r} → {after!r}")


def compare_vocabulary_group(d: Differ, m: Match) -> None:
    for name in ("kind", "terms", "matrix_terms", "note"):
        before, after = m.old.get(name), m.new.get(name)
        if before != after:
            d.field(
                "vocabulary-group-changed",
                m,
                name,
                f"{m.label}: {name.replace('_', ' ')} {_words_changed(before, after)}",
            )


def _words_changed(before: Any, after: Any) -> str:
    """What changed in a list of words (or a map of lists by language), in a few words."""

    def flat(value: Any) -> list[str]:
        if isinstance(value, dict):
            return [
                f"{k}: {w}" for k, v in sorted(value.items()) for w in (v if isinstance(v, list) else [v])
            ]
        return [str(w) for w in value] if isinstance(value, list) else ([] if value is None else [str(value)])

    old, new = flat(before), flat(after)
    added = [w for w in new if w not in old]
    removed = [w for w in old if w not in new]
    parts = [f"+ {', '.join(added)}" if added else "", f"- {', '.join(removed)}" if removed else ""]
    return "changed (" + "; ".join(p for p in parts if p) + ")" if added or removed else "reordered"


def _limits_relation(before: Any, after: Any) -> str:
    """``tightened`` when some limit is new or lower; otherwise ``loosened``."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    for name in set(before) | set(after):
        b, a = before.get(name), after.get(name)
        if a is not None and (b is None or (isinstance(a, int) and isinstance(b, int) and a < b)):
            return "tightened"
    return "loosened"


_CONDITION_RELATIONS = {
    "tightened": ("condition-tightened", "accepts fewer requests: some customers lose coverage"),
    "loosened": ("condition-loosened", "accepts more requests: some customers gain coverage"),
    "changed": ("condition-changed", "accepts other requests: some customers lose coverage, others gain it"),
    "same": ("condition-restated", "is written differently but accepts the same requests"),
}

# fmt: off
PRODUCTS = Collection(
    "products", "product", "product {id!r}",
    added=(("product-added", "product {id!r} added, eligible: its subscribers gain support"),
           ("product-listed", "product {id!r} added, not covered by support")),
    removed=(("product-removed", "product {id!r} removed: its subscribers lose support"),
             ("product-unlisted", "product {id!r} removed (it was not covered)")),
    variant=lambda record: record.get("eligible") is True,
    handled=("eligible",), compare=compare_product,
)
CONDITIONS = Collection(
    "conditions", "condition", "{where}: condition {id!r}",
    added=(("condition-added", "{where}: new condition {id!r} «{text}»; requests that do not meet it lose coverage on every plan"),),
    removed=(("condition-removed", "{where}: condition {id!r} «{text}» no longer applies; requests that did not meet it gain coverage on every plan"),),
    affects="every", value="test", handled=("test",), compare=compare_condition,
)
TIERS = Collection(
    "tiers", "tier", "tier {id!r}",
    added=(("tier-added", "tier {id!r} added"),),
    removed=(("tier-removed", "tier {id!r} removed"),),
    handled=("includes", "grants"), compare=compare_tier,
)
GRANTS = Collection(  # of a tier; the plans given are those that reach the tier
    "grants", "grant", "{where} grant {id!r}",
    added=(("grant-added", "{where} now grants «{text}»: customers of {plans} gain it"),),
    removed=(("grant-removed", "{where} no longer grants «{text}»: customers of {plans} lose it"),),
    affects="given",
)
PLANS = Collection(
    "plans", "plan", "plan {id!r}",
    added=(("plan-added", "plan {id!r} added, giving tier {tier!r}"),),
    removed=(("plan-removed", "plan {id!r} removed: its customers lose their support"),),
    affects="is", handled=("tier",), compare=compare_plan,
)
FACTS = Collection(
    "facts", "fact", "fact {id!r}",
    added=(("fact-added", "fact {id!r} declared"),),
    removed=(("fact-removed", "fact {id!r} no longer declared"),),
    handled=("type",), compare=compare_fact,
)
REFERRALS = Collection(
    "referrals", "referral", "referral {id!r}",
    added=(("referral-target-added", "referral target {id!r} declared"),),
    removed=(("referral-target-removed", "referral target {id!r} no longer declared"),),
)
GENERAL_TERMS = Collection(
    "general_terms", "term", "general term {id!r}",
    added=(("restriction-added", "general term {id!r} ({kind}) added: «{text}»"),
           ("general-term-added", "general term {id!r} ({kind}) added: «{text}»")),
    removed=(("restriction-removed", "general term {id!r} ({kind}) removed: «{text}»"),
             ("general-term-removed", "general term {id!r} ({kind}) removed: «{text}»")),
    variant=lambda record: record.get("kind") in RESTRICTING_TERMS,
    affects="every", handled=("kind", "billing", "referrals", "limits"), compare=compare_general_term,
)
GROUPS = Collection(  # of a category
    "groups", "group", "{where} group {id!r}",
    added=(("group-added", "{where}: group {id!r} «{text}» added"),),
    removed=(("group-removed", "{where}: group {id!r} «{text}» removed"),),
)
NOTES = Collection(  # of a category
    "notes", "note", "{where} note {id!r}",
    added=(("note-added", "{where}: note {id!r} added «{text}»"),),
    removed=(("note-removed", "{where}: note {id!r} removed «{text}»"),),
    handled=("kind", "cause", "tier"), compare=compare_note,
)
VOCABULARY = Collection(  # the search's words: editorial, whatever changes
    "vocabulary", "vocabulary", "vocabulary group {id!r}",
    added=(("vocabulary-group-added", "vocabulary group {id!r} ({kind}) added"),),
    removed=(("vocabulary-group-removed", "vocabulary group {id!r} ({kind}) removed"),),
    handled=("kind", "terms", "matrix_terms", "note"), compare=compare_vocabulary_group,
)
# fmt: on
