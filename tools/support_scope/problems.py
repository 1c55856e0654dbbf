"""Problems: what is wrong in the data, located, and the results that collect them.

Checks never stop at the first problem: they gather every one into a result, which a
reporter (:mod:`support_scope.report`) renders as text, JSON or a CI format. The place is
kept as fields (file, line, column, JSON path, ``Sheet!A1`` cell), never baked into the
message, so that each reporter can show it its own way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from support_scope.model.paths import JsonPath, render_path


@dataclass(frozen=True)
class Problem:
    """One thing wrong, located as precisely as the input allows.

    ``path`` is a JSON path inside a document; ``cell`` a ``Sheet!A1`` reference inside a
    workbook; ``line``/``column`` are 1-based positions in the file's text.
    """

    file: str
    message: str
    rule: str
    path: JsonPath | None = None
    line: int | None = None
    column: int | None = None
    cell: str | None = None

    @property
    def where(self) -> str:
        """``file:line:col $.path`` or ``file Sheet!A1``, as much as is known."""
        head = self.file
        if self.line is not None:
            head += f":{self.line}"
            if self.column is not None:
                head += f":{self.column}"
        if self.cell is not None:
            head += f" {self.cell}"
        if self.path is not None:
            head += f" {render_path(self.path)}"
        return head

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": render_path(self.path) if self.path is not None else None,
            "cell": self.cell,
            "rule": self.rule,
            "message": self.message,
        }


@dataclass
class FileResult:
    """The problems found in one file."""

    file: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class ValidationReport:
    """The outcome of validating several files."""

    files: list[FileResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.files)

    @property
    def problems(self) -> list[Problem]:
        return [problem for result in self.files for problem in result.problems]

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "problem_count": len(self.problems),
            "files": [
                {"file": r.file, "ok": r.ok, "problems": [p.to_json() for p in r.problems]}
                for r in self.files
            ],
        }


# What each kind of problem means, by rule id, for the formats that describe their rules (SARIF).
# The diff's rules are described in :data:`support_scope.changes.rules.RULES`.
RULE_HELP: dict[str, str] = {
    # reading
    "not-a-policy": "The file is a compiled release, not a policy: validate the policy it was compiled from, or verify the release with `support-scope check`.",
    "unreadable": "The file cannot be read as JSON: missing, not UTF-8, not valid JSON, a key repeated. Fix the file at the place given.",
    "no-policy": "No policy document (*.json) where one was expected (policies/).",
    # schema and meaning (validate)
    "schema": "The document does not follow its JSON Schema (schema/*.schema.json): a missing or unknown field, a wrong type or value.",
    "duplicate-id": "An id is used twice where ids must be unique (categories, items of a category, conditions, cases of a decision test file).",
    "unresolved-reference": "A reference names something the policy does not declare (a tier, plan, referral, product, category or item).",
    "reference-chain": "A `see` reference points at an item that itself refers on: references go one step only.",
    "unknown-fact": "A condition tests a fact the policy does not declare in `facts`.",
    "fact-type": "A fact is used against its declared type (an order on a boolean, a minimum on a non-integer).",
    "unknown-group": "An item names a group (lead-in sentence) its category does not declare.",
    "tier-cycle": "Tiers include each other in a cycle: tier inclusion must be a hierarchy.",
    "condition-depth": "A condition's test nests all/any/not deeper than 32 levels.",
    "condition-field": "A condition's fields do not fit together: what its failure means (`when_unmet`), the term that answers it, the lines it applies to.",
    "note-field": "A note's fields do not fit together (the kinds and lines a resolution rule withholds, the test that says when).",
    "term-field": "A general term's fields do not fit together (a not-covered term's kinds, test and the lines it yields to).",
    "unknown-item": "A condition or note names a line its category does not have.",
    "unknown-term": "A condition names, as the term that answers when it fails, a general term or note the policy does not declare.",
    "missing-language": "A text lacks a language the policy declares in `languages`.",
    "repeated-text": "The same text appears twice within a category: one of them is probably a mistake.",
    "text-whitespace": "A text starts or ends with white space.",
    "text-not-nfc": "A text is not in Unicode NFC (normalise it: precomposed accents).",
    "text-invisible": "A text holds an invisible or formatting character (zero-width space, bidirectional control).",
    "text-character": "A text holds a character a workbook cannot carry (a control character, a lone surrogate).",
    "text-too-long": "A text is longer than a workbook cell holds (32,767 characters).",
    # the gate (check)
    "no-changelog": "CHANGELOG.md is missing or unreadable: it must hold a section per released policy version.",
    "changelog-missing": "CHANGELOG.md has no section `## [policy <policy-id> <version>]` for the policy's version (`support-scope release` drafts it).",
    "not-released": "The policy has never been released: run `support-scope release` to cut its first release.",
    "policy-file-name": "The policy file is not named after its id (policies/<policy-id>.json).",
    "release-modified": "A release file was changed after it was compiled (digest, canonical form or recompilation differ): restore it, releases are immutable.",
    "release-misfiled": "A release file holds another policy or version than its path says (releases/<policy-id>/<version>.json).",
    "version-not-bumped": "The policy differs from its latest release but its version is not above it: run `support-scope release`.",
    "version-bump-too-small": "The policy's version step is smaller than its changes require (breaking => major, additive => minor, editorial => patch).",
    "decision-tests-misplaced": "With several policies, each policy's decision tests go in tests/decisions/<policy-id>/.",
    # decision tests
    "decision-test-failed": "A decision test's question no longer gets the expected answer (or this release cannot give it): the policy changed what a customer is told, or the expectation is wrong.",
    "decision-test-error": "A decision test's question cannot be asked of the policy (an unknown plan, category, item or fact, a value of the wrong type).",
    "decision-test-coverage": "The decision tests touch less of the policy (items, request kinds, conditions) than --min-coverage requires.",
    # workbook (import-xlsx)
    "conflict": "A cell was changed by the reviewer and in the policy since the export: agree on the value, then import again.",
    "cell-type": "A cell holds a value of the wrong type for its column.",
    "cell-syntax": "A structured cell (referrals, see, condition test) cannot be read in its syntax.",
    "formula": "A cell holds a formula: the workbook carries values only.",
    "merged-cell": "Cells are merged: the workbook's rows must stay one cell per value.",
    "missing-sheet": "A sheet of the exported workbook is missing (sheets are not to be renamed or removed).",
    "missing-column": "A column of the exported workbook is missing (headers are not to be changed).",
    "unknown-column": "A column the workbook does not know (headers are not to be changed).",
    "duplicate-column": "A column header appears twice.",
    "read-only": "A read-only cell (a grey id column) was edited.",
    "unknown-id": "A row names an id the policy does not have.",
    "row-added": "A row was added where rows cannot be added (categories, conditions, terms).",
    "row-removed": "A row was removed where rows cannot be removed.",
}
