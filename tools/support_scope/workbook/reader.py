"""Reading a review workbook's sheets into rows: every cell normalised and checked, every problem
collected with its ``Sheet!A1``; and its hidden metadata sheet."""

from __future__ import annotations

import json
import re
import unicodedata
import zlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from support_scope.errors import InputError, WorkbookError
from support_scope.model.conditions import parse_expression
from support_scope.model.vocab import BILLING_KINDS, TERM_KINDS
from support_scope.problems import Problem
from support_scope.project import check_id
from support_scope.workbook.layout import (
    DELETED,
    FORMAT,
    ROW_STATUSES,
    SHEET_CATEGORIES,
    SHEET_CONDITIONS,
    SHEET_MATRIX,
    SHEET_META,
    SHEET_TERMS,
    Column,
    SyntaxProblem,
    Table,
    Value,
    checksum,
    condition_key,
    parse_ids,
    parse_see,
)
from support_scope.workbook.result import Comment
from support_scope.workbook.safety import Cell
from support_scope.workbook.snapshot import unpack

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
_SURROGATE = re.compile("[\ud800-\udfff]")
_CHUNK_NUMBER = re.compile(r"[0-9]{1,6}")
_CHOICE_NAMES = {
    "statuses": "status",
    "tiers": "tier",
    "categories": "category",
    "billing": "billing kind",
    "term_kinds": "term kind",
}


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

    def read(
        self,
        rows: Iterator[tuple[int, list[Cell]]],
        table: Table,
        merged: list[str],
        merged_count: int | None = None,
    ) -> list[SheetRow]:
        from openpyxl.utils import get_column_letter

        name = table.sheet
        for ref in merged:
            self.problem(
                f"{name}!{ref}", "merged cells where values are expected; unmerge them", "merged-cell"
            )
        if merged_count is not None and merged_count > len(merged):
            self.problem(
                f"{name}!A1",
                f"and {merged_count - len(merged):,} more merged ranges in this sheet; unmerge them",
                "merged-cell",
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
        text = str(value)
        surrogate = _SURROGATE.search(text)
        if surrogate is not None:
            self.problem(
                coordinate,
                f"the text holds _x{ord(surrogate.group(0)):04X}_, which stands for no character "
                "(half of a UTF-16 pair); remove it",
                "cell-type",
            )
            return None
        return normalise_text(text)

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
            "statuses": ROW_STATUSES,
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
        if any(kind == "f" for _, kind, _ in cells):
            raise WorkbookError(f"{display}: {SHEET_META}!{number}: a formula on the hidden sheet; refused")
        record = {position: str(value) for position, _, value in cells}
        kind, key, value = record.get(1, ""), record.get(2, ""), record.get(3, "")
        if kind in chunks:
            # ASCII digits only ("²".isdigit() is true, and int() refuses it)
            if not _CHUNK_NUMBER.fullmatch(key):
                raise WorkbookError(
                    f"{display}: {SHEET_META}!B{number}: {key[:20]!r} is not a chunk number; the "
                    f"{SHEET_META} sheet is damaged: export the workbook again"
                )
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
    except (ValueError, zlib.error, RecursionError) as e:
        raise WorkbookError(f"{display}: the {SHEET_META} sheet's checksums are damaged ({e})") from e
    if not isinstance(sums, dict) or not all(
        isinstance(by_key, dict) and all(isinstance(v, str) for v in by_key.values())
        for by_key in sums.values()
    ):
        raise WorkbookError(f"{display}: the {SHEET_META} sheet's checksums are damaged (not a table)")
    try:
        check_id(values[("policy", "id")])
    except InputError as e:
        raise WorkbookError(
            f"{display}: {SHEET_META}: the workbook's {e}; the sheet was edited: export the workbook again"
        ) from e
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
