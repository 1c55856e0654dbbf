"""The workbook's bilingual read me: what to edit and how, and a column-by-column glossary."""

from __future__ import annotations

from typing import Any

README: tuple[tuple[str, str], ...] = (
    ("LISEZ-MOI", "READ ME"),
    (
        "Ce classeur est la matrice d'assistance, pour relecture. Modifiez les textes ici ; l'équipe le réimportera avec `support-scope import-xlsx`. Chaque modification est vérifiée à l'import, cellule par cellule.",
        "This workbook is the support matrix, for review. Edit the texts here; the team imports it back with `support-scope import-xlsx`. Every change is checked on import, cell by cell.",
    ),
    ("LES FEUILLES", "THE SHEETS"),
    (
        "Matrice : une ligne par service (catégorie, id, statut, niveau, textes, groupe, renvois, facturation, notes de source ; après le commentaire : type de demande, revue juridique).",
        "Matrice: one row per service (category, id, status, tier, texts, group, referrals, billing, source notes; after the comment: request kind, legal review).",
    ),
    (
        "Catégories : les titres des catégories. Conditions : les conditions des catégories et de l'éligibilité (avec ce que leur échec signifie et les lignes qu'elles concernent). Termes : les conditions générales (avec les types de demande qu'elles concernent et leur test). Vocabulaire : les mots des clients que la recherche (support-scope find) relie à ceux de la matrice, un terme par ligne.",
        "Catégories: the category titles. Conditions: the conditions of the categories and of eligibility (with what their failure means and the lines they concern). Termes: the general terms (with the request kinds they concern and their test). Vocabulaire: the customers' words the search (support-scope find) leads to the matrix's, one term a line.",
    ),
    ("CE QU'IL NE FAUT PAS TOUCHER", "WHAT NOT TO TOUCH"),
    (
        "Les colonnes Id (grisées, verrouillées), les en-têtes, les noms des feuilles, et les feuilles masquées Listes et Meta (elles disent à l'import de quelle version vous êtes parti). Pas de formules : une cellule qui commence par = est refusée ; écrivez du texte.",
        "The Id columns (grey, locked), the headers, the sheet names, and the hidden sheets Listes and Meta (they tell the import which version you started from). No formulas: a cell starting with = is refused; write text.",
    ),
    ("MODIFIER", "EDITING"),
    (
        "Modifiez librement les textes (français obligatoire), le statut et le niveau (listes déroulantes : included = inclus à partir du niveau indiqué ; excluded = non inclus, sans niveau). La colonne « Commentaire du relecteur » est pour vous : elle est affichée à l'import mais n'entre pas dans la politique.",
        "Edit the texts freely (French is required), the status and the tier (dropdowns: included = in scope from the tier given; excluded = not covered, no tier). The 'Reviewer comment' column is yours: it is shown on import but does not enter the policy.",
    ),
    (
        "Renvois : des ids séparés par des virgules, par ex. « certified-consultant, it-professional ». Voir : « catégorie: id-1, id-2 ». Facturation : billed-separately ou hourly-rate, avec les heures minimum et la note. Test d'une condition : « new_customer = true », « any(booked_through_sales = true, days_since_first_invoice <= 30) », avec all(...), any(...), not(...) et =, !=, <, <=, >, >= ; un texte entre guillemets droits.",
        "Referrals: ids separated by commas, e.g. 'certified-consultant, it-professional'. See: 'category: id-1, id-2'. Billing: billed-separately or hourly-rate, with the minimum hours and the note. A condition's test: 'new_customer = true', 'any(booked_through_sales = true, days_since_first_invoice <= 30)', with all(...), any(...), not(...) and =, !=, <, <=, >, >=; a text in straight double quotes.",
    ),
    ("AJOUTER, SUPPRIMER, DÉPLACER UNE LIGNE", "ADDING, REMOVING, MOVING A ROW"),
    (
        "Ajouter : insérez une ligne dans la Matrice, choisissez la catégorie, le statut, le niveau et écrivez le texte ; laissez l'Id vide (il est créé à l'import à partir de la catégorie et du texte ; la provenance est celle de la catégorie).",
        "Add: insert a row in the Matrice, pick the category, status and tier and write the text; leave the Id empty (it is made on import from the category and the text; the provenance is the category's).",
    ),
    (
        "Supprimer : choisissez le statut « deleted » (ou ôtez la protection de la feuille, sans mot de passe, et supprimez la ligne). Déplacer : changez la catégorie de la ligne. L'ordre des lignes dans une catégorie est conservé.",
        "Remove: pick the status 'deleted' (or unprotect the sheet, no password, and delete the row). Move: change the row's category. The order of the rows within a category is kept.",
    ),
    (
        "Les catégories, les conditions et les termes se modifient mais ne s'ajoutent pas ici ; un terme peut être supprimé en supprimant sa ligne.",
        "Categories, conditions and terms are edited but not added here; a term can be removed by deleting its row.",
    ),
    ("SI LA POLITIQUE A CHANGÉ ENTRE-TEMPS", "IF THE POLICY CHANGED MEANWHILE"),
    (
        "L'import applique vos modifications sur la politique actuelle. Si une même cellule a été modifiée par vous et dans la politique depuis l'export, l'import s'arrête et liste chaque conflit (cellule, valeur à l'export, valeur actuelle, votre valeur).",
        "The import applies your edits onto the current policy. If the same cell was changed by you and in the policy since the export, the import stops and lists each conflict (cell, value at export, value now, your value).",
    ),
)


def readme_glossary(document: dict[str, Any]) -> list[tuple[str, str]]:
    """The read me's column by column guide to the matrix, with this policy's tiers and referrals."""

    def label(entry: dict[str, Any], key: str, language: str) -> str:
        names = entry.get(key, {})
        return str(names.get(language) or names.get("fr") or entry["id"])

    def tiers(language: str) -> str:
        shown = []
        for tier in document["tiers"]:
            text = f"{tier['id']} = {label(tier, 'label', language)}"
            if tier.get("includes"):
                joined = ", ".join(tier["includes"])
                text += f" (comprend {joined})" if language == "fr" else f" (includes {joined})"
            shown.append(text)
        return " ; ".join(shown) if language == "fr" else "; ".join(shown)

    def referrals(language: str) -> str:
        separator = " ; " if language == "fr" else "; "
        return separator.join(
            f"{entry['id']} = {label(entry, 'name', language)}" for entry in document["referrals"]
        )

    return [
        ("LES COLONNES DE LA MATRICE", "THE COLUMNS OF THE MATRICE"),
        (
            "Catégorie : la rubrique du document source (liste déroulante). La changer déplace la ligne dans une autre catégorie.",
            "Category: the section of the source document (dropdown). Changing it moves the row to another category.",
        ),
        (
            "Id : l'identifiant permanent de la ligne, sur lequel s'appuient les autres services. Grisé et verrouillé ; vide pour une ligne ajoutée.",
            "Id: the row's permanent identifier, which other services rely on. Grey and locked; empty for an added row.",
        ),
        (
            "Statut : included = le service est pris en charge ; excluded = il est expressément non couvert ; deleted = retirer la ligne de la politique.",
            "Status: included = the service is covered; excluded = it is expressly not covered; deleted = remove the row from the policy.",
        ),
        (
            f"Niveau : pour un service inclus, le niveau d'assistance à partir duquel il est couvert ; vide pour un service exclu. Niveaux : {tiers('fr')}.",
            f"Tier: for a covered service, the support tier from which it is covered; empty for an excluded one. Tiers: {tiers('en')}.",
        ),
        (
            "Texte (fr), Text (en) : la description du service. Le français fait foi et est obligatoire ; l'anglais est une traduction.",
            "Texte (fr), Text (en): the description of the service. French is authoritative and required; English is a translation.",
        ),
        (
            "Groupe : l'id de la phrase d'introduction de la source sous laquelle le service est énuméré (par ex. « Conseils d'installation et de configuration, y compris : ») ; facultatif.",
            "Group: the id of the source's lead-in sentence under which the service is listed (e.g. 'Installation and setup advice, including:'); optional.",
        ),
        (
            "Conditions de la catégorie (lecture seule) : les conditions de la catégorie qui s'appliquent à la ligne (toutes les lignes, ou celles que la condition nomme) ; elles se modifient sur la feuille Conditions (colonnes « Si non remplie » et « Lignes concernées »).",
            "Category conditions (read only): the category's conditions that apply to the row (every row, or those the condition names); they are edited on the Conditions sheet (columns 'When unmet' and 'Items').",
        ),
        (
            f"Renvois : vers qui orienter le client pour un service non couvert. Ids possibles : {referrals('fr')}.",
            f"Referrals: whom to refer the customer to for a service that is not covered. Possible ids: {referrals('en')}.",
        ),
        (
            "Voir : le service est le même que les services cités d'une autre catégorie (par ex. « Comme pour la configuration et installation »), au lieu d'en recopier le texte.",
            "See: the service is the same as the listed services of another category (e.g. 'As for setup and installation'), instead of a copy of their text.",
        ),
        (
            "Facturation, Heures min., Note de facturation : pour un service facturé à part (billed-separately) ou au taux horaire (hourly-rate), le nombre minimum d'heures facturées et la mention à afficher.",
            "Billing, Min. hours, Billing note: for a service billed separately (billed-separately) or at the hourly rate (hourly-rate), the minimum hours billed and the wording to show.",
        ),
        (
            "Note de source : comment la ligne a été lue dans le document source, quand la lecture demandait une interprétation.",
            "Source note: how the row was read from the source document, where reading it required an interpretation.",
        ),
        (
            "Commentaire du relecteur : vos remarques ; elles sont listées à l'import et n'entrent pas dans la politique.",
            "Reviewer comment: your remarks; they are listed on import and do not enter the policy.",
        ),
        (
            "Type de demande : le type de demande que la ligne est, quand la source en fait un (liste déroulante : "
            "dialog-error, other-error, usage-help...) ; une question de ce type dans la catégorie reçoit la réponse "
            "de cette ligne, et les termes de non-prise en charge de ce type la qualifient.",
            "Request kind: the kind of request the line is, where the source makes it one (dropdown: dialog-error, "
            "other-error, usage-help...); a question of that kind in the category gets this line's answer, and the "
            "not-covered terms of that kind qualify it.",
        ),
        (
            "Revue juridique : « oui » quand la lecture notée dans la note de source est à confirmer par un juriste ; "
            "les décisions qui reposent sur la ligne la montrent.",
            "Legal review: 'oui' (yes) when the reading recorded in the source note is for a lawyer to confirm; "
            "decisions resting on the row show it.",
        ),
    ]
