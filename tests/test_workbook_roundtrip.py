"""The round-trip law: export then import with no edits leaves the policy file byte-identical."""

from __future__ import annotations

import copy
import shutil
import subprocess
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from support_scope.fileio.jsonfile import dump_json, read_json
from support_scope.model.conditions import format_expression, parse_expression
from support_scope.validate import document_findings
from support_scope.workbook.export import export_workbook
from support_scope.workbook.layout import SHEET_LISTS, SHEET_MATRIX, SHEET_META
from test_workbook_fixtures import edit, export_to, find_row, header_column, run_import, small_policy


def test_unedited_export_imports_to_identical_bytes(tmp_path: Path) -> None:
    policy, workbook = export_to(tmp_path, small_policy())
    before = policy.read_bytes()
    result = run_import(workbook, policy)
    assert result.ok, (result.problems, result.conflicts)
    assert not result.changed and not result.written
    assert policy.read_bytes() == before


def test_shipped_policy_round_trips(tmp_path: Path, shipped_policy: Path) -> None:
    if not shipped_policy.is_file():
        pytest.skip("the shipped policy is not written yet")
    policy = tmp_path / "policy.json"
    shutil.copyfile(shipped_policy, policy)
    data, summary = export_workbook(read_json(policy))
    workbook = tmp_path / "review.xlsx"
    workbook.write_bytes(data)
    assert summary.rows[SHEET_MATRIX] == sum(len(c["items"]) for c in read_json(policy)["categories"])
    result = run_import(workbook, policy)
    assert result.ok and not result.changed
    assert policy.read_bytes() == shipped_policy.read_bytes()


def test_export_is_deterministic() -> None:
    first, _ = export_workbook(small_policy())
    second, _ = export_workbook(small_policy())
    assert first == second  # same policy, same bytes (fixed dates in the archive and the properties)


def test_workbook_layout_for_a_lawyer(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    _, workbook = export_to(tmp_path, small_policy())
    book = load_workbook(workbook)
    assert book.sheetnames[0] == "Lisez-moi"
    assert book[SHEET_LISTS].sheet_state == "hidden" and book[SHEET_META].sheet_state == "hidden"
    matrix = book[SHEET_MATRIX]
    assert matrix.freeze_panes == "D2" and matrix.auto_filter.ref == "A1:T7"
    # No sheet protection: LibreOffice refuses to sort or filter a protected sheet's locked cells.
    assert not matrix.protection.sheet
    row = find_row(matrix, "setup-kb")
    headers = [cell.value for cell in matrix[1]]
    assert headers[:7] == [
        "Catégorie / Category",
        "Titre de la catégorie (lecture seule) / Category title (read only)",
        "Id (ne pas modifier / do not edit)",
        "Statut / Status",
        "Niveau / Tier",
        "Texte (fr)",
        "Text (en)",
    ]
    assert [matrix.cell(row, column).value for column in (1, 2, 3)] == ["setup", "Installation", "setup-kb"]
    text = matrix.cell(row, header_column(matrix, "Texte (fr)"))
    assert text.alignment.wrap_text and text.number_format == "@"  # typed text stays text
    assert matrix.cell(row, header_column(matrix, "Heures min.")).number_format == "General"
    assert matrix.column_dimensions["F"].number_format == "@"  # rows added below, too
    validations = {str(dv.sqref).split(":")[0]: dv for dv in matrix.data_validations.dataValidation}
    assert validations["D2"].formula1.startswith("Listes!") and validations["D2"].showErrorMessage
    # The grey columns refuse typing (no text is shorter than nothing) but not sorting.
    assert (validations["C2"].type, validations["C2"].operator, validations["C2"].formula1) == (
        "textLength",
        "lessThan",
        "0",
    )
    assert validations["B2"].type == "textLength"
    readme = " ".join(str(c.value) for r in book["Lisez-moi"].iter_rows() for c in r if c.value)
    assert "Supprimer" in readme and "Remove" in readme and "deleted" in readme


def test_the_workbook_prints_landscape_fitted_to_width(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    _, workbook = export_to(tmp_path, small_policy())
    book = load_workbook(workbook)
    for name in ("Lisez-moi", SHEET_MATRIX, "Catégories", "Conditions", "Termes"):
        sheet = book[name]
        setup = sheet.page_setup
        assert (setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight) == (
            "landscape",
            9,
            1,
            0,
        )
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.oddFooter.center.text == "&P / &N" and sheet.oddFooter.left.text == "&A"
        assert sheet.oddFooter.right.text == "demo-scope 1.0.0"
        if name != "Lisez-moi":
            assert sheet.print_title_rows == "$1:$1"  # the header row on every page
    # The matrix prints the columns a reader needs, category title to English text.
    assert book[SHEET_MATRIX].print_area == "'Matrice'!$B$1:$G$7"


def test_long_texts_get_tall_rows_and_the_read_me_explains_the_columns(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    doc = small_policy()
    doc["categories"][0]["items"][0]["text"]["fr"] = ("Un long texte. " * 20).strip()  # 299 characters
    doc["categories"][0]["items"][1]["source_note"] = {
        "fr": "\n".join(f"Ligne {n} d'une longue note de source." for n in range(1, 31)),
        "en": "A note.",
    }
    _, workbook = export_to(tmp_path, doc)
    book = load_workbook(workbook)
    matrix = book[SHEET_MATRIX]
    # Neither Excel nor LibreOffice sizes rows on opening: without a height, one line shows.
    # 20 times "Un long texte." in a column 50 wide: 3 a line, 7 lines of 15 points.
    assert matrix.row_dimensions[find_row(matrix, "setup-kb")].height == 7 * 15
    # Not capped: a 30-line note shows whole.
    assert matrix.row_dimensions[find_row(matrix, "setup-procedure")].height == 30 * 15
    assert matrix.row_dimensions[1].height  # the wrapped headers
    readme = book["Lisez-moi"]
    french = " ".join(str(row[0].value) for row in readme.iter_rows() if row[0].value)
    english = " ".join(str(row[1].value) for row in readme.iter_rows() if row[1].value)
    for tier in doc["tiers"]:
        assert f"{tier['id']} = {tier['label']['fr']}" in french
        assert f"{tier['id']} = {tier['label']['en']}" in english
    assert "Renvois" in french and "Referrals" in english and doc["title"]["en"] in english
    assert readme.row_dimensions[3].height  # its first paragraph, over two lines


def test_rows_are_wrapped_word_by_word() -> None:
    from support_scope.workbook.export import row_height, wrapped_lines

    assert wrapped_lines("abc def", 7) == 1
    assert wrapped_lines("abc defg", 7) == 2
    assert wrapped_lines("a\n\nb", 10) == 3
    assert wrapped_lines("x" * 25, 10) == 3  # a word longer than the line is cut
    assert row_height(["short", None, 3], [10, 10, 10]) is None
    assert row_height(["one two three four", "x"], [9, 9]) == 3 * 15  # "one two", "three", "four"


def test_texts_that_look_like_formulas_are_written_as_text(tmp_path: Path) -> None:
    doc = small_policy()
    risky = ["=SUM(A1:A2)", "+33 1 23", "-moins", "@cmd", "#N/A"]
    for item, text in zip(doc["categories"][0]["items"], risky, strict=False):
        item["text"]["fr"] = text
    doc["categories"][1]["items"][0]["text"]["en"] = risky[3]
    doc["categories"][1]["items"][1]["text"]["en"] = risky[4]
    doc["categories"][1]["items"][2]["text"]["fr"] = "_x0041_ & <b>\r\nligne\rsuite"  # XML and Excel escapes
    assert document_findings(doc) == []
    policy, workbook = export_to(tmp_path, doc)
    with zipfile.ZipFile(workbook) as archive:
        sheets = b"".join(archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>" not in sheets and b't="e"' not in sheets
    from openpyxl import load_workbook

    matrix = load_workbook(workbook)[SHEET_MATRIX]
    cell = matrix.cell(find_row(matrix, "setup-kb"), header_column(matrix, "Texte (fr)"))
    assert cell.data_type == "s" and cell.quotePrefix
    before = policy.read_bytes()
    result = run_import(workbook, policy)
    assert result.ok and not result.changed and policy.read_bytes() == before


def test_too_long_or_unsafe_text_is_refused_at_export() -> None:
    from support_scope.errors import InputError

    doc = small_policy()
    doc["categories"][0]["items"][0]["text"]["fr"] = "x" * 32768
    with pytest.raises(InputError, match="32767"):
        export_workbook(doc)
    doc = small_policy()
    doc["categories"][0]["items"][0]["text"]["fr"] = "bad\x01char"
    with pytest.raises(InputError, match="not a valid policy"):
        export_workbook(doc)


@pytest.mark.parametrize(
    "expression",
    [
        {"fact": "new_customer", "op": "eq", "value": True},
        {
            "any": [
                {"fact": "a", "op": "le", "value": -30},
                {"not": {"fact": "b", "op": "ne", "value": 'x "y", z'}},
            ]
        },
        {"all": [{"fact": "all", "op": "gt", "value": 0}]},
    ],
)
def test_expression_syntax_round_trips(expression: dict[str, Any]) -> None:
    assert parse_expression(format_expression(expression)) == expression


# --------------------------------------------------------------------------- property

_alphabet = st.characters(
    codec="utf-8",
    exclude_categories=("Cs", "Cc", "Zl", "Zp"),
    exclude_characters="\ufffe\uffff",
) | st.sampled_from(list("\néàçÉœ’«» =+-@#"))

_texts = st.builds(
    lambda head, body: unicodedata.normalize("NFC", (head + body)).strip(),
    st.sampled_from(["", "=", "+", "-", "@", "#N/A ", "Conseils "]),
    st.text(_alphabet, min_size=1, max_size=40),
).filter(lambda t: bool(t) and not t.isspace())
_long_texts = st.integers(min_value=30000, max_value=32767).map(lambda n: "é" * n)


@st.composite
def policies(draw: st.DrawFn) -> dict[str, Any]:
    doc = small_policy()
    items = [item for category in doc["categories"] for item in category["items"]]
    used: set[str] = set()
    english_declared = draw(st.booleans())
    for item in items:
        text = draw(_texts)
        if text.casefold() in used:
            text = f"{text} {item['id']}"
        used.add(" ".join(text.split()).casefold())
        item["text"]["fr"] = text
        english = draw(_texts if english_declared else st.none() | _texts)
        if english is None:
            item["text"].pop("en")
        else:
            item["text"]["en"] = english
        if draw(st.booleans()):
            item["source_note"] = {"fr": draw(_texts)}
            if english_declared:
                item["source_note"]["en"] = draw(_texts)
    if not english_declared:
        doc["languages"] = ["fr"]  # English optional: empty optional fields must survive
    if draw(st.booleans()):
        doc["categories"][0]["items"][0]["text"]["fr"] = draw(_long_texts)
    doc["general_terms"][0]["text"]["fr"] = draw(_texts)
    doc["categories"][1]["title"]["fr"] = draw(_texts)
    return doc


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(doc=policies())
def test_any_valid_policy_round_trips(tmp_path: Path, doc: dict[str, Any]) -> None:
    assume(not document_findings(doc))  # the strategy may draw a repeated text
    policy, workbook = export_to(tmp_path, doc)
    before = policy.read_bytes()
    result = run_import(workbook, policy)
    assert result.ok, (result.problems, result.conflicts)
    assert not result.changed
    assert policy.read_bytes() == before


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_texts, nfd=st.booleans(), crlf=st.booleans())
def test_reviewer_text_lands_normalised(tmp_path: Path, text: str, nfd: bool, crlf: bool) -> None:
    doc = small_policy()
    policy, workbook = export_to(tmp_path, doc)
    typed = unicodedata.normalize("NFD", text) if nfd else text
    if crlf:
        typed = typed.replace("\n", "\r\n")
    typed = f"  {typed} \n"

    def change(book: Any) -> None:
        sheet = book[SHEET_MATRIX]
        sheet.cell(find_row(sheet, "setup-kb"), header_column(sheet, "Text (en)")).value = typed

    edit(workbook, change)
    result = run_import(workbook, policy, dry_run=True)
    expected = copy.deepcopy(doc)
    expected["categories"][0]["items"][0]["text"]["en"] = text
    if not document_findings(expected):
        assert result.ok, (result.problems, result.conflicts)
        assert result.new == expected
    else:  # a text the policy cannot hold (invisible characters...): refused, by its cell
        assert not result.ok and all(problem.cell for problem in result.problems), result.problems


# --------------------------------------------------------------------------- LibreOffice


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _resave_with_libreoffice(workbook: Path, out: Path, tmp_path: Path) -> None:
    """Open ``workbook`` in LibreOffice and save it as .xlsx into ``out``, as a reviewer would."""
    subprocess.run(
        [
            str(_soffice()),
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )


@pytest.mark.skipif(_soffice() is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_resave_keeps_the_law(tmp_path: Path) -> None:
    doc = small_policy()
    doc["categories"][0]["items"][0]["text"]["fr"] = "=ligne 1\nligne 2 « é »"
    policy, workbook = export_to(tmp_path, doc)
    before = policy.read_bytes()
    out = tmp_path / "calc"
    _resave_with_libreoffice(workbook, out, tmp_path)
    resaved = out / workbook.name
    assert resaved.read_bytes() != workbook.read_bytes()
    result = run_import(resaved, policy)
    assert result.ok, (result.problems, result.conflicts)
    assert not result.changed and policy.read_bytes() == before
    # and an edit made before the re-save lands
    edit(
        workbook,
        lambda book: (
            book[SHEET_MATRIX]
            .cell(find_row(book[SHEET_MATRIX], "setup-kb"), header_column(book[SHEET_MATRIX], "Text (en)"))
            .__setattr__("value", "KB, edited")
        ),
    )
    _resave_with_libreoffice(workbook, out, tmp_path)
    result = run_import(resaved, policy)
    assert result.ok and result.written
    assert read_json(policy)["categories"][0]["items"][0]["text"]["en"] == "KB, edited"
    assert dump_json(read_json(policy)) == policy.read_text(encoding="utf-8")
