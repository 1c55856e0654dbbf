"""A reporter renders the results of the core for one output format: one class per format.

Every command that produces the same kind of result renders it through the same reporter
method, so a format is written once and a new format is one class (:mod:`registry`). A
reporter returns text; the command line prints it. A method a format does not define raises
:class:`Unsupported`, and :func:`support_scope.report.registry.formats_for` leaves that format
out of the command's ``--format`` choices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from support_scope.changes.result import Diff
    from support_scope.changes.rules import Rule
    from support_scope.consume.values import DecisionAnswer, FindAnswer
    from support_scope.decisiontests.result import DecisionTestReport
    from support_scope.problems import ValidationReport
    from support_scope.versions.gate import CheckReport
    from support_scope.versions.release import ReleaseOutcome
    from support_scope.workbook.result import ImportResult

# The kinds of result a reporter may render: one method each.
KINDS = (
    "validation",
    "check",
    "diff",
    "rules",
    "import_result",
    "decision",
    "matches",
    "release",
    "decision_tests",
)


class Unsupported(NotImplementedError):
    """This format does not render this kind of result."""


class Reporter:
    """The base of every reporter; each method renders one kind of result."""

    name: ClassVar[str]
    description: ClassVar[str]

    def __init__(self, *, lang: str = "fr", color: bool = False) -> None:
        self.lang = lang
        self.color = color

    def validation(self, report: ValidationReport) -> str:
        raise Unsupported

    def check(self, report: CheckReport) -> str:
        raise Unsupported

    def diff(self, diff: Diff, old: str | None = None, new: str | None = None) -> str:
        raise Unsupported

    def rules(self, rules: list[Rule]) -> str:
        raise Unsupported

    def import_result(self, result: ImportResult) -> str:
        raise Unsupported

    def decision(self, answer: DecisionAnswer) -> str:
        raise Unsupported

    def matches(self, answer: FindAnswer) -> str:
        raise Unsupported

    def release(self, outcome: ReleaseOutcome) -> str:
        raise Unsupported

    def decision_tests(self, report: DecisionTestReport) -> str:
        raise Unsupported
