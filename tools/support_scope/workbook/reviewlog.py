"""The review log: every reviewer comment an import brought in, kept beside the policy.

Comments are what a lawyer says about the policy, not the policy: they do not belong in the
data services load, yet they must not be lost between the workbook and the next release. Each
import that writes adds the comments of its workbook (cell notes and the reviewer comment
column) to ``<policy>.reviews.md`` beside the policy file, a Markdown file anyone can read in
the repository, under a heading naming the workbook, its date and the version it was exported
from, each with its cell, the row's id, its column and its author. A comment already in the log
(the same text by the same author on the same row and column) is not added again: importing
the same workbook twice changes nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from support_scope.workbook.result import Comment

_MARK = re.compile(r"<!-- review-comment ([0-9a-f]{16}) -->")

_HEAD = """# Commentaires de relecture / Review comments: {policy}

Les commentaires des classeurs de relecture (notes de cellule et colonne « Commentaire du
relecteur »), tels qu'écrits, ajoutés par `support-scope import-xlsx` à chaque import : la
trace de ce que les relecteurs ont dit. La politique n'en dépend pas.

The comments of the review workbooks (cell notes and the "Reviewer comment" column), as
written, added by `support-scope import-xlsx` at each import: the record of what reviewers
said. The policy does not depend on them.
"""


def log_path(policy: Path) -> Path:
    """The review log of the policy file ``policy``: ``<name>.reviews.md`` beside it."""
    return policy.with_name(f"{policy.stem}.reviews.md")


def comment_key(comment: Comment) -> str:
    """What makes a comment the same one again: its sheet, its row's id (or cell), column, author, text."""
    where = comment.key if comment.key is not None else comment.cell
    raw = "\x01".join([comment.sheet or "", where, comment.column or "", comment.author or "", comment.text])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


def recorded(text: str | None) -> set[str]:
    """The keys of the comments a log already holds."""
    return set(_MARK.findall(text or ""))


def new_comments(comments: Iterable[Comment], text: str | None) -> list[Comment]:
    """The comments not in the log yet (each once, in the order given)."""
    known = recorded(text)
    fresh: list[Comment] = []
    for comment in comments:
        key = comment_key(comment)
        if key not in known:
            known.add(key)
            fresh.append(comment)
    return fresh


def updated_log(
    text: str | None, policy_id: str, workbook: str, date: str, version: str | None, comments: list[Comment]
) -> str:
    """The log with a section for ``comments`` (already filtered by :func:`new_comments`) added."""
    lines = [(text or _HEAD.format(policy=policy_id)).rstrip("\n"), ""]
    exported = f" (export {version})" if version else ""
    lines += [f"## {workbook} — {date}{exported}", ""]
    for comment in comments:
        parts = [f"`{comment.cell}`"]
        if comment.key:
            parts.append(f"`{comment.key}`")
        if comment.column:
            parts.append(comment.column)
        if comment.author:
            parts.append(comment.author)
        parts.append("note" if comment.kind == "note" else "colonne / column")
        lines.append(f"- {' · '.join(parts)} <!-- review-comment {comment_key(comment)} -->")
        lines.append("")
        lines += [f"  > {line}" if line else "  >" for line in comment.text.split("\n")]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
