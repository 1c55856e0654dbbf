"""The base of the CI formats (github, sarif, junit): each kind of result becomes an
:class:`~support_scope.report.ci.Outcome`, which the format's :meth:`OutcomeReporter.render`
writes. :mod:`support_scope.report.ci` is imported on first use: every command builds its
``--format`` choices from the registry, and ``find`` and ``decide`` must start fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from support_scope.report.base import Reporter

if TYPE_CHECKING:
    from support_scope.changes.result import Diff
    from support_scope.decisiontests.result import DecisionTestReport
    from support_scope.problems import ValidationReport
    from support_scope.report.ci import Outcome
    from support_scope.versions.gate import CheckReport
    from support_scope.workbook.result import ImportResult


class OutcomeReporter(Reporter):
    """A CI format: this class, and one method writing an outcome in the format."""

    def render(self, outcome: Outcome) -> str:
        raise NotImplementedError

    def validation(self, report: ValidationReport) -> str:
        from support_scope.report import ci

        return self.render(ci.validation(report))

    def check(self, report: CheckReport) -> str:
        from support_scope.report import ci

        return self.render(ci.check(report))

    def diff(self, diff: Diff, old: str | None = None, new: str | None = None) -> str:
        from support_scope.report import ci

        return self.render(ci.diff(diff, old, new))

    def import_result(self, result: ImportResult) -> str:
        from support_scope.report import ci

        return self.render(ci.import_result(result))

    def decision_tests(self, report: DecisionTestReport) -> str:
        from support_scope.report import ci

        return self.render(ci.decision_tests(report))
