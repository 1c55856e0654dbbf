"""What an import found and did: problems by cell, conflicts, reviewer comments, the merged policy."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from support_scope.problems import Problem

if TYPE_CHECKING:
    from support_scope.changes.result import Diff

MISSING = object()  # an entity absent from a document


@dataclass(frozen=True)
class Conflict:
    """A cell changed both by the reviewer and in the policy since the export."""

    cell: str
    key: str
    column: str
    exported: Any
    current: Any
    reviewer: Any

    def __str__(self) -> str:
        return self.text("en")

    def text(self, lang: str) -> str:
        """The conflict in words, in ``lang``."""
        from support_scope.workbook.words import say

        return say(
            lang,
            "conflict",
            cell=self.cell,
            key=self.key,
            column=self.column,
            exported=show_value(self.exported, lang),
            current=show_value(self.current, lang),
            reviewer=show_value(self.reviewer, lang),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "cell": self.cell,
            "id": self.key,
            "column": self.column,
            "exported": self.exported,
            "current": self.current,
            "reviewer": self.reviewer,
        }


def show_value(value: Any, lang: str = "en") -> str:
    """A cell value for a message: quoted text, JSON for the rest, "(empty)" or "(row absent)"."""
    from support_scope.workbook.words import quote, say

    if value is MISSING or value is None:
        return say(lang, "empty") if value is None else say(lang, "row-absent")
    if isinstance(value, str):
        return quote(lang, value) if lang != "en" else repr(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class Comment:
    """A reviewer's comment: a note on a cell, or the reviewer comment column of a row.

    ``key`` is the id of the row it is on (an item, a category, ``scope/condition``, a term),
    once known; ``column`` the header of the cell's column; ``kind`` ``note`` or ``column``.
    """

    cell: str
    key: str | None
    text: str
    author: str | None = None
    column: str | None = None
    kind: str = "column"
    date: str | None = None
    sheet: str | None = None
    row: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "cell": self.cell,
            "id": self.key,
            "column": self.column,
            "author": self.author,
            "kind": self.kind,
            "date": self.date,
            "text": self.text,
        }


@dataclass
class ImportResult:
    """Everything an import found and did; the command renders it."""

    workbook: str
    policy: str
    problems: list[Problem] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    exported_version: str | None = None
    stale: bool = False
    policy_invalid: bool = False  # the policy was not valid before the import: nothing merged
    old: dict[str, Any] | None = None
    new: dict[str, Any] | None = None
    written: bool = False
    dry_run: bool = False
    lang: str = "fr"
    review_log: str | None = None  # where the comments go (the review log beside the policy)
    new_comments: list[Comment] = field(default_factory=list)  # not yet in the review log
    log_written: bool = False
    old_text: str | None = None  # the policy file's text, to locate the diff's changes in it

    @property
    def ok(self) -> bool:
        return not self.problems and not self.conflicts

    @property
    def changed(self) -> bool:
        return self.old is not None and self.new is not None and self.old != self.new

    def diff(self) -> Diff | None:
        """The classified diff from the current policy to the imported one (None when not computed)."""
        if not self.ok or self.old is None or self.new is None:
            return None
        from support_scope.changes.differ import diff_documents

        diff = diff_documents(self.old, self.new)
        if self.old_text is not None and diff.changes:
            from support_scope.changes.locate import locate_changes
            from support_scope.changes.sides import Side
            from support_scope.fileio.jsonfile import dump_json

            # What is added or changed is located in the policy as the import writes it.
            old = Side(self.policy, self.old, "policy", self.old_text, self.policy)
            written = "as written by the import" if self.written else "as the import would write it"
            new = Side(
                self.policy,
                self.new,
                "policy",
                dump_json(self.new),
                self.policy,
                note=f"in the policy {written}",
            )
            locate_changes(diff, old, new)
        return diff

    def to_json(self) -> dict[str, Any]:
        diff = self.diff()
        return {
            "workbook": self.workbook,
            "policy": self.policy,
            "ok": self.ok,
            "changed": self.changed,
            "written": self.written,
            "dry_run": self.dry_run,
            "stale": self.stale,
            "policy_valid": not self.policy_invalid,
            "exported_version": self.exported_version,
            "problems": [p.to_json() for p in self.problems],
            "conflicts": [c.to_json() for c in self.conflicts],
            "comments": [c.to_json() for c in self.comments],
            "review_log": self.review_log,
            "comments_recorded": len(self.new_comments) if self.log_written else 0,
            "comments_new": len(self.new_comments),
            "notices": list(self.notices),
            "diff": diff.to_json() if diff is not None else None,
        }
