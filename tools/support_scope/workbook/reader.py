"""Reading a review workbook's sheets into rows: every cell normalised and checked, every problem
collected with its ``Sheet!A1``; and its hidden metadata sheet."""

from __future__ import annotations

import json
import re
import unicodedata
import zlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from support_scope.errors import InputError, WorkbookError
from support_scope.model.conditions import parse_expression
from support_scope.model.vocab import BILLING_KINDS, CONDITION_FAILURES, TERM_KINDS, VOCABULARY_KINDS
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
    SHEET_VOCABULARY,
    Column,
    SyntaxProblem,
    Table,
    Value,
    checksum,
    condition_key,
    parse_flag,
    parse_ids,
    parse_see,
    parse_words,
)
from support_scope.workbook.result import Comment
from support_scope.workbook.safety import Cell
from support_scope.workbook.snapshot import unpack
from support_scope.workbook.words import languages, listing, quote, reason, say, what

# The cells every row needs (a deleted row aside), and the reason given when one is empty.
_REQUIRED = {
    SHEET_MATRIX: (("category", "category"), ("status", "status"), ("text.fr", "french")),
    SHEET_CATEGORIES: (("title.fr", "french"),),
    SHEET_CONDITIONS: (("text.fr", "french"),),
    SHEET_TERMS: (("kind", "term-kind"), ("text.fr", "french")),
    SHEET_VOCABULARY: (("kind", "vocabulary-kind"),),
}
_SURROGATE = re.compile("[\ud800-\udfff]")
_CHUNK_NUMBER = re.compile(r"[0-9]{1,6}")
# The language maps every row of a sheet has (the others are optional: source notes, billing notes).
_REQUIRED_MAPS = {
    SHEET_MATRIX: ("text",),
    SHEET_CATEGORIES: ("title",),
    SHEET_CONDITIONS: ("text",),
    SHEET_TERMS: ("text",),
    SHEET_VOCABULARY: (),  # a group's terms are lists by language, any language; its note optional
}


def normalise_text(text: str) -> str | None:
    """A cell's text as the policy keeps it: NFC, ``\n`` line ends, trimmed; None when empty."""
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
    flagged: set[str] = field(default_factory=set)  # columns whose cell has a problem: not merged


def shown(kind: str, value: Any, lang: str) -> str:
    """What a cell that is not text shows, as well as the file tells it (dates as YYYY-MM-DD)."""
    if kind == "b":
        true = str(value).strip().lower() in ("1", "true")
        return ("TRUE" if true else "FALSE") if lang == "en" else ("VRAI" if true else "FAUX")
    if kind in ("d", "t") and isinstance(value, (int, float)) and not isinstance(value, bool):
        when = datetime(1899, 12, 30) + timedelta(days=float(value))
        if kind == "t":
            return when.strftime("%H:%M:%S" if when.second else "%H:%M")
        return when.strftime("%Y-%m-%d" if when.time() == time() else "%Y-%m-%d %H:%M")
    if kind == "d" and isinstance(value, str):
        return value.removesuffix("T00:00:00")
    if kind == "t" and isinstance(value, str):
        found = re.fullmatch(r"PT(\d+)H(\d+)M(\d+(?:\.\d+)?)S", value)
        if found:
            hours, minutes, seconds = int(found.group(1)), int(found.group(2)), float(found.group(3))
            return f"{hours:02d}:{minutes:02d}" + (f":{int(seconds):02d}" if seconds else "")
        return value
    if kind == "p" and isinstance(value, (int, float)):
        text = f"{value * 100:.10g}"
        return (text if lang == "en" else text.replace(".", ",")) + " %"
    if isinstance(value, float):
        text = f"{value:.15g}"
        return text if lang == "en" else text.replace(".", ",")
    return str(value)


class _Reader:
    """Reads the editable sheets into rows, collecting every problem with its cell."""

    def __init__(
        self,
        display: str,
        layout: dict[str, Table],
        tiers: set[str],
        categories: set[str],
        checksums: dict[str, dict[str, str]],
        lang: str = "fr",
        languages: tuple[str, ...] = ("fr",),
        kinds: set[str] | None = None,
    ) -> None:
        self.display = display
        self.checksums = checksums
        self.layout = layout
        self.tiers = tiers
        self.categories = categories
        self.lang = lang
        self.languages = languages
        self.kinds = kinds or set()
        self.problems: list[Problem] = []
        self.comments: list[Comment] = []
        self.flagged: set[str] = set()  # the cells a problem names
        self.keys: dict[str, dict[int, str | None]] = {}  # sheet -> row number -> the row's key
        self.positions: dict[str, dict[str, int]] = {}  # sheet -> column key -> its column
        self.unread: set[str] = set()  # sheets whose headers could not be matched: not merged

    def say(self, message: str, /, **fields: object) -> str:
        return say(self.lang, message, **fields)

    def quote(self, text: object) -> str:
        return quote(self.lang, text)

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
        self.keys[name] = {}
        for ref in merged:
            self.problem(f"{name}!{ref}", self.say("merged-cell"), "merged-cell")
        if merged_count is not None and merged_count > len(merged):
            self.problem(
                f"{name}!A1", self.say("merged-more", count=f"{merged_count - len(merged):,}"), "merged-cell"
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
                    coordinate, self.say("unknown-column", header=self.quote(text)), "unknown-column"
                )
            elif column.key in positions:
                self.problem(
                    coordinate, self.say("duplicate-column", header=self.quote(text)), "duplicate-column"
                )
            else:
                positions[column.key] = position
        for column in table.columns:
            if column.key not in positions:
                self.problem(
                    f"{name}!A1",
                    self.say("missing-column", header=self.quote(column.header)),
                    "missing-column",
                )
        self.positions[name] = positions
        if any(column.key not in positions for column in table.columns if column.compared):
            self.unread.add(name)
            return []
        keys_at = {position: key for key, position in positions.items()}
        result: list[SheetRow] = []
        data_rows = rows if first is None or first[0] == 1 else _chain(first, rows)
        for number, cells in data_rows:
            raw: dict[str, Any] = {}
            for position, kind, value in cells:
                coordinate = f"{name}!{get_column_letter(position)}{number}"
                if kind == "f":
                    self.problem(coordinate, self.say("formula", formula=str(value)[:40]), "formula")
                    raw.setdefault(keys_at.get(position, ""), ("f", None, coordinate))
                    continue
                if position in extra:
                    continue
                key = keys_at.get(position)
                if key is not None:
                    raw[key] = (kind, value, coordinate)
                else:
                    self.problem(coordinate, self.say("outside-columns"), "unknown-column")
            raw.pop("", None)
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
        flagged: set[str] = set()
        for column in table.columns:
            if column.key in raw:
                kind, value, coordinate = raw[column.key]
                if kind == "f":  # reported as a formula
                    cells[column.key] = None
                    flagged.add(column.key)
                    continue
                cells[column.key], ok = self._cell_value(column, kind, value, coordinate)
                if not ok:
                    flagged.add(column.key)
            else:
                cells[column.key] = None
        comment = cells.pop("comment", None)
        key = cells.get("id")
        if table.sheet == SHEET_CONDITIONS and key is not None:
            key = condition_key(str(cells.get("scope") or ""), str(key))
        self.keys[table.sheet][number] = str(key) if key is not None else None
        if comment is not None:
            self.comments.append(
                Comment(
                    raw["comment"][2],
                    str(key) if key is not None else None,
                    str(comment),
                    column=table.column("comment").header,
                    sheet=table.sheet,
                    row=number,
                )
            )
        if not flagged and all(cells[column.key] is None for column in table.compared):
            return None  # an empty row (its comment, if any, is kept above)
        exported = self.checksums.get(table.sheet, {}).get(str(key)) if key is not None else None
        if (
            exported is not None
            and not flagged
            and checksum([cells[key] for key in table.stored_keys]) == exported
        ):
            # Untouched: its values are the exported ones, known valid. Keep only what placing
            # the row needs (memory: a 10,000-category matrix has 170,000 rows).
            kept = {"category": cells["category"]} if "category" in cells else {}
            return SheetRow(number, str(key), kept, {}, positions, touched=False)
        parsed: dict[str, Any] = {}
        for column in table.columns:
            value = cells.get(column.key)
            if column.key != "comment" and column.key not in flagged:
                result = self._parse(column, value, raw[column.key][2]) if value is not None else None
                if value is not None and result is None:
                    flagged.add(column.key)
                parsed[column.key] = result
        row = SheetRow(
            number, str(key) if key is not None else None, cells, parsed, positions, flagged=flagged
        )
        if parsed.get("status") != DELETED:
            self._required(table, row)
        return row

    def cell(self, table: Table, row: SheetRow, key: str) -> str:
        from openpyxl.utils import get_column_letter

        return f"{table.sheet}!{get_column_letter(row.positions[key])}{row.number}"

    def _required(self, table: Table, row: SheetRow) -> None:
        """Empty cells a row needs are problems here, with the others, in the reviewer's words."""
        cells = row.cells
        for key, why in _REQUIRED[table.sheet]:
            if cells.get(key) is None and key not in row.flagged:
                self._flag(
                    table,
                    row,
                    key,
                    self.say(
                        "required", header=self.quote(table.column(key).header), reason=reason(self.lang, why)
                    ),
                    "required",
                )
        required_maps = _REQUIRED_MAPS[table.sheet]
        for prefix in ("text", "title", "source_note", "billing.text", "note"):
            present = [lang for lang in self.languages if table.has(f"{prefix}.{lang}")]
            if not present:
                continue
            filled = [lang for lang in present if cells.get(f"{prefix}.{lang}") is not None]
            if not filled and prefix not in required_maps:
                continue
            for lang in present:
                key = f"{prefix}.{lang}"
                if lang != "fr" and cells.get(key) is None and key not in row.flagged:
                    message = self.say(
                        "missing-language",
                        header=self.quote(table.column(key).header),
                        languages=languages(self.lang, self.languages),
                    )
                    self._flag(table, row, key, message, "missing-language")
            if (
                prefix in ("billing.text", "note")
                and filled
                and "fr" not in filled
                and f"{prefix}.fr" not in row.flagged
            ):
                header = self.quote(table.column(f"{prefix}.fr").header)
                self._flag(
                    table,
                    row,
                    f"{prefix}.fr",
                    self.say("required", header=header, reason=reason(self.lang, "french")),
                    "required",
                )
        if table.has("billing.kind") and "billing.kind" not in row.flagged:
            billing_kind = cells.get("billing.kind")
            others = [
                cells.get(c.key)
                for c in table.columns
                if c.key.startswith("billing.") and c.key != "billing.kind"
            ]
            if billing_kind is None and any(value is not None for value in others):
                header = self.quote(table.column("billing.kind").header)
                self._flag(
                    table, row, "billing.kind", self.say("billing-needs-kind", header=header), "required"
                )
            elif (
                billing_kind is not None
                and cells.get("billing.text.fr") is None
                and "billing.text.fr" not in row.flagged
            ):
                header = self.quote(table.column("billing.text.fr").header)
                self._flag(
                    table,
                    row,
                    "billing.text.fr",
                    self.say("required", header=header, reason=reason(self.lang, "billing-text")),
                    "required",
                )
        if (
            table.sheet == SHEET_MATRIX
            and row.parsed.get("status") == "included"
            and cells.get("tier") is None
            and "tier" not in row.flagged
        ):
            self._flag(table, row, "tier", self.say("included-without-tier"), "required")

    def _flag(self, table: Table, row: SheetRow, key: str, message: str, rule: str) -> None:
        coordinate = self.cell(table, row, key)
        if coordinate not in self.flagged:
            self.problem(coordinate, message, rule)
        row.flagged.add(key)

    def _cell_value(self, column: Column, kind: str, value: Any, coordinate: str) -> tuple[Value, bool]:
        """The cell's value for the policy, and whether it could be taken (else a problem is reported)."""
        if column.numeric:
            if kind == "n" and isinstance(value, (int, float)) and not isinstance(value, bool):
                if isinstance(value, int) or value.is_integer():
                    return int(value), True
            elif kind == "s":
                text = normalise_text(str(value))
                if text is None:
                    return None, True
                if re.fullmatch(r"[0-9]+", text):
                    return int(text), True  # a number kept as text shows as typed: take it
            shown_value = shown(kind, value, self.lang) if kind != "s" else str(value)
            self.problem(
                coordinate,
                self.say(
                    "not-whole-number",
                    header=self.quote(column.header),
                    what=what(self.lang, kind),
                    shown=self.quote(shown_value),
                ),
                "cell-type",
            )
            return None, False
        if kind != "s" and column.key == "comment":
            return shown(kind, value, self.lang), True  # a remark, not the policy: taken as shown
        if kind != "s":
            # Never taken silently as text: the spreadsheet changed what the reviewer typed.
            self.problem(
                coordinate,
                self.say(
                    "not-text", what=what(self.lang, kind), shown=self.quote(shown(kind, value, self.lang))
                ),
                "cell-type",
            )
            return None, False
        text = str(value)
        surrogate = _SURROGATE.search(text)
        if surrogate is not None:
            self.problem(
                coordinate, self.say("lone-surrogate", code=f"_x{ord(surrogate.group(0)):04X}_"), "cell-type"
            )
            return None, False
        return normalise_text(text), True

    def _parse(self, column: Column, value: Value, coordinate: str) -> Any:
        if column.numeric:
            return value
        text = str(value)
        try:
            if column.kind == "ids":
                return parse_ids(text) or None
            if column.kind == "see":
                return parse_see(text)
            if column.kind == "test":
                return parse_expression(text)
            if column.kind == "words":
                return parse_words(text) or None
            if column.kind == "flag":
                return parse_flag(text)
        except SyntaxProblem as e:
            why = {"see": self.say("see-syntax"), "flag": self.say("flag-syntax")}.get(column.kind, str(e))
            self.problem(coordinate, self.say("cell-syntax", text=self.quote(text), why=why), "cell-syntax")
            return None
        allowed: Collection[str] | None = {
            "statuses": ROW_STATUSES,
            "billing": BILLING_KINDS,
            "term_kinds": TERM_KINDS,
            "vocabulary_kinds": VOCABULARY_KINDS,
            "tiers": self.tiers,
            "categories": self.categories,
            "request_kinds": self.kinds,
            "failures": CONDITION_FAILURES,
        }.get(column.choices or "")
        if allowed is not None and text not in allowed:
            message = self.say(
                "unknown-choice",
                value=self.quote(text),
                header=self.quote(column.header),
                choices=listing(self.lang, allowed),
            )
            lowered = text[:1].lower() + text[1:]
            if lowered in allowed:
                message += self.say("did-you-mean", value=self.quote(lowered))
            self.problem(coordinate, message, f"unknown-{column.choices}")
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
            f"{display}: not a review workbook of this tool version (format {found!r}, expected {FORMAT!r}); "
            "export the policy again (`support-scope export-xlsx`) and send the new workbook"
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
