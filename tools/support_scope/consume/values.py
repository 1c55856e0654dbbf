"""The consumer API's value objects: decisions, citations, texts; immutable, JSON-ready.

A :class:`Decision` is what a service acts on: the outcome, why (in French and English), the
line of the source it rests on, what the customer can do instead, and the conditions it
checked. ``to_json`` gives the shape ``support-scope decide --format json`` prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from support_scope.model import policy as model
from support_scope.model.vocab import (
    CaveatKind,
    CheckScope,
    ConditionState,
    MatchKind,
    Outcome,
    RuleKind,
    Status,
)


@dataclass(frozen=True)
class Text:
    """A human text in several languages (immutable); French is authoritative."""

    values: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, language_map: Mapping[str, str]) -> Text:
        return cls(tuple(sorted(language_map.items())))

    def get(self, language: str, default: str | None = None) -> str | None:
        for key, value in self.values:
            if key == language:
                return value
        return default

    def __getitem__(self, language: str) -> str:
        value = self.get(language)
        if value is None:
            raise KeyError(language)
        return value

    def in_language(self, language: str) -> str:
        """The text in ``language``, or in French when it has none."""
        return self.get(language) or self["fr"]

    @property
    def fr(self) -> str:
        return self["fr"]

    @property
    def en(self) -> str | None:
        return self.get("en")

    def to_json(self) -> dict[str, str]:
        return dict(self.values)

    def __str__(self) -> str:
        return self.fr


@dataclass(frozen=True)
class ReviewSource:
    """The review an item was added in: the workbook returned, the sheet and row, the date."""

    workbook: str
    sheet: str
    row: int
    date: str

    def to_json(self) -> dict[str, Any]:
        return {"workbook": self.workbook, "sheet": self.sheet, "row": self.row, "date": self.date}


@dataclass(frozen=True)
class Provenance:
    """Where the source document states something (``page``, ``line``, ``column``); or, for an
    item a reviewer added in the review workbook, that review (``review``; page and line None)."""

    page: int | None
    line: int | None
    column: str | None
    section: str | None = None
    review: ReviewSource | None = None

    @classmethod
    def of(cls, data: model.ItemProvenance) -> Provenance:
        if "review" in data:
            review = cast("model.ReviewProvenance", data)["review"]
            return cls(
                None,
                None,
                None,
                review=ReviewSource(review["workbook"], review["sheet"], review["row"], review["date"]),
            )
        return cls(data["page"], data["line"], data["column"], data.get("section"))

    def to_json(self) -> dict[str, Any]:
        if self.review is not None:
            return {"review": self.review.to_json()}
        data: dict[str, Any] = {"page": self.page, "line": self.line, "column": self.column}
        if self.section is not None:
            data["section"] = self.section
        return data

    def __str__(self) -> str:
        if self.review is not None:
            review = self.review
            return f"review {review.workbook}, {review.sheet} row {review.row}, {review.date}"
        return f"p. {self.page}, l. {self.line} ({self.column})"


@dataclass(frozen=True)
class Referral:
    """Where a customer is sent instead."""

    id: str
    name: Text

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name.to_json()}


@dataclass(frozen=True)
class Billing:
    """A billing note: the service is available, but paid for apart from the plan."""

    kind: str
    text: Text
    minimum_hours: int | None = None

    @classmethod
    def of(cls, data: model.Billing) -> Billing:
        return cls(data["kind"], Text.of(data["text"]), data.get("minimum_hours"))

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text.to_json(), "minimum_hours": self.minimum_hours}


@dataclass(frozen=True)
class Offer:
    """What the customer can buy instead: the hourly technical service, an option billed separately.

    ``id`` is what a service acts on: the general term's id (``hourly-technical-service``) or,
    for an option a line of the matrix bills separately, that item's id.
    """

    id: str
    text: Text
    billing: Billing
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text.to_json(),
            "billing": self.billing.to_json(),
            "line": self.line,
        }


@dataclass(frozen=True)
class Caveat:
    """Something the agent must know with the answer: a reading flagged for legal review, the
    advisor's resolution rule, the call limit, a category's scope note, a self-service redirection."""

    kind: CaveatKind
    id: str
    text: Text
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "text": self.text.to_json(), "line": self.line}


@dataclass(frozen=True)
class RuleRef:
    """Which rule decided: its kind (``line``, ``grant``, ``term``, ``condition``...) and its id."""

    kind: RuleKind
    id: str | None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id}


@dataclass(frozen=True)
class Citation:
    """What a decision rests on: the category, the item (if any) and where the source says it.

    ``via`` names the row of ``category`` that refers to the item when the item belongs to
    another category (``via_category``): "Comme pour la configuration et installation".
    """

    category: str
    category_title: Text
    item: str | None
    text: Text | None
    provenance: Provenance
    via: str | None = None
    via_category: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "category_title": self.category_title.to_json(),
            "item": self.item,
            "text": self.text.to_json() if self.text else None,
            "provenance": self.provenance.to_json(),
            "via": self.via,
            "via_category": self.via_category,
        }


@dataclass(frozen=True)
class ConditionCheck:
    """A condition (or a not-covered term's test) a decision read, and how it came out.

    ``state`` is ``met``, ``unmet`` or ``unknown``; when unknown, ``missing`` names the facts
    the context should give to settle it. For a condition, ``met`` is in the customer's
    favour; for a not-covered term or a resolution rule (``scope`` ``term`` or ``note``),
    ``met`` means it applies: the request is not covered.
    """

    id: str
    scope: CheckScope
    text: Text
    state: ConditionState
    facts: tuple[str, ...]
    missing: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scope": self.scope,
            "text": self.text.to_json(),
            "state": self.state,
            "facts": list(self.facts),
            "missing": list(self.missing),
        }


@dataclass(frozen=True)
class Decision:
    """Whether a request is in scope for a customer, why, what it rests on, and what else to do.

    ``outcome`` is one of ``included``, ``upgrade``, ``excluded``, ``ineligible``, ``unlisted``.
    ``conditional`` is True when a fact the context leaves unknown could still change it: the
    outcome is then the one that holds if every open condition turns out in the customer's
    favour, ``pending`` lists the checks still open that matter and ``pending_facts`` the facts
    to ask. ``tier`` is the tier the service needs; ``plans`` the plans that reach it.
    ``rule`` says which rule decided (a line, a grant, a not-covered term, a condition...),
    ``cites`` the source lines the answer rests on. ``referrals`` and ``offers`` say what the
    customer can do instead; ``caveats`` what the agent must know with the answer.
    ``conditions`` lists every check the decision read, settled or not.
    """

    outcome: Outcome
    plan: str
    category: str
    item: str | None
    product: str | None
    reason: Text
    citation: Citation
    request: str | None = None
    tier: str | None = None
    plans: tuple[str, ...] = ()
    referrals: tuple[Referral, ...] = ()
    billing: Billing | None = None
    conditions: tuple[ConditionCheck, ...] = ()
    conditional: bool = False
    pending: tuple[ConditionCheck, ...] = ()
    pending_facts: tuple[str, ...] = ()
    offers: tuple[Offer, ...] = ()
    cites: tuple[int, ...] = ()
    rule: RuleRef = field(default_factory=lambda: RuleRef("unlisted", None))
    caveats: tuple[Caveat, ...] = ()

    @property
    def in_scope(self) -> bool:
        """True only when the outcome is ``included`` and nothing is left open."""
        return self.outcome == "included" and not self.conditional

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "conditional": self.conditional,
            "plan": self.plan,
            "category": self.category,
            "item": self.item,
            "request": self.request,
            "product": self.product,
            "reason": self.reason.to_json(),
            "rule": self.rule.to_json(),
            "citation": self.citation.to_json(),
            "cites": list(self.cites),
            "tier": self.tier,
            "plans": list(self.plans),
            "referrals": [r.to_json() for r in self.referrals],
            "offers": [o.to_json() for o in self.offers],
            "billing": self.billing.to_json() if self.billing else None,
            "caveats": [c.to_json() for c in self.caveats],
            "conditions": [c.to_json() for c in self.conditions],
            "pending": [c.id for c in self.pending],
            "pending_facts": list(self.pending_facts),
        }


@dataclass(frozen=True)
class GrantVerdict:
    """What a tier grant means for a customer's plan: ``included``, ``upgrade`` or ``ineligible``, and why."""

    outcome: Outcome
    reason: Text
    tier: str
    plans: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    """A line of the matrix a search found: an item of a category, a tier grant or a general term.

    ``kind`` is ``item``, ``grant`` or ``term`` and ``id`` its id (an item found in a category
    that refers to it, ``via``, is a line of that category). ``score`` ranks it (higher is
    better; comparable within one search only); ``matched`` holds the words of its texts the
    search matched, as written. ``same`` lists the identical lines (same French words, status
    and tier) shown as one answer with it. With a plan, an item carries its ``decision`` and a
    grant its ``verdict``.
    """

    kind: MatchKind
    id: str
    text: Text
    score: float
    provenance: Provenance
    category: str | None = None
    category_title: Text | None = None
    status: Status | None = None
    tier: str | None = None
    via: str | None = None
    referrals: tuple[Referral, ...] = ()
    billing: Billing | None = None
    matched: tuple[str, ...] = ()
    same: tuple[Match, ...] = ()
    decision: Decision | None = field(default=None, compare=False)
    verdict: GrantVerdict | None = field(default=None, compare=False)

    @property
    def item(self) -> str | None:
        return self.id if self.kind == "item" else None

    @property
    def ref(self) -> str:
        """``category/item``, ``grant:id`` or ``term:id``: the line, in one string."""
        return f"{self.category}/{self.id}" if self.kind == "item" else f"{self.kind}:{self.id}"

    @property
    def outcome(self) -> Outcome | None:
        """The answer for the plan searched with (None without a plan, and for a general term)."""
        if self.decision is not None:
            return self.decision.outcome
        return self.verdict.outcome if self.verdict is not None else None

    @property
    def reason(self) -> Text | None:
        if self.decision is not None:
            return self.decision.reason
        return self.verdict.reason if self.verdict is not None else None

    def to_json(self) -> dict[str, Any]:
        """The shape ``support-scope find --format json`` prints (French texts, English beside)."""
        data = self._line()
        data["score"] = round(self.score, 4)
        data["matched"] = list(self.matched)
        data["same"] = [other._line() for other in self.same]
        return data

    def _line(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "kind": self.kind,
            "category": self.category,
            "category_title": self.category_title.fr if self.category_title else None,
            "category_title_en": self.category_title.en if self.category_title else None,
            "item": self.item,
            "grant": self.id if self.kind == "grant" else None,
            "term": self.id if self.kind == "term" else None,
            "text": self.text.fr,
            "text_en": self.text.en,
            "status": self.status,
            "tier": self.tier,
            "via": self.via,
            "referrals": [r.id for r in self.referrals],
            "billing": self.billing.to_json() if self.billing else None,
            "provenance": self.provenance.to_json(),
            "decision": self.outcome,
            "reason": self.reason.to_json() if self.reason else None,
        }


@dataclass(frozen=True)
class ReleaseInfo:
    """Which release answered: its policy id and version, its digest, and where it was read."""

    policy_id: str
    policy_version: str
    digest: str
    source: str

    def to_json(self) -> dict[str, Any]:
        return {"policy_id": self.policy_id, "policy_version": self.policy_version, "digest": self.digest}


@dataclass(frozen=True)
class DecisionAnswer:
    """A decision with what it was asked and which release answered (``support-scope decide``)."""

    release: ReleaseInfo
    context: Mapping[str, Any]
    decision: Decision

    def to_json(self) -> dict[str, Any]:
        return {
            "release": self.release.to_json(),
            "context": dict(self.context),
            "decision": self.decision.to_json(),
        }


@dataclass(frozen=True)
class FindAnswer:
    """The matches of a search, with the query and which release answered (``support-scope find``)."""

    release: ReleaseInfo
    query: str
    plan: str | None
    product: str | None
    matches: tuple[Match, ...]
    tier_labels: Mapping[str, Text] = field(default_factory=dict)
    limit: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "plan": self.plan,
            "product": self.product,
            "release": self.release.to_json(),
            "matches": [{"rank": rank, **match.to_json()} for rank, match in enumerate(self.matches, 1)],
        }
