"""The compiled release as types: one ``TypedDict`` per object of ``schema/compiled-ruleset.schema.json``.

A release is what services load; :mod:`support_scope.consume` reads these shapes and nothing
else. As in :mod:`support_scope.model.policy`, required and optional keys are split so that
``tests/test_model.py`` can hold them to the schema.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from support_scope.model.policy import Billing, Expression, ItemProvenance, LangMap, Limits, Provenance, See
from support_scope.model.vocab import (
    ConditionFailure,
    ConditionScope,
    FactType,
    NoteCause,
    NoteKind,
    PrecedenceStep,
    Status,
    TermKind,
    VocabularyKind,
)

# The release format this package writes and decides with. Format 2 (issue 9): request kinds,
# the precedence, grants with their kinds, conditions saying what their failure means and
# which items they apply to, not-covered terms and resolution rules with tests, legal notes.
FORMAT: Literal[2] = 2


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
    provenance: Provenance


class _CompiledFactRequired(TypedDict):
    id: str
    type: FactType
    description: LangMap


class CompiledFact(_CompiledFactRequired, total=False):
    minimum: int


class _CompiledConditionRequired(TypedDict):
    id: str
    scope: ConditionScope
    text: LangMap
    test: Expression
    facts: list[str]
    when_unmet: ConditionFailure
    provenance: Provenance


class CompiledCondition(_CompiledConditionRequired, total=False):
    term: str
    items: list[str]
    legal_note: LangMap


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
    kinds: list[str]
    test: Expression
    facts: list[str]
    overrides_lines: bool
    limits: Limits
    billing: Billing
    referrals: list[str]
    legal_note: LangMap


class CompiledRequestKind(TypedDict):
    id: str
    name: LangMap
    description: LangMap


class _CompiledGrantRequired(TypedDict):
    id: str
    tier: str
    text: LangMap
    kinds: list[str]
    provenance: Provenance


class CompiledGrant(_CompiledGrantRequired, total=False):
    legal_note: LangMap


class _CompiledPrecedenceRequired(TypedDict):
    order: list[PrecedenceStep]
    text: LangMap


class CompiledPrecedence(_CompiledPrecedenceRequired, total=False):
    legal_note: LangMap


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
    kind: str
    group: str
    referrals: list[str]
    billing: Billing
    see: See
    via: Via
    legal_note: LangMap


class _CompiledGroupRequired(TypedDict):
    id: str
    text: LangMap


class CompiledGroup(_CompiledGroupRequired, total=False):
    tier: str


class _CompiledNoteRequired(TypedDict):
    id: str
    kind: NoteKind
    text: LangMap
    provenance: Provenance


class CompiledNote(_CompiledNoteRequired, total=False):
    cause: NoteCause
    tier: str
    test: Expression
    facts: list[str]
    items: list[str]
    kinds: list[str]
    referrals: list[str]
    excludes_unlisted: bool
    legal_note: LangMap


class _CompiledCategoryRequired(TypedDict):
    id: str
    title: LangMap
    provenance: Provenance
    conditions: list[CompiledCondition]
    groups: list[CompiledGroup]
    notes: list[CompiledNote]
    rules: list[Rule]


class CompiledCategory(_CompiledCategoryRequired, total=False):
    legal_note: LangMap


class _IndexGroupRequired(TypedDict):
    id: str
    kind: VocabularyKind
    phrases: list[str]


class IndexGroup(_IndexGroupRequired, total=False):
    expand: list[str]


class SearchIndexData(TypedDict):
    """``compiled.search``: the index :mod:`support_scope.consume.index` builds."""

    analyzer: str
    weights: dict[str, int]
    items: int
    terms: list[str]
    lengths: str
    postings: dict[str, str]
    same: list[list[int]]
    words: dict[str, str]
    vocabulary: list[IndexGroup]


class CompiledBody(TypedDict):
    """A compiled release's content, everything but its search index (which is built from it)."""

    languages: list[str]
    title: LangMap
    tiers: list[CompiledTier]
    plans: list[CompiledPlan]
    products: list[CompiledProduct]
    facts: list[CompiledFact]
    eligibility: CompiledEligibility
    referrals: list[CompiledReferral]
    request_kinds: list[CompiledRequestKind]
    precedence: CompiledPrecedence
    grants: list[CompiledGrant]
    general_terms: list[CompiledTerm]
    categories: list[CompiledCategory]


class Compiled(CompiledBody):
    search: SearchIndexData


Release = TypedDict(
    "Release",
    {"$schema": str, "compiled": Compiled, "manifest": Manifest, "policy": dict[str, object]},
)


def is_release(document: object) -> bool:
    """A compiled release has a manifest and embeds its policy (a policy has neither)."""
    return isinstance(document, dict) and "manifest" in document and "policy" in document


def wrong_kind(
    document: object,
    expected: Literal["policy", "release"],
    advice: str = "commands that read a release take --release",
) -> str | None:
    """Why ``document`` is not the kind of document expected, in the words every command uses
    (a release given where a policy is expected, or the reverse), ending with ``advice`` for a
    release given as a policy (what the command at hand offers); None when it is that kind."""
    if expected == "policy" and is_release(document):
        return f'is a compiled release, not a policy (its policy is under "policy"; {advice})'
    if expected == "release" and not is_release(document):
        return (
            "is not a compiled release (a release has a manifest and embeds its policy): "
            "`support-scope compile` makes one"
        )
    return None
