"""Where the items of the merged policy go: the order of the workbook's rows is not read.

A reviewer sorts and filters the matrix to read it; that is not an edit. So the policy keeps
its order, whatever the order of the rows in the returned workbook, with or without other
edits: the items a category had stay in the order the policy gives them now. Only an item new
to a category (a row added, or moved there by changing its category) is placed, where the
reviewer put it: below the row above it when that row is of the same category, else above the
row below it when that one is, else at the end of the category. A reviewer who wants the order
changed says so in a comment; the import notes, once, when the rows are not in the policy's
order (a sort, or a row moved by hand), that their order was not read.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from support_scope.workbook.layout import SHEET_CATEGORIES, SHEET_MATRIX

if TYPE_CHECKING:
    from support_scope.workbook.merge import Merge
    from support_scope.workbook.reader import SheetRow


def place_items(merge: Merge) -> None:
    """Place the items new to their category; note when the rows' order was not the policy's."""
    entities = merge.doc.entities[SHEET_MATRIX]
    sequence = [
        row.key
        for row in merge.rows[SHEET_MATRIX]
        if row.key is not None
        and row.key in entities
        and merge.row_of.get((SHEET_MATRIX, row.key)) is row
        and (SHEET_MATRIX, row.key) not in merge.deleted_rows
    ]
    category_of = {key: str(holder) for key, (_, holder) in entities.items()}
    position = {key: index for index, key in enumerate(sequence)}
    kept = [row for row in merge.rows[SHEET_MATRIX] if (SHEET_MATRIX, str(row.key)) not in merge.deleted_rows]
    if out_of_order(kept, merge.base, merge.arrived):
        merge.notices.append(merge.say("order-not-read"))
    for category_id, (category, _) in list(merge.doc.entities[SHEET_CATEGORIES].items()):
        items = {item["id"]: item for item in category["items"]}
        arriving = [key for key in items if key in merge.arrived]
        if not arriving:
            continue  # a category left in its order stays shared with the current policy
        order = [key for key in items if key not in merge.arrived]
        for key in sorted(arriving, key=lambda k: (position.get(k, len(sequence)), k)):
            index = position.get(key)
            above = sequence[index - 1] if index is not None and index > 0 else None
            below = sequence[index + 1] if index is not None and index + 1 < len(sequence) else None
            if above is not None and category_of.get(above) == category_id and above in order:
                order.insert(order.index(above) + 1, key)
            elif below is not None and category_of.get(below) == category_id and below in order:
                order.insert(order.index(below), key)
            else:
                order.append(key)
        if order != list(items):
            merge.doc.category(category_id)["items"] = [items[key] for key in order]


def out_of_order(rows: list[SheetRow], exported: dict[str, Any], skip: Collection[str] = ()) -> bool:
    """True when, within some category, the matrix rows that stayed there (not in ``skip``) are
    not in the order ``exported`` (the policy as exported) gives them."""
    order = {
        category["id"]: [item["id"] for item in category["items"]] for category in exported["categories"]
    }
    shown: dict[str, list[str]] = {}
    seen: set[str] = set()
    for row in rows:
        key = row.key
        if key is None or key in skip or key in seen:
            continue
        seen.add(key)
        shown.setdefault(str(row.cells.get("category")), []).append(key)
    for category_id, keys in shown.items():
        exported_keys = order.get(category_id, [])
        kept = set(keys) & set(exported_keys)  # rows added by an earlier import of this workbook aside
        if [key for key in keys if key in kept] != [key for key in exported_keys if key in kept]:
            return True
    return False
