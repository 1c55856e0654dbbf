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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from support_scope.files import paused_gc
from support_scope.locate import JsonPath, render_path

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


def _index(container: Any, key: str) -> dict[str, tuple[int, dict[str, Any]]]:
    """id -> (position, record) for the records of ``container[key]`` (first one wins on a repeat)."""
    index: dict[str, tuple[int, dict[str, Any]]] = {}
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
            t["id"]: [x for x in t.get("includes", []) if isinstance(x, str)]
            for t in _entries(document, "tiers")
            if isinstance(t.get("id"), str)
        }
        self.reach: dict[str, set[str]] = {}
        for tier in includes:
            seen, stack = {tier}, list(includes[tier])
            while stack:
                node = stack.pop()
                if node not in seen:
                    seen.add(node)
                    stack.extend(includes.get(node, []))
            self.reach[tier] = seen
        self.plans = {
            p["id"]: str(p.get("tier")) for p in _entries(document, "plans") if isinstance(p.get("id"), str)
        }

    def plans_for(self, item: dict[str, Any] | None) -> set[str]:
        """The plans whose customers have this item in scope."""
        if item is None or item.get("status") != "included":
            return set()
        tier = item.get("tier")
        return {plan for plan, plan_tier in self.plans.items() if tier in self.reach.get(plan_tier, set())}

    def higher(self, a: Any, b: Any) -> bool:
        """True when tier ``a`` includes tier ``b`` (and is not it)."""
        return a != b and b in self.reach.get(a, set())


def _plans(names: Iterable[str]) -> str:
    names = sorted(names)
    if not names:
        return "no plan"
    return ("plan " if len(names) == 1 else "plans ") + ", ".join(names)


# --------------------------------------------------------------------------- conditions


def _facts_in(expression: Any, found: dict[str, set[Any]]) -> None:
    if not isinstance(expression, dict):
        return
    for key in ("all", "any"):
        for sub in expression.get(key, []) if isinstance(expression.get(key), list) else []:
            _facts_in(sub, found)
    if "not" in expression:
        _facts_in(expression["not"], found)
    if isinstance(expression.get("fact"), str):
        found.setdefault(expression["fact"], set()).add(_hashable(expression.get("value")))


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
    actual: Any = context.get(expression.get("fact", ""))
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
        _facts_in(expression, found)
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


class _Differ:
    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old, self.new = old, new
        self.old_cov, self.new_cov = _Coverage(old), _Coverage(new)
        self.old_categories = _index(old, "categories")
        self.new_categories = _index(new, "categories")
        self.changes: list[Change] = []

    def add(self, rule: str, ids: dict[str, str], message: str, **kwargs: Any) -> Change:
        change = Change(rule, ids, message, **kwargs)
        self.changes.append(change)
        return change

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
        self.products()
        self.eligibility()
        self.tiers()
        self.plans()
        self.facts()
        self.referrals()
        self.general_terms()
        self.categories()

    def languages(self) -> None:
        before = [x for x in self.old.get("languages", []) if isinstance(x, str)]
        after = [x for x in self.new.get("languages", []) if isinstance(x, str)]
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

    def matched(
        self, old_container: Any, new_container: Any, key: str
    ) -> Iterator[tuple[str, tuple[int, dict[str, Any]] | None, tuple[int, dict[str, Any]] | None]]:
        """(id, old, new) for every record of ``key``: new order first, then the removed ones."""
        old_index, new_index = _index(old_container, key), _index(new_container, key)
        for record_id, entry in new_index.items():
            yield record_id, old_index.get(record_id), entry
        for record_id, entry in old_index.items():
            if record_id not in new_index:
                yield record_id, entry, None

    def products(self) -> None:
        for pid, old, new in self.matched(self.old, self.new, "products"):
            ids = {"product": pid}
            if old is None and new is not None:
                eligible = new[1].get("eligible") is True
                self.add(
                    "product-added" if eligible else "product-listed",
                    ids,
                    f"product {pid!r} added, {'eligible: its subscribers gain support' if eligible else 'not covered by support'}",
                    new_path=("products", new[0]),
                    new=new[1],
                )
            elif new is None and old is not None:
                eligible = old[1].get("eligible") is True
                self.add(
                    "product-removed" if eligible else "product-unlisted",
                    ids,
                    f"product {pid!r} removed{': its subscribers lose support' if eligible else ' (it was not covered)'}",
                    old_path=("products", old[0]),
                    old=old[1],
                )
            elif old is not None and new is not None:
                o_path: JsonPath = ("products", old[0])
                n_path: JsonPath = ("products", new[0])
                before, after = old[1].get("eligible"), new[1].get("eligible")
                if before != after:
                    granted = after is True
                    self.add(
                        "product-eligibility-granted" if granted else "product-eligibility-withdrawn",
                        ids,
                        f"product {pid!r} {'is now eligible: its subscribers gain support' if granted else 'is dropped: its subscribers lose support'}",
                        old_path=(*o_path, "eligible"),
                        new_path=(*n_path, "eligible"),
                        old=before,
                        new=after,
                    )
                self.record(old[1], new[1], o_path, n_path, ids, ("eligible",), f"product {pid!r}")

    def eligibility(self) -> None:
        old, new = self.old.get("eligibility"), self.new.get("eligibility")
        if old == new or not isinstance(old, dict) or not isinstance(new, dict):
            return
        self.texts(
            old.get("text"),
            new.get("text"),
            ("eligibility", "text"),
            ("eligibility", "text"),
            {},
            "eligibility",
        )
        if old.get("provenance") != new.get("provenance"):
            self.add(
                "annotation-changed",
                {},
                "eligibility: provenance changed",
                old_path=("eligibility", "provenance"),
                new_path=("eligibility", "provenance"),
                old=old.get("provenance"),
                new=new.get("provenance"),
            )
        self.conditions(old, new, ("eligibility",), ("eligibility",), {}, "every request (eligibility)")

    def conditions(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        old_base: JsonPath,
        new_base: JsonPath,
        scope: dict[str, str],
        where: str,
    ) -> None:
        for cid, o, n in self.matched(old, new, "conditions"):
            ids = {**scope, "condition": cid}
            if o is None and n is not None:
                self.add(
                    "condition-added",
                    ids,
                    f"{where}: new condition {cid!r} «{_french(n[1].get('text'))}»; requests that do not meet it lose coverage on every plan",
                    new_path=(*new_base, "conditions", n[0]),
                    new=n[1].get("test"),
                    plans_losing=sorted(self.new_cov.plans),
                )
            elif n is None and o is not None:
                self.add(
                    "condition-removed",
                    ids,
                    f"{where}: condition {cid!r} «{_french(o[1].get('text'))}» no longer applies; requests that did not meet it gain coverage on every plan",
                    old_path=(*old_base, "conditions", o[0]),
                    old=o[1].get("test"),
                    plans_gaining=sorted(self.new_cov.plans),
                )
            elif o is not None and n is not None:
                o_path: JsonPath = (*old_base, "conditions", o[0])
                n_path: JsonPath = (*new_base, "conditions", n[0])
                before, after = o[1].get("test"), n[1].get("test")
                if before != after:
                    relation = compare_tests([before], [after])
                    rule = {
                        "tightened": "condition-tightened",
                        "loosened": "condition-loosened",
                        "changed": "condition-changed",
                        "same": "condition-restated",
                    }[relation]
                    effect = {
                        "tightened": "accepts fewer requests: some customers lose coverage",
                        "loosened": "accepts more requests: some customers gain coverage",
                        "changed": "accepts other requests: some customers lose coverage, others gain it",
                        "same": "is written differently but accepts the same requests",
                    }[relation]
                    every = sorted(self.new_cov.plans)
                    self.add(
                        rule,
                        ids,
                        f"{where}: condition {cid!r} {effect}",
                        old_path=(*o_path, "test"),
                        new_path=(*n_path, "test"),
                        old=before,
                        new=after,
                        plans_losing=every if relation in ("tightened", "changed") else [],
                        plans_gaining=every if relation in ("loosened", "changed") else [],
                    )
                self.record(o[1], n[1], o_path, n_path, ids, ("test",), f"{where}: condition {cid!r}")

    def tiers(self) -> None:
        for tid, old, new in self.matched(self.old, self.new, "tiers"):
            ids = {"tier": tid}
            if old is None and new is not None:
                self.add("tier-added", ids, f"tier {tid!r} added", new_path=("tiers", new[0]), new=new[1])
                continue
            if new is None and old is not None:
                self.add("tier-removed", ids, f"tier {tid!r} removed", old_path=("tiers", old[0]), old=old[1])
                continue
            assert old is not None and new is not None
            o_path: JsonPath = ("tiers", old[0])
            n_path: JsonPath = ("tiers", new[0])
            before = [x for x in old[1].get("includes", []) if isinstance(x, str)]
            after = [x for x in new[1].get("includes", []) if isinstance(x, str)]
            users = sorted(p for p, t in self.new_cov.plans.items() if t == tid)
            for included in after:
                if included not in before:
                    self.add(
                        "tier-inclusion-added",
                        ids,
                        f"tier {tid!r} now includes tier {included!r}: customers of {_plans(users)} gain its services",
                        old_path=(*o_path, "includes"),
                        new_path=(*n_path, "includes"),
                        new=included,
                        plans_gaining=users,
                    )
            for included in before:
                if included not in after:
                    self.add(
                        "tier-inclusion-removed",
                        ids,
                        f"tier {tid!r} no longer includes tier {included!r}: customers of {_plans(users)} lose its services",
                        old_path=(*o_path, "includes"),
                        new_path=(*n_path, "includes"),
                        old=included,
                        plans_losing=users,
                    )
            reach = sorted(
                p for p, t in self.new_cov.plans.items() if tid in self.new_cov.reach.get(t, set())
            )
            for gid, og, ng in self.matched(old[1], new[1], "grants"):
                g_ids = {**ids, "grant": gid}
                if og is None and ng is not None:
                    self.add(
                        "grant-added",
                        g_ids,
                        f"tier {tid!r} now grants «{_french(ng[1].get('text'))}»: customers of {_plans(reach)} gain it",
                        new_path=(*n_path, "grants", ng[0]),
                        new=ng[1],
                        plans_gaining=reach,
                    )
                elif ng is None and og is not None:
                    self.add(
                        "grant-removed",
                        g_ids,
                        f"tier {tid!r} no longer grants «{_french(og[1].get('text'))}»: customers of {_plans(reach)} lose it",
                        old_path=(*o_path, "grants", og[0]),
                        old=og[1],
                        plans_losing=reach,
                    )
                elif og is not None and ng is not None:
                    self.record(
                        og[1],
                        ng[1],
                        (*o_path, "grants", og[0]),
                        (*n_path, "grants", ng[0]),
                        g_ids,
                        (),
                        f"tier {tid!r} grant {gid!r}",
                    )
            self.record(old[1], new[1], o_path, n_path, ids, ("includes", "grants"), f"tier {tid!r}")

    def plans(self) -> None:
        for pid, old, new in self.matched(self.old, self.new, "plans"):
            ids = {"plan": pid}
            if old is None and new is not None:
                self.add(
                    "plan-added",
                    ids,
                    f"plan {pid!r} added, giving tier {new[1].get('tier')!r}",
                    new_path=("plans", new[0]),
                    new=new[1],
                    plans_gaining=[pid],
                )
            elif new is None and old is not None:
                self.add(
                    "plan-removed",
                    ids,
                    f"plan {pid!r} removed: its customers lose their support",
                    old_path=("plans", old[0]),
                    old=old[1],
                    plans_losing=[pid],
                )
            elif old is not None and new is not None:
                o_path: JsonPath = ("plans", old[0])
                n_path: JsonPath = ("plans", new[0])
                before, after = old[1].get("tier"), new[1].get("tier")
                if before != after:
                    raised = self.new_cov.higher(after, before)
                    self.add(
                        "plan-tier-raised" if raised else "plan-tier-lowered",
                        ids,
                        f"plan {pid!r} now gives tier {after!r} instead of {before!r}: its customers {'gain' if raised else 'lose'} coverage",
                        old_path=(*o_path, "tier"),
                        new_path=(*n_path, "tier"),
                        old=before,
                        new=after,
                        plans_gaining=[pid] if raised else [],
                        plans_losing=[] if raised else [pid],
                    )
                self.record(old[1], new[1], o_path, n_path, ids, ("tier",), f"plan {pid!r}")

    def facts(self) -> None:
        for fid, old, new in self.matched(self.old, self.new, "facts"):
            ids = {"fact": fid}
            if old is None and new is not None:
                self.add("fact-added", ids, f"fact {fid!r} declared", new_path=("facts", new[0]), new=new[1])
            elif new is None and old is not None:
                self.add(
                    "fact-removed",
                    ids,
                    f"fact {fid!r} no longer declared",
                    old_path=("facts", old[0]),
                    old=old[1],
                )
            elif old is not None and new is not None:
                o_path: JsonPath = ("facts", old[0])
                n_path: JsonPath = ("facts", new[0])
                if old[1].get("type") != new[1].get("type"):
                    self.add(
                        "fact-type-changed",
                        ids,
                        f"fact {fid!r} is now a {new[1].get('type')} (was {old[1].get('type')}): services passing it must change",
                        old_path=(*o_path, "type"),
                        new_path=(*n_path, "type"),
                        old=old[1].get("type"),
                        new=new[1].get("type"),
                    )
                self.record(old[1], new[1], o_path, n_path, ids, ("type",), f"fact {fid!r}")

    def referrals(self) -> None:
        for rid, old, new in self.matched(self.old, self.new, "referrals"):
            ids = {"referral": rid}
            if old is None and new is not None:
                self.add(
                    "referral-target-added",
                    ids,
                    f"referral target {rid!r} declared",
                    new_path=("referrals", new[0]),
                    new=new[1],
                )
            elif new is None and old is not None:
                self.add(
                    "referral-target-removed",
                    ids,
                    f"referral target {rid!r} no longer declared",
                    old_path=("referrals", old[0]),
                    old=old[1],
                )
            elif old is not None and new is not None:
                self.record(
                    old[1], new[1], ("referrals", old[0]), ("referrals", new[0]), ids, (), f"referral {rid!r}"
                )

    def general_terms(self) -> None:
        restricting = ("not-covered", "call-limit")
        every = sorted(self.new_cov.plans)
        for tid, old, new in self.matched(self.old, self.new, "general_terms"):
            ids = {"term": tid}
            if old is None and new is not None:
                restricts = new[1].get("kind") in restricting
                self.add(
                    "restriction-added" if restricts else "general-term-added",
                    ids,
                    f"general term {tid!r} ({new[1].get('kind')}) added: «{_french(new[1].get('text'))}»",
                    new_path=("general_terms", new[0]),
                    new=new[1],
                    plans_losing=every if restricts else [],
                )
                continue
            if new is None and old is not None:
                restricts = old[1].get("kind") in restricting
                self.add(
                    "restriction-removed" if restricts else "general-term-removed",
                    ids,
                    f"general term {tid!r} ({old[1].get('kind')}) removed: «{_french(old[1].get('text'))}»",
                    old_path=("general_terms", old[0]),
                    old=old[1],
                    plans_gaining=every if restricts else [],
                )
                continue
            assert old is not None and new is not None
            o_path: JsonPath = ("general_terms", old[0])
            n_path: JsonPath = ("general_terms", new[0])
            before, after = old[1].get("limits"), new[1].get("limits")
            if before != after:
                relation = _limits_relation(before, after)
                self.add(
                    "call-limit-tightened" if relation == "tightened" else "call-limit-loosened",
                    ids,
                    f"general term {tid!r}: call limits {before} → {after}",
                    old_path=(*o_path, "limits"),
                    new_path=(*n_path, "limits"),
                    old=before,
                    new=after,
                    plans_losing=every if relation == "tightened" else [],
                    plans_gaining=every if relation != "tightened" else [],
                )
            for name in ("kind", "billing", "referrals"):
                if old[1].get(name) != new[1].get(name):
                    self.add(
                        "general-term-changed",
                        ids,
                        f"general term {tid!r}: {name} changed",
                        old_path=(*o_path, name),
                        new_path=(*n_path, name),
                        old=old[1].get(name),
                        new=new[1].get(name),
                        legal=True,
                    )
            self.record(
                old[1],
                new[1],
                o_path,
                n_path,
                ids,
                ("kind", "billing", "referrals", "limits"),
                f"general term {tid!r}",
            )

    # ---- categories and items

    def categories(self) -> None:
        old_index, new_index = self.old_categories, self.new_categories
        self.reordered(
            list(old_index), list(new_index), ("categories",), {}, "category-reordered", "categories"
        )
        # Only categories that changed can have lost or gained an item (a move changes both
        # ends), so only their items are indexed: unchanged ones cost one C-level comparison.
        empty: dict[str, tuple[int, dict[str, Any]]] = {}
        Entry = tuple[int, dict[str, Any]]
        changed: list[tuple[str, Entry | None, Entry | None]] = []
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
                self.conditions(old[1], new[1], o_path, n_path, ids, label)
                self.groups(old[1], new[1], o_path, n_path, ids, label)
                self.notes(old[1], new[1], o_path, n_path, ids, label)
                self.category_items(old, new, cid, items[cid], old_items, new_items)

    def reordered(
        self, before: list[str], after: list[str], path: JsonPath, ids: dict[str, str], rule: str, what: str
    ) -> None:
        """One change when the records kept on both sides are listed in another order."""
        kept = set(before) & set(after)
        a = [x for x in before if x in kept]
        b = [x for x in after if x in kept]
        if a == b:
            return
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        stayed = {x for block in matcher.get_matching_blocks() for x in b[block.b : block.b + block.size]}
        moved = [x for x in b if x not in stayed]
        shown = ", ".join(moved[:10]) + (f" and {len(moved) - 10} more" if len(moved) > 10 else "")
        self.add(
            rule,
            {**ids, "moved": ",".join(moved)},
            f"{what} reordered; moved: {shown} (no change of coverage)",
            old_path=path,
            new_path=path,
            old=a,
            new=b,
        )

    def groups(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        o_path: JsonPath,
        n_path: JsonPath,
        scope: dict[str, str],
        label: str,
    ) -> None:
        for gid, og, ng in self.matched(old, new, "groups"):
            ids = {**scope, "group": gid}
            if og is None and ng is not None:
                self.add(
                    "group-added",
                    ids,
                    f"{label}: group {gid!r} «{_french(ng[1].get('text'))}» added",
                    new_path=(*n_path, "groups", ng[0]),
                    new=ng[1],
                )
            elif ng is None and og is not None:
                self.add(
                    "group-removed",
                    ids,
                    f"{label}: group {gid!r} «{_french(og[1].get('text'))}» removed",
                    old_path=(*o_path, "groups", og[0]),
                    old=og[1],
                )
            elif og is not None and ng is not None:
                self.record(
                    og[1],
                    ng[1],
                    (*o_path, "groups", og[0]),
                    (*n_path, "groups", ng[0]),
                    ids,
                    (),
                    f"{label} group {gid!r}",
                )

    def notes(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        o_path: JsonPath,
        n_path: JsonPath,
        scope: dict[str, str],
        label: str,
    ) -> None:
        for nid, on, nn in self.matched(old, new, "notes"):
            ids = {**scope, "note": nid}
            if on is None and nn is not None:
                self.add(
                    "note-added",
                    ids,
                    f"{label}: note {nid!r} added «{_french(nn[1].get('text'))}»",
                    new_path=(*n_path, "notes", nn[0]),
                    new=nn[1],
                )
            elif nn is None and on is not None:
                self.add(
                    "note-removed",
                    ids,
                    f"{label}: note {nid!r} removed «{_french(on[1].get('text'))}»",
                    old_path=(*o_path, "notes", on[0]),
                    old=on[1],
                )
            elif on is not None and nn is not None:
                onp: JsonPath = (*o_path, "notes", on[0])
                nnp: JsonPath = (*n_path, "notes", nn[0])
                for name in ("kind", "cause", "tier"):
                    if on[1].get(name) != nn[1].get(name):
                        self.add(
                            "note-changed",
                            ids,
                            f"{label}: note {nid!r}: {name} {on[1].get(name)!r} → {nn[1].get(name)!r}",
                            old_path=(*onp, name),
                            new_path=(*nnp, name),
                            old=on[1].get(name),
                            new=nn[1].get(name),
                        )
                self.record(on[1], nn[1], onp, nnp, ids, ("kind", "cause", "tier"), f"{label} note {nid!r}")

    def category_items(
        self,
        old: tuple[int, dict[str, Any]] | None,
        new: tuple[int, dict[str, Any]] | None,
        cid: str,
        indexes: tuple[dict[str, tuple[int, dict[str, Any]]], dict[str, tuple[int, dict[str, Any]]]],
        old_items: dict[str, tuple[str, int, dict[str, Any]]],
        new_items: dict[str, tuple[str, int, dict[str, Any]]],
    ) -> None:
        """Items of category ``cid``: those it has now, then those it lost (unless moved elsewhere)."""
        old_index, new_index = indexes
        if old and new:
            self.reordered(
                list(old_index),
                list(new_index),
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
                self.item(p_item, item, o_path, n_path, ids)
        if old is not None:
            for item_id, (position, item) in old_index.items():
                if item_id in new_items:
                    continue  # kept here, or moved to another category (reported there)
                self.item_vanished(
                    item, ("categories", old[0], "items", position), {"category": cid, "item": item_id}
                )

    def reference(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        o_path: JsonPath,
        n_path: JsonPath,
        ids: dict[str, str],
        label: str,
    ) -> None:
        """A `see` item stands for the items it lists, at its own tier: listing more widens an included item."""
        before, after = _referred(old), _referred(new)
        widened = after >= before if new.get("status") == "included" else before >= after
        plans = sorted(self.new_cov.plans_for(new) | self.old_cov.plans_for(old))
        self.add(
            "item-reference-widened" if widened else "item-reference-narrowed",
            ids,
            f"{label}: stands for {_referred_text(after)} (was {_referred_text(before)}): customers of {_plans(plans)} "
            + ("gain coverage" if widened else "may lose coverage"),
            old_path=(*o_path, "see"),
            new_path=(*n_path, "see"),
            old=old.get("see"),
            new=new.get("see"),
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

    def item(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        o_path: JsonPath,
        n_path: JsonPath,
        ids: dict[str, str],
    ) -> None:
        if old == new:
            return
        text = _french(new.get("text"))
        before_plans, after_plans = self.old_cov.plans_for(old), self.new_cov.plans_for(new)
        gaining, losing = sorted(after_plans - before_plans), sorted(before_plans - after_plans)
        status_before, status_after = old.get("status"), new.get("status")
        if status_before != status_after:
            included = status_after == "included"
            self.add(
                "item-included" if included else "item-excluded",
                ids,
                f"«{text}» is now included (tier {new.get('tier')!r}): customers of {_plans(gaining)} gain it"
                if included
                else f"«{text}» is now excluded: customers of {_plans(losing)} lose it",
                old_path=(*o_path, "status"),
                new_path=(*n_path, "status"),
                old={"status": status_before, "tier": old.get("tier")},
                new={"status": status_after, "tier": new.get("tier")},
                plans_gaining=gaining,
                plans_losing=losing,
            )
        elif old.get("tier") != new.get("tier"):
            lowered = self.new_cov.higher(old.get("tier"), new.get("tier"))
            self.add(
                "item-tier-lowered" if lowered else "item-tier-raised",
                ids,
                f"«{text}» now needs tier {new.get('tier')!r} (was {old.get('tier')!r}): "
                + (
                    f"customers of {_plans(gaining)} gain it"
                    if lowered
                    else f"customers of {_plans(losing)} lose it"
                ),
                old_path=(*o_path, "tier"),
                new_path=(*n_path, "tier"),
                old=old.get("tier"),
                new=new.get("tier"),
                plans_gaining=gaining,
                plans_losing=losing,
            )
        label = f"item {ids['item']!r}"
        for name, rule in (
            ("group", "item-regrouped"),
            ("referrals", "item-referral-changed"),
            ("billing", "item-billing-changed"),
        ):
            if old.get(name) != new.get(name):
                self.add(
                    rule,
                    ids,
                    f"{label}: {name} changed",
                    old_path=(*o_path, name),
                    new_path=(*n_path, name),
                    old=old.get(name),
                    new=new.get(name),
                    legal=name == "billing",
                )
        if old.get("see") != new.get("see"):
            self.reference(old, new, o_path, n_path, ids, label)
        # The billing note's words are a text too: marked up word by word.
        o_billing, n_billing = old.get("billing"), new.get("billing")
        if isinstance(o_billing, dict) and isinstance(n_billing, dict):
            self.texts(
                o_billing.get("text"),
                n_billing.get("text"),
                (*o_path, "billing", "text"),
                (*n_path, "billing", "text"),
                ids,
                f"{label} billing",
            )
        self.record(
            old, new, o_path, n_path, ids, ("status", "tier", "group", "referrals", "billing", "see"), label
        )


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


def render_text(diff: Diff, color: bool = False) -> str:
    """The diff for a terminal: one line per change, texts marked ``[-old-]{+new+}``."""

    def paint(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    lines = [paint(_BOLD, f"diff {_title(diff)}"), _summary(diff)]
    for change in diff.changes:
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


def render_markdown(diff: Diff) -> str:
    """The diff for a pull request: a summary, then the changes by severity, texts marked up."""
    lines = [f"## Policy diff: {_title(diff)}", ""]
    if not diff.changes:
        lines += ["No changes: the two versions are the same policy.", ""]
        return "\n".join(lines)
    lines += [
        f"**Required version bump: {diff.required_bump}** ({diff.severity}): {_summary(diff, bump=False)}.",
        "",
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
