"""The conformance vectors: questions answered by hand from the French source, asked of the policy as it stands.

`tests/decisions/act-premium-conformance.json` was written from the source, each case with the
lines that justify it (its `description` says how an answer is checked); READING.md beside it
sets out the readings chosen where the source is ambiguous. Nothing here reads an expectation
back from the policy or the release.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import SEED
from support_scope import Ruleset
from support_scope.decisiontests.runner import compare
from support_scope.report.answers import headline

CONFORMANCE = Path(__file__).resolve().parent / "decisions" / "act-premium-conformance.json"
DOCUMENT = json.loads(CONFORMANCE.read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = DOCUMENT["cases"]
EXPECT_KEYS = {"outcome", "conditional", "tier", "pending", "referrals", "offers", "cites", "headline"}
QUESTION_KEYS = {"plan", "category", "item", "request", "product", "context"}


def ask(ruleset: Ruleset, question: dict[str, Any]) -> Any:
    asked = dict(question)
    context = asked.pop("context", None)
    return ruleset.decide(context=context, **asked)


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case(ruleset: Ruleset, case: dict[str, Any]) -> None:
    """Each case checked as `support-scope test` checks it (one comparison, in the runner)."""
    expect = case["expect"]
    decision = ask(ruleset, case["question"])
    answer = decision.to_json()
    assert compare(expect, answer, lambda language: headline(decision, language)) == [], decision.reason.en
    if "pending" not in expect and expect.get("conditional") is False:
        assert answer["pending_facts"] == []  # settled: nothing left to ask


def test_the_file_is_well_formed() -> None:
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 40
    for case in CASES:
        assert set(case) == {"id", "tags", "source", "why", "question", "expect"}, case["id"]
        assert set(case["question"]) <= QUESTION_KEYS and {"plan", "category"} <= set(case["question"])
        assert not {"item", "request"} <= set(case["question"]), case["id"]
        assert set(case["expect"]) <= EXPECT_KEYS and "outcome" in case["expect"], case["id"]
        assert case["why"] and case["source"] == sorted(set(case["source"])), case["id"]
        assert set(case["tags"]) <= {f"cause-{n}" for n in range(1, 8)}, case["id"]


def test_every_cause_outcome_kind_and_language_is_covered(ruleset: Ruleset) -> None:
    causes = {tag for case in CASES for tag in case["tags"]}
    assert causes == {f"cause-{n}" for n in range(1, 8)}
    assert {case["expect"]["outcome"] for case in CASES} == {
        "included",
        "upgrade",
        "excluded",
        "ineligible",
        "unlisted",
    }
    asked_kinds = {case["question"]["request"] for case in CASES if "request" in case["question"]}
    assert asked_kinds == set(ruleset.request_kinds)
    assert any(case["expect"].get("conditional") for case in CASES)
    languages = {language for case in CASES for language in case["expect"].get("headline", {})}
    assert languages == {"fr", "en"}


def test_every_condition_and_term_is_decisive_in_some_case(ruleset: Ruleset) -> None:
    """Each condition, not-covered term and resolution rule decides (or is left open) somewhere."""
    deciding: set[str] = set()
    for case in CASES:
        decision = ask(ruleset, case["question"])
        if decision.rule.kind in ("eligibility", "condition", "term", "note"):
            deciding.add(str(decision.rule.id))
        deciding.update(check.id for check in decision.pending)
    tested = {c["id"] for c in ruleset._compiled["eligibility"]["conditions"]}
    for category in ruleset.categories.values():
        tested.update(c["id"] for c in category["conditions"])
        tested.update(n["id"] for n in category["notes"] if n["kind"] == "resolution-rule")
    tested.update(t["id"] for t in ruleset._compiled["general_terms"] if t["kind"] == "not-covered")
    assert tested - deciding == set()


@pytest.mark.skipif(not SEED.is_file(), reason=f"source document not available at {SEED}")
def test_every_cited_line_is_a_line_of_the_source() -> None:
    lines = SEED.read_text(encoding="utf-8").split("\n")
    for case in CASES:
        for number in {*case["source"], *case["expect"].get("cites", [])}:
            assert 1 <= number <= len(lines) and lines[number - 1].strip(), (case["id"], number)
