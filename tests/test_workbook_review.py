"""What a review brings back, beyond cell edits: order, added rows, comments, tiers, languages.

These run with openpyxl as the reviewer's tool, everywhere; tests/test_realclients.py does the
same with LibreOffice and Gnumeric where they are installed.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from support_scope.fileio.jsonfile import dump_json, read_json
from support_scope.workbook.layout import SHEET_CATEGORIES, SHEET_MATRIX
from test_workbook_fixtures import edit, export_to, find_row, header_column, run_import, small_policy


def _set(book: Any, key: str, header: str, value: Any, sheet: str = SHEET_MATRIX) -> None:
    ws = book[sheet]
    ws.cell(find_row(ws, key), header_column(ws, header)).value = value


def _reverse_rows(book: Any) -> None:
    """Sort the matrix backwards (every row moves), as a sort by some column would."""
    ws = book[SHEET_MATRIX]
    rows = [[cell.value for cell in row] for row in ws.iter_rows(min_row=2)]
    for number, values in enumerate(reversed(rows), start=2):
        for column, value in enumerate(values, start=1):
            ws.cell(number, column).value = value


def _add_row(book: Any, after: str, values: dict[str, Any]) -> int:
    ws = book[SHEET_MATRIX]
    row = find_row(ws, after) + 1
    ws.insert_rows(row)
    for header, value in values.items():
        ws.cell(row, header_column(ws, header)).value = value
    return row


# --------------------------------------------------------------------------- order


def test_a_sort_alone_changes_nothing_and_says_the_order_is_not_read(tmp_path: Path) -> None:
    policy, workbook = export_to(tmp_path, small_policy())
    before = policy.read_bytes()
    edit(workbook, _reverse_rows)
    result = run_import(workbook, policy)
    assert result.ok and not result.changed and policy.read_bytes() == before
    assert [n for n in result.notices if "order" in n] == [
        "the order of the workbook's rows is not read (sorting and filtering change nothing): the policy keeps "
        "its order; an added or moved row goes below the row of its category above it. To change the order, "
        "say so in a comment"
    ]


def test_a_sort_and_an_edit_give_the_edit_only(tmp_path: Path) -> None:
    doc = small_policy()
    policy, workbook = export_to(tmp_path, doc)

    def change(book: Any) -> None:
        _reverse_rows(book)
        _set(book, "onboarding-web", "Text (en)", "Web server hardening")

    edit(workbook, change)
    result = run_import(workbook, policy)
    assert result.ok and result.written
    expected = copy.deepcopy(doc)
    expected["categories"][1]["items"][2]["text"]["en"] = "Web server hardening"
    assert read_json(policy) == expected  # in the policy's order
    assert [c.rule for c in result.diff().changes] == ["translation-changed"]


def test_a_reorder_within_a_category_is_not_applied_with_or_without_other_edits(tmp_path: Path) -> None:
    doc = small_policy()
    for other_edit in (False, True):
        policy, workbook = export_to(tmp_path, doc)

        def change(book: Any, other_edit: bool = other_edit) -> None:
            ws = book[SHEET_MATRIX]
            first, second = find_row(ws, "setup-kb"), find_row(ws, "setup-procedure")
            for column in range(1, ws.max_column + 1):
                a, b = ws.cell(first, column), ws.cell(second, column)
                a.value, b.value = b.value, a.value
            if other_edit:
                _set(book, "onboarding-web", "Text (en)", "Web server hardening")

        edit(workbook, change)
        result = run_import(workbook, policy)
        assert result.ok
        order = [i["id"] for i in read_json(policy)["categories"][0]["items"]]
        assert order == ["setup-kb", "setup-procedure", "setup-network"]
        assert result.changed is other_edit
        assert any("order of the workbook's rows is not read" in n for n in result.notices)


# --------------------------------------------------------------------------- added rows


def test_an_added_row_is_added_once_with_the_review_as_its_provenance(tmp_path: Path) -> None:
    doc = small_policy()
    policy, workbook = export_to(tmp_path, doc)
    values = {
        "Catégorie": "setup",
        "Statut": "included",
        "Niveau": "standard",
        "Texte (fr)": "Aide à la migration des données",
        "Text (en)": "Help migrating data",
    }
    edit(workbook, lambda book: _add_row(book, "setup-kb", values))
    result = run_import(workbook, policy)
    assert result.ok and result.written
    item = read_json(policy)["categories"][0]["items"][1]
    assert item["id"] == "setup-aide-a-la-migration-des-donnees"
    key = item["provenance"]["review"]["key"]
    assert item["provenance"] == {
        "review": {"workbook": "review.xlsx", "sheet": "Matrice", "row": 3, "date": "2025-06-30", "key": key}
    }
    first = policy.read_bytes()
    again = run_import(workbook, policy)
    assert again.ok and not again.changed and not again.written and policy.read_bytes() == first
    assert again.notices == [
        "Matrice!C3: row already imported (item 'setup-aide-a-la-migration-des-donnees'): nothing to add"
    ]
    # The maintainer rewords it; the same workbook still does not bring it back.
    document = read_json(policy)
    document["categories"][0]["items"][1]["text"]["fr"] = "Aide à la migration de données"
    policy.write_text(dump_json(document), encoding="utf-8")
    reworded = policy.read_bytes()
    third = run_import(workbook, policy)
    assert third.ok and not third.changed and policy.read_bytes() == reworded
    # A second row with other cells, in the same workbook, is a new row.
    edit(workbook, lambda book: _add_row(book, "setup-procedure", {**values, "Texte (fr)": "Autre aide"}))
    fourth = run_import(workbook, policy, dry_run=True)
    assert fourth.ok and fourth.new is not None
    ids = [i["id"] for i in fourth.new["categories"][0]["items"]]
    assert ids == [
        "setup-kb",
        "setup-aide-a-la-migration-des-donnees",
        "setup-procedure",
        "setup-autre-aide",
        "setup-network",
    ]


def test_decide_cites_the_review_of_an_added_item(tmp_path: Path, run_cli: Any) -> None:
    policy, workbook = export_to(tmp_path, small_policy())
    values = {"Catégorie": "setup", "Statut": "excluded", "Texte (fr)": "Ajout", "Text (en)": "Added"}
    edit(workbook, lambda book: _add_row(book, "setup-network", values))
    assert run_import(workbook, policy).written
    release = tmp_path / "release.json"
    assert run_cli("compile", str(policy), "-o", str(release)).exit_code == 0
    command = [
        "decide",
        "--release",
        str(release),
        "--plan",
        "standard",
        "--category",
        "setup",
        "--item",
        "setup-ajout",
    ]
    assert "Source : relecture review.xlsx, Matrice ligne 5, 2025-06-30" in run_cli(*command).output
    assert "Source: review review.xlsx, Matrice row 5, 2025-06-30" in run_cli(*command, "--lang", "en").output


# --------------------------------------------------------------------------- status, tier, languages


def test_setting_an_item_to_excluded_clears_its_tier(tmp_path: Path) -> None:
    doc = small_policy()
    policy, workbook = export_to(tmp_path, doc)
    edit(workbook, lambda book: _set(book, "setup-procedure", "Statut", "excluded"))
    result = run_import(workbook, policy)
    assert result.ok and result.written
    item = read_json(policy)["categories"][0]["items"][1]
    assert item["status"] == "excluded" and "tier" not in item
    assert result.notices == ["Matrice!E3: tier 'standard' cleared: an excluded service has no tier"]


def test_an_excluded_item_given_a_tier_and_an_included_one_without_are_said_so(tmp_path: Path) -> None:
    policy, workbook = export_to(tmp_path, small_policy())

    def change(book: Any) -> None:
        _set(book, "setup-procedure", "Statut", "excluded")
        _set(book, "setup-procedure", "Niveau", "extended")  # a tier typed as the status changes
        _set(book, "setup-network", "Statut", "included")  # no tier picked

    edit(workbook, change)
    result = run_import(workbook, policy)
    assert [(p.cell, p.rule, p.message) for p in result.problems] == [
        (
            "Matrice!E4",
            "required",
            "an included service needs a tier: pick one from the dropdown",
        ),
        (
            "Matrice!E3",
            "excluded-with-tier",
            "an excluded service has no tier: empty the 'Niveau / Tier' cell, or set the status back to included",
        ),
    ]


def test_an_empty_english_text_is_said_at_its_cell_in_either_language(tmp_path: Path) -> None:
    policy, workbook = export_to(tmp_path, small_policy())
    edit(workbook, lambda book: _set(book, "setup-kb", "Text (en)", None))
    english = run_import(workbook, policy)
    assert [(p.cell, p.rule, p.message) for p in english.problems] == [
        (
            "Matrice!G2",
            "missing-language",
            "'Text (en)' is empty: this policy needs every text in French and English; write the translation",
        )
    ]
    french = run_import(workbook, policy, lang="fr")
    assert [p.message for p in french.problems] == [
        "« Text (en) » est vide : cette politique demande chaque texte en français et anglais ; écrivez la traduction"
    ]


def test_every_problem_at_once_with_what_the_merged_policy_checks_find(tmp_path: Path) -> None:
    policy, workbook = export_to(tmp_path, small_policy())

    def change(book: Any) -> None:
        _set(book, "setup-kb", "Texte (fr)", None)  # a cell problem
        _set(book, "onboarding-web", "Renvois", "nobody")  # found by the checks of the merged policy
        _set(book, "onboarding-session", "Groupe", "no-group")  # idem
        _set(book, "onboarding-upgrade", "Texte (fr)", "Séance d'intégration")  # repeats row 5
        _set(book, "setup-procedure", "Statut", "deleted")  # onboarding-upgrade refers to it
        _set(book, "onboarding", "Titre (fr)", "Cloud", sheet=SHEET_CATEGORIES)  # fine

    edit(workbook, change)
    result = run_import(workbook, policy)
    assert not result.ok
    found = {(p.cell, p.rule) for p in result.problems}
    assert found == {
        ("Matrice!F2", "required"),
        ("Matrice!J7", "unknown-referral"),
        ("Matrice!H5", "unknown-group"),
        ("Matrice!F6", "repeated-text"),
        ("Matrice!K6", "unresolved-reference"),
    }, result.problems
    messages = {p.cell: p.message for p in result.problems}
    assert (
        messages["Matrice!F6"] == "the same French text as row 5 ('onboarding-session') in the same category"
    )
    assert messages["Matrice!K6"] == "category 'setup' has no item 'setup-procedure'"
    for problem in result.problems:
        assert problem.path is None and not re.search(
            r"required property|not allowed|items\[", problem.message
        )


def test_a_category_left_empty_is_said_at_the_rows_that_emptied_it(tmp_path: Path) -> None:
    policy, workbook = export_to(tmp_path, small_policy())

    def change(book: Any) -> None:
        for key in ("onboarding-session", "onboarding-upgrade", "onboarding-web"):
            _set(book, key, "Statut", "deleted")

    edit(workbook, change)
    result = run_import(workbook, policy)
    assert [(p.cell, p.rule, p.message) for p in result.problems] == [
        (
            "Matrice!D5",
            "category-emptied",
            "category 'onboarding' would have no service left (rows 5, 6, 7): keep at least one, or ask the team "
            "to remove the category",
        )
    ]


# --------------------------------------------------------------------------- comments


def test_comments_go_to_the_review_log_once(tmp_path: Path) -> None:
    policy, workbook = export_to(tmp_path, small_policy())
    before = policy.read_bytes()
    edit(workbook, lambda book: _set(book, "setup-kb", "Commentaire", "À revoir"))
    dry = run_import(workbook, policy, dry_run=True)
    log = tmp_path / "policy.reviews.md"
    assert [c.text for c in dry.new_comments] == ["À revoir"] and not log.exists()
    result = run_import(workbook, policy)
    assert result.ok and result.log_written and not result.written and policy.read_bytes() == before
    text = log.read_text(encoding="utf-8")
    assert text.startswith("# Commentaires de relecture / Review comments: demo-scope\n")
    entry = re.search(
        r"## review\.xlsx — 2025-06-30 \(export 1\.0\.0\)\n\n- `Matrice!R2` · `setup-kb` · "
        r"Commentaire du relecteur / Reviewer comment · colonne / column <!-- review-comment [0-9a-f]{16} -->\n\n"
        r"  > À revoir\n$",
        text,
    )
    assert entry, text
    again = run_import(workbook, policy)
    assert again.ok and not again.new_comments and log.read_text(encoding="utf-8") == text
    edit(workbook, lambda book: _set(book, "setup-procedure", "Commentaire", "Et celle-ci ?"))
    third = run_import(workbook, policy)
    assert [c.text for c in third.new_comments] == ["Et celle-ci ?"]
    assert log.read_text(encoding="utf-8").count("## review.xlsx") == 2


def test_a_sheet_whose_header_was_edited_is_not_taken_for_a_sheet_emptied(tmp_path: Path) -> None:
    policy, workbook = export_to(tmp_path, small_policy())

    def change(book: Any) -> None:
        book[SHEET_CATEGORIES]["B1"] = "Titre"
        _set(book, "setup-kb", "Text (en)", "KB")

    edit(workbook, change)
    result = run_import(workbook, policy)
    assert [(p.cell, p.rule) for p in result.problems] == [
        ("Catégories!B1", "unknown-column"),
        ("Catégories!A1", "missing-column"),
    ]
    assert not result.conflicts


def test_a_workbook_exported_by_an_earlier_version_is_refused_with_the_remedy(tmp_path: Path) -> None:
    import pytest

    from support_scope.errors import WorkbookError

    policy, workbook = export_to(tmp_path, small_policy())
    edit(workbook, lambda book: book["Meta"].cell(2, 3).__setattr__("value", "support-scope-workbook/1"))
    with pytest.raises(WorkbookError, match=r"format 'support-scope-workbook/1'.*export the policy again"):
        run_import(workbook, policy)


def test_an_id_autocorrect_capitalised_gets_one_message_naming_the_id_meant(tmp_path: Path) -> None:
    policy, workbook = export_to(tmp_path, small_policy())
    edit(workbook, lambda book: _set(book, "onboarding-web", "Renvois", "It-professional"))
    result = run_import(workbook, policy)
    assert [(p.cell, p.rule, p.message) for p in result.problems] == [
        (
            "Matrice!J7",
            "unknown-referral",
            "unknown referral 'It-professional' (known: certified-consultant, it-professional); did you mean "
            "'it-professional'? (the spreadsheet's AutoCorrect capitalises the first letter of a cell: type it "
            "again, or turn off Tools > AutoCorrect Options > Capitalize first letter of every sentence)",
        )
    ]
