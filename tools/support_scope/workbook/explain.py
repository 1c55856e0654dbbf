"""What the checks of the merged policy find, said at the reviewer's cell in the reviewer's words.

The merged policy is validated as any policy is (schema, then meaning); a finding there is
known by its JSON path and phrased for people who edit JSON. Here each one is put back on the
workbook cell that brought it (the row of the entity, the column of the field), with a message
a lawyer reads: "the English text is empty", not "missing the 'en' text"; "an excluded service
has no tier", not "'tier' is not allowed here". A finding on an entity the workbook does not
show (one added to the policy since the export) is put on the reviewer's cell it is about, when
there is one (a row they deleted that it refers to).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from support_scope.model.walk import entity_at
from support_scope.problems import Problem
from support_scope.workbook.layout import SHEET_MATRIX, Table, condition_key
from support_scope.workbook.merged import _SHEET_OF
from support_scope.workbook.words import languages, listing, quote, reason, say

if TYPE_CHECKING:
    from support_scope.validate.findings import Finding
    from support_scope.workbook.merge import Merge
    from support_scope.workbook.reader import SheetRow

_QUOTED = re.compile(r"'([^']*)'")
_LANGUAGE = re.compile(r"missing the '([^']+)' text")
_INVISIBLE = re.compile(r"(U\+[0-9A-F]{4,6} \([^)]*\)), at character (\d+)")


def explain(merge: Merge, findings: list[Finding], display: str, lang: str) -> list[Problem]:
    """The findings on the merged policy as problems of the workbook, one per cell."""
    problems: list[Problem] = []
    seen: set[tuple[str | None, str]] = set()
    explained = []
    for finding in findings:
        if (
            finding.rule == "schema"
            and finding.message.endswith("should be non-empty")
            and finding.path[-1:] == ("items",)
        ):
            continue  # a category left empty: said at the rows that emptied it (Merge)
        cell, message, rule = _explain(merge, finding, lang)
        if cell is not None and cell in merge.flagged:
            continue  # that cell's problem is reported already, in the reviewer's words
        explained.append((cell, message, rule, finding))
    # An id that is not one (capitalised by AutoCorrect, say) is also unknown: one message, the
    # one that lists the known ids.
    specific = {cell for cell, _, rule, _ in explained if rule != "invalid-id"}
    for cell, message, rule, finding in explained:
        if rule == "invalid-id" and cell in specific:
            continue
        if (cell, message) in seen:
            continue
        seen.add((cell, message))
        problems.append(Problem(display, message, rule, path=None if cell else finding.path, cell=cell))
    return problems


def _hint(lang: str, value: str, known: list[str]) -> str:
    """ "did you mean" the id ``value`` is but for a capital first letter (AutoCorrect's doing)."""
    lowered = value[:1].lower() + value[1:]
    return (
        say(lang, "did-you-mean", value=quote(lang, lowered)) if lowered != value and lowered in known else ""
    )


def _row(merge: Merge, path: tuple[Any, ...]) -> tuple[str, SheetRow, Table, tuple[Any, ...], str] | None:
    """The sheet, row and table showing the entity at ``path``, the rest of the path, and its key."""
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
    return sheet, row, merge.layout[sheet], rest, key


def _column(table: Table, rest: tuple[Any, ...]) -> str:
    """The column of the field at ``rest`` inside a row's entity (the id column if none shows it)."""
    steps = [str(step) for step in rest if isinstance(step, str)]
    for length in range(len(steps), 0, -1):
        candidate = ".".join(steps[:length])
        for column in table.columns:
            if column.key == candidate or column.key.startswith(candidate + "."):
                return column.key
    return "id"


def _explain(merge: Merge, finding: Finding, lang: str) -> tuple[str | None, str, str]:
    rule, message, path = finding.rule, finding.message, tuple(finding.path)
    values = _QUOTED.findall(message)
    where = _row(merge, path)
    if rule == "unresolved-reference" and where is None:
        referred = _referred(merge, path)
        if referred is not None:
            cell, referrer, key = referred
            return (
                cell,
                say(lang, "reference-deleted", key=quote(lang, key), referrer=quote(lang, referrer)),
                rule,
            )
    if where is None:
        return None, say(lang, "policy-check", message=message), rule
    sheet, row, table, rest, key = where
    column_key = _column(table, rest)
    if rule == "missing-language":
        language = _LANGUAGE.search(message)
        if language and table.has(f"{column_key.rpartition('.')[0]}.{language.group(1)}"):
            column_key = f"{column_key.rpartition('.')[0]}.{language.group(1)}"
        elif language and table.has(
            f"{'.'.join(str(s) for s in rest if isinstance(s, str))}.{language.group(1)}"
        ):
            column_key = f"{'.'.join(str(s) for s in rest if isinstance(s, str))}.{language.group(1)}"
        header = quote(lang, table.column(column_key).header)
        text = say(
            lang, "missing-language", header=header, languages=languages(lang, merge.merged["languages"])
        )
        return merge.cell(sheet, row, column_key), text, rule
    if rule == "schema":
        return _schema(merge, sheet, row, table, rest, column_key, message, values, lang)
    if rule == "repeated-text":
        return _repeated(merge, path, sheet, row, key, lang)
    if rule == "unknown-referral" and values:
        known = [r["id"] for r in merge.merged.get("referrals", [])]
        text = say(lang, "unknown-referral", value=quote(lang, values[0]), choices=listing(lang, known))
        return merge.cell(sheet, row, column_key), text + _hint(lang, values[0], known), rule
    if rule == "unknown-group" and values:
        category = entity_at(merge.merged, path[:2])
        groups = [g["id"] for g in category[0].record.get("groups", [])] if category else []
        text = say(lang, "unknown-group", value=quote(lang, values[0]), choices=listing(lang, groups))
        return merge.cell(sheet, row, column_key), text + _hint(lang, values[0], groups), rule
    if rule == "unknown-category" and values:
        known = [c["id"] for c in merge.merged.get("categories", [])]
        text = say(lang, "unknown-see-category", value=quote(lang, values[0]), choices=listing(lang, known))
        return merge.cell(sheet, row, column_key), text + _hint(lang, values[0], known), rule
    if rule == "unresolved-reference" and len(values) >= 2:
        text = say(lang, "unresolved-reference", key=quote(lang, values[0]), category=quote(lang, values[1]))
        return merge.cell(sheet, row, column_key), text, rule
    if rule == "reference-chain" and values:
        return (
            merge.cell(sheet, row, column_key),
            say(lang, "reference-chain", key=quote(lang, values[0])),
            rule,
        )
    if rule == "text-invisible":
        found = _INVISIBLE.search(message)
        if found:
            text = say(lang, "text-invisible", char=found.group(1), position=found.group(2))
            return merge.cell(sheet, row, column_key), text, rule
    if rule == "unknown-fact" and values:
        facts = listing(lang, (f["id"] for f in merge.merged.get("facts", [])))
        return (
            merge.cell(sheet, row, column_key),
            say(lang, "unknown-fact", value=quote(lang, values[0]), choices=facts),
            rule,
        )
    return merge.cell(sheet, row, column_key), say(lang, "refused", message=message), rule


def _schema(
    merge: Merge,
    sheet: str,
    row: SheetRow,
    table: Table,
    rest: tuple[Any, ...],
    column_key: str,
    message: str,
    values: list[str],
    lang: str,
) -> tuple[str | None, str, str]:
    if message.endswith("is not allowed here") and values == ["tier"]:
        header = quote(lang, table.column("tier").header)
        return (
            merge.cell(sheet, row, "tier"),
            say(lang, "excluded-with-tier", header=header),
            "excluded-with-tier",
        )
    if message.endswith("is a required property") and values:
        missing = ".".join([*(str(s) for s in rest if isinstance(s, str)), values[0]])
        if missing == "tier":
            return merge.cell(sheet, row, "tier"), say(lang, "included-without-tier"), "required"
        key = next(
            (c.key for c in table.columns if c.key == missing or c.key.startswith(missing + ".")), None
        )
        if key is not None:
            header = quote(lang, table.column(key).header)
            return (
                merge.cell(sheet, row, key),
                say(lang, "required", header=header, reason=reason(lang, "here")),
                "required",
            )
    if "is not a valid id" in message and values:
        return (
            merge.cell(sheet, row, column_key),
            say(lang, "invalid-id", value=quote(lang, values[0])),
            "invalid-id",
        )
    return merge.cell(sheet, row, column_key), say(lang, "refused", message=message), "schema"


def _repeated(
    merge: Merge, path: tuple[Any, ...], sheet: str, row: SheetRow, key: str, lang: str
) -> tuple[str | None, str, str]:
    """Two items of a category with the same French text: said on the one the reviewer brought
    (added, moved there, or whose text they changed), naming the other by its row."""
    found = entity_at(merge.merged, path)
    category = entity_at(merge.merged, path[:2])
    if found is None or category is None:
        return (
            merge.cell(sheet, row, "text.fr"),
            say(lang, "refused", message="repeated text"),
            "repeated-text",
        )
    items = category[0].record["items"]
    this = found[0].record
    french = " ".join(this["text"]["fr"].split()).casefold()
    other = next(
        (
            item
            for item in items
            if item is not this and " ".join(item["text"]["fr"].split()).casefold() == french
        ),
        None,
    )
    if other is None:
        return (
            merge.cell(sheet, row, "text.fr"),
            say(lang, "refused", message="repeated text"),
            "repeated-text",
        )
    mine, theirs = this, other
    brought = merge.arrived | merge.changed_text
    if this["id"] not in brought and other["id"] in brought and (SHEET_MATRIX, other["id"]) in merge.row_of:
        mine, theirs = other, this
    mine_row = merge.row_of[(SHEET_MATRIX, mine["id"])]
    theirs_row = merge.row_of.get((SHEET_MATRIX, theirs["id"]))
    shown_row = str(theirs_row.number) if theirs_row is not None else "—"
    text = say(lang, "repeated-text", row=shown_row, key=quote(lang, theirs["id"]))
    return merge.cell(SHEET_MATRIX, mine_row, "text.fr"), text, "repeated-text"


def _referred(merge: Merge, path: tuple[Any, ...]) -> tuple[str, str, str] | None:
    """For a reference to an item that is gone: the cell of the reviewer's that removed it, the
    item that refers to it, and the item's id."""
    found = entity_at(merge.merged, path)
    if found is None:
        return None
    entity, rest = found
    see = entity.record.get("see")
    if not isinstance(see, dict) or len(rest) < 3 or rest[:2] != ("see", "items"):
        return None
    index = rest[2]
    items = see.get("items", [])
    if not isinstance(index, int) or not 0 <= index < len(items):
        return None
    key = items[index]
    cell = merge.deleted_cells.get(key) or say(merge.lang, "row-removed-cell", sheet=SHEET_MATRIX, key=key)
    return cell, str(entity.id), str(key)
