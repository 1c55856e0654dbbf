"""The consumer API: a verified release, ready to answer ``decide`` and ``find``.

Imports only the standard library and the package's model, errors and verifier: a service
that decides thousands of times a second pays neither for click nor for the schema or
workbook libraries.

    from support_scope import load_release
    ruleset = load_release()                      # the shipped policy's latest release
    decision = ruleset.decide(plan="standard", category="desktop-setup", item="desktop-setup-kb-pages")
    decision.outcome                              # 'included'

Decisions are computed once per distinct question and then returned as they are (they are
immutable), so a repeated question costs a dictionary lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, cast

from support_scope.consume import decide as procedure
from support_scope.consume.analysis import ANALYZER
from support_scope.consume.context import Facts
from support_scope.consume.find import Query, SearchIndex
from support_scope.consume.index import rules_in_order
from support_scope.consume.values import Billing, Decision, Match, Provenance, Referral, ReleaseInfo, Text
from support_scope.errors import ReleaseError, UnknownIdError
from support_scope.model.release import (
    Compiled,
    CompiledCategory,
    CompiledPlan,
    CompiledProduct,
    CompiledTerm,
    CompiledTier,
    Manifest,
    Rule,
)

_Key = tuple[str, str, "str | None", "str | None"]  # plan, category, item, product


class Ruleset:
    """A verified release, ready to answer: :meth:`decide` and :meth:`find`."""

    def __init__(
        self,
        compiled: Compiled,
        manifest: Manifest,
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
            self.tiers: dict[str, CompiledTier] = {t["id"]: t for t in compiled["tiers"]}
            self.plans: dict[str, CompiledPlan] = {p["id"]: p for p in compiled["plans"]}
            self.products: dict[str, CompiledProduct] = {p["id"]: p for p in compiled["products"]}
            self._facts = Facts(compiled["facts"])
            self.referrals: dict[str, Text] = {r["id"]: Text.of(r["name"]) for r in compiled["referrals"]}
            self.categories: dict[str, CompiledCategory] = {c["id"]: c for c in compiled["categories"]}
            self._eligibility = tuple(procedure.Condition(c) for c in compiled["eligibility"]["conditions"])
            unlisted_billing = next(
                (
                    Billing.of(term["billing"])
                    for term in compiled["general_terms"]
                    if term["kind"] == "billable-service" and "billing" in term
                ),
                None,
            )
            plan_tiers = {p: frozenset(v["tiers"]) for p, v in self.plans.items()}
            self._lookup = procedure.Lookup(
                tiers=self.tiers,
                plan_tiers=plan_tiers,
                tier_plans={t: tuple(p for p, tiers in plan_tiers.items() if t in tiers) for t in self.tiers},
                referrals=self.referrals,
                unlisted_billing=unlisted_billing,
            )
        except (KeyError, TypeError, AttributeError) as e:
            raise ReleaseError(
                f"{source}: not a compiled release of a known format ({type(e).__name__}: {e})"
            ) from e
        self._category_conditions: dict[str, tuple[procedure.Condition, ...]] = {}
        # category -> item -> rule, built per category on first use: loading stays cheap.
        self._rules: dict[str, dict[str, Rule]] = {}
        self._decisions: dict[_Key, Decision] = {}
        self._contextual: dict[tuple[Any, ...], Decision] = {}
        self._applicable_conditions: dict[_Key, tuple[procedure.Condition, ...]] = {}
        self._index: SearchIndex | None = None
        self._documents: list[tuple[str, Rule]] = []
        self._terms: dict[str, CompiledTerm] = {t["id"]: t for t in compiled["general_terms"]}

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
    def info(self) -> ReleaseInfo:
        """Which release this is: policy id and version, digest, where it was read."""
        return ReleaseInfo(self.policy_id, self.policy_version, self.digest, self.source)

    @property
    def tier_labels(self) -> dict[str, Text]:
        """Each tier's name, by id."""
        return {tier_id: Text.of(tier["label"]) for tier_id, tier in self.tiers.items()}

    @property
    def facts(self) -> dict[str, str]:
        """The declared facts and their types (``boolean``, ``integer``, ``string``)."""
        return dict(self._facts.types)

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
        key: _Key = (plan, category, item, product)
        if context is None:
            decision = self._decisions.get(key)
            if decision is None:
                decision = self._decisions[key] = self._build(key, None)
            return decision
        context = self._facts.check(context)
        conditions = self._applicable_conditions.get(key)
        if conditions is None:
            conditions = self._applicable_conditions[key] = self._applicable(key)
        # The decision depends on the context only through what each condition comes to: key
        # the cache on that, and build the (immutable) answer once per combination.
        outcome = tuple(condition.outcome(context) for condition in conditions)
        ckey = (key, outcome)
        decision = self._contextual.get(ckey)
        if decision is None:
            decision = self._contextual[ckey] = self._build(key, context, conditions)
        return decision

    def parse_context(self, pairs: Iterable[str]) -> dict[str, Any]:
        """A context from ``KEY=VALUE`` strings, each value read as its fact's declared type.

        Booleans: true/false, yes/no, oui/non, vrai/faux, 1/0 (any case); integers: decimal. An unknown
        key or a value that does not read as its type is an error naming the key.
        """
        return self._facts.parse(pairs)

    def _applicable(self, key: _Key) -> tuple[procedure.Condition, ...]:
        """The conditions a decision on this question checks (validating the ids on the way)."""
        plan, category, item, product = key
        rule = self._rule(plan, category, item, product)
        if rule is not None and rule["status"] == "included":
            return self._eligibility + self._conditions_of(category)
        return self._eligibility

    def _conditions_of(self, category: str) -> tuple[procedure.Condition, ...]:
        conditions = self._category_conditions.get(category)
        if conditions is None:
            conditions = tuple(procedure.Condition(c) for c in self.categories[category]["conditions"])
            self._category_conditions[category] = conditions
        return conditions

    def _rule(self, plan: str, category: str, item: str | None, product: str | None) -> Rule | None:
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
        key: _Key,
        context: Mapping[str, Any] | None,
        conditions: tuple[procedure.Condition, ...] | None = None,
    ) -> Decision:
        plan, category, item, product = key
        rule = self._rule(plan, category, item, product)
        if conditions is None:
            conditions = self._applicable(key)
        question = procedure.Question(
            plan=self.plans[plan],
            category=self.categories[category],
            rule=rule,
            product_id=product,
            product=self.products[product] if product is not None else None,
            item_id=item,
        )
        states = tuple(condition.check(context) for condition in conditions)
        return procedure.build(question, states, self._lookup)

    # ---- finding

    def find(
        self, text: str, plan: str | None = None, product: str | None = None, *, limit: int = 10
    ) -> list[Match]:
        """The lines of the matrix that answer ``text`` (a ticket's words), best first.

        Items (found in each category that lists them or refers to them), tier grants and
        general terms, ranked by how well their words meet the ticket's, French or English,
        whatever its case, accents, plurals, inflections and typos, with the policy's
        vocabulary (:mod:`support_scope.consume.find`); identical lines come as one match,
        the others in its ``same``. At most ``limit`` matches. With ``plan``, each item
        carries its decision for that plan (and ``product``), each grant its verdict.
        """
        if plan is not None and plan not in self.plans:
            raise UnknownIdError(f"unknown plan {plan!r} (known: {', '.join(self.plans)})")
        if product is not None and product not in self.products:
            raise UnknownIdError(f"unknown product {product!r} (known: {', '.join(self.products)})")
        index = self.search_index
        query, hits = index.search(text, limit)
        matches = []
        for hit in hits:
            lines = self._general_first([(hit.document, hit.score), *hit.others], query)
            first, *others = lines
            matches.append(
                self._match(
                    *first,
                    query,
                    plan,
                    product,
                    tuple(self._match(d, s, None, plan, product) for d, s in others),
                )
            )
        return matches

    def _general_first(self, lines: list[tuple[int, float]], query: Query) -> list[tuple[int, float]]:
        """Identical lines, the one to show first: the grant that says it for every category,
        unless the ticket named a category of the others (a word of its title)."""
        index = self.search_index
        grants = [line for line in lines if index.items <= line[0] < index.items + len(index.grants)]
        if not grants or len(lines) == 1:
            return lines
        for document, _ in lines:
            if document < index.items:
                title = self.categories[self._documents[document][0]]["title"]
                if index.matched_words(title.values(), query):
                    return lines
        return [grants[0], *(line for line in lines if line != grants[0])]

    @property
    def search_index(self) -> SearchIndex:
        """The release's search index (built here when the release has none, or one of another analysis)."""
        if self._index is None:
            data = self._compiled.get("search")
            if data is None or data["analyzer"] != ANALYZER:
                from support_scope.consume.index import Grant, build_index, grants_of_policy

                listed = cast(Mapping[str, Any], self._compiled).get("grants")
                grants = (
                    [Grant(g["id"], g["tier"], g["text"], g["provenance"]) for g in listed]
                    if isinstance(listed, list)
                    else grants_of_policy(self.policy)
                )
                data = build_index(self._compiled, grants, self.policy.get("vocabulary", ()))
            self._index = SearchIndex(data)
            self._documents = [(c["id"], r) for c, r in rules_in_order(self._compiled)]
        return self._index

    def _match(
        self,
        document: int,
        score: float,
        query: Query | None,
        plan: str | None,
        product: str | None,
        same: tuple[Match, ...] = (),
    ) -> Match:
        """The match for a document; ``query`` None: not shown on its own (no matched words)."""
        index = self.search_index
        if document < index.items:
            category_id, rule = self._documents[document]
            category = self.categories[category_id]
            decision = None
            if plan is not None:
                decision = self.decide(plan=plan, category=category_id, item=rule["item"], product=product)
            via = rule.get("via")
            return Match(
                kind="item",
                id=rule["item"],
                text=Text.of(rule["text"]),
                score=score,
                provenance=Provenance.of(rule["provenance"]),
                category=category_id,
                category_title=Text.of(category["title"]),
                status=rule["status"],
                tier=rule.get("tier"),
                via=via["item"] if via else None,
                referrals=tuple(Referral(r, self.referrals[r]) for r in rule.get("referrals", ())),
                billing=Billing.of(rule["billing"]) if "billing" in rule else None,
                matched=index.matched_words(rule["text"].values(), query) if query else (),
                same=same,
                decision=decision,
            )
        if document < index.items + len(index.grants):
            grant = index.grants[document - index.items]
            verdict = None
            if plan is not None:
                verdict = procedure.grant_verdict(
                    self.plans[plan],
                    grant["tier"],
                    self.products[product] if product is not None else None,
                    self._lookup,
                )
            return Match(
                kind="grant",
                id=grant["id"],
                text=Text.of(grant["text"]),
                score=score,
                provenance=Provenance.of(grant["provenance"]),
                status="included",
                tier=grant["tier"],
                matched=index.matched_words(grant["text"].values(), query) if query else (),
                same=same,
                verdict=verdict,
            )
        term = self._terms[index.terms[document - index.items - len(index.grants)]]
        return Match(
            kind="term",
            id=term["id"],
            text=Text.of(term["text"]),
            score=score,
            provenance=Provenance.of(term["provenance"]),
            referrals=tuple(Referral(r, self.referrals[r]) for r in term.get("referrals", ())),
            billing=Billing.of(term["billing"]) if "billing" in term else None,
            matched=index.matched_words(term["text"].values(), query) if query else (),
            same=same,
        )

    def rules(self) -> Iterator[tuple[str, str]]:
        """Every (category, item) a decision can name, in source order."""
        for category in self._compiled["categories"]:
            for rule in category["rules"]:
                yield category["id"], rule["item"]
