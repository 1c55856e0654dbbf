"""The three-way merge of a reviewed workbook: the policy as exported, as it is now, as reviewed."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

from support_scope.model.walk import entity_at
from support_scope.problems import Problem
from support_scope.resources import load_schema
from support_scope.workbook.layout import (
    DELETED,
    EDITABLE,
    SHEET_CATEGORIES,
    SHEET_CONDITIONS,
    SHEET_MATRIX,
    SHEET_TERMS,
    SHEET_VOCABULARY,
    Table,
    condition_key,
    conditions_shown,
    get_path,
)
from support_scope.workbook.merged import _SHEET_OF, MergedDocument, sheet_entities
from support_scope.workbook.order import place_items
from support_scope.workbook.reader import SheetRow
from support_scope.workbook.result import MISSING, Conflict


@cache
def _orders() -> dict[str, tuple[str, ...]]:
    """The key order of each sheet's entities: the schema's, so that a field added to the model
    lands where the schema puts it."""
    defs = load_schema()["$defs"]
    general_term = load_schema()["properties"]["general_terms"]["items"]
    return {
        SHEET_MATRIX: tuple(defs["item"]["properties"]),
        SHEET_CATEGORIES: tuple(defs["category"]["properties"]),
        SHEET_CONDITIONS: tuple(defs["condition"]["properties"]),
        SHEET_TERMS: tuple(general_term["properties"]),
        SHEET_VOCABULARY: tuple(defs["vocabulary_group"]["properties"]),
    }


def field_value(entity: tuple[dict[str, Any], str | None] | None, key: str) -> Any:
    if entity is None:
        return MISSING
    if key == "category":
        return entity[1]
    return get_path(entity[0], key)


def _same(reviewer: Any, exported: Any) -> bool:
    """The reviewer left the field as exported (a text's \r line ends come back as \n)."""
    if isinstance(reviewer, str) and isinstance(exported, str):
        return reviewer == exported.replace("\r\n", "\n").replace("\r", "\n")
    return bool(reviewer == exported)


def set_path(entity: dict[str, Any], key: str, value: Any) -> None:
    """Set (or, for None, remove) a dotted field; containers emptied by a removal go too."""
    parts = key.split(".")
    if value is None:
        trail = [entity]
        for part in parts[:-1]:
            nxt = trail[-1].get(part)
            if not isinstance(nxt, dict):
                return
            trail.append(nxt)
        trail[-1].pop(parts[-1], None)
        for depth in range(len(parts) - 1, 0, -1):
            if not trail[depth]:
                trail[depth - 1].pop(parts[depth - 1], None)
        return
    target = entity
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def _reorder(entity: dict[str, Any], order: tuple[str, ...]) -> None:
    keys = sorted(entity, key=lambda k: order.index(k) if k in order else len(order))
    if keys != list(entity):
        items = [(k, entity.pop(k)) for k in list(entity)]
        values = dict(items)
        for k in keys:
            entity[k] = values[k]


_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str, limit: int = 80) -> str:
    """An id from words: ASCII-folded, lower case, hyphens, at most ``limit`` characters at a word end."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    words = _SLUG.sub("-", folded).strip("-")
    if len(words) > limit:
        words = words[:limit].rsplit("-", 1)[0] if "-" in words[:limit] else words[:limit]
    return words.strip("-")


def new_item_id(category: str, french: str, taken: set[str]) -> str:
    """A stable id for a new item, from its category and French text, unique in ``taken``."""
    base = slug(f"{category} {french}") or slug(category) or "item"
    candidate, counter = base, 1
    while candidate in taken:
        counter += 1
        suffix = f"-{counter}"
        candidate = slug(base, 80 - len(suffix)) + suffix
    return candidate


class Merge:
    """The three-way merge of the reviewer's rows onto the current policy, field by field.

    For each field of each row the reviewer touched: left as exported, the current value stays;
    changed by the reviewer only, the reviewer's value is applied; changed on both sides, a
    :class:`Conflict`. The result is :attr:`merged` (:class:`MergedDocument`, copy on write).
    """

    def __init__(
        self,
        display: str,
        layout: dict[str, Table],
        base: dict[str, Any],
        current: dict[str, Any],
        rows: dict[str, list[SheetRow]],
    ) -> None:
        self.display = display
        self.layout = layout
        self.base = base
        self.current = current
        self.rows = rows
        self.current_entities = sheet_entities(current)
        # Not stale: the policy is the exported one, and one index serves both.
        self.base_entities = self.current_entities if base is current else sheet_entities(base)
        self.doc = MergedDocument(current, self.current_entities)
        self.problems: list[Problem] = []
        self.conflicts: list[Conflict] = []
        self.notices: list[str] = []
        self.row_of: dict[tuple[str, str], SheetRow] = {}
        self.deleted_rows: set[tuple[str, str]] = set()

    def problem(self, cell: str | None, message: str, rule: str, path: Any = None) -> None:
        self.problems.append(Problem(self.display, message, rule, path=path, cell=cell))

    def cell(self, sheet: str, row: SheetRow, key: str) -> str:
        from openpyxl.utils import get_column_letter

        position = row.positions.get(key, 1)
        return f"{sheet}!{get_column_letter(position)}{row.number}"

    def index(self) -> None:
        """Index the reviewer's rows by id; an id edited or repeated is a problem."""
        self.seen: dict[str, dict[str, SheetRow]] = {}
        self.new_rows: dict[str, list[SheetRow]] = {}
        for name in EDITABLE:
            base = self.base_entities[name]
            seen = self.seen[name] = {}
            new_rows = self.new_rows[name] = []
            for row in self.rows[name]:
                if row.key is None:
                    new_rows.append(row)
                elif row.key not in base:
                    self.problem(
                        self.cell(name, row, "id"),
                        f"id {row.key!r} is not one this workbook was exported with (ids are not to be edited; "
                        "to add a row, leave its id empty)",
                        "unknown-id",
                    )
                elif row.key in seen:
                    self.problem(
                        self.cell(name, row, "id"),
                        f"id {row.key!r} appears twice (first on row {seen[row.key].number})",
                        "duplicate-id",
                    )
                else:
                    seen[row.key] = row
                    self.row_of[(name, row.key)] = row

    def run(self) -> None:
        self.index()
        if self.problems:
            return
        for name in EDITABLE:
            self._sheet(self.layout[name])
        if self.problems or self.conflicts:
            return
        place_items(self)

    @property
    def merged(self) -> dict[str, Any]:
        """The merged policy."""
        return self.doc.document

    def _sheet(self, table: Table) -> None:
        name = table.sheet
        base = self.base_entities[name]
        current = self.current_entities[name]
        seen = self.seen[name]
        categories = self.base_entities[SHEET_CATEGORIES]
        for key in base:
            row = seen.get(key)
            if name == SHEET_MATRIX and row is not None and row.parsed.get("status") == DELETED:
                row = None
            if row is None:
                self._removed(table, key)
                continue
            if not row.touched:
                continue  # untouched: whatever the policy says now stays
            if name == SHEET_MATRIX and row.cells.get("conditions") != conditions_shown(
                categories[str(base[key][1])][0], key
            ):
                self.problem(
                    self.cell(name, row, "conditions"),
                    f"the conditions column is read only; edit conditions on the {SHEET_CONDITIONS} sheet",
                    "read-only",
                )
            self._fields(table, key, row, base[key], current.get(key))
        for row in self.new_rows[name]:
            self._new(table, row)

    def _removed(self, table: Table, key: str) -> None:
        name = table.sheet
        if name in (SHEET_CATEGORIES, SHEET_CONDITIONS):
            what = "category" if name == SHEET_CATEGORIES else "condition"
            self.problem(
                f"{name}!A1",
                f"the row of {what} {key!r} is missing; {what}s are edited here, not removed (restore the row)",
                "row-removed",
            )
            return
        base = self.base_entities[name][key]
        now = self.current_entities[name].get(key)
        if now is None:
            return  # removed on both sides
        changed = [
            c for c in table.compared if c.key != "id" and field_value(now, c.key) != field_value(base, c.key)
        ]
        if changed:
            for column in changed:
                self.conflicts.append(
                    Conflict(
                        f"{name} (row {key} removed)",
                        key,
                        column.header,
                        field_value(base, column.key),
                        field_value(now, column.key),
                        MISSING,
                    )
                )
            return
        self.deleted_rows.add((name, key))
        self.doc.delete(name, key)

    def _fields(
        self,
        table: Table,
        key: str,
        row: SheetRow,
        base: tuple[dict[str, Any], str | None],
        now: tuple[dict[str, Any], str | None] | None,
    ) -> None:
        name = table.sheet
        for column in table.compared:
            if column.key in ("id", "scope"):
                continue
            exported = field_value(base, column.key)
            reviewer = row.parsed.get(column.key)
            if _same(reviewer, exported) or (column.key == "status" and reviewer == DELETED):
                continue
            current = field_value(now, column.key)
            if current == exported:
                self._apply(name, key, column.key, reviewer, row)
            elif current != reviewer:
                self.conflicts.append(
                    Conflict(
                        self.cell(name, row, column.key), key, column.header, exported, current, reviewer
                    )
                )

    def _apply(self, name: str, key: str, field_key: str, value: Any, row: SheetRow) -> None:
        entity, container = self.doc.entities[name][key]
        if field_key == "category":
            if value is None:
                return  # an empty category was reported when the row was read
            source = self.doc.category(str(container))
            source["items"] = [item for item in source["items"] if item is not entity]
            target = self.doc.category(str(value))
            target["items"].append(entity)  # placed by _items_order
            self.doc.entities[name][key] = (entity, str(value))
            return
        entity = self.doc.writable(name, key)
        before = set(entity)
        set_path(entity, field_key, value)
        if set(entity) - before:
            _reorder(entity, _orders()[name])

    def _new(self, table: Table, row: SheetRow) -> None:
        name = table.sheet
        if name != SHEET_MATRIX:
            what = {
                SHEET_CATEGORIES: "categories",
                SHEET_CONDITIONS: "conditions",
                SHEET_TERMS: "general terms",
                SHEET_VOCABULARY: "vocabulary groups",
            }[name]
            self.problem(
                self.cell(name, row, "id"),
                f"a row without id: {what} cannot be added in the workbook (add them to the policy; here only matrix rows)",
                "row-added",
            )
            return
        if row.parsed.get("status") == DELETED:
            return
        category = row.parsed.get("category")
        french = row.parsed.get("text.fr")
        if category is None or french is None or row.parsed.get("status") is None:
            return  # reported when the row was read
        taken = set(self.doc.entities[SHEET_MATRIX]) | set(self.base_entities[SHEET_MATRIX])
        item_id = new_item_id(str(category), str(french), taken)
        target = self.doc.category(str(category))
        provenance = dict(target["provenance"])
        provenance["column"] = "included" if row.parsed.get("status") == "included" else "excluded"
        item: dict[str, Any] = {"id": item_id}
        for column in table.compared:
            if column.key not in ("id", "category") and row.parsed.get(column.key) is not None:
                set_path(item, column.key, row.parsed[column.key])
        item["provenance"] = provenance
        _reorder(item, _orders()[SHEET_MATRIX])
        target["items"].append(item)
        self.doc.own(item)
        self.doc.entities[SHEET_MATRIX][item_id] = (item, str(category))
        row.key = item_id
        self.row_of[(SHEET_MATRIX, item_id)] = row
        self.notices.append(
            f"{self.cell(name, row, 'id')}: new item {item_id!r} in {category!r} "
            f"(provenance taken from the category: page {provenance['page']}, line {provenance['line']})"
        )


def locate(merge: Merge, path: tuple[Any, ...]) -> str | None:
    """The workbook cell a finding on the merged policy at ``path`` belongs to, if a row shows it."""
    found = entity_at(merge.merged, path)
    if found is None:
        return None
    entity, rest = found
    sheet = _SHEET_OF.get(entity.kind)
    if sheet is None or entity.id is None:
        return None
    key = condition_key(str(entity.owner), entity.id) if entity.kind == "condition" else entity.id
    row = merge.row_of.get((sheet, key))
    if row is None:
        return None
    table = merge.layout[sheet]
    steps = [str(step) for step in rest if isinstance(step, str)]
    for length in range(len(steps), 0, -1):
        candidate = ".".join(steps[:length])
        for column in table.columns:
            if column.key == candidate or column.key.startswith(candidate + "."):
                return merge.cell(sheet, row, column.key)
    return merge.cell(sheet, row, "id")
