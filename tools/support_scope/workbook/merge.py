"""The three-way merge of a reviewed workbook: the policy as exported, as it is now, as reviewed."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

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
    checksum,
    get_path,
    matrix_info,
)
from support_scope.workbook.merged import MergedDocument, sheet_entities
from support_scope.workbook.order import place_items
from support_scope.workbook.reader import SheetRow
from support_scope.workbook.result import MISSING, Conflict
from support_scope.workbook.words import quote, rows_word, say


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


@dataclass(frozen=True)
class ReviewSource:
    """Where a review came from, for the provenance of the rows it adds: the workbook's file
    name, the date it was saved (or imported), and the digest of the export it started from."""

    workbook: str
    date: str
    export: str


def review_key(export: str, sheet: str, values: list[Any]) -> str:
    """What recognises an added row when the same workbook is imported again: its export and its
    cells as the reviewer left them (16 hex digits)."""
    return hashlib.sha256(f"{export}\x01{sheet}\x01{checksum(values)}".encode()).hexdigest()[:16]


class Merge:
    """The three-way merge of the reviewer's rows onto the current policy, field by field.

    For each field of each row the reviewer touched: left as exported, the current value stays;
    changed by the reviewer only, the reviewer's value is applied; changed on both sides, a
    :class:`Conflict`. A cell with a problem (reported when it was read) is left as it is in the
    policy, so that the merge goes on and every other problem is found in the same pass. The
    result is :attr:`merged` (:class:`MergedDocument`, copy on write).
    """

    def __init__(
        self,
        display: str,
        layout: dict[str, Table],
        base: dict[str, Any],
        current: dict[str, Any],
        rows: dict[str, list[SheetRow]],
        *,
        lang: str = "fr",
        review: ReviewSource | None = None,
        unread: set[str] | None = None,
    ) -> None:
        self.display = display
        self.layout = layout
        self.base = base
        self.current = current
        self.rows = rows
        self.lang = lang
        self.review = review
        self.current_entities = sheet_entities(current)
        # Not stale: the policy is the exported one, and one index serves both.
        self.base_entities = self.current_entities if base is current else sheet_entities(base)
        self.doc = MergedDocument(current, self.current_entities)
        self.problems: list[Problem] = []
        self.conflicts: list[Conflict] = []
        self.notices: list[str] = []
        self.row_of: dict[tuple[str, str], SheetRow] = {}
        self.deleted_rows: set[tuple[str, str]] = set()
        self.deleted_cells: dict[str, str] = {}  # item id -> the cell that deletes it (its status), if any
        self.arrived: set[str] = set()  # items new to their category (added or moved by the reviewer)
        self.changed_text: set[str] = set()  # items whose French text the reviewer changed
        self.flagged: set[str] = set()  # cells a problem names already
        # Sheets that could not be read (missing, or their headers edited): said already, and
        # left as they are, rather than taken for sheets whose every row was removed.
        self.unread = unread or set()

    def say(self, message: str, /, **fields: object) -> str:
        return say(self.lang, message, **fields)

    def quote(self, text: object) -> str:
        return quote(self.lang, text)

    def problem(self, cell: str | None, message: str, rule: str, path: Any = None) -> None:
        if cell is not None:
            if cell in self.flagged:
                return
            self.flagged.add(cell)
        self.problems.append(Problem(self.display, message, rule, path=path, cell=cell))

    def notice(self, cell: str, message: str) -> None:
        self.notices.append(f"{cell}{colon(self.lang)} {message}")

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
                        self.say("unknown-id", key=self.quote(row.key)),
                        "unknown-id",
                    )
                elif row.key in seen:
                    self.problem(
                        self.cell(name, row, "id"),
                        self.say("duplicate-id", key=self.quote(row.key), row=seen[row.key].number),
                        "duplicate-id",
                    )
                else:
                    seen[row.key] = row
                    self.row_of[(name, row.key)] = row

    def run(self) -> None:
        self.index()
        for name in EDITABLE:
            self._sheet(self.layout[name])
        self._emptied_categories()
        if self.conflicts:
            return
        place_items(self)

    @property
    def merged(self) -> dict[str, Any]:
        """The merged policy."""
        return self.doc.document

    def _sheet(self, table: Table) -> None:
        name = table.sheet
        if name in self.unread:
            return
        base = self.base_entities[name]
        current = self.current_entities[name]
        seen = self.seen[name]
        for key in base:
            row = seen.get(key)
            if name == SHEET_MATRIX and row is not None and row.parsed.get("status") == DELETED:
                if "status" not in row.flagged:
                    self.deleted_cells[key] = self.cell(name, row, "status")
                row = None
            if row is None:
                self._removed(table, key)
                continue
            if not row.touched:
                continue  # untouched: whatever the policy says now stays
            if name == SHEET_MATRIX:
                self._read_only(table, row, base[key][1], key)
            self._fields(table, key, row, base[key], current.get(key))
            if name == SHEET_MATRIX and key in self.doc.entities[SHEET_MATRIX]:
                self._status_and_tier(table, key, row, base[key])
        for row in self.new_rows[name]:
            self._new(table, row)

    def _read_only(self, table: Table, row: SheetRow, category_id: str | None, key: str) -> None:
        """The matrix's read-only columns must show what they showed at export."""
        category = self.base_entities[SHEET_CATEGORIES].get(str(category_id))
        if category is None:
            return
        exported = matrix_info(category[0], key)
        for column in table.columns:
            if (
                column.info
                and column.key not in row.flagged
                and row.cells.get(column.key) != exported.get(column.key)
            ):
                message = "read-only-title" if column.key == "category_title" else "read-only-conditions"
                self.problem(self.cell(table.sheet, row, column.key), self.say(message), "read-only")

    def _removed(self, table: Table, key: str) -> None:
        name = table.sheet
        if name in (SHEET_CATEGORIES, SHEET_CONDITIONS):
            what = rows_word(self.lang, "category" if name == SHEET_CATEGORIES else "condition")
            self.problem(
                f"{name}!A1",
                self.say("row-removed", what=what, key=self.quote(key.rpartition("/")[2])),
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
            where = self.deleted_cells.get(key) or self.say("row-removed-cell", sheet=name, key=key)
            for column in changed:
                self.conflicts.append(
                    Conflict(
                        where,
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
            if column.key in ("id", "scope") or column.key in row.flagged:
                continue
            exported = field_value(base, column.key)
            reviewer = row.parsed.get(column.key)
            if _same(reviewer, exported) or (column.key == "status" and reviewer == DELETED):
                continue
            if column.key == "tier" and reviewer is None and row.parsed.get("status") == "excluded":
                continue  # an excluded item's tier is cleared below, whoever cleared the cell
            current = field_value(now, column.key)
            if current == exported:
                self._apply(name, key, column.key, reviewer, row)
                if column.key == "text.fr":
                    self.changed_text.add(key)
            elif current != reviewer:
                self.conflicts.append(
                    Conflict(
                        self.cell(name, row, column.key), key, column.header, exported, current, reviewer
                    )
                )

    def _status_and_tier(
        self, table: Table, key: str, row: SheetRow, base: tuple[dict[str, Any], str | None]
    ) -> None:
        """An item set to excluded loses its tier; an included one needs one."""
        entity, _ = self.doc.entities[SHEET_MATRIX][key]
        if entity.get("status") != "excluded" or "tier" not in entity:
            return
        if "tier" in row.flagged:
            return
        reviewer_tier = row.parsed.get("tier")
        if reviewer_tier is None or _same(reviewer_tier, field_value(base, "tier")):
            # The reviewer set the status to excluded and left the tier: it goes with it.
            tier = entity["tier"]
            writable = self.doc.writable(SHEET_MATRIX, key)
            writable.pop("tier", None)
            if reviewer_tier is not None:
                self.notice(
                    self.cell(table.sheet, row, "tier"), self.say("tier-cleared", tier=self.quote(tier))
                )
        else:
            header = self.quote(table.column("tier").header)
            self.problem(
                self.cell(table.sheet, row, "tier"),
                self.say("excluded-with-tier", header=header),
                "excluded-with-tier",
            )

    def _apply(self, name: str, key: str, field_key: str, value: Any, row: SheetRow) -> None:
        entity, container = self.doc.entities[name][key]
        if field_key == "category":
            if value is None:
                return  # an empty category was reported when the row was read
            source = self.doc.category(str(container))
            source["items"] = [item for item in source["items"] if item is not entity]
            target = self.doc.category(str(value))
            target["items"].append(entity)  # placed by place_items
            self.doc.entities[name][key] = (entity, str(value))
            self.arrived.add(key)
            return
        entity = self.doc.writable(name, key)
        before = set(entity)
        set_path(entity, field_key, value)
        if set(entity) - before:
            _reorder(entity, _orders()[name])

    def _emptied_categories(self) -> None:
        """A category left with no item: said at the cells that emptied it."""
        for category_id, (category, _) in self.doc.entities[SHEET_CATEGORIES].items():
            if category["items"]:
                continue
            keys = (
                [item["id"] for item in self.current_entities[SHEET_CATEGORIES][category_id][0]["items"]]
                if category_id in self.current_entities[SHEET_CATEGORIES]
                else []
            )
            cells = [self.deleted_cells[k] for k in keys if k in self.deleted_cells]
            rows = [
                str(self.row_of[(SHEET_MATRIX, k)].number) for k in keys if (SHEET_MATRIX, k) in self.row_of
            ]
            where = cells[0] if cells else self.say("row-removed-cell", sheet=SHEET_MATRIX, key=category_id)
            self.problem(
                where,
                self.say("category-emptied", category=self.quote(category_id), rows=", ".join(rows) or "—"),
                "category-emptied",
            )

    def _new(self, table: Table, row: SheetRow) -> None:
        name = table.sheet
        if name != SHEET_MATRIX:
            what = rows_word(
                self.lang,
                {
                    SHEET_CATEGORIES: "categories",
                    SHEET_CONDITIONS: "conditions",
                    SHEET_VOCABULARY: "vocabulary",
                }.get(name, "terms"),
            )
            self.problem(self.cell(name, row, "id"), self.say("row-added", what=what), "row-added")
            return
        if row.parsed.get("status") == DELETED:
            return
        category = row.parsed.get("category")
        french = row.parsed.get("text.fr")
        if category is None or french is None or row.parsed.get("status") is None:
            return  # reported when the row was read
        key = review_key(
            self.review.export if self.review else "", name, [row.cells.get(c.key) for c in table.stored]
        )
        known = self._reviewed().get(key)
        if known is not None:
            row.key = known
            self.row_of[(SHEET_MATRIX, known)] = row
            self.notice(self.cell(name, row, "id"), self.say("already-added", key=self.quote(known)))
            return
        taken = set(self.doc.entities[SHEET_MATRIX]) | set(self.base_entities[SHEET_MATRIX])
        item_id = new_item_id(str(category), str(french), taken)
        target = self.doc.category(str(category))
        review = self.review or ReviewSource("", "", "")
        provenance: dict[str, Any] = {
            "review": {
                "workbook": review.workbook,
                "sheet": name,
                "row": row.number,
                "date": review.date,
                "key": key,
            }
        }
        item: dict[str, Any] = {"id": item_id}
        for column in table.compared:
            if column.key in ("id", "category") or column.key in row.flagged:
                continue
            if row.parsed.get(column.key) is not None:
                set_path(item, column.key, row.parsed[column.key])
        if item.get("status") == "excluded":
            item.pop("tier", None)
        item["provenance"] = provenance
        _reorder(item, _orders()[SHEET_MATRIX])
        target["items"].append(item)
        self.doc.own(item)
        self.doc.entities[SHEET_MATRIX][item_id] = (item, str(category))
        self.arrived.add(item_id)
        row.key = item_id
        self.row_of[(SHEET_MATRIX, item_id)] = row
        where = self.say(
            "review-where", workbook=review.workbook, sheet=name, row=row.number, date=review.date
        )
        self.notice(
            self.cell(name, row, "id"),
            self.say("new-item", key=self.quote(item_id), category=self.quote(category), where=where),
        )

    def _reviewed(self) -> dict[str, str]:
        """The items earlier imports added, by their review key."""
        cached: dict[str, str] | None = getattr(self, "_reviewed_cache", None)
        if cached is None:
            cached = {}
            for entity, _ in self.current_entities[SHEET_MATRIX].values():
                found = entity.get("provenance", {}).get("review", {}).get("key")
                if isinstance(found, str):
                    cached[found] = entity["id"]
            self._reviewed_cache = cached
        return cached


def colon(lang: str) -> str:
    """':' as the language writes it before a message (French puts a space before it)."""
    return " :" if lang != "en" else ":"
