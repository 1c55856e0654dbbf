"""The Act! Premium support scope, encoded from the French source: checked against the source itself.

The expectations below (titles, counts, spot-checked texts) were written by reading
`shared/seeds/act-premium-support-scope.fr.txt`, not by reading the policy.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[1]
POLICY_PATH = ROOT / "policies" / "act-premium-support-scope.json"
SCHEMA_PATH = ROOT / "schema" / "support-scope.schema.json"
# The source document travels with its policy (policies/sources/), so these tests run anywhere.
SEED_PATH = Path(__file__).resolve().parents[1] / "policies" / "sources" / "act-premium-support-scope.fr.txt"
SHARED_SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "act-premium-support-scope.fr.txt"
PAGE_HEADER = "Champs d'application de l'assistance Act! Premium"


def test_the_repository_holds_the_source_as_published() -> None:
    """The copy in policies/sources/ is the published source, byte for byte (where both are here)."""
    assert SEED_PATH.is_file()
    if SHARED_SEED.is_file():
        assert SEED_PATH.read_bytes() == SHARED_SEED.read_bytes()


# Category ids and French titles, in source order.
CATEGORIES = [
    ("desktop-setup", "Configuration initiale et installation d'Act! Premium Desktop"),
    ("cloud-onboarding", "Service de prise en main d'Act! Premium Cloud"),
    (
        "hardware-os-platforms",
        "Matériel informatique, systèmes d'exploitation (OS), plateformes de base de données, "
        "Internet Information Server (IIS), navigateurs etc.",
    ),
    ("new-install-upgrades", "Nouvelle installation et upgrades"),
    ("network-connectivity", "Connectivité réseau"),
    (
        "contact-management",
        "Gestion des contacts/ Fonctionnalités commerciales (Contacts, Groupes, Société, Calendrier, "
        "Liste des tâches, Liste, Liste de l'historique, Opportunités et Act! Insight)",
    ),
    ("remote-sync", "Synchronisation à distance"),
    ("database-customization", "Personnalisation de la base de données"),
    ("reports-templates", "Création et modification de rapports et modèles"),
    ("custom-tables", "Tables personnalisées"),
    ("data-import-export", "Importation et exportation de données"),
    ("marketing-automation", "Act! Marketing Automation"),
    ("companion-app", "Act! Companion (Appli mobile)"),
    ("third-party-hosting", "Fournisseurs d'hébergement tiers"),
    ("web-api-connect-link", "API Act! Web et Act! Connect Link"),
    ("sdk-third-party-plugins", "SDK Act! et plug-in tiers"),
]

# Items per category, read from the source: (self-service, standard, extended, excluded).
# Merged cells are counted as split (see the items' source_note).
COUNTS = {
    "desktop-setup": (1, 1, 5, 4),
    "cloud-onboarding": (0, 5, 4, 4),  # "Problèmes de connectivité Internet Erreurs ..." is two items
    # The "Assistance standard" text sends Standard customers to the Knowledge Base: a self-service line.
    "hardware-os-platforms": (1, 0, 2, 4),  # one bullet of two sentences: two extended items
    "new-install-upgrades": (1, 1, 1, 4),  # the extended item is a reference to desktop-setup
    "network-connectivity": (0, 2, 2, 4),
    "contact-management": (1, 1, 2, 3),
    "remote-sync": (0, 3, 2, 2),
    "database-customization": (0, 2, 2, 2),
    "reports-templates": (0, 1, 3, 4),  # "Assistance Microsoft Word Connexion ..." is two items
    "custom-tables": (0, 1, 4, 4),
    "data-import-export": (0, 1, 2, 6),
    "marketing-automation": (0, 2, 3, 6),
    "companion-app": (0, 1, 3, 3),
    "third-party-hosting": (0, 0, 0, 8),  # nothing included; one service re-attached to "non inclus"
    "web-api-connect-link": (0, 1, 2, 4),
    "sdk-third-party-plugins": (0, 1, 0, 3),  # third-party user support re-attached to "non inclus"
}

# A dozen texts, exactly as the source writes them (®, ™, apostrophes, accents, capitals).
SPOT_CHECKS = {
    "desktop-setup-kb-pages": "Consulter nos pages sur la Base de Connaissances sur act.com",
    "desktop-setup-integration-guidelines": (
        "Directives d'intégration d'Act! avec d'autres logiciels (y compris Microsoft Office et Gmail)."
    ),
    "cloud-onboarding-outlook-integration-advice": "Conseils configuration Microsoft Outlook® pour l'intégration",
    "cloud-onboarding-datacenter-management": "Gestion continue de l'infrastructure du serveur de datacenter Act!",
    "hardware-os-platforms-standard-self-check": (
        "Pour obtenir des informations sur les paramètres de configuration selon votre produit Act!, et sur "
        "l'ajout d'exceptions Act! et SQL exceptions à un pare-feu Microsoft® Windows™, les clients qui "
        "bénéficient de l'assistance Standard doivent vérifier la configuration système Act! et consulter la "
        "Base de connaissances sur le site act.com."
    ),
    "hardware-os-platforms-firewall-exception-guidelines": (
        "Directives d'ajout d'exceptions SQL et d'Act! À votre logiciel pare-feu Windows."
    ),
    "new-install-upgrades-extended-as-desktop-setup": "Comme pour la configuration et installation",
    "network-connectivity-non-dialog-errors": (
        "Résolution d'erreurs non indiquées par les boites de dialogue de l'interface."
    ),
    "contact-management-kb-availability": (
        "Explications concernant la disponibilité d'articles sur la Base de connaissances et tutos vidéo"
    ),
    "reports-templates-microsoft-word": "Assistance Microsoft Word",
    "data-import-export-version-migration": (
        "Migration de données d'une base de données Act! d'une version d'Act! à une version d'Act! plus récente"
    ),
    "companion-app-mobile-network-access": (
        "Pour l'accès à internet ou au réseau sur votre mobile, contactez votre fournisseur."
    ),
    "web-api-connect-link-install-dialog-errors": (
        "Installation de l'API web Act! : résolution d'erreurs indiquées par les boîtes de dialogue Act! Et "
        "rencontrées pendant l'installation de l'API Act! et les tests de connexion"
    ),
    "sdk-third-party-plugins-addin-creation": "Création d'add-in",
}


def collapse(text: str) -> str:
    return " ".join(text.split())


def unlink(text: str) -> str:
    """The extraction renders a PDF hyperlink as Markdown, ``[words](#)``: keep the words."""
    return re.sub(r"\[([^\]]*)\]\(#\)", r"\1", text)


@pytest.fixture(scope="module")
def policy() -> dict[str, Any]:
    return json.loads(POLICY_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed_lines() -> list[str]:
    return SEED_PATH.read_text(encoding="utf-8").split("\n")


def categories_by_id(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in policy["categories"]}


def items_by_id(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for c in policy["categories"] for i in c["items"]}


def sourced_texts(policy: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(label, entry) for every item, group, note and condition."""
    found = []
    for index, condition in enumerate(policy["eligibility"]["conditions"]):
        found.append((f"eligibility.conditions[{index}]", condition))
    for category in policy["categories"]:
        for key in ("conditions", "groups", "notes", "items"):
            for entry in category.get(key, []):
                found.append((f"{category['id']}.{key}:{entry['id']}", entry))
    return found


def all_language_maps(node: Any, path: str = "$") -> list[tuple[str, dict[str, Any]]]:
    """Every language map of the document (a dict whose keys are fr and en)."""
    found = []
    if isinstance(node, dict):
        if "fr" in node and all(isinstance(v, str) for v in node.values()):
            found.append((path, node))
        else:
            for key, value in node.items():
                found.extend(all_language_maps(value, f"{path}.{key}"))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(all_language_maps(value, f"{path}[{index}]"))
    return found


# --------------------------------------------------------------------------- form


def test_schema_accepts_the_policy(policy: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    errors = sorted(Draft202012Validator(schema).iter_errors(policy), key=lambda e: e.json_path)
    assert not errors, "\n".join(f"{e.json_path}: {e.message}" for e in errors[:20])


def test_file_is_formatted_deterministically(policy: dict[str, Any]) -> None:
    raw = POLICY_PATH.read_text(encoding="utf-8")
    assert raw == json.dumps(policy, ensure_ascii=False, indent=2) + "\n"


def test_top_level(policy: dict[str, Any]) -> None:
    assert policy["id"] == "act-premium-support-scope"
    assert policy["version"] == "2.0.1"
    assert policy["languages"] == ["fr", "en"]
    assert "$schema" not in policy
    assert policy["source"]["document"] == "act-premium-support-scope.fr.txt"
    assert policy["source"]["language"] == "fr"
    assert policy["source"]["title"]["fr"] == PAGE_HEADER


def test_every_text_has_french_and_english_and_is_clean(policy: dict[str, Any]) -> None:
    import unicodedata

    maps = all_language_maps(policy)
    assert len(maps) > 200
    for path, language_map in maps:
        assert set(language_map) == {"fr", "en"}, path
        for text in language_map.values():
            assert text and text == text.strip(), path
            assert unicodedata.is_normalized("NFC", text), path


def test_ids_are_unique_and_references_resolve(policy: dict[str, Any]) -> None:
    tiers = {t["id"] for t in policy["tiers"]}
    referrals = {r["id"] for r in policy["referrals"]}
    ids: dict[str, Counter[str]] = {k: Counter() for k in ("category", "item", "group", "note", "condition")}
    ids["category"].update(c["id"] for c in policy["categories"])
    ids["condition"].update(c["id"] for c in policy["eligibility"]["conditions"])
    for category in policy["categories"]:
        groups = {g["id"] for g in category.get("groups", [])}
        for kind, key in (
            ("item", "items"),
            ("group", "groups"),
            ("note", "notes"),
            ("condition", "conditions"),
        ):
            ids[kind].update(e["id"] for e in category.get(key, []))
        for entry in category.get("groups", []) + category.get("notes", []):
            if "tier" in entry:
                assert entry["tier"] in tiers, entry["id"]
        texts = Counter(collapse(i["text"]["fr"]).casefold() for i in category["items"])
        assert not [t for t, n in texts.items() if n > 1], category["id"]
        for item in category["items"]:
            if item["status"] == "included":
                assert item["tier"] in tiers, item["id"]
            else:
                assert "tier" not in item, item["id"]
            if "group" in item:
                assert item["group"] in groups, item["id"]
            assert set(item.get("referrals", [])) <= referrals, item["id"]
    for kind, counter in ids.items():
        assert not [i for i, n in counter.items() if n > 1], kind
        assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in counter), kind
    for plan in policy["plans"]:
        assert plan["tier"] in tiers
    for term in policy["general_terms"]:
        assert set(term.get("referrals", [])) <= referrals


# --------------------------------------------------------------------------- the matrix


def test_sixteen_categories_in_source_order(policy: dict[str, Any]) -> None:
    assert [(c["id"], c["title"]["fr"]) for c in policy["categories"]] == CATEGORIES


@pytest.mark.parametrize("category_id", list(COUNTS))
def test_item_counts_per_status_and_tier(policy: dict[str, Any], category_id: str) -> None:
    items = categories_by_id(policy)[category_id]["items"]
    counts = Counter((i["status"], i.get("tier")) for i in items)
    self_service, standard, extended, excluded = COUNTS[category_id]
    assert counts[("included", "self-service")] == self_service
    assert counts[("included", "standard")] == standard
    assert counts[("included", "extended")] == extended
    assert counts[("excluded", None)] == excluded
    assert sum(counts.values()) == len(items)


def test_total_item_count(policy: dict[str, Any]) -> None:
    assert sum(len(c["items"]) for c in policy["categories"]) == sum(sum(v) for v in COUNTS.values()) == 129


def test_spot_checked_texts_are_exact(policy: dict[str, Any]) -> None:
    items = items_by_id(policy)
    for item_id, french in SPOT_CHECKS.items():
        assert items[item_id]["text"]["fr"] == french, item_id


def test_spot_checked_texts_occur_in_the_source(seed_lines: list[str]) -> None:
    source = collapse("\n".join(seed_lines))
    for item_id, french in SPOT_CHECKS.items():
        assert french in source, item_id


def test_french_texts_are_verbatim_from_the_source(policy: dict[str, Any], seed_lines: list[str]) -> None:
    source = collapse("\n".join(seed_lines))
    unlinked = collapse(unlink("\n".join(seed_lines)))
    checked = 0
    for label, entry in sourced_texts(policy):
        french = entry["text"]["fr"]
        note = entry.get("source_note", {}).get("en", "")
        if french in source:
            checked += 1
            continue
        if "re-attached" in note and "rebuilt" in note:
            continue  # a text rebuilt from pieces the extraction scattered; the note says how
        # Otherwise only the PDF hyperlink markup may be left out, and the entry must say so.
        assert french in unlinked, f"{label}: not verbatim in the source: {french!r}"
        assert "markup" in note, f"{label}: differs from the source without a source_note saying why"
        checked += 1
    assert checked > 130


def test_provenance_points_at_the_line_and_page(policy: dict[str, Any], seed_lines: list[str]) -> None:
    headers = [n for n, line in enumerate(seed_lines, start=1) if line.strip() == PAGE_HEADER]
    assert headers == [5, 35, 42, 49, 56, 63, 71, 78, 85, 92]

    def page_of(line: int) -> int:
        return sum(1 for h in headers if h <= line)

    entries = sourced_texts(policy)
    entries += [(f"category:{c['id']}", {**c, "text": c["title"]}) for c in policy["categories"]]
    for label, entry in entries:
        provenance = entry["provenance"]
        line = provenance["line"]
        assert provenance["page"] == page_of(line), label
        assert entry["text"]["fr"] in collapse(unlink(seed_lines[line - 1])), label
        if "section" in provenance and provenance["column"] != "intro":
            assert provenance["section"] in seed_lines[line - 1], label
    # Two services the source writes in the included cell are excluded in meaning: their
    # provenance still says where the words are, and their source note explains the move.
    moved = {
        "third-party-hosting-datacenter-infrastructure",
        "sdk-third-party-plugins-third-party-user-support",
    }
    for category in policy["categories"]:
        assert category["provenance"]["column"] == "category"
        for item in category["items"]:
            assert item["provenance"]["column"] == (
                "included" if item["status"] == "included" or item["id"] in moved else "excluded"
            ), item["id"]
            if item["id"] in moved:
                assert (
                    item["status"] == "excluded"
                    and 'keeps the "included" column' in item["source_note"]["en"]
                )


def test_merged_cells_are_split_with_a_source_note(policy: dict[str, Any]) -> None:
    items = items_by_id(policy)
    for pair in (
        ("cloud-onboarding-internet-connectivity", "cloud-onboarding-customer-software-hardware-errors"),
        ("reports-templates-microsoft-word", "reports-templates-third-party-reporting-tools"),
        ("sdk-third-party-plugins-addin-code-design-advice", "sdk-third-party-plugins-addin-creation"),
        (
            "hardware-os-platforms-requirements-guidelines",
            "hardware-os-platforms-firewall-exception-guidelines",
        ),
    ):
        for item_id in pair:
            note = items[item_id]["source_note"]
            assert note["fr"] and note["en"]
            assert "merge" in note["en"]
    assert (
        items["cloud-onboarding-internet-connectivity"]["text"]["fr"] == "Problèmes de connectivité Internet"
    )
    assert items["cloud-onboarding-customer-software-hardware-errors"]["text"]["fr"] == (
        "Erreurs issues du logiciel ou matériel client ou problèmes d'incompatibilité avec Act!"
    )
    # Interleaved words kept verbatim as one exclusion, explained.
    source_data = items["custom-tables-source-data-changes"]
    assert source_data["text"]["fr"] == (
        "Modification de données source comme Excel modification de champs, modification de colonnes, ou CSV"
    )
    assert source_data["status"] == "excluded" and "Excel or CSV" in source_data["text"]["en"]
    assert source_data["source_note"]["en"]


def test_third_party_hosting_scope_note_and_reattached_service(policy: dict[str, Any]) -> None:
    hosting = categories_by_id(policy)["third-party-hosting"]
    assert [n["kind"] for n in hosting["notes"]] == ["scope-note"]
    assert hosting["notes"][0]["text"]["fr"] == (
        "Non inclus sauf dans le cadre de l'assistance Act! conforme aux conditions détaillées dans ce document"
    )
    first = hosting["items"][0]
    assert first["text"]["fr"] == "Gestion du serveur du datacenter ou de l'infrastructure informatique"
    assert first["status"] == "excluded"
    assert "re-attached" in first["source_note"]["en"]
    assert all(i["status"] == "excluded" for i in hosting["items"])


def test_sdk_row(policy: dict[str, Any]) -> None:
    sdk = categories_by_id(policy)["sdk-third-party-plugins"]
    [rule] = sdk["notes"]
    assert rule["kind"] == "resolution-rule" and rule["cause"] == "third-party-software"
    by_id = {i["id"]: i for i in sdk["items"]}
    user_support = by_id["sdk-third-party-plugins-third-party-user-support"]
    assert user_support["status"] == "excluded"
    assert user_support["referrals"] == ["third-party-vendor"]
    assert user_support["text"]["fr"] == (
        "Assistance utilisateur d'un logiciel, d'une application ou d'un add-in tiers "
        "(s'adresser au fournisseur tiers)"
    )
    assert by_id["sdk-third-party-plugins-sdk-message-errors"]["source_note"]["en"]


def test_network_connectivity_resolution_rule(policy: dict[str, Any]) -> None:
    [rule] = categories_by_id(policy)["network-connectivity"]["notes"]
    assert rule["kind"] == "resolution-rule"
    assert rule["cause"] == "customer-environment"
    assert rule["text"]["fr"].startswith("Si le problème est causé par, ou lié à, l'environnement du client")


def test_billing_note_is_an_excluded_item(policy: dict[str, Any]) -> None:
    item = items_by_id(policy)["desktop-setup-internal-network-file-sharing"]
    text = (
        "Option d'assistance réseaux internes et partage de fichiers facturée séparément. "
        "Contactez-nous pour plus d'informations."
    )
    assert item["status"] == "excluded" and item["text"]["fr"] == text
    assert item["billing"]["kind"] == "billed-separately"
    assert item["billing"]["text"]["fr"] == text


def test_referrals(policy: dict[str, Any]) -> None:
    assert {r["id"] for r in policy["referrals"]} >= {
        "app-store-provider",
        "mobile-carrier",
        "third-party-vendor",
        "certified-consultant",
        "it-professional",
    }
    items = items_by_id(policy)
    assert items["companion-app-app-store-download"]["referrals"] == ["app-store-provider"]
    assert items["companion-app-mobile-network-access"]["referrals"] == ["mobile-carrier"]
    assert items["web-api-connect-link-web-server-security"]["referrals"] == [
        "certified-consultant",
        "it-professional",
    ]


def test_groups_hold_their_bullets(policy: dict[str, Any]) -> None:
    cats = categories_by_id(policy)
    desktop = cats["desktop-setup"]
    [group] = desktop["groups"]
    assert group["text"]["fr"] == "Conseils d'installation et de configuration, y compris :"
    assert group["tier"] == "extended"
    assert [i["id"] for i in desktop["items"] if i.get("group") == group["id"]] == [
        i["id"] for i in desktop["items"] if i.get("tier") == "extended"
    ]
    tables = cats["custom-tables"]
    [group] = tables["groups"]
    assert group["text"]["fr"] == "Conseil / directives de configuration et paramétrage des fonctionnalités :"
    assert sum(1 for i in tables["items"] if i.get("group") == group["id"]) == 4


# --------------------------------------------------------------------------- references and conditions


def test_new_install_extended_refers_to_desktop_setup(policy: dict[str, Any]) -> None:
    cats = categories_by_id(policy)
    [reference] = [i for i in cats["new-install-upgrades"]["items"] if "see" in i]
    assert reference["status"] == "included" and reference["tier"] == "extended"
    assert reference["text"]["fr"] == "Comme pour la configuration et installation"
    assert reference["see"]["category"] == "desktop-setup"
    desktop_extended = [
        i["id"]
        for i in cats["desktop-setup"]["items"]
        if i["status"] == "included" and i["tier"] == "extended"
    ]
    assert len(desktop_extended) == 5
    assert reference["see"]["items"] == desktop_extended


def test_cloud_onboarding_conditions(policy: dict[str, Any]) -> None:
    facts = {f["id"]: f for f in policy["facts"]}
    cloud = categories_by_id(policy)["cloud-onboarding"]
    assert cloud["title"]["fr"] == "Service de prise en main d'Act! Premium Cloud"
    new_only, window, network = cloud["conditions"]
    assert new_only["text"]["fr"] == "Uniquement pour les nouveaux clients."
    # Conditions on whom the onboarding services are for: not the datacenter management, not the
    # browser dialog errors (a reading for a lawyer to confirm, READING.md R6).
    for condition in (new_only, window):
        assert condition["when_unmet"] == "not-applicable" and condition["legal_review"] is True
        assert condition["items"] == [
            "cloud-onboarding-database-upload-check",
            "cloud-onboarding-browser-advice",
            "cloud-onboarding-go-live",
            "cloud-onboarding-initial-import-advice",
            "cloud-onboarding-auto-backup-advice",
            "cloud-onboarding-browser-interface-advice",
            "cloud-onboarding-outlook-integration-advice",
        ]
    assert network["text"]["fr"] == "alors que le reste de votre réseau compatible fonctionne normalement"
    assert network["when_unmet"] == "not-covered" and network["items"] == [
        "cloud-onboarding-browser-dialog-errors"
    ]
    assert network["test"] == {"fact": "rest_of_network_working", "op": "eq", "value": True}
    assert new_only["test"] == {"fact": "new_customer", "op": "eq", "value": True}
    assert window["text"]["fr"] == (
        "À réserver par l'intermédiaire de votre service commercial ou disponible sur demande dans les 30 jours "
        "suivant la date de votre première facture ou contrat d'abonnement."
    )
    assert window["test"] == {
        "any": [
            {"fact": "booked_through_sales", "op": "eq", "value": True},
            {"fact": "days_since_first_invoice", "op": "le", "value": 30},
        ]
    }
    assert facts["new_customer"]["type"] == "boolean"
    assert facts["booked_through_sales"]["type"] == "boolean"
    assert facts["days_since_first_invoice"]["type"] == "integer"


def test_every_tested_fact_is_declared_with_its_type(policy: dict[str, Any]) -> None:
    facts = {f["id"]: f["type"] for f in policy["facts"]}
    for f in policy["facts"]:
        assert f["description"]["fr"] and f["description"]["en"]

    def comparisons(expression: dict[str, Any]) -> list[dict[str, Any]]:
        if "fact" in expression:
            return [expression]
        if "not" in expression:
            return comparisons(expression["not"])
        return [c for sub in expression.get("all", expression.get("any", [])) for c in comparisons(sub)]

    conditions = list(policy["eligibility"]["conditions"])
    for category in policy["categories"]:
        conditions += category.get("conditions", [])
    seen = set()
    for condition in conditions:
        for comparison in comparisons(condition["test"]):
            kind = {bool: "boolean", int: "integer", str: "string"}[type(comparison["value"])]
            assert facts[comparison["fact"]] == kind
            seen.add(comparison["fact"])
    assert seen == set(facts)


def test_eligibility(policy: dict[str, Any]) -> None:
    tests = [c["test"] for c in policy["eligibility"]["conditions"]]
    assert {"fact": "active_subscription", "op": "eq", "value": True} in tests
    assert {"fact": "supported_platform", "op": "eq", "value": True} in tests


# --------------------------------------------------------------------------- vocabulary


def test_products(policy: dict[str, Any]) -> None:
    products = {p["id"]: p for p in policy["products"]}
    assert {pid: p["eligible"] for pid, p in products.items()} == {
        "act-premium": True,
        "act-growth-suite": True,
        "act-crm-classic-essentials": False,
        "act-crm-classic-standard": False,
        "act-crm-classic-expert": False,
    }
    assert products["act-premium"]["name"]["fr"] == "Act! Premium"
    assert products["act-growth-suite"]["name"]["fr"] == "Suite Croissance Act!"


def test_tiers(policy: dict[str, Any]) -> None:
    tiers = {t["id"]: t for t in policy["tiers"]}
    assert list(tiers) == ["self-service", "standard", "extended"]
    assert tiers["self-service"]["includes"] == []
    assert tiers["standard"]["includes"] == ["self-service"]
    assert tiers["standard"]["label"]["fr"] == "Assistance standard"
    assert tiers["extended"]["includes"] == ["standard"]
    assert tiers["extended"]["label"]["fr"] == "Assistance approfondie"
    assert tiers["extended"]["aliases"] == ["Assistance intégrale"]
    assert len(tiers["standard"]["grants"]) == 2
    assert len(tiers["extended"]["grants"]) == 2


def test_plans(policy: dict[str, Any]) -> None:
    assert {p["id"]: p["tier"] for p in policy["plans"]} == {
        "standard": "standard",
        "extended": "extended",
        "pro": "extended",
    }


def test_general_terms(policy: dict[str, Any]) -> None:
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for term in policy["general_terms"]:
        by_kind.setdefault(term["kind"], []).append(term)
    [call] = by_kind["call-limit"]
    assert call["limits"] == {"max_minutes": 60, "max_problems": 1}
    assert len(by_kind["not-covered"]) == 2
    assert all("causées ou influencées" in t["text"]["fr"] for t in by_kind["not-covered"])
    [billable] = by_kind["billable-service"]
    assert billable["billing"]["kind"] == "hourly-rate"
    assert billable["billing"]["minimum_hours"] == 1
    [referral] = by_kind["referral"]
    assert referral["referrals"] == ["certified-consultant"]
    [plan_tier] = by_kind["plan-tier"]
    assert plan_tier["text"]["fr"] == (
        "Les abonnés Act! Pro ont accès à un service technique équivalent à l'assistance approfondie."
    )


def test_every_provenance_names_page_line_column(policy: dict[str, Any]) -> None:
    def provenances(node: Any, path: str = "$") -> list[tuple[str, dict[str, Any]]]:
        found = []
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "provenance":
                    found.append((path, value))
                else:
                    found.extend(provenances(value, f"{path}.{key}"))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                found.extend(provenances(value, f"{path}[{index}]"))
        return found

    found = provenances(policy)
    assert len(found) > 150
    for path, provenance in found:
        assert provenance["page"] >= 1 and provenance["line"] >= 1, path
        assert provenance["column"] in {"intro", "category", "included", "excluded"}, path
        if provenance["column"] == "intro":
            assert provenance["page"] == 1, path
