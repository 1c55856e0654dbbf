"""Builders shared by the workbook tests: a small valid policy, export/import helpers, cell edits.

(Named test_workbook_* so it sits with the tests it serves; it holds one sanity test.)
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from support_scope.fileio.jsonfile import dump_json
from support_scope.validate import document_findings
from support_scope.workbook.export import export_workbook
from support_scope.workbook.importer import ImportResult, import_workbook


def _text(fr: str, en: str) -> dict[str, str]:
    return {"fr": fr, "en": en}


def _prov(line: int, column: str = "included") -> dict[str, Any]:
    return {"page": 1, "line": line, "column": column}


def small_policy() -> dict[str, Any]:
    """A small, valid policy with every kind of field the workbook shows."""
    doc: dict[str, Any] = {
        "id": "demo-scope",
        "version": "1.0.0",
        "title": _text("Champs d'application", "Support scope"),
        "languages": ["fr", "en"],
        "products": [
            {
                "id": "act-premium",
                "name": _text("Act! Premium", "Act! Premium"),
                "eligible": True,
                "provenance": _prov(1, "intro"),
            }
        ],
        "eligibility": {
            "text": _text("Abonnement actif.", "Active subscription."),
            "conditions": [
                {
                    "id": "eligibility-active",
                    "text": _text("Abonnement actif", "Active subscription"),
                    "test": {"fact": "active_subscription", "op": "eq", "value": True},
                    "provenance": _prov(2, "intro"),
                }
            ],
            "provenance": _prov(2, "intro"),
        },
        "tiers": [
            {
                "id": "self-service",
                "label": _text("Libre-service", "Self-service"),
                "includes": [],
                "provenance": _prov(3, "intro"),
            },
            {
                "id": "standard",
                "label": _text("Assistance standard", "Standard support"),
                "includes": ["self-service"],
                "provenance": _prov(4, "intro"),
            },
            {
                "id": "extended",
                "label": _text("Assistance approfondie", "Extended support"),
                "includes": ["standard"],
                "provenance": _prov(5, "intro"),
            },
        ],
        "plans": [{"id": "standard", "name": _text("Standard", "Standard"), "tier": "standard"}],
        "facts": [
            {
                "id": "active_subscription",
                "type": "boolean",
                "description": _text("Abonnement actif", "Active subscription"),
            },
            {"id": "new_customer", "type": "boolean", "description": _text("Nouveau client", "New customer")},
            {"id": "days_since_first_invoice", "type": "integer", "description": _text("Jours", "Days")},
        ],
        "referrals": [
            {"id": "certified-consultant", "name": _text("Consultant certifié", "Certified consultant")},
            {"id": "it-professional", "name": _text("Professionnel de l'informatique", "IT professional")},
        ],
        "general_terms": [
            {
                "id": "call-limit",
                "kind": "call-limit",
                "text": _text("Un appel est limité à une heure.", "A call is limited to one hour."),
                "limits": {"max_minutes": 60, "max_problems": 1},
                "provenance": _prov(6, "intro"),
            },
            {
                "id": "consulting",
                "kind": "billable-service",
                "text": _text("Conseil facturé.", "Billed consulting."),
                "billing": {
                    "kind": "hourly-rate",
                    "minimum_hours": 2,
                    "text": _text("Tarif horaire.", "Hourly rate."),
                },
                "provenance": _prov(7, "intro"),
            },
        ],
        "categories": [
            {
                "id": "setup",
                "title": _text("Installation", "Setup"),
                "groups": [
                    {
                        "id": "setup-advice",
                        "text": _text("Conseils, y compris :", "Advice, including:"),
                        "provenance": _prov(10),
                    }
                ],
                "items": [
                    {
                        "id": "setup-kb",
                        "status": "included",
                        "tier": "self-service",
                        "text": _text("Base de connaissances", "Knowledge base"),
                        "provenance": _prov(11),
                    },
                    {
                        "id": "setup-procedure",
                        "status": "included",
                        "tier": "standard",
                        "text": _text("Procédure d'installation", "Installation procedure"),
                        "group": "setup-advice",
                        "provenance": _prov(12),
                    },
                    {
                        "id": "setup-network",
                        "status": "excluded",
                        "text": _text("Réseaux internes", "Internal networks"),
                        "billing": {
                            "kind": "billed-separately",
                            "text": _text("Option facturée.", "Billed option."),
                        },
                        "provenance": _prov(13, "excluded"),
                        "source_note": _text("Cellule fusionnée.", "Merged cell."),
                    },
                ],
                "provenance": _prov(10, "category"),
            },
            {
                "id": "onboarding",
                "title": _text("Intégration", "Onboarding"),
                "conditions": [
                    {
                        "id": "onboarding-window",
                        "text": _text("Dans les 30 jours.", "Within 30 days."),
                        "test": {
                            "any": [
                                {"fact": "new_customer", "op": "eq", "value": True},
                                {"fact": "days_since_first_invoice", "op": "le", "value": 30},
                            ]
                        },
                        "provenance": _prov(20, "category"),
                    }
                ],
                "items": [
                    {
                        "id": "onboarding-session",
                        "status": "included",
                        "tier": "extended",
                        "text": _text("Séance d'intégration", "Onboarding session"),
                        "provenance": _prov(21),
                    },
                    {
                        "id": "onboarding-upgrade",
                        "status": "included",
                        "tier": "extended",
                        "text": _text("Comme pour l'installation", "As for setup"),
                        "see": {"category": "setup", "items": ["setup-procedure"]},
                        "provenance": _prov(22),
                    },
                    {
                        "id": "onboarding-web",
                        "status": "excluded",
                        "text": _text("Sécurité du serveur web", "Web server security"),
                        "referrals": ["certified-consultant", "it-professional"],
                        "provenance": _prov(23, "excluded"),
                    },
                ],
                "provenance": _prov(20, "category"),
            },
        ],
    }
    assert document_findings(doc) == []
    return doc


def export_to(tmp_path: Path, doc: dict[str, Any], name: str = "review.xlsx") -> tuple[Path, Path]:
    """Write ``doc`` as policy.json (project form) and export it; return (policy, workbook)."""
    policy = tmp_path / "policy.json"
    policy.write_text(dump_json(doc), encoding="utf-8")
    data, _ = export_workbook(copy.deepcopy(doc))
    workbook = tmp_path / name
    workbook.write_bytes(data)
    return policy, workbook


def edit(workbook: Path, change: Callable[[Any], None], out: Path | None = None) -> Path:
    """Open the workbook with openpyxl (as a reviewer's tool would), change it, save it."""
    from openpyxl import load_workbook

    book = load_workbook(workbook)
    change(book)
    target = out or workbook
    book.save(target)
    book.close()
    saved_on(target, "2025-06-30")
    return target


def saved_on(workbook: Path, date: str) -> None:
    """Set the date the workbook says it was saved (openpyxl writes the time of the save)."""
    import re
    import zipfile

    with zipfile.ZipFile(workbook) as archive:
        parts = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(workbook, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts:
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + f"{date}T10:00:00Z".encode(), data
                )
            archive.writestr(info, data)


def find_row(sheet: Any, key: str, column: int | None = None) -> int:
    """The row whose Id cell holds ``key`` (the Id column found by its header, unless given)."""
    if column is None:
        column = header_column(sheet, "Id")
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, column).value == key:
            return row
    raise AssertionError(f"no row {key!r}")


def header_column(sheet: Any, starts: str) -> int:
    for cell in sheet[1]:
        if isinstance(cell.value, str) and cell.value.startswith(starts):
            return int(cell.column)
    raise AssertionError(f"no column {starts!r}")


def run_import(workbook: Path, policy: Path, **kwargs: Any) -> ImportResult:
    """Import in English (the tests read the messages), dated 2025-06-30 unless the workbook says."""
    kwargs.setdefault("lang", "en")
    kwargs.setdefault("today", "2025-06-30")
    return import_workbook(workbook, policy, **kwargs)


def test_small_policy_is_valid() -> None:
    assert document_findings(small_policy()) == []
