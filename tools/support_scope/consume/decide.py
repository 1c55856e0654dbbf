"""The decision procedure: from a question and what its tests come to, to a :class:`Decision`.

A question (plan, category, an item or a request kind or neither, product, facts) is answered
in this order (the README's "Deciding without this package" and the release schema's
description say the same, for ports):

1. unknown ids and bad context values are errors, raised before this module is reached;
2. a product not covered gives ``ineligible``; so does an eligibility condition that is false;
3. the *line*: the item's rule; for a request kind, the category's first rule of that kind
   (excluded rules first, as the precedence puts ``line-excluded`` first); its kind, or the
   request's, is the *kind* of the question;
4. the steps of the release's ``precedence.order``, the first to answer wins:

   - ``line-excluded``: an excluded line gives ``excluded``;
   - ``line-included``: an included line's conditions, by what their failure means: one
     ``not-applicable`` condition false and the line does not apply (the next steps answer for
     its kind); one ``ineligible`` false gives ``ineligible``; one ``not-covered`` false gives
     ``excluded`` (the term it names answers); then the resolution rules of the category that
     name the line or its kind, and the not-covered general terms of its kind that override
     lines: one whose test holds gives ``excluded``; else the line's tier gives ``included`` or
     ``upgrade``;
   - ``not-covered``: the category's resolution rules and the general not-covered terms of the
     kind: one whose test holds gives ``excluded``;
   - ``grant``: the tiers' grants of the kind: ``included`` when one's tier is among the
     plan's, else ``upgrade`` to the lowest;

5. nothing answered: ``ineligible`` if a ``not-applicable`` condition put the line aside;
   ``excluded`` if a scope note of the category excludes what nothing covers; else ``unlisted``.

A test the context leaves unknown is taken in the customer's favour (a condition met, a
not-covered term not applying) to give the outcome; the decision is ``conditional`` when some
values of the missing facts would give another outcome, and those facts are ``pending``.
Excluded and unlisted answers carry the way out: the line's referrals and billed option, the
referral terms of the kind, the billable technical service.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from support_scope.consume.values import (
    Billing,
    Caveat,
    Citation,
    ConditionCheck,
    Decision,
    GrantVerdict,
    Offer,
    Provenance,
    Referral,
    RuleRef,
    Text,
)
from support_scope.model.conditions import Evaluator, compile_test, fact_domains
from support_scope.model.policy import ItemProvenance
from support_scope.model.release import (
    CompiledBody,
    CompiledCategory,
    CompiledCondition,
    CompiledGrant,
    CompiledNote,
    CompiledPlan,
    CompiledTerm,
    CompiledTier,
    Rule,
)
from support_scope.model.vocab import CheckScope, Outcome, PrecedenceStep, RuleKind

# Beyond this many combinations of missing facts, every missing fact is reported as pending.
MAX_COMBINATIONS = 4096
_FAILURE_ORDER = {"not-applicable": 0, "ineligible": 1, "not-covered": 2}


def _always(context: Mapping[str, Any]) -> bool:
    return True


class Test:
    """A test a decision reads: a condition (in the customer's favour when it holds), or the test
    of a not-covered term or resolution rule (against the customer when it holds)."""

    __slots__ = (
        "_evaluate",
        "expression",
        "facts",
        "favorable",
        "id",
        "line",
        "record",
        "scope",
        "text",
    )
    _evaluate: Evaluator

    def __init__(
        self,
        record: Mapping[str, Any],
        scope: CheckScope,
        expression: object,
        facts: Sequence[str],
        favorable: bool,
    ) -> None:
        self.record = record
        self.id: str = record["id"]
        self.scope = scope
        self.text = Text.of(record["text"])
        self.expression = expression
        self.facts: tuple[str, ...] = tuple(facts)
        self.favorable = favorable
        self.line: int = record["provenance"]["line"]
        self._evaluate: Evaluator = _always if expression is None else compile_test(expression)

    def evaluate(self, context: Mapping[str, Any]) -> bool | None:
        return self._evaluate(context)

    def outcome(self, context: Mapping[str, Any]) -> bool | tuple[str, ...]:
        """True or False, or the facts missing to settle it."""
        value = self.evaluate(context)
        if value is None:
            return tuple(f for f in self.facts if context.get(f) is None) or self.facts
        return value

    def check(self, value: bool | tuple[str, ...]) -> ConditionCheck:
        if isinstance(value, tuple):
            return ConditionCheck(self.id, self.scope, self.text, "unknown", self.facts, value)
        return ConditionCheck(self.id, self.scope, self.text, "met" if value else "unmet", self.facts)

    @property
    def legal_note(self) -> Any:
        return self.record.get("legal_note")


def condition_test(data: CompiledCondition) -> Test:
    return Test(data, data["scope"], data["test"], data["facts"], favorable=True)


def withholding_test(data: CompiledTerm | CompiledNote, scope: CheckScope) -> Test:
    return Test(data, scope, data.get("test"), data.get("facts", ()), favorable=False)


def source_line(provenance: ItemProvenance) -> int | None:
    """The source line a provenance names; None for an item a reviewer added (its provenance is
    the review, not a place in the source)."""
    line = provenance.get("line")
    return line if isinstance(line, int) else None


@dataclass(frozen=True)
class Lookup:
    """What the procedure reads from the release beyond the question itself."""

    tiers: Mapping[str, CompiledTier]
    plan_tiers: Mapping[str, frozenset[str]]
    tier_plans: Mapping[str, tuple[str, ...]]
    referrals: Mapping[str, Text]
    kinds: Mapping[str, Text]
    order: tuple[PrecedenceStep, ...]
    precedence: Mapping[str, Any]
    grants: tuple[CompiledGrant, ...]
    terms: Mapping[str, CompiledTerm]
    not_covered: tuple[Test, ...]  # the general not-covered terms, as tests
    offers: tuple[Offer, ...]  # the billable services
    referral_terms: tuple[CompiledTerm, ...]
    call_limits: tuple[CompiledTerm, ...]
    base_tiers: frozenset[str]  # tiers that include no other: self-service, no advisor

    @classmethod
    def of(
        cls, compiled: CompiledBody, tiers: Mapping[str, CompiledTier], referrals: Mapping[str, Text]
    ) -> Lookup:
        plans = {p["id"]: frozenset(p["tiers"]) for p in compiled["plans"]}
        terms = {t["id"]: t for t in compiled["general_terms"]}
        rank = {tier_id: tier["rank"] for tier_id, tier in tiers.items()}
        return cls(
            tiers=tiers,
            plan_tiers=plans,
            tier_plans={t: tuple(p for p, reach in plans.items() if t in reach) for t in tiers},
            referrals=referrals,
            kinds={k["id"]: Text.of(k["name"]) for k in compiled["request_kinds"]},
            order=tuple(compiled["precedence"]["order"]),
            precedence=compiled["precedence"],
            grants=tuple(sorted(compiled["grants"], key=lambda g: rank.get(g["tier"], 0))),
            terms=terms,
            not_covered=tuple(
                withholding_test(t, "term") for t in compiled["general_terms"] if t["kind"] == "not-covered"
            ),
            offers=tuple(
                Offer(t["id"], Text.of(t["text"]), Billing.of(t["billing"]), t["provenance"]["line"])
                for t in compiled["general_terms"]
                if t["kind"] == "billable-service" and "billing" in t
            ),
            referral_terms=tuple(t for t in compiled["general_terms"] if t["kind"] == "referral"),
            call_limits=tuple(t for t in compiled["general_terms"] if t["kind"] == "call-limit"),
            base_tiers=frozenset(t for t, tier in tiers.items() if not tier["includes"]),
        )


@dataclass(frozen=True)
class Frame:
    """A question with everything its decision may read; built once per distinct question.

    ``tests`` are every test the steps may read; the index tuples say which serve where:
    ``eligibility``, the line's ``conditions`` (by what their failure means), the tests that
    withhold the line (``line_withholders``) and those that withhold the kind
    (``kind_withholders``). ``domains`` are the values each fact is tried with when it is
    missing (the constants the tests compare it with, and their neighbours).
    """

    plan: CompiledPlan
    category: CompiledCategory
    item: str | None
    request: str | None
    product_id: str | None
    product: Mapping[str, Any] | None
    line: Rule | None
    kind: str | None
    tests: tuple[Test, ...]
    eligibility: tuple[int, ...]
    conditions: tuple[int, ...]
    line_withholders: tuple[int, ...]
    kind_withholders: tuple[int, ...]
    grants: tuple[CompiledGrant, ...]
    scope_notes: tuple[CompiledNote, ...]
    domains: Mapping[str, tuple[Any, ...]]
    see_lines: tuple[int, ...]
    # The truth tables of unknown tests, by (test position, the values the context gives the
    # test's facts); bounded (cleared when full): endless distinct values cannot grow it.
    tables: dict[tuple[Any, ...], tuple[bool | None, ...]] = field(default_factory=dict, compare=False)


def build_frame(
    plan: CompiledPlan,
    category: CompiledCategory,
    item: str | None,
    request: str | None,
    product_id: str | None,
    product: Mapping[str, Any] | None,
    line: Rule | None,
    eligibility: tuple[Test, ...],
    category_tests: tuple[Mapping[str, Test], Mapping[str, Test]],
    lookup: Lookup,
) -> Frame:
    """The frame of a question whose ids were checked; ``line`` is the item's rule or the kind's line."""
    conditions_by_id, notes_by_id = category_tests
    kind = request if request is not None else (line.get("kind") if line is not None else None)
    tests: list[Test] = list(eligibility)
    index: dict[int, int] = {id(test): position for position, test in enumerate(tests)}

    def add(test: Test) -> int:
        position = index.get(id(test))
        if position is None:
            position = index[id(test)] = len(tests)
            tests.append(test)
        return position

    conditions: list[int] = []
    line_withholders: list[int] = []
    if line is not None and line["status"] == "included":
        applying = [c for c in conditions_by_id.values() if line["item"] in c.record.get("items", ())]
        applying.sort(key=lambda c: _FAILURE_ORDER[c.record["when_unmet"]])
        conditions = [add(c) for c in applying]
        line_kind = line.get("kind")
        for note in notes_by_id.values():
            if line["item"] in note.record.get("items", ()) or (
                line_kind is not None and line_kind in note.record.get("kinds", ())
            ):
                line_withholders.append(add(note))
        if line_kind is not None:
            for term in lookup.not_covered:
                if term.record.get("overrides_lines") and line_kind in term.record.get("kinds", ()):
                    line_withholders.append(add(term))
    kind_withholders: list[int] = []
    if kind is not None:
        for note in notes_by_id.values():
            if kind in note.record.get("kinds", ()):
                kind_withholders.append(add(note))
        for term in lookup.not_covered:
            if kind in term.record.get("kinds", ()):
                kind_withholders.append(add(term))
    see_lines: tuple[int, ...] = ()
    if line is not None and "see" in line:
        see_lines = tuple(
            found
            for r in category["rules"]
            if r.get("via", {}).get("item") == line["item"]
            and (found := source_line(r["provenance"])) is not None
        )
    return Frame(
        plan=plan,
        category=category,
        item=item,
        request=request,
        product_id=product_id,
        product=product,
        line=line,
        kind=kind,
        tests=tuple(tests),
        eligibility=tuple(range(len(eligibility))),
        conditions=tuple(conditions),
        line_withholders=tuple(line_withholders),
        kind_withholders=tuple(kind_withholders),
        grants=tuple(g for g in lookup.grants if kind is not None and kind in g["kinds"]),
        scope_notes=tuple(n for n in category["notes"] if n["kind"] == "scope-note"),
        domains=fact_domains(test.expression for test in tests),
        see_lines=see_lines,
    )


def kind_line(category: CompiledCategory, kind: str, order: Sequence[PrecedenceStep]) -> Rule | None:
    """The line of ``category`` that answers a request of ``kind``: its first rule of that kind,
    excluded rules first (included first if the precedence puts included lines first)."""
    statuses = [step.removeprefix("line-") for step in order if step.startswith("line-")]
    for status in statuses:
        for rule in category["rules"]:
            if rule.get("kind") == kind and rule["status"] == status:
                return rule
    return None


# --------------------------------------------------------------------------- the steps


@dataclass(frozen=True)
class Verdict:
    """What the steps came to: the outcome, the rule that decided, and what it rested on."""

    outcome: Outcome
    rule: RuleKind
    rule_id: str | None
    test: int | None = None  # the test that decided, if one did
    aside: int | None = None  # the not-applicable condition that put the line aside
    tier: str | None = None
    grant: CompiledGrant | None = None
    note: CompiledNote | None = None
    also: tuple[int, ...] = ()  # the other withholders of the deciding step that hold too


def resolve(frame: Frame, values: Sequence[bool | None], lookup: Lookup) -> Verdict:
    """The steps, with every test's value given (None: taken in the customer's favour)."""
    tests = frame.tests

    def holds(position: int) -> bool:
        value = values[position]
        return tests[position].favorable if value is None else value

    product = frame.product
    if product is not None and not product["eligible"]:
        return Verdict("ineligible", "product", frame.product_id)
    for position in frame.eligibility:
        if not holds(position):
            return Verdict("ineligible", "eligibility", tests[position].id, position)
    line, aside = frame.line, None
    for step in lookup.order:
        if line is None:
            if step in ("line-excluded", "line-included"):
                continue
        elif step == "line-excluded":
            if line["status"] == "excluded":
                return Verdict("excluded", "line", line["item"])
            continue
        elif step == "line-included":
            if line["status"] != "included":
                continue
            verdict = _included_line(frame, line, holds, lookup)
            if isinstance(verdict, Verdict):
                return verdict
            aside = verdict
            continue
        if frame.kind is None:
            continue
        if step == "not-covered":
            held = [position for position in frame.kind_withholders if holds(position)]
            if held:
                return _withheld(tests, held, aside)
        elif step == "grant" and frame.grants:
            reach = lookup.plan_tiers[frame.plan["id"]]
            granted = next((g for g in frame.grants if g["tier"] in reach), None)
            if granted is not None:
                return Verdict(
                    "included", "grant", granted["id"], aside=aside, tier=granted["tier"], grant=granted
                )
            lowest = frame.grants[0]
            return Verdict("upgrade", "grant", lowest["id"], aside=aside, tier=lowest["tier"], grant=lowest)
    if aside is not None:
        return Verdict("ineligible", "condition", tests[aside].id, aside)
    for note in frame.scope_notes:
        if note.get("excludes_unlisted"):
            return Verdict("excluded", "note", note["id"], note=note)
    return Verdict("unlisted", "unlisted", None)


def _included_line(frame: Frame, line: Rule, holds: Any, lookup: Lookup) -> Verdict | int:
    """An included line's verdict, or the not-applicable condition that puts it aside."""
    tests = frame.tests
    for position in frame.conditions:
        if holds(position):
            continue
        test = tests[position]
        failure = test.record["when_unmet"]
        if failure == "not-applicable":
            return position
        if failure == "ineligible":
            return Verdict("ineligible", "condition", test.id, position)
        return Verdict("excluded", "condition", test.id, position)
    held = [position for position in frame.line_withholders if holds(position)]
    if held:
        return _withheld(tests, held, None)
    tier = line["tier"]
    outcome: Outcome = "included" if tier in lookup.plan_tiers[frame.plan["id"]] else "upgrade"
    return Verdict(outcome, "line", line["item"], tier=tier)


def _withheld(tests: Sequence[Test], held: list[int], aside: int | None) -> Verdict:
    """Excluded by the first withholder that holds; the others that hold are cited too."""
    test = tests[held[0]]
    kind: RuleKind = "note" if test.scope == "note" else "term"
    return Verdict("excluded", kind, test.id, held[0], aside, also=tuple(held[1:]))


# --------------------------------------------------------------------------- certainty

Signature = tuple[Any, ...]


def signature(frame: Frame, context: Mapping[str, Any]) -> Signature:
    """What the context comes to for this question's tests: each test's value, or, when unknown,
    the facts it misses and its value for each combination of their tried values."""
    values = tuple([test._evaluate(context) for test in frame.tests])
    if None not in values:
        return values  # everything settled: the common case, kept cheap
    parts: list[Any] = []
    for position, (test, value) in enumerate(zip(frame.tests, values, strict=True)):
        if value is None:
            missing = tuple(f for f in test.facts if context.get(f) is None) or test.facts
            parts.append((missing, _table(frame, position, missing, context)))
        else:
            parts.append(value)
    return tuple(parts)


_MAX_TABLES = 4096  # per question


def _table(
    frame: Frame, position: int, missing: tuple[str, ...], context: Mapping[str, Any]
) -> tuple[bool | None, ...]:
    """A test's value for each combination of the tried values of its missing facts."""
    test = frame.tests[position]
    key = (position, *[context.get(f) for f in test.facts])
    table = frame.tables.get(key)
    if table is not None:
        return table
    trial = {f: context.get(f) for f in test.facts}
    values: list[bool | None] = []
    for combination in itertools.product(*(frame.domains.get(f, (None,)) for f in missing)):
        trial.update(zip(missing, combination, strict=True))
        values.append(test.evaluate(trial))
    if len(frame.tables) >= _MAX_TABLES:
        frame.tables.clear()
    table = frame.tables[key] = tuple(values)
    return table


@dataclass(frozen=True)
class Certainty:
    """Whether some values of the missing facts give another outcome, and which facts matter."""

    conditional: bool
    facts: tuple[str, ...]


def certainty(frame: Frame, sig: Signature, favoured: Outcome, lookup: Lookup) -> Certainty:
    unknown = [(i, part) for i, part in enumerate(sig) if not isinstance(part, bool)]
    if not unknown:
        return Certainty(False, ())
    missing = sorted({f for _, (facts, _) in unknown for f in facts})
    domains = [frame.domains.get(f, (None,)) for f in missing]
    count = 1
    for domain in domains:
        count *= len(domain)
    if count > MAX_COMBINATIONS:  # too many to try: every missing fact may matter
        return Certainty(True, tuple(missing))
    at = {fact: position for position, fact in enumerate(missing)}
    sizes = {fact: len(domain) for fact, domain in zip(missing, domains, strict=True)}
    base = [part if isinstance(part, bool) else None for part in sig]
    outcomes: dict[tuple[int, ...], Outcome] = {}
    for combination in itertools.product(*(range(len(d)) for d in domains)):
        values = list(base)
        for position, (facts, table) in unknown:
            offset = 0
            for fact in facts:
                offset = offset * sizes[fact] + combination[at[fact]]
            values[position] = table[offset]
        outcomes[combination] = resolve(frame, values, lookup).outcome
    seen = set(outcomes.values())
    if seen == {favoured}:
        return Certainty(False, ())
    matter = []
    for fact, position in at.items():
        if any(
            outcomes[c] != outcomes[_replaced(c, position, other)]
            for c in outcomes
            for other in range(sizes[fact])
            if other != c[position]
        ):
            matter.append(fact)
    return Certainty(True, tuple(matter))


def _replaced(combination: tuple[int, ...], position: int, value: int) -> tuple[int, ...]:
    changed = list(combination)
    changed[position] = value
    return tuple(changed)


# --------------------------------------------------------------------------- the decision


def decide(frame: Frame, sig: Signature, lookup: Lookup) -> Decision:
    """The decision for a question whose tests came to ``sig``."""
    values = [part if isinstance(part, bool) else None for part in sig]
    verdict = resolve(frame, values, lookup)
    sure = certainty(frame, sig, verdict.outcome, lookup)
    tests = frame.tests
    checks = tuple(
        test.check(part if isinstance(part, bool) else part[0]) for test, part in zip(tests, sig, strict=True)
    )
    pending_positions = [
        i for i, part in enumerate(sig) if not isinstance(part, bool) and set(part[0]) & set(sure.facts)
    ]
    return _Decider(frame, lookup, verdict, sure, checks, pending_positions).decision()


class _Decider:
    """Words, citations, way out and caveats for a verdict."""

    def __init__(
        self,
        frame: Frame,
        lookup: Lookup,
        verdict: Verdict,
        sure: Certainty,
        checks: tuple[ConditionCheck, ...],
        pending: list[int],
    ) -> None:
        self.frame, self.lookup, self.verdict, self.sure = frame, lookup, verdict, sure
        self.checks, self.pending = checks, pending
        self.cites: set[int] = set()
        self.caveats: list[Caveat] = []

    def decision(self) -> Decision:
        frame, verdict, lookup = self.frame, self.verdict, self.lookup
        category, line = frame.category, frame.line
        title = Text.of(category["title"])
        fields: dict[str, Any] = {
            "plan": frame.plan["id"],
            "category": category["id"],
            "item": frame.item,
            "request": frame.request,
            "product": frame.product_id,
            "conditions": self.checks,
            "conditional": self.sure.conditional,
            "pending": tuple(self.checks[i] for i in self.pending),
            "pending_facts": self.sure.facts,
            "rule": RuleRef(verdict.rule, verdict.rule_id),
        }
        decided_early = verdict.rule in ("product", "eligibility")
        grant = verdict.grant
        if grant is not None and (line is None or verdict.aside is not None):
            fields["citation"] = Citation(
                category["id"], title, None, Text.of(grant["text"]), Provenance.of(grant["provenance"])
            )
        elif line is not None:
            via = line.get("via")
            fields["citation"] = Citation(
                category["id"],
                title,
                line["item"],
                Text.of(line["text"]),
                Provenance.of(line["provenance"]),
                via["item"] if via else None,
                via["category"] if via else None,
            )
        else:
            fields["citation"] = Citation(
                category["id"], title, None, None, Provenance.of(category["provenance"])
            )
        # What the answer rests on.
        if verdict.rule == "product":
            product = frame.product or {}
            if "provenance" in product:
                self.cites.add(product["provenance"]["line"])
        elif verdict.rule == "eligibility" and verdict.test is not None:
            self.cites.add(frame.tests[verdict.test].line)
        else:
            self._rests_on()
        tier = verdict.tier
        if tier is None and line is not None and line["status"] == "included" and not decided_early:
            tier = line.get("tier")
        fields["tier"] = tier
        fields["plans"] = lookup.tier_plans.get(tier, ()) if tier is not None else ()
        referrals, offers = self._way_out()
        fields["referrals"] = referrals
        fields["offers"] = offers
        billing = None
        if verdict.outcome in ("excluded", "unlisted"):
            billing = offers[0].billing if offers else None
        elif line is not None and "billing" in line and not decided_early:
            billing = Billing.of(line["billing"])
        fields["billing"] = billing
        if not decided_early:
            self._caveats(tier)
        for position in self.pending:
            self.cites.add(self.frame.tests[position].line)
        fields["reason"] = self._reason(referrals, tier)
        fields["cites"] = tuple(sorted(self.cites))
        fields["caveats"] = tuple(self.caveats)
        return Decision(verdict.outcome, **fields)

    # ---- what the answer rests on

    def _rests_on(self) -> None:
        frame, verdict, lookup = self.frame, self.verdict, self.lookup
        line, tests = frame.line, frame.tests
        if verdict.test is not None:
            test = tests[verdict.test]
            self.cites.add(test.line)
            self._legal(test.legal_note, test.id)
            term_id = test.record.get("term") if test.scope == "category" else None
            if term_id is not None:
                self._cite_withholder(term_id)
        for position in verdict.also:
            self.cites.add(tests[position].line)
        if verdict.aside is not None:
            aside = tests[verdict.aside]
            self.cites.add(aside.line)
            self._legal(aside.legal_note, aside.id)
        if line is not None:
            # A line a reviewer added cites no source line: its provenance is the review.
            self.cites.update(found for found in [source_line(line["provenance"])] if found is not None)
            if "via" in line:
                self.cites.update(
                    found for found in [source_line(line["via"]["provenance"])] if found is not None
                )
            self.cites.update(frame.see_lines)
            self._legal(line.get("legal_note"), line["item"])
            kind = line.get("kind")
            if kind is not None:
                # The general grants this line repeats (or, excluded, prevails over).
                for grant in lookup.grants:
                    if kind in grant["kinds"]:
                        self.cites.add(grant["provenance"]["line"])
                        if line["status"] == "excluded" and verdict.rule == "line":
                            self._precedence()
                if verdict.rule in ("term", "note") and verdict.aside is None:
                    self._precedence()
        if verdict.grant is not None:
            self.cites.add(verdict.grant["provenance"]["line"])
            self._legal(verdict.grant.get("legal_note"), verdict.grant["id"])
        if verdict.note is not None:
            self.cites.add(verdict.note["provenance"]["line"])
        if verdict.rule == "unlisted":
            self.cites.add(frame.category["provenance"]["line"])
        self._legal(frame.category.get("legal_note"), frame.category["id"])

    def _cite_withholder(self, term_id: str) -> None:
        term = self.lookup.terms.get(term_id)
        if term is not None:
            self.cites.add(term["provenance"]["line"])
            return
        for note in self.frame.category["notes"]:
            if note["id"] == term_id:
                self.cites.add(note["provenance"]["line"])

    def _legal(self, note: Any, entity: str) -> None:
        if note is not None and all(c.id != entity or c.kind != "legal-review" for c in self.caveats):
            self.caveats.append(Caveat("legal-review", entity, Text.of(note)))

    def _precedence(self) -> None:
        self._legal(self.lookup.precedence.get("legal_note"), "precedence")

    # ---- the way out

    def _way_out(self) -> tuple[tuple[Referral, ...], tuple[Offer, ...]]:
        frame, verdict, lookup = self.frame, self.verdict, self.lookup
        line = frame.line
        referrals: list[str] = []
        offers: list[Offer] = []
        if verdict.rule not in ("product", "eligibility") and line is not None:
            referrals += line.get("referrals", ())
        if verdict.outcome in ("excluded", "unlisted"):
            if verdict.test is not None and frame.tests[verdict.test].scope == "note":
                referrals += frame.tests[verdict.test].record.get("referrals", ())
            if verdict.rule == "condition":
                term_id = frame.tests[verdict.test or 0].record.get("term")
                for note in frame.category["notes"]:
                    if note["id"] == term_id:
                        referrals += note.get("referrals", ())
            if line is not None and verdict.rule == "line" and "billing" in line:
                offers.append(
                    Offer(
                        line["item"],
                        Text.of(line["text"]),
                        Billing.of(line["billing"]),
                        source_line(line["provenance"]),
                    )
                )
            if frame.kind is not None:
                for term in lookup.referral_terms:
                    if frame.kind in term.get("kinds", ()):
                        referrals += term.get("referrals", ())
                        self.cites.add(term["provenance"]["line"])
            for offer in lookup.offers:
                offers.append(offer)
                if offer.line is not None:
                    self.cites.add(offer.line)
        unique = tuple(dict.fromkeys(referrals))
        return tuple(Referral(r, lookup.referrals[r]) for r in unique), tuple(offers)

    # ---- what the agent must know with the answer

    def _caveats(self, tier: str | None) -> None:
        frame, verdict, lookup = self.frame, self.verdict, self.lookup
        for note in frame.scope_notes:
            self.caveats.append(
                Caveat("scope-note", note["id"], Text.of(note["text"]), note["provenance"]["line"])
            )
            self.cites.add(note["provenance"]["line"])
            self._legal(note.get("legal_note"), note["id"])
        seen: set[str] = set()
        for position in (*frame.line_withholders, *frame.kind_withholders):
            test = frame.tests[position]
            if test.scope == "note" and test.id not in seen:
                seen.add(test.id)
                self.caveats.append(Caveat("resolution-rule", test.id, test.text, test.line))
                self.cites.add(test.line)
                self._legal(test.legal_note, test.id)
        if verdict.outcome == "included" and tier is not None:
            if tier in lookup.base_tiers:
                self.caveats.append(Caveat("self-service", tier, _SELF_SERVICE))
            else:
                for term in lookup.call_limits:
                    self.caveats.append(
                        Caveat("call-limit", term["id"], Text.of(term["text"]), term["provenance"]["line"])
                    )

    # ---- in words

    def _reason(self, referrals: tuple[Referral, ...], tier: str | None) -> Text:
        frame, verdict, lookup = self.frame, self.verdict, self.lookup
        title = Text.of(frame.category["title"])
        outcome = verdict.outcome
        if verdict.rule == "product":
            return product_reason(frame.product or {})
        if outcome == "ineligible":
            test = frame.tests[verdict.test if verdict.test is not None else 0]
            return _text(
                f"Condition non remplie : {test.text.fr}",
                f"Condition not met: {test.text.in_language('en')}",
            )
        if outcome == "excluded":
            return self._excluded(referrals)
        if outcome == "unlisted":
            kind = lookup.kinds.get(frame.kind) if frame.kind is not None else None
            what_fr = f" (demande de type « {kind.fr} »)" if kind else ""
            what_en = f" (a request of kind “{kind.in_language('en')}”)" if kind else ""
            return _text(
                f"Aucune ligne de la catégorie « {title.fr} » ni prestation générale ne couvre cette demande{what_fr} : "
                "elle ne figure pas dans le champ d'application (un service technique facturé peut être proposé).",
                f"No line of the category “{title.in_language('en')}” and no general grant covers this request{what_en}: "
                "it is not in the support scope (a billed technical service may be offered).",
            )
        return tier_reason(outcome, frame.plan, tier, lookup, verdict.grant)

    def _excluded(self, referrals: tuple[Referral, ...]) -> Text:
        frame, verdict = self.frame, self.verdict
        if verdict.rule == "condition":
            test = frame.tests[verdict.test or 0]
            term_id = test.record.get("term")
            term_text = self._withholder_text(term_id)
            fr = f"Non pris en charge : condition non remplie (« {test.text.fr} »)"
            en = f"Not covered: condition not met (“{test.text.in_language('en')}”)"
            if term_text is not None:
                fr += f" ; « {term_text.fr} »"
                en += f"; “{term_text.in_language('en')}”"
            fr, en = fr + ".", en + "."
        elif verdict.rule in ("term", "note") and verdict.test is not None:
            test = frame.tests[verdict.test]
            fr = f"Non pris en charge : « {test.text.fr} »"
            en = f"Not covered: “{test.text.in_language('en')}”"
            fr, en = (fr, en) if fr.endswith(".") else (fr + ".", en + ".")
        elif verdict.rule == "note" and verdict.note is not None:
            note_text = Text.of(verdict.note["text"])
            fr = f"Non inclus : « {note_text.fr} » ; rien dans ce document ne couvre cette demande."
            en = f"Not included: “{note_text.in_language('en')}”; nothing in this document covers this request."
        else:
            fr = "Service non inclus dans le champ d'application de l'assistance."
            en = "This service is not included in the support scope."
            line = frame.line
            kind = line.get("kind") if line is not None else None
            for grant in self.lookup.grants:
                if kind is not None and kind in grant["kinds"]:
                    text = Text.of(grant["text"])
                    line_no = grant["provenance"]["line"]
                    fr += f" Cette ligne précise prévaut sur la prestation générale « {text.fr} » (l. {line_no})."
                    en += f" This specific line prevails over the general grant “{text.in_language('en')}” (l. {line_no})."
        if referrals:
            fr += " Adressez-vous à : " + ", ".join(r.name.fr for r in referrals) + "."
            en += " Refer to: " + ", ".join(r.name.in_language("en") for r in referrals) + "."
        if frame.line is not None and verdict.rule == "line" and "billing" in frame.line:
            fr += " Disponible contre facturation séparée."
            en += " Available for a separate fee."
        return _text(fr, en)

    def _withholder_text(self, term_id: Any) -> Text | None:
        term = self.lookup.terms.get(term_id) if isinstance(term_id, str) else None
        if term is not None:
            return Text.of(term["text"])
        for note in self.frame.category["notes"]:
            if note["id"] == term_id:
                return Text.of(note["text"])
        return None


_SELF_SERVICE = Text(
    (
        (
            "en",
            "A redirection to self-service: the customer consults these resources themselves; no advisor helps.",
        ),
        (
            "fr",
            "Un renvoi au libre-service : le client consulte lui-même ces ressources ; aucun conseiller n'intervient.",
        ),
    )
)


def tier_reason(
    outcome: Outcome, plan: CompiledPlan, tier: str | None, lookup: Lookup, grant: CompiledGrant | None = None
) -> Text:
    """The words of an ``included`` or ``upgrade`` answer at ``tier`` for ``plan`` (by ``grant``)."""
    tier_label = Text.of(lookup.tiers[tier]["label"]) if tier is not None else Text.of({"fr": "?"})
    plan_name = Text.of(plan["name"])
    by_fr = by_en = ""
    if grant is not None:
        grant_text = Text.of(grant["text"])
        by_fr = f" par la prestation générale « {grant_text.fr} »"
        by_en = f" by the general grant “{grant_text.in_language('en')}”"
    if outcome == "included":
        if tier in lookup.base_tiers:
            return _text(
                f"Libre-service{by_fr} : le client consulte lui-même ces ressources (« {tier_label.fr} »), "
                "ouvertes à toutes les offres ; aucun conseiller n'intervient.",
                f"Self-service{by_en}: the customer consults these resources ({tier_label.in_language('en')}) "
                "themselves, open to every plan; no advisor is involved.",
            )
        return _text(
            f"Inclus dans l'offre « {plan_name.fr} » (niveau « {tier_label.fr} »){by_fr}.",
            f"Included in the “{plan_name.in_language('en')}” plan ({tier_label.in_language('en')} tier){by_en}.",
        )
    plans = lookup.tier_plans.get(tier, ()) if tier is not None else ()
    return _text(
        f"Non inclus dans l'offre « {plan_name.fr} » : ce service relève du niveau « {tier_label.fr} »{by_fr} "
        f"({', '.join(plans) or 'aucune offre'}).",
        f"Not included in the “{plan_name.in_language('en')}” plan: this service needs the "
        f"{tier_label.in_language('en')} tier{by_en} ({', '.join(plans) or 'no plan'}).",
    )


def product_reason(product: Mapping[str, Any]) -> Text:
    """The words of an ``ineligible`` answer for a product support does not cover."""
    name = Text.of(product["name"])
    return _text(
        f"Le produit « {name.fr} » n'est pas couvert par l'assistance.",
        f"The product “{name.in_language('en')}” is not covered by support.",
    )


def grant_verdict(
    plan: CompiledPlan, grant: CompiledGrant, product: Mapping[str, Any] | None, lookup: Lookup
) -> GrantVerdict:
    """What a tier grant a search found means for a customer on ``plan``: ``ineligible`` for a
    product support does not cover, else ``included`` when the plan reaches the grant's tier,
    ``upgrade`` when it does not (the grant step of :func:`resolve`, with the same words)."""
    tier = grant["tier"]
    plans = lookup.tier_plans.get(tier, ())
    if product is not None and not product["eligible"]:
        return GrantVerdict("ineligible", product_reason(product), tier, plans)
    outcome: Outcome = "included" if tier in lookup.plan_tiers[plan["id"]] else "upgrade"
    return GrantVerdict(outcome, tier_reason(outcome, plan, tier, lookup), tier, plans)


def _text(fr: str, en: str) -> Text:
    return Text((("en", en), ("fr", fr)))
