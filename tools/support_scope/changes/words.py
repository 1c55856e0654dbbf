"""Texts compared word by word, the way a legal reader marks up a contract."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    """A run of a word-by-word text comparison: ``equal``, ``delete`` or ``insert``."""

    op: str
    text: str


_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)


def word_diff(old: str, new: str) -> list[Segment]:
    """Compare two texts word by word (words, spaces and punctuation are the tokens)."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    segments: list[Segment] = []

    def add(op: str, text: str) -> None:
        if not text:
            return
        if segments and segments[-1].op == op:
            segments[-1] = Segment(op, segments[-1].text + text)
        else:
            segments.append(Segment(op, text))

    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add("equal", "".join(a[i1:i2]))
            continue
        removed, inserted = "".join(a[i1:i2]), "".join(b[j1:j2])
        # White space that both sides of a replaced run share is common text, not a change.
        lead = _shared_space(removed, inserted, leading=True)
        trail = _shared_space(removed[len(lead) :], inserted[len(lead) :], leading=False)
        add("equal", lead)
        add("delete", removed[len(lead) : len(removed) - len(trail)])
        add("insert", inserted[len(lead) : len(inserted) - len(trail)])
        add("equal", trail)
    return segments


def _shared_space(a: str, b: str, leading: bool) -> str:
    """The white space both ``a`` and ``b`` start (or end) with, when both have more than that."""
    if not a or not b:
        return ""
    sa = a[: len(a) - len(a.lstrip())] if leading else a[len(a.rstrip()) :]
    sb = b[: len(b) - len(b.lstrip())] if leading else b[len(b.rstrip()) :]
    return sa if sa == sb and sa != a and sb != b else ""
