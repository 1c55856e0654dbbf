"""Hostile or broken workbooks: a clear error, exit 1, the policy untouched. One test per kind.

The files are built here from a genuine export, rewritten with zipfile, rather than kept as binaries.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl.utils import get_column_letter

from support_scope.errors import WorkbookError
from support_scope.workbook.importer import import_workbook
from test_workbook_fixtures import export_to, small_policy


def _rezip(source: Path, target: Path, change: Callable[[dict[str, bytes]], None]) -> Path:
    with zipfile.ZipFile(source) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    change(parts)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return target


def _matrix_part(parts: dict[str, bytes]) -> str:
    return "xl/worksheets/sheet2.xml"  # Lisez-moi is sheet1, Matrice sheet2


def _macro(parts: dict[str, bytes]) -> None:
    parts["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0 not really vba"


def _external_link(parts: dict[str, bytes]) -> None:
    parts["xl/externalLinks/externalLink1.xml"] = (
        b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
    )


def _entity_bomb(parts: dict[str, bytes]) -> None:
    entities = "".join(f'<!ENTITY e{i} "&e{i - 1};&e{i - 1};">' for i in range(1, 30))
    parts["xl/sharedStrings.xml"] = (
        f'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY e0 "boom">{entities}]>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&e29;</t></si></sst>'
    ).encode()


def _zip_bomb(parts: dict[str, bytes]) -> None:
    parts["docProps/custom.xml"] = b"<a>" + b" " * (64 * 1024 * 1024) + b"</a>"


def _swollen(parts: dict[str, bytes]) -> None:
    name = _matrix_part(parts)
    rows = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>x</t></is></c></row>' for n in range(2, 250_100)
    )
    parts[name] = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + rows
        + "</sheetData></worksheet>"
    ).encode()


def _unexpected_part(parts: dict[str, bytes]) -> None:
    parts["xl/evil/payload.exe"] = b"MZ"


def _no_workbook(parts: dict[str, bytes]) -> None:
    del parts["xl/workbook.xml"]


def _macro_content_type(parts: dict[str, bytes]) -> None:
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml"
    )


def _no_meta(parts: dict[str, bytes]) -> None:
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b'name="Meta"', b'name="Autre"')


def _tampered_snapshot(parts: dict[str, bytes]) -> None:
    # The snapshot is zlib in base64 ("eJ..."), on the hidden Meta sheet: flip a character of it.
    name = next(n for n, data in parts.items() if b">eJ" in data)
    data = parts[name]
    marker = data.index(b">eJ") + 10
    flipped = b"A" if data[marker : marker + 1] != b"A" else b"B"
    parts[name] = data[:marker] + flipped + data[marker + 1 :]


CASES: list[tuple[str, Callable[[dict[str, bytes]], None], str]] = [
    ("macro", _macro, "macros"),
    ("external-link", _external_link, "external links"),
    ("entity-bomb", _entity_bomb, "DTD or entities"),
    ("zip-bomb", _zip_bomb, "zip bomb"),
    ("swollen", _swollen, "more than 250,000 rows"),
    ("unexpected-part", _unexpected_part, "unexpected part"),
    ("no-workbook", _no_workbook, "no xl/workbook.xml"),
    ("macro-content-type", _macro_content_type, "macro-enabled"),
    ("no-meta", _no_meta, "no Meta sheet"),
    ("tampered-snapshot", _tampered_snapshot, "snapshot"),
]


@pytest.mark.parametrize(("name", "change", "expected"), CASES, ids=[case[0] for case in CASES])
def test_hostile_workbook_is_refused(
    tmp_path: Path, run_cli: Any, name: str, change: Callable[[dict[str, bytes]], None], expected: str
) -> None:
    policy, workbook = export_to(tmp_path, small_policy())
    before = policy.read_bytes()
    hostile = _rezip(workbook, tmp_path / f"{name}.xlsx", change)
    with pytest.raises(WorkbookError, match=expected):
        import_workbook(hostile, policy)
    result = run_cli("import-xlsx", str(hostile), "--into", str(policy))
    assert result.exit_code == 1
    assert expected in result.output and "Traceback" not in result.output
    assert policy.read_bytes() == before


def test_not_a_workbook(tmp_path: Path, run_cli: Any) -> None:
    policy, _ = export_to(tmp_path, small_policy())
    before = policy.read_bytes()
    fake = tmp_path / "notes.xlsx"
    fake.write_text("id;text\n1;hello\n", encoding="utf-8")
    result = run_cli("import-xlsx", str(fake), "--into", str(policy))
    assert result.exit_code == 1 and "not a workbook" in result.output
    assert policy.read_bytes() == before


def test_xlsm_is_refused(tmp_path: Path, run_cli: Any) -> None:
    policy, workbook = export_to(tmp_path, small_policy(), name="review.xlsm")
    result = run_cli("import-xlsx", str(workbook), "--into", str(policy))
    assert result.exit_code == 1 and ".xlsm" in result.output


def test_formula_cell_is_refused_with_its_cell(tmp_path: Path, run_cli: Any) -> None:
    policy, workbook = export_to(tmp_path, small_policy())
    before = policy.read_bytes()

    def formula(parts: dict[str, bytes]) -> None:
        name = _matrix_part(parts)
        sheet = parts[name]
        # Replace the first French text cell (E2) with a formula pointing at another file.
        start = sheet.index(b'<c r="E2"')
        end = sheet.index(b"</c>", start) + 4
        parts[name] = sheet[:start] + b'<c r="E2" t="str"><f>[1]Sheet1!A1</f><v>x</v></c>' + sheet[end:]

    hostile = _rezip(workbook, tmp_path / "formula.xlsx", formula)
    result = run_cli("import-xlsx", str(hostile), "--into", str(policy))
    assert result.exit_code == 1 and "Matrice!E2" in result.output and "formula" in result.output
    assert policy.read_bytes() == before


def test_policy_that_does_not_match(tmp_path: Path, run_cli: Any) -> None:
    policy, workbook = export_to(tmp_path, small_policy())
    other = small_policy()
    other["id"] = "other-scope"
    policy.write_text(__import__("json").dumps(other), encoding="utf-8")
    before = policy.read_bytes()
    result = run_cli("import-xlsx", str(workbook), "--into", str(policy))
    assert result.exit_code == 1 and "'demo-scope', not 'other-scope'" in result.output
    assert policy.read_bytes() == before


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _refused(tmp_path: Path, run_cli: Any, change: Callable[[dict[str, bytes]], None], expected: str) -> None:
    """The hostile workbook is refused: exit 1, ``expected`` in the message, the policy untouched."""
    policy, workbook = export_to(tmp_path, small_policy())
    before = _sha256(policy)
    hostile = _rezip(workbook, tmp_path / "hostile.xlsx", change)
    result = run_cli("import-xlsx", str(hostile), "--into", str(policy))
    assert result.exit_code == 1, result.output
    assert expected in result.output and "Traceback" not in result.output, result.output
    assert _sha256(policy) == before


def _with_row(row: str) -> Callable[[dict[str, bytes]], None]:
    def change(parts: dict[str, bytes]) -> None:
        name = _matrix_part(parts)
        parts[name] = parts[name].replace(b"</sheetData>", row.encode() + b"</sheetData>")

    return change


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            '<row r="50">'
            + "".join(
                f'<c r="{get_column_letter(n)}50" t="inlineStr"><is><t>x</t></is></c>' for n in range(1, 1100)
            )
            + "</row>",
            "Matrice!50:50: row 50 holds 1,099 cells (at most 1,024",
        ),
        (
            '<row r="50"><c r="XFD50" t="inlineStr"><is><t>x</t></is></c></row>',
            "Matrice!XFD50: a cell outside",
        ),
    ],
    ids=["too-many-cells", "far-column"],
)
def test_a_row_too_wide_is_refused(tmp_path: Path, run_cli: Any, row: str, expected: str) -> None:
    _refused(tmp_path, run_cli, _with_row(row), expected)


def test_an_element_that_never_closes_is_refused_with_bounded_buffering(tmp_path: Path, run_cli: Any) -> None:
    import base64
    import random

    from support_scope.workbook.safety import MAX_ELEMENT_BYTES

    # Incompressible text (a zip bomb is refused sooner, by its ratio), longer than the cap, never closed.
    text = base64.b64encode(random.Random(0).randbytes(MAX_ELEMENT_BYTES * 3 // 4 + 1_000_000))

    def change(parts: dict[str, bytes]) -> None:
        name = _matrix_part(parts)
        head = parts[name][: parts[name].index(b"</sheetData>")]
        parts[name] = head + b'<row r="90"><c r="A90" t="inlineStr"><is><t>' + text

    _refused(tmp_path, run_cli, change, f"of more than {MAX_ELEMENT_BYTES:,} bytes, or one that never closes")


def test_the_rows_cap_holds_a_large_legitimate_export() -> None:
    from support_scope.workbook.safety import MAX_ROWS

    # The 10,000-category synthetic policy has about 170,000 matrix rows: importable, not refused.
    assert 10_000 * 17 < MAX_ROWS <= 250_000
