"""The import's words: every message a reviewer reads about their workbook, in French and English.

A reviewer is a lawyer, not a JSON reader: each message says what is wrong with a cell in the
terms of the sheet (its header, the value it shows) and what to do about it. The import is
given a language (``--lang``, French by default) and writes every message in it; the rule ids
stay the same in both languages, for machines.
"""

from __future__ import annotations

from collections.abc import Iterable

LANGUAGES = ("fr", "en")

# key -> (French, English). Fields in braces; quoted values come in already quoted (see quote()).
_MESSAGES: dict[str, tuple[str, str]] = {
    # ------------------------------------------------------------------ sheets and headers
    "missing-sheet": (
        "la feuille {sheet} manque (les feuilles ne se renomment pas et ne se suppriment pas)",
        "the sheet {sheet} is missing (sheets are not to be renamed or removed)",
    ),
    "merged-cell": (
        "des cellules fusionnées là où des valeurs sont attendues : annulez la fusion",
        "merged cells where values are expected: unmerge them",
    ),
    "merged-more": (
        "et {count} autres plages de cellules fusionnées sur cette feuille : annulez la fusion",
        "and {count} more merged ranges in this sheet: unmerge them",
    ),
    "unknown-column": (
        "la colonne {header} ne fait pas partie de l'export : déplacez son contenu dans la colonne "
        "« Commentaire du relecteur »",
        "column {header} is not part of the export: move its content to the reviewer comment column",
    ),
    "duplicate-column": ("la colonne {header} apparaît deux fois", "column {header} appears twice"),
    "missing-column": (
        "la colonne {header} manque (les en-têtes ne se modifient pas)",
        "column {header} is missing (headers are not to be edited)",
    ),
    "outside-columns": (
        "une valeur hors des colonnes exportées : déplacez-la dans la colonne « Commentaire du relecteur »",
        "a value outside the exported columns: move it to the reviewer comment column",
    ),
    # ------------------------------------------------------------------ cells
    "formula": (
        "une formule ({formula}) : les formules sont refusées ; écrivez la valeur elle-même",
        "a formula ({formula}): formulas are refused; write the value itself",
    ),
    "not-text": (
        "la cellule contient {what} ({shown}), pas du texte : le tableur a converti ce qui a été tapé. "
        "Retapez le texte voulu précédé d'une apostrophe (par exemple '24/7), ou mettez d'abord la "
        "cellule au format Texte, pour qu'il reste tel que vous l'avez tapé",
        "the cell holds {what} ({shown}), not text: the spreadsheet converted what was typed. Type the "
        "text again after an apostrophe (for example '24/7), or format the cell as Text first, so that "
        "it stays as you typed it",
    ),
    "lone-surrogate": (
        "le texte contient {code}, qui ne représente aucun caractère (une moitié de paire UTF-16) : "
        "supprimez-le",
        "the text holds {code}, which stands for no character (half of a UTF-16 pair): remove it",
    ),
    "not-whole-number": (
        "{header} attend un nombre entier ; la cellule contient {what} ({shown})",
        "{header} takes a whole number; the cell holds {what} ({shown})",
    ),
    "required": ("{header} est vide : {reason}", "{header} is empty: {reason}"),
    "unknown-choice": (
        "valeur inconnue {value} pour {header} (valeurs possibles : {choices})",
        "unknown value {value} for {header} (expected one of: {choices})",
    ),
    "did-you-mean": (
        " ; vouliez-vous dire {value} ? (la correction automatique du tableur met une majuscule au "
        "début d'une cellule : retapez-la, ou désactivez Outils > Options d'AutoCorrection > "
        "Majuscule en début de phrase)",
        "; did you mean {value}? (the spreadsheet's AutoCorrect capitalises the first letter of a "
        "cell: type it again, or turn off Tools > AutoCorrect Options > Capitalize first letter of "
        "every sentence)",
    ),
    "cell-syntax": ("impossible de lire {text} : {why}", "cannot read {text}: {why}"),
    "see-syntax": (
        "attendu « id-de-catégorie: id-1, id-2 »",
        "expected 'category-id: item-id, item-id, ...'",
    ),
    "flag-syntax": ("attendu « oui » ou une cellule vide", "expected 'oui' (yes) or an empty cell"),
    "read-only-conditions": (
        "cette colonne est en lecture seule : les conditions se modifient sur la feuille Conditions",
        "this column is read only: conditions are edited on the Conditions sheet",
    ),
    "read-only-title": (
        "cette colonne est en lecture seule : les titres des catégories se modifient sur la feuille "
        "Catégories",
        "this column is read only: category titles are edited on the Catégories sheet",
    ),
    # ------------------------------------------------------------------ rows and ids
    "unknown-id": (
        "l'Id {key} n'est pas un de ceux de l'export (les Id ne se modifient pas ; pour ajouter une "
        "ligne, laissez son Id vide)",
        "id {key} is not one this workbook was exported with (ids are not to be edited; to add a row, "
        "leave its id empty)",
    ),
    "duplicate-id": (
        "l'Id {key} apparaît deux fois (déjà en ligne {row})",
        "id {key} appears twice (first on row {row})",
    ),
    "row-removed": (
        "la ligne de {what} {key} manque : ici on les modifie, on ne les supprime pas (rétablissez la ligne)",
        "the row of {what} {key} is missing: they are edited here, not removed (restore the row)",
    ),
    "row-added": (
        "une ligne sans Id : on n'ajoute pas de {what} dans le classeur (seulement des lignes de la Matrice)",
        "a row without id: {what} cannot be added in the workbook (only rows of the Matrice)",
    ),
    "category-emptied": (
        "la catégorie {category} n'aurait plus aucun service (lignes {rows}) : gardez-en au moins une, "
        "ou demandez à l'équipe de retirer la catégorie",
        "category {category} would have no service left (rows {rows}): keep at least one, or ask the "
        "team to remove the category",
    ),
    "excluded-with-tier": (
        "un service exclu n'a pas de niveau : videz la cellule {header}, ou remettez le statut à included",
        "an excluded service has no tier: empty the {header} cell, or set the status back to included",
    ),
    "included-without-tier": (
        "un service inclus a besoin d'un niveau : choisissez-le dans la liste",
        "an included service needs a tier: pick one from the dropdown",
    ),
    "billing-needs-kind": (
        "une note de facturation ou des heures minimum demandent un type de facturation : choisissez-le "
        "dans la liste {header}",
        "a billing note or minimum hours need a billing kind: pick one from the {header} dropdown",
    ),
    # ------------------------------------------------------------------ notices
    "tier-cleared": (
        "niveau {tier} retiré : un service exclu n'a pas de niveau",
        "tier {tier} cleared: an excluded service has no tier",
    ),
    "new-item": (
        "nouveau service {key} dans {category} (provenance : relecture, {where})",
        "new item {key} in {category} (provenance: review, {where})",
    ),
    "review-where": ("{workbook}, {sheet} ligne {row}, {date}", "{workbook}, {sheet} row {row}, {date}"),
    "already-added": (
        "ligne déjà importée (service {key}) : rien à ajouter",
        "row already imported (item {key}): nothing to add",
    ),
    "completed-import": (
        "un import interrompu a été terminé d'abord ({what} : {files}), puis ce classeur importé",
        "an interrupted import was completed first ({what}: {files}), then this workbook imported",
    ),
    "order-not-read": (
        "l'ordre des lignes du classeur n'est pas lu (trier et filtrer ne changent rien) : la politique "
        "garde son ordre ; une ligne ajoutée ou déplacée se place sous la ligne de la même catégorie "
        "qui la précède. Pour changer l'ordre, dites-le dans un commentaire",
        "the order of the workbook's rows is not read (sorting and filtering change nothing): the "
        "policy keeps its order; an added or moved row goes below the row of its category above it. "
        "To change the order, say so in a comment",
    ),
    # ------------------------------------------------------------------ what the merged policy's checks find
    "unknown-referral": (
        "renvoi inconnu {value} (ids possibles : {choices})",
        "unknown referral {value} (known: {choices})",
    ),
    "unknown-group": (
        "groupe inconnu {value} dans cette catégorie (groupes : {choices})",
        "unknown group {value} in this category (groups: {choices})",
    ),
    "unknown-see-category": (
        "catégorie inconnue {value} (catégories : {choices})",
        "unknown category {value} (categories: {choices})",
    ),
    "unresolved-reference": (
        "la catégorie {category} n'a pas de service {key}",
        "category {category} has no item {key}",
    ),
    "reference-deleted": (
        "vous retirez le service {key}, mais le service {referrer} (ajouté à la politique depuis "
        "l'export) y renvoie : gardez la ligne, ou voyez-le avec l'équipe",
        "you remove item {key}, but item {referrer} (added to the policy since the export) refers to "
        "it: keep the row, or see it with the team",
    ),
    "reference-chain": (
        "{key} renvoie lui-même à d'autres services : renvoyez directement à ceux-là",
        "{key} is itself a reference: refer to what it refers to",
    ),
    "repeated-text": (
        "même texte français que la ligne {row} ({key}) de la même catégorie",
        "the same French text as row {row} ({key}) in the same category",
    ),
    "missing-language": (
        "{header} est vide : cette politique demande chaque texte en {languages} ; écrivez la traduction",
        "{header} is empty: this policy needs every text in {languages}; write the translation",
    ),
    "text-invisible": (
        "le texte contient un caractère invisible, {char}, au caractère {position} : supprimez-le",
        "the text holds an invisible character, {char}, at character {position}: remove it",
    ),
    "invalid-id": (
        "{value} n'est pas un identifiant valide (lettres minuscules et chiffres, mots reliés par des tirets)",
        "{value} is not a valid id (lower-case letters and digits, words joined by hyphens)",
    ),
    "unknown-fact": (
        "fait inconnu {value} (faits déclarés : {choices})",
        "unknown fact {value} (declared: {choices})",
    ),
    "refused": ("valeur refusée : {message}", "value refused: {message}"),
    "policy-check": ("vérification de la politique : {message}", "policy check: {message}"),
    # ------------------------------------------------------------------ conflicts
    "conflict": (
        "{cell} ({key}, {column}) : à l'export {exported} ; maintenant {current} ; relecteur {reviewer}",
        "{cell} ({key}, {column}): at export {exported}; now {current}; reviewer {reviewer}",
    ),
    "row-removed-cell": ("{sheet} (ligne {key} supprimée)", "{sheet} (row {key} removed)"),
    "empty": ("(vide)", "(empty)"),
    "row-absent": ("(ligne absente)", "(row absent)"),
}

# What a cell holds instead of text, by cell kind.
_WHAT: dict[str, tuple[str, str]] = {
    "n": ("un nombre", "a number"),
    "d": ("une date", "a date"),
    "t": ("une heure", "a time"),
    "p": ("un pourcentage", "a percentage"),
    "c": ("un montant", "an amount of money"),
    "b": ("une valeur VRAI/FAUX", "a TRUE/FALSE value"),
    "e": ("une valeur d'erreur", "an error value"),
    "s": ("du texte", "text"),
}

# Why a cell every row needs is required.
_REASONS: dict[str, tuple[str, str]] = {
    "category": ("chaque ligne en a une (liste déroulante)", "every row needs one (dropdown)"),
    "status": (
        "included, excluded, ou deleted pour retirer la ligne",
        "included, excluded, or deleted to remove the row",
    ),
    "french": (
        "le français fait foi ; son texte est obligatoire",
        "French is authoritative; its text is required",
    ),
    "term-kind": ("chaque terme en a un", "every term needs one"),
    "vocabulary-kind": ("chaque groupe en a un", "every group needs one"),
    "billing-text": (
        "un type de facturation demande sa note de facturation",
        "a billing kind needs its billing note",
    ),
    "here": ("cette valeur est obligatoire ici", "this value is required here"),
}

_WHAT_ROWS: dict[str, tuple[str, str]] = {
    "category": ("la catégorie", "category"),
    "condition": ("la condition", "condition"),
    "categories": ("catégories", "categories"),
    "conditions": ("conditions", "conditions"),
    "terms": ("termes généraux", "general terms"),
    "vocabulary": ("groupes du vocabulaire", "vocabulary groups"),
}


def _pick(lang: str, pair: tuple[str, str]) -> str:
    return pair[1] if lang == "en" else pair[0]


def say(lang: str, message: str, /, **fields: object) -> str:
    """The message ``message`` in ``lang`` (French unless ``en``), its fields filled in."""
    return _pick(lang, _MESSAGES[message]).format(**fields)


def quote(lang: str, text: object) -> str:
    """A value as a message quotes it: « value » in French, 'value' in English."""
    return f"« {text} »" if lang != "en" else f"'{text}'"


def what(lang: str, kind: str) -> str:
    """What a cell of ``kind`` holds, in words (a date, a number, ...)."""
    return _pick(lang, _WHAT.get(kind, (f"une valeur de type {kind}", f"a value of type {kind}")))


def reason(lang: str, key: str) -> str:
    return _pick(lang, _REASONS[key])


def rows_word(lang: str, key: str) -> str:
    return _pick(lang, _WHAT_ROWS[key])


def listing(lang: str, values: Iterable[str]) -> str:
    """Choices as a message lists them, sorted; "none" when there are none."""
    shown = ", ".join(sorted(values))
    return shown or ("aucun" if lang != "en" else "none")


def languages(lang: str, codes: Iterable[str]) -> str:
    """Language codes in words: 'français et anglais' / 'French and English'."""
    names = {
        "fr": ("français", "French"),
        "en": ("anglais", "English"),
        "de": ("allemand", "German"),
        "es": ("espagnol", "Spanish"),
        "it": ("italien", "Italian"),
        "nl": ("néerlandais", "Dutch"),
    }
    shown = [_pick(lang, names.get(code, (code, code))) for code in codes]
    if len(shown) < 2:
        return "".join(shown)
    joiner = " et " if lang != "en" else " and "
    return ", ".join(shown[:-1]) + joiner + shown[-1]
