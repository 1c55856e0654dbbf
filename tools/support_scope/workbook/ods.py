"""Reading an OpenDocument spreadsheet (.ods, LibreOffice's own format) as the import reads an .xlsx.

An .ods keeps every sheet in one part, ``content.xml``: sheets (``table:table``) of rows
(``table:table-row``) of cells (``table:table-cell``), where a run of identical cells or rows is
written once with a repeat count (``table:number-columns-repeated``, ``-rows-repeated``): a
sheet's trailing empty rows are one element repeated a million times. The part is parsed as a
stream, one row at a time (the rows are kept, in cell form, for the import; the elements are
dropped as soon as they are read); empty repeats only move the row or column counter, and what
holds something is bounded as in an .xlsx: rows per sheet, cells per row, columns, bytes per row.
The archive itself was checked first (:func:`support_scope.workbook.safety.check_ods_archive`).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from typing import Any

from support_scope.errors import WorkbookError
from support_scope.workbook.safety import (
    MAX_CELLS_PER_ROW,
    MAX_COLUMNS,
    MAX_ELEMENT_BYTES,
    MAX_MERGED,
    MAX_ROWS,
    Cell,
    _guard_prolog,
    _read_small,
    _reading,
)

_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_DC = "http://purl.org/dc/elements/1.1/"
_CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"

_T_TABLE = f"{{{_TABLE}}}table"
_T_ROW = f"{{{_TABLE}}}table-row"
_T_CELL = f"{{{_TABLE}}}table-cell"
_T_COVERED = f"{{{_TABLE}}}covered-table-cell"
_T_ANNOTATION = f"{{{_OFFICE}}}annotation"
_T_P = f"{{{_TEXT}}}p"
_T_S = f"{{{_TEXT}}}s"
_T_TAB = f"{{{_TEXT}}}tab"
_T_BREAK = f"{{{_TEXT}}}line-break"
_T_CREATOR = f"{{{_DC}}}creator"
_T_DATE = f"{{{_DC}}}date"
# Elements that pull data from elsewhere: refused, as an .xlsx's external links are.
_EXTERNAL = {
    f"{{{_TABLE}}}table-source": "a sheet linked to another file",
    f"{{{_TABLE}}}dde-link": "a DDE link",
    f"{{{_OFFICE}}}dde-source": "a DDE link",
    f"{{{_TABLE}}}cell-range-source": "a range linked to another file",
}

_A_NAME = f"{{{_TABLE}}}name"
_A_COLS = f"{{{_TABLE}}}number-columns-repeated"
_A_ROWS = f"{{{_TABLE}}}number-rows-repeated"
_A_SPAN_COLS = f"{{{_TABLE}}}number-columns-spanned"
_A_SPAN_ROWS = f"{{{_TABLE}}}number-rows-spanned"
_A_FORMULA = f"{{{_TABLE}}}formula"
_A_TYPE = f"{{{_OFFICE}}}value-type"
_A_CALC_TYPE = f"{{{_CALCEXT}}}value-type"
_A_VALUE = f"{{{_OFFICE}}}value"
_A_DATE = f"{{{_OFFICE}}}date-value"
_A_TIME = f"{{{_OFFICE}}}time-value"
_A_BOOLEAN = f"{{{_OFFICE}}}boolean-value"
_A_SPACES = f"{{{_TEXT}}}c"

# Cells that hold something, in all: a repeat count makes many of one element, so the bytes of
# the file do not bound them as they bound an .xlsx's. A 10,000-category matrix has some
# 170,000 rows of at most 18 cells; this leaves room for that and no more than 2.5 times it.
MAX_CELLS = MAX_ROWS * 32
# Characters in one cell or note: a spreadsheet's own limit (Excel's, 32,767). ``<text:s text:c="N"/>``
# stands for N spaces: a few bytes would otherwise make gigabytes of text.
MAX_CELL_CHARS = 32_767
# office:value-type -> the kinds iter_rows uses for .xlsx cells
_KINDS = {"float": "n", "percentage": "p", "currency": "c", "date": "d", "time": "t", "boolean": "b"}
_BLOCK = 1024 * 1024


@dataclass
class OdsNote:
    sheet: str
    row: int
    column: int
    author: str | None
    text: str
    date: str | None


@dataclass
class OdsContent:
    """An .ods's sheets as rows of cells (as :func:`~support_scope.workbook.safety.iter_rows`
    gives them), its merged ranges and its notes."""

    sheets: dict[str, list[tuple[int, list[Cell]]]] = field(default_factory=dict)
    merged: dict[str, list[str]] = field(default_factory=dict)
    notes: list[OdsNote] = field(default_factory=list)


def _letters(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(column))


def read_content(archive: zipfile.ZipFile, display: str, max_rows: int = MAX_ROWS) -> OdsContent:
    """Every sheet of the archive's ``content.xml``, streamed row by row with bounded buffers."""
    from xml.etree.ElementTree import ParseError, XMLPullParser

    _guard_prolog(archive, "content.xml", display)
    content = OdsContent()
    parser: Any = XMLPullParser(events=("start", "end"))
    stack: list[Any] = []
    sheet: str | None = None
    row_number = 0
    rows_in_sheet = 0
    in_row_since: int | None = None  # bytes fed when the open row started
    fed = 0
    total = 0  # cells that hold something, repeats counted
    with _reading(display, "content.xml"), archive.open("content.xml") as handle:
        while True:
            chunk = handle.read(_BLOCK)
            try:
                if chunk:
                    parser.feed(chunk)
                else:
                    parser.close()
            except ParseError as e:
                raise WorkbookError(
                    f"{display}: content.xml is not well-formed XML ({e}); the spreadsheet is damaged"
                ) from e
            fed += len(chunk)
            for event, element in parser.read_events():
                tag = element.tag
                if event == "start":
                    stack.append(element)
                    if tag == _T_TABLE:
                        sheet = element.get(_A_NAME) or ""
                        if sheet in content.sheets:
                            raise WorkbookError(
                                f"{display}: two sheets are named {sheet!r}; the spreadsheet is damaged"
                            )
                        content.sheets[sheet] = []
                        content.merged[sheet] = []
                        row_number, rows_in_sheet = 0, 0
                    elif tag == _T_ROW:
                        in_row_since = fed
                    elif tag in _EXTERNAL:
                        raise WorkbookError(f"{display}: the spreadsheet contains {_EXTERNAL[tag]}; refused")
                    continue
                stack.pop()
                if tag == _T_ROW and sheet is not None:
                    in_row_since = None
                    repeat = _count(element.get(_A_ROWS), display, "rows")
                    cells, merged, notes = _row_cells(element, row_number + 1, sheet, display)
                    if cells or notes:
                        if rows_in_sheet + repeat > max_rows:
                            raise WorkbookError(
                                f"{display}: sheet {sheet!r} holds more than {max_rows:,} rows; refused before loading it"
                            )
                        rows_in_sheet += repeat
                        total += (len(cells) + len(notes)) * repeat
                        if total > MAX_CELLS:
                            raise WorkbookError(
                                f"{display}: the spreadsheet holds more than {MAX_CELLS:,} filled cells "
                                "(repeated cells and notes counted); refused before loading it"
                            )
                        if len(content.merged[sheet]) + len(merged) > MAX_MERGED:
                            raise WorkbookError(
                                f"{display}: sheet {sheet!r} holds more than {MAX_MERGED:,} merged ranges; "
                                "refused (no cell is to be merged)"
                            )
                        for offset in range(repeat):
                            number = row_number + 1 + offset
                            if cells:
                                content.sheets[sheet].append((number, list(cells)))
                            content.notes.extend(
                                OdsNote(sheet, number, note.column, note.author, note.text, note.date)
                                for note in notes
                            )
                        content.merged[sheet].extend(merged)
                    row_number += repeat
                    element.clear()
                    if stack:
                        del stack[-1][-1]  # the row was its parent's last child: let it go
                elif tag == _T_TABLE:
                    sheet = None
                    element.clear()
            if in_row_since is not None and fed - in_row_since > MAX_ELEMENT_BYTES:
                raise WorkbookError(
                    f"{display}: content.xml holds a row of more than {MAX_ELEMENT_BYTES:,} bytes, "
                    "or one that never closes; refused"
                )
            if not chunk:
                break
    return content


def _count(value: str | None, display: str, what: str) -> int:
    if value is None:
        return 1
    try:
        count = int(value)
    except ValueError as e:
        raise WorkbookError(
            f"{display}: a repeat count of {value[:20]!r} {what}; the spreadsheet is damaged"
        ) from e
    if count < 1:
        raise WorkbookError(f"{display}: a repeat count of {count} {what}; the spreadsheet is damaged")
    return count


def _row_cells(
    row: Any, number: int, sheet: str, display: str
) -> tuple[list[Cell], list[str], list[OdsNote]]:
    cells: list[Cell] = []
    merged: list[str] = []
    notes: list[OdsNote] = []
    column = 0
    for cell in row:
        if cell.tag not in (_T_CELL, _T_COVERED):
            continue
        repeat = _count(cell.get(_A_COLS), display, "columns")
        try:
            kind, value = _value(cell)
        except _TooLong as e:
            what = e.args[0] if e.args else f"more than {MAX_CELL_CHARS:,} characters"
            raise WorkbookError(
                f"{display}: {sheet}!{_letters(min(column + 1, MAX_COLUMNS))}{number}: {what} in one cell; refused"
            ) from e
        annotation = next((child for child in cell if child.tag == _T_ANNOTATION), None)
        if value is None and annotation is None:
            column += repeat  # empty cells, however many: the counter moves, nothing is built
            continue
        if column + repeat > MAX_COLUMNS:
            raise WorkbookError(
                f"{display}: {sheet}!{number}:{number}: a cell outside columns A to AMJ ({MAX_COLUMNS:,}); "
                "the widest sheet has 18 columns; refused"
            )
        for offset in range(repeat):
            position = column + 1 + offset
            if value is not None:
                cells.append((position, kind, value))
            if annotation is not None:
                try:
                    author, date, text = _annotation(annotation)
                except _TooLong as e:
                    what = e.args[0] if e.args else f"more than {MAX_CELL_CHARS:,} characters"
                    raise WorkbookError(
                        f"{display}: {sheet}!{_letters(position)}{number}: a note of {what}; refused"
                    ) from e
                notes.append(OdsNote(sheet, number, position, author, text, date))
        if cell.tag == _T_CELL:
            span_cols = _count(cell.get(_A_SPAN_COLS), display, "columns")
            span_rows = _count(cell.get(_A_SPAN_ROWS), display, "rows")
            if span_cols > 1 or span_rows > 1:
                last = min(column + span_cols, MAX_COLUMNS)
                merged.append(f"{_letters(column + 1)}{number}:{_letters(last)}{number + span_rows - 1}")
        column += repeat
        if len(cells) > MAX_CELLS_PER_ROW:
            raise WorkbookError(
                f"{display}: {sheet}!{number}:{number}: row {number} holds more than {MAX_CELLS_PER_ROW:,} "
                "cells; refused"
            )
    return cells, merged, notes


def _value(cell: Any) -> tuple[str, Any]:
    """A cell's kind and value: the kinds of :func:`~support_scope.workbook.safety.iter_rows`."""
    formula = cell.get(_A_FORMULA)
    if formula is not None:
        return "f", "=" + formula.partition(":")[2] if formula.startswith("of:") else formula
    if cell.get(_A_CALC_TYPE) == "error":
        return "e", _text(cell) or "#ERR"
    kind = cell.get(_A_TYPE)
    if kind is None or kind == "string":
        text = _text(cell)
        return "s", text if text else None
    found = _KINDS.get(kind, kind)
    if found == "b":
        return "b", cell.get(_A_BOOLEAN, "")
    if found == "d":
        return "d", cell.get(_A_DATE, "")
    if found == "t":
        return "t", cell.get(_A_TIME, "")
    raw = cell.get(_A_VALUE)
    if raw is None:
        return found, _text(cell) or None
    try:
        number = float(raw)
    except ValueError:
        return found, raw
    return found, int(number) if number.is_integer() and abs(number) < 2**53 else number


class _TooLong(ValueError):
    """A cell's or a note's text is longer than :data:`MAX_CELL_CHARS`."""


def _text(cell: Any) -> str:
    """A cell's text: its paragraphs, one line each (notes left out)."""
    budget = [MAX_CELL_CHARS]
    return "\n".join(_paragraph(child, budget) for child in cell if child.tag == _T_P)


def _paragraph(element: Any, budget: list[int], depth: int = 0) -> str:
    """A paragraph's text; ``budget`` holds the spaces written as a count (``text:s``) the cell
    may still take: those cost no bytes. Longer than :data:`MAX_CELL_CHARS`: :class:`_TooLong`."""
    parts = [element.text or ""]
    for child in element:
        tag = child.tag
        if tag == _T_S:
            try:
                count = max(min(int(child.get(_A_SPACES, "1")), MAX_CELL_CHARS + 1), 0)
            except ValueError:
                count = 1
            budget[0] -= count
            if budget[0] < 0:
                raise _TooLong
            parts.append(" " * count)
        elif tag == _T_TAB:
            parts.append("\t")
        elif tag == _T_BREAK:
            parts.append("\n")
        elif tag != _T_ANNOTATION:
            if depth >= 32:
                raise _TooLong("text spans nested more than 32 deep")  # no spreadsheet writes that
            parts.append(_paragraph(child, budget, depth + 1))
        parts.append(child.tail or "")
    text = "".join(parts)
    if len(text) > MAX_CELL_CHARS:
        raise _TooLong
    return text


def _annotation(annotation: Any) -> tuple[str | None, str | None, str]:
    budget = [MAX_CELL_CHARS]
    author = date = None
    lines = []
    for child in annotation:
        if child.tag == _T_CREATOR:
            author = (child.text or "").strip() or None
        elif child.tag == _T_DATE:
            date = (child.text or "").strip() or None
        elif child.tag == _T_P:
            lines.append(_paragraph(child, budget))
    return author, date, "\n".join(lines)


def saved_date(archive: zipfile.ZipFile, display: str) -> str | None:
    """When the spreadsheet was last saved (``meta.xml``'s ``dc:date``), as ``YYYY-MM-DD``."""
    import re

    info = archive.NameToInfo.get("meta.xml")
    if info is None or info.file_size > 1024 * 1024:
        return None
    found = re.search(rb"<dc:date>([0-9]{4}-[0-9]{2}-[0-9]{2})", _read_small(archive, "meta.xml", display))
    return found.group(1).decode() if found else None
