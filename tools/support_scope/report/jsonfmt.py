"""``--format json``: every result as the JSON its ``to_json`` gives, deterministic (sorted keys, UTF-8).

One line, no indentation: machines read it (``jq .`` or ``python -m json.tool`` show it to
people), and the standard library writes it in C, some ten times faster than indented output,
which is what a 10,000-category diff's 3,000 changes need.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from support_scope.report.base import Reporter

if TYPE_CHECKING:
    from support_scope.changes.result import Diff
    from support_scope.changes.rules import Rule
    from support_scope.consume.values import DecisionAnswer, FindAnswer
    from support_scope.decisiontests.result import DecisionTestReport
    from support_scope.problems import ValidationReport
    from support_scope.versions.gate import CheckReport
    from support_scope.versions.release import ReleaseOutcome
    from support_scope.workbook.result import ImportResult


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


class JsonReporter(Reporter):
    name = "json"
    description = "JSON for machines (each command's shape is in its --help)"

    def validation(self, report: ValidationReport) -> str:
        return dumps(report.to_json())

    def check(self, report: CheckReport) -> str:
        return dumps(report.to_json())

    def diff(self, diff: Diff, old: str | None = None, new: str | None = None) -> str:
        data = diff.to_json()
        data["old"]["source"], data["new"]["source"] = old, new
        return dumps(data)

    def rules(self, rules: list[Rule]) -> str:
        return dumps([rule.to_json() for rule in rules])

    def import_result(self, result: ImportResult) -> str:
        return dumps(result.to_json())

    def decision(self, answer: DecisionAnswer) -> str:
        return dumps(answer.to_json())

    def matches(self, answer: FindAnswer) -> str:
        return dumps(answer.to_json())

    def release(self, outcome: ReleaseOutcome) -> str:
        return dumps(outcome.to_json())

    def decision_tests(self, report: DecisionTestReport) -> str:
        return dumps(report.to_json())
