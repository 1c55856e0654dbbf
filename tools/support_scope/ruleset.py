"""The consumer API: load a compiled release, decide whether a request is in scope, find items.

Imports only the standard library and the package's errors and files: a service that decides
thousands of times a second pays neither for click nor for the schema or workbook libraries.

    from support_scope import load_release
    ruleset = load_release()                      # the shipped policy's latest release
    decision = ruleset.decide(plan="standard", category="desktop-setup", item="desktop-setup-kb-pages")
    decision.outcome                              # 'included'

Decisions are computed once per distinct question and then returned as they are (they are
immutable), so a repeated question costs a dictionary lookup.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support_scope.errors import InputError, ReleaseError, UnknownIdError
from support_scope.files import canonical_json, parse_json, paused_gc, read_bytes

SUPPORTED_FORMATS = (1,)
OUTCOMES = ("included", "upgrade", "excluded", "ineligible", "unlisted")

# Three-valued logic: True, False, or None for "the context does not say".
Truth = bool | None
_Evaluator = Callable[[Mapping[str, Any]], Truth]


# --------------------------------------------------------------------------- value objects


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
class Provenance:
    """Where the source document states something."""

    page: int
    line: int
    column: str
    section: str | None = None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Provenance:
        return cls(data["page"], data["line"], data["column"], data.get("section"))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"page": self.page, "line": self.line, "column": self.column}
        if self.section is not None:
            data["section"] = self.section
        return data

    def __str__(self) -> str:
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
    def of(cls, data: Mapping[str, Any]) -> Billing:
        return cls(data["kind"], Text.of(data["text"]), data.get("minimum_hours"))

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text.to_json(), "minimum_hours": self.minimum_hours}


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
    """A condition a decision relied on, and how it came out for the request's context.

    ``state`` is ``met``, ``unmet`` or ``unknown``; when unknown, ``missing`` names the facts
    the context should give to settle it.
    """

    id: str
    scope: str
    text: Text
    state: str
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
    """Whether a request is in scope for a customer, why, and what it relied on.

    ``outcome`` is one of ``included``, ``upgrade``, ``excluded``, ``ineligible``, ``unlisted``.
    ``tier`` is the tier the service needs (included items); ``plans`` the plans that include
    it. ``conditions`` lists every condition checked; ``pending`` those the context did not
    settle, which someone must still check before the answer holds.
    """

    outcome: str
    plan: str
    category: str
    item: str | None
    product: str | None
    reason: Text
    citation: Citation
    tier: str | None = None
    plans: tuple[str, ...] = ()
    referrals: tuple[Referral, ...] = ()
    billing: Billing | None = None
    conditions: tuple[ConditionCheck, ...] = ()

    @property
    def pending(self) -> tuple[ConditionCheck, ...]:
        return tuple(check for check in self.conditions if check.state == "unknown")

    @property
    def in_scope(self) -> bool:
        """True only when the outcome is ``included`` and nothing is left to check."""
        return self.outcome == "included" and not self.pending

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "plan": self.plan,
            "category": self.category,
            "item": self.item,
            "product": self.product,
            "reason": self.reason.to_json(),
            "citation": self.citation.to_json(),
            "tier": self.tier,
            "plans": list(self.plans),
            "referrals": [r.to_json() for r in self.referrals],
            "billing": self.billing.to_json() if self.billing else None,
            "conditions": [c.to_json() for c in self.conditions],
            "pending": [c.id for c in self.pending],
        }


@dataclass(frozen=True)
class Match:
    """An item whose text matches a search, in one category (a referred item: in each that lists it)."""

    category: str
    category_title: Text
    item: str
    text: Text
    status: str
    tier: str | None
    provenance: Provenance
    via: str | None = None
    referrals: tuple[Referral, ...] = ()
    billing: Billing | None = None
    decision: Decision | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The shape ``support-scope find --format json`` prints (French texts, English beside)."""
        return {
            "category": self.category,
            "category_title": self.category_title.fr,
            "category_title_en": self.category_title.en,
            "item": self.item,
            "text": self.text.fr,
            "text_en": self.text.en,
            "status": self.status,
            "tier": self.tier,
            "via": self.via,
            "referrals": [r.id for r in self.referrals],
            "billing": self.billing.to_json() if self.billing else None,
            "provenance": self.provenance.to_json(),
            "decision": self.decision.outcome if self.decision else None,
            "reason": self.decision.reason.to_json() if self.decision else None,
        }


# --------------------------------------------------------------------------- loading


def load_release(path: str | Path | None = None) -> Ruleset:
    """Load and verify a compiled release; without ``path``, the shipped policy's latest release.

    A file whose digest does not match its content (tampered, truncated, hand-edited) is
    refused with a :class:`ReleaseError`.
    """
    if path is None:
        path = latest_release()
    path = Path(path)
    display = str(path)
    try:
        raw = read_bytes(path, display, "release file")
    except InputError as e:
        raise ReleaseError(str(e)) from e
    return Ruleset(*_verified(raw, display), source=display)


def latest_release(policy_id: str | None = None) -> Path:
    """The shipped release of highest version (semantic-version order) of a policy."""
    from support_scope.resources import SHIPPED_POLICY_ID, data_dir
    from support_scope.semver import latest_version_file

    policy_id = policy_id or SHIPPED_POLICY_ID
    directory = data_dir("releases") / policy_id
    latest = latest_version_file(directory)
    if latest is None:
        raise ReleaseError(
            f"no release shipped for {policy_id!r} (looked in {directory}); "
            "compile one with `support-scope compile POLICY -o FILE` and pass its path"
        )
    return latest


_POLICY_MEMBER = b',"policy":'
_MANIFEST_MEMBER = b'"manifest":'


def _verified(
    raw: bytes, display: str
) -> tuple[dict[str, Any], dict[str, Any], Callable[[], dict[str, Any]]]:
    """(compiled, manifest, policy loader) of a release whose digest checks out."""
    fast = _verified_canonical(raw, display)
    if fast is not None:
        return fast
    # Not the compiler's byte form (reformatted, or damaged): the general way, as any consumer does it.
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ReleaseError(f"{display}: not UTF-8 text at byte {e.start}: not a release, or damaged") from e
    try:
        release = _parse_quietly(text, display)
    except InputError as e:
        raise ReleaseError(f"{e} (truncated or damaged release?)") from e
    manifest = release.get("manifest") if isinstance(release, dict) else None
    if not isinstance(release, dict) or not isinstance(manifest, dict) or "digest" not in manifest:
        raise ReleaseError(f"{display}: not a compiled release (no manifest with a digest)")
    _check_format(manifest, display)
    from support_scope.compile import release_digest  # the rare path: the fast one needs no compiler

    expected = manifest["digest"]
    actual = release_digest(release)
    if actual != expected:
        raise ReleaseError(
            f"{display}: digest mismatch: the manifest says {expected}, the content gives {actual}; "
            "the release was changed after it was compiled (or is truncated) and is refused"
        )
    compiled, policy = release.get("compiled"), release.get("policy")
    if not isinstance(compiled, dict) or not isinstance(policy, dict):
        raise ReleaseError(f"{display}: not a compiled release (no 'compiled' or 'policy' member)")
    return compiled, manifest, lambda: policy


def _verified_canonical(
    raw: bytes, display: str
) -> tuple[dict[str, Any], dict[str, Any], Callable[[], dict[str, Any]]] | None:
    """The fast path, for a file in the compiler's canonical byte form; None when it is not.

    The digest covers the canonical form minus ``manifest.digest``; for such a file that is the
    file's own bytes with the manifest's digest member cut out, so hashing needs no
    re-serialisation. The policy is the last member (keys are sorted), so everything a decision
    needs is parsed from the bytes before it; the policy itself is parsed only if asked for.
    """
    if not raw.endswith(b"}\n"):
        return None
    cut = raw.rfind(_POLICY_MEMBER)
    if cut < 0:
        return None
    try:
        head = _parse_quietly(raw[:cut] + b"}")
    except (ValueError, RecursionError):
        return None
    manifest = head.get("manifest") if isinstance(head, dict) else None
    compiled = head.get("compiled") if isinstance(head, dict) else None
    if (
        not isinstance(manifest, dict)
        or not isinstance(compiled, dict)
        or not isinstance(manifest.get("digest"), str)
    ):
        return None
    with_digest = _MANIFEST_MEMBER + canonical_json(manifest)
    start = raw.find(with_digest, 0, cut)
    if start < 0:
        return None
    without = _MANIFEST_MEMBER + canonical_json({k: v for k, v in manifest.items() if k != "digest"})
    view = memoryview(raw)
    digest = hashlib.sha256(view[:start])
    digest.update(without)
    digest.update(view[start + len(with_digest) : -1])
    if "sha256:" + digest.hexdigest() != manifest["digest"]:
        return None
    _check_format(manifest, display)
    policy_start = cut + len(_POLICY_MEMBER)

    def policy() -> dict[str, Any]:
        document: dict[str, Any] = _parse_quietly(raw[policy_start:-2])
        return document

    return compiled, manifest, policy


def _parse_quietly(data: bytes | str, display: str | None = None) -> Any:
    """Parse JSON with the cyclic garbage collector paused (see :func:`files.paused_gc`)."""
    if display is not None:
        return parse_json(str(data), display)
    with paused_gc():
        return json.loads(data)


def _check_format(manifest: Mapping[str, Any], display: str) -> None:
    if manifest.get("format") not in SUPPORTED_FORMATS:
        raise ReleaseError(
            f"{display}: release format {manifest.get('format')!r} is not one this version reads "
            f"(reads {', '.join(map(str, SUPPORTED_FORMATS))}); upgrade support-scope"
        )


# --------------------------------------------------------------------------- conditions


def _evaluator(test: Mapping[str, Any]) -> _Evaluator:
    """A function of the context giving True, False or None (unknown) for a condition test."""
    for combinator, decisive in (("all", False), ("any", True)):
        if combinator in test:
            return _combined([_evaluator(sub) for sub in test[combinator]], decisive)
    if "not" in test:
        inner = _evaluator(test["not"])

        def negation(context: Mapping[str, Any]) -> Truth:
            value = inner(context)
            return None if value is None else not value

        return negation
    fact, op, expected = test["fact"], test["op"], test["value"]
    compare = _COMPARE[op]

    def comparison(context: Mapping[str, Any]) -> Truth:
        value = context.get(fact)
        return None if value is None else compare(value, expected)

    return comparison


def _combined(parts: list[_Evaluator], decisive: bool) -> _Evaluator:
    """``all`` (``decisive`` False) or ``any`` (True): one part giving ``decisive`` settles it;
    otherwise an unknown part leaves it unknown."""

    def combined(context: Mapping[str, Any]) -> Truth:
        result: Truth = not decisive
        for part in parts:
            value = part(context)
            if value is decisive:
                return decisive
            if value is None:
                result = None
        return result

    return combined


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: bool(a == b),
    "ne": lambda a, b: bool(a != b),
    "lt": lambda a, b: bool(a < b),
    "le": lambda a, b: bool(a <= b),
    "gt": lambda a, b: bool(a > b),
    "ge": lambda a, b: bool(a >= b),
}


class _Condition:
    """A compiled condition: its words, its facts, its evaluator (built on first use)."""

    __slots__ = ("_evaluate", "data", "facts", "id", "scope", "text")

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.id: str = data["id"]
        self.scope: str = data["scope"]
        self.facts: tuple[str, ...] = tuple(data["facts"])
        self.text = Text.of(data["text"])
        self._evaluate: _Evaluator | None = None

    def outcome(self, context: Mapping[str, Any]) -> Truth | tuple[str, ...]:
        """True or False, or the facts missing to settle it."""
        if self._evaluate is None:
            self._evaluate = _evaluator(self.data["test"])
        value = self._evaluate(context)
        if value is None:
            return tuple(f for f in self.facts if context.get(f) is None)
        return value

    def check(self, context: Mapping[str, Any] | None) -> ConditionCheck:
        outcome = self.facts if context is None else self.outcome(context)
        if isinstance(outcome, tuple):
            return ConditionCheck(self.id, self.scope, self.text, "unknown", self.facts, outcome)
        return ConditionCheck(self.id, self.scope, self.text, "met" if outcome else "unmet", self.facts)


# --------------------------------------------------------------------------- the ruleset


# Exact types: True is not an integer here, and a str subclass is not asked for.
_TYPES: dict[str, type] = {"boolean": bool, "integer": int, "string": str}


class Ruleset:
    """A verified release, ready to answer: :meth:`decide` and :meth:`find`."""

    def __init__(
        self,
        compiled: dict[str, Any],
        manifest: dict[str, Any],
        policy_loader: Callable[[], dict[str, Any]],
        *,
        source: str = "<release>",
    ) -> None:
        self.source = source
        self.manifest: Mapping[str, Any] = manifest
        self._compiled = compiled
        self._policy_loader = policy_loader
        self._policy: dict[str, Any] | None = None
        try:
            self.languages: tuple[str, ...] = tuple(compiled["languages"])
            self.tiers: dict[str, dict[str, Any]] = {t["id"]: t for t in compiled["tiers"]}
            self.plans: dict[str, dict[str, Any]] = {p["id"]: p for p in compiled["plans"]}
            self.products: dict[str, dict[str, Any]] = {p["id"]: p for p in compiled["products"]}
            self.facts: dict[str, str] = {f["id"]: f["type"] for f in compiled["facts"]}
            self._fact_types: dict[str, type] = {name: _TYPES[kind] for name, kind in self.facts.items()}
            self._fact_minimums: dict[str, int] = {
                f["id"]: f["minimum"] for f in compiled["facts"] if "minimum" in f
            }
            self.referrals: dict[str, Text] = {r["id"]: Text.of(r["name"]) for r in compiled["referrals"]}
            self.categories: dict[str, dict[str, Any]] = {c["id"]: c for c in compiled["categories"]}
            self._eligibility = tuple(_Condition(c) for c in compiled["eligibility"]["conditions"])
            self._unlisted_billing = next(
                (
                    Billing.of(term["billing"])
                    for term in compiled["general_terms"]
                    if term["kind"] == "billable-service" and "billing" in term
                ),
                None,
            )
        except (KeyError, TypeError) as e:
            raise ReleaseError(f"{source}: not a compiled release of a known format (missing {e})") from e
        self._category_conditions: dict[str, tuple[_Condition, ...]] = {}
        # category -> item -> rule, built per category on first use: loading stays cheap.
        self._rules: dict[str, dict[str, dict[str, Any]]] = {}
        self._plan_tiers: dict[str, frozenset[str]] = {
            p: frozenset(v["tiers"]) for p, v in self.plans.items()
        }
        self._tier_plans: dict[str, tuple[str, ...]] = {
            t: tuple(p for p, tiers in self._plan_tiers.items() if t in tiers) for t in self.tiers
        }
        self._decisions: dict[tuple[str, str, str | None, str | None], Decision] = {}
        self._contextual: dict[tuple[Any, ...], Decision] = {}
        self._applicable_conditions: dict[
            tuple[str, str, str | None, str | None], tuple[_Condition, ...]
        ] = {}
        self._index: list[tuple[str, str, dict[str, Any]]] | None = None

    # ---- identity

    @property
    def policy_id(self) -> str:
        return str(self.manifest["policy_id"])

    @property
    def policy_version(self) -> str:
        return str(self.manifest["policy_version"])

    @property
    def digest(self) -> str:
        return str(self.manifest["digest"])

    @property
    def policy(self) -> dict[str, Any]:
        """The source policy document embedded in the release (parsed on first use)."""
        if self._policy is None:
            self._policy = self._policy_loader()
        return self._policy

    def __repr__(self) -> str:
        return f"<Ruleset {self.policy_id} {self.policy_version} from {self.source}>"

    # ---- deciding

    def decide(
        self,
        *,
        plan: str,
        category: str,
        item: str | None = None,
        product: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> Decision:
        """Whether a request about ``item`` of ``category`` is in scope for a customer on ``plan``.

        ``item=None`` asks about a request the category lists nowhere (outcome ``unlisted``).
        ``product``, when given, must be a product the policy names; a product not covered
        gives ``ineligible``. ``context`` gives facts (``{"new_customer": True, ...}``) that
        settle conditions; a condition whose facts are missing is named in ``pending``, one
        the context contradicts makes the outcome ``ineligible``. An unknown id (plan,
        category, item, product, fact) raises :class:`UnknownIdError`; a fact value of the
        wrong type raises :class:`InputError`.
        """
        key = (plan, category, item, product)
        if context is None:
            decision = self._decisions.get(key)
            if decision is None:
                decision = self._decisions[key] = self._build(key, None, ())
            return decision
        context = self._checked_context(context)
        conditions = self._applicable_conditions.get(key)
        if conditions is None:
            conditions = self._applicable_conditions[key] = self._applicable(key)
        # The decision depends on the context only through what each condition comes to: key
        # the cache on that, and build the (immutable) answer once per combination.
        outcome = tuple(condition.outcome(context) for condition in conditions)
        ckey = (key, outcome)
        decision = self._contextual.get(ckey)
        if decision is None:
            states = tuple(condition.check(context) for condition in conditions)
            decision = self._contextual[ckey] = self._build(key, context, states)
        return decision

    def parse_context(self, pairs: Iterable[str]) -> dict[str, Any]:
        """A context from ``KEY=VALUE`` strings, each value read as its fact's declared type.

        Booleans: true/false, yes/no, oui/non, vrai/faux, 1/0 (any case); integers: decimal. An unknown
        key or a value that does not read as its type is an error naming the key.
        """
        context: dict[str, Any] = {}
        for pair in pairs:
            key, equals, text = pair.partition("=")
            key, text = key.strip(), text.strip()
            if not equals or not key:
                raise InputError(f"context {pair!r} is not KEY=VALUE")
            declared = self.facts.get(key)
            if declared is None:
                raise UnknownIdError(
                    f"unknown fact {key!r} in the context (declared: {', '.join(sorted(self.facts)) or 'none'})"
                )
            if key in context:
                raise InputError(f"fact {key!r} is given twice in the context; give it once")
            context[key] = _read_value(key, declared, text)
        return context

    def _checked_context(self, context: Mapping[str, Any]) -> Mapping[str, Any]:
        if not isinstance(context, Mapping):
            raise InputError(
                f"a decision context is a mapping of fact names to values, not {type(context).__name__}"
            )
        fact_types, minimums = self._fact_types, self._fact_minimums
        for name, value in context.items():
            expected = fact_types.get(name)
            if expected is None or (type(value) is not expected and value is not None):
                self._refuse_fact(name, value)
            if name in minimums and value is not None and value < minimums[name]:
                raise InputError(f"fact {name!r} is at least {minimums[name]}, not {value!r}")
        return context

    def _refuse_fact(self, name: str, value: Any) -> None:
        declared = self.facts.get(name)
        if declared is None:
            raise UnknownIdError(
                f"unknown fact {name!r} in the context (declared: {', '.join(sorted(self.facts)) or 'none'})"
            )
        raise InputError(f"fact {name!r} is {_article(declared)} {declared}, not {value!r}")

    def _applicable(self, key: tuple[str, str, str | None, str | None]) -> tuple[_Condition, ...]:
        """The conditions a decision on this question checks (validating the ids on the way)."""
        plan, category, item, product = key
        rule = self._rule(plan, category, item, product)
        if rule is not None and rule["status"] == "included":
            return self._eligibility + self._conditions_of(category)
        return self._eligibility

    def _conditions_of(self, category: str) -> tuple[_Condition, ...]:
        conditions = self._category_conditions.get(category)
        if conditions is None:
            conditions = tuple(_Condition(c) for c in self.categories[category]["conditions"])
            self._category_conditions[category] = conditions
        return conditions

    def _rule(self, plan: str, category: str, item: str | None, product: str | None) -> dict[str, Any] | None:
        """The rule for the question, None for an unlisted request; unknown ids raise."""
        if plan not in self.plans:
            raise UnknownIdError(f"unknown plan {plan!r} (known: {', '.join(self.plans)})")
        if category not in self.categories:
            raise UnknownIdError(
                f"unknown category {category!r} ({len(self.categories)} categories; try `find`)"
            )
        if product is not None and product not in self.products:
            raise UnknownIdError(f"unknown product {product!r} (known: {', '.join(self.products)})")
        if item is None:
            return None
        rules = self._rules.get(category)
        if rules is None:
            rules = self._rules[category] = {
                rule["item"]: rule for rule in self.categories[category]["rules"]
            }
        rule = rules.get(item)
        if rule is None:
            elsewhere = [c for c, i in self.rules() if i == item]
            if elsewhere:
                raise UnknownIdError(
                    f"item {item!r} is not listed in category {category!r} (it is in {', '.join(elsewhere)})"
                )
            raise UnknownIdError(f"unknown item {item!r} (not in any category; try `find`)")
        return rule

    def _build(
        self,
        key: tuple[str, str, str | None, str | None],
        context: Mapping[str, Any] | None,
        states: tuple[ConditionCheck, ...],
    ) -> Decision:
        plan_id, category_id, item_id, product_id = key
        rule = self._rule(plan_id, category_id, item_id, product_id)
        category = self.categories[category_id]
        plan = self.plans[plan_id]
        if context is None:
            states = tuple(condition.check(None) for condition in self._applicable(key))
        base: dict[str, Any] = {
            "plan": plan_id,
            "category": category_id,
            "item": item_id,
            "product": product_id,
        }
        if rule is None:
            citation = Citation(
                category_id, Text.of(category["title"]), None, None, Provenance.of(category["provenance"])
            )
        else:
            via = rule.get("via")
            citation = Citation(
                category_id,
                Text.of(category["title"]),
                item_id,
                Text.of(rule["text"]),
                Provenance.of(rule["provenance"]),
                via["item"] if via else None,
                via["category"] if via else None,
            )
            base["tier"] = rule.get("tier")
            base["plans"] = self._tier_plans[rule["tier"]] if "tier" in rule else ()
            base["referrals"] = tuple(Referral(r, self.referrals[r]) for r in rule.get("referrals", ()))
            base["billing"] = Billing.of(rule["billing"]) if "billing" in rule else None
        base["citation"] = citation
        base["conditions"] = states

        if product_id is not None and not self.products[product_id]["eligible"]:
            name = Text.of(self.products[product_id]["name"])
            reason = _reason(
                f"Le produit « {name.fr} » n'est pas couvert par l'assistance.",
                f"The product “{name.in_language('en')}” is not covered by support.",
            )
            return Decision("ineligible", reason=reason, **base)
        unmet = [state for state in states if state.state == "unmet"]
        eligibility_unmet = [state for state in unmet if state.scope == "eligibility"]
        if eligibility_unmet:
            return Decision("ineligible", reason=_unmet_reason(eligibility_unmet), **base)
        if rule is None:
            base["billing"] = self._unlisted_billing
            title = citation.category_title
            return Decision(
                "unlisted",
                reason=_reason(
                    f"Aucune ligne de la catégorie « {title.fr} » ne couvre cette demande : elle ne figure pas "
                    "dans le champ d'application (un service technique facturé peut être proposé).",
                    f"No line of the category “{title.in_language('en')}” covers this request: it is not in the "
                    "support scope (a billed technical service may be offered).",
                ),
                **base,
            )
        if rule["status"] == "excluded":
            return Decision("excluded", reason=self._excluded_reason(base), **base)
        if unmet:
            return Decision("ineligible", reason=_unmet_reason(unmet), **base)
        tier = self.tiers[rule["tier"]]
        tier_label = Text.of(tier["label"])
        plan_name = Text.of(plan["name"])
        if rule["tier"] in self._plan_tiers[plan_id]:
            return Decision(
                "included",
                reason=_reason(
                    f"Inclus dans l'offre « {plan_name.fr} » (niveau « {tier_label.fr} »).",
                    f"Included in the “{plan_name.in_language('en')}” plan ({tier_label.in_language('en')} tier).",
                ),
                **base,
            )
        return Decision(
            "upgrade",
            reason=_reason(
                f"Non inclus dans l'offre « {plan_name.fr} » : ce service relève du niveau « {tier_label.fr} » "
                f"({', '.join(base['plans']) or 'aucune offre'}).",
                f"Not included in the “{plan_name.in_language('en')}” plan: this service needs the "
                f"{tier_label.in_language('en')} tier ({', '.join(base['plans']) or 'no plan'}).",
            ),
            **base,
        )

    def _excluded_reason(self, base: dict[str, Any]) -> Text:
        fr = "Service non inclus dans le champ d'application de l'assistance."
        en = "This service is not included in the support scope."
        referrals: tuple[Referral, ...] = base["referrals"]
        if referrals:
            fr += " Adressez-vous à : " + ", ".join(r.name.fr for r in referrals) + "."
            en += " Refer to: " + ", ".join(r.name.in_language("en") for r in referrals) + "."
        billing: Billing | None = base["billing"]
        if billing is not None:
            fr += " Disponible contre facturation séparée."
            en += " Available for a separate fee."
        return _reason(fr, en)

    # ---- finding

    def find(self, text: str, plan: str | None = None, product: str | None = None) -> list[Match]:
        """Items whose French or English text holds every word of ``text``, ignoring case and accents.

        In source order; an item a category refers to (``see``) matches in that category too.
        With ``plan``, each match carries the decision for that plan (and ``product``).
        """
        if plan is not None and plan not in self.plans:
            raise UnknownIdError(f"unknown plan {plan!r} (known: {', '.join(self.plans)})")
        if product is not None and product not in self.products:
            raise UnknownIdError(f"unknown product {product!r} (known: {', '.join(self.products)})")
        words = normalize(text).split()
        if not words:
            return []
        matches = []
        for category_id, haystacks, rule in self._search_index():
            if any(all(word in haystack for word in words) for haystack in haystacks.split("\x00")):
                matches.append(self._match(category_id, rule, plan, product))
        return matches

    def _search_index(self) -> list[tuple[str, str, dict[str, Any]]]:
        if self._index is None:
            self._index = [
                (category["id"], "\x00".join(normalize(t) for t in rule["text"].values()), rule)
                for category in self._compiled["categories"]
                for rule in category["rules"]
            ]
        return self._index

    def _match(self, category_id: str, rule: dict[str, Any], plan: str | None, product: str | None) -> Match:
        category = self.categories[category_id]
        decision = None
        if plan is not None:
            decision = self.decide(plan=plan, category=category_id, item=rule["item"], product=product)
        via = rule.get("via")
        return Match(
            category=category_id,
            category_title=Text.of(category["title"]),
            item=rule["item"],
            text=Text.of(rule["text"]),
            status=rule["status"],
            tier=rule.get("tier"),
            provenance=Provenance.of(rule["provenance"]),
            via=via["item"] if via else None,
            referrals=tuple(Referral(r, self.referrals[r]) for r in rule.get("referrals", ())),
            billing=Billing.of(rule["billing"]) if "billing" in rule else None,
            decision=decision,
        )

    def rules(self) -> Iterator[tuple[str, str]]:
        """Every (category, item) a decision can name, in source order."""
        for category in self._compiled["categories"]:
            for rule in category["rules"]:
                yield category["id"], rule["item"]


_BOOLEANS = {
    "true": True, "yes": True, "oui": True, "1": True, "vrai": True,
    "false": False, "no": False, "non": False, "0": False, "faux": False,
}  # fmt: skip


def _read_value(key: str, declared: str, text: str) -> Any:
    if declared == "boolean":
        value = _BOOLEANS.get(text.casefold())
        if value is None:
            raise InputError(
                f"fact {key!r} is a boolean: {text!r} is not true/false, yes/no, oui/non, vrai/faux or 1/0"
            )
        return value
    if declared == "integer":
        try:
            return int(text, 10)
        except ValueError as e:
            raise InputError(f"fact {key!r} is an integer: {text!r} is not a whole number") from e
    return text


def _reason(fr: str, en: str) -> Text:
    return Text((("en", en), ("fr", fr)))


def _unmet_reason(unmet: list[ConditionCheck]) -> Text:
    return _reason(
        "Condition non remplie : " + " ; ".join(state.text.fr for state in unmet),
        "Condition not met: " + "; ".join(state.text.in_language("en") for state in unmet),
    )


def _article(type_name: str) -> str:
    return "an" if type_name[0] in "aeiou" else "a"


_APOSTROPHES = str.maketrans(
    {"’": "'", "‘": "'", "ʼ": "'", "«": " ", "»": " ", "“": '"', "”": '"', "\u00a0": " "}
)


def normalize(text: str) -> str:
    """Lower case, no accents, plain apostrophes: how :meth:`Ruleset.find` compares texts."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()
