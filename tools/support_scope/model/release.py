"""The compiled release as types: one ``TypedDict`` per object of ``schema/compiled-ruleset.schema.json``.

A release is what services load; :mod:`support_scope.consume` reads these shapes and nothing
else. As in :mod:`support_scope.model.policy`, required and optional keys are split so that
``tests/test_model.py`` can hold them to the schema.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from support_scope.model.policy import Billing, Expression, ItemProvenance, LangMap, Limits, Provenance, See
from support_scope.model.vocab import ConditionScope, FactType, NoteCause, NoteKind, Status, TermKind

FORMAT: Literal[1] = 1  # the release format this package writes and reads


class Manifest(TypedDict):
    policy_id: str
    policy_version: str
    digest: str
    source_digest: str
    compiler: str
    format: int


class _CompiledTierRequired(TypedDict):
    id: str
    label: LangMap
    rank: int
    includes: list[str]


class CompiledTier(_CompiledTierRequired, total=False):
    aliases: list[str]


class CompiledPlan(TypedDict):
    id: str
    name: LangMap
    tier: str
    tiers: list[str]


class CompiledProduct(TypedDict):
    id: str
    name: LangMap
    eligible: bool


class _CompiledFactRequired(TypedDict):
    id: str
    type: FactType
    description: LangMap


class CompiledFact(_CompiledFactRequired, total=False):
    minimum: int


class CompiledCondition(TypedDict):
    id: str
    scope: ConditionScope
    text: LangMap
    test: Expression
    facts: list[str]
    provenance: Provenance


class CompiledEligibility(TypedDict):
    text: LangMap
    conditions: list[CompiledCondition]
    provenance: Provenance


class CompiledReferral(TypedDict):
    id: str
    name: LangMap


class _CompiledTermRequired(TypedDict):
    id: str
    kind: TermKind
    text: LangMap
    provenance: Provenance


class CompiledTerm(_CompiledTermRequired, total=False):
    limits: Limits
    billing: Billing
    referrals: list[str]


class Via(TypedDict):
    item: str
    category: str
    text: LangMap
    provenance: ItemProvenance


class _RuleRequired(TypedDict):
    item: str
    status: Status
    text: LangMap
    provenance: ItemProvenance


class Rule(_RuleRequired, total=False):
    tier: str
    group: str
    referrals: list[str]
    billing: Billing
    see: See
    via: Via


class _CompiledGroupRequired(TypedDict):
    id: str
    text: LangMap


class CompiledGroup(_CompiledGroupRequired, total=False):
    tier: str


class _CompiledNoteRequired(TypedDict):
    id: str
    kind: NoteKind
    text: LangMap


class CompiledNote(_CompiledNoteRequired, total=False):
    cause: NoteCause
    tier: str


class CompiledCategory(TypedDict):
    id: str
    title: LangMap
    provenance: Provenance
    conditions: list[CompiledCondition]
    groups: list[CompiledGroup]
    notes: list[CompiledNote]
    rules: list[Rule]


class Compiled(TypedDict):
    languages: list[str]
    title: LangMap
    tiers: list[CompiledTier]
    plans: list[CompiledPlan]
    products: list[CompiledProduct]
    facts: list[CompiledFact]
    eligibility: CompiledEligibility
    referrals: list[CompiledReferral]
    general_terms: list[CompiledTerm]
    categories: list[CompiledCategory]


Release = TypedDict(
    "Release",
    {"$schema": str, "compiled": Compiled, "manifest": Manifest, "policy": dict[str, object]},
)
