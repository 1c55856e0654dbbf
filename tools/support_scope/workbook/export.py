"""Export: a valid policy as the review workbook (.xlsx bytes), deterministic: same policy, same bytes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from io import BytesIO
from typing import Any

from support_scope import __version__
from support_scope.errors import InputError
from support_scope.fileio.jsonfile import paused_gc
from support_scope.model.vocab import BILLING_KINDS, CONDITION_FAILURES, TERM_KINDS, VOCABULARY_KINDS
from support_scope.workbook.layout import (
    EDITABLE,
    FORMAT,
    ROW_STATUSES,
    SHEET_LISTS,
    SHEET_MATRIX,
    SHEET_META,
    SHEET_README,
    Table,
    Value,
    checksum,
    row_counts,
    sheet_rows,
    tables,
)
from support_scope.workbook.readme import readme, readme_glossary
from support_scope.workbook.snapshot import encode_snapshot, pack

# A text Excel or Calc would read as a formula or an error value unless it is marked as text.
_FORMULA_START = ("=", "+", "-", "@")
_ERROR_CODES = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!", "#CALC!"}
)


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
    from support_scope.validate.documents import document_findings, findings_message

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
        # Band 0 has no fill: its empty cells look as their column's style makes them (Text
        # format, wrapped), so they are left out of the file; band 1's are written, with their fill.
        bands = (PatternFill(), PatternFill("solid", fgColor="EAF1FB"))
        # Style ids (cellXfs indexes) of every kind of data cell: registering a style is what
        # makes openpyxl write it into styles.xml, even if no cell it writes uses it. Text columns
        # have the Text number format ("@"): what a reviewer types there stays text as typed.
        self.style_ids: dict[tuple[str, int, bool, bool], int] = {}
        for band, fill in enumerate(bands):
            for locked in (False, True):
                for quoted in (False, True):
                    for text in (False, True):
                        cell = WriteOnlyCell(sheet)
                        cell.alignment = wrap
                        cell.fill = fill
                        cell.protection = Protection(locked=locked)
                        if locked:
                            cell.font = Font(color="555555")
                        cell.quotePrefix = quoted
                        if text:
                            cell.number_format = "@"
                        self.style_ids[("locked" if locked else "open", band, quoted, text)] = cell.style_id
        for quoted in (False, True):
            plain = WriteOnlyCell(sheet)
            plain.quotePrefix = quoted
            plain.number_format = "@"
            self.style_ids[("plain", 0, quoted, True)] = plain.style_id
        header = WriteOnlyCell(sheet)
        header.font = Font(bold=True, color="FFFFFF")
        header.fill = PatternFill("solid", fgColor="1F4E79")
        header.alignment = Alignment(wrap_text=True, vertical="center")
        header.protection = Protection(locked=True)
        header.number_format = "@"
        self.style_ids[("header", 0, False, True)] = header.style_id
        # The read me: wrapped text, its headings in bold (a title could start with "=").
        for bold in (False, True):
            for quoted in (False, True):
                cell = WriteOnlyCell(sheet)
                cell.alignment = wrap
                cell.font = Font(bold=bold, size=12 if bold else 11)
                cell.quotePrefix = quoted
                cell.number_format = "@"
                self.style_ids[("heading" if bold else "text", 0, quoted, True)] = cell.style_id

    def write(self) -> tuple[bytes, ExportSummary]:
        digest, chunks = encode_snapshot(self.doc)
        self._readme()
        for name in EDITABLE:
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

    def _table(self, table: Table) -> None:
        from openpyxl.styles import Alignment, Protection
        from openpyxl.utils import get_column_letter
        from openpyxl.worksheet.datavalidation import DataValidation

        sheet = self._sheet(table.sheet, lambda: self._table_rows(table, letters))
        letters = [get_column_letter(position) for position in range(1, len(table.columns) + 1)]
        for letter, column in zip(letters, table.columns, strict=True):
            dimension = sheet.column_dimensions[letter]
            dimension.width = column.width
            # Cells typed below the last row take the column's format: Text in a text column.
            dimension.protection = Protection(locked=column.locked)
            dimension.alignment = Alignment(wrap_text=True, vertical="top")
            if not column.numeric:
                dimension.number_format = "@"
            if column.choices and self._lists_content[column.choices][1]:  # an empty list: free text
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
            elif column.locked:
                # No sheet protection (LibreOffice then refuses to sort or filter): the grey
                # columns refuse typing instead (a text length below zero never validates).
                # Sorting, filtering, inserting and deleting rows, and notes stay free.
                validation = DataValidation(
                    type="textLength",
                    operator="lessThan",
                    formula1="0",
                    allow_blank=True,
                    showErrorMessage=True,
                    errorTitle="Colonne grisée / Grey column",
                    error=_LOCKED_MESSAGE,
                )
                validation.add(f"{letter}2:{letter}1048576")
                sheet.data_validations.append(validation)
        sheet.freeze_panes = "D2" if table.sheet == SHEET_MATRIX else "B2"
        sheet.auto_filter.ref = f"A1:{letters[-1]}{self.counts[table.sheet] + 1}"
        area = None
        if table.printed is not None:
            first, last = (letters[table.index(key)] for key in table.printed)
            area = f"{first}1:{last}{self.counts[table.sheet] + 1}"
        self._print_setup(sheet, area)

    def _print_setup(self, sheet: Any, area: str | None = None, titles: bool = True) -> None:
        """Printed or saved as PDF: A4 landscape, fitted to the page's width (as many pages
        tall as needed), the header row on every page, page numbers in the footer."""
        setup = sheet.page_setup
        setup.orientation = "landscape"
        setup.paperSize = 9  # A4
        setup.fitToWidth = 1
        setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        if titles:
            sheet.print_title_rows = "1:1"
        if area is not None:
            sheet.print_area = area
        sheet.oddFooter.left.text = "&A"
        sheet.oddFooter.center.text = "&P / &N"
        sheet.oddFooter.right.text = f"{self.doc['id']} {self.doc['version']}"

    def _table_rows(self, table: Table, letters: list[str]) -> Iterator[str]:
        kinds = ["locked" if column.locked else "open" for column in table.columns]
        texts = [not column.numeric for column in table.columns]
        keys = [column.key for column in table.columns]
        widths = [column.width for column in table.columns]
        ids = self.style_ids
        headers = [column.header for column in table.columns]
        yield _row_xml(
            1,
            [
                (letter, header, ids, "header", 0, True)
                for letter, header in zip(letters, headers, strict=True)
            ],
            height=row_height(headers, widths),
        )
        sums = self.sums[table.sheet] = {}
        # Per column: its letter, width, and style ids by band: empty or plain, quoted, number.
        columns = [
            (
                letter,
                column.width,
                tuple(ids[(kind, band, False, text)] for band in (0, 1)),
                tuple(ids[(kind, band, True, text)] for band in (0, 1)),
                tuple(ids[(kind, band, False, False)] for band in (0, 1)),
            )
            for letter, column, kind, text in zip(letters, table.columns, kinds, texts, strict=True)
        ]
        band, previous = 1, None
        for number, row in enumerate(sheet_rows(self.doc, self.layout, table.sheet), start=2):
            group = row.values.get("category") if table.sheet == SHEET_MATRIX else row.key
            if group != previous:
                band, previous = 1 - band, group
            sums[row.key] = checksum(row.stored(table))
            yield _data_row(number, [row.values.get(key) for key in keys], columns, band)

    @cached_property
    def _list_ranges(self) -> dict[str, str]:
        return {
            name: f"{SHEET_LISTS}!${letter}$2:${letter}${len(values) + 1}"
            for name, (letter, values) in self._lists_content.items()
        }

    @cached_property
    def _lists_content(self) -> dict[str, tuple[str, list[str]]]:
        return {
            "statuses": ("A", list(ROW_STATUSES)),
            "tiers": ("B", [tier["id"] for tier in self.doc["tiers"]]),
            "categories": ("C", [category["id"] for category in self.doc["categories"]]),
            "billing": ("D", list(BILLING_KINDS)),
            "term_kinds": ("E", list(TERM_KINDS)),
            "request_kinds": ("F", [kind["id"] for kind in self.doc.get("request_kinds", ())]),
            "failures": ("G", list(CONDITION_FAILURES)),
            "vocabulary_kinds": ("H", list(VOCABULARY_KINDS)),
        }

    def _plain_rows(self, records: Iterator[tuple[Value, ...]]) -> Iterator[str]:
        letters = "ABCDEFGH"
        for number, record in enumerate(records, start=1):
            yield _row_xml(
                number,
                [(letters[i], value, self.style_ids, "plain", 0, True) for i, value in enumerate(record)],
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
        # The checksums are taken as the editable sheets are written, before this sheet.
        if len(self.sums) != len(EDITABLE):
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
        self._print_setup(sheet, titles=False)

    def _readme_rows(self) -> Iterator[str]:
        doc = self.doc
        heading = (
            f"{doc['title']['fr']} — {doc['id']} {doc['version']}",
            f"{doc['title'].get('en', doc['title']['fr'])} — {doc['id']} {doc['version']}",
        )
        lines = [heading, *readme(doc), *readme_glossary(doc)]
        widths = [_README_WIDTH, _README_WIDTH]
        for number, (french, english) in enumerate(lines, start=1):
            kind = "heading" if french.isupper() or number == 1 else "text"
            yield _row_xml(
                number,
                [("A", french, self.style_ids, kind, 0, True), ("B", english, self.style_ids, kind, 0, True)],
                height=row_height([french, english], widths),
            )


_LOCKED_MESSAGE = (
    "Cette colonne ne se modifie pas : l'Id est créé à l'import (laissez-le vide pour une ligne "
    "ajoutée), et les colonnes en lecture seule se modifient sur leur propre feuille. / This column "
    "is not edited: the id is made on import (leave it empty for an added row), and read-only "
    "columns are edited on their own sheet."
)
_README_WIDTH = 80
_LINE_HEIGHT = 15.0  # points: one line of the default 11-point font


def row_height(values: Sequence[Value], widths: Sequence[int]) -> float | None:
    """The height a row needs to show its wrapped texts whole (None: one line, the default).

    Neither Excel nor LibreOffice sizes rows when it opens a file, so without a height a long
    text shows one line only. The estimate wraps each text word by word at one character per
    unit of column width, which errs on the tall side (a unit is the width of a digit; most
    letters are narrower, and LibreOffice's replacement fonts wider ones): a row may show some
    room below its text, never a text cut. Not capped: a long note shows whole. The height is not
    marked custom, so LibreOffice and Excel fit the row again when a cell is edited.
    """
    lines = 1
    for value, width in zip(values, widths, strict=True):
        if isinstance(value, str) and (len(value) > width or "\n" in value):
            lines = max(lines, wrapped_lines(value, width))
    return None if lines == 1 else lines * _LINE_HEIGHT


def wrapped_lines(text: str, width: int) -> int:
    """The lines ``text`` takes wrapped word by word at ``width`` characters (a word longer than
    a line is cut, as a spreadsheet cuts it)."""
    count = 0
    for paragraph in text.split("\n"):
        lines, used = 1, 0
        for word in paragraph.split(" "):
            size = len(word)
            if used and used + 1 + size > width:
                lines, used = lines + 1, 0
            if used:
                used += 1
            used += size
            while used > width:  # a word longer than the line spills over
                lines, used = lines + 1, used - width
        count += lines
    return count


_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_EXCEL_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def _row_xml(
    number: int,
    cells: list[tuple[str, Value, dict[tuple[str, int, bool, bool], int], str, int, bool]],
    height: float | None = None,
    empty_cells: bool = False,
) -> str:
    """One ``<row>``; ``height`` in points. With ``empty_cells``, an empty cell is written with its
    style (its band, its format), else left out. Rows have no style of their own: Gnumeric
    writes a row's style into each of the row's 16,384 cells."""
    attributes = f' ht="{height:g}"' if height else ""
    parts = [f'<row r="{number}"{attributes}>']
    for letter, value, ids, kind, band, text_format in cells:
        if value is None or value == "":
            if empty_cells:
                parts.append(f'<c r="{letter}{number}" s="{ids[(kind, band, False, text_format)]}"/>')
        elif isinstance(value, int):
            parts.append(f'<c r="{letter}{number}" s="{ids[(kind, band, False, False)]}"><v>{value}</v></c>')
        else:
            quoted = value.startswith(_FORMULA_START) or value in _ERROR_CODES
            # Excel reads "_x0041_" in a cell's XML as an escaped "A": escape the underscore itself.
            text = _EXCEL_ESCAPE.sub(r"_x005F_\1", value).translate(_ESCAPES)
            parts.append(
                f'<c r="{letter}{number}" s="{ids[(kind, band, quoted, text_format)]}" t="inlineStr">'
                # Policy texts never start or end with white space; other texts (the read me) might.
                f"<is><t{_PRESERVE if text[0].isspace() or text[-1].isspace() else ''}>{text}</t></is></c>"
            )
    parts.append("</row>")
    return "".join(parts)


def _data_row(
    number: int,
    values: list[Value],
    columns: list[tuple[str, int, tuple[int, ...], tuple[int, ...], tuple[int, ...]]],
    band: int,
) -> str:
    """One data row of a table sheet: every cell written (the empty ones of a shaded band with
    their style: band and format), and the row as tall as its texts need (:func:`row_height`).
    The common path of :func:`_row_xml`, for the 300,000 cells of a 1,000-category matrix."""
    parts = []
    lines = 1
    for (letter, width, plain, quoted_ids, numbers), value in zip(columns, values, strict=True):
        if value is None or value == "":
            if band:
                parts.append(f'<c r="{letter}{number}" s="{plain[band]}"/>')
        elif isinstance(value, int):
            parts.append(f'<c r="{letter}{number}" s="{numbers[band]}"><v>{value}</v></c>')
        else:
            if len(value) > width or "\n" in value:
                lines = max(lines, wrapped_lines(value, width))
            quoted = value.startswith(_FORMULA_START) or value in _ERROR_CODES
            # Excel reads "_x0041_" in a cell's XML as an escaped "A": escape the underscore itself.
            text = (_EXCEL_ESCAPE.sub(r"_x005F_\1", value) if "_x" in value else value).translate(_ESCAPES)
            style = quoted_ids[band] if quoted else plain[band]
            preserve = _PRESERVE if text[0].isspace() or text[-1].isspace() else ""
            parts.append(
                f'<c r="{letter}{number}" s="{style}" t="inlineStr"><is><t{preserve}>{text}</t></is></c>'
            )
    height = f' ht="{lines * _LINE_HEIGHT:g}"' if lines > 1 else ""
    return f'<row r="{number}"{height}>{"".join(parts)}</row>'


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
