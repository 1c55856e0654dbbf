""".ods, LibreOffice's own format: imported under the same law and the same safety checks as .xlsx.

The .ods files here are written by a small writer that lays cells out as LibreOffice does
(trailing empty cells and rows as repeats, one paragraph per line, notes as annotations), so that
these tests run everywhere; tests/test_realclients.py imports .ods files LibreOffice and Gnumeric
saved themselves.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from support_scope.errors import WorkbookError
from test_workbook_fixtures import export_to, find_row, header_column, run_import, small_policy

_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"'
)
_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


def _cell(value: Any) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, bool):
        return f'<table:table-cell office:value-type="boolean" office:boolean-value="{str(value).lower()}"><text:p>{value}</text:p></table:table-cell>'
    if isinstance(value, (int, float)):
        return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
    paragraphs = "".join(f"<text:p>{escape(line)}</text:p>" for line in str(value).split("\n"))
    return f'<table:table-cell office:value-type="string" calcext:value-type="string">{paragraphs}</table:table-cell>'


def to_ods(
    xlsx: Path,
    target: Path,
    change: Callable[[dict[str, list[list[Any]]]], None] | None = None,
    content: Callable[[str], str] | None = None,
    parts: dict[str, bytes] | None = None,
) -> Path:
    """``xlsx`` as an .ods: its sheets' values (``change`` may edit them by sheet, row, column;
    ``content`` may rewrite content.xml; ``parts`` adds parts)."""
    from openpyxl import load_workbook

    book = load_workbook(xlsx)
    sheets = {ws.title: [[cell.value for cell in row] for row in ws.iter_rows()] for ws in book.worksheets}
    if change is not None:
        change(sheets)
    tables = []
    for name, rows in sheets.items():
        body = []
        for row in rows:
            while row and row[-1] is None:
                row = row[:-1]
            cells = "".join(_cell(value) for value in row)
            body.append(
                f'<table:table-row>{cells}<table:table-cell table:number-columns-repeated="{1024 - len(row)}"/></table:table-row>'
            )
        body.append(
            '<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
        )
        tables.append(f'<table:table table:name="{escape(name)}">{"".join(body)}</table:table>')
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {_NS} office:version="1.3">'
        f"<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet></office:body></office:document-content>"
    )
    if content is not None:
        xml = content(xml)
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    meta = f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-meta {_NS}><office:meta><dc:date>2025-06-30T10:00:00</dc:date></office:meta></office:document-meta>'
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("mimetype", _MIMETYPE, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", xml, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("meta.xml", meta, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        for name, data in (parts or {}).items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return target


def _matrix_cell(sheets: dict[str, list[list[Any]]], key: str, header: str) -> tuple[int, int]:
    rows = sheets["Matrice"]
    column = next(i for i, value in enumerate(rows[0]) if str(value).startswith(header))
    id_column = next(i for i, value in enumerate(rows[0]) if str(value).startswith("Id"))
    row = next(i for i, values in enumerate(rows) if values[id_column] == key)
    return row, column


def _set(key: str, header: str, value: Any) -> Callable[[dict[str, list[list[Any]]]], None]:
    def change(sheets: dict[str, list[list[Any]]]) -> None:
        row, column = _matrix_cell(sheets, key, header)
        sheets["Matrice"][row][column] = value

    return change


def test_an_unedited_ods_imports_to_the_same_bytes(tmp_path: Path) -> None:
    policy, workbook = export_to(tmp_path, small_policy())
    before = policy.read_bytes()
    result = run_import(to_ods(workbook, tmp_path / "review.ods"), policy)
    assert result.ok, result.problems
    assert not result.changed and not result.written and policy.read_bytes() == before


def test_an_ods_edit_lands_and_its_notes_are_kept(tmp_path: Path) -> None:
    policy, workbook = export_to(tmp_path, small_policy())

    def note(xml: str) -> str:
        annotation = (
            "<office:annotation><dc:creator>Léa Dupont</dc:creator><dc:date>2025-06-29T09:00:00</dc:date>"
            "<text:p>Première ligne</text:p><text:p>seconde</text:p></office:annotation>"
        )
        return xml.replace(
            '<table:table-cell office:value-type="string" calcext:value-type="string"><text:p>Knowledge base hardened',
            f'<table:table-cell office:value-type="string" calcext:value-type="string">{annotation}<text:p>Knowledge base hardened',
            1,
        )

    ods = to_ods(
        workbook,
        tmp_path / "review.ods",
        _set("setup-kb", "Text (en)", "Knowledge base hardened\nsecond line"),
        note,
    )
    result = run_import(ods, policy)
    assert result.ok and result.written, result.problems
    assert [c.rule for c in result.diff().changes] == ["translation-changed"]
    assert [(c.cell, c.key, c.author, c.date, c.text) for c in result.comments] == [
        ("Matrice!G2", "setup-kb", "Léa Dupont", "2025-06-29", "Première ligne\nseconde")
    ]


def test_ods_cells_that_are_not_text_formulas_and_merged_cells_are_refused_by_cell(tmp_path: Path) -> None:
    policy, workbook = export_to(tmp_path, small_policy())

    def cells(xml: str) -> str:
        return (
            xml.replace(
                '<table:table-cell office:value-type="string" calcext:value-type="string"><text:p>Installation procedure</text:p></table:table-cell>',
                '<table:table-cell office:value-type="date" office:date-value="2025-07-24"><text:p>24/07/25</text:p></table:table-cell>',
            )
            .replace(
                '<table:table-cell office:value-type="string" calcext:value-type="string"><text:p>Internal networks</text:p></table:table-cell>',
                '<table:table-cell office:value-type="percentage" office:value="0.3"><text:p>30 %</text:p></table:table-cell>',
            )
            .replace(
                '<table:table-cell office:value-type="string" calcext:value-type="string"><text:p>Onboarding session</text:p></table:table-cell>',
                '<table:table-cell table:formula="of:=1+1" office:value-type="float" office:value="2"><text:p>2</text:p></table:table-cell>',
            )
            .replace(
                '<table:table-cell office:value-type="string" calcext:value-type="string"><text:p>Web server security</text:p></table:table-cell>',
                '<table:table-cell office:value-type="string" table:number-columns-spanned="2"><text:p>Web server security</text:p></table:table-cell>',
            )
        )

    result = run_import(to_ods(workbook, tmp_path / "cells.ods", content=cells), policy)
    problems = {(p.cell, p.rule) for p in result.problems}
    assert problems == {
        ("Matrice!G3", "cell-type"),
        ("Matrice!G4", "cell-type"),
        ("Matrice!G5", "formula"),
        ("Matrice!G7:H7", "merged-cell"),
    }, result.problems
    messages = {p.cell: p.message for p in result.problems}
    assert messages["Matrice!G3"].startswith("the cell holds a date ('2025-07-24'), not text")
    assert messages["Matrice!G4"].startswith("the cell holds a percentage ('30 %'), not text")


def _refused(tmp_path: Path, expected: str, **changes: Any) -> None:
    policy, workbook = export_to(tmp_path, small_policy())
    before = policy.read_bytes()
    ods = to_ods(workbook, tmp_path / "hostile.ods", **changes)
    with pytest.raises(WorkbookError, match=expected):
        run_import(ods, policy)
    assert policy.read_bytes() == before


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"parts": {"Basic/Standard/Module1.xml": b"<x/>"}}, "contains macros"),
        ({"parts": {"Object 1/content.xml": b"<x/>"}}, "contains embedded objects"),
        ({"parts": {"secret.bin": b"x"}}, "unexpected part 'secret.bin'"),
        (
            {
                "content": lambda xml: xml.replace(
                    "<office:document-content", '<!DOCTYPE x [<!ENTITY a "b">]><office:document-content', 1
                )
            },
            "declares a DTD",
        ),
        (
            {
                "content": lambda xml: xml.replace(
                    '<table:table table:name="Matrice">',
                    '<table:table table:name="Matrice"><table:table-source xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="file:///etc/passwd"/>',
                    1,
                )
            },
            "a sheet linked to another file",
        ),
        (
            {
                "content": lambda xml: xml.replace(
                    '<table:table-cell table:number-columns-repeated="1024"/></table:table-row></table:table>',
                    '<table:table-cell table:number-columns-repeated="1024"/></table:table-row><table:table-row><table:table-cell table:number-columns-repeated="5000" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table>',
                    1,
                )
            },
            "outside columns A to AMJ",
        ),
        (
            {
                "content": lambda xml: xml.replace(
                    "</table:table>",
                    '<table:table-row table:number-rows-repeated="300000"><table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table>',
                    1,
                )
            },
            "more than 250,000 rows",
        ),
        (
            {
                "content": lambda xml: xml.replace(
                    "</table:table>",
                    '<table:table-row table:number-rows-repeated="20000"><table:table-cell table:number-columns-repeated="1000" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table>',
                    1,
                )
            },
            "more than 8,000,000 filled cells",
        ),
        ({"content": lambda xml: xml.replace("</office:document-content>", "")}, "not well-formed"),
    ],
    ids=[
        "macros",
        "embedded",
        "unexpected",
        "dtd",
        "external-link",
        "wide-row",
        "rows",
        "repeated-cells",
        "damaged",
    ],
)
def test_a_hostile_ods_is_refused(tmp_path: Path, changes: dict[str, Any], expected: str) -> None:
    _refused(tmp_path, expected, **changes)


def test_an_encrypted_ods_is_refused(tmp_path: Path) -> None:
    policy, workbook = export_to(tmp_path, small_policy())
    ods = to_ods(workbook, tmp_path / "plain.ods")
    with zipfile.ZipFile(ods) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts["META-INF/manifest.xml"] = parts["META-INF/manifest.xml"].replace(
        b"</manifest:manifest>", b"<manifest:encryption-data/></manifest:manifest>"
    )
    with zipfile.ZipFile(tmp_path / "encrypted.ods", "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    with pytest.raises(WorkbookError, match="encrypted"):
        run_import(tmp_path / "encrypted.ods", policy)


def test_gnumeric_styled_rows_of_16384_empty_cells_are_read(tmp_path: Path) -> None:
    """A row Gnumeric formatted whole is written as 16,384 styled empty cells: skipped, not refused."""
    from openpyxl import load_workbook

    policy, workbook = export_to(tmp_path, small_policy())
    before = policy.read_bytes()
    book = load_workbook(workbook)
    matrix = book["Matrice"]
    row = find_row(matrix, "setup-kb")
    assert header_column(matrix, "Text (en)") == 7
    del book
    with zipfile.ZipFile(workbook) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    from openpyxl.utils import get_column_letter

    empty = "".join(f'<c r="{get_column_letter(c)}{row}" s="1"/>' for c in range(19, 16385)).encode()
    sheet = parts["xl/worksheets/sheet2.xml"]
    marker = f'<row r="{row}"'.encode()
    start = sheet.index(marker)
    end = sheet.index(b"</row>", start)
    parts["xl/worksheets/sheet2.xml"] = sheet[:end] + empty + sheet[end:]
    with zipfile.ZipFile(tmp_path / "gnumeric.xlsx", "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    result = run_import(tmp_path / "gnumeric.xlsx", policy)
    assert result.ok and not result.changed and policy.read_bytes() == before
