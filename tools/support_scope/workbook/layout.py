"""The review workbook's layout: its sheets, their columns, the cell syntax, and a policy's rows.

A policy becomes one workbook a lawyer can work in: a matrix sheet (one row per item), a sheet
for the categories, one for the conditions and one for the general terms, a bilingual "read
me", and two hidden sheets: the dropdown lists, and the metadata the import needs (the policy
id and version, the digest of the exported policy, a checksum of every exported row, and the
exported policy itself, compressed, for the three-way merge).

Every sheet is described once, as a :class:`Table` of :class:`Column`; export
(:mod:`~support_scope.workbook.export`) and import (:mod:`~support_scope.workbook.importer`)
both read these descriptions, so the two cannot drift apart.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from support_scope.model.conditions import ConditionSyntaxError, format_expression
from support_scope.model.vocab import STATUSES
from support_scope.model.walk import ELIGIBILITY

# 2: request kinds, condition effects and scopes, legal-review flags; 3: the matrix shows each
# category's title beside its id, text columns are formatted as Text.
# 4: the Vocabulaire sheet (the search's vocabulary).
FORMAT = "support-scope-workbook/4"

SHEET_README = "Lisez-moi"
SHEET_MATRIX = "Matrice"
SHEET_CATEGORIES = "Catégories"
SHEET_CONDITIONS = "Conditions"
SHEET_TERMS = "Termes"
SHEET_VOCABULARY = "Vocabulaire"
SHEET_LISTS = "Listes"
SHEET_META = "Meta"
EDITABLE = (SHEET_MATRIX, SHEET_CATEGORIES, SHEET_CONDITIONS, SHEET_TERMS, SHEET_VOCABULARY)

ELIGIBILITY_SCOPE = ELIGIBILITY
DELETED = "deleted"
ROW_STATUSES = (*STATUSES, DELETED)

Value = str | int | None
SyntaxProblem = ConditionSyntaxError  # a cell's text does not follow its column's syntax


# --------------------------------------------------------------------------- cell syntax


def format_ids(ids: list[str]) -> str:
    return ", ".join(ids)


def parse_ids(text: str) -> list[str]:
    """``a, b`` (commas, semicolons or new lines between ids) as a list."""
    return [part.strip() for part in re.split(r"[,;\n]", text) if part.strip()]


def format_words(words: list[str]) -> str:
    return "\n".join(words)


def parse_words(text: str) -> list[str]:
    """Words and phrases, one a line (or separated by semicolons)."""
    return [part.strip() for part in re.split(r"[;\n]", text) if part.strip()]


FLAG_TRUE = "oui"  # how a flag cell (legal_review, overrides_lines) shows true; empty is false
_FLAG_WORDS = {"oui", "yes", "true", "vrai", "x", "1"}


def parse_flag(text: str) -> bool:
    if text.strip().casefold() in _FLAG_WORDS:
        return True
    raise SyntaxProblem("expected 'oui' (yes) or an empty cell")


def format_see(see: dict[str, Any]) -> str:
    return f"{see['category']}: {format_ids(see['items'])}"


def parse_see(text: str) -> dict[str, Any]:
    category, colon, rest = text.partition(":")
    if not colon or not category.strip() or not parse_ids(rest):
        raise SyntaxProblem("expected 'category-id: item-id, item-id, ...'")
    return {"category": category.strip(), "items": parse_ids(rest)}


# --------------------------------------------------------------------------- sheets


@dataclass(frozen=True)
class Column:
    """One column of a sheet.

    ``key`` names the field: a dotted path into the entity (``text.fr``, ``billing.kind``), or
    one of the special keys ``id``, ``scope``, ``category``, ``comment``, ``conditions``.
    ``kind`` says how a cell's text maps to the value: text, int, ids, see, test, words (one a
    line), flag (``oui`` for true, empty for absent).
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
        """Part of the merge (the reviewer comment and the read-only columns are not)."""
        return self.key != "comment" and not self.info

    @property
    def numeric(self) -> bool:
        """A number column; every other column holds text, and is formatted as Text in the
        workbook so that a spreadsheet keeps what is typed there as typed (``24/7``, ``30 %``,
        ``+33…``, ``1.0`` stay text instead of becoming a date, a percentage or a number)."""
        return self.kind == "int"


@dataclass(frozen=True)
class Table:
    sheet: str
    columns: tuple[Column, ...]
    # The columns printed (first and last column key), when not all of them: a printed page
    # fitted to its width stays readable with the columns a reader needs.
    printed: tuple[str, str] | None = None

    def column(self, key: str) -> Column:
        return next(column for column in self.columns if column.key == key)

    def index(self, key: str) -> int:
        return next(i for i, column in enumerate(self.columns) if column.key == key)

    def has(self, key: str) -> bool:
        return any(column.key == key for column in self.columns)

    @cached_property
    def compared(self) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if column.compared)

    @cached_property
    def stored(self) -> tuple[Column, ...]:
        """The columns a row's checksum covers: all but the reviewer comment."""
        return tuple(column for column in self.columns if column.key != "comment")

    @cached_property
    def stored_keys(self) -> tuple[str, ...]:
        return tuple(column.key for column in self.stored)


def _lang(key: str, french: str, english: str, languages: list[str], width: int) -> list[Column]:
    columns = []
    for language in languages:
        label = {"fr": f"{french} (fr)", "en": f"{english} (en)"}.get(language, f"{english} ({language})")
        columns.append(Column(f"{key}.{language}", label, width))
    return columns


_ID = Column("id", "Id (ne pas modifier / do not edit)", 26, locked=True)
_LEGAL = Column("legal_review", "Revue juridique / Legal review", 12, kind="flag")
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
            Column("category", "Catégorie / Category", 22, choices="categories"),
            Column(
                "category_title",
                "Titre de la catégorie (lecture seule) / Category title (read only)",
                26,
                locked=True,
                info=True,
            ),
            _ID,
            Column("status", "Statut / Status", 12, choices="statuses"),
            Column("tier", "Niveau / Tier", 14, choices="tiers"),
            *_lang("text", "Texte", "Text", ordered, 50),
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
            # Added after the comment column (format 2), so that the columns before keep their letters.
            Column("kind", "Type de demande / Request kind", 16, choices="request_kinds"),
            _LEGAL,
        ),
        printed=("category_title", f"text.{ordered[-1]}"),
    )
    categories = Table(
        SHEET_CATEGORIES,
        (
            _ID,
            *_lang("title", "Titre", "Title", ordered, 50),
            *_lang("source_note", "Note de source", "Source note", ordered, 50),
            _COMMENT,
            _LEGAL,
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
            Column("when_unmet", "Si non remplie / When unmet", 16, choices="failures"),
            Column("term", "Terme qui répond / Term that answers", 24),
            Column("items", "Lignes concernées / Items", 30, kind="ids"),
            _LEGAL,
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
            Column("kinds", "Types de demande / Request kinds", 22, kind="ids"),
            Column("test", "Test", 30, kind="test"),
            Column("overrides_lines", "Qualifie les lignes / Overrides lines", 12, kind="flag"),
            _LEGAL,
        ),
    )
    vocabulary = Table(  # the search's words (support-scope find)
        SHEET_VOCABULARY,
        (
            _ID,
            Column("kind", "Type / Kind", 14, choices="vocabulary_kinds"),
            *(
                Column(
                    f"terms.{language}",
                    f"Termes, un par ligne / Terms, one a line ({language})",
                    40,
                    kind="words",
                )
                for language in ordered
            ),
            Column("matrix_terms", "Mots de la matrice / Matrix terms", 40, kind="words"),
            *_lang("note", "Note", "Note", ordered, 40),
            _COMMENT,
        ),
    )
    return {table.sheet: table for table in (matrix, categories, conditions, terms, vocabulary)}


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
    if column.kind == "words":
        return format_words(raw)
    if column.kind == "int":
        return int(raw)
    if column.kind == "flag":
        return FLAG_TRUE if raw is True else None
    # A spreadsheet keeps line ends as \n: show them so, as the import reads them back.
    return str(raw).replace("\r\n", "\n").replace("\r", "\n")


@dataclass
class Row:
    """One exported (or imported) row: its key and its values by column key."""

    key: str
    values: dict[str, Value]
    number: int = 0  # 1-based sheet row, on import

    def stored(self, table: Table) -> list[Value]:
        return [self.values.get(key) for key in table.stored_keys]


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
        if column.key in values or column.key in ("comment", "scope", "category") or column.info:
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
            for item in category["items"]:
                info = matrix_info(category, item["id"])
                yield _entity_row(table, item["id"], item, {"category": category["id"], **info})
    elif name == SHEET_CATEGORIES:
        for category in document["categories"]:
            yield _entity_row(table, category["id"], category, {})
    elif name == SHEET_CONDITIONS:
        for scope, entries in _condition_lists(document):
            for condition in entries:
                yield _entity_row(table, condition_key(scope, condition["id"]), condition, {"scope": scope})
    elif name == SHEET_VOCABULARY:
        for group in document.get("vocabulary", []):
            yield _entity_row(table, group["id"], group, {})
    else:
        for term in document["general_terms"]:
            yield _entity_row(table, term["id"], term, {})


def row_counts(document: dict[str, Any]) -> dict[str, int]:
    return {
        SHEET_MATRIX: sum(len(category["items"]) for category in document["categories"]),
        SHEET_CATEGORIES: len(document["categories"]),
        SHEET_CONDITIONS: sum(len(entries) for _, entries in _condition_lists(document)),
        SHEET_TERMS: len(document["general_terms"]),
        SHEET_VOCABULARY: len(document.get("vocabulary", [])),
    }


def matrix_info(category: dict[str, Any], item_id: str | None) -> dict[str, Value]:
    """What the matrix's read-only columns show for item ``item_id`` of ``category``: the
    category's title (in French, the authoritative language) and the conditions that apply."""
    return {
        "category_title": cell_value(_TITLE, category["title"]["fr"]),
        "conditions": conditions_shown(category, item_id),
    }


_TITLE = Column("category_title", "", 0)


def conditions_shown(category: dict[str, Any], item_id: str | None) -> str | None:
    """What the matrix's read-only conditions column shows for item ``item_id`` of ``category``:
    the category's conditions that apply to it (those naming no items, and those naming it)."""
    shown = "\n".join(
        f"{condition['id']}: {format_expression(condition['test'])}"
        for condition in category.get("conditions", [])
        if "items" not in condition or item_id in condition["items"]
    )
    return shown or None


def _condition_lists(document: dict[str, Any]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    yield ELIGIBILITY_SCOPE, document["eligibility"].get("conditions", [])
    for category in document["categories"]:
        yield category["id"], category.get("conditions", [])
