"""What the rules make of categories and items: added, removed, moved, reordered, retitled,
an item's status, tier, references, referrals and billing."""

from __future__ import annotations

import difflib
from typing import Any

from support_scope.changes.core import Differ, Entry, Match, entries, french, index, plans_in_words
from support_scope.changes.records import CONDITIONS, GROUPS, NOTES
from support_scope.model.conditions import compare_tests
from support_scope.model.paths import JsonPath


def categories(d: Differ) -> None:
    old_index, new_index = d.old_categories, d.new_categories
    reordered(d, old_index, new_index, ("categories",), {}, "category-reordered", "categories")
    # Only categories that changed can have lost or gained an item (a move changes both
    # ends), so only their items are indexed: unchanged ones cost one C-level comparison.
    empty: dict[str, Entry] = {}
    changed: list[tuple[str, Entry | None, Entry | None]] = []
    for cid, now in new_index.items():
        before = old_index.get(cid)
        if before is None or before[1] != now[1]:
            changed.append((cid, before, now))
    changed += [(cid, before, None) for cid, before in old_index.items() if cid not in new_index]
    items = {
        cid: (
            index(old[1], "items") if old is not None else empty,
            index(new[1], "items") if new is not None else empty,
        )
        for cid, old, new in changed
    }
    old_items = {
        item_id: (cid, position, item)
        for cid, (old_idx, _) in items.items()
        for item_id, (position, item) in old_idx.items()
    }
    new_items = {
        item_id: (cid, position, item)
        for cid, (_, new_idx) in items.items()
        for item_id, (position, item) in new_idx.items()
    }
    for cid, old, new in changed:
        ids = {"category": cid}
        if old is None and new is not None:
            d.add(
                "category-added",
                ids,
                f"category {cid!r} «{french(new[1].get('title'))}» added",
                new_path=("categories", new[0]),
                new=french(new[1].get("title")),
            )
            category_items(d, None, new, cid, items[cid], old_items, new_items)
        elif new is None and old is not None:
            d.add(
                "category-removed",
                ids,
                f"category {cid!r} «{french(old[1].get('title'))}» removed",
                old_path=("categories", old[0]),
                old=french(old[1].get("title")),
            )
            category_items(d, old, None, cid, items[cid], old_items, new_items)
        elif old is not None and new is not None:
            o_path: JsonPath = ("categories", old[0])
            n_path: JsonPath = ("categories", new[0])
            label = f"category {cid!r}"
            d.record(old[1], new[1], o_path, n_path, ids, ("conditions", "groups", "notes", "items"), label)
            for spec in (CONDITIONS, GROUPS, NOTES):
                d.collection(spec, old[1], new[1], o_path, n_path, ids, label)
            category_items(d, old, new, cid, items[cid], old_items, new_items)


def reordered(
    d: Differ,
    before_index: dict[str, Entry],
    after_index: dict[str, Entry],
    path: JsonPath,
    ids: dict[str, str],
    rule: str,
    what: str,
) -> None:
    """One change when the records kept on both sides are listed in another order.

    The message names each record that moved with its old and new position (1-based, in
    the old and the new list). A record counts as moved when its place among the records
    kept on both sides changed; when one record travelling far shifts many others by one,
    only the travellers (those outside the longest common order) are named.
    """
    kept = before_index.keys() & after_index.keys()
    a = [x for x in before_index if x in kept]
    b = [x for x in after_index if x in kept]
    if a == b:
        return
    rank = {x: i for i, x in enumerate(a)}
    shifted = [x for i, x in enumerate(b) if rank[x] != i]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    stayed = {x for block in matcher.get_matching_blocks() for x in b[block.b : block.b + block.size]}
    travelled = [x for x in b if x not in stayed]
    moved = shifted if len(shifted) <= 2 * len(travelled) else travelled
    shown = ", ".join(
        f"{x} from position {before_index[x][0] + 1} to {after_index[x][0] + 1}" for x in moved[:10]
    ) + (f" and {len(moved) - 10} more" if len(moved) > 10 else "")
    d.add(
        rule,
        {**ids, "moved": ",".join(moved)},
        f"{what} reordered (no change of coverage): {shown}",
        old_path=path,
        new_path=path,
        old=a,
        new=b,
    )


def category_items(
    d: Differ,
    old: Entry | None,
    new: Entry | None,
    cid: str,
    indexes: tuple[dict[str, Entry], dict[str, Entry]],
    old_items: dict[str, tuple[str, int, dict[str, Any]]],
    new_items: dict[str, tuple[str, int, dict[str, Any]]],
) -> None:
    """Items of category ``cid``: those it has now, then those it lost (unless moved elsewhere)."""
    old_index, new_index = indexes
    if old and new:
        reordered(
            d,
            old_index,
            new_index,
            ("categories", new[0], "items"),
            {"category": cid},
            "item-reordered",
            f"items of category {cid!r}",
        )
    if new is not None:
        for item_id, (position, item) in new_index.items():
            n_path: JsonPath = ("categories", new[0], "items", position)
            previous = old_items.get(item_id)
            if previous is None:
                item_appeared(d, item, n_path, {"category": cid, "item": item_id})
                continue
            p_cid, p_position, p_item = previous
            if p_item == item and p_cid == cid:
                continue
            ids = {"category": cid, "item": item_id}
            o_path: JsonPath = ("categories", d.old_categories[p_cid][0], "items", p_position)
            if p_cid != cid:
                item_moved(d, p_cid, cid, o_path, n_path, ids)
            if p_item != item:
                compare_item(
                    d,
                    Match(
                        item_id,
                        ids,
                        p_item,
                        item,
                        o_path,
                        n_path,
                        f"category {cid!r}",
                        f"item {item_id!r}",
                    ),
                )
    if old is not None:
        for item_id, (position, item) in old_index.items():
            if item_id in new_items:
                continue  # kept here, or moved to another category (reported there)
            item_vanished(
                d, item, ("categories", old[0], "items", position), {"category": cid, "item": item_id}
            )


def compare_reference(d: Differ, m: Match) -> None:
    """A `see` item stands for the items it lists, at its own tier: listing more widens an included item."""
    before, after = _referred(m.old), _referred(m.new)
    widened = after >= before if m.new.get("status") == "included" else before >= after
    plans = sorted(d.new_cov.plans_for(m.new) | d.old_cov.plans_for(m.old))
    d.field(
        "item-reference-widened" if widened else "item-reference-narrowed",
        m,
        "see",
        f"{m.label}: stands for {_referred_text(after)} (was {_referred_text(before)}): customers of {plans_in_words(plans)} "
        + ("gain coverage" if widened else "may lose coverage"),
        plans_gaining=plans if widened else [],
        plans_losing=[] if widened else plans,
    )


def item_appeared(d: Differ, item: dict[str, Any], path: JsonPath, ids: dict[str, str]) -> None:
    text = french(item.get("text"))
    if item.get("status") == "included":
        plans = sorted(d.new_cov.plans_for(item))
        d.add(
            "item-added",
            ids,
            f"new included service «{text}» (tier {item.get('tier')!r}): customers of {plans_in_words(plans)} gain it",
            new_path=path,
            new=item,
            plans_gaining=plans,
        )
    else:
        d.add(
            "item-exclusion-added",
            ids,
            f"«{text}» is now listed as not covered, for every plan",
            new_path=path,
            new=item,
            plans_losing=sorted(d.new_cov.plans),
        )


def item_vanished(d: Differ, item: dict[str, Any], path: JsonPath, ids: dict[str, str]) -> None:
    text = french(item.get("text"))
    if item.get("status") == "included":
        plans = sorted(d.old_cov.plans_for(item))
        d.add(
            "item-removed",
            ids,
            f"included service «{text}» (tier {item.get('tier')!r}) removed: customers of {plans_in_words(plans)} lose it",
            old_path=path,
            old=item,
            plans_losing=plans,
        )
    else:
        d.add(
            "item-exclusion-removed",
            ids,
            f"«{text}» is no longer listed as not covered",
            old_path=path,
            old=item,
            plans_gaining=sorted(d.new_cov.plans),
        )


def item_moved(
    d: Differ, from_cid: str, to_cid: str, o_path: JsonPath, n_path: JsonPath, ids: dict[str, str]
) -> None:
    item_id = ids.get("item")
    before = [c.get("test") for c in _applying(entries(d.old_categories[from_cid][1], "conditions"), item_id)]
    after = [c.get("test") for c in _applying(entries(d.new_categories[to_cid][1], "conditions"), item_id)]
    relation = "same" if before == after else compare_tests(before, after)
    d.add(
        "item-recategorized" if relation == "same" else "item-recategorized-conditions",
        ids,
        f"item moved from category {from_cid!r} to {to_cid!r}"
        + (
            ""
            if relation == "same"
            else f"; the conditions that apply to it {relation if relation != 'changed' else 'differ'}"
        ),
        old_path=o_path,
        new_path=n_path,
        old=from_cid,
        new=to_cid,
        plans_losing=sorted(d.new_cov.plans) if relation in ("tightened", "changed") else [],
    )


def _applying(conditions: list[dict[str, Any]], item_id: str | None) -> list[dict[str, Any]]:
    """The conditions that apply to an item: those naming no items, and those naming it."""
    return [c for c in conditions if "items" not in c or item_id in (c.get("items") or [])]


def compare_item(d: Differ, m: Match) -> None:
    old, new = m.old, m.new
    text = french(new.get("text"))
    before_plans, after_plans = d.old_cov.plans_for(old), d.new_cov.plans_for(new)
    gaining, losing = sorted(after_plans - before_plans), sorted(before_plans - after_plans)
    status_before, status_after = old.get("status"), new.get("status")
    if status_before != status_after:
        included = status_after == "included"
        d.field(
            "item-included" if included else "item-excluded",
            m,
            "status",
            f"«{text}» is now included (tier {new.get('tier')!r}): customers of {plans_in_words(gaining)} gain it"
            if included
            else f"«{text}» is now excluded: customers of {plans_in_words(losing)} lose it",
            old={"status": status_before, "tier": old.get("tier")},
            new={"status": status_after, "tier": new.get("tier")},
            plans_gaining=gaining,
            plans_losing=losing,
        )
    elif old.get("tier") != new.get("tier"):
        lowered = d.new_cov.higher(old.get("tier"), new.get("tier"))
        d.field(
            "item-tier-lowered" if lowered else "item-tier-raised",
            m,
            "tier",
            f"«{text}» now needs tier {new.get('tier')!r} (was {old.get('tier')!r}): "
            + (
                f"customers of {plans_in_words(gaining)} gain it"
                if lowered
                else f"customers of {plans_in_words(losing)} lose it"
            ),
            plans_gaining=gaining,
            plans_losing=losing,
        )
    for name, rule in (
        ("group", "item-regrouped"),
        ("referrals", "item-referral-changed"),
        ("billing", "item-billing-changed"),
    ):
        if old.get(name) != new.get(name):
            d.field(rule, m, name, f"{m.label}: {name} changed", legal=name == "billing")
    if old.get("see") != new.get("see"):
        compare_reference(d, m)
    if old.get("kind") != new.get("kind"):
        every = sorted(d.new_cov.plans)
        softer = new.get("kind") is None and status_before == status_after == "excluded"
        d.field(
            "item-exclusion-kind-removed" if softer else "item-kind-changed",
            m,
            "kind",
            f"{m.label}: request kind {new.get('kind')!r} (was {old.get('kind')!r}): "
            + (
                "requests of that kind are answered by the general terms and grants instead"
                if softer
                else "requests of the kind are answered by this excluded line"
                if status_after == "excluded"
                else "requests of the kind are answered by this line, and the not-covered terms of its kind qualify it"
            ),
            plans_gaining=every if softer else [],
            plans_losing=[] if softer else every,
        )
    # The billing note's words are a text too: marked up word by word.
    o_billing, n_billing = old.get("billing"), new.get("billing")
    if isinstance(o_billing, dict) and isinstance(n_billing, dict):
        d.texts(
            o_billing.get("text"),
            n_billing.get("text"),
            (*m.old_path, "billing", "text"),
            (*m.new_path, "billing", "text"),
            m.ids,
            f"{m.label} billing",
        )
    handled = ("status", "tier", "kind", "group", "referrals", "billing", "see")
    d.record(old, new, m.old_path, m.new_path, m.ids, handled, m.label)


def _referred(item: dict[str, Any]) -> set[tuple[str, str]]:
    see = item.get("see")
    if not isinstance(see, dict) or not isinstance(see.get("items"), list):
        return set()
    return {(str(see.get("category")), str(x)) for x in see["items"]}


def _referred_text(referred: set[tuple[str, str]]) -> str:
    return ", ".join(f"{c}/{i}" for c, i in sorted(referred)) or "nothing"
