"""Builders shared by the tests: small policies and their parts, policy files, releases, benchmark modules.

The part builders (``text``, ``prov``, ``product``, ``tier``, ``plan``, ``fact``, ``condition``,
``item``, ``category``) return one record of the policy format each, with the defaults most tests
want, so that a test's policy shows only what it is about. ``small_policy()`` is a complete,
valid policy made with them; ``write_policy`` and ``compile_release`` turn a policy into the
files the commands read.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from support_scope.compile.compiler import compile_file, compile_policy
from support_scope.fileio.jsonfile import dump_json
from support_scope.validate import document_findings

REPO = Path(__file__).resolve().parents[1]
SHIPPED_POLICY = REPO / "policies" / "act-premium-support-scope.json"
BENCHMARKS = REPO / "benchmarks"

# --------------------------------------------------------------------------- parts of a policy


def text(fr: str, en: str | None = None) -> dict[str, str]:
    """A language map; the English defaults to the French marked ``(en)``."""
    return {"fr": fr, "en": f"{fr} (en)" if en is None else en}


def prov(line: int, column: str = "included", page: int = 1) -> dict[str, Any]:
    return {"page": page, "line": line, "column": column}


def product(product_id: str, name: str, *, eligible: bool = True, line: int = 1) -> dict[str, Any]:
    return {"id": product_id, "name": text(name), "eligible": eligible, "provenance": prov(line, "intro")}


def tier(tier_id: str, label: str, includes: list[str], *, line: int, **extra: Any) -> dict[str, Any]:
    return {"id": tier_id, "label": text(label), "includes": includes, **extra, "provenance": prov(line)}


def plan(plan_id: str, name: str, tier_id: str) -> dict[str, Any]:
    return {"id": plan_id, "name": text(name), "tier": tier_id}


def fact(fact_id: str, kind: str, description: str) -> dict[str, Any]:
    return {"id": fact_id, "type": kind, "description": text(description)}


def condition(
    condition_id: str, fr: str, test: dict[str, Any], *, line: int, column: str = "category"
) -> dict[str, Any]:
    return {"id": condition_id, "text": text(fr), "test": test, "provenance": prov(line, column)}


def item(
    item_id: str, status: str, fr: str, tier: str | None = None, *, line: int, **extra: Any
) -> dict[str, Any]:
    """An item; its provenance column is its status (``included`` or ``excluded``)."""
    record: dict[str, Any] = {"id": item_id, "status": status}
    if tier is not None:
        record["tier"] = tier
    record["text"] = text(fr)
    record.update(extra)
    record["provenance"] = prov(line, status)
    return record


def category(
    category_id: str, title: str, items: list[dict[str, Any]], *, line: int, **extra: Any
) -> dict[str, Any]:
    return {
        "id": category_id,
        "title": text(title),
        **extra,
        "items": items,
        "provenance": prov(line, "category"),
    }


def first_item(document: dict[str, Any], status: str) -> dict[str, Any]:
    """The document's first item with this status (the record itself: changing it changes the document)."""
    found: dict[str, Any] = next(
        i for c in document["categories"] for i in c["items"] if i["status"] == status
    )
    return found


# --------------------------------------------------------------------------- a small policy


def small_policy() -> dict[str, Any]:
    """A small valid policy: three tiers, two plans, a condition, a referral, a billing note, a `see`."""
    document = {
        "id": "small-policy",
        "version": "1.2.3",
        "title": text("Petite politique"),
        "languages": ["fr", "en"],
        "products": [
            product("act-premium", "Act! Premium"),
            product("old-product", "Ancien produit", eligible=False),
        ],
        "eligibility": {
            "text": text("Abonnement actif requis."),
            "conditions": [
                condition(
                    "active",
                    "Abonnement actif",
                    {"fact": "active_subscription", "op": "eq", "value": True},
                    line=2,
                    column="intro",
                )
            ],
            "provenance": prov(2, "intro"),
        },
        "tiers": [
            tier("self-service", "Base de connaissances", [], line=3),
            tier("standard", "Assistance standard", ["self-service"], line=4),
            tier("extended", "Assistance approfondie", ["standard"], line=5),
        ],
        "plans": [
            plan("standard", "Offre standard", "standard"),
            plan("extended", "Offre approfondie", "extended"),
        ],
        "facts": [
            fact("active_subscription", "boolean", "Abonnement actif"),
            fact("new_customer", "boolean", "Nouveau client"),
            fact("days_since_first_invoice", "integer", "Jours depuis la facture"),
        ],
        "referrals": [{"id": "vendor", "name": text("Fournisseur tiers")}],
        "general_terms": [
            {
                "id": "hourly",
                "kind": "billable-service",
                "text": text("Service technique à tarif horaire."),
                "billing": {
                    "kind": "hourly-rate",
                    "minimum_hours": 1,
                    "text": text("Tarif horaire, minimum une heure."),
                },
                "provenance": prov(6, "intro"),
            }
        ],
        "categories": [
            category(
                "setup",
                "Installation",
                [
                    item("setup-kb", "included", "Pages d’aide", "self-service", line=10),
                    item("setup-errors", "included", "Erreurs affichées", "standard", line=11),
                    item("setup-advice", "included", "Conseils d’installation", "extended", line=12),
                    item("setup-plugin", "excluded", "Greffons tiers", referrals=["vendor"], line=13),
                    item(
                        "setup-network",
                        "excluded",
                        "Option réseau facturée séparément",
                        billing={"kind": "billed-separately", "text": text("Facturée séparément.")},
                        line=14,
                    ),
                ],
                line=9,
            ),
            category(
                "onboarding",
                "Prise en main",
                [
                    item("onboarding-go-live", "included", "Mise en service", "standard", line=21),
                    item(
                        "onboarding-as-setup",
                        "included",
                        "Comme pour l’installation",
                        "extended",
                        see={"category": "setup", "items": ["setup-advice", "setup-errors"]},
                        line=22,
                    ),
                    item("onboarding-data", "excluded", "Préparation des données", line=23),
                ],
                conditions=[
                    condition(
                        "onboarding-new",
                        "Nouveaux clients, dans les 30 jours",
                        {
                            "all": [
                                {"fact": "new_customer", "op": "eq", "value": True},
                                {"fact": "days_since_first_invoice", "op": "le", "value": 30},
                            ]
                        },
                        line=20,
                    )
                ],
                line=20,
            ),
        ],
    }
    assert document_findings(document) == []
    return document


# --------------------------------------------------------------------------- files and releases


def write_policy(path: Path, document: dict[str, Any]) -> Path:
    """The policy written as the project keeps it (``dump_json``); returns ``path``."""
    path.write_text(dump_json(document), encoding="utf-8")
    return path


def compiled(document: dict[str, Any]) -> dict[str, Any]:
    """The release of ``document`` (a dict), its project-form JSON as the source bytes."""
    return compile_policy(document, dump_json(document).encode("utf-8"))


def compile_release(directory: Path, policy: Path = SHIPPED_POLICY, name: str = "release.json") -> Path:
    """``policy`` (by default the shipped one) compiled into ``directory/name``; returns that path."""
    path = directory / name
    path.write_bytes(compile_file(policy))
    return path


@contextmanager
def benchmark_module(name: str) -> Iterator[ModuleType]:
    """A module of ``benchmarks/`` (imported with that folder on ``sys.path`` for the duration)."""
    import importlib

    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCHMARKS))


def imported_names(node: ast.AST) -> list[str]:
    """The modules an import statement names (none for any other node)."""
    if isinstance(node, ast.ImportFrom):
        return [node.module or ""]
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    return []
