"""Running decision tests: each question asked of a ruleset, its answer held to the expectation.

The answer compared is :meth:`Decision.to_json`, the shape every service reads:

- ``outcome``, ``tier`` and ``conditional`` must be equal;
- ``pending`` must be exactly the decision's ``pending_facts`` (the facts still to ask: an
  answer that asks for more than it needs is as wrong as one that asks for less);
- every id of ``referrals`` and ``offers`` must be among the decision's, every line of ``cites``
  among its ``cites`` (the decision may carry more);
- ``headline``: the first line of the text answer, in each language given, begins so.

A question the ruleset refuses (an unknown id, a fact of the wrong type) is an error, located at
the question.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from support_scope.decisiontests.cases import TestFile
from support_scope.decisiontests.result import CaseResult, Coverage, DecisionTestReport, Failure, Measure
from support_scope.errors import SupportScopeError

if TYPE_CHECKING:
    from support_scope.consume.ruleset import Ruleset
    from support_scope.consume.values import Decision


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _listed(values: Iterable[Any]) -> str:
    shown = ", ".join(str(v) for v in values)
    return shown or "none"


def _ids(entries: Any) -> list[Any]:
    """The ids of a list of ``{"id": ...}`` records (or of plain ids)."""
    if not isinstance(entries, list):
        return []
    return [e.get("id") if isinstance(e, dict) else e for e in entries]


def compare(
    expect: Mapping[str, Any], answer: Mapping[str, Any], headlines: Callable[[str], str] | None = None
) -> list[tuple[str, str]]:
    """Each expectation the answer (a :meth:`Decision.to_json`) does not keep: (key, message).

    ``headlines`` gives the first line of the text answer in a language (for ``headline``).
    """
    failures: list[tuple[str, str]] = []
    for key in ("outcome", "tier", "conditional"):
        if key in expect and (
            answer.get(key) != expect[key] or type(answer.get(key)) is not type(expect[key])
        ):
            failures.append((key, f"expected {key} {_shown(expect[key])}, got {_shown(answer.get(key))}"))
    if "pending" in expect:
        wanted, got_facts = sorted(expect["pending"]), sorted(answer.get("pending_facts") or [])
        if wanted != got_facts:
            failures.append(
                (
                    "pending",
                    f"expected the facts still to ask to be {_listed(wanted)}, got {_listed(got_facts)}",
                )
            )
    for key, answer_key, what in (
        ("referrals", "referrals", "referral"),
        ("offers", "offers", "offer"),
        ("cites", "cites", "cited line"),
    ):
        if key not in expect:
            continue
        got = _ids(answer.get(answer_key))
        missing = [value for value in expect[key] if value not in got]
        if missing:
            failures.append(
                (
                    key,
                    f"expected {what}{'s' if len(missing) > 1 else ''} {_listed(missing)} "
                    f"(the decision has: {_listed(got)})",
                )
            )
    for language, start in (expect.get("headline") or {}).items():
        shown = headlines(language) if headlines is not None else ""
        if not shown.startswith(start):
            failures.append(("headline", f"expected the {language} answer to begin {start!r}, got {shown!r}"))
    return failures


class Runner:
    """Asks a ruleset the questions of decision test files, and measures what they cover."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self.items: set[tuple[str, str]] = set()
        self.kinds: set[str] = set()
        self.conditions: set[str] = set()

    def run(self, files: Iterable[TestFile]) -> list[CaseResult]:
        results: list[CaseResult] = []
        for test_file in files:
            results.extend(self.case(test_file, index, case) for index, case in enumerate(test_file.cases))
        return results

    def case(self, test_file: TestFile, index: int, case: Mapping[str, Any]) -> CaseResult:
        question, expect = case["question"], case["expect"]
        line, column = test_file.place(("cases", index))
        base = {
            "file": test_file.display,
            "index": index,
            "id": case["id"],
            "line": line,
            "column": column,
            "why": case.get("why"),
            "source": tuple(case.get("source", ())),
        }

        def failure(key: str, message: str) -> Failure:
            path = ("cases", index, "question") if key == "question" else ("cases", index, "expect", key)
            found_line, found_column = test_file.place(path)
            return Failure(key, message, path, found_line, found_column)

        try:
            decision = self.ruleset.decide(**self._arguments(question))
        except SupportScopeError as e:
            return CaseResult(
                **base, status="error", failures=(failure("question", f"the question cannot be asked: {e}"),)
            )
        answer = decision.to_json()
        self._touched(question, answer)
        failures = tuple(
            failure(key, message) for key, message in compare(expect, answer, _headlines(decision))
        )
        return CaseResult(
            **base, status="failed" if failures else "passed", failures=failures, decision=answer
        )

    @staticmethod
    def _arguments(question: Mapping[str, Any]) -> dict[str, Any]:
        arguments = {
            key: question[key]
            for key in ("plan", "category", "item", "product", "request")
            if key in question
        }
        if "context" in question:
            arguments["context"] = dict(question["context"])
        return arguments

    def _touched(self, question: Mapping[str, Any], answer: Mapping[str, Any]) -> None:
        citation = answer.get("citation") or {}
        category, item = citation.get("category"), citation.get("item")
        if isinstance(category, str) and isinstance(item, str):
            self.items.add((category, item))
        if isinstance(question.get("request"), str):
            self.kinds.add(question["request"])
        for checked in answer.get("conditions") or ():
            if isinstance(checked, dict):
                self.conditions.add(_condition_label(checked.get("scope"), checked.get("id"), answer))

    def coverage(self) -> Coverage:
        """What the cases asked so far touch of the ruleset: items, request kinds, conditions."""
        ruleset = self.ruleset
        items = [f"{category} › {item}" for category, item in dict.fromkeys(ruleset.rules())]
        touched_items = {f"{category} › {item}" for category, item in self.items}
        measures = [_measure("items", items, touched_items)]
        measures.append(_measure("request kinds", list(ruleset.request_kinds), self.kinds))
        measures.append(_measure("conditions", _conditions(ruleset), self.conditions))
        return Coverage(tuple(measures))


def _headlines(decision: Decision) -> Callable[[str], str]:
    def first_line(language: str) -> str:
        from support_scope.report.answers import headline

        return headline(decision, language)

    return first_line


def _condition_label(scope: Any, condition_id: Any, answer: Mapping[str, Any]) -> str:
    if scope == "eligibility":
        return f"eligibility › {condition_id}"
    return f"{answer.get('category')} › {condition_id}"


def _conditions(ruleset: Ruleset) -> list[str]:
    """Every condition of the release: eligibility's, then each category's."""
    labels = [f"eligibility › {condition.id}" for condition in ruleset.eligibility_conditions]
    for category in ruleset.categories.values():
        labels += [f"{category['id']} › {c['id']}" for c in category["conditions"]]
    return list(dict.fromkeys(labels))


def _measure(name: str, universe: list[str], touched: set[str]) -> Measure:
    return Measure(
        name,
        tuple(x for x in universe if x in touched),
        tuple(x for x in universe if x not in touched),
    )


def run_tests(
    ruleset: Ruleset,
    files: Iterable[TestFile],
    answered_by: str,
    min_coverage: float | None = None,
) -> DecisionTestReport:
    """Run every case of ``files`` (those that are valid) against ``ruleset``."""
    files = list(files)
    runner = Runner(ruleset)
    report = DecisionTestReport(
        ruleset.policy_id,
        ruleset.policy_version,
        answered_by,
        files=[f.display for f in files],
        min_coverage=min_coverage,
    )
    for test_file in files:
        report.problems.extend(test_file.problems)
    report.results = runner.run(f for f in files if not f.problems)
    report.coverage = runner.coverage()
    return report


def policy_ruleset(document: dict[str, Any], text: str | None, display: str) -> Ruleset:
    """The ruleset of a policy as it stands, compiled in memory (a :class:`PolicyError` listing
    every problem when it is not valid)."""
    from support_scope.compile.compiler import compile_policy
    from support_scope.consume.ruleset import Ruleset

    release = compile_policy(document, (text or "").encode("utf-8"), display=display)
    policy: Callable[[], dict[str, Any]] = lambda: release["policy"]  # noqa: E731
    return Ruleset(release["compiled"], release["manifest"], policy, source=f"{display}, compiled in memory")
