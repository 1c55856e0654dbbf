"""How texts are cut into searchable words: THE analysis of the matrix's lines and of the tickets.

One analysis for both sides, so that a ticket's words meet the matrix's:

- **words**: letters and digits, apostrophes and hyphens between them cut ("l'interface" is
  "l" + "interface"; "pare-feu" is "pare" + "feu", and also the whole "parefeu");
- **folding**: case, accents and ligatures ignored ("Sécurité", "securite" and "SÉCURITÉ" are one);
- **stems**: French and English Snowball stems, in one shared space ("sauvegardes" and
  "sauvegarder" are "sauvegard"; French tickets use English words and the reverse, so a
  French word may meet an English one); a line's French text is stemmed as French and its
  English text as English, a ticket's words both ways;
- **stop words**: French and English function words, ticket boilerplate (bonjour, merci,
  client, besoin, help...) and the product's name (act, premium) carry no meaning for the
  matrix and are not searched; negations (sans, pas, aucun, no, not, without...) are kept
  as one mark, for the vocabulary's phrases ("sans message" is not "message");
- **typos**: :func:`distance` (optimal string alignment: an edit is a letter added, dropped,
  changed, or two letters swapped) and :func:`max_edits` (none under 5 letters, 1 up to 7,
  2 from 8).

The stems come from the pure-Python classes of ``snowballstemmer`` (BSD), never from a C
extension it may pick up (PyStemmer): the index compiled into a release holds stems, and the
same words must give the same stems on every machine, or the release's digest would not be
reproducible. Standard library otherwise; ``snowballstemmer`` is imported on the first stem,
two modules of it only (see :func:`_stemmers`).
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

# The analysis's identity: a release's index records the one it was built with, and an index
# built with another is rebuilt in-process rather than read (its stems could differ).
ANALYZER = "fr-en-snowball-3/1"

NOT = "~not"  # the key of a negation in a phrase (never a word: "~" is not a letter)

# French and English function words: never searched, never part of a phrase.
_STOP_FR = """
a à afin ai aie aient ait alors as au aupres auprès aussi autre autres aux avaient avais avait
avant avec avez avoir avons ayant c ça car ce ceci cela celle celles celui cependant certains ces
cet cette ceux chaque chez ci comme comment d dans de des deja déjà depuis dont donc du elle elles
en encore entre es est et etaient étaient etait était ete été etre être eu eux fait faire fais
faut fois ici il ils j je jusqu l la le les leur leurs lui m ma mais me meme même mes moi mon
nos notre nous on ont ou où par parce peu peut peuvent plus pour pourquoi pourriez pouvez puis qu
quand que quel quelle quelles quels qui quoi s sa se ses si sien son sont sous suis sur t ta te tes
toi ton tous tout toute toutes tres très tu un une vos votre vous vu y
"""
_STOP_EN = """
a about after all also am an and are as at be been before being but by can could did do does each
for from get gets got had has have he her him his how i if in into is it its just me more my of on
one or our out over please same she should so some such than that the their them then there these
they this those to too up us very was we were what when where which while who why will with would
you your ca wo s t d ll re ve m
"""
# Ticket boilerplate: greetings, the customer, wanting and needing; and the product's name,
# which nearly every line holds. Not searched, but kept in phrases ("infrastructure du client").
_NOISE = """
bonjour bonsoir bjr salut merci svp stp cordialement cdt urgent client cliente clients customer
customers user users utilisateur utilisatrice veut voudrait voudraient souhaite souhaiterait
souhaitent besoin need needs needed want wants wanted like help aide aider hi hello hey thanks
thank regards asap act premium
"""
# Negations: one mark in phrases ("aucun message" = "sans message" = "no message").
_NEGATIONS = """
non ne n sans pas aucun aucune aucunement jamais rien ni no not without never nothing none nor
cannot
"""


def fold(text: str) -> str:
    """Lower case, no accents, ligatures spelt out: how words are compared."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return (
        "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        .replace("œ", "oe")
        .replace("æ", "ae")
    )


STOP_WORDS = frozenset(fold(w) for w in (_STOP_FR + _STOP_EN).split())
NOISE_WORDS = frozenset(fold(w) for w in _NOISE.split()) - STOP_WORDS
NEGATIONS = frozenset(fold(w) for w in _NEGATIONS.split())
# Words that Snowball would merge with a word of another meaning: each keeps a key of its own.
# "formation" (training) has the French stem of "formater" and the English stem of "formatting".
PROTECTED = {
    "formation": "formation",
    "formations": "formation",
}

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'"})
_NT = re.compile(r"(?<=[^\W_])n't\b", re.IGNORECASE)  # English "isn't", "doesn't": a negation
# A run of letters and digits, with the hyphens between parts ("pare-feu", "add-in").
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a text: as written, folded, and where it stands (for highlighting).

    A hyphenated word gives its parts, then itself whole (``whole``), folded without its
    hyphens ("pare-feu": "pare", "feu", then "parefeu"): a ticket may write it either way.
    """

    text: str
    folded: str
    start: int
    end: int
    whole: bool = False

    @property
    def kind(self) -> str:
        """``stop``, ``negation``, ``noise`` (kept in phrases, not searched) or ``word``."""
        folded = self.folded
        if folded in NEGATIONS:
            return "negation"
        if folded in STOP_WORDS or (len(folded) < 2 and not folded.isdigit()):
            return "stop"
        if folded in NOISE_WORDS:
            return "noise"
        return "word"


def words(text: str) -> list[Word]:
    """The words of ``text`` in order, with their places in it."""
    # Same length, so that places stay those of the text: "isn't" is read "is n " (a negation).
    plain = _NT.sub(" n ", text.translate(_APOSTROPHES))
    found: list[Word] = []
    for match in _WORD.finditer(plain):
        whole = match.group()
        start = match.start()
        if "-" not in whole:
            found.append(Word(whole, fold(whole), start, match.end()))
            continue
        for part in whole.split("-"):
            found.append(Word(part, fold(part), start, start + len(part)))
            start += len(part) + 1
        found.append(Word(whole, fold(whole.replace("-", "")), match.start(), match.end(), whole=True))
    return found


# --------------------------------------------------------------------------- stems


_Stem = Callable[[str], str]
_STEMMERS: dict[str, _Stem] = {}


def _stemmers() -> dict[str, _Stem]:
    """The French and English stemmers, pure Python, imported on first use.

    ``import snowballstemmer`` would run the package's ``__init__``, which imports all of its
    36 languages (20 ms, a fifth of a cold ``support-scope find``) or picks PyStemmer when it
    is installed (whose stems depend on its own version). The two modules needed are loaded
    under a bare package module instead, which is then taken out of ``sys.modules``, so that a
    later ``import snowballstemmer`` elsewhere in the process runs the package as usual.
    """
    if not _STEMMERS:
        import importlib
        import importlib.util

        package = sys.modules.get("snowballstemmer")
        placed = False
        if package is None:
            spec = importlib.util.find_spec("snowballstemmer")
            if spec is None:  # pragma: no cover - a dependency of the package
                raise ImportError("support-scope needs snowballstemmer (pip install snowballstemmer)")
            sys.modules["snowballstemmer"] = importlib.util.module_from_spec(spec)
            placed = True
        try:
            french = importlib.import_module("snowballstemmer.french_stemmer").FrenchStemmer()
            english = importlib.import_module("snowballstemmer.english_stemmer").EnglishStemmer()
        finally:
            if placed:
                del sys.modules["snowballstemmer"]
        _STEMMERS["fr"] = french.stemWord
        _STEMMERS["en"] = english.stemWord
    return _STEMMERS


@lru_cache(maxsize=1 << 16)
def stem(word: str, language: str) -> str:
    """The folded Snowball stem of ``word`` (lower case, accents kept) in ``language`` (fr or en).

    Remembered: a policy says the same words again and again (some 18,000 stems asked to index
    the shipped policy, a few thousand distinct), and the pure-Python stemmer takes about 100 µs
    a word. Bounded, since a service stems the words of every ticket it is sent.
    """
    return fold(_stemmers()[language](word))


def line_keys(word: Word, language: str) -> tuple[str, ...]:
    """The index keys of one word of a line written in ``language``.

    Its stem, and the stem of the word without accents when that differs (Snowball reads
    "activité" and "activite" differently; a ticket may be typed without accents).
    """
    folded = word.folded
    protected = PROTECTED.get(folded)
    if protected is not None:
        return (protected,)
    if not folded.isalpha() or len(folded) < 3:
        return (folded,)
    lower = word.text.replace("-", "").casefold()
    first = stem(lower, language)
    second = stem(folded, language) if folded != lower else first
    return (first,) if first == second else (first, second)


def tagged(keys: tuple[str, ...], language: str, folded: str) -> tuple[str, ...]:
    """The keys a phrase compares: each stem tagged with its language, and the folded word.

    A vocabulary phrase meets a word by the same word or by a stem of the same language:
    the English "charged" (stem "charg") is not the French "chargée" (stem "charg").
    """
    return (*(f"{language}:{key}" for key in keys), folded)


def query_keys(folded: str, written: str | None = None) -> tuple[str, ...]:
    """The keys a ticket's word may meet, tagged: its French and English stems, and the word itself.

    ``written`` is the word as typed (accents and all); ``folded`` its folded form. The index
    keys are the same without their tags (:func:`untag`).
    """
    protected = PROTECTED.get(folded)
    if protected is not None:
        return (f"fr:{protected}", f"en:{protected}", folded)
    if not folded.isalpha() or len(folded) < 3:
        return (folded,)
    lower = (written or folded).replace("-", "").casefold()
    keys = dict.fromkeys(
        (
            f"fr:{stem(lower, 'fr')}",
            f"en:{stem(lower, 'en')}",
            f"fr:{stem(folded, 'fr')}",
            f"en:{stem(folded, 'en')}",
            folded,
        )
    )
    return tuple(keys)


def untag(keys: tuple[str, ...] | frozenset[str]) -> frozenset[str]:
    """The index keys of tagged keys: the stems without their language, and the word."""
    return frozenset(key[3:] if key[2:3] == ":" else key for key in keys)


# --------------------------------------------------------------------------- typos


def max_edits(word: str) -> int:
    """How many edits a word of this length may be off by and still be read as a typo."""
    length = len(word)
    return 0 if length < 5 else 1 if length < 8 else 2


def distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance of ``a`` and ``b``, or ``limit + 1`` when above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        best = i
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
            best = min(best, value)
        if best > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]
