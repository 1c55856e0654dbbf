"""What the rules make of each kind of record besides categories and items: products,
conditions, tiers and their grants, plans, facts, referrals, general terms, groups and notes.

Each kind is a :class:`~support_scope.changes.core.Collection`: the rules for a record that
appears or disappears, and a function for one kept on both sides.
"""

from __future__ import annotations

from typing import Any

from support_scope.changes.core import RESTRICTING_TERMS, Collection, Differ, Match, plans_in_words, strings
from support_scope.model.conditions import compare_tests
from support_scope.model.vocab import FAILURE_RANK


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
    every = sorted(d.new_cov.plans)
    effect_before, effect_after = m.old.get("when_unmet", "ineligible"), m.new.get("when_unmet", "ineligible")
    if effect_before != effect_after:
        harder = FAILURE_RANK.get(effect_after, 3) > FAILURE_RANK.get(effect_before, 3)
        d.field(
            "condition-effect-hardened" if harder else "condition-effect-softened",
            m,
            "when_unmet",
            f"{m.label}: when it is not met, the answer is now {effect_after!r} (was {effect_before!r})",
            old=effect_before,
            new=effect_after,
            plans_losing=every if harder else [],
            plans_gaining=[] if harder else every,
        )
    if m.old.get("items") != m.new.get("items"):
        _condition_scope(d, m, every)
    if m.old.get("term") != m.new.get("term"):
        d.field(
            "condition-term-changed",
            m,
            "term",
            f"{m.label}: the term that answers when it fails is now {m.new.get('term')!r} (was {m.old.get('term')!r})",
            legal=True,
        )
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


def _condition_scope(d: Differ, m: Match, every: list[str]) -> None:
    """A condition's ``items``: absent is every included line of its category."""
    lines = {i.get("id") for i in _category_items(d, m, new=False) if i.get("status") == "included"}
    lines_now = {i.get("id") for i in _category_items(d, m, new=True) if i.get("status") == "included"}
    before = set(strings(m.old.get("items"))) if "items" in m.old else lines
    after = set(strings(m.new.get("items"))) if "items" in m.new else lines_now
    if after > before or (after == before and "items" not in m.new):
        rule, effect = "condition-scope-widened", "applies to more lines"
    elif after < before:
        rule, effect = "condition-scope-narrowed", "applies to fewer lines"
    else:
        rule, effect = "condition-scope-changed", "applies to other lines"
    d.field(
        rule,
        m,
        "items",
        f"{m.label} {effect}: {', '.join(sorted(x for x in after if isinstance(x, str))) or 'none'}",
        plans_losing=every if rule != "condition-scope-narrowed" else [],
        plans_gaining=every if rule != "condition-scope-widened" else [],
    )


def _category_items(d: Differ, m: Match, new: bool) -> list[dict[str, Any]]:
    category_id = m.ids.get("category")
    index = d.new_categories if new else d.old_categories
    entry = index.get(category_id) if category_id is not None else None
    items = entry[1].get("items") if entry is not None else None
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def withholding_scope(record: dict[str, Any], lines_word: str = "lines") -> set[tuple[str, str]]:
    """What a not-covered term or resolution rule withholds: (kind, requests|lines) and (item, id) pairs."""
    scope = set()
    for kind in strings(record.get("kinds")):
        scope.add((kind, "requests"))
        if record.get("overrides_lines") is True:
            scope.add((kind, lines_word))
    for item in strings(record.get("items")):
        scope.add(("item", item))
    return scope


def compare_withholding(d: Differ, m: Match, plans: list[str]) -> None:
    """The effect of a not-covered term's or resolution rule's kinds, lines and test, taken together."""
    before, after = withholding_scope(m.old), withholding_scope(m.new)
    old_test, new_test = m.old.get("test"), m.new.get("test")
    if before == after and old_test == new_test:
        return
    # No test: it always applies. compare_tests says how the contexts it holds for changed.
    relation = compare_tests(
        [old_test] if old_test is not None else [], [new_test] if new_test is not None else []
    )
    if not before or not after:  # one side withholds nothing: its test does not matter
        relation = "same"
    more = after - before or relation in ("loosened", "changed")
    fewer = before - after or relation in ("tightened", "changed")
    if more and fewer:
        rule, effect = (
            "restriction-changed",
            "withholds other requests: some customers lose coverage, others gain it",
        )
    elif more:
        rule, effect = "restriction-widened", "withholds more requests: some customers lose coverage"
    elif fewer:
        rule, effect = "restriction-narrowed", "withholds fewer requests: some customers gain coverage"
    else:
        rule, effect = "restriction-restated", "is written differently but withholds the same requests"
    field = "test" if before == after else "kinds" if "kinds" in m.old or "kinds" in m.new else "items"
    d.field(
        rule,
        m,
        field,
        f"{m.label} {effect}",
        old={k: m.old.get(k) for k in ("kinds", "items", "overrides_lines", "test") if k in m.old},
        new={k: m.new.get(k) for k in ("kinds", "items", "overrides_lines", "test") if k in m.new},
        plans_losing=plans if rule in ("restriction-widened", "restriction-changed") else [],
        plans_gaining=plans if rule in ("restriction-narrowed", "restriction-changed") else [],
    )


def compare_grant(d: Differ, m: Match) -> None:
    before, after = set(strings(m.old.get("kinds"))), set(strings(m.new.get("kinds")))
    if before == after:
        return
    widened = after > before
    reach = sorted(d.new_cov.tiers.plans_reaching(str(m.ids.get("tier"))))
    d.field(
        "grant-kinds-widened" if widened else "grant-kinds-narrowed",
        m,
        "kinds",
        f"{m.label} now answers the request kinds {', '.join(sorted(after)) or 'none'} (was {', '.join(sorted(before)) or 'none'})",
        plans_gaining=reach if widened else [],
        plans_losing=[] if widened else reach,
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
    if "not-covered" in (m.old.get("kind"), m.new.get("kind")):
        compare_withholding(d, m, sorted(d.new_cov.plans))
    elif m.old.get("kinds") != m.new.get("kinds"):
        d.field(
            "general-term-changed",
            m,
            "kinds",
            f"{m.label}: the request kinds it concerns changed",
            legal=True,
        )


def compare_note(d: Differ, m: Match) -> None:
    for name in ("kind", "cause", "tier", "referrals"):
        before, after = m.old.get(name), m.new.get(name)
        if before != after:
            d.field("note-changed", m, name, f"{m.where}: note {m.id!r}: {name} {before!r} → {after!r}")
    compare_withholding(d, m, sorted(d.new_cov.plans))
    before, after = m.old.get("excludes_unlisted") is True, m.new.get("excludes_unlisted") is True
    if before != after:
        every = sorted(d.new_cov.plans)
        d.field(
            "note-excludes-unlisted" if after else "note-unlisted-again",
            m,
            "excludes_unlisted",
            f"{m.where}: note {m.id!r}: what nothing covers in the category is now "
            + ("excluded (was unlisted)" if after else "unlisted (was excluded)"),
            plans_losing=every if after else [],
            plans_gaining=[] if after else every,
        )


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
    affects="every", value="test", handled=("test", "when_unmet", "items", "term"), compare=compare_condition,
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
    affects="given", handled=("kinds",), compare=compare_grant,
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
REQUEST_KINDS = Collection(
    "request_kinds", "request_kind", "request kind {id!r}",
    added=(("request-kind-added", "request kind {id!r} declared"),),
    removed=(("request-kind-removed", "request kind {id!r} no longer declared: services that ask with it must change"),),
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
    affects="every", handled=("kind", "billing", "referrals", "limits", "kinds", "test", "overrides_lines"),
    compare=compare_general_term,
)
GROUPS = Collection(  # of a category
    "groups", "group", "{where} group {id!r}",
    added=(("group-added", "{where}: group {id!r} «{text}» added"),),
    removed=(("group-removed", "{where}: group {id!r} «{text}» removed"),),
)
NOTES = Collection(  # of a category
    "notes", "note", "{where} note {id!r}",
    added=(("note-restriction-added", "{where}: note {id!r} added «{text}»: requests it withholds lose coverage"),
           ("note-added", "{where}: note {id!r} added «{text}»")),
    removed=(("note-restriction-removed", "{where}: note {id!r} removed «{text}»: requests it withheld gain coverage"),
             ("note-removed", "{where}: note {id!r} removed «{text}»")),
    variant=lambda record: bool(withholding_scope(record)) or record.get("excludes_unlisted") is True,
    affects="every",
    handled=("kind", "cause", "tier", "referrals", "test", "items", "kinds", "excludes_unlisted"),
    compare=compare_note,
)
VOCABULARY = Collection(  # the search's words: editorial, whatever changes
    "vocabulary", "vocabulary", "vocabulary group {id!r}",
    added=(("vocabulary-group-added", "vocabulary group {id!r} ({kind}) added"),),
    removed=(("vocabulary-group-removed", "vocabulary group {id!r} ({kind}) removed"),),
    handled=("kind", "terms", "matrix_terms", "note"), compare=compare_vocabulary_group,
)
# fmt: on
