"""The closed vocabularies of the policy, the releases and the tools, each named once.

Every ``Literal`` here mirrors an ``enum`` of a schema (``schema/*.schema.json``) or a word the
commands print; the tuple beside it is the same list for the code that needs it at run time.
``tests/test_model.py`` holds the two in step with the schemas.
"""

from __future__ import annotations

from typing import Literal, get_args

Status = Literal["included", "excluded"]
Outcome = Literal["included", "upgrade", "excluded", "ineligible", "unlisted"]
Severity = Literal["breaking", "additive", "editorial"]
Bump = Literal["major", "minor", "patch"]
CheckState = Literal["released", "pending", "unreleased", "unverified", "invalid"]
ConditionState = Literal["met", "unmet", "unknown"]
ConditionScope = Literal["eligibility", "category"]
FactType = Literal["boolean", "integer", "string"]
Op = Literal["eq", "ne", "lt", "le", "gt", "ge"]
Column = Literal["intro", "category", "included", "excluded"]
TermKind = Literal["call-limit", "not-covered", "billable-service", "referral", "plan-tier"]
BillingKind = Literal["billed-separately", "hourly-rate"]
NoteKind = Literal["scope-note", "resolution-rule"]
NoteCause = Literal["customer-environment", "third-party-software"]
Language = Literal["fr", "en"]
VocabularyKind = Literal["synonym", "abbreviation", "brand", "domain", "concept"]
MatchKind = Literal["item", "grant", "term"]  # what a line found by `find` is

STATUSES: tuple[Status, ...] = get_args(Status)
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
SEVERITIES: tuple[Severity, ...] = get_args(Severity)  # the most severe first
BUMPS: tuple[Bump, ...] = get_args(Bump)  # the largest first
CHECK_STATES: tuple[CheckState, ...] = get_args(CheckState)
FACT_TYPES: tuple[FactType, ...] = get_args(FactType)
OPS: tuple[Op, ...] = get_args(Op)
TERM_KINDS: tuple[TermKind, ...] = get_args(TermKind)
BILLING_KINDS: tuple[BillingKind, ...] = get_args(BillingKind)
LANGUAGES: tuple[Language, ...] = get_args(Language)  # the languages the tools speak
VOCABULARY_KINDS: tuple[VocabularyKind, ...] = get_args(VocabularyKind)

# The version step each severity needs, and back: one table for diff, release and check.
BUMP_FOR: dict[Severity, Bump] = {"breaking": "major", "additive": "minor", "editorial": "patch"}
SEVERITY_RANK: dict[Severity, int] = {"editorial": 1, "additive": 2, "breaking": 3}
BUMP_RANK: dict[Bump, int] = {"patch": 1, "minor": 2, "major": 3}
