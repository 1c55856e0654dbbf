"""The review workbook as reviewers really use it: LibreOffice Calc and Gnumeric, not openpyxl.

Each test drives a real application through what a reviewer does (typing, dropdowns, rows
inserted and deleted, sort, filter, notes, printing, saving as .xlsx or .ods), then imports what
it saved. One test per finding of the issue "what they see is what lands" (each failed before
it was fixed). The applications run as subprocesses (tests/realclients/); where one is not
installed, its tests skip and say so.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from realclients.client import (
    gnumeric,
    gnumeric_engine_missing,
    gnumeric_missing,
    libreoffice,
    libreoffice_missing,
    ssconvert,
)
from support_scope.fileio.jsonfile import dump_json, read_json
from support_scope.workbook.export import export_workbook

pytestmark = pytest.mark.filterwarnings("error")

MATRIX = "Matrice"


@pytest.fixture
def calc() -> None:
    missing = libreoffice_missing()
    if missing:
        pytest.skip(missing)


@pytest.fixture
def gnm() -> None:
    missing = gnumeric_missing()
    if missing:
        pytest.skip(missing)


def _review(tmp_path: Path, shipped_policy: Path, change: Any = None) -> tuple[Path, Path, dict[str, Any]]:
    """A project with the shipped policy (changed by ``change`` first), and its review workbook."""
    doc = read_json(shipped_policy)
    if change is not None:
        change(doc)
    policy = tmp_path / "policies" / "act-premium-support-scope.json"
    policy.parent.mkdir()
    policy.write_text(dump_json(doc), encoding="utf-8")
    data, _ = export_workbook(copy.deepcopy(doc))
    workbook = tmp_path / "review.xlsx"
    workbook.write_bytes(data)
    return policy, workbook, doc


def _row(row: int, column: str) -> dict[str, Any]:
    """A matrix cell by its row and (part of) its column's header."""
    return {"sheet": MATRIX, "row": row, "column": column}


def _cell(item: str, column: str) -> dict[str, str]:
    """A matrix cell: the row whose Id is ``item``, the column by (part of) its header."""
    return {"sheet": MATRIX, "id": item, "column": column}


def _import(run_cli: Any, workbook: Path, policy: Path, *options: str) -> tuple[int, dict[str, Any]]:
    result = run_cli("import-xlsx", str(workbook), "--into", str(policy), "--format", "json", *options)
    return result.exit_code, json.loads(result.output)


def _changes(data: dict[str, Any]) -> list[tuple[str, str | None, Any]]:
    return [(c["rule"], (c.get("ids") or {}).get("item"), c.get("new")) for c in data["diff"]["changes"]]


def _text_en(data: dict[str, Any], item: str) -> Any:
    found = [new for rule, key, new in _changes(data) if key == item and rule == "translation-changed"]
    return found[0] if found else None


# --------------------------------------------------------------------------- 1. typed values


def test_what_a_reviewer_types_in_calc_lands_as_they_see_it(
    calc: None, tmp_path: Path, shipped_policy: Path, run_cli: Any
) -> None:
    """Finding 1: 24/7, 2025-01-01, 30 %, 1,5, +33… typed in a French Calc stay text, as typed."""
    policy, workbook, doc = _review(tmp_path, shipped_policy)
    items = [item["id"] for item in doc["categories"][0]["items"]]
    typed = ["24/7", "2025-01-01", "30 %", "1,5", "+33123456789", "ligne un\nligne deux", "=SOMME(1;2)"]
    actions: list[dict[str, Any]] = [
        {"do": "type", "cell": _cell(item, "Text (en)"), "text": text}
        for item, text in zip(items, typed, strict=False)
    ]
    # A row inserted by the reviewer takes the Text format too.
    actions += [
        {"do": "insert_row", "sheet": MATRIX, "row": 3},
        {"do": "pick", "cell": _row(3, "Catégorie / Category"), "value": "desktop-setup"},
        {"do": "pick", "cell": _row(3, "Statut / Status"), "value": "included"},
        {"do": "pick", "cell": _row(3, "Niveau / Tier"), "value": "standard"},
        {"do": "type", "cell": _row(3, "Texte (fr)"), "text": "Assistance 24/7"},
        {"do": "type", "cell": _row(3, "Text (en)"), "text": "24/7"},
        {"do": "save_as", "path": str(tmp_path / "typed.xlsx")},
    ]
    results = libreoffice(workbook, actions, locale="fr-FR")
    shown = {item: results[i]["result"] for i, item in enumerate(items[: len(typed)])}
    assert all(state["type"] == "text" and state["number_format"] == "@" for state in shown.values()), shown
    assert results[len(typed) + 5]["result"]["type"] == "text"  # G3 of the inserted row
    code, data = _import(run_cli, tmp_path / "typed.xlsx", policy, "--dry-run")
    assert code == 0, data["problems"]
    for item in items[: len(typed)]:
        # What lands is exactly what Calc shows (its AutoCorrect may have changed what was typed:
        # a capital after a new line, a no-break space before %), and never a serial number.
        assert _text_en(data, item) == shown[item]["shown"], item
    assert [_text_en(data, items[i]) for i in (0, 1, 3, 4, 6)] == [
        "24/7",
        "2025-01-01",
        "1,5",
        "+33123456789",
        "=SOMME(1;2)",  # in a Text cell, what starts with = is text, not a formula
    ]
    assert _text_en(data, items[2]).replace("\u00a0", " ") == "30 %"
    added = [new for rule, _, new in _changes(data) if rule == "item-added"]
    assert [a["text"] for a in added] == [{"fr": "Assistance 24/7", "en": "24/7"}]

    # With the English locale, 1.0 stays 1.0.
    libreoffice(
        workbook,
        [
            {"do": "type", "cell": _cell(items[0], "Text (en)"), "text": "1.0"},
            {"do": "save_as", "path": str(tmp_path / "typed-en.xlsx")},
        ],
        locale="en-US",
    )
    code, data = _import(run_cli, tmp_path / "typed-en.xlsx", policy, "--dry-run")
    assert code == 0 and _text_en(data, items[0]) == "1.0"


def test_a_date_calc_made_of_a_text_is_refused_by_cell_with_what_to_do(
    calc: None, tmp_path: Path, shipped_policy: Path, run_cli: Any
) -> None:
    """Finding 1: a cell the reviewer re-formatted as a number takes 24/7 as a date: refused, said."""
    policy, workbook, _ = _review(tmp_path, shipped_policy)
    before = policy.read_bytes()
    target = _cell("desktop-setup-dialog-errors", "Text (en)")
    results = libreoffice(
        workbook,
        [
            {"do": "set_format", "cell": target, "format": "General"},
            {"do": "type", "cell": target, "text": "24/7"},
            {"do": "set_format", "cell": _cell("desktop-setup-kb-pages", "Text (en)"), "format": "General"},
            {"do": "type", "cell": _cell("desktop-setup-kb-pages", "Text (en)"), "text": "30 %"},
            {"do": "save_as", "path": str(tmp_path / "dates.xlsx")},
        ],
    )
    assert results[1]["result"]["type"] == "value"  # Calc made a date of it
    cell = results[1]["result"]["cell"]
    code, data = _import(run_cli, tmp_path / "dates.xlsx", policy)
    assert code == 1 and policy.read_bytes() == before
    problems = {p["cell"]: p["message"] for p in data["problems"]}
    year = results[1]["result"]["value"]
    assert year > 40000  # a serial date
    assert re.fullmatch(
        r"la cellule contient une date \(« \d{4}-07-24 »\), pas du texte : le tableur a converti ce qui "
        r"a été tapé\. Retapez le texte voulu précédé d'une apostrophe \(par exemple '24/7\), ou mettez "
        r"d'abord la cellule au format Texte, pour qu'il reste tel que vous l'avez tapé",
        problems[cell],
    ), problems
    assert "un pourcentage (« 30 % »)" in problems[results[3]["result"]["cell"]]
    _, english = _import(run_cli, tmp_path / "dates.xlsx", policy, "--lang", "en")
    assert any(p["message"].startswith("the cell holds a date (") for p in english["problems"])


# --------------------------------------------------------------------------- 2. notes


def test_notes_and_comments_written_in_calc_are_kept(
    calc: None, tmp_path: Path, shipped_policy: Path, run_cli: Any
) -> None:
    """Finding 2: cell notes are imported as review comments (cell, author, item) and logged once."""
    policy, workbook, doc = _review(tmp_path, shipped_policy)
    before = policy.read_bytes()
    libreoffice(
        workbook,
        [
            {
                "do": "add_note",
                "cell": _cell("desktop-setup-dialog-errors", "Text (en)"),
                "text": "Traduction à revoir : « dialog boxes » ?",
                "author": "Me Camille Martin",
            },
            {
                "do": "add_note",
                "cell": _cell("desktop-setup-kb-pages", "Id (ne pas modifier"),
                "text": "Cette ligne est-elle encore d'actualité ?",
                "author": "Me Camille Martin",
            },
            {
                "do": "type",
                "cell": _cell("desktop-setup-data-preparation", "Reviewer comment"),
                "text": "Remarque tapée dans la colonne",
            },
            {"do": "add_note", "cell": "Catégories!B3", "text": "Titre trop long", "author": "Léa Dupont"},
            {"do": "save_as", "path": str(tmp_path / "notes.xlsx")},
        ],
    )
    code, data = _import(run_cli, tmp_path / "notes.xlsx", policy, "--dry-run")
    assert code == 0 and not data["changed"]
    found = {(c["cell"], c["id"], c["column"], c["author"], c["kind"], c["text"]) for c in data["comments"]}
    assert found == {
        (
            "Matrice!G3",
            "desktop-setup-dialog-errors",
            "Text (en)",
            "Me Camille Martin",
            "note",
            "Traduction à revoir : « dialog boxes » ?",
        ),
        (
            "Matrice!C2",
            "desktop-setup-kb-pages",
            "Id (ne pas modifier / do not edit)",
            "Me Camille Martin",
            "note",
            "Cette ligne est-elle encore d'actualité ?",
        ),
        (
            "Matrice!R9",
            "desktop-setup-data-preparation",
            "Commentaire du relecteur / Reviewer comment",
            None,
            "column",
            "Remarque tapée dans la colonne",
        ),
        ("Catégories!B3", "cloud-onboarding", "Titre (fr)", "Léa Dupont", "note", "Titre trop long"),
    }
    assert data["comments_new"] == 4 and data["comments_recorded"] == 0  # a dry run writes nothing
    log = tmp_path / "policies" / "act-premium-support-scope.reviews.md"
    assert data["review_log"] == str(log) and not log.exists()
    text = run_cli("import-xlsx", str(tmp_path / "notes.xlsx"), "--into", str(policy), "--dry-run").output
    assert "commentaire : Matrice!G3 (desktop-setup-dialog-errors, Text (en)) — Me Camille Martin :" in text
    assert f"4 commentaire(s) nouveau(x), à garder dans {log}" in text

    code, data = _import(run_cli, tmp_path / "notes.xlsx", policy)
    assert code == 0 and data["comments_recorded"] == 4 and not data["written"]
    assert policy.read_bytes() == before  # the policy is untouched: comments are not the policy
    logged = log.read_text(encoding="utf-8")
    assert "## notes.xlsx — " in logged and f"(export {doc['version']})" in logged
    assert (
        "- `Matrice!G3` · `desktop-setup-dialog-errors` · Text (en) · Me Camille Martin · note" in logged
        and "  > Traduction à revoir : « dialog boxes » ?" in logged
    )
    # Imported again: nothing new, nothing written.
    code, data = _import(run_cli, tmp_path / "notes.xlsx", policy)
    assert code == 0 and data["comments_new"] == 0 and log.read_text(encoding="utf-8") == logged


# --------------------------------------------------------------------------- 3. order


def test_sorting_and_filtering_in_calc_never_reorder_the_policy(
    calc: None, tmp_path: Path, shipped_policy: Path, run_cli: Any
) -> None:
    """Finding 3 (and 9: the sheet can be sorted): a sort and a filter plus one edit give one change."""
    policy, workbook, _ = _review(tmp_path, shipped_policy)
    edit = {
        "do": "type",
        "cell": _cell("companion-app-app-store-download", "Text (en)"),
        "text": "From the store",
    }
    results = libreoffice(
        workbook,
        [
            {"do": "sort", "sheet": MATRIX, "by": "Texte (fr)"},
            edit,
            {"do": "save_as", "path": str(tmp_path / "sorted.xlsx")},
            {"do": "autofilter", "sheet": MATRIX, "column": "Statut / Status", "equals": "excluded"},
            {"do": "save_as", "path": str(tmp_path / "sorted-filtered.xlsx")},
        ],
    )
    sort = results[0]["result"]
    assert sort["order_changed"] and not sort["protected"] and sort["rows_moved"] > 100
    assert results[3]["result"]["rows_hidden"] > 50
    for saved in ("sorted.xlsx", "sorted-filtered.xlsx"):
        code, data = _import(run_cli, tmp_path / saved, policy, "--dry-run", "--lang", "en")
        assert code == 0, data["problems"]
        assert _changes(data) == [
            ("translation-changed", "companion-app-app-store-download", "From the store")
        ]
        assert any(n.startswith("the order of the workbook's rows is not read") for n in data["notices"])


def test_a_row_moved_by_hand_is_not_a_reorder_with_or_without_other_edits(
    calc: None, tmp_path: Path, shipped_policy: Path, run_cli: Any
) -> None:
    """Finding 3: the order within a category is not read, consistently; a move to another category is a move."""
    policy, workbook, doc = _review(tmp_path, shipped_policy)
    before = policy.read_bytes()
    # Row 6 (desktop-setup-install-config-assistance) copied to the top of its category, then the original deleted.
    move = [
        {"do": "copy_row", "sheet": MATRIX, "from": 6, "to": 2},
        {"do": "delete_row", "sheet": MATRIX, "row": 7},
    ]
    edit = {"do": "type", "cell": _cell("desktop-setup-kb-pages", "Text (en)"), "text": "Our KB pages"}
    libreoffice(workbook, [*move, {"do": "save_as", "path": str(tmp_path / "moved.xlsx")}])
    libreoffice(workbook, [*move, edit, {"do": "save_as", "path": str(tmp_path / "moved-edited.xlsx")}])
    code, data = _import(run_cli, tmp_path / "moved.xlsx", policy, "--lang", "en")
    assert code == 0 and not data["changed"] and policy.read_bytes() == before
    assert any(n.startswith("the order of the workbook's rows is not read") for n in data["notices"])
    code, data = _import(run_cli, tmp_path / "moved-edited.xlsx", policy, "--dry-run")
    assert code == 0 and _changes(data) == [("translation-changed", "desktop-setup-kb-pages", "Our KB pages")]

    # Moving a row to another category (the Category dropdown) is a move, placed at the category's end.
    libreoffice(
        workbook,
        [
            {
                "do": "pick",
                "cell": _cell("desktop-setup-kb-pages", "Catégorie / Category"),
                "value": "remote-sync",
            },
            {"do": "save_as", "path": str(tmp_path / "recategorized.xlsx")},
        ],
    )
    code, data = _import(run_cli, tmp_path / "recategorized.xlsx", policy)
    assert code == 0 and data["written"]
    moved = read_json(policy)
    remote = next(c for c in moved["categories"] if c["id"] == "remote-sync")
    shipped = next(c for c in doc["categories"] if c["id"] == "remote-sync")
    assert [i["id"] for i in remote["items"]] == [
        *(i["id"] for i in shipped["items"]),
        "desktop-setup-kb-pages",
    ]
    assert {rule for rule, _, _ in _changes(data)} <= {"item-recategorized", "item-recategorized-conditions"}


# --------------------------------------------------------------------------- 4. Gnumeric


def test_gnumeric_brings_the_workbook_back(
    gnm: None, tmp_path: Path, shipped_policy: Path, run_cli: Any
) -> None:
    """Finding 4: a Gnumeric re-save (either .xlsx writer, or .ods) of an unedited export imports unchanged."""
    policy, workbook, _ = _review(tmp_path, shipped_policy)
    before = policy.read_bytes()
    for exporter, name in (
        ("Gnumeric_Excel:xlsx", "gnumeric.xlsx"),
        ("Gnumeric_Excel:xlsx2", "gnumeric2.xlsx"),
        ("Gnumeric_OpenCalc:odf", "gnumeric.ods"),
    ):
        ssconvert(workbook, tmp_path / name, exporter)
        code, data = _import(run_cli, tmp_path / name, policy)
        assert code == 0, (name, data["problems"])
        assert not data["changed"] and not data["written"] and policy.read_bytes() == before


def test_what_a_reviewer_types_in_gnumeric_lands_as_typed(
    tmp_path: Path, shipped_policy: Path, run_cli: Any
) -> None:
    """Finding 4 and 1: typed through Gnumeric's own engine, text stays text, as typed."""
    missing = gnumeric_engine_missing()
    if missing:
        pytest.skip(missing)
    policy, workbook, _ = _review(tmp_path, shipped_policy)
    saved = tmp_path / "gnumeric-typed.xlsx"
    typed = {"G3": "24/7", "G4": "2025-01-01", "G5": "30 %", "G6": "+33123456789"}
    results = gnumeric(
        workbook,
        [
            *({"do": "type", "cell": f"Matrice!{ref}", "text": text} for ref, text in typed.items()),
            {"do": "save_as", "path": str(saved), "format": "xlsx2"},
        ],
    )
    assert [r["result"]["number"] for r in results[:4]] == [False] * 4
    code, data = _import(run_cli, saved, policy, "--dry-run")
    assert code == 0, data["problems"]
    assert sorted(new for _, _, new in _changes(data)) == sorted(typed.values())


# --------------------------------------------------------------------------- 5. .ods


def test_an_ods_saved_by_calc_is_imported_under_the_same_law(
    calc: None, tmp_path: Path, shipped_policy: Path, run_cli: Any
) -> None:
    """Finding 5: a returned .ods lands as an .xlsx does: unedited, nothing; edited, the edit and the notes."""
    policy, workbook, _ = _review(tmp_path, shipped_policy)
    before = policy.read_bytes()
    libreoffice(
        workbook,
        [
            {"do": "save_as", "path": str(tmp_path / "unedited.ods")},
            {"do": "type", "cell": _cell("desktop-setup-kb-pages", "Text (en)"), "text": "See our KB pages"},
            {"do": "type", "cell": _cell("desktop-setup-dialog-errors", "Text (en)"), "text": "24/7"},
            {
                "do": "add_note",
                "cell": _cell("desktop-setup-kb-pages", "Texte (fr)"),
                "text": "Vu.",
                "author": "Léa",
            },
            {"do": "save_as", "path": str(tmp_path / "review.ods")},
        ],
    )
    code, data = _import(run_cli, tmp_path / "unedited.ods", policy)
    assert code == 0 and not data["changed"] and policy.read_bytes() == before
    code, data = _import(run_cli, tmp_path / "review.ods", policy, "--dry-run")
    assert code == 0, data["problems"]
    assert sorted(_changes(data)) == [
        ("translation-changed", "desktop-setup-dialog-errors", "24/7"),
        ("translation-changed", "desktop-setup-kb-pages", "See our KB pages"),
    ]
    assert [(c["cell"], c["id"], c["author"], c["text"]) for c in data["comments"]] == [
        ("Matrice!F2", "desktop-setup-kb-pages", "Léa", "Vu.")
    ]
    # The same safety checks: an .ods with a formula is refused by cell.
    libreoffice(
        tmp_path / "review.ods",
        [
            {"do": "set_formula", "cell": _cell("desktop-setup-kb-pages", "Texte (fr)"), "formula": "=1+1"},
            {"do": "save_as", "path": str(tmp_path / "formula.ods")},
        ],
    )
    code, data = _import(run_cli, tmp_path / "formula.ods", policy, "--lang", "en")
    assert code == 1
    assert [(p["cell"], p["rule"]) for p in data["problems"]] == [("Matrice!F2", "formula")]


# --------------------------------------------------------------------------- 6. every problem at once


def test_every_problem_at_once_by_cell_in_the_reviewers_words(
    calc: None, tmp_path: Path, shipped_policy: Path, run_cli: Any
) -> None:
    """Finding 6: one pass, each problem at its cell, in French or English; excluded clears the tier."""

    def maintainer(doc: dict[str, Any]) -> None:
        # Since the export, the maintainer added an item that refers to desktop-setup-kb-pages.
        remote = next(c for c in doc["categories"] if c["id"] == "remote-sync")
        remote["items"].append(
            {
                "id": "remote-sync-as-desktop-kb",
                "status": "included",
                "tier": "self-service",
                "text": {"fr": "Comme pour la Base de Connaissances", "en": "As for the Knowledge Base"},
                "see": {"category": "desktop-setup", "items": ["desktop-setup-kb-pages"]},
                "provenance": dict(remote["provenance"]),
            }
        )

    policy, workbook, _ = _review(tmp_path, shipped_policy)
    before = read_json(policy)
    maintainer(before)
    policy.write_text(dump_json(before), encoding="utf-8")
    results = libreoffice(
        workbook,
        [
            {"do": "clear", "cell": _cell("desktop-setup-install-upgrade-procedure", "Texte (fr)")},
            {"do": "pick", "cell": _cell("desktop-setup-dialog-errors", "Statut"), "value": "excluded"},
            {"do": "type", "cell": _cell("companion-app-app-store-download", "Renvois"), "text": "nobody"},
            {
                "do": "type",
                "cell": _cell("desktop-setup-integration-guidelines", "Groupe"),
                "text": "no-such-group",
            },
            {"do": "clear", "cell": _cell("desktop-setup-non-dialog-errors", "Text (en)")},
            {"do": "pick", "cell": _cell("desktop-setup-kb-pages", "Statut"), "value": "deleted"},
            {
                "do": "type",
                "cell": _cell("desktop-setup-data-preparation", "Texte (fr)"),
                "text": "Restrictions navigateur et Internet internes",
            },
            {"do": "save_as", "path": str(tmp_path / "problems.xlsx")},
        ],
    )
    cells = [r["result"]["cell"] for r in results[:7]]
    code, data = _import(run_cli, tmp_path / "problems.xlsx", policy)
    assert code == 1
    problems = {p["cell"]: (p["rule"], p["message"]) for p in data["problems"]}
    assert problems == {
        cells[0]: ("required", "« Texte (fr) » est vide : le français fait foi ; son texte est obligatoire"),
        cells[2]: (
            "unknown-referral",
            "renvoi inconnu « nobody » (ids possibles : app-store-provider, certified-consultant, "
            "it-professional, mobile-carrier, third-party-vendor)",
        ),
        cells[3]: (
            "unknown-group",
            # Calc's AutoCorrect capitalised what was typed: the message quotes what the cell shows
            f"groupe inconnu « {results[3]['result']['shown']} » dans cette catégorie "
            "(groupes : desktop-setup-install-config-advice)",
        ),
        cells[4]: (
            "missing-language",
            "« Text (en) » est vide : cette politique demande chaque texte en français et anglais ; écrivez la traduction",
        ),
        cells[5]: (
            "unresolved-reference",
            "vous retirez le service « desktop-setup-kb-pages », mais le service « remote-sync-as-desktop-kb » "
            "(ajouté à la politique depuis l'export) y renvoie : gardez la ligne, ou voyez-le avec l'équipe",
        ),
        cells[6]: (
            "repeated-text",
            "même texte français que la ligne 10 (« desktop-setup-browser-internet-restrictions ») de la même catégorie",
        ),
    }
    # Set to excluded with its tier left: the tier goes, and the import says so (not a problem).
    tier_cell = cells[1].replace("!D", "!E")
    assert f"{tier_cell} : niveau « standard » retiré : un service exclu n'a pas de niveau" in data["notices"]
    _, english = _import(run_cli, tmp_path / "problems.xlsx", policy, "--lang", "en")
    assert {p["cell"] for p in english["problems"]} == set(problems)
    assert (
        english["problems"][0]["message"]
        == "'Texte (fr)' is empty: French is authoritative; its text is required"
    )
    for message in [p["message"] for p in data["problems"] + english["problems"]]:
        assert not re.search(
            r"is not allowed here|required property|should be non-empty|\$\.|items\[", message
        )


# --------------------------------------------------------------------------- 7. languages


def test_the_english_text_is_required_and_said_so_at_its_cell(
    calc: None, tmp_path: Path, shipped_policy: Path, run_cli: Any
) -> None:
    """Finding 7: the read me, the README and the import agree: French and English are required."""
    policy, workbook, _ = _review(tmp_path, shipped_policy)
    readme = libreoffice(
        workbook, [{"do": "dump", "sheet": "Lisez-moi", "rows": [1, 40], "columns": ["A", "B"]}]
    )
    lines = [line for row in readme[0]["result"]["rows"] for line in row]
    assert any("le français et l'anglais sont obligatoires" in line for line in lines)
    assert any("French and English are both required" in line for line in lines)
    readme_md = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "French and English are both required" in readme_md
    libreoffice(
        workbook,
        [
            {"do": "clear", "cell": _cell("desktop-setup-kb-pages", "Text (en)")},
            {"do": "insert_row", "sheet": MATRIX, "row": 5},
            {"do": "pick", "cell": _row(5, "Catégorie / Category"), "value": "desktop-setup"},
            {"do": "pick", "cell": _row(5, "Statut / Status"), "value": "included"},
            {"do": "pick", "cell": _row(5, "Niveau / Tier"), "value": "standard"},
            {"do": "type", "cell": _row(5, "Texte (fr)"), "text": "Aide à la migration des données"},
            {"do": "save_as", "path": str(tmp_path / "english.xlsx")},
        ],
    )
    code, data = _import(run_cli, tmp_path / "english.xlsx", policy, "--lang", "en")
    assert code == 1
    message = (
        "'Text (en)' is empty: this policy needs every text in French and English; write the translation"
    )
    assert [(p["cell"], p["message"]) for p in data["problems"]] == [
        ("Matrice!G2", message),
        ("Matrice!G5", message),
    ]


# --------------------------------------------------------------------------- 8. idempotent, provenance


def test_importing_the_same_workbook_twice_changes_nothing(
    calc: None, tmp_path: Path, shipped_policy: Path, run_cli: Any
) -> None:
    """Finding 8: an added row is added once, with the review as its provenance, and decide cites it."""
    policy, workbook, _ = _review(tmp_path, shipped_policy)
    added = tmp_path / "added.xlsx"
    libreoffice(
        workbook,
        [
            {"do": "insert_row", "sheet": MATRIX, "row": 5},
            {"do": "pick", "cell": _row(5, "Catégorie / Category"), "value": "desktop-setup"},
            {"do": "pick", "cell": _row(5, "Statut / Status"), "value": "included"},
            {"do": "pick", "cell": _row(5, "Niveau / Tier"), "value": "standard"},
            {"do": "type", "cell": _row(5, "Texte (fr)"), "text": "Aide à la migration des données"},
            {"do": "type", "cell": _row(5, "Text (en)"), "text": "Help migrating data"},
            {"do": "save_as", "path": str(added)},
        ],
    )
    code, data = _import(run_cli, added, policy)
    assert code == 0 and data["written"]
    new_id = "desktop-setup-aide-a-la-migration-des-donnees"
    item = next(i for c in read_json(policy)["categories"] for i in c["items"] if i["id"] == new_id)
    review = item["provenance"]["review"]
    assert set(item["provenance"]) == {"review"}  # no source line invented for it
    assert (review["workbook"], review["sheet"], review["row"]) == ("added.xlsx", MATRIX, 5)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", review["date"])
    first = policy.read_bytes()
    code, data = _import(run_cli, added, policy)
    assert code == 0 and not data["changed"] and not data["written"] and policy.read_bytes() == first
    assert f"Matrice!C5 : ligne déjà importée (service « {new_id} ») : rien à ajouter" in data["notices"]
    # The maintainer rewords the added item: the same workbook still does not add it again.
    document = read_json(policy)
    next(i for c in document["categories"] for i in c["items"] if i["id"] == new_id)["text"]["fr"] = (
        "Aide à la migration de données"
    )
    policy.write_text(dump_json(document), encoding="utf-8")
    reworded = policy.read_bytes()
    code, data = _import(run_cli, added, policy)
    assert code == 0 and not data["changed"] and policy.read_bytes() == reworded
    # decide cites the review, not a source line
    release = tmp_path / "release.json"
    assert run_cli("compile", str(policy), "-o", str(release)).exit_code == 0
    answer = run_cli(
        "decide",
        "--release",
        str(release),
        "--plan",
        "standard",
        "--category",
        "desktop-setup",
        "--item",
        new_id,
    )
    assert f"Source : relecture added.xlsx, Matrice ligne 5, {review['date']}" in answer.output
    answer = run_cli(
        "decide",
        "--release",
        str(release),
        "--plan",
        "standard",
        "--category",
        "desktop-setup",
        "--item",
        new_id,
        "--format",
        "json",
    )
    assert json.loads(answer.output)["decision"]["citation"]["provenance"] == {
        "review": {"workbook": "added.xlsx", "sheet": MATRIX, "row": 5, "date": review["date"]}
    }


# --------------------------------------------------------------------------- 9. printing


def test_the_workbook_prints_and_shows_whole_texts_in_calc(
    calc: None, tmp_path: Path, shipped_policy: Path
) -> None:
    """Finding 9: landscape, fitted to the width, header repeated, page numbers, titles, whole texts."""
    _, workbook, doc = _review(tmp_path, shipped_policy)
    ids = [item["id"] for category in doc["categories"] for item in category["items"]]
    longest = sorted(
        range(len(ids)),
        key=lambda i: (
            -max(
                len(json.dumps(item, ensure_ascii=False))
                for item in [next(it for c in doc["categories"] for it in c["items"] if it["id"] == ids[i])]
            )
        ),
    )[:12]
    rows = sorted(index + 2 for index in longest)
    results = libreoffice(
        workbook,
        [
            {"do": "page_setup", "sheet": MATRIX},
            {"do": "export_pdf", "path": str(tmp_path / "matrice.pdf"), "sheet": MATRIX},
            {"do": "page_setup", "sheet": "Lisez-moi"},
            {"do": "export_pdf", "path": str(tmp_path / "readme.pdf"), "sheet": "Lisez-moi"},
            {"do": "row_heights", "sheet": MATRIX, "rows": rows},
            {"do": "row_heights", "sheet": "Conditions", "rows": [2, 3, 4, 5]},
            {"do": "read", "cell": "Matrice!B2"},
        ],
        timeout=300,
    )
    setup = results[0]["result"]
    assert setup["landscape"] and setup["scale_to_pages_x"] == 1 and setup["print_title_rows"] == "1:1"
    assert results[1]["result"]["pages"] <= 20 and results[1]["result"]["print_areas"] == ["B1:G130"]
    assert results[2]["result"]["landscape"] and results[3]["result"]["pages"] <= 3
    for result in results[4:6]:
        for row, height in result["result"]["rows"].items():
            # Each row is at least as tall as Calc finds its texts need: nothing is cut.
            assert height["needed_mm"] <= height["height_mm"] + 0.5, (result["result"]["sheet"], row, height)
    assert results[6]["result"]["shown"] == doc["categories"][0]["title"]["fr"]  # the title beside the id
    pdf = (tmp_path / "matrice.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
