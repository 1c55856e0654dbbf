"""Decision tests (`support-scope test`, and `check` running them): files of questions with the
answers a policy must keep. The policies are small ones from tests/builders.py; expected places
are found in the test files' text by hand."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from builders import compiled, small_policy, write_policy
from support_scope.compile.compiler import release_bytes
from support_scope.decisiontests.runner import compare
from support_scope.fileio.jsonfile import dump_json

ACTIVE = {"active_subscription": True}


def _case(case_id: str, question: dict[str, Any], expect: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": case_id, **extra, "question": question, "expect": expect}


def _q(item: str | None, plan: str = "standard", category: str = "setup", **extra: Any) -> dict[str, Any]:
    question: dict[str, Any] = {"plan": plan, "category": category}
    if item is not None:
        question["item"] = item
    return {**question, "product": "act-premium", "context": dict(ACTIVE), **extra}


PASSING = [
    _case("kb-self-service", _q("setup-kb"), {"outcome": "included", "tier": "self-service"}, source=[10]),
    _case("errors-standard", _q("setup-errors"), {"outcome": "included", "tier": "standard"}),
    _case("advice-needs-extended", _q("setup-advice"), {"outcome": "upgrade", "tier": "extended"}),
    _case(
        "plugin-excluded",
        _q("setup-plugin", plan="extended"),
        {"outcome": "excluded", "tier": None, "referrals": ["vendor"]},
        why="Third-party plug-ins: the vendor.",
    ),
    _case("old-product", {**_q("setup-kb"), "product": "old-product"}, {"outcome": "ineligible"}),
]


def _line_of(text: str, needle: str, after: str) -> tuple[int, int]:
    index = text.index(needle, text.index(after))
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with the small policy, released, in its CHANGELOG, and decision tests that pass."""
    document = small_policy()
    (tmp_path / "policies").mkdir()
    write_policy(tmp_path / "policies" / "small-policy.json", document)
    (tmp_path / "releases" / "small-policy").mkdir(parents=True)
    (tmp_path / "releases" / "small-policy" / "1.2.3.json").write_bytes(release_bytes(compiled(document)))  # type: ignore[arg-type]
    (tmp_path / "CHANGELOG.md").write_text(
        "# Changelog\n\n## [Unreleased]\n\n## [policy small-policy 1.2.3] - 2026-01-01\n", encoding="utf-8"
    )
    _write_tests(tmp_path / "tests" / "decisions" / "small.json", PASSING)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _write_tests(path: Path, cases: list[dict[str, Any]], description: str = "small") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_json({"description": description, "cases": cases}), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- passing and failing


def test_passing_tests(run_cli: Any, project: Path) -> None:
    result = run_cli("test")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "decision tests: 5 cases in 1 file against small-policy 1.2.3 "
        "(policies/small-policy.json, compiled in memory): 5 passed, 0 failed, 0 errors"
    )
    # 10 rules (8 items and the 2 that `onboarding-as-setup` refers to), 4 asked; 2 conditions, 1 checked
    # (the category condition of `onboarding` is not asked); mean of 40% and 50%.
    assert lines[1] == "coverage 45.0%: items 4/10 (40.0%), conditions 1/2 (50.0%)"
    assert lines[-1] == "ok: 5 cases passed"


def test_a_failure_is_located_at_its_expectation(run_cli: Any, project: Path) -> None:
    cases = copy.deepcopy(PASSING)
    cases[1]["expect"]["outcome"] = "upgrade"
    cases[3]["expect"]["referrals"] = ["vendor", "it-professional"]
    path = _write_tests(project / "tests" / "decisions" / "small.json", cases)
    text = path.read_text(encoding="utf-8")
    result = run_cli("test")
    assert result.exit_code == 1
    # Located where the expected value starts.
    outcome = _line_of(text, '"upgrade"', '"errors-standard"')
    referrals = _line_of(text, "[", '"referrals"')
    assert result.output.splitlines()[:2] == [
        f"tests/decisions/small.json:{outcome[0]}:{outcome[1]} $.cases[1].expect.outcome: "
        "case 'errors-standard': expected outcome 'upgrade', got 'included'",
        f"tests/decisions/small.json:{referrals[0]}:{referrals[1]} $.cases[3].expect.referrals: "
        "case 'plugin-excluded': expected referral it-professional (the decision has: vendor)",
    ]
    assert "3 passed, 2 failed, 0 errors" in result.output


def test_a_question_that_cannot_be_asked_is_an_error(run_cli: Any, project: Path) -> None:
    cases = [
        _case("gold-plan", _q("setup-kb", plan="gold"), {"outcome": "included"}),
        _case(
            "bad-fact", {**_q("setup-kb"), "context": {"active_subscription": "yes"}}, {"outcome": "included"}
        ),
    ]
    path = _write_tests(project / "tests" / "decisions" / "small.json", cases)
    result = run_cli("test", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert [c["status"] for c in data["cases"]] == ["error", "error"]
    first = data["cases"][0]["failures"][0]
    question = _line_of(path.read_text(encoding="utf-8"), "{", '"question"')
    assert (first["expectation"], first["line"], first["column"]) == ("question", *question)
    assert first["message"].startswith("the question cannot be asked: unknown plan 'gold'")
    assert "fact 'active_subscription' is a boolean" in data["cases"][1]["failures"][0]["message"]


def test_expectations_the_answer_does_not_keep(run_cli: Any, project: Path) -> None:
    cases = [
        _case(
            "kind",
            {"plan": "standard", "category": "setup", "request": "dialog-error"},
            {"outcome": "included"},
        ),
        _case(
            "promises",
            _q("setup-errors"),
            {
                "outcome": "included",
                "conditional": True,
                "offers": ["hourly"],
                "pending": ["new_customer"],
                "cites": [99],
                "headline": {"en": "INCLUDED IF"},
            },
        ),
    ]
    _write_tests(project / "tests" / "decisions" / "small.json", cases)
    data = json.loads(run_cli("test", "--format", "json").output)
    messages = [(c["id"], f["expectation"], f["message"]) for c in data["cases"] for f in c["failures"]]
    # The small policy declares no request kind; its errors line is settled by the context given.
    assert messages == [
        (
            "kind",
            "question",
            "the question cannot be asked: unknown request kind 'dialog-error' (known: none declared)",
        ),
        ("promises", "conditional", "expected conditional true, got false"),
        ("promises", "pending", "expected the facts still to ask to be new_customer, got none"),
        ("promises", "offers", "expected offer hourly (the decision has: none)"),
        ("promises", "cites", "expected cited line 99 (the decision has: 11)"),
        (
            "promises",
            "headline",
            "expected the en answer to begin 'INCLUDED IF', got 'INCLUDED: Included in the “Offre standard (en)” plan (Assistance standard (en) tier).'",
        ),
    ]
    assert [c["status"] for c in data["cases"]] == ["error", "failed"]


def test_compare_reads_the_decisions_of_the_engine() -> None:
    """The expectation keys against a Decision.to_json(): request kinds, conditional answers,
    offers, the facts still to ask (exactly) and cited lines (at least)."""
    answer = {
        "outcome": "included",
        "tier": "standard",
        "conditional": True,
        "referrals": [{"id": "it-professional"}],
        "offers": [{"id": "hourly-technical-service", "billing": {}}],
        "pending_facts": ["booked_through_sales", "new_customer"],
        "cites": [15, 38],
    }
    assert (
        compare(
            {
                "outcome": "included",
                "tier": "standard",
                "conditional": True,
                "referrals": ["it-professional"],
                "offers": ["hourly-technical-service"],
                "pending": ["new_customer", "booked_through_sales"],
                "cites": [15],
                "headline": {"fr": "INCLUS SI"},
            },
            answer,
            lambda language: "INCLUS SI les faits à demander le confirment" if language == "fr" else "",
        )
        == []
    )
    assert compare(
        {
            "outcome": "included",
            "conditional": False,
            "offers": ["certified-consultant"],
            "pending": ["new_customer"],
            "cites": [22, 15],
        },
        answer,
    ) == [
        ("conditional", "expected conditional false, got true"),
        (
            "pending",
            "expected the facts still to ask to be new_customer, got booked_through_sales, new_customer",
        ),
        ("offers", "expected offer certified-consultant (the decision has: hourly-technical-service)"),
        ("cites", "expected cited line 22 (the decision has: 15, 38)"),
    ]
    # A tier expected null is not kept by a tier given; false is not 0.
    assert compare({"outcome": "excluded", "tier": None}, {"outcome": "excluded", "tier": "standard"}) == [
        ("tier", "expected tier none, got 'standard'")
    ]


# --------------------------------------------------------------------------- the files


def test_an_invalid_file_is_reported_located_and_not_run(run_cli: Any, project: Path) -> None:
    cases = copy.deepcopy(PASSING[:2])
    cases[0]["expect"]["outcom"] = "included"
    cases[1]["id"] = cases[0]["id"]
    path = _write_tests(project / "tests" / "decisions" / "small.json", cases)
    text = path.read_text(encoding="utf-8")
    result = run_cli("test")
    assert result.exit_code == 1
    expect = _line_of(text, "{", '"expect"')
    assert result.output.splitlines()[0] == (
        f"tests/decisions/small.json:{expect[0]}:{expect[1]} $.cases[0].expect: "
        "unknown property ('outcom' was unexpected)"
    )
    assert "0 cases in 1 file" in result.output
    cases[0]["expect"].pop("outcom")
    _write_tests(path, cases)
    duplicate = run_cli("test")
    assert (
        "$.cases[1].id: case id 'kb-self-service' is used twice in this file (first by case 1)"
        in duplicate.output
    )
    path.write_text('{"cases": [', encoding="utf-8")
    broken = run_cli("test")
    assert broken.exit_code == 1 and "tests/decisions/small.json:1:12: not valid JSON" in broken.output


def test_no_tests_is_an_error_not_a_pass(run_cli: Any, project: Path) -> None:
    (project / "tests" / "decisions" / "small.json").unlink()
    result = run_cli("test")
    assert result.exit_code == 1
    assert "no decision tests: none in tests/decisions/ for small-policy" in result.output


def test_named_files_and_a_release(run_cli: Any, project: Path, tmp_path: Path) -> None:
    other = _write_tests(project / "elsewhere" / "one.json", PASSING[:1])
    assert run_cli("test", str(other)).exit_code == 0
    assert "1 case in 1 file" in run_cli("test", str(other.parent)).output
    release = project / "releases" / "small-policy" / "1.2.3.json"
    result = run_cli("test", "--release", str(release))
    assert result.exit_code == 0, result.output
    assert f"against small-policy 1.2.3 ({release})" in result.output
    assert run_cli("test", "--release", str(release), "--policy", "small-policy").exit_code == 2


def test_min_coverage(run_cli: Any, project: Path) -> None:
    assert run_cli("test", "--min-coverage", "45").exit_code == 0
    result = run_cli("test", "--min-coverage", "60")
    assert result.exit_code == 1
    assert "decision tests cover 45.0% of small-policy, below the minimum 60%" in result.output
    assert run_cli("test", "--min-coverage", "101").exit_code == 2


def test_the_policy_as_it_stands_not_its_release(run_cli: Any, project: Path) -> None:
    document = small_policy()
    document["categories"][0]["items"][1]["tier"] = "extended"  # setup-errors: not released yet
    write_policy(project / "policies" / "small-policy.json", document)
    assert run_cli("test").exit_code == 1
    release = project / "releases" / "small-policy" / "1.2.3.json"
    assert run_cli("test", "--release", str(release)).exit_code == 0


# --------------------------------------------------------------------------- check runs them


def test_check_runs_the_decision_tests(run_cli: Any, project: Path) -> None:
    result = run_cli("check")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "ok: 1 policy, 1 release verified, 5 decision tests passed"
    cases = copy.deepcopy(PASSING)
    cases[0]["expect"]["tier"] = "standard"
    _write_tests(project / "tests" / "decisions" / "small.json", cases)
    failed = run_cli("check")
    assert failed.exit_code == 1
    assert (
        "$.cases[0].expect.tier: case 'kb-self-service': expected tier 'standard', got 'self-service'"
        in failed.output
    )
    assert run_cli("check", "--no-decision-tests").exit_code == 0
    data = json.loads(run_cli("check", "--format", "json").output)
    assert data["decision_tests"][0]["summary"] == {"cases": 5, "passed": 4, "failed": 1, "errors": 0}


def test_check_with_several_policies_wants_tests_per_policy(run_cli: Any, project: Path) -> None:
    other = small_policy()
    other["id"] = "other-policy"
    write_policy(project / "policies" / "other-policy.json", other)
    result = run_cli("check", "--format", "json")
    rules = [p["rule"] for p in json.loads(result.output)["problems"]]
    assert "decision-tests-misplaced" in rules
    (project / "tests" / "decisions" / "small-policy").mkdir()
    (project / "tests" / "decisions" / "small.json").rename(
        project / "tests" / "decisions" / "small-policy" / "small.json"
    )
    data = json.loads(run_cli("check", "--format", "json").output)
    assert "decision-tests-misplaced" not in [p["rule"] for p in data["problems"]]
    assert [t["policy_id"] for t in data["decision_tests"]] == ["small-policy"]
    assert run_cli("test", "--policy", "small-policy").exit_code == 0


def test_the_schema_of_decision_test_files(project: Path) -> None:
    from jsonschema import Draft202012Validator

    from support_scope.resources import load_schema

    validator = Draft202012Validator(load_schema("decision-tests.schema.json"))
    good = json.loads((project / "tests" / "decisions" / "small.json").read_text(encoding="utf-8"))
    assert list(validator.iter_errors(good)) == []
    conformance = {
        "description": "the shape of the conformance file",
        "cases": [
            {
                "id": "slug",
                "source": [15, 38],
                "why": "why",
                "question": {
                    "plan": "standard",
                    "category": "desktop-setup",
                    "item": "desktop-setup-dialog-errors",
                    "request": "dialog-error",
                    "product": "act-premium",
                    "context": {"active_subscription": True, "database_version": 6, "x": None},
                },
                "expect": {
                    "outcome": "included",
                    "conditional": False,
                    "tier": "standard",
                    "referrals": ["it-professional"],
                    "offers": ["hourly-technical-service"],
                    "pending": ["fact_id"],
                    "cites": [15],
                },
            }
        ],
    }
    assert list(validator.iter_errors(conformance)) == []
    no_category = copy.deepcopy(conformance)
    del no_category["cases"][0]["question"]["category"]
    assert list(validator.iter_errors(no_category)) == []  # a request kind alone
    del no_category["cases"][0]["question"]["request"]
    assert list(validator.iter_errors(no_category)) != []


def test_check_in_junit_has_the_decision_tests_as_their_own_cases(run_cli: Any, project: Path) -> None:
    import xml.etree.ElementTree as ET

    cases = copy.deepcopy(PASSING)
    cases[0]["expect"]["tier"] = "standard"
    _write_tests(project / "tests" / "decisions" / "small.json", cases)
    result = run_cli("check", "--format", "junit")
    assert result.exit_code == 1
    root = ET.fromstring(result.output.encode("utf-8"))
    suites = {suite.get("name"): suite for suite in root}
    assert set(suites) == {"check", "decision tests tests/decisions/small.json"}
    check_cases = [case.get("name") for case in suites["check"]]
    assert check_cases == ["policies/small-policy.json"]
    assert suites["check"].get("failures") == "0"
    tests = suites["decision tests tests/decisions/small.json"]
    assert (tests.get("tests"), tests.get("failures")) == ("5", "1")
