"""Synthetic support-scope policies for the benchmarks: any number of categories, schema- and meaning-valid.

The top-level parts (products, eligibility, tiers, plans, facts, referrals, request kinds,
general terms, precedence) are the shipped policy's own, so the synthetic documents have its shape; the categories are made
up, about 17 items each, mixing included items of every tier with excluded ones, groups, notes,
referrals, billing notes, conditions, request kinds and ``see`` references, with French texts (accents,
typographic apostrophes) and their English translations. The same ``categories`` and ``seed``
always give the same document.

    python benchmarks/generate.py 100 1000 10000    # writes benchmarks/.data/synthetic-<n>.json
"""

from __future__ import annotations

import copy
import hashlib
import random
import sys
from pathlib import Path
from typing import Any

from support_scope.fileio.atomic import write_atomic
from support_scope.fileio.jsonfile import dump_json, read_json
from support_scope.resources import shipped_policy

DATA_DIR = Path(__file__).resolve().parent / ".data"
# The vocabulary too: the synthetic releases carry a search index, as the shipped one does.
TOP_LEVEL_PARTS = (
    "products",
    "eligibility",
    "tiers",
    "plans",
    "facts",
    "referrals",
    "request_kinds",
    "general_terms",
    "precedence",
    "vocabulary",
)
# The request kind an item of each tier may be, now and then (a third of the time).
_KINDS = {"standard": "dialog-error", "extended": "other-error", "excluded": "training-consulting"}

# (French, English) fragments; an item's text is an action, a subject and a context.
_ACTIONS = (
    ("Conseils sur", "Advice on"),
    ("Résolution d’erreurs liées à", "Resolving errors related to"),
    ("Directives de configuration pour", "Setup guidelines for"),
    ("Assistance à la mise à niveau de", "Help upgrading"),
    ("Vérification de", "Checking"),
    ("Dépannage à distance de", "Remote troubleshooting of"),
    ("Procédure de réinstallation de", "Reinstallation procedure for"),
    ("Création et maintenance de", "Creating and maintaining"),
    ("Personnalisation avancée de", "Advanced customisation of"),
    ("Migration des données de", "Migrating the data of"),
    ("Paramétrage de la sécurité de", "Configuring the security of"),
    ("Optimisation des performances de", "Tuning the performance of"),
)
_SUBJECTS = (
    ("la base de données", "the database"),
    ("l’agenda partagé", "the shared calendar"),
    ("la synchronisation avec Outlook", "Outlook synchronisation"),
    ("l’intégration à Gmail", "the Gmail integration"),
    ("la fiche contact", "the contact record"),
    ("l’historique des opportunités", "the opportunity history"),
    ("la sauvegarde automatique", "the automatic backup"),
    ("le serveur SQL hébergé", "the hosted SQL server"),
    ("les champs personnalisés", "custom fields"),
    ("les modèles d’e-mails marketing", "marketing e-mail templates"),
    ("le tableau de bord des ventes", "the sales dashboard"),
    ("les rapports trimestriels", "quarterly reports"),
    ("l’accès à distance sécurisé", "secure remote access"),
    ("le pare-feu Windows", "the Windows firewall"),
    ("les droits d’accès des utilisateurs", "user access rights"),
    ("l’application mobile compagnon", "the companion mobile app"),
    ("le contrôle des reçus de paiement", "checking payment receipts"),
    ("la façon d’afficher les rôles", "how roles are displayed"),
)
_CONTEXTS = (
    ("dans un environnement multi-postes", "in a multi-seat environment"),
    ("après une réinstallation complète", "after a full reinstallation"),
    ("pendant la prise en main", "during onboarding"),
    ("sur un poste équipé de Windows", "on a Windows workstation"),
    ("au sein de l’interface Act!", "within the Act! interface"),
    ("lors d’un changement de version", "when changing version"),
    ("pour une équipe commerciale", "for a sales team"),
    ("à partir d’un fichier CSV", "from a CSV file"),
    ("en complément du contrat d’hébergement", "alongside the hosting contract"),
    ("selon la configuration système recommandée", "following the recommended system requirements"),
    ("hors des heures ouvrées", "outside business hours"),
    ("à la demande du responsable informatique", "at the IT manager’s request"),
)
_TOPICS = (
    ("Gestion des contacts", "Contact management", "contacts"),
    ("Calendrier et tâches", "Calendar and tasks", "calendar"),
    ("Opportunités et prévisions", "Opportunities and forecasts", "opportunities"),
    ("Campagnes d’e-mails", "E-mail campaigns", "campaigns"),
    ("Synchronisation et accès à distance", "Synchronisation and remote access", "sync"),
    ("Rapports et tableaux de bord", "Reports and dashboards", "reports"),
    ("Sécurité et droits d’accès", "Security and access rights", "security"),
    ("Importation et exportation", "Import and export", "import-export"),
    ("Hébergement et serveur", "Hosting and server", "hosting"),
    ("Intégrations tierces", "Third-party integrations", "integrations"),
)
_SECTIONS = {
    "self-service": "Base de connaissances",
    "standard": "Assistance standard",
    "extended": "Assistance approfondie",
}
_SOURCE_NOTE = (
    "L’extraction fusionne deux cellules du tableau en un même paragraphe ; le texte est scindé à la majuscule "
    "qui marque le début de la seconde cellule, chaque morceau restant verbatim (lecture à vérifier par l’équipe "
    "juridique, catégorie n° {n}).",
    "The extraction merges two table cells into one paragraph; the text is split at the capital letter that marks "
    "the start of the second cell, each piece staying verbatim (reading to be checked by the legal team, "
    "category no. {n}).",
)


def synthetic_policy(categories: int, seed: int = 0) -> dict[str, Any]:
    """A schema- and meaning-valid policy with ``categories`` categories of about 17 items each."""
    if categories < 1:
        raise ValueError("a policy needs at least one category")
    rng = random.Random(seed)
    real = read_json(shipped_policy())
    document: dict[str, Any] = {
        "id": f"synthetic-{categories}",
        "version": "1.0.0",
        "title": {
            "fr": f"Champs d’application synthétiques ({categories} catégories)",
            "en": f"Synthetic support scope ({categories} categories)",
        },
        "languages": ["fr", "en"],
    }
    for part in TOP_LEVEL_PARTS:
        if part in real:
            document[part] = copy.deepcopy(real[part])
    referrals = [referral["id"] for referral in document["referrals"]]
    document["categories"] = []
    for index in range(categories):
        document["categories"].append(_category(rng, index, document["categories"], referrals))
    return document


def _category(
    rng: random.Random, index: int, earlier: list[dict[str, Any]], referrals: list[str]
) -> dict[str, Any]:
    topic_fr, topic_en, topic_slug = _TOPICS[index % len(_TOPICS)]
    category_id = f"{topic_slug}-{index + 1}"
    page, line = 1 + index // 2, 30 + index
    category: dict[str, Any] = {
        "id": category_id,
        "title": {
            "fr": f"{topic_fr} — rubrique n° {index + 1}",
            "en": f"{topic_en} — section no. {index + 1}",
        },
    }
    if rng.random() < 0.1:
        category["conditions"] = [_condition(rng, category_id, page, line)]
    groups: dict[str, str] = {}
    if rng.random() < 0.5:
        tier = rng.choice(("standard", "extended"))
        group_id = f"{category_id}-advice"
        groups[tier] = group_id
        category["groups"] = [
            {
                "id": group_id,
                "tier": tier,
                "text": {
                    "fr": "Conseils d’installation et de configuration, y compris :",
                    "en": "Installation and setup advice, including:",
                },
                "provenance": _provenance(page, line, "included", tier),
            }
        ]
    if rng.random() < 0.25:
        category["notes"] = [
            {
                "id": f"{category_id}-resolved",
                "kind": "resolution-rule",
                "cause": "customer-environment",
                "tier": "standard",
                "text": {
                    "fr": "Si le problème est causé par l’environnement du client, le conseiller Act! le marquera comme résolu",
                    "en": "If the problem is caused by the customer’s environment, the Act! advisor will mark it as resolved",
                },
                "provenance": _provenance(page, line, "included", "standard"),
            }
        ]
    texts: set[str] = set()
    items: list[dict[str, Any]] = []
    plan = (
        ["self-service"] * rng.randint(1, 2)
        + ["standard"] * rng.randint(4, 7)
        + ["extended"] * rng.randint(3, 6)
    )
    plan += ["excluded"] * (rng.randint(15, 19) - len(plan))
    for position, kind in enumerate(plan):
        fr, en = _unique_text(rng, texts)
        item: dict[str, Any] = {"id": f"{category_id}-{position + 1}"}
        request_kind = _KINDS.get(kind) if rng.random() < 0.33 else None
        if kind == "excluded":
            item["status"] = "excluded"
            item["text"] = {"fr": fr, "en": en}
            if request_kind is not None:
                item["kind"] = request_kind
            roll = rng.random()
            if roll < 0.2:
                item["referrals"] = sorted(rng.sample(referrals, rng.randint(1, 2)))
            elif roll < 0.3:
                item["billing"] = {
                    "kind": "billed-separately",
                    "text": {
                        "fr": "Option facturée séparément. Contactez-nous pour plus d’informations.",
                        "en": "Option billed separately. Contact us for more information.",
                    },
                }
            item["provenance"] = _provenance(page, line, "excluded", None)
        else:
            item["status"] = "included"
            item["tier"] = kind
            if request_kind is not None:
                item["kind"] = request_kind
            item["text"] = {"fr": fr, "en": en}
            if kind in groups and rng.random() < 0.7:
                item["group"] = groups[kind]
            # The real policy names the tier heading on every included item; the synthetic one
            # leaves it to the groups, to keep the 10,000-category file near the 72 MB.
            item["provenance"] = _provenance(page, line, "included", None)
        if rng.random() < 0.04:
            item["source_note"] = {
                "fr": _SOURCE_NOTE[0].format(n=index + 1),
                "en": _SOURCE_NOTE[1].format(n=index + 1),
            }
        items.append(item)
    reference = _see(rng, category_id, index, earlier)
    if reference is not None:
        reference["provenance"] = _provenance(page, line, "included", "extended")
        items.append(reference)
    category["items"] = items
    category["provenance"] = _provenance(page, line, "category", None)
    return category


def _unique_text(rng: random.Random, taken: set[str]) -> tuple[str, str]:
    """An item text not yet used in this category (compared as validate compares them)."""
    while True:
        action, subject = rng.choice(_ACTIONS), rng.choice(_SUBJECTS)
        fr, en = f"{action[0]} {subject[0]}", f"{action[1]} {subject[1]}"
        if rng.random() < 0.2:
            context = rng.choice(_CONTEXTS)
            fr, en = f"{fr} {context[0]}", f"{en} {context[1]}"
        if fr.casefold() not in taken:
            taken.add(fr.casefold())
            return fr, en


def _condition(rng: random.Random, category_id: str, page: int, line: int) -> dict[str, Any]:
    days = rng.choice((15, 30, 60, 90))
    return {
        "id": f"{category_id}-new-customers",
        "text": {
            "fr": f"Uniquement pour les nouveaux clients, à réserver par le service commercial ou dans les {days} jours suivant la première facture.",
            "en": f"New customers only, booked through sales or within {days} days of the first invoice.",
        },
        "test": {
            "all": [
                {"fact": "new_customer", "op": "eq", "value": True},
                {
                    "any": [
                        {"fact": "booked_through_sales", "op": "eq", "value": True},
                        {"fact": "days_since_first_invoice", "op": "le", "value": days},
                    ]
                },
            ]
        },
        "provenance": _provenance(page, line, "category", None),
    }


def _see(
    rng: random.Random, category_id: str, index: int, earlier: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """Now and then an item that stands for some extended items of an earlier category."""
    if not earlier or rng.random() >= 0.05:
        return None
    target = earlier[rng.randrange(len(earlier))]
    candidates = [i["id"] for i in target["items"] if i.get("tier") == "extended" and "see" not in i]
    if not candidates:
        return None
    return {
        "id": f"{category_id}-as-{target['id']}",
        "status": "included",
        "tier": "extended",
        "text": {
            "fr": f"Comme pour la rubrique « {target['title']['fr']} »",
            "en": f"As for the section “{target['title']['en']}”",
        },
        "see": {"category": target["id"], "items": candidates[: rng.randint(1, len(candidates))]},
    }


def _provenance(page: int, line: int, column: str, tier: str | None) -> dict[str, Any]:
    provenance: dict[str, Any] = {"page": page, "line": line, "column": column}
    if tier is not None:
        provenance["section"] = _SECTIONS[tier]
    return provenance


def policy_path(categories: int) -> Path:
    """``benchmarks/.data/synthetic-<n>.json``, written once and rewritten only when its inputs change.

    The inputs are this module's source and the shipped policy (whose top-level parts the
    document copies); their digest is kept beside the file.
    """
    path = DATA_DIR / f"synthetic-{categories}.json"
    stamp = path.with_suffix(".sha256")
    digest = hashlib.sha256()
    digest.update(Path(__file__).read_bytes())
    digest.update(shipped_policy().read_bytes())
    key = digest.hexdigest()
    if path.is_file() and stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == key:
        return path
    DATA_DIR.mkdir(parents=True, exist_ok=True)  # a fresh clone has no benchmarks/.data
    write_atomic(path, dump_json(synthetic_policy(categories)).encode("utf-8"))
    write_atomic(stamp, (key + "\n").encode("utf-8"))
    return path


def main(argv: list[str]) -> int:
    sizes = [int(arg.replace(",", "").replace("_", "")) for arg in argv] or [100, 1000, 10000]
    for size in sizes:
        path = policy_path(size)
        print(f"{path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
