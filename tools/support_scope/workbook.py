"""The review workbook: its layout, its cell syntax, and the export of a policy into it.

A policy becomes one workbook a lawyer can work in: a matrix sheet (one row per item), a sheet
for the categories, one for the conditions and one for the general terms, a bilingual "read
me", and two hidden sheets: the dropdown lists, and the metadata the import needs (the policy
id and version, the digest of the exported policy, a checksum of every exported row, and the
exported policy itself, compressed, for the three-way merge).

Every sheet is described once, as a :class:`Table` of :class:`Column`; export and import both
read these descriptions, so the two cannot drift apart. Import lives in
:mod:`support_scope.workbook_import`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from io import BytesIO
from typing import Any

from support_scope import __version__
from support_scope.errors import InputError, WorkbookError
from support_scope.files import canonical_json, paused_gc

FORMAT = "support-scope-workbook/1"

SHEET_README = "Lisez-moi"
SHEET_MATRIX = "Matrice"
SHEET_CATEGORIES = "Catégories"
SHEET_CONDITIONS = "Conditions"
SHEET_TERMS = "Termes"
SHEET_LISTS = "Listes"
SHEET_META = "Meta"

ELIGIBILITY_SCOPE = "eligibility"
DELETED = "deleted"
STATUSES = ("included", "excluded", DELETED)
BILLING_KINDS = ("billed-separately", "hourly-rate")
TERM_KINDS = ("call-limit", "not-covered", "billable-service", "referral", "plan-tier")

_SNAPSHOT_CHUNK = 30000  # under Excel's 32,767 characters per cell
# A text Excel or Calc would read as a formula or an error value unless it is marked as text.
_FORMULA_START = ("=", "+", "-", "@")
_ERROR_CODES = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!", "#CALC!"}
)

Value = str | int | None


# --------------------------------------------------------------------------- cell syntax


_OPS = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_OPS_BACK = {symbol: op for op, symbol in _OPS.items()}


class SyntaxProblem(ValueError):
    """A cell's text does not follow the syntax of its column."""


def format_expression(expression: dict[str, Any]) -> str:
    """A condition test as a cell shows it: ``any(booked_through_sales = true, days_since_first_invoice <= 30)``."""
    for combinator in ("all", "any"):
        if combinator in expression:
            inner = ", ".join(format_expression(sub) for sub in expression[combinator])
            return f"{combinator}({inner})"
    if "not" in expression:
        return f"not({format_expression(expression['not'])})"
    value = expression["value"]
    if isinstance(value, bool):
        shown = "true" if value else "false"
    elif isinstance(value, int):
        shown = str(value)
    else:
        shown = json.dumps(value, ensure_ascii=False)
    return f"{expression['fact']} {_OPS[expression['op']]} {shown}"


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<name>[a-z][a-z0-9_]*)
      | (?P<op><=|>=|!=|=|<|>)
      | (?P<int>-?[0-9]+)
      | (?P<str>"(?:[^"\\]|\\.)*")
      | (?P<punct>[(),])
    )""",
    re.VERBOSE | re.DOTALL,
)


def parse_expression(text: str) -> dict[str, Any]:
    """Parse the cell syntax of :func:`format_expression` back, exactly."""
    tokens: list[tuple[str, str, int]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            raise SyntaxProblem(f"unexpected {text[position:].strip()[:20]!r} at character {position + 1}")
        tokens.append((match.lastgroup, match.group(match.lastgroup), match.start(match.lastgroup) + 1))
        position = match.end()
    parser = _ExpressionParser(tokens)
    expression = parser.expression()
    if parser.index != len(tokens):
        _, token, at = tokens[parser.index]
        raise SyntaxProblem(f"unexpected {token!r} at character {at}")
    return expression


class _ExpressionParser:
    def __init__(self, tokens: list[tuple[str, str, int]]) -> None:
        self.tokens = tokens
        self.index = 0

    def _next(self, expected: str) -> tuple[str, str, int]:
        if self.index >= len(self.tokens):
            raise SyntaxProblem(f"the test ends where {expected} was expected")
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _peek(self) -> str | None:
        return self.tokens[self.index][1] if self.index < len(self.tokens) else None

    def expression(self) -> dict[str, Any]:
        kind, name, at = self._next("a fact name, all(, any( or not(")
        if kind != "name":
            raise SyntaxProblem(f"expected a fact name, all(, any( or not( at character {at}, found {name!r}")
        if self._peek() == "(" and name in ("all", "any", "not"):
            self.index += 1
            subs = [self.expression()]
            while self._peek() == ",":
                self.index += 1
                subs.append(self.expression())
            kind, token, at = self._next("')'")
            if token != ")":
                raise SyntaxProblem(f"expected ',' or ')' at character {at}, found {token!r}")
            if name == "not":
                if len(subs) != 1:
                    raise SyntaxProblem("not(...) takes exactly one test")
                return {"not": subs[0]}
            return {name: subs}
        kind, op, at = self._next("a comparison (=, !=, <, <=, >, >=)")
        if kind != "op":
            raise SyntaxProblem(
                f"expected a comparison (=, !=, <, <=, >, >=) at character {at}, found {op!r}"
            )
        kind, raw, at = self._next('a value (true, false, a number or a "quoted text")')
        value: bool | int | str
        if kind == "name" and raw in ("true", "false"):
            value = raw == "true"
        elif kind == "int":
            value = int(raw)
        elif kind == "str":
            value = json.loads(raw)
        else:
            raise SyntaxProblem(
                f'expected a value (true, false, a number or a "quoted text") at character {at}, found {raw!r}'
            )
        return {"fact": name, "op": _OPS_BACK[op], "value": value}


def format_ids(ids: list[str]) -> str:
    return ", ".join(ids)


def parse_ids(text: str) -> list[str]:
    """``a, b`` (commas, semicolons or new lines between ids) as a list."""
    return [part.strip() for part in re.split(r"[,;\n]", text) if part.strip()]


def format_see(see: dict[str, Any]) -> str:
    return f"{see['category']}: {format_ids(see['items'])}"


def parse_see(text: str) -> dict[str, Any]:
    category, colon, rest = text.partition(":")
    if not colon or not category.strip() or not parse_ids(rest):
        raise SyntaxProblem("expected 'category-id: item-id, item-id, ...'")
    return {"category": category.strip(), "items": parse_ids(rest)}


# --------------------------------------------------------------------------- sheet layout


@dataclass(frozen=True)
class Column:
    """One column of a sheet.

    ``key`` names the field: a dotted path into the entity (``text.fr``, ``billing.kind``), or
    one of the special keys ``id``, ``scope``, ``category``, ``comment``, ``conditions``.
    ``kind`` says how a cell's text maps to the value: text, int, ids, see, test.
    """

    key: str
    header: str
    width: int
    kind: str = "text"
    locked: bool = False
    choices: str | None = None  # name of a list on the hidden lists sheet
    info: bool = False  # shown for reading only, not imported

    @property
    def compared(self) -> bool:
        """Part of the row's checksum and of the merge (the reviewer comment is not)."""
        return self.key != "comment" and not self.info


@dataclass(frozen=True)
class Table:
    sheet: str
    columns: tuple[Column, ...]

    def column(self, key: str) -> Column:
        return next(column for column in self.columns if column.key == key)

    def index(self, key: str) -> int:
        return next(i for i, column in enumerate(self.columns) if column.key == key)

    @property
    def compared(self) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if column.compared)

    @property
    def stored(self) -> tuple[Column, ...]:
        """The columns a row's checksum covers: all but the reviewer comment."""
        return tuple(column for column in self.columns if column.key != "comment")


def _lang(key: str, french: str, english: str, languages: list[str], width: int) -> list[Column]:
    columns = []
    for language in languages:
        label = {"fr": f"{french} (fr)", "en": f"{english} (en)"}.get(language, f"{english} ({language})")
        columns.append(Column(f"{key}.{language}", label, width))
    return columns


_ID = Column("id", "Id (ne pas modifier / do not edit)", 28, locked=True)
_COMMENT = Column("comment", "Commentaire du relecteur / Reviewer comment", 40)


def _billing(languages: list[str]) -> list[Column]:
    return [
        Column("billing.kind", "Facturation / Billing", 18, choices="billing"),
        Column("billing.minimum_hours", "Heures min. / Min. hours", 10, kind="int"),
        *_lang("billing.text", "Note de facturation", "Billing note", languages, 40),
    ]


def tables(languages: list[str]) -> dict[str, Table]:
    """The editable sheets' layouts for a policy written in ``languages`` (French first)."""
    ordered = ["fr", *(language for language in languages if language != "fr")]
    matrix = Table(
        SHEET_MATRIX,
        (
            Column("category", "Catégorie / Category", 24, choices="categories"),
            _ID,
            Column("status", "Statut / Status", 12, choices="statuses"),
            Column("tier", "Niveau / Tier", 14, choices="tiers"),
            *_lang("text", "Texte", "Text", ordered, 60),
            Column("group", "Groupe / Group", 20),
            Column(
                "conditions",
                "Conditions de la catégorie (lecture seule) / Category conditions (read only)",
                30,
                locked=True,
                info=True,
            ),
            Column("referrals", "Renvois / Referrals", 22, kind="ids"),
            Column("see", "Voir / See", 30, kind="see"),
            *_billing(ordered),
            *_lang("source_note", "Note de source", "Source note", ordered, 40),
            _COMMENT,
        ),
    )
    categories = Table(
        SHEET_CATEGORIES,
        (
            _ID,
            *_lang("title", "Titre", "Title", ordered, 50),
            *_lang("source_note", "Note de source", "Source note", ordered, 50),
            _COMMENT,
        ),
    )
    conditions = Table(
        SHEET_CONDITIONS,
        (
            Column("scope", "Catégorie ou eligibility / Category or eligibility", 24, locked=True),
            _ID,
            *_lang("text", "Texte", "Text", ordered, 50),
            Column("test", "Test", 40, kind="test"),
            *_lang("source_note", "Note de source", "Source note", ordered, 40),
            _COMMENT,
        ),
    )
    terms = Table(
        SHEET_TERMS,
        (
            _ID,
            Column("kind", "Type / Kind", 16, choices="term_kinds"),
            *_lang("text", "Texte", "Text", ordered, 60),
            Column("limits.max_minutes", "Minutes max.", 10, kind="int"),
            Column("limits.max_problems", "Problèmes max. / Max. problems", 10, kind="int"),
            Column("referrals", "Renvois / Referrals", 22, kind="ids"),
            *_billing(ordered),
            *_lang("source_note", "Note de source", "Source note", ordered, 40),
            _COMMENT,
        ),
    )
    return {table.sheet: table for table in (matrix, categories, conditions, terms)}


# --------------------------------------------------------------------------- policy -> rows


def get_path(entity: dict[str, Any], key: str) -> Any:
    value: Any = entity
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def cell_value(column: Column, raw: Any) -> Value:
    """The value a cell shows for the field's value in the policy."""
    if raw is None:
        return None
    if column.kind == "ids":
        return format_ids(raw)
    if column.kind == "see":
        return format_see(raw)
    if column.kind == "test":
        return format_expression(raw)
    if column.kind == "int":
        return int(raw)
    # A spreadsheet keeps line ends as \n: show them so, as the import reads them back.
    return str(raw).replace("\r\n", "\n").replace("\r", "\n")


@dataclass
class Row:
    """One exported (or imported) row: its key and its values by column key."""

    key: str
    values: dict[str, Value]
    number: int = 0  # 1-based sheet row, on import

    def stored(self, table: Table) -> list[Value]:
        return [self.values.get(column.key) for column in table.stored]


def checksum(values: list[Value]) -> str:
    """A short digest of a row's compared values, to tell later whether the reviewer touched it."""
    # Each value tagged by its type and ended by a separator no text holds (XML forbids U+0001).
    joined = "".join(
        "\x01" if v is None else f"i{v}\x01" if isinstance(v, int) else f"s{v}\x01" for v in values
    )
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:20]


def _entity_row(table: Table, key: str, entity: dict[str, Any], extra: dict[str, Value]) -> Row:
    values: dict[str, Value] = dict(extra)
    for column in table.columns:
        if column.key in values or column.key in ("comment", "conditions", "scope", "category"):
            continue
        values[column.key] = cell_value(column, get_path(entity, column.key))
    return Row(key, values)


def condition_key(scope: str, condition_id: str) -> str:
    return f"{scope}/{condition_id}"


def sheet_rows(document: dict[str, Any], layout: dict[str, Table], name: str) -> Iterator[Row]:
    """The rows of one editable sheet, in order, as the policy gives them (made one at a time)."""
    table = layout[name]
    if name == SHEET_MATRIX:
        for category in document["categories"]:
            shown = conditions_shown(category)
            for item in category["items"]:
                yield _entity_row(table, item["id"], item, {"category": category["id"], "conditions": shown})
    elif name == SHEET_CATEGORIES:
        for category in document["categories"]:
            yield _entity_row(table, category["id"], category, {})
    elif name == SHEET_CONDITIONS:
        for scope, entries in _condition_lists(document):
            for condition in entries:
                yield _entity_row(table, condition_key(scope, condition["id"]), condition, {"scope": scope})
    else:
        for term in document["general_terms"]:
            yield _entity_row(table, term["id"], term, {})


def row_counts(document: dict[str, Any]) -> dict[str, int]:
    return {
        SHEET_MATRIX: sum(len(category["items"]) for category in document["categories"]),
        SHEET_CATEGORIES: len(document["categories"]),
        SHEET_CONDITIONS: sum(len(entries) for _, entries in _condition_lists(document)),
        SHEET_TERMS: len(document["general_terms"]),
    }


def conditions_shown(category: dict[str, Any]) -> str | None:
    """What the matrix's read-only conditions column shows for the items of ``category``."""
    shown = "\n".join(
        f"{condition['id']}: {format_expression(condition['test'])}"
        for condition in category.get("conditions", [])
    )
    return shown or None


def _condition_lists(document: dict[str, Any]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    yield ELIGIBILITY_SCOPE, document["eligibility"].get("conditions", [])
    for category in document["categories"]:
        yield category["id"], category.get("conditions", [])


# --------------------------------------------------------------------------- snapshot


def snapshot_digest(document: dict[str, Any]) -> str:
    """The digest the metadata sheet records of the exported policy (of its canonical form)."""
    return hashlib.sha256(canonical_json(document)).hexdigest()


def encode_snapshot(document: dict[str, Any]) -> tuple[str, list[str]]:
    """The document's digest, and the document compressed into cell-sized chunks."""
    # One canonical form serves both: it is the size of the policy (87 MB at 10,000 categories).
    raw = canonical_json(document)
    return hashlib.sha256(raw).hexdigest(), _pack_bytes(raw)


def decode_snapshot(chunks: list[str], digest: str, parse: bool = True) -> dict[str, Any]:
    """The exported document back from its chunks; a mismatch with ``digest`` is a :class:`WorkbookError`.

    With ``parse=False``, only check it (and return an empty dict).
    """
    try:
        raw = unpack(chunks)
    except (ValueError, zlib.error) as e:
        raise WorkbookError(f"{SHEET_META}: the export snapshot is damaged ({e})") from e
    if hashlib.sha256(raw).hexdigest() != digest:
        raise WorkbookError(
            f"{SHEET_META}: the export snapshot does not match its digest (edited or damaged)"
        )
    if not parse:
        return {}
    # Decoded, then the bytes let go before parsing: the two side by side are twice the size
    # of the policy's text (some 170 MB for a 10,000-category one) at the import's peak.
    text = raw.decode("utf-8")
    del raw
    document: dict[str, Any] = json.loads(text)
    return document


# --------------------------------------------------------------------------- export


@dataclass
class ExportSummary:
    rows: dict[str, int] = field(default_factory=dict)
    digest: str = ""


def export_workbook(
    document: dict[str, Any], display: str = "policy", source: str | None = None
) -> tuple[bytes, ExportSummary]:
    """The review workbook for a valid policy, as .xlsx bytes.

    The policy is validated first: a text longer than a cell holds, or holding a character XML
    cannot carry, is refused here (never cut), as is any other problem. ``source``, the text
    ``document`` was parsed from, locates each problem as ``file:line:col $.path`` (as
    ``compile`` does); without it, problems are located by JSON path only.
    """
    from support_scope.validate import document_findings, findings_message

    findings = document_findings(document)
    if findings:
        raise InputError(findings_message(findings, source, display, "not exported"))
    with paused_gc():
        return _Writer(document).write()


class _Writer:
    """Writes the workbook: openpyxl for the frame (styles, protection, validations, the read me),
    and the data rows as XML text, spliced into the sheets openpyxl wrote.

    openpyxl writes about 100,000 cells a second; a 1,000-category policy has 300,000. The rows
    are plain ``<c>`` elements with inline strings, so writing them directly is simple and
    fast, while openpyxl keeps every structural part (styles.xml, the workbook, the sheets'
    protection, filters, validations) as it knows best.
    """

    def __init__(self, document: dict[str, Any]) -> None:
        from openpyxl import Workbook

        self.doc = document
        self.layout = tables(list(document["languages"]))
        self.counts = row_counts(document)
        self.sums: dict[str, dict[str, str]] = {}  # sheet -> row key -> checksum, filled as rows are written
        self.workbook = Workbook(write_only=True)
        # The sheet parts openpyxl will write, in creation order, and the rows to splice into each.
        self.parts: dict[str, Callable[[], Iterator[str]]] = {}

    def _styles(self, sheet: Any) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font, PatternFill, Protection

        wrap = Alignment(wrap_text=True, vertical="top")
        bands = (PatternFill("solid", fgColor="FFFFFF"), PatternFill("solid", fgColor="EAF1FB"))
        # Style ids (cellXfs indexes) of every kind of data cell: registering a style is what
        # makes openpyxl write it into styles.xml, even if no cell it writes uses it.
        self.style_ids: dict[tuple[str, int, bool], int] = {}
        for band, fill in enumerate(bands):
            for locked in (False, True):
                for quoted in (False, True):
                    cell = WriteOnlyCell(sheet)
                    cell.alignment = wrap
                    cell.fill = fill
                    cell.protection = Protection(locked=locked)
                    if locked:
                        cell.font = Font(color="555555")
                    cell.quotePrefix = quoted
                    self.style_ids[("locked" if locked else "open", band, quoted)] = cell.style_id
        plain = WriteOnlyCell(sheet)
        plain.quotePrefix = True
        self.style_ids[("plain", 0, True)] = plain.style_id
        self.style_ids[("plain", 0, False)] = 0
        header = WriteOnlyCell(sheet)
        header.font = Font(bold=True, color="FFFFFF")
        header.fill = PatternFill("solid", fgColor="1F4E79")
        header.alignment = Alignment(wrap_text=True, vertical="center")
        header.protection = Protection(locked=True)
        self.style_ids[("header", 0, False)] = header.style_id
        # The read me: wrapped text, its headings in bold (a title could start with "=").
        for bold in (False, True):
            for quoted in (False, True):
                cell = WriteOnlyCell(sheet)
                cell.alignment = wrap
                cell.font = Font(bold=bold, size=12 if bold else 11)
                cell.quotePrefix = quoted
                self.style_ids[("heading" if bold else "text", 0, quoted)] = cell.style_id

    def write(self) -> tuple[bytes, ExportSummary]:
        digest, chunks = encode_snapshot(self.doc)
        self._readme()
        for name in (SHEET_MATRIX, SHEET_CATEGORIES, SHEET_CONDITIONS, SHEET_TERMS):
            self._table(self.layout[name])
        self._lists()
        self._meta(digest, chunks)
        buffer = BytesIO()
        self.workbook.save(buffer)
        summary = ExportSummary(dict(self.counts), digest)
        return _splice(buffer.getvalue(), self.parts), summary

    def _sheet(self, title: str, rows: Callable[[], Iterator[str]]) -> Any:
        """A sheet; ``rows`` makes its data rows' XML when the workbook is assembled."""
        sheet = self.workbook.create_sheet(title)
        self.parts[f"xl/worksheets/sheet{len(self.workbook.worksheets)}.xml"] = rows
        return sheet

    def _protect(self, sheet: Any) -> None:
        # Protection without a password: the id cells cannot be edited by accident, while rows
        # can still be inserted, sorted, filtered and formatted.
        protection = sheet.protection
        protection.sheet = True
        for allowed in (
            "formatCells",
            "formatColumns",
            "formatRows",
            "insertRows",
            "deleteRows",
            "sort",
            "autoFilter",
        ):
            setattr(protection, allowed, False)

    def _table(self, table: Table) -> None:
        from openpyxl.styles import Alignment, Protection
        from openpyxl.utils import get_column_letter
        from openpyxl.worksheet.datavalidation import DataValidation

        sheet = self._sheet(table.sheet, lambda: self._table_rows(table, letters))
        letters = [get_column_letter(position) for position in range(1, len(table.columns) + 1)]
        for letter, column in zip(letters, table.columns, strict=True):
            dimension = sheet.column_dimensions[letter]
            dimension.width = column.width
            # Cells typed below the last row are editable too, except in the locked columns.
            dimension.protection = Protection(locked=column.locked)
            dimension.alignment = Alignment(wrap_text=True, vertical="top")
            if column.choices:
                validation = DataValidation(
                    type="list",
                    formula1=self._list_ranges[column.choices],
                    allow_blank=True,
                    showErrorMessage=True,
                    errorTitle="Valeur inconnue / Unknown value",
                    error="Choisissez une valeur de la liste. / Pick a value from the list.",
                )
                validation.add(f"{letter}2:{letter}1048576")
                sheet.data_validations.append(validation)
        sheet.freeze_panes = "C2" if table.sheet == SHEET_MATRIX else "B2"
        sheet.auto_filter.ref = f"A1:{letters[-1]}{self.counts[table.sheet] + 1}"
        self._protect(sheet)
        _print_setup(sheet, "B:B" if table.sheet in (SHEET_MATRIX, SHEET_CONDITIONS) else "A:A")

    def _table_rows(self, table: Table, letters: list[str]) -> Iterator[str]:
        kinds = ["locked" if column.locked else "open" for column in table.columns]
        keys = [column.key for column in table.columns]
        widths = [column.width for column in table.columns]
        ids = self.style_ids
        headers = [column.header for column in table.columns]
        yield _row_xml(
            1,
            [(letter, header, ids, "header", 0) for letter, header in zip(letters, headers, strict=True)],
            height=row_height(headers, widths),
        )
        sums = self.sums[table.sheet] = {}
        band, previous = 1, None
        for number, row in enumerate(sheet_rows(self.doc, self.layout, table.sheet), start=2):
            group = row.values.get("category") if table.sheet == SHEET_MATRIX else row.key
            if group != previous:
                band, previous = 1 - band, group
            sums[row.key] = checksum(row.stored(table))
            values = [row.values.get(key) for key in keys]
            yield _row_xml(
                number,
                [
                    (letter, value, ids, kind, band)
                    for letter, value, kind in zip(letters, values, kinds, strict=True)
                ],
                ids[("open", band, False)],
                row_height(values, widths),
            )

    @cached_property
    def _list_ranges(self) -> dict[str, str]:
        return {
            name: f"{SHEET_LISTS}!${letter}$2:${letter}${len(values) + 1}"
            for name, (letter, values) in self._lists_content.items()
        }

    @cached_property
    def _lists_content(self) -> dict[str, tuple[str, list[str]]]:
        return {
            "statuses": ("A", list(STATUSES)),
            "tiers": ("B", [tier["id"] for tier in self.doc["tiers"]]),
            "categories": ("C", [category["id"] for category in self.doc["categories"]]),
            "billing": ("D", list(BILLING_KINDS)),
            "term_kinds": ("E", list(TERM_KINDS)),
        }

    def _plain_rows(self, records: Iterator[tuple[Value, ...]]) -> Iterator[str]:
        letters = "ABCDEFGH"
        for number, record in enumerate(records, start=1):
            yield _row_xml(
                number, [(letters[i], value, self.style_ids, "plain", 0) for i, value in enumerate(record)]
            )

    def _lists(self) -> None:
        sheet = self._sheet(SHEET_LISTS, lambda: self._plain_rows(self._list_records()))
        sheet.sheet_state = "hidden"

    def _list_records(self) -> Iterator[tuple[Value, ...]]:
        content = list(self._lists_content.items())
        yield tuple(name for name, _ in content)
        longest = max(len(values) for _, (_, values) in content)
        for index in range(longest):
            yield tuple(values[index] if index < len(values) else None for _, (_, values) in content)

    def _meta(self, digest: str, chunks: list[str]) -> None:
        sheet = self._sheet(SHEET_META, lambda: self._plain_rows(self._meta_records(digest, chunks)))
        sheet.sheet_state = "hidden"

    def _meta_records(self, digest: str, chunks: list[str]) -> Iterator[tuple[Value, ...]]:
        if len(self.sums) != 4:  # the checksums are taken as the editable sheets are written, before
            raise RuntimeError("the metadata sheet was assembled before the sheets it describes")
        yield from (
            ("kind", "key", "value"),
            ("format", "", FORMAT),
            ("policy", "id", self.doc["id"]),
            ("policy", "version", self.doc["version"]),
            ("policy", "languages", ",".join(self.doc["languages"])),
            ("policy", "digest", digest),
            ("tool", "version", __version__),
        )
        yield from (("snapshot", str(index), chunk) for index, chunk in enumerate(chunks))
        yield from (("checksums", str(index), chunk) for index, chunk in enumerate(pack(self.sums)))

    def _readme(self) -> None:
        sheet = self._sheet(SHEET_README, self._readme_rows)
        self._styles(sheet)  # cell styles belong to the workbook; any sheet can make them
        for letter in "AB":
            sheet.column_dimensions[letter].width = _README_WIDTH

    def _readme_rows(self) -> Iterator[str]:
        doc = self.doc
        heading = (
            f"{doc['title']['fr']} — {doc['id']} {doc['version']}",
            f"{doc['title'].get('en', doc['title']['fr'])} — {doc['id']} {doc['version']}",
        )
        lines = [heading, *README, *readme_glossary(doc)]
        widths = [_README_WIDTH, _README_WIDTH]
        for number, (french, english) in enumerate(lines, start=1):
            kind = "heading" if french.isupper() or number == 1 else "text"
            yield _row_xml(
                number,
                [("A", french, self.style_ids, kind, 0), ("B", english, self.style_ids, kind, 0)],
                height=row_height([french, english], widths),
            )


def _print_setup(sheet: Any, title_columns: str) -> None:
    """Printed or saved as PDF, every page repeats the header row and the id column."""
    sheet.print_title_rows = "1:1"
    sheet.print_title_cols = title_columns


_README_WIDTH = 80
_LINE_HEIGHT = 15.0  # points: one line of the default 11-point font
_MAX_LINES = 10  # taller rows make the matrix hard to scan; the cell shows the rest when selected


def row_height(values: Sequence[Value], widths: Sequence[int]) -> float | None:
    """The height a row needs to show its wrapped texts whole (None: one line, the default).

    An estimate, about one character per unit of column width: Excel does not size rows when it
    opens a file, and LibreOffice not always, so without it a long text shows one line only.
    The height is not marked custom: Excel still fits the row again when a cell is edited. At most
    ten lines: taller rows would make the matrix hard to scan.
    """
    lines = 1
    for value, width in zip(values, widths, strict=True):
        if isinstance(value, str) and (len(value) > width or "\n" in value):
            count = sum(max(1, -(-len(part) // width)) for part in value.split("\n"))
            lines = max(lines, count)
    return None if lines == 1 else min(lines, _MAX_LINES) * _LINE_HEIGHT


_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_EXCEL_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def _row_xml(
    number: int,
    cells: list[tuple[str, Value, dict[tuple[str, int, bool], int], str, int]],
    style: int = 0,
    height: float | None = None,
) -> str:
    """One ``<row>``. With ``style``, the row's own format is that style: the cells it leaves out
    (the empty, editable ones) take it, so they need not be written at all. ``height`` in points."""
    attributes = f' ht="{height:g}"' if height else ""
    if style:
        attributes += f' s="{style}" customFormat="1"'
    parts = [f'<row r="{number}"{attributes}>']
    for letter, value, ids, kind, band in cells:
        if value is None or value == "":
            if kind == "locked":  # an empty locked cell must say so; the row's style is unlocked
                parts.append(f'<c r="{letter}{number}" s="{ids[(kind, band, False)]}"/>')
        elif isinstance(value, int):
            parts.append(f'<c r="{letter}{number}" s="{ids[(kind, band, False)]}"><v>{value}</v></c>')
        else:
            quoted = value.startswith(_FORMULA_START) or value in _ERROR_CODES
            # Excel reads "_x0041_" in a cell's XML as an escaped "A": escape the underscore itself.
            text = _EXCEL_ESCAPE.sub(r"_x005F_\1", value).translate(_ESCAPES)
            parts.append(
                f'<c r="{letter}{number}" s="{ids[(kind, band, quoted)]}" t="inlineStr">'
                # Policy texts never start or end with white space; other texts (the read me) might.
                f"<is><t{_PRESERVE if text[0].isspace() or text[-1].isspace() else ''}>{text}</t></is></c>"
            )
    parts.append("</row>")
    return "".join(parts)


_PRESERVE = ' xml:space="preserve"'
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_CORE_DATES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def _splice(data: bytes, parts: dict[str, Callable[[], Iterator[str]]]) -> bytes:
    """openpyxl's workbook with the rows spliced into its sheets, and fixed dates: same input, same bytes.

    The rows are made and compressed one at a time: a 10,000-category matrix is 100 MB of XML.
    """
    import zipfile

    source = zipfile.ZipFile(BytesIO(data))
    buffer = BytesIO()
    with source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            entry = zipfile.ZipInfo(info.filename, _FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry._compresslevel = 1  # type: ignore[attr-defined]  # fast: the XML is regular
            rows = parts.get(info.filename)
            if rows is None:
                if info.filename == "docProps/core.xml":
                    content = _CORE_DATES.sub(rb"\g<1>2000-01-01T00:00:00Z\g<3>", content)
                target.writestr(entry, content)
                continue
            if b"</sheetData>" in content:
                marker = content.rindex(b"</sheetData>")
                head, tail = content[:marker], content[marker:]
            else:  # a sheet with no row at all: <sheetData/>
                head, _, rest = content.partition(b"<sheetData/>")
                head, tail = head + b"<sheetData>", b"</sheetData>" + rest
            with target.open(entry, "w", force_zip64=True) as out:
                out.write(head)
                batch: list[str] = []
                for row in rows():
                    batch.append(row)
                    if len(batch) == 1000:
                        out.write("".join(batch).encode("utf-8"))
                        batch = []
                out.write("".join(batch).encode("utf-8"))
                out.write(tail)
    return buffer.getvalue()


def pack(data: Any) -> list[str]:
    """``data`` as compressed, cell-sized text chunks (zlib, base64)."""
    return _pack_bytes(canonical_json(data))


def _pack_bytes(raw: bytes) -> list[str]:
    packed = base64.b64encode(zlib.compress(raw, 6)).decode("ascii")
    return [packed[i : i + _SNAPSHOT_CHUNK] for i in range(0, len(packed), _SNAPSHOT_CHUNK)]


def unpack(chunks: list[str]) -> bytes:
    """The bytes :func:`pack` packed; damaged text is a :class:`ValueError` or :class:`zlib.error`."""
    return zlib.decompress(base64.b64decode("".join(chunks), validate=True))


README: tuple[tuple[str, str], ...] = (
    ("LISEZ-MOI", "READ ME"),
    (
        "Ce classeur est la matrice d'assistance, pour relecture. Modifiez les textes ici ; l'équipe le réimportera avec `support-scope import-xlsx`. Chaque modification est vérifiée à l'import, cellule par cellule.",
        "This workbook is the support matrix, for review. Edit the texts here; the team imports it back with `support-scope import-xlsx`. Every change is checked on import, cell by cell.",
    ),
    ("LES FEUILLES", "THE SHEETS"),
    (
        "Matrice : une ligne par service (catégorie, id, statut, niveau, textes, groupe, renvois, facturation, notes de source).",
        "Matrice: one row per service (category, id, status, tier, texts, group, referrals, billing, source notes).",
    ),
    (
        "Catégories : les titres des catégories. Conditions : les conditions des catégories et de l'éligibilité. Termes : les conditions générales.",
        "Catégories: the category titles. Conditions: the conditions of the categories and of eligibility. Termes: the general terms.",
    ),
    ("CE QU'IL NE FAUT PAS TOUCHER", "WHAT NOT TO TOUCH"),
    (
        "Les colonnes Id (grisées, verrouillées), les en-têtes, les noms des feuilles, et les feuilles masquées Listes et Meta (elles disent à l'import de quelle version vous êtes parti). Pas de formules : une cellule qui commence par = est refusée ; écrivez du texte.",
        "The Id columns (grey, locked), the headers, the sheet names, and the hidden sheets Listes and Meta (they tell the import which version you started from). No formulas: a cell starting with = is refused; write text.",
    ),
    ("MODIFIER", "EDITING"),
    (
        "Modifiez librement les textes (français obligatoire), le statut et le niveau (listes déroulantes : included = inclus à partir du niveau indiqué ; excluded = non inclus, sans niveau). La colonne « Commentaire du relecteur » est pour vous : elle est affichée à l'import mais n'entre pas dans la politique.",
        "Edit the texts freely (French is required), the status and the tier (dropdowns: included = in scope from the tier given; excluded = not covered, no tier). The 'Reviewer comment' column is yours: it is shown on import but does not enter the policy.",
    ),
    (
        "Renvois : des ids séparés par des virgules, par ex. « certified-consultant, it-professional ». Voir : « catégorie: id-1, id-2 ». Facturation : billed-separately ou hourly-rate, avec les heures minimum et la note. Test d'une condition : « new_customer = true », « any(booked_through_sales = true, days_since_first_invoice <= 30) », avec all(...), any(...), not(...) et =, !=, <, <=, >, >= ; un texte entre guillemets droits.",
        "Referrals: ids separated by commas, e.g. 'certified-consultant, it-professional'. See: 'category: id-1, id-2'. Billing: billed-separately or hourly-rate, with the minimum hours and the note. A condition's test: 'new_customer = true', 'any(booked_through_sales = true, days_since_first_invoice <= 30)', with all(...), any(...), not(...) and =, !=, <, <=, >, >=; a text in straight double quotes.",
    ),
    ("AJOUTER, SUPPRIMER, DÉPLACER UNE LIGNE", "ADDING, REMOVING, MOVING A ROW"),
    (
        "Ajouter : insérez une ligne dans la Matrice, choisissez la catégorie, le statut, le niveau et écrivez le texte ; laissez l'Id vide (il est créé à l'import à partir de la catégorie et du texte ; la provenance est celle de la catégorie).",
        "Add: insert a row in the Matrice, pick the category, status and tier and write the text; leave the Id empty (it is made on import from the category and the text; the provenance is the category's).",
    ),
    (
        "Supprimer : choisissez le statut « deleted » (ou ôtez la protection de la feuille, sans mot de passe, et supprimez la ligne). Déplacer : changez la catégorie de la ligne. L'ordre des lignes dans une catégorie est conservé.",
        "Remove: pick the status 'deleted' (or unprotect the sheet, no password, and delete the row). Move: change the row's category. The order of the rows within a category is kept.",
    ),
    (
        "Les catégories, les conditions et les termes se modifient mais ne s'ajoutent pas ici ; un terme peut être supprimé en supprimant sa ligne.",
        "Categories, conditions and terms are edited but not added here; a term can be removed by deleting its row.",
    ),
    ("SI LA POLITIQUE A CHANGÉ ENTRE-TEMPS", "IF THE POLICY CHANGED MEANWHILE"),
    (
        "L'import applique vos modifications sur la politique actuelle. Si une même cellule a été modifiée par vous et dans la politique depuis l'export, l'import s'arrête et liste chaque conflit (cellule, valeur à l'export, valeur actuelle, votre valeur).",
        "The import applies your edits onto the current policy. If the same cell was changed by you and in the policy since the export, the import stops and lists each conflict (cell, value at export, value now, your value).",
    ),
)


def readme_glossary(document: dict[str, Any]) -> list[tuple[str, str]]:
    """The read me's column by column guide to the matrix, with this policy's tiers and referrals."""

    def label(entry: dict[str, Any], key: str, language: str) -> str:
        names = entry.get(key, {})
        return str(names.get(language) or names.get("fr") or entry["id"])

    def tiers(language: str) -> str:
        shown = []
        for tier in document["tiers"]:
            text = f"{tier['id']} = {label(tier, 'label', language)}"
            if tier.get("includes"):
                joined = ", ".join(tier["includes"])
                text += f" (comprend {joined})" if language == "fr" else f" (includes {joined})"
            shown.append(text)
        return " ; ".join(shown) if language == "fr" else "; ".join(shown)

    def referrals(language: str) -> str:
        separator = " ; " if language == "fr" else "; "
        return separator.join(
            f"{entry['id']} = {label(entry, 'name', language)}" for entry in document["referrals"]
        )

    return [
        ("LES COLONNES DE LA MATRICE", "THE COLUMNS OF THE MATRICE"),
        (
            "Catégorie : la rubrique du document source (liste déroulante). La changer déplace la ligne dans une autre catégorie.",
            "Category: the section of the source document (dropdown). Changing it moves the row to another category.",
        ),
        (
            "Id : l'identifiant permanent de la ligne, sur lequel s'appuient les autres services. Grisé et verrouillé ; vide pour une ligne ajoutée.",
            "Id: the row's permanent identifier, which other services rely on. Grey and locked; empty for an added row.",
        ),
        (
            "Statut : included = le service est pris en charge ; excluded = il est expressément non couvert ; deleted = retirer la ligne de la politique.",
            "Status: included = the service is covered; excluded = it is expressly not covered; deleted = remove the row from the policy.",
        ),
        (
            f"Niveau : pour un service inclus, le niveau d'assistance à partir duquel il est couvert ; vide pour un service exclu. Niveaux : {tiers('fr')}.",
            f"Tier: for a covered service, the support tier from which it is covered; empty for an excluded one. Tiers: {tiers('en')}.",
        ),
        (
            "Texte (fr), Text (en) : la description du service. Le français fait foi et est obligatoire ; l'anglais est une traduction.",
            "Texte (fr), Text (en): the description of the service. French is authoritative and required; English is a translation.",
        ),
        (
            "Groupe : l'id de la phrase d'introduction de la source sous laquelle le service est énuméré (par ex. « Conseils d'installation et de configuration, y compris : ») ; facultatif.",
            "Group: the id of the source's lead-in sentence under which the service is listed (e.g. 'Installation and setup advice, including:'); optional.",
        ),
        (
            "Conditions de la catégorie (lecture seule) : les conditions que le client doit remplir pour toute la catégorie ; elles se modifient sur la feuille Conditions.",
            "Category conditions (read only): the conditions a customer must meet for the whole category; they are edited on the Conditions sheet.",
        ),
        (
            f"Renvois : vers qui orienter le client pour un service non couvert. Ids possibles : {referrals('fr')}.",
            f"Referrals: whom to refer the customer to for a service that is not covered. Possible ids: {referrals('en')}.",
        ),
        (
            "Voir : le service est le même que les services cités d'une autre catégorie (par ex. « Comme pour la configuration et installation »), au lieu d'en recopier le texte.",
            "See: the service is the same as the listed services of another category (e.g. 'As for setup and installation'), instead of a copy of their text.",
        ),
        (
            "Facturation, Heures min., Note de facturation : pour un service facturé à part (billed-separately) ou au taux horaire (hourly-rate), le nombre minimum d'heures facturées et la mention à afficher.",
            "Billing, Min. hours, Billing note: for a service billed separately (billed-separately) or at the hourly rate (hourly-rate), the minimum hours billed and the wording to show.",
        ),
        (
            "Note de source : comment la ligne a été lue dans le document source, quand la lecture demandait une interprétation.",
            "Source note: how the row was read from the source document, where reading it required an interpretation.",
        ),
        (
            "Commentaire du relecteur : vos remarques ; elles sont listées à l'import et n'entrent pas dans la politique.",
            "Reviewer comment: your remarks; they are listed on import and do not enter the policy.",
        ),
    ]
