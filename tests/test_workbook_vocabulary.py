"""The vocabulary's sheet of the review workbook: one row per group, one term a line, edits land."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from support_scope.workbook.layout import SHEET_VOCABULARY
from test_workbook_fixtures import edit, export_to, find_row, header_column, run_import, small_policy


def _with_vocabulary() -> dict[str, Any]:
    doc = small_policy()
    doc["vocabulary"] = [
        {
            "id": "backup",
            "kind": "synonym",
            "terms": {"fr": ["sauvegarde", "copie de sécurité"], "en": ["backup"]},
            "matrix_terms": ["Sauvegardes serveur"],
            "note": {"fr": "Une note.", "en": "A note."},
        },
        {"id": "no-dialog", "kind": "concept", "terms": {"fr": ["sans message"]}},
    ]
    return doc


def test_vocabulary_rows_and_edits(tmp_path: Path) -> None:
    doc = _with_vocabulary()
    policy, workbook = export_to(tmp_path, doc)

    def change(book: Any) -> None:
        sheet = book[SHEET_VOCABULARY]
        row = find_row(sheet, "backup", 1)
        terms = sheet.cell(row, header_column(sheet, "Termes, un par ligne / Terms, one a line (fr)"))
        assert terms.value == "sauvegarde\ncopie de sécurité"
        terms.value = "sauvegarde\ncopie de sécurité\nsauvegarder"
        sheet.cell(row, header_column(sheet, "Type")).value = "domain"
        other = find_row(sheet, "no-dialog", 1)
        english = sheet.cell(other, header_column(sheet, "Termes, un par ligne / Terms, one a line (en)"))
        assert english.value is None
        english.value = "no message; no popup"

    edit(workbook, change)
    result = run_import(workbook, policy)
    assert result.ok, (result.problems, result.conflicts)
    expected = copy.deepcopy(doc)
    expected["vocabulary"][0]["kind"] = "domain"
    expected["vocabulary"][0]["terms"]["fr"].append("sauvegarder")
    expected["vocabulary"][1]["terms"]["en"] = ["no message", "no popup"]
    assert result.new == expected
    diff = result.diff()
    assert diff is not None
    assert sorted(c.rule for c in diff.changes) == ["vocabulary-group-changed"] * 3


def test_unknown_kind_is_located(tmp_path: Path) -> None:
    policy, workbook = export_to(tmp_path, _with_vocabulary())

    def change(book: Any) -> None:
        sheet = book[SHEET_VOCABULARY]
        sheet.cell(find_row(sheet, "backup", 1), header_column(sheet, "Type")).value = "slang"

    edit(workbook, change)
    result = run_import(workbook, policy)
    assert not result.ok
    [problem] = result.problems
    assert (
        problem.cell == f"{SHEET_VOCABULARY}!B2"
        and "unknown" in problem.message
        and "slang" in problem.message
    )
