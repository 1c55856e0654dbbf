"""Where each item of the merged policy goes: moved and new rows placed, a reordering applied."""

from __future__ import annotations

from typing import TYPE_CHECKING

from support_scope.workbook.layout import SHEET_CATEGORIES, SHEET_MATRIX

if TYPE_CHECKING:
    from support_scope.workbook.merge import Merge


def place_items(merge: Merge) -> None:
    """Place moved and new items, and apply a reordering the reviewer made."""
    review: dict[str, list[str]] = {}
    for row in merge.rows[SHEET_MATRIX]:
        if row.key is None or (SHEET_MATRIX, row.key) in merge.deleted_rows:
            continue
        if row.key in merge.doc.entities[SHEET_MATRIX]:
            review.setdefault(str(row.cells.get("category")), []).append(row.key)
    base_order = {
        cid: [i["id"] for i in c["items"]] for cid, (c, _) in merge.base_entities[SHEET_CATEGORIES].items()
    }
    current_order = {
        cid: [i["id"] for i in c["items"]] for cid, (c, _) in merge.current_entities[SHEET_CATEGORIES].items()
    }
    for category_id, (category, _) in list(merge.doc.entities[SHEET_CATEGORIES].items()):
        items = {item["id"]: item for item in category["items"]}
        wanted = [key for key in review.get(category_id, []) if key in items]
        original = base_order.get(category_id, [])
        kept_base = [key for key in wanted if key in original]
        reordered = kept_base != [key for key in original if key in set(kept_base)]
        staying = [key for key in current_order.get(category_id, []) if key in items]
        if reordered:
            order = list(wanted)
            others = [key for key in staying if key not in set(order)]
        else:
            order = list(staying)
            others = [key for key in wanted if key not in set(order)]
        sequence = wanted if not reordered else staying
        for key in others:
            position = sequence.index(key) if key in sequence else -1
            anchor = (
                next((k for k in reversed(sequence[:position]) if k in order), None) if position > 0 else None
            )
            order.insert(
                order.index(anchor) + 1 if anchor is not None else (0 if position == 0 else len(order)),
                key,
            )
        for key in items:
            if key not in order:
                order.append(key)
        if order != list(items):  # a category left in its order stays shared
            merge.doc.category(category_id)["items"] = [items[key] for key in order]
