"""The typed model (`support_scope.model`) says what the schemas say: same keys, same required keys, same words."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from support_scope.model import policy as p
from support_scope.model import release as r
from support_scope.model import vocab as v
from support_scope.resources import load_schema

POLICY = load_schema("support-scope.schema.json")
RELEASE = load_schema("compiled-ruleset.schema.json")


def node(schema: dict[str, Any], *path: str) -> dict[str, Any]:
    found: Any = schema
    for step in path:
        found = found[step]
    return dict(found)


PD, PP = POLICY["$defs"], POLICY["properties"]
RC = RELEASE["properties"]["compiled"]["properties"]
PAIRS: list[tuple[str, Any, dict[str, Any]]] = [
    ("Policy", p.Policy, POLICY),
    ("Source", p.Source, PP["source"]),
    ("Product", p.Product, PP["products"]["items"]),
    ("Eligibility", p.Eligibility, PP["eligibility"]),
    ("Tier", p.Tier, PP["tiers"]["items"]),
    ("Grant", p.Grant, PP["tiers"]["items"]["properties"]["grants"]["items"]),
    ("Plan", p.Plan, PP["plans"]["items"]),
    ("Fact", p.Fact, PP["facts"]["items"]),
    ("Referral", p.Referral, PP["referrals"]["items"]),
    ("RequestKind", p.RequestKind, PP["request_kinds"]["items"]),
    ("GeneralTerm", p.GeneralTerm, PP["general_terms"]["items"]),
    ("Limits", p.Limits, PP["general_terms"]["items"]["properties"]["limits"]),
    ("Precedence", p.Precedence, PP["precedence"]),
    ("Provenance", p.Provenance, PD["provenance"]),
    ("Condition", p.Condition, PD["condition"]),
    ("Billing", p.Billing, PD["billing"]),
    ("Item", p.Item, PD["item"]),
    ("See", p.See, PD["item"]["properties"]["see"]),
    ("Note", p.Note, PD["note"]),
    ("Group", p.Group, PD["group"]),
    ("Category", p.Category, PD["category"]),
    ("Release", r.Release, RELEASE),
    ("Manifest", r.Manifest, RELEASE["properties"]["manifest"]),
    ("Compiled", r.Compiled, RELEASE["properties"]["compiled"]),
    ("CompiledTier", r.CompiledTier, RC["tiers"]["items"]),
    ("CompiledPlan", r.CompiledPlan, RC["plans"]["items"]),
    ("CompiledProduct", r.CompiledProduct, RC["products"]["items"]),
    ("CompiledFact", r.CompiledFact, RC["facts"]["items"]),
    ("CompiledEligibility", r.CompiledEligibility, RC["eligibility"]),
    ("CompiledReferral", r.CompiledReferral, RC["referrals"]["items"]),
    ("CompiledRequestKind", r.CompiledRequestKind, RC["request_kinds"]["items"]),
    ("CompiledPrecedence", r.CompiledPrecedence, RC["precedence"]),
    ("CompiledGrant", r.CompiledGrant, RC["grants"]["items"]),
    ("CompiledTerm", r.CompiledTerm, RC["general_terms"]["items"]),
    ("CompiledCondition", r.CompiledCondition, RELEASE["$defs"]["condition"]),
    ("Rule", r.Rule, RELEASE["$defs"]["rule"]),
    ("Via", r.Via, RELEASE["$defs"]["rule"]["properties"]["via"]),
    ("CompiledGroup", r.CompiledGroup, RC["categories"]["items"]["properties"]["groups"]["items"]),
    ("CompiledNote", r.CompiledNote, RC["categories"]["items"]["properties"]["notes"]["items"]),
    ("CompiledCategory", r.CompiledCategory, RC["categories"]["items"]),
]


@pytest.mark.parametrize(("name", "typed", "schema"), PAIRS, ids=[pair[0] for pair in PAIRS])
def test_typed_dict_matches_the_schema(name: str, typed: Any, schema: dict[str, Any]) -> None:
    assert set(typed.__required_keys__) == set(schema.get("required", [])), name
    assert set(typed.__required_keys__) | set(typed.__optional_keys__) == set(schema["properties"]), name


def _enum(schema: dict[str, Any]) -> set[Any]:
    if "enum" in schema:
        return set(schema["enum"])
    return {schema["const"]}


VOCABULARIES: list[tuple[str, Any, dict[str, Any]]] = [
    ("Status", v.Status, PD["item"]["properties"]["status"]),
    ("TermKind", v.TermKind, PP["general_terms"]["items"]["properties"]["kind"]),
    ("BillingKind", v.BillingKind, PD["billing"]["properties"]["kind"]),
    ("NoteKind", v.NoteKind, PD["note"]["properties"]["kind"]),
    ("NoteCause", v.NoteCause, PD["note"]["properties"]["cause"]),
    ("Column", v.Column, PD["provenance"]["properties"]["column"]),
    ("Op", v.Op, PD["expression"]["oneOf"][3]["properties"]["op"]),
    ("FactType", v.FactType, PP["facts"]["items"]["properties"]["type"]),
    ("ConditionFailure", v.ConditionFailure, PD["condition"]["properties"]["when_unmet"]),
    (
        "ConditionFailure (release)",
        v.ConditionFailure,
        RELEASE["$defs"]["condition"]["properties"]["when_unmet"],
    ),
    ("PrecedenceStep", v.PrecedenceStep, PP["precedence"]["properties"]["order"]["items"]),
    ("PrecedenceStep (release)", v.PrecedenceStep, RC["precedence"]["properties"]["order"]["items"]),
    ("ConditionScope", v.ConditionScope, RELEASE["$defs"]["condition"]["properties"]["scope"]),
]


@pytest.mark.parametrize(("name", "literal", "schema"), VOCABULARIES, ids=[pair[0] for pair in VOCABULARIES])
def test_vocabulary_matches_the_schema(name: str, literal: Any, schema: dict[str, Any]) -> None:
    assert set(get_args(literal)) == _enum(schema), name


def test_tuples_hold_their_literals() -> None:
    assert v.CONDITION_FAILURES == ("ineligible", "not-applicable", "not-covered")
    assert v.DEFAULT_PRECEDENCE == v.PRECEDENCE_STEPS
    assert set(v.FAILURE_RANK) == set(v.CONDITION_FAILURES)
    assert RELEASE["properties"]["manifest"]["properties"]["format"]["const"] == r.FORMAT
