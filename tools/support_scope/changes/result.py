"""What a diff finds: the changes between two policy versions, each classified by rule."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

from support_scope.changes.rules import RULES
from support_scope.changes.words import Segment
from support_scope.fileio.jsonfile import canonical_json
from support_scope.model.paths import JsonPath, render_path
from support_scope.model.semver import version_advice
from support_scope.model.vocab import BUMP_FOR, SEVERITIES, SEVERITY_RANK, Bump, Severity


@dataclass(frozen=True)
class Location:
    """Where a change is in a file: on the NEW side for what was added or changed, on the OLD side
    for what was removed. ``note`` says how the place was found when it is not the policy file
    itself (a release file: the policy embedded in it; a git revision)."""

    file: str
    line: int
    column: int
    side: Literal["old", "new"]
    note: str | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "side": self.side,
            "note": self.note,
        }


@dataclass
class Change:
    """One change between two policy versions.

    ``location`` is set when the sides' texts are known (:func:`support_scope.changes.locate.locate_changes`).
    """

    rule: str
    ids: dict[str, str]
    message: str
    old_path: JsonPath | None = None
    new_path: JsonPath | None = None
    old: Any = None
    new: Any = None
    plans_gaining: list[str] = field(default_factory=list)
    plans_losing: list[str] = field(default_factory=list)
    words: list[Segment] | None = None
    legal: bool = False
    location: Location | None = None

    @property
    def kind(self) -> str:
        return RULES[self.rule].kind

    @property
    def severity(self) -> Severity:
        return RULES[self.rule].severity

    @property
    def legal_review(self) -> bool:
        """French wording of the contract changed, or an effect the rules cannot classify."""
        return self.legal or self.rule in ("text-changed", "category-retitled", "other-field-changed")

    @property
    def where(self) -> str:
        """The JSON path in the new version, or in the old one for what was removed."""
        path = self.new_path if self.new_path is not None else self.old_path
        return render_path(path) if path is not None else "$"

    @property
    def fingerprint(self) -> str:
        """A stable identity of the change, independent of where it sits: the hash of its rule,
        the ids it concerns, the field it touches (the path's names, no positions) and its old and
        new values. Moving the record, or rebasing onto other edits, keeps it; a review comment
        or a code-scanning alert keyed on it follows the change."""
        path = self.new_path if self.new_path is not None else self.old_path
        data = {
            "rule": self.rule,
            "ids": self.ids,
            "field": [step for step in path or () if isinstance(step, str)],
            "old": self.old,
            "new": self.new,
        }
        return hashlib.sha256(canonical_json(data)).hexdigest()[:32]

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "fingerprint": self.fingerprint,
            "location": self.location.to_json() if self.location is not None else None,
            "kind": self.kind,
            "severity": self.severity,
            "legal_review": self.legal_review,
            "ids": dict(self.ids),
            "old_path": render_path(self.old_path) if self.old_path is not None else None,
            "new_path": render_path(self.new_path) if self.new_path is not None else None,
            "old": self.old,
            "new": self.new,
            "plans_gaining": list(self.plans_gaining),
            "plans_losing": list(self.plans_losing),
            "message": self.message,
            "words": [{"op": s.op, "text": s.text} for s in self.words] if self.words is not None else None,
        }


@dataclass
class Diff:
    """Every change from ``old`` to ``new``, in document order."""

    old_id: str | None
    new_id: str | None
    old_version: str | None
    new_version: str | None
    changes: list[Change] = field(default_factory=list)

    @property
    def severity(self) -> Severity | None:
        """The highest severity among the changes, or None when nothing changed."""
        if not self.changes:
            return None
        return max((c.severity for c in self.changes), key=SEVERITY_RANK.__getitem__)

    @property
    def required_bump(self) -> Bump | None:
        """``major``, ``minor``, ``patch``, or None when nothing changed."""
        severity = self.severity
        return BUMP_FOR[severity] if severity else None

    def count(self, severity: Severity) -> int:
        return sum(1 for c in self.changes if c.severity == severity)

    def at_least(self, severity: Severity) -> bool:
        """True when some change is of ``severity`` or higher."""
        return any(SEVERITY_RANK[c.severity] >= SEVERITY_RANK[severity] for c in self.changes)

    def version_advice(self) -> str | None:
        """A warning when NEW's version is not above OLD's by the step the changes require."""
        return version_advice(self.old_version, self.new_version, self.required_bump)

    def to_json(self) -> dict[str, Any]:
        return {
            "old": {"id": self.old_id, "version": self.old_version},
            "new": {"id": self.new_id, "version": self.new_version},
            "severity": self.severity,
            "required_bump": self.required_bump,
            "summary": {
                "changes": len(self.changes),
                **{severity: self.count(severity) for severity in SEVERITIES},
                "legal_review": sum(1 for c in self.changes if c.legal_review),
            },
            "changes": [c.to_json() for c in self.changes],
        }
