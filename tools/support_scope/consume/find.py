"""Finding the lines of the matrix that mention some words (case and accents ignored)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from support_scope.model.release import Compiled, Rule

_APOSTROPHES = str.maketrans(
    {"’": "'", "‘": "'", "ʼ": "'", "«": " ", "»": " ", "“": '"', "”": '"', "\u00a0": " "}
)


def normalize(text: str) -> str:
    """Lower case, no accents, plain apostrophes: how texts are compared when searching."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()


class SearchIndex:
    """Every rule of a release with its texts normalised, built once per ruleset."""

    def __init__(self, compiled: Compiled) -> None:
        self.entries: list[tuple[str, tuple[str, ...], Rule]] = [
            (category["id"], tuple(normalize(t) for t in rule["text"].values()), rule)
            for category in compiled["categories"]
            for rule in category["rules"]
        ]

    def matching(self, text: str) -> Iterator[tuple[str, Rule]]:
        """(category id, rule) of every rule whose French or English text holds every word of ``text``."""
        words = normalize(text).split()
        if not words:
            return
        for category_id, haystacks, rule in self.entries:
            if any(all(word in haystack for word in words) for haystack in haystacks):
                yield category_id, rule
