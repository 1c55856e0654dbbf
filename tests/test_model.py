"""The typed policy layer says what the schema says: each TypedDict's required and optional keys
are the schema object's required and other properties (tools/support_scope/model/policy.py)."""

from __future__ import annotations

import json
from typing import Any, get_type_hints

import pytest

from conftest import REPO
from support_scope.model import policy, release

_SCHEMA = json.loads((REPO / "schema" / "support-scope.schema.json").read_text(encoding="utf-8"))
_RELEASE = json.loads((REPO / "schema" / "compiled-ruleset.schema.json").read_text(encoding="utf-8"))


def _at(schema: dict[str, Any], *path: str) -> dict[str, Any]:
    node: Any = schema
    for step in path:
        node = node[step]
    return dict(node)


# (TypedDict, the schema object it mirrors)
PAIRS: list[tuple[Any, dict[str, Any]]] = [
    (policy.Provenance, _at(_SCHEMA, "$defs", "provenance")),
    (policy.ReviewProvenance, _at(_SCHEMA, "$defs", "review_provenance")),
    (policy.Review, _at(_SCHEMA, "$defs", "review_provenance", "properties", "review")),
    (policy.Condition, _at(_SCHEMA, "$defs", "condition")),
    (policy.Billing, _at(_SCHEMA, "$defs", "billing")),
    (policy.Item, _at(_SCHEMA, "$defs", "item")),
    (policy.Note, _at(_SCHEMA, "$defs", "note")),
    (policy.Group, _at(_SCHEMA, "$defs", "group")),
    (policy.Category, _at(_SCHEMA, "$defs", "category")),
    (policy.Source, _at(_SCHEMA, "properties", "source")),
    (policy.Product, _at(_SCHEMA, "properties", "products", "items")),
    (policy.Eligibility, _at(_SCHEMA, "properties", "eligibility")),
    (policy.Tier, _at(_SCHEMA, "properties", "tiers", "items")),
    (policy.Plan, _at(_SCHEMA, "properties", "plans", "items")),
    (policy.Fact, _at(_SCHEMA, "properties", "facts", "items")),
    (policy.Referral, _at(_SCHEMA, "properties", "referrals", "items")),
    (policy.GeneralTerm, _at(_SCHEMA, "properties", "general_terms", "items")),
    (policy.Policy, _SCHEMA),
    (release.Rule, _at(_RELEASE, "$defs", "rule")),
    (release.Via, _at(_RELEASE, "$defs", "rule", "properties", "via")),
    (policy.ReviewProvenance, _at(_RELEASE, "$defs", "review_provenance")),
]


@pytest.mark.parametrize(
    ("typed", "schema"), PAIRS, ids=[f"{t.__module__.rsplit('.', 1)[1]}.{t.__name__}" for t, _ in PAIRS]
)
def test_typed_dicts_mirror_the_schema(typed: Any, schema: dict[str, Any]) -> None:
    required = set(schema.get("required", []))
    optional = set(schema.get("properties", {})) - required
    assert set(typed.__required_keys__) == required
    assert set(typed.__optional_keys__) == optional


def test_an_item_and_a_rule_take_either_provenance() -> None:
    """An item added in a review workbook has a review as its provenance, not a source line."""
    either = [{"$ref": "#/$defs/provenance"}, {"$ref": "#/$defs/review_provenance"}]
    assert _SCHEMA["$defs"]["item"]["properties"]["provenance"]["anyOf"] == either
    assert _RELEASE["$defs"]["rule"]["properties"]["provenance"]["anyOf"] == either
    assert _RELEASE["$defs"]["rule"]["properties"]["via"]["properties"]["provenance"]["anyOf"] == either
    assert _RELEASE["$defs"]["review_provenance"] == _SCHEMA["$defs"]["review_provenance"]
    assert policy.ItemProvenance == policy.Provenance | policy.ReviewProvenance
    assert get_type_hints(release.Rule)["provenance"] == policy.ItemProvenance
    assert get_type_hints(policy.Item)["provenance"] == policy.ItemProvenance
