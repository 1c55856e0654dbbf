"""What the CI formats share: every result as annotations (one per problem or change) grouped
into test cases, so that GitHub workflow commands, SARIF and JUnit say the same thing.

- An :class:`Annotation` is one problem or change: a level (``error``, ``warning``,
  ``notice``), a rule id, a message, and a place (file, line, column) when one is known; a
  change also has its fingerprint.
- A :class:`Case` is what JUnit calls a test case: one per policy file (validate, check), per
  change (diff, import) or per decision test; it fails when it holds an ``error``.

Levels: a problem is an error. A diff change is an error when NEW's version is not above OLD's
by the step the change requires (as ``check`` requires it), else a warning when it is breaking or
flagged for legal review, else a notice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from support_scope.problems import Problem

if TYPE_CHECKING:
    from support_scope.changes.result import Change, Diff
    from support_scope.decisiontests.result import DecisionTestReport
    from support_scope.problems import ValidationReport
    from support_scope.versions.gate import CheckReport
    from support_scope.workbook.result import ImportResult

Level = Literal["error", "warning", "notice"]


@dataclass(frozen=True)
class Annotation:
    level: Level
    rule: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    fingerprint: str | None = None

    @property
    def title(self) -> str:
        return self.rule


@dataclass
class Case:
    """A JUnit test case: passed unless one of its annotations is an error (``error``: it could
    not be run at all, rather than failed)."""

    suite: str
    name: str
    annotations: list[Annotation] = field(default_factory=list)
    error: bool = False
    file: str | None = None
    line: int | None = None
    output: str = ""

    @property
    def failed(self) -> bool:
        return any(a.level == "error" for a in self.annotations)


@dataclass
class Outcome:
    """A result of the core, for the CI formats: its cases (with their annotations) and a summary."""

    title: str
    cases: list[Case]
    summary: str

    @property
    def annotations(self) -> list[Annotation]:
        return [a for case in self.cases for a in case.annotations]


def from_problem(problem: Problem, level: Level = "error") -> Annotation:
    where = problem.cell or ""
    if problem.path is not None:
        from support_scope.model.paths import render_path

        where = f"{where} {render_path(problem.path)}".strip()
    message = f"{where}: {problem.message}" if where else problem.message
    return Annotation(level, problem.rule, message, problem.file, problem.line, problem.column)


def _file_cases(suite: str, files: Iterable[str], problems: Iterable[Problem]) -> list[Case]:
    """One case per file (those named first, then any other a problem is in)."""
    cases: dict[str, Case] = {name: Case(suite, name, file=name) for name in files}
    for problem in problems:
        case = cases.setdefault(problem.file, Case(suite, problem.file, file=problem.file))
        case.annotations.append(from_problem(problem))
    return list(cases.values())


def validation(report: ValidationReport) -> Outcome:
    problems = report.problems
    files = len(report.files)
    summary = (
        f"ok: {files} file{'s' if files != 1 else ''} valid"
        if report.ok
        else f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {sum(1 for f in report.files if not f.ok)} of {files} file{'s' if files != 1 else ''}"
    )
    return Outcome("validate", _file_cases("validate", [f.file for f in report.files], problems), summary)


def check(report: CheckReport) -> Outcome:
    # The decision tests' problems are their own suites' cases, not the check's.
    tested = {problem for tests in report.decision_tests for problem in tests.all_problems}
    own = [p for p in report.problems if p not in tested]
    cases = _file_cases("check", [status.file for status in report.policies], own)
    for tests in report.decision_tests:
        cases.extend(decision_tests(tests).cases)
    summary = (
        f"ok: {len(report.policies)} polic{'ies' if len(report.policies) != 1 else 'y'}, "
        f"{report.releases_verified} release(s) verified"
        if report.ok
        else f"check failed: {len(report.problems)} problem{'s' if len(report.problems) != 1 else ''}"
    )
    return Outcome("check", cases, summary)


def change_level(change: Change, diff: Diff) -> Level:
    """error when NEW's version does not allow the change, else warning (breaking or legal
    review) or notice."""
    from support_scope.model.semver import bump_between, bump_satisfies
    from support_scope.model.vocab import BUMP_FOR

    if diff.old_version is not None and diff.new_version is not None:
        try:
            step = bump_between(diff.old_version, diff.new_version)
        except ValueError:
            step = None
        if not bump_satisfies(step, BUMP_FOR[change.severity]):
            return "error"
    return "warning" if change.severity == "breaking" or change.legal_review else "notice"


def change_message(change: Change, diff: Diff, level: Level) -> str:
    from support_scope.changes.render import plain_words, plans_summary
    from support_scope.model.vocab import BUMP_FOR

    parts = [f"{change.severity}: {change.message}"]
    who = plans_summary(change)
    if who:
        parts.append(f"plans: {who}")
    if change.words is not None:
        parts.append(plain_words(change.words))
    if change.legal_review:
        parts.append("legal review: a lawyer reads this change")
    if level == "error":
        parts.append(
            f"needs a {BUMP_FOR[change.severity]} version step: NEW is {diff.new_version}, OLD {diff.old_version}"
        )
    location = change.location
    if location is not None and (location.side == "old" or location.note):
        said = ["removed: shown where it was, in OLD" if location.side == "old" else None, location.note]
        parts.append("(" + "; ".join(s for s in said if s) + ")")
    return "\n".join(parts)


def change_annotation(change: Change, diff: Diff) -> Annotation:
    level = change_level(change, diff)
    location = change.location
    return Annotation(
        level,
        change.rule,
        change_message(change, diff, level),
        location.file if location else None,
        location.line if location else None,
        location.column if location else None,
        change.fingerprint,
    )


def _change_name(change: Change) -> str:
    ids = " › ".join(value for key, value in change.ids.items() if key != "moved")
    return f"{change.rule} {ids or change.where}"


def diff(result: Diff, old: str | None = None, new: str | None = None) -> Outcome:
    title = f"diff {old or result.old_id} → {new or result.new_id}"
    cases = []
    for change in result.changes:
        annotation = change_annotation(change, result)
        location = change.location
        cases.append(
            Case(
                title,
                _change_name(change),
                [annotation],
                file=location.file if location else None,
                line=location.line if location else None,
                output=annotation.message,
            )
        )
    count = len(result.changes)
    summary = (
        f"{count} change{'s' if count != 1 else ''}; required version bump: {result.required_bump or 'none'}"
        if count
        else "no changes"
    )
    advice = result.version_advice()
    return Outcome(title, cases, summary + (f"; {advice}" if advice else ""))


def import_result(result: ImportResult) -> Outcome:
    from support_scope.report.text import import_outcome

    suite = f"import {result.workbook}"
    workbook = Case(suite, result.workbook, file=result.workbook)
    workbook.annotations += [from_problem(p) for p in result.problems]
    workbook.annotations += [
        Annotation("error", "conflict", f"{c.cell}: {c}", result.workbook) for c in result.conflicts
    ]
    cases = [workbook]
    found = result.diff()
    if found is not None:
        cases += diff(found).cases
        for case in cases[1:]:
            case.suite = suite
    return Outcome(suite, cases, import_outcome(result))


def decision_tests(report: DecisionTestReport) -> Outcome:
    cases: list[Case] = []
    by_file: dict[str, Case] = {}
    for problem in report.problems:  # a file that cannot be run is one case, in error
        case = by_file.setdefault(
            problem.file, Case(f"decision tests {problem.file}", problem.file, error=True, file=problem.file)
        )
        case.annotations.append(from_problem(problem))
    cases.extend(by_file.values())
    for result in report.results:
        cases.append(
            Case(
                f"decision tests {result.file}",
                result.id,
                [from_problem(p) for p in result.problems],
                error=result.status == "error",
                file=result.file,
                line=result.line,
                output=result.why or "",
            )
        )
    coverage = report.coverage_problem
    if coverage is not None:
        cases.append(Case("decision tests", "coverage", [from_problem(coverage)]))
    summary = report.summary() + (f"; {report.coverage}" if report.coverage is not None else "")
    return Outcome("decision tests", cases, summary)


def rule_help(rule: str) -> str:
    """What a rule id means, for SARIF's rule descriptions: the diff's rule table, then the
    problems' (:data:`support_scope.problems.RULE_HELP`)."""
    from support_scope.changes.rules import RULES
    from support_scope.problems import RULE_HELP

    if rule in RULES:
        found = RULES[rule]
        return f"{found.description} ({found.severity}; a change of kind: {found.kind})"
    if rule in RULE_HELP:
        return RULE_HELP[rule]
    if rule.startswith("unknown-"):  # validate's references: unknown-tier, unknown-referral, ...
        return (
            f"The document names a {rule.removeprefix('unknown-').replace('-', ' ')} it does not declare "
            "(a typo, or a declaration missing)."
        )
    return f"A problem of kind {rule!r}: the message says what is wrong and where."
