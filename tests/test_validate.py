"""`support-scope validate`: every rule has a bad document in the corpus, with its expected report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from support_scope.validate import document_findings, schema_findings, validate_file, validate_text

CORPUS = Path(__file__).parent / "example-files" / "validate"
NEGATIVE = sorted((CORPUS / "negative").glob("*.json"))
POSITIVE = sorted((CORPUS / "positive").glob("*.json"))


@pytest.mark.parametrize("path", NEGATIVE, ids=lambda p: p.stem)
def test_bad_document_gets_its_expected_report(path: Path, run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CORPUS)
    result = run_cli("validate", f"negative/{path.name}")
    expected = path.with_suffix(".expected").read_text(encoding="utf-8")
    assert result.output == expected
    assert result.exit_code == 1


@pytest.mark.parametrize("path", POSITIVE, ids=lambda p: p.stem)
def test_good_document_is_valid(path: Path) -> None:
    assert validate_file(path).problems == []


def test_shipped_policy_is_valid(run_cli, shipped_policy: Path) -> None:
    result = run_cli("validate", str(shipped_policy))
    assert result.exit_code == 0, result.output
    assert result.output == f"{shipped_policy}: ok\nok: 1 file valid\n"


def test_corpus_covers_every_rule() -> None:
    rules = set()
    for path in NEGATIVE:
        rules.update(problem.rule for problem in validate_file(path).problems)
    assert rules >= {
        "unreadable", "schema", "duplicate-id", "unknown-tier", "tier-cycle", "unknown-referral",
        "unknown-group", "unknown-fact", "fact-type", "unresolved-reference", "unknown-category",
        "reference-chain", "repeated-text", "missing-language", "text-whitespace", "text-not-nfc",
        "text-character", "text-too-long",
    }  # fmt: skip


@pytest.mark.parametrize("path", NEGATIVE + POSITIVE, ids=lambda p: p.stem)
def test_fast_and_full_schema_validators_agree(path: Path) -> None:
    """The pure-Python engine's two validators judge alike: fastjsonschema (draft 7, on a rewritten
    copy of the schema) and jsonschema (draft 2020-12), both reading `$` as ECMA-262 does."""
    from support_scope.resources import POLICY_SCHEMA, load_schema
    from support_scope.validate.fallback import ecma_validator_class, python_valid

    try:
        document = json.loads(path.read_bytes())
    except ValueError:
        pytest.skip("not JSON: the schema is never reached")
    full_valid = ecma_validator_class()(load_schema()).is_valid(document)
    assert python_valid(POLICY_SCHEMA, document) == full_valid
    assert (schema_findings(document) == []) == full_valid


def test_every_problem_is_reported_at_once() -> None:
    result = validate_file(CORPUS / "negative" / "meaning-several-problems.json")
    assert [p.rule for p in result.problems] == ["text-whitespace", "unknown-tier", "duplicate-id"]


def test_location_points_at_the_offending_value() -> None:
    path = CORPUS / "negative" / "meaning-unknown-tier.json"
    text = path.read_text(encoding="utf-8")
    (problem,) = validate_text(text, "x.json").problems
    assert problem.line is not None and problem.column is not None
    line = text.splitlines()[problem.line - 1]
    assert line[problem.column - 1 :].startswith('"gold"')


def test_json_format(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CORPUS)
    result = run_cli(
        "validate", "--format", "json", "negative/meaning-unknown-tier.json", "positive/minimal.json"
    )
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False
    assert report["problem_count"] == 1
    bad, good = report["files"]
    assert good == {"file": "positive/minimal.json", "ok": True, "problems": []}
    assert bad["problems"] == [
        {
            "file": "negative/meaning-unknown-tier.json",
            "line": 188,
            "column": 19,
            "path": "$.categories[0].items[1].tier",
            "cell": None,
            "rule": "unknown-tier",
            "message": "unknown tier 'gold' (known: extended, self-service, standard)",
        }
    ]


def test_directory_stands_for_its_json_files(run_cli) -> None:
    result = run_cli("validate", str(CORPUS / "positive"))
    assert result.exit_code == 0
    assert "ok: 1 file valid" in result.output


def test_default_is_the_policies_directory_of_the_current_directory(
    run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "policies").mkdir()
    shutil.copy(CORPUS / "negative" / "meaning-unknown-tier.json", tmp_path / "policies" / "bad.json")
    monkeypatch.chdir(tmp_path)
    result = run_cli("validate")
    assert result.exit_code == 1
    assert result.output.startswith("policies/bad.json:188:19 $.categories[0].items[1].tier: unknown tier")


def test_default_outside_a_checkout_is_the_shipped_policy(run_cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli("validate")
    assert result.exit_code == 0, result.output


def test_missing_file_is_reported_not_raised(run_cli, tmp_path: Path) -> None:
    result = run_cli("validate", str(tmp_path / "nope.json"))
    assert result.exit_code == 1
    assert "nope.json: no such policy file" in result.output


def test_empty_directory_is_a_problem(run_cli, tmp_path: Path) -> None:
    result = run_cli("validate", str(tmp_path))
    assert result.exit_code == 1
    assert "no policy (*.json) in this directory" in result.output


def test_usage_error_exits_2(run_cli) -> None:
    result = run_cli("validate", "--format", "yaml")
    assert result.exit_code == 2


def test_meaning_checks_survive_a_document_that_fails_the_schema() -> None:
    findings = document_findings(
        {"categories": [{"items": [{"tier": 3, "text": "x", "see": []}]}], "tiers": "x"}
    )
    assert findings and all(f.rule == "schema" for f in findings)


def _language_map_paths(node: object, path: tuple = ()) -> set[tuple]:
    """Every dict that looks like a language map ({"fr": ..., "en": ...}), found generically."""
    found: set[tuple] = set()
    if isinstance(node, dict):
        # Texts by language; a vocabulary group's terms ({"fr": [...]}) are lists of words, not texts.
        if "fr" in node and all(
            isinstance(k, str) and len(k) in (2, 3) and isinstance(v, str) for k, v in node.items()
        ):
            found.add(path)
        for key, value in node.items():
            found |= _language_map_paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found |= _language_map_paths(value, (*path, index))
    return found


@pytest.mark.parametrize(
    "path", [*POSITIVE, Path(__file__).parents[1] / "policies" / "act-premium-support-scope.json"]
)
def test_text_checks_visit_every_language_map(path: Path) -> None:
    """The meaning check walks known places for speed; it must not miss one the schema allows."""
    from support_scope.model.walk import language_maps

    document = json.loads(path.read_text(encoding="utf-8"))
    visited = {p for p, value, _ in language_maps(document) if isinstance(value, dict)}
    assert visited == _language_map_paths(document)


def test_meaning_of_the_fields_of_issue_9() -> None:
    """What the schema cannot say about request kinds, condition effects, terms and notes."""
    from builders import small_policy
    from support_scope.validate import document_findings

    document = small_policy()
    document["request_kinds"] = [
        {"id": "dialog-error", "name": {"fr": "Erreur"}, "description": {"fr": "Une erreur."}}
    ]
    for entry in document["request_kinds"]:
        for key in ("name", "description"):
            entry[key]["en"] = entry[key]["fr"] + " (en)"
    eligibility = document["eligibility"]["conditions"][0]
    eligibility["when_unmet"] = "not-applicable"
    onboarding = document["categories"][1]
    onboarding["conditions"][0]["when_unmet"] = "not-covered"
    onboarding["conditions"][0]["term"] = "hourly"  # a billable service, not a not-covered term
    document["general_terms"][0]["kinds"] = ["dialog-error"]  # kinds on a billable service
    onboarding["notes"] = [
        {
            "id": "onboarding-scope",
            "kind": "scope-note",
            "text": {"fr": "Portée.", "en": "Scope."},
            "test": {"fact": "new_customer", "op": "eq", "value": True},
            "provenance": {"page": 1, "line": 20, "column": "included"},
        }
    ]
    found = {(".".join(str(step) for step in f.path), f.rule) for f in document_findings(document)}
    assert found == {
        ("eligibility.conditions.0.when_unmet", "condition-field"),
        ("categories.1.conditions.0.term", "unknown-term"),
        ("general_terms.0.kinds", "term-field"),
        ("categories.1.notes.0.test", "note-field"),
    }
