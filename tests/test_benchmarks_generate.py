"""The benchmarks' synthetic policies: valid, deterministic, shaped like the shipped policy. Nothing is timed."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from builders import benchmark_module, first_item
from support_scope.fileio.jsonfile import read_json
from support_scope.validate import document_findings, schema_findings


@pytest.fixture(scope="module")
def generate() -> Iterator[Any]:
    with benchmark_module("generate") as module:
        yield module


@pytest.fixture(scope="module")
def policy(generate: Any) -> dict[str, Any]:
    document: dict[str, Any] = generate.synthetic_policy(20)
    return document


def test_synthetic_policy_is_schema_and_meaning_valid(policy: dict[str, Any]) -> None:
    assert document_findings(policy) == []


def test_same_seed_same_document_other_seed_other_document(generate: Any, policy: dict[str, Any]) -> None:
    assert generate.synthetic_policy(20) == policy
    assert generate.synthetic_policy(20, seed=0) == policy
    other = generate.synthetic_policy(20, seed=1)
    assert other != policy
    assert document_findings(other) == []


def test_shape_follows_the_shipped_policy(policy: dict[str, Any], shipped_policy: Path) -> None:
    shipped = read_json(shipped_policy)
    for part in (
        "products",
        "eligibility",
        "tiers",
        "plans",
        "facts",
        "referrals",
        "request_kinds",
        "general_terms",
        "precedence",
    ):
        assert policy[part] == shipped[part]
    categories = policy["categories"]
    assert len(categories) == 20
    items = [item for category in categories for item in category["items"]]
    assert 15 <= len(items) / len(categories) <= 19
    kinds = Counter(item.get("tier", item["status"]) for item in items)
    assert set(kinds) == {"self-service", "standard", "extended", "excluded"}
    assert any("groups" in category for category in categories)
    assert any("group" in item for item in items)
    assert any("referrals" in item for item in items)
    assert any("billing" in item for item in items)
    assert {item.get("kind") for item in items} >= {"dialog-error", "other-error", "training-consulting"}
    assert all("provenance" in item for item in items)


def test_ids_unique_across_the_document(policy: dict[str, Any]) -> None:
    ids = [category["id"] for category in policy["categories"]]
    for category in policy["categories"]:
        for key in ("items", "groups", "notes", "conditions"):
            ids.extend(entry["id"] for entry in category.get(key, []))
    assert len(ids) == len(set(ids))


def test_french_texts_carry_accents_and_apostrophes(policy: dict[str, Any]) -> None:
    french = " ".join(item["text"]["fr"] for category in policy["categories"] for item in category["items"])
    for character in "éèàçô’":
        assert character in french
    assert all(item["text"]["en"] for category in policy["categories"] for item in category["items"])


def test_larger_policies_have_conditions_and_references(generate: Any) -> None:
    document = generate.synthetic_policy(200)
    assert any("conditions" in category for category in document["categories"])
    assert any("see" in item for category in document["categories"] for item in category["items"])
    assert document_findings(document) == []


def test_no_category_is_refused(generate: Any) -> None:
    with pytest.raises(ValueError, match="at least one category"):
        generate.synthetic_policy(0)


def test_policy_path_writes_once_and_reuses_the_file(
    generate: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generate, "DATA_DIR", tmp_path)
    path = generate.policy_path(3)
    assert path == tmp_path / "synthetic-3.json"
    assert read_json(path) == generate.synthetic_policy(3)
    written = path.stat().st_mtime_ns
    assert generate.policy_path(3) == path
    assert path.stat().st_mtime_ns == written


@pytest.mark.parametrize(
    "change",
    [
        "included-without-tier",
        "excluded-with-tier",
        "status-missing",
        "status-unknown",
        "unknown-language",
        "english-not-a-string",
        "french-missing",
    ],
)
def test_fast_schema_path_agrees_with_jsonschema(policy: dict[str, Any], change: str) -> None:
    """The schema check refuses each change as jsonschema does (tests/test_validate_engines.py holds
    both engines to the same findings)."""
    from jsonschema import Draft202012Validator

    from support_scope.resources import load_schema

    document = copy.deepcopy(policy)
    included, excluded = first_item(document, "included"), first_item(document, "excluded")
    if change == "included-without-tier":
        del included["tier"]
    elif change == "excluded-with-tier":
        excluded["tier"] = "standard"
    elif change == "status-missing":
        del excluded["status"]
    elif change == "status-unknown":
        included["status"] = "maybe"
    elif change == "unknown-language":
        included["text"]["Français"] = "x"
    elif change == "english-not-a-string":
        included["text"]["en"] = 3
    else:
        del included["text"]["fr"]
    assert not Draft202012Validator(load_schema()).is_valid(document)
    assert schema_findings(document) != []


def test_the_edited_workbook_carries_edits_the_import_sees(
    generate: Any, policy: dict[str, Any], tmp_path: Path
) -> None:
    """The benchmark's "1% rows edited" row must time a merge: its workbook keeps the export's
    Meta sheet (found by name, wherever the sheets put it) and brings edits the import applies."""
    from support_scope.fileio.jsonfile import dump_json
    from support_scope.workbook.export import export_workbook
    from support_scope.workbook.importer import import_workbook

    with benchmark_module("bench_workbook") as bench:
        target = tmp_path / "policy.json"
        target.write_text(dump_json(policy), encoding="utf-8")
        exported, _ = export_workbook(policy)
        edited = tmp_path / "edited.xlsx"
        count = bench.edited_workbook(policy, exported, edited)
        result = import_workbook(edited, target, dry_run=True)
    assert count == 3  # 1% of the 20 categories' 300-odd items
    assert result.ok and result.changed and not result.stale, result.problems[:3]
