"""support-scope diff: a real before/after pair for every rule, sides (files, releases, git), outputs."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from support_scope.changes.differ import diff_documents
from support_scope.changes.render import render_markdown, render_text
from support_scope.changes.rules import RULES
from support_scope.changes.words import Segment, word_diff
from support_scope.errors import InputError, ReleaseError
from support_scope.model.conditions import compare_tests, fact_domains
from support_scope.validate import document_findings

REPO = Path(__file__).resolve().parents[1]
DIFF_SCHEMA = REPO / "schema" / "diff.schema.json"


# --------------------------------------------------------------------------- a small valid policy


def t(fr: str, en: str | None = None) -> dict[str, str]:
    return {"fr": fr, "en": en if en is not None else f"EN {fr}"}


def prov(line: int = 1, column: str = "included") -> dict[str, Any]:
    return {"page": 1, "line": line, "column": column}


def item(item_id: str, status: str, text: str, tier: str | None = None, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"id": item_id, "status": status}
    if tier is not None:
        record["tier"] = tier
    record.update({"text": t(text), "provenance": prov(), **extra})
    return record


def small_policy() -> dict[str, Any]:
    """A schema-valid policy using every part of the format, small enough to read."""
    return {
        "id": "demo-scope",
        "version": "1.0.0",
        "title": t("Champ d'application de démonstration"),
        "languages": ["fr", "en"],
        "source": {"document": "demo.fr.txt", "language": "fr"},
        "products": [
            {
                "id": "act-premium",
                "name": t("Act! Premium"),
                "eligible": True,
                "provenance": prov(1, "intro"),
            },
            {"id": "classic", "name": t("Act! Classic"), "eligible": False, "provenance": prov(1, "intro")},
        ],
        "eligibility": {
            "text": t("Clients ayant un abonnement actif."),
            "conditions": [
                {
                    "id": "eligibility-active",
                    "text": t("abonnement actif"),
                    "test": {"fact": "active_subscription", "op": "eq", "value": True},
                    "provenance": prov(1, "intro"),
                }
            ],
            "provenance": prov(1, "intro"),
        },
        "tiers": [
            {"id": "self-service", "label": t("Base de connaissances"), "includes": [], "provenance": prov()},
            {
                "id": "standard",
                "label": t("Assistance standard"),
                "includes": ["self-service"],
                "grants": [
                    {
                        "id": "grant-dialogs",
                        "text": t("Erreurs des boîtes de dialogue."),
                        "kinds": ["dialog-error"],
                        "provenance": prov(),
                    }
                ],
                "provenance": prov(),
            },
            {
                "id": "extended",
                "label": t("Assistance approfondie"),
                "aliases": ["Assistance intégrale"],
                "includes": ["standard"],
                "provenance": prov(),
            },
        ],
        "plans": [
            {"id": "standard", "name": t("Assistance standard"), "tier": "standard"},
            {"id": "extended", "name": t("Assistance approfondie"), "tier": "extended"},
            {"id": "pro", "name": t("Act! Pro"), "tier": "extended"},
        ],
        "facts": [
            {"id": "active_subscription", "type": "boolean", "description": t("Abonnement actif.")},
            {"id": "new_customer", "type": "boolean", "description": t("Nouveau client.")},
            {
                "id": "days_since_first_invoice",
                "type": "integer",
                "description": t("Jours depuis la facture."),
            },
            {"id": "caused_by_customer", "type": "boolean", "description": t("Causé par le client.")},
            {"id": "network_ok", "type": "boolean", "description": t("Le réseau fonctionne.")},
        ],
        "referrals": [{"id": "partner", "name": t("Un partenaire certifié")}],
        "request_kinds": [
            {"id": "dialog-error", "name": t("Erreur de dialogue"), "description": t("Une erreur.")},
            {"id": "usage-help", "name": t("Aide à l'utilisation"), "description": t("De l'aide.")},
            {"id": "training", "name": t("Formation"), "description": t("Une formation.")},
        ],
        "general_terms": [
            {
                "id": "call-limit",
                "kind": "call-limit",
                "text": t("Un appel peut être limité à une heure."),
                "limits": {"max_minutes": 60},
                "provenance": prov(1, "intro"),
            },
            {
                "id": "billable-work",
                "kind": "billable-service",
                "text": t("Services techniques facturés."),
                "billing": {"kind": "hourly-rate", "minimum_hours": 1, "text": t("Taux horaire.")},
                "provenance": prov(1, "intro"),
            },
            {
                "id": "not-covered-env",
                "kind": "not-covered",
                "text": t("Les erreurs causées par le client ne sont pas prises en charge."),
                "kinds": ["dialog-error"],
                "test": {"fact": "caused_by_customer", "op": "eq", "value": True},
                "overrides_lines": True,
                "provenance": prov(1, "intro"),
            },
        ],
        "precedence": {
            "order": ["line-excluded", "line-included", "not-covered", "grant"],
            "text": t("La ligne précise prévaut."),
        },
        "categories": [
            {
                "id": "setup",
                "title": t("Installation"),
                "groups": [
                    {
                        "id": "setup-advice",
                        "tier": "extended",
                        "text": t("Conseils, y compris :"),
                        "provenance": prov(),
                    }
                ],
                "conditions": [
                    {
                        "id": "setup-network",
                        "text": t("alors que le réseau fonctionne"),
                        "test": {"fact": "network_ok", "op": "eq", "value": True},
                        "when_unmet": "not-covered",
                        "term": "setup-resolved",
                        "items": ["setup-errors"],
                        "provenance": prov(),
                    }
                ],
                "notes": [
                    {
                        "id": "setup-resolved",
                        "kind": "resolution-rule",
                        "cause": "customer-environment",
                        "text": t("Le conseiller marque le problème résolu."),
                        "test": {"fact": "caused_by_customer", "op": "eq", "value": True},
                        "items": ["setup-errors"],
                        "provenance": prov(),
                    }
                ],
                "items": [
                    item("setup-kb", "included", "Consulter la base de connaissances", "self-service"),
                    item(
                        "setup-errors",
                        "included",
                        "La résolution des erreurs de l'installation",
                        "standard",
                        kind="dialog-error",
                    ),
                    item(
                        "setup-guide",
                        "included",
                        "Directives d'installation",
                        "extended",
                        group="setup-advice",
                    ),
                    item(
                        "setup-server",
                        "included",
                        "Configuration du serveur",
                        "extended",
                        group="setup-advice",
                    ),
                    item(
                        "setup-custom",
                        "excluded",
                        "Installation personnalisée",
                        kind="training",
                        referrals=["partner"],
                        billing={"kind": "billed-separately", "text": t("Facturé séparément.")},
                    ),
                ],
                "provenance": prov(2, "category"),
            },
            {
                "id": "onboarding",
                "title": t("Prise en main"),
                "conditions": [
                    {
                        "id": "onboarding-new",
                        "text": t("Uniquement pour les nouveaux clients."),
                        "test": {"fact": "new_customer", "op": "eq", "value": True},
                        "when_unmet": "not-applicable",
                        "items": ["onboarding-check"],
                        "provenance": prov(3, "category"),
                    },
                    {
                        "id": "onboarding-window",
                        "text": t("Dans les 30 jours suivant la première facture."),
                        "test": {"fact": "days_since_first_invoice", "op": "le", "value": 30},
                        "provenance": prov(3, "category"),
                    },
                ],
                "notes": [
                    {
                        "id": "onboarding-scope",
                        "kind": "scope-note",
                        "text": t("Portée."),
                        "provenance": prov(),
                    }
                ],
                "items": [
                    item("onboarding-check", "included", "Vérification de la base", "standard"),
                    item("onboarding-import", "included", "Conseils d'importation", "extended"),
                ],
                "provenance": prov(3, "category"),
            },
            {
                "id": "upgrades",
                "title": t("Mises à niveau"),
                "notes": [
                    {
                        "id": "upgrades-scope",
                        "kind": "scope-note",
                        "text": t("Non inclus sauf dans le cadre de ce document."),
                        "excludes_unlisted": True,
                        "provenance": prov(),
                    }
                ],
                "items": [
                    item(
                        "upgrades-as-setup",
                        "included",
                        "Comme pour l'installation",
                        "extended",
                        see={"category": "setup", "items": ["setup-guide"]},
                    ),
                    item("upgrades-migration", "excluded", "Migration de données"),
                ],
                "provenance": prov(4, "category"),
            },
        ],
        "vocabulary": [
            {
                "id": "install",
                "kind": "synonym",
                "terms": {"fr": ["installer", "setup"], "en": ["install"]},
                "matrix_terms": ["Installation"],
            }
        ],
    }


def test_the_fixture_is_a_valid_policy() -> None:
    assert document_findings(small_policy()) == []


# --------------------------------------------------------------------------- one pair per rule

Edit = Callable[[dict[str, Any]], None]


def _cat(doc: dict[str, Any], cid: str) -> dict[str, Any]:
    return next(c for c in doc["categories"] if c["id"] == cid)


def _item(doc: dict[str, Any], iid: str) -> dict[str, Any]:
    return next(i for c in doc["categories"] for i in c["items"] if i["id"] == iid)


def _tier(doc: dict[str, Any], tid: str) -> dict[str, Any]:
    return next(x for x in doc["tiers"] if x["id"] == tid)


def _term(doc: dict[str, Any], tid: str) -> dict[str, Any]:
    return next(x for x in doc["general_terms"] if x["id"] == tid)


def _move_item(doc: dict[str, Any], iid: str, to: str) -> None:
    for category in doc["categories"]:
        category["items"] = [i for i in category["items"] if i["id"] != iid or category["id"] == to]
    source = _item(small_policy(), iid)
    _cat(doc, to)["items"].append(source)


def _set(path: list[Any], value: Any) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        target: Any = doc
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return edit


def _do(*edits: Edit) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        for e in edits:
            e(doc)

    return edit


# Each rule: (edit turning the fixture into the "new" version, the ids the change must name)
CASES: dict[str, tuple[Edit, dict[str, str]]] = {
    "item-added": (
        lambda d: _cat(d, "setup")["items"].append(
            item("setup-new", "included", "Nouveau service", "standard")
        ),
        {"category": "setup", "item": "setup-new"},
    ),
    "item-removed": (lambda d: _cat(d, "setup")["items"].pop(3), {"item": "setup-server"}),
    "item-exclusion-added": (
        lambda d: _cat(d, "setup")["items"].append(item("setup-no", "excluded", "Nouveau refus")),
        {"item": "setup-no"},
    ),
    "item-exclusion-removed": (lambda d: _cat(d, "upgrades")["items"].pop(1), {"item": "upgrades-migration"}),
    "item-excluded": (
        lambda d: (_item(d, "setup-errors").update(status="excluded"), _item(d, "setup-errors").pop("tier")),
        {"item": "setup-errors"},
    ),
    "item-included": (
        lambda d: _item(d, "upgrades-migration").update(status="included", tier="extended"),
        {"item": "upgrades-migration"},
    ),
    "item-tier-raised": (
        lambda d: _item(d, "setup-errors").update(tier="extended"),
        {"item": "setup-errors"},
    ),
    "item-tier-lowered": (
        lambda d: _item(d, "setup-server").update(tier="standard"),
        {"item": "setup-server"},
    ),
    "item-recategorized": (
        lambda d: _move_item(d, "setup-kb", "upgrades"),
        {"category": "upgrades", "item": "setup-kb"},
    ),
    "item-recategorized-conditions": (
        lambda d: _move_item(d, "setup-kb", "onboarding"),
        {"category": "onboarding", "item": "setup-kb"},
    ),
    "item-reordered": (lambda d: _cat(d, "setup")["items"].reverse(), {"category": "setup"}),
    "item-regrouped": (lambda d: _item(d, "setup-guide").pop("group"), {"item": "setup-guide"}),
    "item-referral-changed": (lambda d: _item(d, "upgrades-migration").update(referrals=["partner"]), {}),
    "item-billing-changed": (
        lambda d: _item(d, "setup-custom").update(
            billing={"kind": "hourly-rate", "minimum_hours": 2, "text": t("Facturé séparément.")}
        ),
        {"item": "setup-custom"},
    ),
    "item-reference-widened": (
        lambda d: _item(d, "upgrades-as-setup")["see"]["items"].append("setup-server"),
        {"item": "upgrades-as-setup"},
    ),
    "item-reference-narrowed": (
        lambda d: _item(d, "upgrades-as-setup").update(see={"category": "setup", "items": ["setup-server"]}),
        {"item": "upgrades-as-setup"},
    ),
    "category-added": (
        lambda d: d["categories"].append(
            {
                "id": "sync",
                "title": t("Synchronisation"),
                "items": [item("sync-a", "included", "Sync", "standard")],
                "provenance": prov(),
            }
        ),
        {"category": "sync"},
    ),
    "category-removed": (lambda d: d["categories"].pop(1), {"category": "onboarding"}),
    "category-retitled": (
        _set(["categories", 0, "title", "fr"], "Installation et configuration"),
        {"category": "setup"},
    ),
    "category-reordered": (lambda d: d["categories"].reverse(), {}),
    "condition-added": (
        lambda d: _cat(d, "upgrades").__setitem__(
            "conditions",
            [
                {
                    "id": "upgrades-new",
                    "text": t("Nouveaux clients."),
                    "test": {"fact": "new_customer", "op": "eq", "value": True},
                    "provenance": prov(),
                }
            ],
        ),
        {"category": "upgrades", "condition": "upgrades-new"},
    ),
    "condition-removed": (
        lambda d: _cat(d, "onboarding")["conditions"].pop(0),
        {"condition": "onboarding-new"},
    ),
    "condition-tightened": (
        _set(["categories", 1, "conditions", 1, "test", "value"], 14),
        {"category": "onboarding", "condition": "onboarding-window"},
    ),
    "condition-loosened": (
        _set(["categories", 1, "conditions", 1, "test", "value"], 60),
        {"condition": "onboarding-window"},
    ),
    "condition-changed": (
        _set(
            ["categories", 1, "conditions", 1, "test"],
            {"fact": "days_since_first_invoice", "op": "ge", "value": 10},
        ),
        {"condition": "onboarding-window"},
    ),
    "condition-restated": (
        _set(
            ["categories", 1, "conditions", 1, "test"],
            {"fact": "days_since_first_invoice", "op": "lt", "value": 31},
        ),
        {"condition": "onboarding-window"},
    ),
    "group-added": (
        lambda d: _cat(d, "setup")["groups"].append(
            {"id": "setup-more", "text": t("Et aussi :"), "provenance": prov()}
        ),
        {"group": "setup-more"},
    ),
    "group-removed": (
        lambda d: (
            _cat(d, "setup").pop("groups"),
            _item(d, "setup-guide").pop("group"),
            _item(d, "setup-server").pop("group"),
        ),
        {"group": "setup-advice"},
    ),
    "note-added": (
        lambda d: _cat(d, "setup")["notes"].append(
            {"id": "setup-scope", "kind": "scope-note", "text": t("Portée."), "provenance": prov()}
        ),
        {"note": "setup-scope"},
    ),
    "note-removed": (lambda d: _cat(d, "onboarding").pop("notes"), {"note": "onboarding-scope"}),
    "note-restriction-added": (
        lambda d: _cat(d, "onboarding")["notes"].append(
            {
                "id": "onboarding-resolved",
                "kind": "resolution-rule",
                "text": t("Résolu si le client en est la cause."),
                "test": {"fact": "caused_by_customer", "op": "eq", "value": True},
                "items": ["onboarding-check"],
                "provenance": prov(),
            }
        ),
        {"note": "onboarding-resolved"},
    ),
    "note-restriction-removed": (
        lambda d: (
            _cat(d, "setup").pop("notes"),
            _cat(d, "setup")["conditions"][0].pop("term"),
            _cat(d, "setup")["conditions"][0].update(when_unmet="ineligible"),
        ),
        {"note": "setup-resolved"},
    ),
    "note-excludes-unlisted": (
        _set(["categories", 1, "notes", 0, "excludes_unlisted"], True),
        {"note": "onboarding-scope"},
    ),
    "note-unlisted-again": (
        lambda d: _cat(d, "upgrades")["notes"][0].pop("excludes_unlisted"),
        {"note": "upgrades-scope"},
    ),
    "note-changed": (
        _set(["categories", 0, "notes", 0, "cause"], "third-party-software"),
        {"note": "setup-resolved"},
    ),
    "product-added": (
        lambda d: d["products"].append(
            {"id": "growth", "name": t("Suite Croissance"), "eligible": True, "provenance": prov()}
        ),
        {"product": "growth"},
    ),
    "product-removed": (lambda d: d["products"].pop(0), {"product": "act-premium"}),
    "product-listed": (
        lambda d: d["products"].append(
            {"id": "expert", "name": t("Classic Expert"), "eligible": False, "provenance": prov()}
        ),
        {"product": "expert"},
    ),
    "product-unlisted": (lambda d: d["products"].pop(1), {"product": "classic"}),
    "product-eligibility-granted": (_set(["products", 1, "eligible"], True), {"product": "classic"}),
    "product-eligibility-withdrawn": (_set(["products", 0, "eligible"], False), {"product": "act-premium"}),
    "tier-added": (
        lambda d: d["tiers"].append(
            {"id": "premium", "label": t("Premium"), "includes": ["extended"], "provenance": prov()}
        ),
        {"tier": "premium"},
    ),
    "tier-removed": (
        lambda d: (
            d["tiers"].pop(0),
            _tier(d, "standard").update(includes=[]),
            _item(d, "setup-kb").update(tier="standard"),
        ),
        {"tier": "self-service"},
    ),
    "tier-inclusion-added": (
        lambda d: _tier(d, "extended")["includes"].append("self-service"),
        {"tier": "extended"},
    ),
    "tier-inclusion-removed": (
        lambda d: _tier(d, "extended").update(includes=["self-service"]),
        {"tier": "extended"},
    ),
    "grant-added": (
        lambda d: _tier(d, "extended").__setitem__(
            "grants", [{"id": "grant-remote", "text": t("Assistance à distance."), "provenance": prov()}]
        ),
        {"tier": "extended", "grant": "grant-remote"},
    ),
    "grant-removed": (lambda d: _tier(d, "standard").pop("grants"), {"grant": "grant-dialogs"}),
    "plan-added": (
        lambda d: d["plans"].append({"id": "basic", "name": t("Basique"), "tier": "standard"}),
        {"plan": "basic"},
    ),
    "plan-removed": (lambda d: d["plans"].pop(2), {"plan": "pro"}),
    "plan-tier-raised": (_set(["plans", 0, "tier"], "extended"), {"plan": "standard"}),
    "plan-tier-lowered": (_set(["plans", 2, "tier"], "standard"), {"plan": "pro"}),
    "fact-added": (
        lambda d: d["facts"].append({"id": "region", "type": "string", "description": t("Région.")}),
        {"fact": "region"},
    ),
    "fact-removed": (
        lambda d: (d["facts"].pop(1), _cat(d, "onboarding")["conditions"].pop(0)),
        {"fact": "new_customer"},
    ),
    "fact-type-changed": (
        lambda d: (
            d["facts"][1].update(type="string"),
            _cat(d, "onboarding")["conditions"][0].update(
                test={"fact": "new_customer", "op": "eq", "value": "yes"}
            ),
        ),
        {"fact": "new_customer"},
    ),
    "referral-target-added": (
        lambda d: d["referrals"].append({"id": "vendor", "name": t("L'éditeur")}),
        {"referral": "vendor"},
    ),
    "referral-target-removed": (
        lambda d: (d["referrals"].pop(0), _item(d, "setup-custom").pop("referrals")),
        {"referral": "partner"},
    ),
    "restriction-added": (
        lambda d: d["general_terms"].append(
            {
                "id": "no-hardware",
                "kind": "not-covered",
                "text": t("Le matériel n'est pas pris en charge."),
                "provenance": prov(),
            }
        ),
        {"term": "no-hardware"},
    ),
    "restriction-removed": (lambda d: d["general_terms"].pop(0), {"term": "call-limit"}),
    "general-term-added": (
        lambda d: d["general_terms"].append(
            {
                "id": "to-partner",
                "kind": "referral",
                "text": t("Voir un partenaire."),
                "referrals": ["partner"],
                "provenance": prov(),
            }
        ),
        {"term": "to-partner"},
    ),
    "general-term-removed": (lambda d: d["general_terms"].pop(1), {"term": "billable-work"}),
    "general-term-changed": (
        _set(["general_terms", 1, "billing", "minimum_hours"], 2),
        {"term": "billable-work"},
    ),
    "call-limit-tightened": (
        _set(["general_terms", 0, "limits"], {"max_minutes": 30}),
        {"term": "call-limit"},
    ),
    "call-limit-loosened": (
        _set(["general_terms", 0, "limits"], {"max_minutes": 90}),
        {"term": "call-limit"},
    ),
    "item-kind-changed": (
        lambda d: _item(d, "setup-guide").update(kind="usage-help"),
        {"item": "setup-guide"},
    ),
    "item-exclusion-kind-removed": (lambda d: _item(d, "setup-custom").pop("kind"), {"item": "setup-custom"}),
    "condition-effect-hardened": (
        _set(["categories", 1, "conditions", 0, "when_unmet"], "ineligible"),
        {"condition": "onboarding-new"},
    ),
    "condition-effect-softened": (
        _set(["categories", 1, "conditions", 1, "when_unmet"], "not-applicable"),
        {"condition": "onboarding-window"},
    ),
    "condition-scope-widened": (
        lambda d: _cat(d, "onboarding")["conditions"][0].pop("items"),
        {"condition": "onboarding-new"},
    ),
    "condition-scope-narrowed": (
        _set(["categories", 1, "conditions", 1, "items"], ["onboarding-check"]),
        {"condition": "onboarding-window"},
    ),
    "condition-scope-changed": (
        _set(["categories", 1, "conditions", 0, "items"], ["onboarding-import"]),
        {"condition": "onboarding-new"},
    ),
    "condition-term-changed": (
        _set(["categories", 0, "conditions", 0, "term"], "not-covered-env"),
        {"category": "setup", "condition": "setup-network"},
    ),
    "restriction-widened": (
        lambda d: _term(d, "not-covered-env")["kinds"].append("usage-help"),
        {"term": "not-covered-env"},
    ),
    "restriction-narrowed": (
        lambda d: _term(d, "not-covered-env").pop("overrides_lines"),
        {"term": "not-covered-env"},
    ),
    "restriction-changed": (
        lambda d: _term(d, "not-covered-env").update(kinds=["usage-help"]),
        {"term": "not-covered-env"},
    ),
    "restriction-restated": (
        lambda d: _term(d, "not-covered-env").update(
            test={"fact": "caused_by_customer", "op": "ne", "value": False}
        ),
        {"term": "not-covered-env"},
    ),
    "grant-kinds-widened": (
        lambda d: _tier(d, "standard")["grants"][0]["kinds"].append("usage-help"),
        {"grant": "grant-dialogs"},
    ),
    "grant-kinds-narrowed": (
        lambda d: _tier(d, "standard")["grants"][0].pop("kinds"),
        {"grant": "grant-dialogs"},
    ),
    "request-kind-added": (
        lambda d: d["request_kinds"].append({"id": "other", "name": t("Autre"), "description": t("Autre.")}),
        {"request_kind": "other"},
    ),
    "request-kind-removed": (
        lambda d: (d["request_kinds"].pop(2), _item(d, "setup-custom").pop("kind")),
        {"request_kind": "training"},
    ),
    "precedence-changed": (
        _set(["precedence", "order"], ["line-excluded", "not-covered", "line-included", "grant"]),
        {"precedence": "order"},
    ),
    "precedence-stated": (lambda d: d.pop("precedence"), {"precedence": "order"}),
    "policy-id-changed": (_set(["id"], "demo-scope-2"), {"policy": "demo-scope-2"}),
    "language-added": (
        lambda d: _walk_language_maps(d, lambda m: m.__setitem__("de", "DE " + m["fr"]), add="de"),
        {"language": "de"},
    ),
    "language-removed": (
        lambda d: _walk_language_maps(d, lambda m: m.pop("en"), remove="en"),
        {"language": "en"},
    ),
    "text-changed": (
        _set(
            ["categories", 0, "items", 1, "text", "fr"],
            "La résolution rapide des erreurs de la configuration",
        ),
        {"category": "setup", "item": "setup-errors"},
    ),
    "translation-changed": (
        _set(["categories", 0, "items", 1, "text", "en"], "Fixing setup errors"),
        {"item": "setup-errors"},
    ),
    "vocabulary-group-added": (
        lambda d: d["vocabulary"].append({"id": "backup", "kind": "synonym", "terms": {"en": ["backup"]}}),
        {"vocabulary": "backup"},
    ),
    "vocabulary-group-removed": (lambda d: d["vocabulary"].pop(0), {"vocabulary": "install"}),
    "vocabulary-group-changed": (
        lambda d: d["vocabulary"][0]["terms"]["fr"].append("réinstaller"),
        {"vocabulary": "install"},
    ),
    "annotation-changed": (
        _set(["categories", 0, "items", 1, "provenance", "line"], 7),
        {"item": "setup-errors"},
    ),
    "other-field-changed": (
        lambda d: _tier(d, "extended").update(aliases=["Assistance complète"]),
        {"tier": "extended"},
    ),
}


def _walk_language_maps(
    doc: Any, edit: Callable[[dict[str, str]], Any], add: str = "", remove: str = ""
) -> None:
    if add:
        doc["languages"].append(add)
    if remove:
        doc["languages"].remove(remove)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "fr" in node and all(isinstance(v, str) for v in node.values()):
                edit(node)
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for key, value in doc.items():
        if key != "languages":
            walk(value)


ALL = ["extended", "pro", "standard"]
EXTENDED = ["extended", "pro"]

# What each case must come to, written by hand from what the edit does to customers of the
# small policy (plans standard -> tier standard; extended and pro -> tier extended), never read
# from the rule table: (severity, plans gaining, plans losing, legal review).
EXPECTED: dict[str, tuple[str, list[str], list[str], bool]] = {
    "item-added": ("additive", ALL, [], False),  # a standard-tier service: every plan reaches it
    "item-removed": ("breaking", [], EXTENDED, False),  # setup-server, an extended-tier service
    "item-exclusion-added": ("breaking", [], ALL, False),
    "item-exclusion-removed": ("additive", ALL, [], False),
    "item-excluded": ("breaking", [], ALL, False),
    "item-included": ("additive", EXTENDED, [], False),  # included at the extended tier
    "item-tier-raised": ("breaking", [], ["standard"], False),
    "item-tier-lowered": ("additive", ["standard"], [], False),
    "item-recategorized": ("editorial", [], [], False),
    "item-recategorized-conditions": ("breaking", [], ALL, False),  # now under onboarding's conditions
    "item-reordered": ("editorial", [], [], False),
    "item-regrouped": ("editorial", [], [], False),
    "item-referral-changed": ("editorial", [], [], False),
    "item-billing-changed": ("editorial", [], [], True),
    "item-reference-widened": ("additive", EXTENDED, [], False),
    "item-reference-narrowed": ("breaking", [], EXTENDED, False),
    "category-added": ("editorial", [], [], False),
    "category-removed": ("editorial", [], [], False),
    "category-retitled": ("editorial", [], [], True),
    "category-reordered": ("editorial", [], [], False),
    "condition-added": ("breaking", [], ALL, False),
    "condition-removed": ("additive", ALL, [], False),
    "condition-tightened": ("breaking", [], ALL, False),
    "condition-loosened": ("additive", ALL, [], False),
    "condition-changed": ("breaking", ALL, ALL, False),
    "condition-restated": ("editorial", [], [], False),
    "group-added": ("editorial", [], [], False),
    "group-removed": ("editorial", [], [], False),
    "note-added": ("editorial", [], [], False),
    "note-removed": ("editorial", [], [], False),
    "note-changed": ("editorial", [], [], False),
    "product-added": ("additive", [], [], False),
    "product-removed": ("breaking", [], [], False),
    "product-listed": ("editorial", [], [], False),
    "product-unlisted": ("editorial", [], [], False),
    "product-eligibility-granted": ("additive", [], [], False),
    "product-eligibility-withdrawn": ("breaking", [], [], False),
    "tier-added": ("editorial", [], [], False),
    "tier-removed": ("editorial", [], [], False),
    "tier-inclusion-added": ("additive", EXTENDED, [], False),  # the plans giving tier extended
    "tier-inclusion-removed": ("breaking", [], EXTENDED, False),
    "grant-added": ("additive", EXTENDED, [], False),
    "grant-removed": ("breaking", [], ALL, False),  # a standard grant: every plan reaches it
    "plan-added": ("additive", ["basic"], [], False),
    "plan-removed": ("breaking", [], ["pro"], False),
    "plan-tier-raised": ("additive", ["standard"], [], False),
    "plan-tier-lowered": ("breaking", [], ["pro"], False),
    "fact-added": ("editorial", [], [], False),
    "fact-removed": ("editorial", [], [], False),
    "fact-type-changed": ("breaking", [], [], False),
    "referral-target-added": ("editorial", [], [], False),
    "referral-target-removed": ("editorial", [], [], False),
    "restriction-added": ("breaking", [], ALL, False),
    "restriction-removed": ("additive", ALL, [], False),
    "general-term-added": ("editorial", [], [], False),
    "general-term-removed": ("editorial", [], [], False),
    "general-term-changed": ("editorial", [], [], True),
    "call-limit-tightened": ("breaking", [], ALL, False),
    "call-limit-loosened": ("additive", ALL, [], False),
    "policy-id-changed": ("breaking", [], [], False),
    "language-added": ("editorial", [], [], False),
    "language-removed": ("editorial", [], [], False),
    "text-changed": ("editorial", [], [], True),
    "translation-changed": ("editorial", [], [], False),
    "annotation-changed": ("editorial", [], [], False),
    "other-field-changed": ("editorial", [], [], True),
    # request kinds, condition effects and scopes, restrictions, precedence (issue 9)
    "item-kind-changed": ("breaking", [], ALL, False),  # its kind's questions now get this line's answer
    "item-exclusion-kind-removed": ("additive", ALL, [], False),  # the grants answer that kind again
    "condition-effect-hardened": ("breaking", [], ALL, False),  # not-applicable -> ineligible
    "condition-effect-softened": ("additive", ALL, [], False),  # ineligible -> not-applicable
    "condition-scope-widened": ("breaking", [], ALL, False),
    "condition-scope-narrowed": ("additive", ALL, [], False),
    "condition-scope-changed": ("breaking", ALL, ALL, False),
    "condition-term-changed": ("editorial", [], [], True),  # other words and citations, same outcome
    "restriction-widened": ("breaking", [], ALL, False),
    "restriction-narrowed": ("additive", ALL, [], False),
    "restriction-changed": ("breaking", ALL, ALL, False),
    "restriction-restated": ("editorial", [], [], False),
    "grant-kinds-widened": ("additive", ALL, [], False),  # a standard grant: every plan reaches it
    "grant-kinds-narrowed": ("breaking", [], ALL, False),
    "note-restriction-added": ("breaking", [], ALL, False),
    "note-restriction-removed": ("additive", ALL, [], False),
    "note-excludes-unlisted": ("breaking", [], ALL, False),
    "note-unlisted-again": ("additive", ALL, [], False),
    "request-kind-added": ("editorial", [], [], False),
    "request-kind-removed": ("breaking", [], [], False),  # services asking with it must change
    "precedence-changed": ("breaking", [], ALL, True),
    "precedence-stated": ("editorial", [], [], False),
    # The search's words: nobody's answer changes, and no lawyer needs to read them.
    "vocabulary-group-added": ("editorial", [], [], False),
    "vocabulary-group-removed": ("editorial", [], [], False),
    "vocabulary-group-changed": ("editorial", [], [], False),
}
BUMPS = {"breaking": "major", "additive": "minor", "editorial": "patch"}
# Pairs whose edit brings a more severe change with it: the whole diff's severity.
OVERALL = {
    "category-added": "additive",  # its item is a new included service
    "category-removed": "breaking",  # its included items are gone
    "fact-removed": "additive",  # the condition that used the fact went with it
    "tier-removed": "breaking",  # standard no longer includes self-service
    # the condition that named the removed note as its answer falls back to ineligible
    "note-restriction-removed": "breaking",
}


def test_every_rule_has_a_case_and_an_expectation() -> None:
    assert sorted(CASES) == sorted(RULES) == sorted(EXPECTED)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule(rule: str) -> None:
    old = small_policy()
    new = copy.deepcopy(old)
    edit, ids = CASES[rule]
    edit(new)
    assert document_findings(new) == [], "the 'new' side of the pair must be a valid policy"
    result = diff_documents(old, new)
    matching = [c for c in result.changes if c.rule == rule]
    assert matching, f"no {rule} in {[c.rule for c in result.changes]}"
    change = matching[0]
    severity, gaining, losing, legal = EXPECTED[rule]
    assert (change.severity, change.plans_gaining, change.plans_losing) == (severity, gaining, losing)
    assert change.legal_review is legal
    for key, value in ids.items():
        assert change.ids.get(key) == value
    assert change.message
    overall = OVERALL.get(rule, severity)
    assert result.severity == overall
    assert result.required_bump == BUMPS[overall]
    # The reverse direction is a change too, never "no changes".
    assert diff_documents(new, old).changes


def test_identical_and_reordered_documents() -> None:
    old = small_policy()
    assert diff_documents(old, copy.deepcopy(old)).changes == []
    assert diff_documents(old, old).severity is None
    assert diff_documents(old, old).required_bump is None
    new = copy.deepcopy(old)
    new["categories"].reverse()
    new["products"].reverse()  # order of products carries no meaning: not even editorial
    for category in new["categories"]:
        category["items"].reverse()
    rules = [c.rule for c in diff_documents(old, new).changes]
    # Reordering is editorial, never removal plus addition.
    assert set(rules) <= {"category-reordered", "item-reordered"}
    assert "category-reordered" in rules
    assert diff_documents(old, new).required_bump == "patch"


def test_version_alone_is_no_change() -> None:
    old = small_policy()
    new = copy.deepcopy(old)
    new["version"] = "9.9.9"
    result = diff_documents(old, new)
    assert result.changes == []
    assert (result.old_version, result.new_version) == ("1.0.0", "9.9.9")


def test_required_bump_is_the_highest_severity() -> None:
    old = small_policy()
    new = copy.deepcopy(old)
    CASES["translation-changed"][0](new)
    assert diff_documents(old, new).required_bump == "patch"
    CASES["item-added"][0](new)
    assert diff_documents(old, new).required_bump == "minor"
    CASES["item-tier-raised"][0](new)
    result = diff_documents(old, new)
    assert result.required_bump == "major"
    assert result.severity == "breaking"
    assert result.at_least("editorial") and result.at_least("additive") and result.at_least("breaking")


def test_messages_name_the_plans_that_gain_or_lose() -> None:
    old = small_policy()
    new = copy.deepcopy(old)
    _item(new, "setup-errors")["tier"] = "extended"
    _item(new, "setup-server")["tier"] = "standard"
    changes = {c.rule: c for c in diff_documents(old, new).changes}
    raised = changes["item-tier-raised"]
    assert raised.plans_losing == ["standard"] and raised.plans_gaining == []
    assert "plan standard lose" in raised.message
    lowered = changes["item-tier-lowered"]
    assert lowered.plans_gaining == ["standard"]
    removed_old = copy.deepcopy(old)
    _cat(removed_old, "setup")["items"].pop(0)
    removed = next(c for c in diff_documents(old, removed_old).changes if c.rule == "item-removed")
    assert removed.plans_losing == ["extended", "pro", "standard"]


def test_french_wording_is_flagged_for_legal_review_and_marked_word_by_word() -> None:
    old = small_policy()
    new = copy.deepcopy(old)
    _item(new, "setup-errors")["text"]["fr"] = "La résolution rapide des erreurs de la configuration"
    _item(new, "setup-errors")["text"]["en"] = "Changed"
    changes = diff_documents(old, new).changes
    french = next(c for c in changes if c.rule == "text-changed")
    english = next(c for c in changes if c.rule == "translation-changed")
    assert french.legal_review and not english.legal_review
    assert french.severity == "editorial"
    assert french.words is not None
    assert "".join(s.text for s in french.words if s.op != "insert") == french.old
    assert "".join(s.text for s in french.words if s.op != "delete") == french.new
    text = render_text(diff_documents(old, new), color=False)
    assert "La résolution {+rapide+} des erreurs de [-l'installation-]{+la configuration+}" in text
    markdown = render_markdown(diff_documents(old, new))
    assert "La résolution **rapide** des erreurs de ~~l'installation~~ **la configuration**" in markdown
    assert "legal review" in markdown


def test_word_diff() -> None:
    assert word_diff("a b c", "a b c") == [Segment("equal", "a b c")]
    assert word_diff("un deux trois", "un trois") == [
        Segment("equal", "un "),
        Segment("delete", "deux "),
        Segment("equal", "trois"),
    ]
    assert word_diff("", "nouveau") == [Segment("insert", "nouveau")]


def test_compare_tests() -> None:
    le30 = {"fact": "d", "op": "le", "value": 30}
    assert compare_tests([le30], [{"fact": "d", "op": "le", "value": 14}]) == "tightened"
    assert compare_tests([le30], [{"fact": "d", "op": "lt", "value": 31}]) == "same"
    assert compare_tests([le30], [{"any": [le30, {"fact": "s", "op": "eq", "value": True}]}]) == "loosened"
    assert compare_tests([le30], [{"not": {"fact": "d", "op": "gt", "value": 30}}]) == "same"
    assert compare_tests([], [le30]) == "tightened"
    assert compare_tests([le30], [{"fact": "d", "op": "ge", "value": 10}]) == "changed"


def test_fact_domains_try_each_value_that_tells_contexts_apart() -> None:
    tests = [
        {"fact": "d", "op": "le", "value": 30},
        {"all": [{"fact": "n", "op": "eq", "value": True}, {"fact": "p", "op": "ne", "value": "cloud"}]},
        {"fact": "w", "op": "eq", "value": 1},
        {"fact": "w", "op": "eq", "value": True},  # an invalid document's mixed types stay apart
        {"fact": "r", "op": "le", "value": 1.5},  # and a constant of no declared type is tried as it is
    ]
    domains = fact_domains(tests)
    assert set(domains) == {"d", "n", "p", "w", "r"}
    assert sorted(domains["d"]) == [29, 30, 31]
    assert set(domains["n"]) == {True, False}
    assert set(domains["p"]) == {"cloud", "\x00other"}
    assert [(type(v), v) for v in domains["w"] if type(v) is bool] == [(bool, False), (bool, True)]
    assert sorted(v for v in domains["w"] if type(v) is int) == [0, 1, 2]
    assert sorted(domains["r"]) == [0.5, 1.5, 2.5]


def test_color_only_when_asked() -> None:
    old = small_policy()
    new = copy.deepcopy(old)
    CASES["item-tier-raised"][0](new)
    result = diff_documents(old, new)
    assert "\x1b[" not in render_text(result, color=False)
    assert "\x1b[31m" in render_text(result, color=True)


def test_renderers_are_deterministic() -> None:
    old = small_policy()
    new = copy.deepcopy(old)
    for rule in ("item-added", "text-changed", "category-reordered", "condition-tightened"):
        CASES[rule][0](new)
    first = diff_documents(old, new)
    second = diff_documents(copy.deepcopy(old), copy.deepcopy(new))
    assert render_markdown(first) == render_markdown(second)
    assert json.dumps(first.to_json(), sort_keys=True) == json.dumps(second.to_json(), sort_keys=True)


def test_text_lists_changes_by_severity_then_in_document_order() -> None:
    old = small_policy()
    new = copy.deepcopy(old)
    for rule in ("text-changed", "translation-changed", "item-added", "item-tier-raised"):
        CASES[rule][0](new)
    result = diff_documents(old, new)
    text = render_text(result)
    heads = [
        line.split()[1]
        for line in text.splitlines()
        if line[:9].strip() in ("BREAKING", "ADDITIVE", "EDITORIAL")
    ]
    assert heads == ["item-tier-raised", "item-added", "text-changed", "translation-changed"]
    # Within a severity, document order: the order of the changes in the diff itself.
    editorial = [c.rule for c in result.changes if c.severity == "editorial"]
    assert heads[2:] == editorial


def test_reordering_names_each_moved_record_with_its_positions() -> None:
    old = small_policy()
    ids = [c["id"] for c in old["categories"]]
    swapped = copy.deepcopy(old)
    swapped["categories"][0], swapped["categories"][1] = swapped["categories"][1], swapped["categories"][0]
    [change] = diff_documents(old, swapped).changes
    assert change.rule == "category-reordered"
    assert f"{ids[1]} from position 2 to 1" in change.message
    assert f"{ids[0]} from position 1 to 2" in change.message
    assert sorted(change.ids["moved"].split(",")) == sorted(ids[:2])
    # One record travelling far is named alone, not the ones it shifted by one.
    many = copy.deepcopy(old)
    many["categories"] += [
        {**copy.deepcopy(old["categories"][0]), "id": f"extra-{n}", "items": []} for n in range(6)
    ]
    travelled = copy.deepcopy(many)
    travelled["categories"].append(travelled["categories"].pop(0))
    [far] = diff_documents(many, travelled).changes
    assert far.ids["moved"] == ids[0]
    assert far.message.endswith(f"{ids[0]} from position 1 to 9")


def test_version_not_bumped_enough_is_said_in_text_and_markdown() -> None:
    old = small_policy()
    new = copy.deepcopy(old)
    CASES["item-tier-raised"][0](new)
    same = diff_documents(old, new)
    expected = "NEW still carries version 1.0.0: this needs at least 2.0.0"
    assert expected in render_text(same) and expected in render_markdown(same)
    new["version"] = "1.1.0"
    short = diff_documents(old, new)
    assert "NEW's version 1.1.0 is only a minor step over 1.0.0: this needs at least 2.0.0" in render_text(
        short
    )
    new["version"] = "2.0.0"
    enough = diff_documents(old, new)
    assert "this needs" not in render_text(enough) and "this needs" not in render_markdown(enough)
    assert "this needs" not in render_text(diff_documents(old, copy.deepcopy(old)))


# --------------------------------------------------------------------------- the command line


def _write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    old = small_policy()
    new = copy.deepcopy(old)
    new["version"] = "2.0.0"
    for rule in ("item-tier-raised", "item-added", "text-changed", "category-reordered"):
        CASES[rule][0](new)
    return _write(tmp_path / "old.json", old), _write(tmp_path / "new.json", new)


def test_cli_text_markdown_json(run_cli: Any, pair: tuple[Path, Path]) -> None:
    old, new = map(str, pair)
    text = run_cli("diff", old, new)
    assert text.exit_code == 0
    assert "BREAKING  item-tier-raised" in text.output
    assert "required version bump: major" in text.output
    markdown = run_cli("diff", old, new, "--format", "markdown")
    assert markdown.output.startswith("## Policy diff: demo-scope 1.0.0 → demo-scope 2.0.0")
    assert "**Required version bump: major**" in markdown.output
    assert "### Breaking: some customers lose coverage (1)" in markdown.output
    output = run_cli("diff", old, new, "--format", "json")
    data = json.loads(output.output)
    assert data["required_bump"] == "major"
    assert data["old"]["source"] == old
    assert {c["rule"] for c in data["changes"]} >= {"item-tier-raised", "item-added", "text-changed"}


def test_cli_json_validates_against_the_diff_schema(run_cli: Any, pair: tuple[Path, Path]) -> None:
    from jsonschema import Draft202012Validator

    schema = json.loads(DIFF_SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert sorted(schema["$defs"]["change"]["properties"]["rule"]["enum"]) == sorted(RULES)
    validator = Draft202012Validator(schema)
    old = small_policy()
    for rule in sorted(CASES):
        new = copy.deepcopy(old)
        CASES[rule][0](new)
        errors = list(validator.iter_errors(diff_documents(old, new).to_json()))
        assert errors == [], rule
    data = json.loads(run_cli("diff", *map(str, pair), "--format", "json").output)
    assert list(validator.iter_errors(data)) == []


def _described(node: Any, where: str = "$") -> list[str]:
    missing = []
    if isinstance(node, dict):
        for key, value in node.get("properties", {}).items():
            if "description" not in value:
                missing.append(f"{where}.{key}")
        for key, value in node.items():
            missing += _described(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            missing += _described(value, f"{where}[{index}]")
    return missing


def test_diff_schema_describes_every_property() -> None:
    assert _described(json.loads(DIFF_SCHEMA.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize(
    ("level", "code"),
    [("breaking", 1), ("additive", 1), ("editorial", 1)],
)
def test_fail_on(run_cli: Any, pair: tuple[Path, Path], level: str, code: int) -> None:
    assert run_cli("diff", *map(str, pair), "--fail-on", level).exit_code == code


def test_fail_on_below_the_level(run_cli: Any, tmp_path: Path) -> None:
    old = small_policy()
    new = copy.deepcopy(old)
    CASES["translation-changed"][0](new)
    a, b = str(_write(tmp_path / "a.json", old)), str(_write(tmp_path / "b.json", new))
    assert run_cli("diff", a, b, "--fail-on", "breaking").exit_code == 0
    assert run_cli("diff", a, b, "--fail-on", "additive").exit_code == 0
    assert run_cli("diff", a, b, "--fail-on", "editorial").exit_code == 1
    assert run_cli("diff", a, a, "--fail-on", "editorial").exit_code == 0


def test_unreadable_side_is_an_error_not_no_changes(run_cli: Any, tmp_path: Path) -> None:
    good = str(_write(tmp_path / "good.json", small_policy()))
    (tmp_path / "bad.json").write_text("{ not json", encoding="utf-8")
    (tmp_path / "list.json").write_text("[]", encoding="utf-8")
    for bad, reason in (
        (str(tmp_path / "missing.json"), "no such file"),
        (str(tmp_path / "bad.json"), "not valid JSON"),
        (str(tmp_path / "list.json"), "JSON object"),
    ):
        result = run_cli("diff", bad, good)
        assert result.exit_code == 1
        assert reason in result.output
        assert "no changes" not in result.output
        assert run_cli("diff", good, bad).exit_code == 1


def test_a_side_that_is_not_a_policy_is_located(run_cli: Any, tmp_path: Path) -> None:
    good = str(_write(tmp_path / "good.json", small_policy()))
    doc = small_policy()
    doc["categories"] = "abc"
    odd = str(_write(tmp_path / "odd.json", doc))
    (tmp_path / "other.json").write_text('{"name": "package"}', encoding="utf-8")
    for bad, reason in (
        (odd, '"categories" is a string, not an array'),
        (str(tmp_path / "other.json"), 'no "id"'),
    ):
        for args in ((bad, good), (good, bad)):
            result = run_cli("diff", *args)
            assert result.exit_code == 1
            assert reason in result.output and "Traceback" not in result.output
    assert f"{odd}:" in run_cli("diff", odd, good).output  # file:line:column


def test_odd_shapes_below_the_top_level_do_not_break_the_diff() -> None:
    old, new = small_policy(), small_policy()
    new["tiers"][1]["includes"] = 5
    new["categories"][0]["items"][0]["tier"] = ["standard"]
    new["eligibility"]["conditions"][0]["test"] = {"fact": ["x"], "op": "lt", "value": {}}
    rules = {c.rule for c in diff_documents(old, new).changes}
    assert {"tier-inclusion-removed", "item-tier-raised", "condition-tightened"} <= rules


def test_eligibility_source_note_is_reported() -> None:
    old, new = small_policy(), small_policy()
    new["eligibility"]["source_note"] = "read from the second paragraph"
    changes = diff_documents(old, new).changes
    assert [(c.rule, c.message) for c in changes] == [
        ("annotation-changed", "eligibility: source note changed")
    ]


def test_usage_errors(run_cli: Any) -> None:
    assert run_cli("diff").exit_code == 2
    assert run_cli("diff", "a.json", "b.json", "--fail-on", "everything").exit_code == 2


@pytest.mark.parametrize("command", ["diff", "release", "check"])
def test_help_ends_with_exit_codes_and_examples(run_cli: Any, command: str) -> None:
    text = run_cli(command, "--help").output
    description = text[: text.index("Options:")]
    assert "Exit codes:" in description and "2  usage error" in description
    assert description.index("Exit codes:") < description.index("Examples:")
    examples = description[description.index("Examples:") :].splitlines()[1:]
    assert any(line.strip().startswith(f"support-scope {command}") for line in examples)
    assert "v1.0.0:" not in text  # no tag a fresh clone lacks


def test_diff_help_examples_work_in_the_checkout(
    run_cli: Any, shipped_policy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = REPO / "releases" / "act-premium-support-scope" / "1.0.0.json"
    if not release.exists() or not shipped_policy.exists():
        pytest.skip("the shipped policy is not released yet")
    monkeypatch.chdir(REPO)
    help_text = run_cli("diff", "--help").output
    examples = [
        line.split()[2:]
        for line in help_text.splitlines()
        if line.strip().startswith("support-scope diff releases/")
    ]
    assert examples
    for args in examples:
        result = run_cli("diff", *args)
        assert result.exit_code in (0, 1), result.output  # 1: --fail-on breaking found one
        assert "support-scope: error:" not in result.output  # ids may say "error(s)"; a failure says this


def test_rules_listing(run_cli: Any) -> None:
    text = run_cli("diff", "--rules")
    assert text.exit_code == 0
    assert len(text.output.splitlines()) == len(RULES)
    assert text.output.startswith("item-added")
    data = json.loads(run_cli("diff", "--rules", "--format", "json").output)
    assert [r["id"] for r in data] == list(RULES)
    assert {r["severity"] for r in data} == {"breaking", "additive", "editorial"}


# --------------------------------------------------------------------------- sides: releases and git


def test_release_side_is_verified(run_cli: Any, tmp_path: Path) -> None:
    from support_scope.changes.sides import load_side
    from support_scope.compile.compiler import compile_policy, release_bytes

    old = small_policy()
    source = json.dumps(old).encode()
    release_path = tmp_path / "1.0.0.json"
    release_path.write_bytes(release_bytes(compile_policy(old, source)))
    side = load_side(str(release_path))
    assert side.kind == "release" and side.document == old
    new = copy.deepcopy(old)
    CASES["item-removed"][0](new)
    policy = str(_write(tmp_path / "new.json", new))
    result = run_cli("diff", str(release_path), policy, "--format", "json")
    assert [c["rule"] for c in json.loads(result.output)["changes"]] == ["item-removed"]
    tampered = json.loads(release_path.read_text(encoding="utf-8"))
    tampered["policy"]["categories"][0]["items"][0]["tier"] = "extended"
    release_path.write_text(json.dumps(tampered), encoding="utf-8")
    with pytest.raises(ReleaseError, match="changed after it was compiled"):
        load_side(str(release_path))
    refused = run_cli("diff", str(release_path), policy)
    assert refused.exit_code == 1 and "changed after it was compiled" in refused.output


def test_a_release_of_the_older_format_is_a_side_as_check_reads_it(run_cli: Any, tmp_path: Path) -> None:
    """Release format 1 (policy 1.0.0) cannot be compiled again by this version, which writes
    format 2: `diff` reads it as `check` does, by its digest and its canonical bytes, located in
    its own text; a re-serialised copy (digest still right) is refused, as the gate refuses it."""
    release = REPO / "releases" / "act-premium-support-scope" / "1.0.0.json"
    assert json.loads(release.read_bytes())["manifest"]["format"] == 1
    result = run_cli("diff", str(release), str(REPO / "policies" / "act-premium-support-scope.json"))
    assert result.exit_code == 0, result.output
    newer = REPO / "releases" / "act-premium-support-scope" / "2.0.0.json"
    data = json.loads(run_cli("diff", str(newer), str(release), "--format", "json").output)
    located = [c["location"] for c in data["changes"] if c["location"]["side"] == "new"]
    assert located and all(place["file"] == str(release) for place in located)
    assert all(place["note"] == "in the policy the release embeds" for place in located)
    copy_path = tmp_path / "1.0.0.json"
    copy_path.write_text(json.dumps(json.loads(release.read_bytes()), indent=1), encoding="utf-8")
    refused = run_cli("diff", str(copy_path), str(REPO / "policies" / "act-premium-support-scope.json"))
    assert refused.exit_code == 1
    assert "not in the canonical form the compiler wrote" in refused.output, refused.output


@pytest.fixture
def git_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    (repo / "policies").mkdir(parents=True)
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

    git("init", "-q")
    git("config", "commit.gpgsign", "false")
    old = small_policy()
    _write(repo / "policies" / "demo-scope.json", old)
    git("add", ".")
    git("commit", "-q", "-m", "v1")
    git("tag", "v1.0.0")
    new = copy.deepcopy(old)
    new["version"] = "1.1.0"
    CASES["item-added"][0](new)
    _write(repo / "policies" / "demo-scope.json", new)
    git("commit", "-q", "-am", "v1.1")
    monkeypatch.chdir(repo)
    return repo


def test_git_revisions(run_cli: Any, git_repo: Path) -> None:
    result = run_cli(
        "diff", "v1.0.0:policies/demo-scope.json", "HEAD:policies/demo-scope.json", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["old"]["version"], data["new"]["version"]) == ("1.0.0", "1.1.0")
    assert [c["rule"] for c in data["changes"]] == ["item-added"]
    mixed = run_cli(
        "diff", "v1.0.0:policies/demo-scope.json", "policies/demo-scope.json", "--fail-on", "additive"
    )
    assert mixed.exit_code == 1
    assert "item-added" in mixed.output


def test_bad_git_revision_is_a_clear_error(run_cli: Any, git_repo: Path) -> None:
    from support_scope.changes.sides import load_side

    with pytest.raises(InputError, match="git cannot show it"):
        load_side("v9.9.9:policies/demo-scope.json")
    result = run_cli("diff", "v9.9.9:policies/demo-scope.json", "policies/demo-scope.json")
    assert result.exit_code == 1
    assert "v9.9.9:policies/demo-scope.json: git cannot show it" in result.output
    missing = run_cli("diff", "v1.0.0:policies/nope.json", "policies/demo-scope.json")
    assert missing.exit_code == 1


# --------------------------------------------------------------------------- the shipped policy


def test_shipped_policy_against_itself_and_an_edit(shipped_policy: Path) -> None:
    old = json.loads(shipped_policy.read_text(encoding="utf-8"))
    assert diff_documents(old, copy.deepcopy(old)).changes == []
    new = copy.deepcopy(old)
    onboarding = _cat(new, "cloud-onboarding")
    window = next(c for c in onboarding["conditions"] if c["id"] == "cloud-onboarding-booking-window")
    window["test"] = {"fact": "booked_through_sales", "op": "eq", "value": True}
    assert document_findings(new) == []
    changes = diff_documents(old, new).changes
    assert [c.rule for c in changes] == ["condition-tightened"]
    assert changes[0].ids == {"category": "cloud-onboarding", "condition": "cloud-onboarding-booking-window"}
