"""``--format text``: for people at a terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from support_scope.report.answers import answered_by, decision_lines, find_lines
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


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


class TextReporter(Reporter):
    name = "text"
    description = "for people (the default)"

    def validation(self, report: ValidationReport) -> str:
        lines = [f"{result.file}: ok" for result in report.files if result.ok]
        lines += [str(problem) for problem in report.problems]
        files = len(report.files)
        if report.ok:
            lines.append(f"ok: {_plural(files, 'file')} valid")
        else:
            bad = sum(1 for f in report.files if not f.ok)
            lines.append(f"{_plural(len(report.problems), 'problem')} in {bad} of {_plural(files, 'file')}")
        return "\n".join(lines) + "\n"

    def check(self, report: CheckReport) -> str:
        lines = [str(problem) for problem in report.problems]
        for status in report.policies:
            if status.state == "invalid":
                continue
            detail = {
                "released": f"same as its release {status.latest_release}",
                "pending": f"changed since {status.latest_release} (needs {status.required_bump or 'a new version'}), "
                f"version {status.version}",
                "unreleased": "never released",
                "unverified": f"not compared: its latest release {status.latest_release} is damaged",
            }[status.state]
            lines.append(f"{status.policy_id} {status.version}: {detail}")
        for tests in report.decision_tests:
            lines.append(f"{tests.summary()}; {tests.coverage}")
        if report.ok:
            cases = sum(len(tests.results) for tests in report.decision_tests)
            lines.append(
                f"ok: {_plural(len(report.policies), 'policy', 'policies')}, "
                f"{_plural(report.releases_verified, 'release')} verified"
                + (f", {_plural(cases, 'decision test')} passed" if report.decision_tests else "")
            )
        else:
            lines.append(f"check failed: {_plural(len(report.problems), 'problem')}")
        return "\n".join(lines) + "\n"

    def diff(self, diff: Diff, old: str | None = None, new: str | None = None) -> str:
        from support_scope.changes.render import render_text

        return render_text(diff, color=self.color)

    def rules(self, rules: list[Rule]) -> str:
        width = max(len(rule.id) for rule in rules)
        return "\n".join(f"{r.id:{width}}  {r.severity:9}  {r.description}" for r in rules) + "\n"

    def import_result(self, result: ImportResult) -> str:
        lines = [f"import {result.workbook} into {result.policy}"]
        if result.stale:
            merged = "" if result.policy_invalid else "; edits merged onto it"
            lines.append(
                f"note: the policy changed since the export (exported version {result.exported_version}){merged}"
            )
        lines += [f"error: {problem}" for problem in result.problems]
        lines += [f"conflict: {conflict}" for conflict in result.conflicts]
        lines += [f"note: {notice}" for notice in result.notices]
        for comment in result.comments:
            lines.append(
                f"comment: {comment.cell}{f' ({comment.key})' if comment.key else ''}: {comment.text}"
            )
        diff = result.diff()
        if diff is not None and result.changed:
            from support_scope.changes.render import render_text

            lines.append(render_text(diff, color=self.color).rstrip("\n"))
        lines.append(import_outcome(result))
        return "\n".join(lines) + "\n"

    def decision(self, answer: DecisionAnswer) -> str:
        return (
            "\n".join([*decision_lines(answer.decision, self.lang), answered_by(answer.release, self.lang)])
            + "\n"
        )

    def matches(self, answer: FindAnswer) -> str:
        return "\n".join(find_lines(answer, self.lang, self.color)) + "\n"

    def decision_tests(self, report: DecisionTestReport) -> str:
        lines = [str(problem) for problem in report.all_problems]
        lines.append(report.summary())
        if report.coverage is not None:
            lines.append(str(report.coverage))
        if report.ok:
            lines.append(f"ok: {_plural(len(report.results), 'case')} passed")
        else:
            lines.append(f"decision tests failed: {_plural(len(report.all_problems), 'problem')}")
        return "\n".join(lines) + "\n"

    def release(self, outcome: ReleaseOutcome) -> str:
        plan = outcome.plan
        if plan is None:
            return outcome.message + "\n"
        verb = "would release" if outcome.dry_run else "released"
        previous = (
            f" (previous: {plan.previous}; changes require {plan.required_bump or 'nothing'})"
            if plan.previous
            else " (first release)"
        )
        prefix = "would write" if outcome.dry_run else "wrote"
        lines = [f"{verb} {plan.policy_id} {plan.version}{previous}", f"  {prefix} {plan.release_path}"]
        if outcome.rewrites_policy:
            lines.append(f"  {prefix} {plan.policy_path} (version {plan.version})")
        lines += [f"  {prefix} {plan.changelog_path}: section drafted below; edit it before merging", ""]
        return "\n".join(lines) + "\n" + plan.section


def import_outcome(result: ImportResult) -> str:
    """The last line of an import's report: what became of the policy."""
    if result.policy_invalid:
        count = sum(1 for problem in result.problems if problem.file == result.policy)
        return (
            f"refused: the policy itself is not valid ({_plural(count, 'problem')} in "
            f"{result.policy}); fix it first, then import; nothing written"
        )
    if not result.ok:
        return f"refused: {len(result.problems)} problem(s), {len(result.conflicts)} conflict(s); nothing written"
    if not result.changed:
        return "no changes: the policy is left as it is"
    return f"wrote {result.policy}" if result.written else "dry run: nothing written"
