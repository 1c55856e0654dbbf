"""The workbook's bilingual read me: what to edit and how, and a column-by-column glossary."""

from __future__ import annotations

from typing import Any


def readme(document: dict[str, Any]) -> list[tuple[str, str]]:
    """The read me's guide (French, English), for this policy: its languages, its review log."""
    from support_scope.workbook.words import languages

    codes = list(document["languages"])
    if codes == ["fr", "en"] or codes == ["en", "fr"]:
        required = (
            "le français et l'anglais sont obligatoires (le français fait foi ; l'anglais en est la traduction)",
            "French and English are both required (French is authoritative; English is its translation)",
        )
    elif len(codes) > 1:
        required = (
            f"chaque texte est obligatoire en {languages('fr', codes)} (le français fait foi)",
            f"every text is required in {languages('en', codes)} (French is authoritative)",
        )
    else:
        required = ("le français est obligatoire", "French is required")
    log = f"{document['id']}.reviews.md"
    return [
        ("LISEZ-MOI", "READ ME"),
        (
            "Ce classeur est la matrice d'assistance, pour relecture. Modifiez les textes ici ; l'équipe le réimportera avec `support-scope import-xlsx`. Chaque modification est vérifiée à l'import, cellule par cellule : ce que vous voyez dans les cellules est ce qui entre dans la politique, sinon l'import dit pourquoi, cellule par cellule.",
            "This workbook is the support matrix, for review. Edit the texts here; the team imports it back with `support-scope import-xlsx`. Every change is checked on import, cell by cell: what you see in the cells is what enters the policy, or the import says why not, cell by cell.",
        ),
        ("LES FEUILLES", "THE SHEETS"),
        (
            "Matrice : une ligne par service (catégorie et son titre, id, statut, niveau, textes, groupe, renvois, facturation, notes de source, commentaire ; après le commentaire : type de demande, revue juridique).",
            "Matrice: one row per service (category and its title, id, status, tier, texts, group, referrals, billing, source notes, comment; after the comment: request kind, legal review).",
        ),
        (
            "Catégories : les titres des catégories. Conditions : les conditions des catégories et de l'éligibilité (avec ce que leur échec signifie et les lignes qu'elles concernent). Termes : les conditions générales (avec les types de demande qu'elles concernent et leur test). Vocabulaire : les mots des clients que la recherche (support-scope find) relie à ceux de la matrice, un terme par ligne.",
            "Catégories: the category titles. Conditions: the conditions of the categories and of eligibility (with what their failure means and the lines they concern). Termes: the general terms (with the request kinds they concern and their test). Vocabulaire: the customers' words the search (support-scope find) leads to the matrix's, one term a line.",
        ),
        ("CE QU'IL NE FAUT PAS TOUCHER", "WHAT NOT TO TOUCH"),
        (
            "Les colonnes grisées (Id, titre de la catégorie, conditions : elles refusent la saisie), les en-têtes, les noms des feuilles, et les feuilles masquées Listes et Meta (elles disent à l'import de quelle version vous êtes parti). Pas de formules (une formule est refusée ; dans une colonne de texte, ce que vous tapez reste du texte, même s'il commence par =). Pas de cellules fusionnées.",
            "The grey columns (Id, category title, conditions: they refuse typing), the headers, the sheet names, and the hidden sheets Listes and Meta (they tell the import which version you started from). No formulas (a formula is refused; in a text column, what you type stays text, even when it starts with =). No merged cells.",
        ),
        ("MODIFIER", "EDITING"),
        (
            f"Modifiez librement les textes : {required[0]}. Le statut et le niveau se choisissent dans les listes déroulantes : included = inclus à partir du niveau indiqué ; excluded = non inclus, sans niveau (passer une ligne à excluded lui retire son niveau).",
            f"Edit the texts freely: {required[1]}. Pick the status and the tier from the dropdowns: included = in scope from the tier given; excluded = not covered, no tier (setting a row to excluded clears its tier).",
        ),
        (
            "Les colonnes de texte sont au format Texte : ce que vous y tapez (24/7, 2025-01-01, 30 %, +33…, 1.0) reste tel que vous le voyez. Si une cellule a été mise au format Nombre ou Date, le tableur convertit ce qui est tapé en date ou en nombre : l'import le refuse en nommant la cellule ; retapez le texte précédé d'une apostrophe ('24/7).",
            "The text columns are formatted as Text: what you type there (24/7, 2025-01-01, 30 %, +33…, 1.0) stays as you see it. If a cell was formatted as Number or Date, the spreadsheet turns what is typed into a date or a number: the import refuses it, naming the cell; type the text again after an apostrophe ('24/7).",
        ),
        (
            "Renvois : des ids séparés par des virgules, par ex. « certified-consultant, it-professional ». Voir : « catégorie: id-1, id-2 ». Facturation : billed-separately ou hourly-rate, avec les heures minimum et la note. Test d'une condition : « new_customer = true », « any(booked_through_sales = true, days_since_first_invoice <= 30) », avec all(...), any(...), not(...) et =, !=, <, <=, >, >= ; un texte entre guillemets droits. Les ids sont en minuscules : si la correction automatique met une majuscule, retapez-les.",
            "Referrals: ids separated by commas, e.g. 'certified-consultant, it-professional'. See: 'category: id-1, id-2'. Billing: billed-separately or hourly-rate, with the minimum hours and the note. A condition's test: 'new_customer = true', 'any(booked_through_sales = true, days_since_first_invoice <= 30)', with all(...), any(...), not(...) and =, !=, <, <=, >, >=; a text in straight double quotes. Ids are in lower case: if AutoCorrect capitalises one, type it again.",
        ),
        ("COMMENTER", "COMMENTING"),
        (
            f"Écrivez vos remarques dans la colonne « Commentaire du relecteur », ou en note sur n'importe quelle cellule (clic droit > Insérer un commentaire). L'import les liste avec leur cellule, leur auteur et la ligne concernée, et les garde dans le journal de relecture de la politique ({log}, à côté de la politique) ; elles n'entrent pas dans la politique elle-même.",
            f"Write your remarks in the 'Reviewer comment' column, or as a note on any cell (right click > Insert Comment). The import lists them with their cell, author and row, and keeps them in the policy's review log ({log}, beside the policy); they do not enter the policy itself.",
        ),
        ("AJOUTER, SUPPRIMER, DÉPLACER UNE LIGNE", "ADDING, REMOVING, MOVING A ROW"),
        (
            "Ajouter : insérez une ligne dans la Matrice, choisissez la catégorie, le statut, le niveau et écrivez les textes ; laissez l'Id vide (il est créé à l'import à partir de la catégorie et du texte ; la provenance de la ligne est votre relecture : classeur, feuille, ligne, date). Importer deux fois le même classeur n'ajoute pas la ligne deux fois.",
            "Add: insert a row in the Matrice, pick the category, status and tier and write the texts; leave the Id empty (it is made on import from the category and the text; the row's provenance is your review: workbook, sheet, row, date). Importing the same workbook twice does not add the row twice.",
        ),
        (
            "Supprimer : choisissez le statut « deleted », ou supprimez la ligne. Déplacer : changez la catégorie de la ligne ; elle va à la fin de sa nouvelle catégorie.",
            "Remove: pick the status 'deleted', or delete the row. Move: change the row's category; it goes to the end of its new category.",
        ),
        (
            "L'ordre des lignes n'est pas lu : triez et filtrez librement, la politique garde son ordre. Une ligne ajoutée se place sous la ligne de la même catégorie au-dessus d'elle. Pour changer l'ordre dans une catégorie, dites-le dans un commentaire.",
            "The order of the rows is not read: sort and filter freely, the policy keeps its order. An added row goes below the row of the same category above it. To change the order within a category, say so in a comment.",
        ),
        (
            "Les catégories, les conditions, les termes et les groupes du vocabulaire se modifient mais ne s'ajoutent pas ici ; un terme ou un groupe du vocabulaire peut être supprimé en supprimant sa ligne.",
            "Categories, conditions, terms and vocabulary groups are edited but not added here; a term or a vocabulary group can be removed by deleting its row.",
        ),
        ("IMPRIMER ET RENVOYER", "PRINTING AND SENDING BACK"),
        (
            "Chaque feuille s'imprime en paysage, à la largeur d'une page, avec la ligne d'en-tête répétée et les numéros de page. La Matrice imprime les colonnes de lecture (du titre de la catégorie au texte anglais) ; pour tout imprimer, effacez la zone d'impression (LibreOffice : Format > Zones d'impression > Effacer ; Excel : Mise en page > Zone d'impression > Annuler).",
            "Each sheet prints landscape, fitted to the width of a page, with the header row repeated and page numbers. The Matrice prints the reading columns (from the category title to the English text); to print every column, clear the print area (LibreOffice: Format > Print Ranges > Clear; Excel: Page Layout > Print Area > Clear).",
        ),
        (
            "Enregistrez le classeur en .xlsx (Excel, LibreOffice, Gnumeric) ou en .ods (LibreOffice), sous n'importe quel nom, et renvoyez-le.",
            "Save the workbook as .xlsx (Excel, LibreOffice, Gnumeric) or .ods (LibreOffice), under any name, and send it back.",
        ),
        ("SI LA POLITIQUE A CHANGÉ ENTRE-TEMPS", "IF THE POLICY CHANGED MEANWHILE"),
        (
            "L'import applique vos modifications sur la politique actuelle. Si une même cellule a été modifiée par vous et dans la politique depuis l'export, l'import s'arrête et liste chaque conflit (cellule, valeur à l'export, valeur actuelle, votre valeur).",
            "The import applies your edits onto the current policy. If the same cell was changed by you and in the policy since the export, the import stops and lists each conflict (cell, value at export, value now, your value).",
        ),
    ]


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
            "Titre de la catégorie (lecture seule) : le titre de la catégorie à l'export, pour la lecture et l'impression ; il se modifie sur la feuille Catégories.",
            "Category title (read only): the category's title at export, for reading and printing; it is edited on the Catégories sheet.",
        ),
        (
            "Id : l'identifiant permanent de la ligne, sur lequel s'appuient les autres services. Grisé, il refuse la saisie ; vide pour une ligne ajoutée.",
            "Id: the row's permanent identifier, which other services rely on. Grey, it refuses typing; empty for an added row.",
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
            "Texte (fr), Text (en) : la description du service. Le français fait foi ; l'anglais en est la traduction ; les deux sont obligatoires.",
            "Texte (fr), Text (en): the description of the service. French is authoritative; English is its translation; both are required.",
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
            "Commentaire du relecteur : vos remarques ; elles sont listées à l'import et gardées dans le journal de relecture, pas dans la politique.",
            "Reviewer comment: your remarks; they are listed on import and kept in the review log, not in the policy.",
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
