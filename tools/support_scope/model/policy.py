"""The policy document as types: one ``TypedDict`` per object of ``schema/support-scope.schema.json``.

They cost nothing at run time (a policy stays the ``dict`` ``json.loads`` gives), and let the
type checker say what a policy is wherever the code holds a *valid* one (compile, decide,
export, release). Code that reads documents which may be invalid (validate, diff) takes
``object`` and checks shapes as it goes. Each class is split in two, the required keys then
the optional ones (``total=False``), so that ``__required_keys__`` and ``__optional_keys__``
say at run time exactly what the schema says; ``tests/test_model.py`` compares them.
"""

from __future__ import annotations

from typing import TypedDict

from support_scope.model.vocab import (
    BillingKind,
    Column,
    ConditionFailure,
    FactType,
    NoteCause,
    NoteKind,
    Op,
    PrecedenceStep,
    Status,
    TermKind,
    VocabularyKind,
)

LangMap = dict[str, str]  # {"fr": ..., "en": ...}; French required


class _ProvenanceRequired(TypedDict):
    page: int
    line: int
    column: Column


class Provenance(_ProvenanceRequired, total=False):
    section: str


class Review(TypedDict):
    """The review workbook an item was added in (``review_provenance.review`` in the schema)."""

    workbook: str
    sheet: str
    row: int
    date: str
    key: str


class ReviewProvenance(TypedDict):
    """The provenance of an item a reviewer added: a review, not a place in the source."""

    review: Review


ItemProvenance = Provenance | ReviewProvenance


class AllOf(TypedDict):
    all: list[Expression]


class AnyOf(TypedDict):
    any: list[Expression]


# ``not`` is a Python keyword: this form can only be declared with the functional syntax.
Not = TypedDict("Not", {"not": "Expression"})


class Comparison(TypedDict):
    fact: str
    op: Op
    value: bool | int | str


Expression = AllOf | AnyOf | Not | Comparison


class _ConditionRequired(TypedDict):
    id: str
    text: LangMap
    test: Expression
    provenance: Provenance


class Condition(_ConditionRequired, total=False):
    when_unmet: ConditionFailure
    term: str
    items: list[str]
    source_note: LangMap
    legal_review: bool


class _SourceRequired(TypedDict):
    document: str
    language: str


class Source(_SourceRequired, total=False):
    title: LangMap
    source_note: LangMap


class _ProductRequired(TypedDict):
    id: str
    name: LangMap
    eligible: bool
    provenance: Provenance


class Product(_ProductRequired, total=False):
    source_note: LangMap


class _EligibilityRequired(TypedDict):
    text: LangMap
    conditions: list[Condition]
    provenance: Provenance


class Eligibility(_EligibilityRequired, total=False):
    source_note: LangMap


class _GrantRequired(TypedDict):
    id: str
    text: LangMap
    provenance: Provenance


class Grant(_GrantRequired, total=False):
    kinds: list[str]
    source_note: LangMap
    legal_review: bool


class _TierRequired(TypedDict):
    id: str
    label: LangMap
    includes: list[str]
    provenance: Provenance


class Tier(_TierRequired, total=False):
    aliases: list[str]
    grants: list[Grant]
    source_note: LangMap


class _PlanRequired(TypedDict):
    id: str
    name: LangMap
    tier: str


class Plan(_PlanRequired, total=False):
    provenance: Provenance
    source_note: LangMap


class _FactRequired(TypedDict):
    id: str
    type: FactType
    description: LangMap


class Fact(_FactRequired, total=False):
    minimum: int


class Referral(TypedDict):
    id: str
    name: LangMap


class Limits(TypedDict, total=False):
    max_minutes: int
    max_problems: int


class _BillingRequired(TypedDict):
    kind: BillingKind
    text: LangMap


class Billing(_BillingRequired, total=False):
    minimum_hours: int


class _GeneralTermRequired(TypedDict):
    id: str
    kind: TermKind
    text: LangMap
    provenance: Provenance


class GeneralTerm(_GeneralTermRequired, total=False):
    kinds: list[str]
    test: Expression
    overrides_lines: bool
    limits: Limits
    billing: Billing
    referrals: list[str]
    source_note: LangMap
    legal_review: bool


class _RequestKindRequired(TypedDict):
    id: str
    name: LangMap
    description: LangMap


class RequestKind(_RequestKindRequired, total=False):
    provenance: Provenance
    source_note: LangMap
    legal_review: bool


class _PrecedenceRequired(TypedDict):
    order: list[PrecedenceStep]
    text: LangMap


class Precedence(_PrecedenceRequired, total=False):
    provenance: Provenance
    source_note: LangMap
    legal_review: bool


class See(TypedDict):
    category: str
    items: list[str]


class _ItemRequired(TypedDict):
    id: str
    status: Status
    text: LangMap
    provenance: ItemProvenance


class Item(_ItemRequired, total=False):
    tier: str
    kind: str
    group: str
    referrals: list[str]
    billing: Billing
    see: See
    source_note: LangMap
    legal_review: bool


class _NoteRequired(TypedDict):
    id: str
    kind: NoteKind
    text: LangMap
    provenance: Provenance


class Note(_NoteRequired, total=False):
    cause: NoteCause
    tier: str
    test: Expression
    items: list[str]
    kinds: list[str]
    referrals: list[str]
    excludes_unlisted: bool
    source_note: LangMap
    legal_review: bool


class _GroupRequired(TypedDict):
    id: str
    text: LangMap
    provenance: Provenance


class Group(_GroupRequired, total=False):
    tier: str
    source_note: LangMap


class _CategoryRequired(TypedDict):
    id: str
    title: LangMap
    items: list[Item]
    provenance: Provenance


class Category(_CategoryRequired, total=False):
    conditions: list[Condition]
    groups: list[Group]
    notes: list[Note]
    source_note: LangMap
    legal_review: bool


VocabularyTerms = dict[str, list[str]]  # {"fr": ["sauvegarde", ...], "en": ["backup", ...]}


class _VocabularyGroupRequired(TypedDict):
    id: str
    kind: VocabularyKind
    terms: VocabularyTerms


class VocabularyGroup(_VocabularyGroupRequired, total=False):
    matrix_terms: list[str]
    note: LangMap


class _PolicyRequired(TypedDict):
    id: str
    version: str
    title: LangMap
    languages: list[str]
    products: list[Product]
    eligibility: Eligibility
    tiers: list[Tier]
    plans: list[Plan]
    facts: list[Fact]
    referrals: list[Referral]
    general_terms: list[GeneralTerm]
    categories: list[Category]


_PolicyOptional = TypedDict(
    "_PolicyOptional",
    {
        "$schema": str,
        "source": Source,
        "request_kinds": list[RequestKind],
        "precedence": Precedence,
        "vocabulary": list[VocabularyGroup],
    },
    total=False,
)


class Policy(_PolicyRequired, _PolicyOptional):
    """A whole policy document, as ``validate`` accepts it."""
