"""A reviewer's edits, made with openpyxl, land exactly; stale exports merge; conflicts and problems are located."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from support_scope.fileio.jsonfile import dump_json, read_json
from support_scope.workbook.layout import SHEET_CATEGORIES, SHEET_CONDITIONS, SHEET_MATRIX, SHEET_TERMS
from test_workbook_fixtures import edit, export_to, find_row, header_column, run_import, small_policy


def _set(book: Any, sheet: str, key: str, header: str, value: Any, key_column: int | None = None) -> None:
    ws = book[sheet]
    ws.cell(find_row(ws, key, key_column), header_column(ws, header)).value = value


def test_edits_land_exactly(tmp_path: Path) -> None:
    doc = small_policy()
    policy, workbook = export_to(tmp_path, doc)

    def change(book: Any) -> None:
        _set(book, SHEET_MATRIX, "setup-kb", "Texte (fr)", "Base de connaissances Act!")
        _set(book, SHEET_MATRIX, "setup-kb", "Text (en)", "Act! knowledge base")
        _set(book, SHEET_MATRIX, "setup-procedure", "Niveau", "extended")
        _set(book, SHEET_MATRIX, "setup-network", "Statut", "included")
        _set(book, SHEET_MATRIX, "setup-network", "Niveau", "extended")
        _set(book, SHEET_MATRIX, "setup-network", "Heures min.", None)
        _set(book, SHEET_MATRIX, "setup-network", "Facturation", "hourly-rate")
        _set(book, SHEET_MATRIX, "setup-network", "Heures min.", 3)
        _set(book, SHEET_MATRIX, "onboarding-web", "Renvois", "it-professional")
        _set(book, SHEET_MATRIX, "onboarding-upgrade", "Voir", "setup: setup-procedure, setup-kb")
        _set(book, SHEET_MATRIX, "onboarding-session", "Note de source (fr)", "Lu comme une séance.")
        _set(book, SHEET_MATRIX, "onboarding-session", "Source note (en)", "Read as a session.")
        _set(book, SHEET_CATEGORIES, "onboarding", "Titre (fr)", "Intégration cloud", key_column=1)
        _set(
            book,
            SHEET_CONDITIONS,
            "onboarding-window",
            "Test",
            "any(new_customer = true, days_since_first_invoice <= 45)",
        )
        _set(book, SHEET_TERMS, "call-limit", "Minutes max.", 90, key_column=1)
        _set(book, SHEET_TERMS, "consulting", "Texte (fr)", "Conseil facturé à l'heure.", key_column=1)

    edit(workbook, change)
    result = run_import(workbook, policy)
    assert result.ok, (result.problems, result.conflicts)
    expected = copy.deepcopy(doc)
    setup, onboarding = expected["categories"]
    setup["items"][0]["text"] = {"fr": "Base de connaissances Act!", "en": "Act! knowledge base"}
    setup["items"][1]["tier"] = "extended"
    network = setup["items"][2]
    network["status"] = "included"
    network["billing"]["kind"] = "hourly-rate"
    network["billing"]["minimum_hours"] = 3
    network = (
        {key: network[key] for key in ("id", "status")}
        | {"tier": "extended"}
        | {key: network[key] for key in network if key not in ("id", "status")}
    )
    setup["items"][2] = network
    onboarding["items"][2]["referrals"] = ["it-professional"]
    onboarding["items"][1]["see"]["items"] = ["setup-procedure", "setup-kb"]
    onboarding["items"][0]["source_note"] = {"fr": "Lu comme une séance.", "en": "Read as a session."}
    onboarding["title"]["fr"] = "Intégration cloud"
    onboarding["conditions"][0]["test"]["any"][1]["value"] = 45
    expected["general_terms"][0]["limits"]["max_minutes"] = 90
    expected["general_terms"][1]["text"]["fr"] = "Conseil facturé à l'heure."
    assert result.written
    assert policy.read_text(encoding="utf-8") == dump_json(expected)  # exact, key order included
    assert result.diff() is not None


def test_new_deleted_and_moved_rows(tmp_path: Path) -> None:
    doc = small_policy()
    policy, workbook = export_to(tmp_path, doc)

    def change(book: Any) -> None:
        ws = book[SHEET_MATRIX]
        row = find_row(ws, "setup-kb")
        ws.insert_rows(row + 1)
        for header, value in (
            ("Catégorie", "setup"),
            ("Statut", "included"),
            ("Niveau", "standard"),
            ("Texte (fr)", "Mise à jour des pilotes « ODBC »"),
            ("Text (en)", "Updating ODBC drivers"),
        ):
            ws.cell(row + 1, header_column(ws, header)).value = value
        _set(book, SHEET_MATRIX, "setup-network", "Statut", "deleted")
        ws.delete_rows(find_row(ws, "onboarding-web"))
        _set(book, SHEET_MATRIX, "onboarding-session", "Catégorie", "setup")

    edit(workbook, change)
    result = run_import(workbook, policy, dry_run=True)
    assert result.ok, (result.problems, result.conflicts)
    assert not result.written and policy.read_text(encoding="utf-8") == dump_json(doc)
    assert result.new is not None
    setup, onboarding = result.new["categories"]
    assert [i["id"] for i in setup["items"]] == [
        "setup-kb",
        "setup-mise-a-jour-des-pilotes-odbc",
        "setup-procedure",
        "onboarding-session",
    ]
    added = setup["items"][1]
    key = added["provenance"]["review"].pop("key")
    assert re.fullmatch(r"[0-9a-f]{16}", key)
    assert added == {
        "id": "setup-mise-a-jour-des-pilotes-odbc",
        "status": "included",
        "tier": "standard",
        "text": {"fr": "Mise à jour des pilotes « ODBC »", "en": "Updating ODBC drivers"},
        # not the category's source line: the text is not in the source, a reviewer added it
        "provenance": {
            "review": {"workbook": "review.xlsx", "sheet": "Matrice", "row": 3, "date": "2025-06-30"}
        },
    }
    assert [i["id"] for i in onboarding["items"]] == ["onboarding-upgrade"]
    assert any("setup-mise-a-jour-des-pilotes-odbc" in n for n in result.notices)
    severities = {c.rule: c.severity for c in result.diff().changes}
    assert "breaking" in severities.values()  # moving an included item out of its category narrows it


def test_stale_export_merges_untouched_and_one_sided_rows(tmp_path: Path) -> None:
    doc = small_policy()
    policy, workbook = export_to(tmp_path, doc)
    now = copy.deepcopy(doc)
    now["version"] = "1.1.0"
    now["categories"][0]["items"][0]["text"]["en"] = "Knowledge base (now)"
    now["categories"][1]["items"].append(
        {
            "id": "onboarding-extra",
            "status": "excluded",
            "text": {"fr": "Ajout récent", "en": "Recent addition"},
            "provenance": {"page": 1, "line": 24, "column": "excluded"},
        }
    )
    policy.write_text(dump_json(now), encoding="utf-8")

    edit(workbook, lambda book: _set(book, SHEET_MATRIX, "setup-procedure", "Text (en)", "Setup procedure"))
    result = run_import(workbook, policy)
    assert result.ok, (result.problems, result.conflicts)
    assert result.stale and result.exported_version == "1.0.0"
    expected = copy.deepcopy(now)
    expected["categories"][0]["items"][1]["text"]["en"] = "Setup procedure"
    assert read_json(policy) == expected


def test_conflicts_are_listed_cell_by_cell(tmp_path: Path) -> None:
    doc = small_policy()
    policy, workbook = export_to(tmp_path, doc)
    now = copy.deepcopy(doc)
    now["categories"][0]["items"][0]["text"]["en"] = "KB (maintainer)"
    now["categories"][1]["items"][2]["referrals"] = ["certified-consultant"]
    policy.write_text(dump_json(now), encoding="utf-8")
    before = policy.read_bytes()

    def change(book: Any) -> None:
        _set(book, SHEET_MATRIX, "setup-kb", "Text (en)", "KB (reviewer)")
        _set(book, SHEET_MATRIX, "onboarding-web", "Statut", "deleted")

    edit(workbook, change)
    result = run_import(workbook, policy)
    assert not result.ok and not result.written and policy.read_bytes() == before
    by_key = {c.key: c for c in result.conflicts}
    kb = by_key["setup-kb"]
    assert kb.cell == "Matrice!G2"
    assert (kb.exported, kb.current, kb.reviewer) == ("Knowledge base", "KB (maintainer)", "KB (reviewer)")
    web = by_key["onboarding-web"]
    assert web.current == ["certified-consultant"] and web.exported == [
        "certified-consultant",
        "it-professional",
    ]


def test_every_problem_reported_at_once_with_its_cell(tmp_path: Path) -> None:
    doc = small_policy()
    policy, workbook = export_to(tmp_path, doc)
    before = policy.read_bytes()

    def change(book: Any) -> None:
        ws = book[SHEET_MATRIX]
        _set(book, SHEET_MATRIX, "setup-kb", "Statut", "maybe")  # row 2
        _set(book, SHEET_MATRIX, "setup-procedure", "Niveau", "gold")  # row 3
        _set(book, SHEET_MATRIX, "setup-network", "Texte (fr)", None)  # row 4
        ws.cell(
            find_row(ws, "onboarding-session"), header_column(ws, "Text (en)")
        ).value = '=HYPERLINK("http://x","y")'
        ws.cell(
            find_row(ws, "onboarding-upgrade"), header_column(ws, "Id")
        ).value = "onboarding-renamed"  # row 6
        ws.cell(
            find_row(ws, "onboarding-web"), header_column(ws, "Id")
        ).value = "setup-kb"  # row 7: duplicate
        ws.merge_cells("F10:G10")
        ws["F10"] = "fusion"

    edit(workbook, change)
    result = run_import(workbook, policy)
    assert not result.ok and policy.read_bytes() == before
    found = {(p.cell, p.rule) for p in result.problems}
    assert ("Matrice!D2", "unknown-statuses") in found
    assert ("Matrice!E3", "unknown-tiers") in found
    assert ("Matrice!G5", "formula") in found
    assert ("Matrice!C6", "unknown-id") in found
    assert ("Matrice!C7", "duplicate-id") in found
    assert ("Matrice!F10:G10", "merged-cell") in found
    # The emptied French text is reported with the rest, not only once they are fixed.
    assert ("Matrice!F4", "required") in found
    assert all(p.cell for p in result.problems)


def test_an_incomplete_new_row_is_reported_with_the_other_problems(tmp_path: Path) -> None:
    policy, workbook = export_to(tmp_path, small_policy())
    before = policy.read_bytes()

    def change(book: Any) -> None:
        ws = book[SHEET_MATRIX]
        _set(book, SHEET_MATRIX, "setup-procedure", "Niveau", "gold")  # row 3
        new = ws.max_row + 1
        ws.cell(new, header_column(ws, "Texte (fr)")).value = "Un nouveau service."  # no category, no status

    edit(workbook, change)
    result = run_import(workbook, policy)
    assert not result.ok and policy.read_bytes() == before
    found = {(p.cell, p.rule) for p in result.problems}
    assert ("Matrice!E3", "unknown-tiers") in found
    new_row = max(int(cell[len("Matrice!A") :]) for cell, _ in found if cell.startswith("Matrice!A"))
    # the new row lacks its category, its status, and its English text (the policy declares both)
    assert found == {
        ("Matrice!E3", "unknown-tiers"),
        (f"Matrice!A{new_row}", "required"),
        (f"Matrice!D{new_row}", "required"),
        (f"Matrice!G{new_row}", "missing-language"),
    }


def test_missing_french_text_is_located(tmp_path: Path) -> None:
    policy, workbook = export_to(tmp_path, small_policy())
    edit(workbook, lambda book: _set(book, SHEET_MATRIX, "setup-network", "Texte (fr)", None))
    result = run_import(workbook, policy)
    assert not result.ok
    assert [(p.cell, p.rule) for p in result.problems] == [("Matrice!F4", "required")]
    assert (
        result.problems[0].message == "'Texte (fr)' is empty: French is authoritative; its text is required"
    )


def test_reviewer_comments_are_reported_not_stored(tmp_path: Path) -> None:
    doc = small_policy()
    policy, workbook = export_to(tmp_path, doc)
    before = policy.read_bytes()
    edit(
        workbook,
        lambda book: _set(book, SHEET_MATRIX, "setup-kb", "Commentaire", "À revoir avec le juridique"),
    )
    result = run_import(workbook, policy)
    assert result.ok and not result.changed and policy.read_bytes() == before
    assert [(c.cell, c.key, c.text) for c in result.comments] == [
        ("Matrice!R2", "setup-kb", "À revoir avec le juridique")
    ]


def test_cli_dry_run_then_import(tmp_path: Path, run_cli: Any, monkeypatch: Any) -> None:
    doc = small_policy()
    policy, workbook = export_to(tmp_path, doc)
    edit(
        workbook,
        lambda book: _set(book, SHEET_MATRIX, "setup-kb", "Texte (fr)", "Base de connaissances en ligne"),
    )
    before = policy.read_bytes()
    result = run_cli(
        "import-xlsx", str(workbook), "--into", str(policy), "--dry-run", "--no-color", "--lang", "en"
    )
    assert result.exit_code == 0, result.output
    assert "text-changed" in result.output and "dry run: nothing written" in result.output
    assert policy.read_bytes() == before
    result = run_cli("import-xlsx", str(workbook), "--into", str(policy), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["written"] and data["diff"]["severity"] == "editorial"
    assert read_json(policy)["categories"][0]["items"][0]["text"]["fr"] == "Base de connaissances en ligne"
    result = run_cli(
        "import-xlsx", str(workbook), "--into", str(policy), "--format", "markdown", "--lang", "en"
    )
    # stale now, but both sides hold the same value: no conflict, nothing to change
    assert result.exit_code == 0 and "No changes" in result.output
    # default --into: policies/<id>.json in the current directory
    monkeypatch.chdir(tmp_path)
    result = run_cli("import-xlsx", str(workbook))
    assert result.exit_code == 2 and "--into" in result.output


def test_cli_export(tmp_path: Path, run_cli: Any) -> None:
    policy = tmp_path / "p.json"
    policy.write_text(dump_json(small_policy()), encoding="utf-8")
    out = tmp_path / "r.xlsx"
    result = run_cli("export-xlsx", str(policy), "-o", str(out))
    assert result.exit_code == 0 and out.is_file() and "demo-scope 1.0.0" in result.output
    assert run_cli("export-xlsx", str(policy), "-o", str(tmp_path / "r.xlsm")).exit_code == 2
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "x"}', encoding="utf-8")
    result = run_cli("export-xlsx", str(bad), "-o", str(tmp_path / "b.xlsx"))
    assert result.exit_code == 1 and "not a valid policy" in result.output
    assert not (tmp_path / "b.xlsx").exists()
    assert "Example" in run_cli("export-xlsx", "--help").output
    assert "Exit codes" in run_cli("import-xlsx", "--help").output


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_problem_the_policy_already_has_is_blamed_on_the_policy_file(tmp_path: Path, run_cli: Any) -> None:
    from support_scope.fileio.locate import locate_all

    doc = small_policy()
    policy, workbook = export_to(tmp_path, doc)
    now = copy.deepcopy(doc)
    now["categories"][0]["items"][1]["tier"] = "gold"  # setup-procedure, Matrice row 3: not the reviewer's
    policy.write_text(dump_json(now), encoding="utf-8")
    before = _sha256(policy)
    line, column = locate_all(policy.read_text(encoding="utf-8"), [("categories", 0, "items", 1, "tier")])[
        ("categories", 0, "items", 1, "tier")
    ]

    def change(book: Any) -> None:
        _set(book, SHEET_MATRIX, "setup-kb", "Texte (fr)", "Base de connaissances en ligne")
        _set(book, SHEET_MATRIX, "onboarding-session", "Text (en)", "Onboarding call")

    edit(workbook, change)
    result = run_import(workbook, policy)
    assert not result.ok and result.policy_invalid and not result.written
    assert [(p.file, p.line, p.column, p.cell, p.rule) for p in result.problems] == [
        (str(policy), line, column, None, result.problems[0].rule)
    ]
    assert "unknown tier 'gold'" in result.problems[0].message
    cli = run_cli("import-xlsx", str(workbook), "--into", str(policy), "--no-color", "--lang", "en")
    assert cli.exit_code == 1, cli.output
    assert f"error: {policy}:{line}:{column} $.categories[0].items[1].tier: unknown tier 'gold'" in cli.output
    assert "Matrice!E3" not in cli.output
    assert (
        "the policy itself is not valid (1 problem in" in cli.output
        and "fix it first, then import" in cli.output
    )
    data = json.loads(run_cli("import-xlsx", str(workbook), "--into", str(policy), "--format", "json").output)
    assert data["policy_valid"] is False and data["problems"][0]["line"] == line
    assert _sha256(policy) == before


def test_a_problem_the_edits_bring_is_still_blamed_on_the_cell(tmp_path: Path) -> None:
    doc = small_policy()
    policy, workbook = export_to(tmp_path, doc)
    edit(workbook, lambda book: _set(book, SHEET_MATRIX, "setup-kb", "Renvois", "nobody-at-all"))
    result = run_import(workbook, policy)
    assert not result.ok and not result.policy_invalid
    assert [p.file for p in result.problems] == [str(workbook)]
    assert all(p.cell and p.cell.startswith("Matrice!") for p in result.problems)


def test_cli_export_of_an_invalid_policy_lists_located_problems(tmp_path: Path, run_cli: Any) -> None:
    from support_scope.fileio.locate import locate_all

    doc = small_policy()
    doc["categories"][1]["items"][0]["tier"] = "gold"
    bad = tmp_path / "tier.json"
    bad.write_text(dump_json(doc), encoding="utf-8")
    path = ("categories", 1, "items", 0, "tier")
    line, column = locate_all(bad.read_text(encoding="utf-8"), [path])[path]
    result = run_cli("export-xlsx", str(bad), "-o", str(tmp_path / "t.xlsx"))
    assert result.exit_code == 1
    assert f"{bad}: not a valid policy (1 problem); not exported" in result.output
    assert f"\n{bad}:{line}:{column} $.categories[1].items[0].tier: unknown tier 'gold'" in result.output
    assert not (tmp_path / "t.xlsx").exists()


def test_cli_missing_files_and_bad_outputs_are_wrong_input(tmp_path: Path, run_cli: Any) -> None:
    policy, workbook = export_to(tmp_path, small_policy())
    cases = [
        (
            ["export-xlsx", str(tmp_path / "nope.json"), "-o", str(tmp_path / "y.xlsx")],
            "nope.json: no such policy file",
        ),
        (["export-xlsx", str(policy), "-o", str(tmp_path)], f"{tmp_path}: is a directory"),
        (
            ["export-xlsx", str(policy), "-o", str(tmp_path / "no" / "such" / "x.xlsx")],
            f"directory {tmp_path / 'no' / 'such'} does not exist",
        ),
        (["import-xlsx", str(tmp_path / "missing.xlsx")], "missing.xlsx: no such workbook"),
        (
            ["import-xlsx", str(workbook), "--into", str(tmp_path / "nope" / "p.json")],
            "p.json: no such policy file",
        ),
    ]
    before = _sha256(policy)
    for arguments, message in cases:
        result = run_cli(*arguments)
        assert result.exit_code == 1, (arguments, result.output)
        assert f"support-scope: error: {tmp_path}" in result.output and message in result.output, (
            result.output
        )
        assert "Usage:" not in result.output
    assert not (tmp_path / "no").exists() and not (tmp_path / "y.xlsx").exists()
    assert _sha256(policy) == before
    # Still usage errors: a workbook that is not .xlsx
    assert run_cli("export-xlsx", str(policy), "-o", str(tmp_path / "r.xlsm")).exit_code == 2


def test_request_kinds_condition_effects_and_legal_flags_round_trip_and_land(tmp_path: Path) -> None:
    """The fields of release format 2 (issue 9) have their columns: unedited they come back byte
    for byte; edited they land where the schema puts them."""
    doc = small_policy()
    doc["request_kinds"] = [
        {
            "id": "dialog-error",
            "name": {"fr": "Erreur", "en": "Error"},
            "description": {"fr": "Une erreur.", "en": "An error."},
        },
        {
            "id": "usage-help",
            "name": {"fr": "Aide", "en": "Help"},
            "description": {"fr": "De l'aide.", "en": "Help."},
        },
    ]
    doc["general_terms"].append(
        {
            "id": "customer-caused",
            "kind": "not-covered",
            "text": {"fr": "Les erreurs causées par le client.", "en": "Errors the customer caused."},
            "kinds": ["dialog-error"],
            "test": {"fact": "new_customer", "op": "eq", "value": False},
            "provenance": {"page": 1, "line": 8, "column": "intro"},
        }
    )
    setup, onboarding = doc["categories"]
    procedure = setup["items"][1]
    setup["items"][1] = {**{k: procedure[k] for k in ("id", "status", "tier")}, "kind": "dialog-error"} | {
        k: v for k, v in procedure.items() if k not in ("id", "status", "tier")
    }
    window = onboarding["conditions"][0]
    window["when_unmet"] = "not-applicable"
    window["items"] = ["onboarding-session"]
    window["provenance"] = window.pop("provenance")
    policy, workbook = export_to(tmp_path, doc)
    unedited = run_import(workbook, policy)
    assert unedited.ok and policy.read_text(encoding="utf-8") == dump_json(doc)

    def change(book: Any) -> None:
        _set(book, SHEET_MATRIX, "setup-kb", "Type de demande / Request kind", "usage-help")
        _set(book, SHEET_MATRIX, "setup-network", "Revue juridique / Legal review", "oui")
        _set(book, SHEET_MATRIX, "setup-procedure", "Type de demande / Request kind", None)
        _set(book, SHEET_CONDITIONS, "onboarding-window", "Si non remplie / When unmet", "ineligible")
        _set(book, SHEET_CONDITIONS, "onboarding-window", "Lignes concernées / Items", None)
        _set(
            book,
            SHEET_TERMS,
            "customer-caused",
            "Types de demande / Request kinds",
            "dialog-error, usage-help",
            key_column=1,
        )
        _set(
            book, SHEET_TERMS, "customer-caused", "Qualifie les lignes / Overrides lines", "oui", key_column=1
        )

    edit(workbook, change)
    result = run_import(workbook, policy)
    assert result.ok, (result.problems, result.conflicts)
    after = read_json(policy)
    setup, onboarding = after["categories"]
    assert list(setup["items"][0]) == ["id", "status", "tier", "kind", "text", "provenance"]
    assert setup["items"][0]["kind"] == "usage-help"
    assert "kind" not in setup["items"][1]
    assert setup["items"][2]["legal_review"] is True
    condition = onboarding["conditions"][0]
    assert condition["when_unmet"] == "ineligible" and "items" not in condition
    term = after["general_terms"][-1]
    assert term["kinds"] == ["dialog-error", "usage-help"] and term["overrides_lines"] is True
    assert list(term) == ["id", "kind", "text", "kinds", "test", "overrides_lines", "provenance"]
    rules = {change.rule for change in result.diff().changes}
    assert {
        "item-kind-changed",
        "condition-effect-hardened",
        "condition-scope-widened",
        "restriction-widened",
    } <= rules


def test_unknown_request_kind_and_bad_flag_are_located(tmp_path: Path) -> None:
    doc = small_policy()
    doc["request_kinds"] = [
        {
            "id": "dialog-error",
            "name": {"fr": "Erreur", "en": "Error"},
            "description": {"fr": "Une erreur.", "en": "An error."},
        }
    ]
    policy, workbook = export_to(tmp_path, doc)

    def change(book: Any) -> None:
        _set(book, SHEET_MATRIX, "setup-kb", "Type de demande / Request kind", "phone-call")
        _set(book, SHEET_MATRIX, "setup-procedure", "Revue juridique / Legal review", "peut-être")

    edit(workbook, change)
    result = run_import(workbook, policy, dry_run=True)
    assert not result.ok
    messages = [f"{p.cell}: {p.message}" for p in result.problems]
    assert (
        "Matrice!S2: unknown value 'phone-call' for 'Type de demande / Request kind' (expected one of: dialog-error)"
        in messages
    ), messages
    assert any("expected 'oui' (yes) or an empty cell" in m for m in messages), messages
