"""``--format github``: GitHub Actions workflow commands, one per problem or change.

``::error file=F,line=L,col=C,title=RULE::message`` (``::warning``, ``::notice`` by level; see
:mod:`support_scope.report.ci`), which GitHub shows as annotations on the file's line in a pull
request. Values are escaped as GitHub's toolkit escapes them: in the message ``%``, CR and LF
(``%25``, ``%0D``, ``%0A``); in a property, also ``:`` and ``,`` (``%3A``, ``%2C``). The last
line is the summary, as plain text for the log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from support_scope.report.base import Reporter

if TYPE_CHECKING:
    from support_scope.changes.result import Diff
    from support_scope.decisiontests.result import DecisionTestReport
    from support_scope.problems import ValidationReport
    from support_scope.report import ci
    from support_scope.versions.gate import CheckReport
    from support_scope.workbook.result import ImportResult


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(annotation: ci.Annotation) -> str:
    """One workflow command for an annotation."""
    properties = []
    if annotation.file is not None:
        properties.append(f"file={escape_property(annotation.file)}")
        if annotation.line is not None:
            properties.append(f"line={annotation.line}")
            if annotation.column is not None:
                properties.append(f"col={annotation.column}")
    properties.append(f"title={escape_property(annotation.title)}")
    return f"::{annotation.level} {','.join(properties)}::{escape_data(annotation.message)}"


def render(outcome: ci.Outcome) -> str:
    lines = [command(annotation) for annotation in outcome.annotations]
    lines.append(outcome.summary)
    return "\n".join(lines) + "\n"


class GithubReporter(Reporter):
    name = "github"
    description = "GitHub Actions workflow commands: an annotation on the file's line per problem or change"

    def validation(self, report: ValidationReport) -> str:
        from support_scope.report import ci

        return render(ci.validation(report))

    def check(self, report: CheckReport) -> str:
        from support_scope.report import ci

        return render(ci.check(report))

    def diff(self, diff: Diff, old: str | None = None, new: str | None = None) -> str:
        from support_scope.report import ci

        return render(ci.diff(diff, old, new))

    def import_result(self, result: ImportResult) -> str:
        from support_scope.report import ci

        return render(ci.import_result(result))

    def decision_tests(self, report: DecisionTestReport) -> str:
        from support_scope.report import ci

        return render(ci.decision_tests(report))
