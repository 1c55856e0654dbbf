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
# What a decision checked: a condition (of eligibility or of a category), or the test of a
# not-covered general term or of a category's resolution rule.
CheckScope = Literal["eligibility", "category", "term", "note"]
# What a condition's failure means (a condition's ``when_unmet``): ``ineligible``, a plain
# restriction (the request is refused); ``not-applicable``, a condition on whom the line is for
# (the line does not apply, and the general terms and grants for the request's kind answer);
# ``not-covered``, a restriction placing the problem in the customer's environment (the
# not-covered term it names answers: excluded, never a general grant).
ConditionFailure = Literal["ineligible", "not-applicable", "not-covered"]
# The steps of the decision's precedence, in the policy's ``precedence.order``.
PrecedenceStep = Literal["line-excluded", "line-included", "not-covered", "grant"]
# Which rule decided a question (a decision's ``rule.kind``).
RuleKind = Literal["product", "eligibility", "condition", "line", "term", "note", "grant", "unlisted"]
# What a caveat shown with a decision is.
CaveatKind = Literal["legal-review", "resolution-rule", "scope-note", "call-limit", "self-service"]
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
CONDITION_STATES: tuple[ConditionState, ...] = get_args(ConditionState)
CHECK_SCOPES: tuple[CheckScope, ...] = get_args(CheckScope)
MATCH_KINDS: tuple[MatchKind, ...] = get_args(MatchKind)
CONDITION_FAILURES: tuple[ConditionFailure, ...] = get_args(ConditionFailure)
PRECEDENCE_STEPS: tuple[PrecedenceStep, ...] = get_args(PrecedenceStep)
RULE_KINDS: tuple[RuleKind, ...] = get_args(RuleKind)
CAVEAT_KINDS: tuple[CaveatKind, ...] = get_args(CaveatKind)
# The precedence a policy without one follows: a specific line (excluded, then included), then
# the general not-covered terms, then the tiers' general grants; what none covers is unlisted.
DEFAULT_PRECEDENCE: tuple[PrecedenceStep, ...] = ("line-excluded", "line-included", "not-covered", "grant")
# Conditions harsher the later: a change of ``when_unmet`` towards the end is breaking.
FAILURE_RANK: dict[ConditionFailure, int] = {"not-applicable": 1, "not-covered": 2, "ineligible": 3}
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
