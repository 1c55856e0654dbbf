"""``--format github``: GitHub Actions workflow commands, one per problem or change.

``::error file=F,line=L,col=C,title=RULE::message`` (``::warning``, ``::notice`` by level; see
:mod:`support_scope.report.ci`), which GitHub shows as annotations on the file's line in a pull
request. Values are escaped as GitHub's toolkit escapes them: in the message ``%``, CR and LF
(``%25``, ``%0D``, ``%0A``); in a property, also ``:`` and ``,`` (``%3A``, ``%2C``). The last
line is the summary, as plain text for the log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from support_scope.report.outcome import OutcomeReporter

if TYPE_CHECKING:
    from support_scope.report import ci


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


class GithubReporter(OutcomeReporter):
    name = "github"
    description = "GitHub Actions workflow commands: an annotation on the file's line per problem or change"

    def render(self, outcome: ci.Outcome) -> str:
        return render(outcome)
