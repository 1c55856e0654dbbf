"""Ranked search of the matrix: a ticket's words in, the lines that answer it out, best first.

The index (:mod:`~support_scope.consume.index`) is compiled into the release; this module
reads it and answers queries:

1. The ticket is cut into words as the lines were (:mod:`~support_scope.consume.analysis`):
   folded, stop words out, each word with its French and English stems.
2. A word the index does not know, that is no word of the vocabulary either, and of 5 letters
   or more, is read as a typo of the index's nearest word (same first letter, 1 edit up to 7
   letters, 2 from 8: "synchronisaton", "instaling"), at 0.8 of a typed word's weight.
3. The vocabulary's phrases are found in the ticket, the longest first: a ``concept``'s
   phrase stands for its key (and, holding a negation, no longer counts by its words: "sans
   message d'erreur"); any other group's phrase adds the matrix's words it leads to, at 0.3
   of a typed word's weight ("backup" finds "Sauvegardes serveur").
4. Every line is scored by BM25F (k1 = 1.2, b = 0.5) over its weighted fields.
5. Identical lines are one answer: the best scored stands for the others, listed with it.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate, repeat
from operator import add, mul
from typing import Any

from support_scope.consume import analysis
from support_scope.consume.analysis import NOT, Word
from support_scope.consume.index import CONCEPT, Phrase, Phrases, Token, stream

K1 = 1.2
B = 0.5
TYPED = 1.0
CORRECTED = 0.8  # a word read as a typo of another
EXPANDED = 0.3  # what a vocabulary group leads to, when the words typed are in the index too
BRIDGED = 0.6  # the same, when they are not (the group is the ticket's only way to the matrix)
CONCEPT_WEIGHT = 2.0  # a concept's phrase: what kind of request it is (an error shown or not...)
QUOTED = 0.3  # a word between quotes: an error message pasted, not the request's own words
_CACHE_LIMIT = 50_000
SAME_SHOWN = 50  # identical lines named with an answer, at most

# A quotation: what an error message said, pasted into the ticket ('Accès refusé', "sync failed").
# It opens after a space, a parenthesis or a colon (not an elision: l'erreur) and closes before one.
_QUOTED = re.compile(r"""(?:^|(?<=[\s(:]))['‘"“«]\s*(.+?)\s*['’"”»](?=$|[\s.,;:!?)])""")

# Stems of the words of queries seen so far (stemming costs some 100 µs a word; words repeat).
_KEYS: dict[tuple[str, str], tuple[str, ...]] = {}


@dataclass(frozen=True)
class Hit:
    """A line found: its document number, its score, and the identical lines shown with it."""

    document: int
    score: float
    others: tuple[tuple[int, float], ...] = ()


@dataclass(frozen=True)
class Query:
    """A ticket analysed: what it searches and why.

    ``terms``: (weight, keys) per unit of meaning (a word typed, a concept, what one vocabulary
    group leads to); a line scores for a unit by the best of its keys, never by several (a
    word's French and English stems are one word). ``groups``: the vocabulary groups whose
    phrases it holds; ``corrected``: (word typed, word read) for the typos read.
    """

    terms: tuple[tuple[float, tuple[str, ...]], ...]
    groups: tuple[str, ...]
    corrected: tuple[tuple[str, str], ...]

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(key for _, keys in self.terms for key in keys)


class SearchIndex:
    """A release's search index, ready to answer; postings are read for the keys queried only."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.items: int = data["items"]
        self.terms: list[str] = data["terms"]
        self._lengths_text: str = data["lengths"]
        self._postings_text: Mapping[str, str] = data["postings"]
        self._words: Mapping[str, str] = data["words"]
        self._vocabulary: list[dict[str, Any]] = data["vocabulary"]
        # The caches hold tuples of numbers, never lists: the cycle collector stops tracking such
        # a tuple at its first pass, so that millions of cached postings are not scanned again at
        # every full collection (some 0.1 s each at 10,000 categories, a pause for a service).
        self._postings: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}
        self._parts: dict[str, tuple[tuple[int, ...], tuple[float, ...]]] = {}
        self._norms: tuple[float, ...] | None = None
        self._phrases: Phrases | None = None
        self._same: dict[int, int] | None = None
        self._group_of: dict[int, int] = {}
        self._same_data: list[list[int]] = data["same"]
        self._by_letter: dict[str, list[str]] | None = None
        self._lines: dict[str, list[tuple[str, frozenset[str]]]] = {}
        self._near: dict[str, list[str]] = {}
        self._concepts: frozenset[int] | None = None
        self.size = self._lengths_text.count(",") + 1 if self._lengths_text else 0

    # ---- reading the index

    def _posting(self, key: str) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
        found = self._postings.get(key)
        if found is None:
            text = self._postings_text.get(key)
            if text is None:
                return None
            numbers = list(map(int, text.split(",")))
            found = self._postings[key] = (tuple(accumulate(numbers[0::2])), tuple(numbers[1::2]))
        return found

    def norms(self) -> tuple[float, ...]:
        if self._norms is None:
            lengths = list(map(int, self._lengths_text.split(","))) if self._lengths_text else []
            average = (sum(lengths) / len(lengths)) or 1.0 if lengths else 1.0
            self._norms = tuple([K1 * (1 - B + B * length / average) for length in lengths])
        return self._norms

    @property
    def phrases(self) -> Phrases:
        if self._phrases is None:
            self._phrases = Phrases(
                [[_phrase(text) for text in group["phrases"]] for group in self._vocabulary]
            )
        return self._phrases

    def same(self) -> dict[int, int]:
        """Document -> the first of the identical lines it belongs to."""
        if self._same is None:
            self._same = {number: numbers[0] for numbers in self._same_data for number in numbers}
            self._group_of = {numbers[0]: position for position, numbers in enumerate(self._same_data)}
        return self._same

    def keys_of(self, folded: str, written: str) -> tuple[str, ...]:
        """The tagged keys of a query's word: from the index's table, else stemmed (and cached)."""
        listed = self._words.get(folded)
        if listed is not None:
            return tuple(listed.split(" "))
        cache_key = (folded, written)
        keys = _KEYS.get(cache_key)
        if keys is None:
            if len(_KEYS) > _CACHE_LIMIT:
                _KEYS.clear()
            keys = _KEYS[cache_key] = analysis.query_keys(folded, written)
        return keys

    def known(self, tags: Iterable[str]) -> bool:
        return any(
            tag in self.phrases.by_key or analysis.untag((tag,)) & self._postings_text.keys() for tag in tags
        )

    # ---- queries

    def analyse(self, text: str) -> tuple[Query, list[Token]]:
        """What a ticket searches (:class:`Query`), and its phrase stream."""
        corrected: list[tuple[str, str]] = []
        typos: set[int] = set()

        def keys_of(word: Word) -> tuple[frozenset[str], tuple[str, ...]]:
            tags = self.keys_of(word.folded, word.text)
            if not (
                word.kind != "word"
                or word.whole
                or word.folded in self._words
                or self.known(tags)
                or not _typo_candidate(word.folded)
            ):
                nearest = self._nearest(word.folded)
                if nearest:
                    corrected.append((word.text, nearest[0]))
                    typos.add(word.start)
                    tags = tuple(dict.fromkeys(t for near in nearest for t in self.keys_of(near, near)))
            return analysis.untag(tags), tags

        tokens = stream(analysis.words(text), keys_of)
        quoted = [match.span(1) for match in _QUOTED.finditer(text)]
        spans = self.phrases.spans(tokens)
        consumed: set[int] = set()
        terms: dict[tuple[str, ...], float] = {}
        groups: list[str] = []
        for span in sorted(spans, key=lambda s: (s.start, s.group)):
            group = self._vocabulary[span.group]
            groups.append(group["id"])
            if group["kind"] == "concept":
                # A concept's phrase stands for the concept, not for its words.
                consumed.update(range(span.start, span.end))
                _add(terms, (CONCEPT + group["id"],), CONCEPT_WEIGHT)
        typed: set[str] = set()
        for position, token in enumerate(tokens):
            if not token.search or position in consumed:
                continue
            keys = tuple(sorted(k for k in token.keys if k in self._postings_text))
            if keys:
                typed.update(keys)
                start = token.word.start if token.word is not None else -1
                weight = CORRECTED if start in typos else TYPED
                if any(begin <= start < end for begin, end in quoted):
                    weight *= QUOTED
                _add(terms, keys, weight)
        for span in spans:
            group = self._vocabulary[span.group]
            if group["kind"] == "concept":
                continue
            keys = tuple(k for k in group.get("expand", ()) if k not in typed)
            if keys:
                # The words typed are in the index: the group adds a little; they are not:
                # the group is how the ticket meets the matrix at all.
                inside = any(tokens[p].keys & self._postings_text.keys() for p in range(span.start, span.end))
                _add(terms, keys, EXPANDED if inside else BRIDGED)
        query = Query(
            tuple((weight, keys) for keys, weight in terms.items()),
            tuple(dict.fromkeys(groups)),
            tuple(corrected),
        )
        return query, tokens

    def _nearest(self, folded: str) -> list[str]:
        """The index's words nearest to a typo (same first letter), or none within its edits."""
        cached = self._near.get(folded)
        if cached is not None:
            return cached
        if len(self._near) > _CACHE_LIMIT:
            self._near.clear()
        found = self._near[folded] = self._nearest_uncached(folded)
        return found

    def _nearest_uncached(self, folded: str) -> list[str]:
        if self._by_letter is None:
            by_letter: dict[str, list[str]] = {}
            for word in (*self._words, *self._postings_text):
                if word[:1].isalpha():
                    by_letter.setdefault(word[0], []).append(word)
            self._by_letter = {letter: sorted(set(words)) for letter, words in by_letter.items()}
        limit = analysis.max_edits(folded)
        best, found = limit + 1, []
        for candidate in self._by_letter.get(folded[0], ()):
            if abs(len(candidate) - len(folded)) > limit:
                continue
            edits = analysis.distance(folded, candidate, min(limit, best))
            if edits < best:
                best, found = edits, [candidate]
            elif edits == best and edits <= limit:
                found.append(candidate)
        return found if best <= limit else []

    def search(self, text: str, limit: int = 10) -> tuple[Query, list[Hit]]:
        """The best ``limit`` answers to ``text`` (identical lines as one), best first.

        An answer names at most :data:`SAME_SHOWN` of its identical lines (the best scored).
        """
        query, _ = self.analyse(text)
        if not query.terms or limit <= 0:
            return query, []
        scores = self.score(query.terms)
        same = self.same()
        order = lambda pair: (-pair[1], pair[0])  # noqa: E731 - best first, then document order
        wanted = limit * 4
        while True:
            # The best documents only (a full sort of a 170,000-line release costs more than the search).
            if wanted >= len(scores):
                ranked = sorted(scores.items(), key=order)
            else:
                floor = heapq.nlargest(wanted, scores.values())[-1]
                ranked = sorted(((d, v) for d, v in scores.items() if v >= floor), key=order)
            hits: list[Hit] = []
            seen: set[int] = set()
            for document, score in ranked:
                line = same.get(document)
                if line is not None:
                    if line in seen:
                        continue
                    seen.add(line)
                hits.append(Hit(document, score))
                if len(hits) == limit:
                    break
            if len(hits) == limit or len(ranked) == len(scores):
                break
            wanted *= 4
        groups = self._same_data
        result = []
        for hit in hits:
            line = same.get(hit.document)
            if line is None:
                result.append(hit)
                continue
            others = [
                (d, scores[d]) for d in groups[self._group_of[line]] if d != hit.document and d in scores
            ]
            others.sort(key=order)
            result.append(Hit(hit.document, hit.score, tuple(others[:SAME_SHOWN])))
        return query, result

    def score(self, terms: Iterable[tuple[float, tuple[str, ...]]]) -> dict[int, float]:
        """BM25F score of every document holding a key of the query: per unit of the query,
        the best of its keys in the document."""
        units: list[tuple[float, Sequence[int], Sequence[float]]] = []
        for weight, keys in terms:
            found = [c for c in (self._contributions(key) for key in keys) if c is not None]
            if len(found) == 1:
                units.append((weight, *found[0]))
            elif found:
                best: dict[int, float] = {}
                for holding, parts in found:
                    get = best.get
                    for document, value in zip(holding, parts, strict=True):
                        if value > get(document, 0.0):
                            best[document] = value
                units.append((weight, list(best), list(best.values())))
        if not units:
            return {}
        # The longest posting first, its scores made at C speed; the others added to them.
        units.sort(key=lambda unit: -len(unit[1]))
        weight, documents, values = units[0]
        scores = dict(zip(documents, map(mul, values, repeat(weight)), strict=True))
        for weight, documents, values in units[1:]:
            # scores[d] = scores.get(d, 0) + weight * value, for each d, at C speed (each d once).
            added = map(add, map(scores.get, documents, repeat(0.0)), map(mul, values, repeat(weight)))
            scores.update(zip(documents, added, strict=True))
        return scores

    def _contributions(self, key: str) -> tuple[tuple[int, ...], tuple[float, ...]] | None:
        """The documents holding ``key`` and its BM25 part in each, for a weight of 1 (cached)."""
        cached = self._parts.get(key)
        if cached is None:
            posting = self._posting(key)
            if posting is None:
                return None
            documents, frequencies = posting
            norms = self.norms()
            df = len(documents)
            factor = math.log(1 + (len(norms) - df + 0.5) / (df + 0.5)) * (K1 + 1)
            values = tuple(
                [factor * (f / 10) / (f / 10 + norms[d]) for d, f in zip(documents, frequencies, strict=True)]
            )
            cached = self._parts[key] = (documents, values)
        return cached

    def matched_words(self, texts: Iterable[str], query: Query) -> tuple[str, ...]:
        """The words of ``texts`` (a line's texts) that the query matched, as written."""
        wanted = query.keys
        found: dict[str, None] = {}
        for text in texts:
            for written, keys in self._highlights(text):
                if keys & wanted:
                    found[written] = None
        return tuple(found)

    def _highlights(self, text: str) -> list[tuple[str, frozenset[str]]]:
        """Each searched word of a line's text with the keys that light it up (cached): its own,
        or the concept whose phrase it is part of."""
        cached = self._lines.get(text)
        if cached is None:
            tokens = stream(analysis.words(text), self._line_keys)
            concept: dict[int, str] = {}
            for span in self.phrases.spans(tokens, self.concepts):
                for position in range(span.start, span.end):
                    concept[position] = CONCEPT + self._vocabulary[span.group]["id"]
            cached = [
                (token.word.text, frozenset((concept[position],)) if position in concept else token.keys)
                for position, token in enumerate(tokens)
                if token.word is not None and token.folded != NOT and (token.search or position in concept)
            ]
            if len(self._lines) > _CACHE_LIMIT:
                self._lines.clear()
            self._lines[text] = cached
        return cached

    def _line_keys(self, word: Word) -> tuple[frozenset[str], tuple[str, ...]]:
        tags = self.keys_of(word.folded, word.text)
        return analysis.untag(tags), tags

    @property
    def concepts(self) -> frozenset[int]:
        if self._concepts is None:
            self._concepts = frozenset(n for n, g in enumerate(self._vocabulary) if g["kind"] == "concept")
        return self._concepts


def _add(terms: dict[tuple[str, ...], float], keys: tuple[str, ...], weight: float) -> None:
    if terms.get(keys, 0.0) < weight:
        terms[keys] = weight


def _phrase(text: str) -> Phrase:
    """A compiled phrase ("folded:key|key folded:key") as (folded, keys) per word."""
    words = []
    for part in text.split(" "):
        folded, _, keys = part.partition(":")
        words.append((folded, frozenset(keys.split("|"))))
    return tuple(words)


def _typo_candidate(folded: str) -> bool:
    return folded.isalpha() and analysis.max_edits(folded) > 0


def texts_of(language_map: Mapping[str, str]) -> Sequence[str]:
    return [language_map[language] for language in sorted(language_map)]
