"""Compare two versions of a policy, each change classified by its effect on coverage.

Records are matched by their stable ids, never by position: moving a category or an item is
an editorial change, not a removal plus an addition. Each change carries a rule id (listed in
:data:`RULES`), a severity (``breaking``: some customer loses coverage; ``additive``: coverage
widens; ``editorial``: wording, translation, notes, order) and a message naming the plans whose
customers gain or lose coverage. Texts are compared word by word, the way a legal reader marks
up a contract.

Everything here is pure: no I/O, no printing. ``diff_documents`` takes two parsed documents;
the renderers return strings.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from support_scope.files import paused_gc
from support_scope.locate import JsonPath, render_path
from support_scope.walks import comparisons, reachable

SEVERITIES = ("breaking", "additive", "editorial")
_SEVERITY_RANK = {"editorial": 1, "additive": 2, "breaking": 3}
BUMP_FOR_SEVERITY = {"breaking": "major", "additive": "minor", "editorial": "patch"}


@dataclass(frozen=True)
class Rule:
    """One kind of change: a stable id, what it is, and its effect on coverage."""

    id: str
    kind: str
    severity: str
    description: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "kind": self.kind, "severity": self.severity, "description": self.description}


_B, _A, _E = "breaking", "additive", "editorial"
# fmt: off
_RULE_TABLE: tuple[tuple[str, str, str, str], ...] = (
    # items
    ("item-added", "item added", _A, "A service is now included: customers of the plans that reach its tier gain it."),
    ("item-removed", "item removed", _B, "An included service is gone from the matrix: customers who had it lose it."),
    ("item-exclusion-added", "item added", _B, "A service is now listed as not covered (before, the matrix did not mention it)."),
    ("item-exclusion-removed", "item removed", _A, "A service is no longer listed as not covered."),
    ("item-excluded", "item moved from included to excluded", _B, "An included service is now listed as not covered."),
    ("item-included", "item moved from excluded to included", _A, "A service listed as not covered is now included."),
    ("item-tier-raised", "tier raised", _B, "An included service now needs a higher tier: customers of the lower plans lose it."),
    ("item-tier-lowered", "tier lowered", _A, "An included service now needs a lower tier: customers of more plans gain it."),
    ("item-recategorized", "item moved to another category", _E, "An item moved to another category whose conditions accept the same requests."),
    ("item-recategorized-conditions", "item moved to another category", _B, "An item moved to a category with other conditions: some requests may lose coverage."),
    ("item-reordered", "items reordered", _E, "Items of a category are listed in another order."),
    ("item-regrouped", "item group changed", _E, "An item is listed under another lead-in sentence (group)."),
    ("item-referral-changed", "referral changed", _E, "Where the customer is sent instead changed."),
    ("item-billing-changed", "billing changed", _E, "The billing note of a service changed (how it is paid for apart from the plan)."),
    ("item-reference-widened", "reference changed", _A, "A reference item ('see') stands for more items when included, or for fewer when excluded."),
    ("item-reference-narrowed", "reference changed", _B, "A reference item ('see') stands for fewer or other items when included, or for more when excluded."),
    # categories
    ("category-added", "category added", _E, "A category appeared; the effect on coverage is reported item by item."),
    ("category-removed", "category removed", _E, "A category disappeared; the effect on coverage is reported item by item."),
    ("category-retitled", "category retitled", _E, "The French title of a category changed."),
    ("category-reordered", "categories reordered", _E, "The categories are listed in another order."),
    # conditions (of a category or of eligibility)
    ("condition-added", "condition tightened", _B, "A new condition must hold: requests that do not meet it lose coverage."),
    ("condition-removed", "condition loosened", _A, "A condition no longer applies: requests that did not meet it gain coverage."),
    ("condition-tightened", "condition tightened", _B, "A condition accepts fewer requests than before."),
    ("condition-loosened", "condition loosened", _A, "A condition accepts more requests than before."),
    ("condition-changed", "condition changed", _B, "A condition accepts some requests it refused and refuses some it accepted."),
    ("condition-restated", "condition restated", _E, "A condition's test is written differently but accepts exactly the same requests."),
    # groups and notes
    ("group-added", "group added", _E, "A lead-in sentence (group) appeared in a category."),
    ("group-removed", "group removed", _E, "A lead-in sentence (group) disappeared from a category."),
    ("note-added", "note added", _E, "A note appeared in a category."),
    ("note-removed", "note removed", _E, "A note disappeared from a category."),
    ("note-changed", "note changed", _E, "A note's kind, cause or tier changed."),
    # products
    ("product-added", "product eligibility changed", _A, "An eligible product appeared: its subscribers gain support."),
    ("product-removed", "product eligibility changed", _B, "An eligible product disappeared: its subscribers lose support."),
    ("product-listed", "product added", _E, "A product not covered by support is now named."),
    ("product-unlisted", "product removed", _E, "A product not covered by support is no longer named."),
    ("product-eligibility-granted", "product eligibility changed", _A, "A product's subscribers are now eligible for support."),
    ("product-eligibility-withdrawn", "product eligibility changed", _B, "A product is dropped: its subscribers lose support."),
    # tiers and plans
    ("tier-added", "tier added", _E, "A support tier appeared; what it changes for customers is reported on plans and items."),
    ("tier-removed", "tier removed", _E, "A support tier disappeared; what it changes for customers is reported on plans and items."),
    ("tier-inclusion-added", "tier widened", _A, "A tier now includes another tier's services as well."),
    ("tier-inclusion-removed", "tier narrowed", _B, "A tier no longer includes another tier's services."),
    ("grant-added", "tier grant added", _A, "A tier grants something more in general."),
    ("grant-removed", "tier grant removed", _B, "A tier no longer grants something in general."),
    ("plan-added", "plan added", _A, "A plan appeared."),
    ("plan-removed", "plan removed", _B, "A plan disappeared: its customers lose their support."),
    ("plan-tier-raised", "plan tier raised", _A, "A plan now gives a higher tier: its customers gain coverage."),
    ("plan-tier-lowered", "plan tier lowered", _B, "A plan now gives a lower tier: its customers lose coverage."),
    # facts and referrals
    ("fact-added", "fact added", _E, "A context fact is declared."),
    ("fact-removed", "fact removed", _E, "A context fact is no longer declared."),
    ("fact-type-changed", "fact changed", _B, "A context fact has another type: services that pass it must change."),
    ("referral-target-added", "referral changed", _E, "A referral target is declared."),
    ("referral-target-removed", "referral changed", _E, "A referral target is no longer declared."),
    # general terms
    ("restriction-added", "general term changed", _B, "A general restriction (not covered, call limit) appeared."),
    ("restriction-removed", "general term changed", _A, "A general restriction (not covered, call limit) disappeared."),
    ("general-term-added", "general term changed", _E, "A general term that restricts nothing (billable service, referral, plan-tier) appeared."),
    ("general-term-removed", "general term changed", _E, "A general term that restricts nothing (billable service, referral, plan-tier) disappeared."),
    ("general-term-changed", "general term changed", _E, "A general term's kind, billing or referrals changed."),
    ("call-limit-tightened", "general term changed", _B, "A call may now be limited more strictly (shorter, or fewer problems)."),
    ("call-limit-loosened", "general term changed", _A, "A call may now be limited less strictly."),
    # the document
    ("policy-id-changed", "policy renamed", _B, "The policy's id changed: consumers and releases know it by the old one."),
    ("language-added", "translation changed", _E, "The document declares a new language."),
    ("language-removed", "translation changed", _E, "The document no longer declares a language."),
    # any text
    ("text-changed", "text changed", _E, "A French (authoritative) text changed: legal review."),
    ("translation-changed", "translation changed", _E, "A translation (not the French text) changed, appeared or disappeared."),
    ("annotation-changed", "notes changed", _E, "Provenance, source notes or the source reference changed; not part of the contract."),
    ("other-field-changed", "field changed", _E, "Any other field changed (compared field by field); legal review."),
)
# fmt: on
RULES: dict[str, Rule] = {row[0]: Rule(*row) for row in _RULE_TABLE}


@dataclass(frozen=True)
class Segment:
    """A run of a word-by-word text comparison: ``equal``, ``delete`` or ``insert``."""

    op: str
    text: str


@dataclass
class Change:
    """One change between two policy versions."""

    rule: str
    ids: dict[str, str]
    message: str
    old_path: JsonPath | None = None
    new_path: JsonPath | None = None
    old: Any = None
    new: Any = None
    plans_gaining: list[str] = field(default_factory=list)
    plans_losing: list[str] = field(default_factory=list)
    words: list[Segment] | None = None
    legal: bool = False

    @property
    def kind(self) -> str:
        return RULES[self.rule].kind

    @property
    def severity(self) -> str:
        return RULES[self.rule].severity

    @property
    def legal_review(self) -> bool:
        """French wording of the contract changed, or an effect the rules cannot classify."""
        return self.legal or self.rule in ("text-changed", "category-retitled", "other-field-changed")

    @property
    def where(self) -> str:
        """The JSON path in the new version, or in the old one for what was removed."""
        path = self.new_path if self.new_path is not None else self.old_path
        return render_path(path) if path is not None else "$"

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "kind": self.kind,
            "severity": self.severity,
            "legal_review": self.legal_review,
            "ids": dict(self.ids),
            "old_path": render_path(self.old_path) if self.old_path is not None else None,
            "new_path": render_path(self.new_path) if self.new_path is not None else None,
            "old": self.old,
            "new": self.new,
            "plans_gaining": list(self.plans_gaining),
            "plans_losing": list(self.plans_losing),
            "message": self.message,
            "words": [{"op": s.op, "text": s.text} for s in self.words] if self.words is not None else None,
        }


@dataclass
class Diff:
    """Every change from ``old`` to ``new``, in document order."""

    old_id: str | None
    new_id: str | None
    old_version: str | None
    new_version: str | None
    changes: list[Change] = field(default_factory=list)

    @property
    def severity(self) -> str | None:
        """The highest severity among the changes, or None when nothing changed."""
        if not self.changes:
            return None
        return max((c.severity for c in self.changes), key=_SEVERITY_RANK.__getitem__)

    @property
    def required_bump(self) -> str | None:
        """``major``, ``minor``, ``patch``, or None when nothing changed."""
        severity = self.severity
        return BUMP_FOR_SEVERITY[severity] if severity else None

    def count(self, severity: str) -> int:
        return sum(1 for c in self.changes if c.severity == severity)

    def at_least(self, severity: str) -> bool:
        """True when some change is of ``severity`` or higher."""
        return any(_SEVERITY_RANK[c.severity] >= _SEVERITY_RANK[severity] for c in self.changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "old": {"id": self.old_id, "version": self.old_version},
            "new": {"id": self.new_id, "version": self.new_version},
            "severity": self.severity,
            "required_bump": self.required_bump,
            "summary": {
                "changes": len(self.changes),
                **{severity: self.count(severity) for severity in SEVERITIES},
                "legal_review": sum(1 for c in self.changes if c.legal_review),
            },
            "changes": [c.to_json() for c in self.changes],
        }


# --------------------------------------------------------------------------- helpers


def _entries(container: Any, key: str) -> list[dict[str, Any]]:
    value = container.get(key) if isinstance(container, dict) else None
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


_Entry = tuple[int, dict[str, Any]]  # a record and its position in its list


def _index(container: Any, key: str) -> dict[str, _Entry]:
    """id -> (position, record) for the records of ``container[key]`` (first one wins on a repeat)."""
    index: dict[str, _Entry] = {}
    value = container.get(key) if isinstance(container, dict) else None
    if isinstance(value, list):
        for position, entry in enumerate(value):
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                index.setdefault(entry["id"], (position, entry))
    return index


def _french(text: Any) -> str:
    if isinstance(text, dict) and isinstance(text.get("fr"), str):
        return str(text["fr"])
    return ""


_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)


def word_diff(old: str, new: str) -> list[Segment]:
    """Compare two texts word by word (words, spaces and punctuation are the tokens)."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    segments: list[Segment] = []

    def add(op: str, text: str) -> None:
        if not text:
            return
        if segments and segments[-1].op == op:
            segments[-1] = Segment(op, segments[-1].text + text)
        else:
            segments.append(Segment(op, text))

    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add("equal", "".join(a[i1:i2]))
            continue
        removed, inserted = "".join(a[i1:i2]), "".join(b[j1:j2])
        # White space that both sides of a replaced run share is common text, not a change.
        lead = _shared_space(removed, inserted, leading=True)
        trail = _shared_space(removed[len(lead) :], inserted[len(lead) :], leading=False)
        add("equal", lead)
        add("delete", removed[len(lead) : len(removed) - len(trail)])
        add("insert", inserted[len(lead) : len(inserted) - len(trail)])
        add("equal", trail)
    return segments


def _shared_space(a: str, b: str, leading: bool) -> str:
    """The white space both ``a`` and ``b`` start (or end) with, when both have more than that."""
    if not a or not b:
        return ""
    sa = a[: len(a) - len(a.lstrip())] if leading else a[len(a.rstrip()) :]
    sb = b[: len(b) - len(b.lstrip())] if leading else b[len(b.rstrip()) :]
    return sa if sa == sb and sa != a and sb != b else ""


# --------------------------------------------------------------------------- coverage


class _Coverage:
    """Which plans reach which tier in one version of a policy."""

    def __init__(self, document: dict[str, Any]) -> None:
        includes = {
            t["id"]: _strings(t.get("includes"))
            for t in _entries(document, "tiers")
            if isinstance(t.get("id"), str)
        }
        # Each tier with every tier it includes, directly or not (itself too).
        self.reach = {tier: {tier} | reachable(tier, includes) for tier in includes}
        self.plans = {
            p["id"]: str(p.get("tier")) for p in _entries(document, "plans") if isinstance(p.get("id"), str)
        }

    def plans_for(self, item: dict[str, Any] | None) -> set[str]:
        """The plans whose customers have this item in scope."""
        if item is None or item.get("status") != "included":
            return set()
        tier = item.get("tier")
        if not isinstance(tier, str):
            return set()
        return {plan for plan, plan_tier in self.plans.items() if tier in self.reach.get(plan_tier, set())}

    def higher(self, a: Any, b: Any) -> bool:
        """True when tier ``a`` includes tier ``b`` (and is not it)."""
        return isinstance(a, str) and isinstance(b, str) and a != b and b in self.reach.get(a, set())


def _plans(names: Iterable[str]) -> str:
    names = sorted(names)
    if not names:
        return "no plan"
    return ("plan " if len(names) == 1 else "plans ") + ", ".join(names)


# --------------------------------------------------------------------------- conditions


def _hashable(value: Any) -> Any:
    return value if isinstance(value, (bool, int, str)) or value is None else repr(value)


def _evaluate(expression: Any, context: dict[str, Any]) -> bool:
    if not isinstance(expression, dict):
        return True
    if isinstance(expression.get("all"), list):
        return all(_evaluate(e, context) for e in expression["all"])
    if isinstance(expression.get("any"), list):
        return any(_evaluate(e, context) for e in expression["any"])
    if "not" in expression:
        return not _evaluate(expression["not"], context)
    fact = expression.get("fact")
    actual: Any = context.get(fact) if isinstance(fact, str) else None
    value, op = expression.get("value"), expression.get("op")
    try:
        if op == "eq":
            return bool(actual == value)
        if op == "ne":
            return bool(actual != value)
        if op == "lt":
            return bool(actual < value)
        if op == "le":
            return bool(actual <= value)
        if op == "gt":
            return bool(actual > value)
        if op == "ge":
            return bool(actual >= value)
    except TypeError:
        return False
    return False


_MAX_CASES = 50_000


def compare_tests(old: list[Any], new: list[Any]) -> str:
    """How the conjunction ``new`` of tests relates to ``old``: same, tightened, loosened, changed.

    Each fact only matters at the values the tests compare it with, so the tests are evaluated
    on every combination of those values (and their neighbours, for integers): exact, not a guess.
    """
    found: dict[str, set[Any]] = {}
    for expression in [*old, *new]:
        for comparison in comparisons(expression):
            found.setdefault(comparison["fact"], set()).add(_hashable(comparison.get("value")))
    domains: list[list[Any]] = []
    for values in found.values():
        # The values a fact can take, of the type its comparisons use: a boolean fact is
        # true or false; an integer fact matters just below, at and above each constant.
        domain: set[Any] = set()
        for value in values:
            if isinstance(value, bool):
                domain |= {True, False}
            elif isinstance(value, int):
                domain |= {value - 1, value, value + 1}
            elif isinstance(value, str):
                domain |= {value, "\x00other"}
            else:
                domain.add(value)
        domains.append(sorted(domain, key=repr))
    cases = 1
    for values_of_fact in domains:
        cases *= len(values_of_fact)
    if cases > _MAX_CASES:
        return "changed"
    lost = gained = False
    names = list(found)
    for combination in itertools.product(*domains):
        context = dict(zip(names, combination, strict=True))
        before = all(_evaluate(e, context) for e in old)
        after = all(_evaluate(e, context) for e in new)
        lost |= before and not after
        gained |= after and not before
        if lost and gained:
            return "changed"
    return "tightened" if lost else "loosened" if gained else "same"


# --------------------------------------------------------------------------- the comparison


_TEXT_FIELDS = ("text", "title", "name", "label", "description")
_ANNOTATION_FIELDS = ("provenance", "source_note")
_RESTRICTING_TERMS = ("not-covered", "call-limit")


@dataclass(frozen=True)
class _Match:
    """A record present in both versions, and where it stands in each."""

    id: str
    ids: dict[str, str]
    old: dict[str, Any]
    new: dict[str, Any]
    old_path: JsonPath
    new_path: JsonPath
    where: str  # the label of the record holding the list ("" at the top level)
    label: str  # this record's label in messages: "plan 'pro'", "category 'setup' note 'n1'"


class _Fields(dict[str, Any]):
    """A record's fields for a message template; a missing field reads as None."""

    def __missing__(self, key: str) -> None:
        return None


@dataclass(frozen=True)
class _Collection:
    """A list of records matched by id (``products``, ``conditions``...) and the rules of its changes.

    A record that appears or disappears is one change: ``added`` or ``removed`` holds its
    (rule, message) pair, or two pairs when ``variant`` tells them apart by the record (the
    first pair when it returns True). Messages are :meth:`str.format` templates over the
    record's fields, with ``id``, ``where`` (the holder's label), ``text`` (the record's French
    text) and ``plans`` (the plans concerned, in words). ``affects`` names those plans:
    ``every`` plan of the new version, the plans ``given`` by the caller, the plan the record
    ``is``, or ``none``; the rule's severity says whether they gain coverage (additive) or
    lose it (breaking). A record kept on both sides goes through ``compare`` (the fields its
    rules handle, listed in ``handled``), then every other field is compared generically.
    """

    key: str
    name: str
    label: str
    added: tuple[tuple[str, str], ...]
    removed: tuple[tuple[str, str], ...]
    handled: tuple[str, ...] = ()
    compare: Callable[[_Differ, _Match], None] | None = None
    variant: Callable[[dict[str, Any]], bool] | None = None
    affects: str = "none"
    value: str | None = None  # the field reported as old/new when the record comes or goes; None: all of it


class _Differ:
    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old, self.new = old, new
        self.old_cov, self.new_cov = _Coverage(old), _Coverage(new)
        self.old_categories = _index(old, "categories")
        self.new_categories = _index(new, "categories")
        self.changes: list[Change] = []

    def add(self, rule: str, ids: dict[str, str], message: str, **kwargs: Any) -> None:
        self.changes.append(Change(rule, ids, message, **kwargs))

    def field(self, rule: str, m: _Match, name: str, message: str, **kwargs: Any) -> None:
        """A change of field ``name`` of a matched record (unless ``kwargs`` say what old and new were)."""
        kwargs.setdefault("old", m.old.get(name))
        kwargs.setdefault("new", m.new.get(name))
        self.add(rule, m.ids, message, old_path=(*m.old_path, name), new_path=(*m.new_path, name), **kwargs)

    # ---- id-keyed collections

    def collection(
        self,
        spec: _Collection,
        old: Any,
        new: Any,
        old_base: JsonPath = (),
        new_base: JsonPath = (),
        scope: dict[str, str] | None = None,
        where: str = "",
        plans: list[str] | None = None,
    ) -> None:
        """Every record of ``spec.key`` in the containers ``old`` and ``new``: new order first, then the removed ones."""
        old_index, new_index = _index(old, spec.key), _index(new, spec.key)
        scope = scope or {}
        for rid, after in new_index.items():
            before = old_index.get(rid)
            if before is None:
                self.came_or_went(spec, rid, after, True, new_base, scope, where, plans or [])
                continue
            if before[1] == after[1]:
                continue
            ids = {**scope, spec.name: rid}
            m = _Match(
                rid,
                ids,
                before[1],
                after[1],
                (*old_base, spec.key, before[0]),
                (*new_base, spec.key, after[0]),
                where,
                spec.label.format(id=rid, where=where),
            )
            if spec.compare is not None:
                spec.compare(self, m)
            self.record(m.old, m.new, m.old_path, m.new_path, ids, spec.handled, m.label)
        for rid, before in old_index.items():
            if rid not in new_index:
                self.came_or_went(spec, rid, before, False, old_base, scope, where, plans or [])

    def came_or_went(
        self,
        spec: _Collection,
        rid: str,
        entry: _Entry,
        added: bool,
        base: JsonPath,
        scope: dict[str, str],
        where: str,
        given: list[str],
    ) -> None:
        """One change for a record of ``spec`` that only the new (``added``) or the old version has."""
        position, record = entry
        pairs = spec.added if added else spec.removed
        rule, template = pairs[0 if spec.variant is None or spec.variant(record) else 1]
        plans = {"every": sorted(self.new_cov.plans), "given": given, "is": [rid]}.get(spec.affects, [])
        fields = _Fields(record)
        fields.update(id=rid, where=where, text=_french(record.get("text")), plans=_plans(plans))
        value = record if spec.value is None else record.get(spec.value)
        path = (*base, spec.key, position)
        severity = RULES[rule].severity
        self.add(
            rule,
            {**scope, spec.name: rid},
            template.format_map(fields),
            **({"new_path": path, "new": value} if added else {"old_path": path, "old": value}),
            plans_gaining=plans if severity == "additive" else [],
            plans_losing=plans if severity == "breaking" else [],
        )

    # ---- generic field comparison of two matched records

    def record(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        old_path: JsonPath,
        new_path: JsonPath,
        ids: dict[str, str],
        handled: Iterable[str],
        label: str,
    ) -> None:
        """Texts, annotations, then any field no rule handles (compared with deepdiff)."""
        if old == new:
            return
        skip = {"id", *handled}
        for name in _TEXT_FIELDS:
            if name not in skip:
                self.texts(old.get(name), new.get(name), (*old_path, name), (*new_path, name), ids, label)
        skip.update(_TEXT_FIELDS)
        for name in _ANNOTATION_FIELDS:
            if old.get(name) != new.get(name):
                self.add(
                    "annotation-changed",
                    ids,
                    f"{label}: {name.replace('_', ' ')} changed",
                    old_path=(*old_path, name),
                    new_path=(*new_path, name),
                    old=old.get(name),
                    new=new.get(name),
                )
        skip.update(_ANNOTATION_FIELDS)
        rest_old = {k: v for k, v in old.items() if k not in skip}
        rest_new = {k: v for k, v in new.items() if k not in skip}
        if rest_old != rest_new:
            from deepdiff import DeepDiff

            delta = DeepDiff(rest_old, rest_new, verbose_level=2)
            for name in sorted(set(rest_old) | set(rest_new)):
                if rest_old.get(name) != rest_new.get(name):
                    self.add(
                        "other-field-changed",
                        ids,
                        f"{label}: {name} changed ({_deepdiff_summary(delta, name)})",
                        old_path=(*old_path, name),
                        new_path=(*new_path, name),
                        old=rest_old.get(name),
                        new=rest_new.get(name),
                    )

    def texts(
        self, old: Any, new: Any, old_path: JsonPath, new_path: JsonPath, ids: dict[str, str], label: str
    ) -> None:
        if old == new:
            return
        old_map = old if isinstance(old, dict) else {}
        new_map = new if isinstance(new, dict) else {}
        for language in sorted(set(old_map) | set(new_map), key=lambda lang: (lang != "fr", lang)):
            before, after = old_map.get(language), new_map.get(language)
            if before == after:
                continue
            french = language == "fr"
            is_title = french and old_path[-1] == "title" and "category" in ids and "item" not in ids
            rule = "category-retitled" if is_title else "text-changed" if french else "translation-changed"
            what = "French text" if french else f"{language!r} translation"
            if before is None:
                message = f"{label}: {what} added"
            elif after is None:
                message = f"{label}: {what} removed"
            else:
                message = f"{label}: {what} changed"
            self.add(
                rule,
                ids,
                message,
                old_path=(*old_path, language),
                new_path=(*new_path, language),
                old=before,
                new=after,
                words=word_diff(str(before or ""), str(after or "")),
            )

    # ---- the document

    def run(self) -> None:
        old, new = self.old, self.new
        if old.get("id") != new.get("id"):
            self.add(
                "policy-id-changed",
                {"policy": str(new.get("id"))},
                f"the policy's id changed from {old.get('id')!r} to {new.get('id')!r}",
                old_path=("id",),
                new_path=("id",),
                old=old.get("id"),
                new=new.get("id"),
            )
        self.texts(old.get("title"), new.get("title"), ("title",), ("title",), {}, "policy title")
        self.languages()
        if old.get("source") != new.get("source"):
            self.add(
                "annotation-changed",
                {},
                "the source document reference changed",
                old_path=("source",),
                new_path=("source",),
                old=old.get("source"),
                new=new.get("source"),
            )
        self.collection(_PRODUCTS, old, new)
        self.eligibility()
        self.collection(_TIERS, old, new)
        self.collection(_PLANS, old, new)
        self.collection(_FACTS, old, new)
        self.collection(_REFERRALS, old, new)
        self.collection(_GENERAL_TERMS, old, new)
        self.categories()

    def languages(self) -> None:
        before, after = _strings(self.old.get("languages")), _strings(self.new.get("languages"))
        for language in after:
            if language not in before:
                self.add(
                    "language-added",
                    {"language": language},
                    f"the document now declares the language {language!r}",
                    new_path=("languages",),
                    new=language,
                )
        for language in before:
            if language not in after:
                self.add(
                    "language-removed",
                    {"language": language},
                    f"the document no longer declares the language {language!r}",
                    old_path=("languages",),
                    old=language,
                )

    def eligibility(self) -> None:
        old, new = self.old.get("eligibility"), self.new.get("eligibility")
        if old == new or not isinstance(old, dict) or not isinstance(new, dict):
            return
        where = "every request (eligibility)"
        self.record(old, new, ("eligibility",), ("eligibility",), {}, ("conditions",), "eligibility")
        self.collection(_CONDITIONS, old, new, ("eligibility",), ("eligibility",), {}, where)

    # ---- what the rules say about a matched record of each collection

    def product(self, m: _Match) -> None:
        if m.old.get("eligible") != m.new.get("eligible"):
            granted = m.new.get("eligible") is True
            self.field(
                "product-eligibility-granted" if granted else "product-eligibility-withdrawn",
                m,
                "eligible",
                f"{m.label} {'is now eligible: its subscribers gain support' if granted else 'is dropped: its subscribers lose support'}",
            )

    def condition(self, m: _Match) -> None:
        before, after = m.old.get("test"), m.new.get("test")
        if before == after:
            return
        relation = compare_tests([before], [after])
        rule, effect = _CONDITION_RELATIONS[relation]
        every = sorted(self.new_cov.plans)
        self.field(
            rule,
            m,
            "test",
            f"{m.label} {effect}",
            plans_losing=every if relation in ("tightened", "changed") else [],
            plans_gaining=every if relation in ("loosened", "changed") else [],
        )

    def tier(self, m: _Match) -> None:
        before, after = _strings(m.old.get("includes")), _strings(m.new.get("includes"))
        users = sorted(p for p, t in self.new_cov.plans.items() if t == m.id)
        for included in after:
            if included not in before:
                self.field(
                    "tier-inclusion-added",
                    m,
                    "includes",
                    f"{m.label} now includes tier {included!r}: customers of {_plans(users)} gain its services",
                    old=None,
                    new=included,
                    plans_gaining=users,
                )
        for included in before:
            if included not in after:
                self.field(
                    "tier-inclusion-removed",
                    m,
                    "includes",
                    f"{m.label} no longer includes tier {included!r}: customers of {_plans(users)} lose its services",
                    old=included,
                    new=None,
                    plans_losing=users,
                )
        reach = sorted(p for p, t in self.new_cov.plans.items() if m.id in self.new_cov.reach.get(t, set()))
        self.collection(_GRANTS, m.old, m.new, m.old_path, m.new_path, m.ids, m.label, reach)

    def plan(self, m: _Match) -> None:
        before, after = m.old.get("tier"), m.new.get("tier")
        if before != after:
            raised = self.new_cov.higher(after, before)
            self.field(
                "plan-tier-raised" if raised else "plan-tier-lowered",
                m,
                "tier",
                f"{m.label} now gives tier {after!r} instead of {before!r}: its customers {'gain' if raised else 'lose'} coverage",
                plans_gaining=[m.id] if raised else [],
                plans_losing=[] if raised else [m.id],
            )

    def fact(self, m: _Match) -> None:
        before, after = m.old.get("type"), m.new.get("type")
        if before != after:
            self.field(
                "fact-type-changed",
                m,
                "type",
                f"{m.label} is now a {after} (was {before}): services passing it must change",
            )

    def general_term(self, m: _Match) -> None:
        before, after = m.old.get("limits"), m.new.get("limits")
        if before != after:
            tightened = _limits_relation(before, after) == "tightened"
            every = sorted(self.new_cov.plans)
            self.field(
                "call-limit-tightened" if tightened else "call-limit-loosened",
                m,
                "limits",
                f"{m.label}: call limits {before} → {after}",
                plans_losing=every if tightened else [],
                plans_gaining=[] if tightened else every,
            )
        for name in ("kind", "billing", "referrals"):
            if m.old.get(name) != m.new.get(name):
                self.field("general-term-changed", m, name, f"{m.label}: {name} changed", legal=True)

    def note(self, m: _Match) -> None:
        for name in ("kind", "cause", "tier"):
            before, after = m.old.get(name), m.new.get(name)
            if before != after:
                self.field(
                    "note-changed", m, name, f"{m.where}: note {m.id!r}: {name} {before!r} → {after!r}"
                )

    # ---- categories and items

    def categories(self) -> None:
        old_index, new_index = self.old_categories, self.new_categories
        self.reordered(old_index, new_index, ("categories",), {}, "category-reordered", "categories")
        # Only categories that changed can have lost or gained an item (a move changes both
        # ends), so only their items are indexed: unchanged ones cost one C-level comparison.
        empty: dict[str, _Entry] = {}
        changed: list[tuple[str, _Entry | None, _Entry | None]] = []
        for cid, now in new_index.items():
            before = old_index.get(cid)
            if before is None or before[1] != now[1]:
                changed.append((cid, before, now))
        changed += [(cid, before, None) for cid, before in old_index.items() if cid not in new_index]
        items = {
            cid: (
                _index(old[1], "items") if old is not None else empty,
                _index(new[1], "items") if new is not None else empty,
            )
            for cid, old, new in changed
        }
        old_items = {
            item_id: (cid, position, item)
            for cid, (old_idx, _) in items.items()
            for item_id, (position, item) in old_idx.items()
        }
        new_items = {
            item_id: (cid, position, item)
            for cid, (_, new_idx) in items.items()
            for item_id, (position, item) in new_idx.items()
        }
        for cid, old, new in changed:
            ids = {"category": cid}
            if old is None and new is not None:
                self.add(
                    "category-added",
                    ids,
                    f"category {cid!r} «{_french(new[1].get('title'))}» added",
                    new_path=("categories", new[0]),
                    new=_french(new[1].get("title")),
                )
                self.category_items(None, new, cid, items[cid], old_items, new_items)
            elif new is None and old is not None:
                self.add(
                    "category-removed",
                    ids,
                    f"category {cid!r} «{_french(old[1].get('title'))}» removed",
                    old_path=("categories", old[0]),
                    old=_french(old[1].get("title")),
                )
                self.category_items(old, None, cid, items[cid], old_items, new_items)
            elif old is not None and new is not None:
                o_path: JsonPath = ("categories", old[0])
                n_path: JsonPath = ("categories", new[0])
                label = f"category {cid!r}"
                self.record(
                    old[1], new[1], o_path, n_path, ids, ("conditions", "groups", "notes", "items"), label
                )
                for spec in (_CONDITIONS, _GROUPS, _NOTES):
                    self.collection(spec, old[1], new[1], o_path, n_path, ids, label)
                self.category_items(old, new, cid, items[cid], old_items, new_items)

    def reordered(
        self,
        before_index: dict[str, _Entry],
        after_index: dict[str, _Entry],
        path: JsonPath,
        ids: dict[str, str],
        rule: str,
        what: str,
    ) -> None:
        """One change when the records kept on both sides are listed in another order.

        The message names each record that moved with its old and new position (1-based, in
        the old and the new list). A record counts as moved when its place among the records
        kept on both sides changed; when one record travelling far shifts many others by one,
        only the travellers (those outside the longest common order) are named.
        """
        kept = before_index.keys() & after_index.keys()
        a = [x for x in before_index if x in kept]
        b = [x for x in after_index if x in kept]
        if a == b:
            return
        rank = {x: i for i, x in enumerate(a)}
        shifted = [x for i, x in enumerate(b) if rank[x] != i]
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        stayed = {x for block in matcher.get_matching_blocks() for x in b[block.b : block.b + block.size]}
        travelled = [x for x in b if x not in stayed]
        moved = shifted if len(shifted) <= 2 * len(travelled) else travelled
        shown = ", ".join(
            f"{x} from position {before_index[x][0] + 1} to {after_index[x][0] + 1}" for x in moved[:10]
        ) + (f" and {len(moved) - 10} more" if len(moved) > 10 else "")
        self.add(
            rule,
            {**ids, "moved": ",".join(moved)},
            f"{what} reordered (no change of coverage): {shown}",
            old_path=path,
            new_path=path,
            old=a,
            new=b,
        )

    def category_items(
        self,
        old: _Entry | None,
        new: _Entry | None,
        cid: str,
        indexes: tuple[dict[str, _Entry], dict[str, _Entry]],
        old_items: dict[str, tuple[str, int, dict[str, Any]]],
        new_items: dict[str, tuple[str, int, dict[str, Any]]],
    ) -> None:
        """Items of category ``cid``: those it has now, then those it lost (unless moved elsewhere)."""
        old_index, new_index = indexes
        if old and new:
            self.reordered(
                old_index,
                new_index,
                ("categories", new[0], "items"),
                {"category": cid},
                "item-reordered",
                f"items of category {cid!r}",
            )
        if new is not None:
            for item_id, (position, item) in new_index.items():
                n_path: JsonPath = ("categories", new[0], "items", position)
                previous = old_items.get(item_id)
                if previous is None:
                    self.item_appeared(item, n_path, {"category": cid, "item": item_id})
                    continue
                p_cid, p_position, p_item = previous
                if p_item == item and p_cid == cid:
                    continue
                ids = {"category": cid, "item": item_id}
                o_path: JsonPath = ("categories", self.old_categories[p_cid][0], "items", p_position)
                if p_cid != cid:
                    self.item_moved(p_cid, cid, o_path, n_path, ids)
                if p_item != item:
                    self.item(
                        _Match(
                            item_id,
                            ids,
                            p_item,
                            item,
                            o_path,
                            n_path,
                            f"category {cid!r}",
                            f"item {item_id!r}",
                        )
                    )
        if old is not None:
            for item_id, (position, item) in old_index.items():
                if item_id in new_items:
                    continue  # kept here, or moved to another category (reported there)
                self.item_vanished(
                    item, ("categories", old[0], "items", position), {"category": cid, "item": item_id}
                )

    def reference(self, m: _Match) -> None:
        """A `see` item stands for the items it lists, at its own tier: listing more widens an included item."""
        before, after = _referred(m.old), _referred(m.new)
        widened = after >= before if m.new.get("status") == "included" else before >= after
        plans = sorted(self.new_cov.plans_for(m.new) | self.old_cov.plans_for(m.old))
        self.field(
            "item-reference-widened" if widened else "item-reference-narrowed",
            m,
            "see",
            f"{m.label}: stands for {_referred_text(after)} (was {_referred_text(before)}): customers of {_plans(plans)} "
            + ("gain coverage" if widened else "may lose coverage"),
            plans_gaining=plans if widened else [],
            plans_losing=[] if widened else plans,
        )

    def item_appeared(self, item: dict[str, Any], path: JsonPath, ids: dict[str, str]) -> None:
        text = _french(item.get("text"))
        if item.get("status") == "included":
            plans = sorted(self.new_cov.plans_for(item))
            self.add(
                "item-added",
                ids,
                f"new included service «{text}» (tier {item.get('tier')!r}): customers of {_plans(plans)} gain it",
                new_path=path,
                new=item,
                plans_gaining=plans,
            )
        else:
            self.add(
                "item-exclusion-added",
                ids,
                f"«{text}» is now listed as not covered, for every plan",
                new_path=path,
                new=item,
                plans_losing=sorted(self.new_cov.plans),
            )

    def item_vanished(self, item: dict[str, Any], path: JsonPath, ids: dict[str, str]) -> None:
        text = _french(item.get("text"))
        if item.get("status") == "included":
            plans = sorted(self.old_cov.plans_for(item))
            self.add(
                "item-removed",
                ids,
                f"included service «{text}» (tier {item.get('tier')!r}) removed: customers of {_plans(plans)} lose it",
                old_path=path,
                old=item,
                plans_losing=plans,
            )
        else:
            self.add(
                "item-exclusion-removed",
                ids,
                f"«{text}» is no longer listed as not covered",
                old_path=path,
                old=item,
                plans_gaining=sorted(self.new_cov.plans),
            )

    def item_moved(
        self, from_cid: str, to_cid: str, o_path: JsonPath, n_path: JsonPath, ids: dict[str, str]
    ) -> None:
        before = [c.get("test") for c in _entries(self.old_categories[from_cid][1], "conditions")]
        after = [c.get("test") for c in _entries(self.new_categories[to_cid][1], "conditions")]
        relation = "same" if before == after else compare_tests(before, after)
        self.add(
            "item-recategorized" if relation == "same" else "item-recategorized-conditions",
            ids,
            f"item moved from category {from_cid!r} to {to_cid!r}"
            + (
                ""
                if relation == "same"
                else f"; the conditions that apply to it {relation if relation != 'changed' else 'differ'}"
            ),
            old_path=o_path,
            new_path=n_path,
            old=from_cid,
            new=to_cid,
            plans_losing=sorted(self.new_cov.plans) if relation in ("tightened", "changed") else [],
        )

    def item(self, m: _Match) -> None:
        old, new = m.old, m.new
        text = _french(new.get("text"))
        before_plans, after_plans = self.old_cov.plans_for(old), self.new_cov.plans_for(new)
        gaining, losing = sorted(after_plans - before_plans), sorted(before_plans - after_plans)
        status_before, status_after = old.get("status"), new.get("status")
        if status_before != status_after:
            included = status_after == "included"
            self.field(
                "item-included" if included else "item-excluded",
                m,
                "status",
                f"«{text}» is now included (tier {new.get('tier')!r}): customers of {_plans(gaining)} gain it"
                if included
                else f"«{text}» is now excluded: customers of {_plans(losing)} lose it",
                old={"status": status_before, "tier": old.get("tier")},
                new={"status": status_after, "tier": new.get("tier")},
                plans_gaining=gaining,
                plans_losing=losing,
            )
        elif old.get("tier") != new.get("tier"):
            lowered = self.new_cov.higher(old.get("tier"), new.get("tier"))
            self.field(
                "item-tier-lowered" if lowered else "item-tier-raised",
                m,
                "tier",
                f"«{text}» now needs tier {new.get('tier')!r} (was {old.get('tier')!r}): "
                + (
                    f"customers of {_plans(gaining)} gain it"
                    if lowered
                    else f"customers of {_plans(losing)} lose it"
                ),
                plans_gaining=gaining,
                plans_losing=losing,
            )
        for name, rule in (
            ("group", "item-regrouped"),
            ("referrals", "item-referral-changed"),
            ("billing", "item-billing-changed"),
        ):
            if old.get(name) != new.get(name):
                self.field(rule, m, name, f"{m.label}: {name} changed", legal=name == "billing")
        if old.get("see") != new.get("see"):
            self.reference(m)
        # The billing note's words are a text too: marked up word by word.
        o_billing, n_billing = old.get("billing"), new.get("billing")
        if isinstance(o_billing, dict) and isinstance(n_billing, dict):
            self.texts(
                o_billing.get("text"),
                n_billing.get("text"),
                (*m.old_path, "billing", "text"),
                (*m.new_path, "billing", "text"),
                m.ids,
                f"{m.label} billing",
            )
        handled = ("status", "tier", "group", "referrals", "billing", "see")
        self.record(old, new, m.old_path, m.new_path, m.ids, handled, m.label)


def _strings(value: Any) -> list[str]:
    return [x for x in value if isinstance(x, str)] if isinstance(value, list) else []


_CONDITION_RELATIONS = {
    "tightened": ("condition-tightened", "accepts fewer requests: some customers lose coverage"),
    "loosened": ("condition-loosened", "accepts more requests: some customers gain coverage"),
    "changed": ("condition-changed", "accepts other requests: some customers lose coverage, others gain it"),
    "same": ("condition-restated", "is written differently but accepts the same requests"),
}

# fmt: off
_PRODUCTS = _Collection(
    "products", "product", "product {id!r}",
    added=(("product-added", "product {id!r} added, eligible: its subscribers gain support"),
           ("product-listed", "product {id!r} added, not covered by support")),
    removed=(("product-removed", "product {id!r} removed: its subscribers lose support"),
             ("product-unlisted", "product {id!r} removed (it was not covered)")),
    variant=lambda record: record.get("eligible") is True,
    handled=("eligible",), compare=_Differ.product,
)
_CONDITIONS = _Collection(
    "conditions", "condition", "{where}: condition {id!r}",
    added=(("condition-added", "{where}: new condition {id!r} «{text}»; requests that do not meet it lose coverage on every plan"),),
    removed=(("condition-removed", "{where}: condition {id!r} «{text}» no longer applies; requests that did not meet it gain coverage on every plan"),),
    affects="every", value="test", handled=("test",), compare=_Differ.condition,
)
_TIERS = _Collection(
    "tiers", "tier", "tier {id!r}",
    added=(("tier-added", "tier {id!r} added"),),
    removed=(("tier-removed", "tier {id!r} removed"),),
    handled=("includes", "grants"), compare=_Differ.tier,
)
_GRANTS = _Collection(  # of a tier; the plans given are those that reach the tier
    "grants", "grant", "{where} grant {id!r}",
    added=(("grant-added", "{where} now grants «{text}»: customers of {plans} gain it"),),
    removed=(("grant-removed", "{where} no longer grants «{text}»: customers of {plans} lose it"),),
    affects="given",
)
_PLANS = _Collection(
    "plans", "plan", "plan {id!r}",
    added=(("plan-added", "plan {id!r} added, giving tier {tier!r}"),),
    removed=(("plan-removed", "plan {id!r} removed: its customers lose their support"),),
    affects="is", handled=("tier",), compare=_Differ.plan,
)
_FACTS = _Collection(
    "facts", "fact", "fact {id!r}",
    added=(("fact-added", "fact {id!r} declared"),),
    removed=(("fact-removed", "fact {id!r} no longer declared"),),
    handled=("type",), compare=_Differ.fact,
)
_REFERRALS = _Collection(
    "referrals", "referral", "referral {id!r}",
    added=(("referral-target-added", "referral target {id!r} declared"),),
    removed=(("referral-target-removed", "referral target {id!r} no longer declared"),),
)
_GENERAL_TERMS = _Collection(
    "general_terms", "term", "general term {id!r}",
    added=(("restriction-added", "general term {id!r} ({kind}) added: «{text}»"),
           ("general-term-added", "general term {id!r} ({kind}) added: «{text}»")),
    removed=(("restriction-removed", "general term {id!r} ({kind}) removed: «{text}»"),
             ("general-term-removed", "general term {id!r} ({kind}) removed: «{text}»")),
    variant=lambda record: record.get("kind") in _RESTRICTING_TERMS,
    affects="every", handled=("kind", "billing", "referrals", "limits"), compare=_Differ.general_term,
)
_GROUPS = _Collection(  # of a category
    "groups", "group", "{where} group {id!r}",
    added=(("group-added", "{where}: group {id!r} «{text}» added"),),
    removed=(("group-removed", "{where}: group {id!r} «{text}» removed"),),
)
_NOTES = _Collection(  # of a category
    "notes", "note", "{where} note {id!r}",
    added=(("note-added", "{where}: note {id!r} added «{text}»"),),
    removed=(("note-removed", "{where}: note {id!r} removed «{text}»"),),
    handled=("kind", "cause", "tier"), compare=_Differ.note,
)
# fmt: on


def _referred(item: dict[str, Any]) -> set[tuple[str, str]]:
    see = item.get("see")
    if not isinstance(see, dict) or not isinstance(see.get("items"), list):
        return set()
    return {(str(see.get("category")), str(x)) for x in see["items"]}


def _referred_text(referred: set[tuple[str, str]]) -> str:
    return ", ".join(f"{c}/{i}" for c, i in sorted(referred)) or "nothing"


def _limits_relation(before: Any, after: Any) -> str:
    """``tightened`` when some limit is new or lower; otherwise ``loosened``."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    for name in set(before) | set(after):
        b, a = before.get(name), after.get(name)
        if a is not None and (b is None or (isinstance(a, int) and isinstance(b, int) and a < b)):
            return "tightened"
    return "loosened"


def _deepdiff_summary(delta: Any, name: str) -> str:
    """A short account of what deepdiff found under field ``name``."""
    parts: list[str] = []
    for kind, entries in sorted(delta.items()):
        touched = [str(p) for p in entries if str(p).startswith(f"root['{name}']")]
        if touched:
            parts.append(f"{kind.replace('_', ' ')}: {', '.join(sorted(touched)[:3])}")
    return "; ".join(parts) or "changed"


def diff_documents(old: dict[str, Any], new: dict[str, Any]) -> Diff:
    """Every change from policy ``old`` to policy ``new``, matched by id, classified by rule."""
    differ = _Differ(old, new)
    with paused_gc():
        differ.run()
    return Diff(
        old_id=old.get("id") if isinstance(old.get("id"), str) else None,
        new_id=new.get("id") if isinstance(new.get("id"), str) else None,
        old_version=old.get("version") if isinstance(old.get("version"), str) else None,
        new_version=new.get("version") if isinstance(new.get("version"), str) else None,
        changes=differ.changes,
    )


# --------------------------------------------------------------------------- rendering

_COLORS = {"breaking": "\x1b[31m", "additive": "\x1b[32m", "editorial": "\x1b[36m"}
_RED, _GREEN, _BOLD, _RESET = "\x1b[31m", "\x1b[32m", "\x1b[1m", "\x1b[0m"
_HEADINGS = {
    "breaking": "Breaking: some customers lose coverage",
    "additive": "Additive: coverage widened",
    "editorial": "Editorial: wording, translation, notes, order",
}


def _markup(words: list[Segment], deleted: Callable[[str], str], inserted: Callable[[str], str]) -> str:
    """Join the runs, marking the changed ones; their outer white space stays outside the marks."""
    out = []
    for segment in words:
        if segment.op == "equal" or not segment.text.strip():
            out.append(segment.text)
            continue
        mark = deleted if segment.op == "delete" else inserted
        core = segment.text.strip()
        start = segment.text.index(core)
        out.append(segment.text[:start] + mark(core) + segment.text[start + len(core) :])
    return "".join(out)


def _title(diff: Diff) -> str:
    old = f"{diff.old_id} {diff.old_version}"
    new = f"{diff.new_id} {diff.new_version}"
    return f"{old} → {new}"


def _summary(diff: Diff, bump: bool = True) -> str:
    if not diff.changes:
        return "no changes"
    counts = ", ".join(f"{diff.count(s)} {s}" for s in SEVERITIES if diff.count(s))
    legal = sum(1 for c in diff.changes if c.legal_review)
    tail = f"; {legal} for legal review" if legal else ""
    summary = f"{len(diff.changes)} change{'s' if len(diff.changes) != 1 else ''} ({counts}{tail})"
    return summary + (f"; required version bump: {diff.required_bump}" if bump else "")


def _who(change: Change) -> str:
    parts = []
    if change.plans_losing:
        parts.append(f"loses: {', '.join(change.plans_losing)}")
    if change.plans_gaining:
        parts.append(f"gains: {', '.join(change.plans_gaining)}")
    return "; ".join(parts)


def by_severity(changes: Iterable[Change]) -> list[Change]:
    """The changes, breaking first, then additive, then editorial; in document order within each."""
    return sorted(changes, key=lambda c: -_SEVERITY_RANK[c.severity])


def version_advice(diff: Diff) -> str | None:
    """A warning when NEW's version is not above OLD's by the step the changes require.

    For example ``NEW still carries version 1.0.0: this needs at least 2.0.0``; None when the
    version is enough, when nothing changed, or when a version is not a semantic version.
    """
    from support_scope.errors import InputError
    from support_scope.semver import Version
    from support_scope.versions import bump_between, bump_satisfies, bump_version

    required, old, new = diff.required_bump, diff.old_version, diff.new_version
    if required is None or old is None or new is None:
        return None
    try:
        needed = bump_version(old, required)
        step = bump_between(old, new)
        same = Version.parse(old).key() == Version.parse(new).key()
    except InputError:
        return None
    if same:
        return f"NEW still carries version {new}: this needs at least {needed}"
    if step is None:
        return f"NEW's version {new} is not above {old}: this needs at least {needed}"
    if not bump_satisfies(step, required):
        return f"NEW's version {new} is only a {step} step over {old}: this needs at least {needed}"
    return None


def render_text(diff: Diff, color: bool = False) -> str:
    """The diff for a terminal: a summary, then one entry per change, breaking first.

    Within a severity the changes keep their document order; texts are marked ``[-old-]{+new+}``.
    """

    def paint(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    lines = [paint(_BOLD, f"diff {_title(diff)}"), _summary(diff)]
    advice = version_advice(diff)
    if advice:
        lines.append(advice)
    for change in by_severity(diff.changes):
        flag = " [legal review]" if change.legal_review else ""
        head = f"{change.severity.upper():9} {change.rule}{flag}"
        lines.append(f"{paint(_COLORS[change.severity], head)}  {change.where}")
        lines.append(f"    {change.message}")
        who = _who(change)
        if who:
            lines.append(f"    plans: {who}")
        if change.words is not None:
            marked = _markup(
                change.words,
                lambda t: paint(_RED, f"[-{t}-]"),
                lambda t: paint(_GREEN, f"{{+{t}+}}"),
            )
            lines.append(f"    {marked}")
    return "\n".join(lines) + "\n"


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_~|<>\[\]])", r"\\\1", text)


def _md_words(words: list[Segment]) -> str:
    return _markup(
        [Segment(s.op, _md_escape(s.text)) for s in words],
        lambda t: f"~~{t}~~",
        lambda t: f"**{t}**",
    ).replace("~~**", "~~ **")


def _ids_label(change: Change) -> str:
    shown = [f"`{value}`" for key, value in change.ids.items() if key != "moved"]
    return " › ".join(shown) if shown else f"`{change.where}`"


def render_note(change: Change) -> list[str]:
    """A change as a Markdown list entry a person can edit into a release note.

    ``category › item``, what changed in words, the legal-review flag and the rule id; then,
    indented, the plans that gain or lose and the text marked word by word (``~~old~~ **new**``).
    """
    flag = " (legal review)" if change.legal_review else ""
    message = change.message
    named = [(key, value) for key, value in change.ids.items() if key != "moved"]
    if named:  # "item 'x': French text changed" under the label `c` › `x`: the id once is enough
        key, value = named[-1]
        message = message.removeprefix(f"{key} {value!r}: ")
    lines = [f"- {_ids_label(change)}: {_md_escape(message)}{flag} [`{change.rule}`]"]
    who = _who(change)
    if who:
        lines.append(f"  - plans — {who}")
    if change.words is not None:
        lines.append(f"  - {_md_words(change.words)}")
    return lines


def render_markdown(diff: Diff) -> str:
    """The diff for a pull request: a summary, then the changes by severity, texts marked up."""
    lines = [f"## Policy diff: {_title(diff)}", ""]
    if not diff.changes:
        lines += ["No changes: the two versions are the same policy.", ""]
        return "\n".join(lines)
    lines += [
        f"**Required version bump: {diff.required_bump}** ({diff.severity}): {_summary(diff, bump=False)}.",
        "",
    ]
    advice = version_advice(diff)
    if advice:
        lines += [f"⚠️ {advice}.", ""]
    lines += [
        "| severity | changes |",
        "| --- | ---: |",
        *[f"| {s} | {diff.count(s)} |" for s in SEVERITIES],
        f"| legal review | {sum(1 for c in diff.changes if c.legal_review)} |",
        "",
    ]
    for severity in SEVERITIES:
        changes = [c for c in diff.changes if c.severity == severity]
        if not changes:
            continue
        lines += [f"### {_HEADINGS[severity]} ({len(changes)})", ""]
        for change in changes:
            flag = " ⚖️ **legal review**" if change.legal_review else ""
            lines.append(f"- `{change.rule}`{flag} {_ids_label(change)}: {_md_escape(change.message)}")
            who = _who(change)
            if who:
                lines.append(f"  - plans — {who}")
            if change.words is not None:
                lines.append(f"  - {_md_words(change.words)}")
        lines.append("")
    return "\n".join(lines)


def render_rules_text() -> str:
    """The list of rules, one a line: id, severity, kind, description."""
    width = max(len(r) for r in RULES)
    return "\n".join(f"{r.id:{width}}  {r.severity:9}  {r.description}" for r in RULES.values()) + "\n"
