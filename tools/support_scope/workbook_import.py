"""Import a reviewed workbook back into its policy: safely, losslessly, aware of conflicts.

The pipeline: the raw archive is checked, then its cells are read straight from the sheet XML
(:mod:`support_scope.xlsx_safety`); every cell is normalised (Unicode NFC, ``\\n`` line
ends, no surrounding white space) and checked, every problem collected with its ``Sheet!A1``;
then a three-way merge field by field, between the policy as exported (the snapshot on the
hidden metadata sheet), the policy as it is now, and the reviewer's workbook:

- the reviewer left a field as exported: the current value stays (even if it changed since);
- only the reviewer changed it: the reviewer's value is applied;
- both changed it differently: a conflict, listed with its cell and the three values.

The result is validated, and written (atomically) only when there is no problem, no conflict,
and the caller did not ask for a dry run. What the workbook does not show (provenance, groups,
notes, facts, tiers, plans, ...) is kept as it is in the current policy.
"""

from __future__ import annotations

import copy
import json
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from support_scope.errors import InputError, WorkbookError
from support_scope.files import dump_json, paused_gc, read_json, read_text, write_atomic
from support_scope.result import Problem
from support_scope.workbook import (
    BILLING_KINDS,
    DELETED,
    ELIGIBILITY_SCOPE,
    FORMAT,
    SHEET_CATEGORIES,
    SHEET_CONDITIONS,
    SHEET_MATRIX,
    SHEET_META,
    SHEET_TERMS,
    STATUSES,
    TERM_KINDS,
    Column,
    SyntaxProblem,
    Table,
    Value,
    checksum,
    condition_key,
    conditions_shown,
    decode_snapshot,
    get_path,
    parse_expression,
    parse_ids,
    parse_see,
    snapshot_digest,
    tables,
    unpack,
)
from support_scope.xlsx_safety import MAX_ROWS, ArchiveReport, Cell, check_archive, iter_rows, shared_strings

if TYPE_CHECKING:
    from support_scope.diff import Diff

_ITEM_ORDER = (
    "id",
    "status",
    "tier",
    "text",
    "group",
    "referrals",
    "billing",
    "see",
    "provenance",
    "source_note",
)
_ORDERS = {
    SHEET_MATRIX: _ITEM_ORDER,
    SHEET_CATEGORIES: ("id", "title", "conditions", "groups", "notes", "items", "provenance", "source_note"),
    SHEET_CONDITIONS: ("id", "text", "test", "provenance", "source_note"),
    SHEET_TERMS: ("id", "kind", "text", "limits", "billing", "referrals", "provenance", "source_note"),
}
_EDITABLE = (SHEET_MATRIX, SHEET_CATEGORIES, SHEET_CONDITIONS, SHEET_TERMS)
_MISSING = object()  # an entity absent from a document
# The cells the schema requires in every row (a deleted row aside), and why.
_FRENCH = "French is the authoritative language; its text is required"
_REQUIRED = {
    SHEET_MATRIX: (
        ("category", "every row needs one"),
        ("status", "included, excluded, or deleted to remove the row"),
        ("text.fr", _FRENCH),
    ),
    SHEET_CATEGORIES: (("title.fr", _FRENCH),),
    SHEET_CONDITIONS: (("text.fr", _FRENCH),),
    SHEET_TERMS: (("kind", "every term needs one"), ("text.fr", _FRENCH)),
}
_CHOICE_NAMES = {
    "statuses": "status",
    "tiers": "tier",
    "categories": "category",
    "billing": "billing kind",
    "term_kinds": "term kind",
}


@dataclass(frozen=True)
class Conflict:
    """A cell changed both by the reviewer and in the policy since the export."""

    cell: str
    key: str
    column: str
    exported: Any
    current: Any
    reviewer: Any

    def __str__(self) -> str:
        return (
            f"{self.cell} ({self.key}, {self.column}): at export {show_value(self.exported)}; "
            f"now {show_value(self.current)}; reviewer {show_value(self.reviewer)}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "cell": self.cell,
            "id": self.key,
            "column": self.column,
            "exported": self.exported,
            "current": self.current,
            "reviewer": self.reviewer,
        }


def show_value(value: Any) -> str:
    """A cell value for a message: quoted text, JSON for the rest, "(empty)" or "(row absent)"."""
    if value is _MISSING or value is None:
        return "(empty)" if value is None else "(row absent)"
    if isinstance(value, str):
        return repr(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class Comment:
    cell: str
    key: str | None
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"cell": self.cell, "id": self.key, "text": self.text}


@dataclass
class ImportResult:
    """Everything an import found and did; the command renders it."""

    workbook: str
    policy: str
    problems: list[Problem] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    exported_version: str | None = None
    stale: bool = False
    policy_invalid: bool = False  # the policy was not valid before the import: nothing merged
    old: dict[str, Any] | None = None
    new: dict[str, Any] | None = None
    written: bool = False
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems and not self.conflicts

    @property
    def changed(self) -> bool:
        return self.old is not None and self.new is not None and self.old != self.new

    def diff(self) -> Diff | None:
        """The classified diff from the current policy to the imported one (None when not computed)."""
        if not self.ok or self.old is None or self.new is None:
            return None
        from support_scope.diff import diff_documents

        return diff_documents(self.old, self.new)

    def to_json(self) -> dict[str, Any]:
        diff = self.diff()
        return {
            "workbook": self.workbook,
            "policy": self.policy,
            "ok": self.ok,
            "changed": self.changed,
            "written": self.written,
            "dry_run": self.dry_run,
            "stale": self.stale,
            "policy_valid": not self.policy_invalid,
            "exported_version": self.exported_version,
            "problems": [p.to_json() for p in self.problems],
            "conflicts": [c.to_json() for c in self.conflicts],
            "comments": [c.to_json() for c in self.comments],
            "notices": list(self.notices),
            "diff": diff.to_json() if diff is not None else None,
        }


# --------------------------------------------------------------------------- reading cells


def normalise_text(text: str) -> str | None:
    """A cell's text as the policy keeps it: NFC, ``\\n`` line ends, trimmed; None when empty."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text).strip()
    return text or None


@dataclass(slots=True)
class SheetRow:
    number: int
    key: str | None
    cells: dict[str, Value]  # normalised cell values, by column key
    parsed: dict[str, Any]  # policy values, by column key (only for touched rows)
    positions: dict[str, int]  # column key -> 1-based column in this workbook
    touched: bool = True  # False when the row's checksum is the exported one


class _Reader:
    """Reads the editable sheets into rows, collecting every problem with its cell."""

    def __init__(
        self,
        display: str,
        layout: dict[str, Table],
        tiers: set[str],
        categories: set[str],
        checksums: dict[str, dict[str, str]],
    ) -> None:
        self.display = display
        self.checksums = checksums
        self.layout = layout
        self.tiers = tiers
        self.categories = categories
        self.problems: list[Problem] = []
        self.comments: list[Comment] = []
        self.flagged: set[str] = set()  # the cells a problem names

    def problem(self, cell: str, message: str, rule: str) -> None:
        self.problems.append(Problem(self.display, message, rule, cell=cell))
        self.flagged.add(cell)

    def read(self, rows: Iterator[tuple[int, list[Cell]]], table: Table, merged: list[str]) -> list[SheetRow]:
        from openpyxl.utils import get_column_letter

        name = table.sheet
        for ref in merged:
            self.problem(
                f"{name}!{ref}", "merged cells where values are expected; unmerge them", "merged-cell"
            )
        first = next(rows, None)
        header = first[1] if first is not None and first[0] == 1 else []
        positions: dict[str, int] = {}
        by_header = {column.header: column for column in table.columns}
        extra: set[int] = set()
        for position, _, value in header:
            text = normalise_text(str(value)) or ""
            column = by_header.get(text)
            coordinate = f"{name}!{get_column_letter(position)}1"
            if column is None:
                extra.add(position)
                self.problem(
                    coordinate,
                    f"column {text!r} is not part of the export; move its content to the reviewer comment column",
                    "unknown-column",
                )
            elif column.key in positions:
                self.problem(coordinate, f"column {text!r} appears twice", "duplicate-column")
            else:
                positions[column.key] = position
        for column in table.columns:
            if column.key not in positions:
                self.problem(
                    f"{name}!A1",
                    f"column {column.header!r} is missing (headers are not to be edited)",
                    "missing-column",
                )
        if any(column.key not in positions for column in table.columns if column.compared):
            return []
        keys_at = {position: key for key, position in positions.items()}
        result: list[SheetRow] = []
        data_rows = rows if first is None or first[0] == 1 else _chain(first, rows)
        for number, cells in data_rows:
            raw: dict[str, Any] = {}
            for position, kind, value in cells:
                if kind == "f":
                    self.problem(
                        f"{name}!{get_column_letter(position)}{number}",
                        f"a formula ({str(value)[:40]}); formulas are refused, write the value as text",
                        "formula",
                    )
                    continue
                if position in extra:
                    continue
                key = keys_at.get(position)
                if key is not None:
                    raw[key] = (kind, value, f"{name}!{get_column_letter(position)}{number}")
                else:
                    self.problem(
                        f"{name}!{get_column_letter(position)}{number}",
                        "a value outside the exported columns; move it to the reviewer comment column",
                        "unknown-column",
                    )
            if not raw:
                continue
            row = self._row(table, number, raw, positions)
            if row is not None:
                result.append(row)
        return result

    def _row(
        self, table: Table, number: int, raw: dict[str, Any], positions: dict[str, int]
    ) -> SheetRow | None:
        cells: dict[str, Value] = {}
        for column in table.columns:
            if column.key in raw:
                kind, value, coordinate = raw[column.key]
                cells[column.key] = self._cell_value(column, kind, value, coordinate)
            else:
                cells[column.key] = None
        comment = cells.pop("comment", None)
        key = cells.get("id")
        if table.sheet == SHEET_CONDITIONS and key is not None:
            key = condition_key(str(cells.get("scope") or ""), str(key))
        if comment is not None:
            self.comments.append(
                Comment(raw["comment"][2], str(key) if key is not None else None, str(comment))
            )
        if all(cells[column.key] is None for column in table.compared):
            return None  # an empty row (its comment, if any, is kept above)
        exported = self.checksums.get(table.sheet, {}).get(str(key)) if key is not None else None
        if exported is not None and checksum([cells[column.key] for column in table.stored]) == exported:
            # Untouched: its values are the exported ones, known valid. Keep only what placing
            # the row needs (memory: a 10,000-category matrix has 170,000 rows).
            kept = {"category": cells["category"]} if "category" in cells else {}
            return SheetRow(number, str(key), kept, {}, positions, touched=False)
        parsed: dict[str, Any] = {}
        for column in table.columns:
            value = cells.get(column.key)
            if column.key != "comment":
                parsed[column.key] = (
                    self._parse(column, value, raw[column.key][2]) if value is not None else None
                )
        if parsed.get("status") != DELETED:
            self._required(table, number, cells, positions)
        return SheetRow(number, str(key) if key is not None else None, cells, parsed, positions)

    def _required(
        self, table: Table, number: int, cells: dict[str, Value], positions: dict[str, int]
    ) -> None:
        """An empty cell every row needs is a problem here, with the others, not after the merge."""
        from openpyxl.utils import get_column_letter

        for key, reason in _REQUIRED[table.sheet]:
            coordinate = f"{table.sheet}!{get_column_letter(positions[key])}{number}"
            if cells.get(key) is None and coordinate not in self.flagged:
                self.problem(coordinate, f"{table.column(key).header!r} is empty ({reason})", "schema")

    def _cell_value(self, column: Column, kind: str, value: Any, coordinate: str) -> Value:
        if kind not in ("s", "n"):
            what = {"b": "a TRUE/FALSE value", "e": "an error value", "d": "a date"}.get(
                kind, f"a cell of type {kind!r}"
            )
            expected = "a whole number" if column.kind == "int" else "text"
            self.problem(coordinate, f"{what} where {expected} is expected", "cell-type")
            return None
        if column.kind == "int":
            if isinstance(value, float) and value.is_integer():
                return int(value)
            if isinstance(value, int):
                return value
            text = normalise_text(value) if isinstance(value, str) else None
            if isinstance(value, str) and text is None:
                return None
            if text is not None and re.fullmatch(r"[0-9]+", text):
                return int(text)
            self.problem(coordinate, f"expected a whole number, found {value!r}", "cell-type")
            return None
        if isinstance(value, float):
            value = str(int(value)) if value.is_integer() else repr(value)
        return normalise_text(str(value))

    def _parse(self, column: Column, value: Value, coordinate: str) -> Any:
        if column.kind == "int":
            return value
        text = str(value)
        try:
            if column.kind == "ids":
                return parse_ids(text) or None
            if column.kind == "see":
                return parse_see(text)
            if column.kind == "test":
                return parse_expression(text)
        except SyntaxProblem as e:
            self.problem(coordinate, f"cannot read {text!r}: {e}", "cell-syntax")
            return None
        allowed: Collection[str] | None = {
            "statuses": STATUSES,
            "billing": BILLING_KINDS,
            "term_kinds": TERM_KINDS,
            "tiers": self.tiers,
            "categories": self.categories,
        }.get(column.choices or "")
        if allowed is not None and text not in allowed:
            what = _CHOICE_NAMES.get(column.choices or "", "value")
            self.problem(
                coordinate,
                f"unknown {what} {text!r} (expected one of: {', '.join(sorted(allowed))})",
                f"unknown-{column.choices}",
            )
            return None
        return text


# --------------------------------------------------------------------------- the metadata sheet


@dataclass
class Meta:
    policy_id: str
    version: str
    languages: list[str]
    digest: str
    chunks: list[str]
    checksums: dict[str, dict[str, str]]  # sheet -> row key -> checksum, as the export packed them


def _read_meta(rows: Iterator[tuple[int, list[Cell]]], display: str) -> Meta:
    values: dict[tuple[str, str], str] = {}
    chunks: dict[str, dict[int, str]] = {"snapshot": {}, "checksums": {}}
    for number, cells in rows:
        if number == 1:
            continue
        record = {position: str(value) for position, _, value in cells}
        kind, key, value = record.get(1, ""), record.get(2, ""), record.get(3, "")
        if kind in chunks and key.isdigit():
            chunks[kind][int(key)] = value
        else:
            values[(kind, key)] = value
    if values.get(("format", "")) != FORMAT:
        found = values.get(("format", ""))
        raise WorkbookError(
            f"{display}: not a review workbook of this tool version (format {found!r}, expected {FORMAT!r})"
        )
    missing = [
        name for name in (("policy", "id"), ("policy", "version"), ("policy", "digest")) if name not in values
    ]
    if missing or any(not found or sorted(found) != list(range(len(found))) for found in chunks.values()):
        raise WorkbookError(f"{display}: the {SHEET_META} sheet is incomplete; export the workbook again")
    try:
        sums = json.loads(unpack([chunks["checksums"][i] for i in range(len(chunks["checksums"]))]))
    except (ValueError, zlib.error) as e:
        raise WorkbookError(f"{display}: the {SHEET_META} sheet's checksums are damaged ({e})") from e
    if not isinstance(sums, dict) or not all(isinstance(by_key, dict) for by_key in sums.values()):
        raise WorkbookError(f"{display}: the {SHEET_META} sheet's checksums are damaged (not a table)")
    return Meta(
        values[("policy", "id")],
        values[("policy", "version")],
        values.get(("policy", "languages"), "fr").split(","),
        values[("policy", "digest")],
        [chunks["snapshot"][i] for i in range(len(chunks["snapshot"]))],
        sums,
    )


def _chain(
    first: tuple[int, list[Cell]], rest: Iterator[tuple[int, list[Cell]]]
) -> Iterator[tuple[int, list[Cell]]]:
    yield first
    yield from rest


# --------------------------------------------------------------------------- the merge


def _entities(document: dict[str, Any]) -> dict[str, dict[str, tuple[dict[str, Any], str | None]]]:
    """Per sheet: key -> (entity, container id) in ``document``."""
    result: dict[str, dict[str, tuple[dict[str, Any], str | None]]] = {name: {} for name in _EDITABLE}
    for category in document["categories"]:
        result[SHEET_CATEGORIES][category["id"]] = (category, None)
        for item in category["items"]:
            result[SHEET_MATRIX][item["id"]] = (item, category["id"])
        for condition in category.get("conditions", []):
            result[SHEET_CONDITIONS][condition_key(category["id"], condition["id"])] = (
                condition,
                category["id"],
            )
    for condition in document["eligibility"].get("conditions", []):
        result[SHEET_CONDITIONS][condition_key(ELIGIBILITY_SCOPE, condition["id"])] = (
            condition,
            ELIGIBILITY_SCOPE,
        )
    for term in document["general_terms"]:
        result[SHEET_TERMS][term["id"]] = (term, None)
    return result


def _field(entity: tuple[dict[str, Any], str | None] | None, key: str) -> Any:
    if entity is None:
        return _MISSING
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


def _position(entries: list[Any], entity: Any) -> int:
    """Where ``entity`` itself (not an equal one) stands in ``entries``."""
    return next(index for index, entry in enumerate(entries) if entry is entity)


class _Merge:
    """The three-way merge. The merged document starts as a shallow copy of the current policy:
    it shares every category, item, condition and term with it, and an entity is copied (made
    the merged document's own) only when the merge changes it, with the containers on its way.
    A 10,000-category policy is some 230 MB of Python objects; a full copy of it was the
    largest part of an import's memory, for the 1% of it a review changes.
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
        self.current_entities = _entities(current)
        # Not stale: the policy is the exported one, and one index serves both.
        self.base_entities = self.current_entities if base is current else _entities(base)
        self.merged = dict(current)
        for key in ("categories", "general_terms"):
            self.merged[key] = list(current[key])
        self.merged_entities = {name: dict(entities) for name, entities in self.current_entities.items()}
        self._owned: set[int] = set()  # ids of the merged document's own (copied or new) containers
        self._category_at = {category["id"]: i for i, category in enumerate(self.merged["categories"])}
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
        for name in _EDITABLE:
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
        for name in _EDITABLE:
            self._sheet(self.layout[name])
        if self.problems or self.conflicts:
            return
        self._items_order()

    def _sheet(self, table: Table) -> None:
        name = table.sheet
        base = self.base_entities[name]
        current = self.current_entities[name]
        seen = self.seen[name]
        shown = {
            cid: conditions_shown(category)
            for cid, (category, _) in self.base_entities[SHEET_CATEGORIES].items()
        }
        for key in base:
            row = seen.get(key)
            if name == SHEET_MATRIX and row is not None and row.parsed.get("status") == DELETED:
                row = None
            if row is None:
                self._removed(table, key)
                continue
            if not row.touched:
                continue  # untouched: whatever the policy says now stays
            if name == SHEET_MATRIX and row.cells.get("conditions") != shown.get(str(base[key][1])):
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
        changed = [c for c in table.compared if c.key != "id" and _field(now, c.key) != _field(base, c.key)]
        if changed:
            for column in changed:
                self.conflicts.append(
                    Conflict(
                        f"{name} (row {key} removed)",
                        key,
                        column.header,
                        _field(base, column.key),
                        _field(now, column.key),
                        _MISSING,
                    )
                )
            return
        self.deleted_rows.add((name, key))
        self._delete(name, key)

    # copy on write: the merged document's own copy of what is about to change

    def _category(self, category_id: str) -> dict[str, Any]:
        """The merged category, its own: its fields copied, its item and condition lists new
        (the items and conditions in them still shared until they change)."""
        category, _ = self.merged_entities[SHEET_CATEGORIES][category_id]
        if id(category) in self._owned:
            return category
        fresh = {
            key: list(value) if key in ("items", "conditions") else copy.deepcopy(value)
            for key, value in category.items()
        }
        self.merged["categories"][self._category_at[category_id]] = fresh
        self.merged_entities[SHEET_CATEGORIES][category_id] = (fresh, None)
        self._owned.add(id(fresh))
        return fresh

    def _writable(self, name: str, key: str) -> dict[str, Any]:
        """The merged entity ``key`` of sheet ``name``, copied into the merged document if shared."""
        if name == SHEET_CATEGORIES:
            return self._category(key)
        entity, container = self.merged_entities[name][key]
        if id(entity) in self._owned:
            return entity
        fresh = copy.deepcopy(entity)
        if name == SHEET_MATRIX:
            entries = self._category(str(container))["items"]
        elif name == SHEET_CONDITIONS and container == ELIGIBILITY_SCOPE:
            eligibility = self.merged["eligibility"]
            if id(eligibility) not in self._owned:
                eligibility = self.merged["eligibility"] = dict(eligibility)
                eligibility["conditions"] = list(eligibility["conditions"])
                self._owned.add(id(eligibility))
            entries = eligibility["conditions"]
        elif name == SHEET_CONDITIONS:
            entries = self._category(str(container))["conditions"]
        else:
            entries = self.merged["general_terms"]
        entries[_position(entries, entity)] = fresh
        self.merged_entities[name][key] = (fresh, container)
        self._owned.add(id(fresh))
        return fresh

    def _delete(self, name: str, key: str) -> None:
        entity, container = self.merged_entities[name][key]
        if name == SHEET_MATRIX:
            category = self._category(str(container))
            category["items"] = [item for item in category["items"] if item is not entity]
        elif name == SHEET_TERMS:
            self.merged["general_terms"] = [
                term for term in self.merged["general_terms"] if term is not entity
            ]
        del self.merged_entities[name][key]

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
            exported = _field(base, column.key)
            reviewer = row.parsed.get(column.key)
            if _same(reviewer, exported) or (column.key == "status" and reviewer == DELETED):
                continue
            current = _field(now, column.key)
            if current == exported:
                self._apply(name, key, column.key, reviewer, row)
            elif current != reviewer:
                self.conflicts.append(
                    Conflict(
                        self.cell(name, row, column.key), key, column.header, exported, current, reviewer
                    )
                )

    def _apply(self, name: str, key: str, field_key: str, value: Any, row: SheetRow) -> None:
        entity, container = self.merged_entities[name][key]
        if field_key == "category":
            if value is None:
                return  # an empty category was reported when the row was read
            source = self._category(str(container))
            source["items"] = [item for item in source["items"] if item is not entity]
            target = self._category(str(value))
            target["items"].append(entity)  # placed by _items_order
            self.merged_entities[name][key] = (entity, str(value))
            return
        entity = self._writable(name, key)
        before = set(entity)
        set_path(entity, field_key, value)
        if set(entity) - before:
            _reorder(entity, _ORDERS[name])

    def _new(self, table: Table, row: SheetRow) -> None:
        name = table.sheet
        if name != SHEET_MATRIX:
            what = {
                SHEET_CATEGORIES: "categories",
                SHEET_CONDITIONS: "conditions",
                SHEET_TERMS: "general terms",
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
        taken = set(self.merged_entities[SHEET_MATRIX]) | set(self.base_entities[SHEET_MATRIX])
        item_id = new_item_id(str(category), str(french), taken)
        target = self._category(str(category))
        provenance = dict(target["provenance"])
        provenance["column"] = "included" if row.parsed.get("status") == "included" else "excluded"
        item: dict[str, Any] = {"id": item_id}
        for column in table.compared:
            if column.key not in ("id", "category") and row.parsed.get(column.key) is not None:
                set_path(item, column.key, row.parsed[column.key])
        item["provenance"] = provenance
        _reorder(item, _ITEM_ORDER)
        target["items"].append(item)
        self._owned.add(id(item))
        self.merged_entities[SHEET_MATRIX][item_id] = (item, str(category))
        row.key = item_id
        self.row_of[(SHEET_MATRIX, item_id)] = row
        self.notices.append(
            f"{self.cell(name, row, 'id')}: new item {item_id!r} in {category!r} "
            f"(provenance taken from the category: page {provenance['page']}, line {provenance['line']})"
        )

    def _items_order(self) -> None:
        """Place moved and new items, and apply a reordering the reviewer made."""
        review: dict[str, list[str]] = {}
        for row in self.rows[SHEET_MATRIX]:
            if row.key is None or (SHEET_MATRIX, row.key) in self.deleted_rows:
                continue
            if row.key in self.merged_entities[SHEET_MATRIX]:
                review.setdefault(str(row.cells.get("category")), []).append(row.key)
        base_order = {
            cid: [i["id"] for i in c["items"]] for cid, (c, _) in self.base_entities[SHEET_CATEGORIES].items()
        }
        current_order = {
            cid: [i["id"] for i in c["items"]]
            for cid, (c, _) in self.current_entities[SHEET_CATEGORIES].items()
        }
        for category_id, (category, _) in list(self.merged_entities[SHEET_CATEGORIES].items()):
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
                    next((k for k in reversed(sequence[:position]) if k in order), None)
                    if position > 0
                    else None
                )
                order.insert(
                    order.index(anchor) + 1 if anchor is not None else (0 if position == 0 else len(order)),
                    key,
                )
            for key in items:
                if key not in order:
                    order.append(key)
            if order != list(items):  # a category left in its order stays shared
                self._category(category_id)["items"] = [items[key] for key in order]

    # locating validation findings

    def locate(self, path: tuple[Any, ...]) -> str | None:
        sheet, key, rest = self._entity_at(path)
        if sheet is None or key is None:
            return None
        row = self.row_of.get((sheet, key))
        if row is None:
            return None
        table = self.layout[sheet]
        steps = [str(step) for step in rest if isinstance(step, str)]
        for length in range(len(steps), 0, -1):
            candidate = ".".join(steps[:length])
            for column in table.columns:
                if column.key == candidate or column.key.startswith(candidate + "."):
                    return self.cell(sheet, row, column.key)
        return self.cell(sheet, row, "id")

    def _entity_at(self, path: tuple[Any, ...]) -> tuple[str | None, str | None, tuple[Any, ...]]:
        doc = self.merged
        try:
            if path[:1] == ("categories",) and len(path) >= 2:
                category = doc["categories"][path[1]]
                if len(path) >= 4 and path[2] == "items":
                    return SHEET_MATRIX, category["items"][path[3]].get("id"), path[4:]
                if len(path) >= 4 and path[2] == "conditions":
                    condition = category["conditions"][path[3]]
                    return SHEET_CONDITIONS, condition_key(category["id"], condition.get("id")), path[4:]
                return SHEET_CATEGORIES, category.get("id"), path[2:]
            if path[:2] == ("eligibility", "conditions") and len(path) >= 3:
                condition = doc["eligibility"]["conditions"][path[2]]
                return SHEET_CONDITIONS, condition_key(ELIGIBILITY_SCOPE, condition.get("id")), path[3:]
            if path[:1] == ("general_terms",) and len(path) >= 2:
                return SHEET_TERMS, doc["general_terms"][path[1]].get("id"), path[2:]
        except (IndexError, KeyError, TypeError):
            pass
        return None, None, ()


# --------------------------------------------------------------------------- the whole import


def _untouched(rows: dict[str, list[SheetRow]], checksums: dict[str, dict[str, str]]) -> bool:
    """True when the workbook holds exactly the exported rows, none touched: nothing to do."""
    for name in _EDITABLE:
        exported = checksums.get(name, {})
        keys = [row.key for row in rows[name] if not row.touched]
        if len(keys) != len(rows[name]) or len(keys) != len(exported) or set(keys) != exported.keys():
            return False
    return True


def _refuse_invalid_policy(result: ImportResult, current: Any, policy: Path, policy_name: str) -> bool:
    """Validate the policy as it is now; when it is not valid, add its problems (located
    ``file:line:col $.path``, as ``validate`` locates them) to ``result`` and return True."""
    from support_scope.validate import document_findings, located_problems

    findings = document_findings(current)
    if not findings:
        return False
    # The text is read again only now: holding it through every import would cost its size.
    # Should the file have changed under us, the problems are located by JSON path only.
    result.problems.extend(located_problems(findings, read_text(policy, policy_name), policy_name))
    result.policy_invalid = True
    return True


def _open(
    workbook: Path, display: str, max_rows: int = MAX_ROWS
) -> tuple[zipfile.ZipFile, ArchiveReport, Meta]:
    """Check the archive, open it, and read its metadata sheet."""
    report = check_archive(workbook, display, max_rows=max_rows)
    archive = zipfile.ZipFile(workbook)
    try:
        if SHEET_META not in report.sheet_parts:
            raise WorkbookError(
                f"{display}: no {SHEET_META} sheet: not a workbook exported by `support-scope export-xlsx`"
            )
        report.strings = shared_strings(archive, display)
        meta = _read_meta(
            iter_rows(archive, report.sheet_parts[SHEET_META], report.strings, display, SHEET_META),
            display,
        )
    except BaseException:
        archive.close()
        raise
    return archive, report, meta


def workbook_policy_id(workbook: Path, display: str | None = None) -> str:
    """The id of the policy a review workbook was exported from (after the safety checks)."""
    name = display or str(workbook)
    archive, _, meta = _open(workbook, name)
    archive.close()
    return meta.policy_id


def import_workbook(
    workbook: Path,
    policy: Path,
    *,
    dry_run: bool = False,
    workbook_display: str | None = None,
    policy_display: str | None = None,
    max_rows: int = MAX_ROWS,
) -> ImportResult:
    """Import a reviewed workbook into ``policy``; write it (atomically) when all went well.

    A workbook that is unsafe or not a review workbook, or a policy that cannot be read, raises
    an :class:`InputError`; problems in the cells, conflicts and validation findings are collected
    in the result, and then nothing is written.
    """
    with paused_gc():
        return _import(workbook, policy, dry_run, workbook_display, policy_display, max_rows)


def _import(
    workbook: Path,
    policy: Path,
    dry_run: bool,
    workbook_display: str | None,
    policy_display: str | None,
    max_rows: int,
) -> ImportResult:
    from support_scope.validate import document_findings

    display = workbook_display or str(workbook)
    policy_name = policy_display or str(policy)
    result = ImportResult(display, policy_name, dry_run=dry_run)
    current = read_json(policy, policy_name)
    if not isinstance(current, dict):
        raise InputError(
            f"{policy_name}: not a policy document (a JSON object); run `support-scope validate`"
        )
    archive, report, meta = _open(workbook, display, max_rows)
    with archive:
        decode_snapshot(meta.chunks, meta.digest, parse=False)  # a damaged workbook is refused at once
        if meta.policy_id != current.get("id"):
            raise WorkbookError(
                f"{display}: the workbook is for policy {meta.policy_id!r}, not {current.get('id')!r} ({policy_name})"
            )
        result.exported_version = meta.version
        result.stale = snapshot_digest(current) != meta.digest
        layout = tables(meta.languages)
        try:
            tiers = {tier["id"] for tier in current["tiers"]}
            categories = {category["id"] for category in current["categories"]}
        except (KeyError, TypeError) as e:
            if _refuse_invalid_policy(result, current, policy, policy_name):
                return result
            raise InputError(
                f"{policy_name}: the policy is not valid ({type(e).__name__}: {e}); run `support-scope validate`"
            ) from e
        reader = _Reader(display, layout, tiers, categories, meta.checksums)
        rows: dict[str, list[SheetRow]] = {}
        for name in _EDITABLE:
            if name not in report.sheet_parts:
                reader.problem(
                    f"{name}!A1",
                    f"the sheet {name!r} is missing (sheets are not to be renamed or removed)",
                    "missing-sheet",
                )
                rows[name] = []
                continue
            sheet_rows = iter_rows(archive, report.sheet_parts[name], report.strings, display, name)
            rows[name] = reader.read(sheet_rows, layout[name], report.merged.get(name, []))
    result.problems.extend(reader.problems)
    result.comments.extend(reader.comments)
    if not result.problems and _untouched(rows, meta.checksums):
        result.old = result.new = current  # nothing to merge: the policy stays as it is, byte for byte
        return result
    # What is wrong in the policy already is the maintainer's to fix, in the policy file: blamed
    # on the workbook cells the merge maps it to, it would send the reviewer after a cell they
    # never touched. Only a valid policy is merged onto, so what the result's validation finds
    # afterwards was brought by the edits.
    if _refuse_invalid_policy(result, current, policy, policy_name):
        return result
    # Not stale: the exported policy is the current one (same digest), not to be decoded again.
    base = decode_snapshot(meta.chunks, meta.digest) if result.stale else current
    try:
        merge = _Merge(display, layout, base, current, rows)
    except (KeyError, TypeError, AttributeError, IndexError) as e:
        raise InputError(
            f"{policy_name}: the policy is not valid ({type(e).__name__}: {e}); run `support-scope validate`"
        ) from e
    if result.problems:
        merge.index()  # still report edited and repeated ids: every problem at once
        result.problems.extend(merge.problems)
        return result
    merge.run()
    result.problems.extend(merge.problems)
    result.conflicts.extend(merge.conflicts)
    result.notices.extend(merge.notices)
    if not result.ok:
        return result
    result.old, result.new = current, merge.merged
    if not result.changed:
        return result  # the policy stays as it is, byte for byte
    for finding in document_findings(merge.merged):
        cell = merge.locate(finding.path)
        path = None if cell else finding.path
        result.problems.append(Problem(display, finding.message, finding.rule, path=path, cell=cell))
    if result.ok and result.changed and not dry_run:
        write_atomic(policy, dump_json(merge.merged).encode("utf-8"))
        result.written = True
    return result
