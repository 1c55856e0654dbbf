"""``--format text``: for people at a terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
        words = IMPORT_WORDS["en" if self.lang == "en" else "fr"]
        colon = words["colon"]
        lines = [words["head"].format(workbook=result.workbook, policy=result.policy)]
        if result.stale:
            merged = "" if result.policy_invalid else words["merged"]
            lines.append(
                f"{words['note']}{colon} {words['stale'].format(version=result.exported_version)}{merged}"
            )
        lines += [f"{words['error']}{colon} {p.where}{colon} {p.message}" for p in result.problems]
        lines += [f"{words['conflict']}{colon} {c.text(self.lang)}" for c in result.conflicts]
        lines += [f"{words['note']}{colon} {notice}" for notice in result.notices]
        for comment in result.comments:
            lines.append(f"{words['comment']}{colon} {comment_line(comment, colon)}")
        kept = comments_kept(result, words)
        if kept:
            lines.append(kept)
        diff = result.diff()
        if diff is not None and result.changed:
            from support_scope.changes.render import render_text

            lines.append(render_text(diff, color=self.color).rstrip("\n"))
        lines.append(import_outcome(result, self.lang))
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


# The import report's own words, by language (the messages come in the result's language).
IMPORT_WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "colon": " :",
        "head": "import de {workbook} dans {policy}",
        "stale": "la politique a changé depuis l'export (version exportée {version})",
        "merged": " ; les modifications sont fusionnées sur la politique actuelle",
        "error": "erreur",
        "conflict": "conflit",
        "note": "note",
        "comment": "commentaire",
        "kept": "{count} commentaire(s) nouveau(x), gardé(s) dans {log}",
        "would_keep": "{count} commentaire(s) nouveau(x), à garder dans {log} (rien écrit : essai)",
        "known": "commentaires déjà dans {log}",
        "invalid": "refusé : la politique elle-même n'est pas valide ({problems} dans {policy}) ; "
        "corrigez-la d'abord, puis importez ; rien n'est écrit",
        "refused": "refusé : {problems} problème(s), {conflicts} conflit(s) ; rien n'est écrit",
        "unchanged": "aucune modification : la politique reste telle quelle",
        "wrote": "écrit {policy}",
        "dry": "essai : rien n'est écrit",
    },
    "en": {
        "colon": ":",
        "head": "import {workbook} into {policy}",
        "stale": "the policy changed since the export (exported version {version})",
        "merged": "; edits merged onto it",
        "error": "error",
        "conflict": "conflict",
        "note": "note",
        "comment": "comment",
        "kept": "{count} new comment(s), kept in {log}",
        "would_keep": "{count} new comment(s), to be kept in {log} (nothing written: dry run)",
        "known": "comments already in {log}",
        "invalid": "refused: the policy itself is not valid ({problems} in {policy}); fix it first, "
        "then import; nothing written",
        "refused": "refused: {problems} problem(s), {conflicts} conflict(s); nothing written",
        "unchanged": "no changes: the policy is left as it is",
        "wrote": "wrote {policy}",
        "dry": "dry run: nothing written",
    },
}


def comment_line(comment: Any, colon: str) -> str:
    """A reviewer comment as the report shows it: cell (id, column), author, text."""
    about = ", ".join(part for part in (comment.key, comment.column) if part)
    head = f"{comment.cell}{f' ({about})' if about else ''}"
    if comment.author:
        head += f" — {comment.author}"
    return f"{head}{colon} {comment.text}"


def comments_kept(result: ImportResult, words: dict[str, str]) -> str | None:
    """Where the comments go, or went (None when there are none)."""
    if not result.comments or not result.review_log or not result.ok:
        return None
    if not result.new_comments:
        return words["known"].format(log=result.review_log)
    key = "kept" if result.log_written else "would_keep"
    return words[key].format(count=len(result.new_comments), log=result.review_log)


def import_outcome(result: ImportResult, lang: str = "en") -> str:
    """The last line of an import's report: what became of the policy."""
    words = IMPORT_WORDS["en" if lang == "en" else "fr"]
    if result.policy_invalid:
        count = sum(1 for problem in result.problems if problem.file == result.policy)
        problems = _plural(count, "problem") if lang == "en" else _plural(count, "problème")
        return words["invalid"].format(problems=problems, policy=result.policy)
    if not result.ok:
        return words["refused"].format(problems=len(result.problems), conflicts=len(result.conflicts))
    if not result.changed:
        return words["unchanged"]
    return words["wrote"].format(policy=result.policy) if result.written else words["dry"]
