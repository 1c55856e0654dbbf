"""The search index of a release: built once by the compiler, read by :mod:`~support_scope.consume.find`.

**Documents**, one per line an agent may answer with, numbered in this order: every rule of
every category (an item referred to by another category's row is a line of that category
too), then every tier grant (``compiled.grants``, in order), then every general term. Each has **fields**, weighed in tenths:

=========  ======  ==========================================================================
field      weight  what
=========  ======  ==========================================================================
text       10      the line's French and English text
title      5       the category's title (a grant: its tier's name and aliases)
see        5       the texts of the items a ``see`` row refers to ("Comme pour la configuration")
referral   5       the names of the referrals the line carries ("Fournisseur de l'App store")
billing    5       the billing note
group      3       the lead-in of the line's group ("Conseils d'installation et de configuration")
=========  ======  ==========================================================================

A field's words are analysed (:mod:`~support_scope.consume.analysis`): each kept word adds
the field's weight to its keys' frequency in the document (BM25F). A phrase of a ``concept``
group of the vocabulary found in a field adds the concept's key (``@`` and the group's id)
instead of, when the phrase holds a negation, its words: "Résolution d'erreurs *non indiquées
par les boîtes de dialogue*" is ``@other-error``, not "boîtes de dialogue". A rule whose
``kind``, or a grant one of whose ``kinds`` (request kinds), names a concept holds the
concept's key as its text would (once: a text that says it already gets nothing more).

**Identical lines**: lines with the same French words, status and tier (the generic
"Résolution d'erreurs non indiquées par les boîtes de dialogue de l'interface." of ten
categories, and the grant that says it once for all) are listed together (``same``), so that
a search shows them as one answer.

The index is JSON with integers only (part of the release's digest): ``lengths`` and
``postings`` are comma-separated numbers in a string (postings: document number as the
difference from the previous one, then the weighted frequency), which a reader splits for the
keys a query needs and nothing else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from support_scope.consume import analysis
from support_scope.consume.analysis import NOT, Word
from support_scope.model.policy import LangMap, VocabularyGroup
from support_scope.model.release import CompiledBody, CompiledCategory, IndexGroup, Rule, SearchIndexData

TEXT, TITLE, SEE, REFERRAL, BILLING, GROUP = 10, 5, 5, 5, 5, 3
WEIGHTS = {"text": TEXT, "title": TITLE, "see": SEE, "referral": REFERRAL, "billing": BILLING, "group": GROUP}
CONCEPT = "@"  # a concept's key is "@" and its group's id


# --------------------------------------------------------------------------- phrases


@dataclass(frozen=True, slots=True)
class Token:
    """A word of a phrase stream: the index keys it searches, the tagged keys phrases compare
    (:func:`~support_scope.consume.analysis.tagged`), its folded form, the word it came from.

    ``search``: whether BM25 counts it (a noise word is only part of phrases; a negation is
    the mark :data:`~support_scope.consume.analysis.NOT`).
    """

    keys: frozenset[str]
    tags: frozenset[str]
    folded: str
    search: bool
    word: Word | None = None


KeysOf = Callable[[Word], tuple[Iterable[str], Iterable[str]]]  # a word -> (index keys, tagged keys)


def stream(found: Iterable[Word], keys_of: KeysOf) -> list[Token]:
    """The phrase stream of a text's words: stop words out, a run of negations one mark, and a
    hyphenated word's whole form ("parefeu") merged into the first kept part of it."""
    tokens: list[Token] = []
    for word in found:
        if word.whole:
            first = None
            for position in range(len(tokens) - 1, -1, -1):
                part = tokens[position].word
                if part is None or part.start < word.start:
                    break
                if tokens[position].folded != NOT:
                    first = position
            if first is not None:
                keys, tags = keys_of(word)
                token = tokens[first]
                tokens[first] = Token(
                    token.keys | frozenset(keys),
                    token.tags | frozenset(tags),
                    token.folded,
                    token.search,
                    token.word,
                )
            continue
        kind = word.kind
        if kind == "stop":
            continue
        if kind == "negation":
            if not tokens or tokens[-1].folded != NOT:
                tokens.append(Token(frozenset(), frozenset((NOT,)), NOT, False, word))
            continue
        keys, tags = keys_of(word)
        tokens.append(Token(frozenset(keys), frozenset(tags), word.folded, kind == "word", word))
    return tokens


Phrase = tuple[tuple[str, frozenset[str]], ...]  # (folded, tagged keys) per word of a vocabulary phrase


@dataclass(frozen=True, slots=True)
class Span:
    """A vocabulary phrase found in a stream: tokens ``start`` to ``end`` (excluded)."""

    start: int
    end: int
    group: int
    exact: int  # how many of its words are the phrase's very words (not only the same stem)


class Phrases:
    """The vocabulary's phrases, looked up by their first word's tagged keys."""

    def __init__(self, groups: Sequence[Sequence[Phrase]]) -> None:
        self.by_key: dict[str, list[tuple[int, Phrase]]] = defaultdict(list)
        for number, phrases in enumerate(groups):
            for phrase in phrases:
                if phrase:
                    for key in phrase[0][1]:
                        self.by_key[key].append((number, phrase))

    def spans(self, tokens: Sequence[Token], only: frozenset[int] | None = None) -> list[Span]:
        """Every phrase found, the longest winning where they overlap.

        Where two overlap, the longer stays; of two as long, the one with more exact words
        (both when they tie). ``only``: the groups to look for (None: all).
        """
        found: dict[tuple[int, int, int], Span] = {}
        for start, token in enumerate(tokens):
            candidates = {id(p): (g, p) for key in token.tags for g, p in self.by_key.get(key, ())}
            for group, phrase in candidates.values():
                if only is not None and group not in only:
                    continue
                end = start + len(phrase)
                if end > len(tokens):
                    continue
                exact = 0
                for offset, (folded, tags) in enumerate(phrase):
                    other = tokens[start + offset]
                    if not tags & other.tags:
                        break
                    exact += folded == other.folded
                else:
                    previous = found.get((start, end, group))
                    if previous is None or previous.exact < exact:
                        found[(start, end, group)] = Span(start, end, group, exact)
        spans = list(found.values())
        return [
            span
            for span in spans
            if not any(
                other.start < span.end
                and span.start < other.end
                and (
                    other.end - other.start > span.end - span.start
                    or (other.end - other.start == span.end - span.start and other.exact > span.exact)
                )
                for other in spans
            )
        ]


def phrase_keys(word: Word, language: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A vocabulary word's keys: it meets the same word, or a word of the same stem in ``language``."""
    keys = analysis.line_keys(word, language)
    return keys, analysis.tagged(keys, language, word.folded)


def line_word_keys(language: str) -> KeysOf:
    """A line's word's keys: its stems in the line's language (and, tagged, the word itself)."""

    def keys_of(word: Word) -> tuple[tuple[str, ...], tuple[str, ...]]:
        keys = analysis.line_keys(word, language)
        return keys, analysis.tagged(keys, language, word.folded)

    return keys_of


def phrase_of(term: str, language: str) -> Phrase:
    """A vocabulary term of ``language`` as a phrase: (folded, tagged keys) per kept word."""
    tokens = stream(analysis.words(term), lambda word: phrase_keys(word, language))
    return tuple((token.folded, token.tags) for token in tokens)


def phrases_of(group: VocabularyGroup) -> list[Phrase]:
    """Every term of a group as a phrase (terms of a language other than fr and en: as French)."""
    return [
        phrase_of(term, language if language in ("fr", "en") else "fr")
        for language, terms in sorted(group["terms"].items())
        for term in terms
    ]


# --------------------------------------------------------------------------- documents


@dataclass
class _Document:
    frequencies: dict[str, int] = field(default_factory=dict)

    def add(self, key: str, weight: int) -> None:
        self.frequencies[key] = self.frequencies.get(key, 0) + weight


class Builder:
    """Builds the index of a compiled release; every text is analysed once."""

    def __init__(self, vocabulary: Sequence[VocabularyGroup]) -> None:
        self.vocabulary = list(vocabulary)
        self.phrases = Phrases([phrases_of(g) for g in self.vocabulary])
        self.concepts = frozenset(n for n, g in enumerate(self.vocabulary) if g["kind"] == "concept")
        self.concept_ids = {g["id"] for g in self.vocabulary if g["kind"] == "concept"}
        self._fields: dict[tuple[str, str], tuple[tuple[str, ...], ...]] = {}
        self.written: dict[str, set[str]] = defaultdict(set)  # folded word -> as written

    def field_keys(self, text: str, language: str) -> tuple[tuple[str, ...], ...]:
        """The keys a text adds to a document, one tuple per kept word or concept (cached)."""
        cached = self._fields.get((text, language))
        if cached is not None:
            return cached
        found = analysis.words(text)
        for word in found:
            self.written[word.folded].add(word.text.replace("-", "").casefold())
        tokens = stream(found, line_word_keys(language))
        consumed: set[int] = set()
        concepts: list[tuple[str, ...]] = []
        for span in self.phrases.spans(tokens, self.concepts):
            # A concept's phrase stands for the concept, not for its words.
            concepts.append((CONCEPT + self.vocabulary[span.group]["id"],))
            consumed.update(range(span.start, span.end))
        keys = [
            tuple(sorted(token.keys))
            for position, token in enumerate(tokens)
            if token.search and position not in consumed
        ]
        result = tuple(keys + concepts)
        self._fields[(text, language)] = result
        return result

    def add_text(self, document: _Document, text: Mapping[str, str] | None, weight: int) -> None:
        if not text:
            return
        for language, value in sorted(text.items()):
            for keys in self.field_keys(value, language if language in ("fr", "en") else "fr"):
                for key in keys:
                    document.add(key, weight)

    def build(self, compiled: CompiledBody) -> SearchIndexData:
        documents: list[_Document] = []
        signatures: list[tuple[Any, ...] | None] = []
        referrals = {r["id"]: r["name"] for r in compiled["referrals"]}
        categories = {c["id"]: c for c in compiled["categories"]}
        items = 0
        for category in compiled["categories"]:
            groups = _groups(category)
            for rule in category["rules"]:
                document = _Document()
                self.add_text(document, rule["text"], TEXT)
                self.add_text(document, category["title"], TITLE)
                via = rule.get("via")
                owner = categories[via["category"]] if via else category
                group = rule.get("group")
                if group is not None:
                    self.add_text(document, _groups(owner).get(group) if via else groups.get(group), GROUP)
                see = rule.get("see")
                if see is not None:
                    targets = {r["item"]: r for r in categories[see["category"]]["rules"] if "via" not in r}
                    for target in see["items"]:
                        self.add_text(document, targets[target]["text"], SEE)
                for referral in rule.get("referrals", ()):
                    self.add_text(document, referrals[referral], REFERRAL)
                if "billing" in rule:
                    self.add_text(document, rule["billing"]["text"], BILLING)
                self._kinds(document, [rule["kind"]] if "kind" in rule else [])
                documents.append(document)
                signatures.append(self._signature(rule["text"], rule["status"], rule.get("tier")))
                items += 1
        tiers = {t["id"]: t for t in compiled["tiers"]}
        for grant in compiled["grants"]:
            document = _Document()
            self.add_text(document, grant["text"], TEXT)
            tier = tiers[grant["tier"]]
            self.add_text(document, tier["label"], TITLE)
            for alias in tier.get("aliases", ()):
                self.add_text(document, {"fr": alias}, TITLE)
            self._kinds(document, grant["kinds"])
            documents.append(document)
            signatures.append(self._signature(grant["text"], "included", grant["tier"]))
        for term in compiled["general_terms"]:
            document = _Document()
            self.add_text(document, term["text"], TEXT)
            if "billing" in term:
                self.add_text(document, term["billing"]["text"], BILLING)
            for referral in term.get("referrals", ()):
                self.add_text(document, referrals[referral], REFERRAL)
            documents.append(document)
            signatures.append(None)
        return self._index(compiled, documents, signatures, items)

    def _kinds(self, document: _Document, kinds: Iterable[str]) -> None:
        """A line of a request kind that names a concept holds the concept, as if its text said
        it, once: a text that already says it ("indiquées par les boîtes de dialogue") gets
        nothing more, so that the lines of a kind and its grant weigh the concept alike."""
        for kind in kinds:
            if kind in self.concept_ids:
                key = CONCEPT + kind
                document.frequencies[key] = max(document.frequencies.get(key, 0), TEXT)

    def _signature(self, text: LangMap, status: str, tier: str | None) -> tuple[Any, ...]:
        keys = self.field_keys(text["fr"], "fr")
        return (tuple(sorted({k for ks in keys for k in ks})), status, tier)

    def _index(
        self,
        compiled: CompiledBody,
        documents: list[_Document],
        signatures: list[tuple[Any, ...] | None],
        items: int,
    ) -> SearchIndexData:
        postings: dict[str, list[int]] = defaultdict(list)
        last: dict[str, int] = {}
        for number, document in enumerate(documents):
            for key, frequency in sorted(document.frequencies.items()):
                postings[key].extend((number - last.get(key, 0), frequency))
                last[key] = number
        same: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for number, signature in enumerate(signatures):
            if signature is not None:
                same[signature].append(number)
        known = set(postings)
        # Every word the index and the vocabulary hold, with the keys a ticket's word meets:
        # a query's known words need no stemming, and typos are corrected towards these.
        for group in self.vocabulary:
            for term in (*(t for ts in group["terms"].values() for t in ts), *group.get("matrix_terms", ())):
                for word in analysis.words(term):
                    self.written[word.folded].add(word.text.replace("-", "").casefold())
        table = {}
        for folded in sorted(self.written):
            if not folded or analysis.Word(folded, folded, 0, 0).kind in ("stop", "negation"):
                continue
            keys: dict[str, None] = {}
            for written in sorted(self.written[folded]):
                keys.update(dict.fromkeys(analysis.query_keys(folded, written)))
            table[folded] = " ".join(keys)
        vocabulary: list[IndexGroup] = []
        for group in self.vocabulary:
            entry: IndexGroup = {
                "id": group["id"],
                "kind": group["kind"],
                "phrases": sorted(
                    {
                        " ".join(f"{folded}:{'|'.join(sorted(tags))}" for folded, tags in phrase)
                        for phrase in phrases_of(group)
                        if phrase
                    }
                ),
            }
            if group["kind"] != "concept":
                reach: set[str] = set()
                for text in (
                    *(t for ts in group["terms"].values() for t in ts),
                    *group.get("matrix_terms", ()),
                ):
                    for language in ("fr", "en"):
                        for word_keys in self.field_keys(text, language):
                            reach.update(word_keys)
                entry["expand"] = sorted(k for k in reach if k in known and not k.startswith(CONCEPT))
            vocabulary.append(entry)
        return {
            "analyzer": analysis.ANALYZER,
            "weights": dict(sorted(WEIGHTS.items())),
            "items": items,
            "terms": [term["id"] for term in compiled["general_terms"]],
            "lengths": ",".join(str(sum(d.frequencies.values())) for d in documents),
            "postings": {key: ",".join(map(str, values)) for key, values in sorted(postings.items())},
            "same": sorted(numbers for numbers in same.values() if len(numbers) > 1),
            "words": table,
            "vocabulary": vocabulary,
        }


def _groups(category: CompiledCategory) -> dict[str, LangMap]:
    return {g["id"]: g["text"] for g in category["groups"]}


def build_index(compiled: CompiledBody, vocabulary: Sequence[VocabularyGroup] = ()) -> SearchIndexData:
    """The search index of a compiled release (JSON-ready, integers only, deterministic); the
    compiler puts it in every release (``compiled.search``)."""
    return Builder(vocabulary).build(compiled)


def rules_in_order(compiled: CompiledBody) -> Iterator[tuple[CompiledCategory, Rule]]:
    """The item documents' (category, rule), in document order."""
    for category in compiled["categories"]:
        for rule in category["rules"]:
            yield category, rule
