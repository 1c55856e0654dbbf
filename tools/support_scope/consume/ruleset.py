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
from support_scope.errors import InputError, ReleaseError, SupportScopeError, UnknownIdError
from support_scope.model.release import (
    CompiledBody,
    CompiledCategory,
    CompiledGrant,
    CompiledPlan,
    CompiledProduct,
    CompiledTerm,
    CompiledTier,
    Manifest,
    Rule,
    SearchIndexData,
)

_Key = tuple[str, str, "str | None", "str | None", "str | None"]  # plan, category, item, request, product
# What a release of a shape the compiler never writes makes the decision procedure raise.
_DAMAGED = (KeyError, TypeError, AttributeError, ValueError, IndexError, RecursionError)


class Ruleset:
    """A verified release, ready to answer: :meth:`decide` and :meth:`find`."""

    def __init__(
        self,
        compiled: CompiledBody,
        manifest: Manifest,
        policy_loader: Callable[[], dict[str, Any]],
        *,
        source: str = "<release>",
        search_loader: Callable[[], SearchIndexData | None] | None = None,
    ) -> None:
        self.source = source
        self.manifest: Mapping[str, Any] = manifest
        self._compiled = compiled
        self._policy_loader = policy_loader
        # The search index: ``compiled.search``, or parsed on the first search (load_release).
        self._search_loader = search_loader or (lambda: cast(Mapping[str, Any], compiled).get("search"))
        self._policy: dict[str, Any] | None = None
        try:
            self.languages: tuple[str, ...] = tuple(compiled["languages"])
            self.tiers: dict[str, CompiledTier] = {t["id"]: t for t in compiled["tiers"]}
            self.plans: dict[str, CompiledPlan] = {p["id"]: p for p in compiled["plans"]}
            self.products: dict[str, CompiledProduct] = {p["id"]: p for p in compiled["products"]}
            self._facts = Facts(compiled["facts"])
            self.referrals: dict[str, Text] = {r["id"]: Text.of(r["name"]) for r in compiled["referrals"]}
            self.request_kinds: dict[str, Text] = {
                k["id"]: Text.of(k["name"]) for k in compiled["request_kinds"]
            }
            self.categories: dict[str, CompiledCategory] = {c["id"]: c for c in compiled["categories"]}
            self._eligibility = tuple(
                procedure.condition_test(c) for c in compiled["eligibility"]["conditions"]
            )
            self._lookup = procedure.Lookup.of(compiled, self.tiers, self.referrals)
            self._terms: dict[str, CompiledTerm] = {t["id"]: t for t in compiled["general_terms"]}
            self._grants: list[CompiledGrant] = compiled["grants"]
        except _DAMAGED as e:
            raise ReleaseError(
                f"{source}: not a compiled release of a known format ({type(e).__name__}: {str(e)[:200]})"
            ) from e
        # Per category on first use (loading stays cheap): its conditions and notes as tests,
        # and item -> rule.
        self._category_tests: dict[str, tuple[dict[str, procedure.Test], dict[str, procedure.Test]]] = {}
        self._rules: dict[str, dict[str, Rule]] = {}
        self._frames: dict[_Key, procedure.Frame] = {}
        self._decisions: dict[_Key, Decision] = {}
        self._contextual: dict[tuple[Any, ...], Decision] = {}
        self._index: SearchIndex | None = None
        self._documents: list[tuple[str, Rule]] = []

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
    def eligibility_conditions(self) -> tuple[procedure.Test, ...]:
        """The conditions every request must meet (an active subscription, a supported platform...)."""
        return self._eligibility

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
        request: str | None = None,
        product: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> Decision:
        """Whether a request is in scope for a customer on ``plan``.

        The request is ``item`` of ``category`` (a line of the matrix), or, with ``request``, a
        request kind (``dialog-error``, ``other-error``, ``usage-help``...) asked in
        ``category`` without naming a line; neither asks about a request nothing names.
        ``product``, when given, must be a product the policy names; a product not covered
        gives ``ineligible``. ``context`` gives facts (``{"new_customer": True, ...}``); a fact
        it leaves out is unknown: the outcome is then the one that holds in the customer's
        favour, and ``conditional`` says whether the missing facts (``pending_facts``) could
        change it. An unknown id (plan, category, item, request kind, product, fact) raises
        :class:`UnknownIdError`; a fact value of the wrong type, or both an item and a request
        kind, :class:`InputError`.
        """
        key: _Key = (plan, category, item, request, product)
        try:
            if context is None:
                decision = self._decisions.get(key)
                if decision is None:
                    frame = self._frame(key)
                    decision = self._decisions[key] = procedure.decide(
                        frame, procedure.signature(frame, {}), self._lookup
                    )
                return decision
            context = self._facts.check(context)
            frame = self._frames.get(key) or self._frame(key)
            # The decision depends on the context only through what each test comes to: key the
            # cache on that, and build the (immutable) answer once per combination.
            sig = procedure.signature(frame, context)
            ckey = (key, sig)
            decision = self._contextual.get(ckey)
            if decision is None:
                decision = self._contextual[ckey] = procedure.decide(frame, sig, self._lookup)
            return decision
        except SupportScopeError:
            raise
        except _DAMAGED as e:
            raise self._damaged(e, key) from e

    def question_facts(
        self,
        *,
        plan: str,
        category: str,
        item: str | None = None,
        request: str | None = None,
        product: str | None = None,
    ) -> dict[str, tuple[Any, ...]]:
        """The facts a question's decision reads, each with the values that can matter (both
        booleans; each integer a test compares it with, and its neighbours): what to ask, and
        what generated conformance vectors try."""
        key: _Key = (plan, category, item, request, product)
        try:
            return dict(self._frame(key).domains)
        except SupportScopeError:
            raise
        except _DAMAGED as e:
            raise self._damaged(e, key) from e

    def parse_context(self, pairs: Iterable[str]) -> dict[str, Any]:
        """A context from ``KEY=VALUE`` strings, each value read as its fact's declared type.

        Booleans: true/false, yes/no, oui/non, vrai/faux, 1/0 (any case); integers: decimal. An unknown
        key or a value that does not read as its type is an error naming the key.
        """
        return self._facts.parse(pairs)

    def _frame(self, key: _Key) -> procedure.Frame:
        """The question's frame (validating the ids on the way), built once."""
        frame = self._frames.get(key)
        if frame is not None:
            return frame
        plan, category, item, request, product = key
        rule = self._rule(plan, category, item, product)
        if request is not None:
            if item is not None:
                raise InputError("name an item or a request kind, not both")
            if request not in self.request_kinds:
                known = ", ".join(self.request_kinds) or "none declared"
                raise UnknownIdError(f"unknown request kind {request!r} (known: {known})")
            rule = procedure.kind_line(self.categories[category], request, self._lookup.order)
        frame = self._frames[key] = procedure.build_frame(
            self.plans[plan],
            self.categories[category],
            item,
            request,
            product,
            self.products[product] if product is not None else None,
            rule,
            self._eligibility,
            self._tests_of(category),
            self._lookup,
        )
        return frame

    def _tests_of(self, category: str) -> tuple[dict[str, procedure.Test], dict[str, procedure.Test]]:
        """The category's conditions and resolution rules, as tests (made on first use)."""
        found = self._category_tests.get(category)
        if found is None:
            record = self.categories[category]
            conditions = {c["id"]: procedure.condition_test(c) for c in record["conditions"]}
            notes = {
                n["id"]: procedure.withholding_test(n, "note")
                for n in record["notes"]
                if n["kind"] == "resolution-rule"
            }
            found = self._category_tests[category] = (conditions, notes)
        return found

    def _known_customer(self, plan: str | None, product: str | None) -> None:
        """An :class:`UnknownIdError` for a plan or product the release does not name."""
        if plan is not None and plan not in self.plans:
            raise UnknownIdError(f"unknown plan {plan!r} (known: {', '.join(self.plans)})")
        if product is not None and product not in self.products:
            raise UnknownIdError(f"unknown product {product!r} (known: {', '.join(self.products)})")

    def _rule(self, plan: str, category: str, item: str | None, product: str | None) -> Rule | None:
        """The rule for the question, None for an unlisted request; unknown ids raise."""
        self._known_customer(plan, product)
        if category not in self.categories:
            raise UnknownIdError(
                f"unknown category {category!r} ({len(self.categories)} categories; try `find`)"
            )
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
        self._known_customer(plan, product)
        if type(limit) is not int:
            raise InputError("limit is a whole number of matches")
        try:
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
        except SupportScopeError:
            raise
        except _DAMAGED as e:
            raise self._damaged(e, (plan, text, None, product)) from e

    def _damaged(self, error: BaseException, key: tuple[Any, ...]) -> SupportScopeError:
        """What a failure inside the decision procedure means: the caller passed something that is
        not an id (an :class:`InputError`), or the release holds a shape the compiler never writes
        (a :class:`ReleaseError`: verified, so edited and re-hashed, or of a compiler's bug)."""
        if not all(part is None or isinstance(part, str) for part in key):
            return InputError(
                "plan, category, item, request kind and product are ids: text, or None for item, "
                "request kind and product"
            )
        return ReleaseError(
            f"{self.source}: not a compiled release this version can decide from "
            f"({type(error).__name__}: {str(error)[:200]}); compile the policy again"
        )

    def _general_first(self, lines: list[tuple[int, float]], query: Query) -> list[tuple[int, float]]:
        """Identical lines, the one to show first: the grant that says it for every category,
        unless the ticket named a category of the others (a word of its title)."""
        index = self.search_index
        grants = [line for line in lines if index.items <= line[0] < index.items + len(self._grants)]
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
            data = self._search_loader()
            if not isinstance(data, dict) or data.get("analyzer") != ANALYZER:
                # Every release of this format has its index; one made by another analysis
                # is built again here, the same way, from the release and its policy.
                from support_scope.consume.index import build_index

                data = build_index(self._compiled, self.policy.get("vocabulary", ()))
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
        if document < index.items + len(self._grants):
            grant = self._grants[document - index.items]
            verdict = None
            if plan is not None:
                verdict = procedure.grant_verdict(
                    self.plans[plan],
                    grant,
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
        term = self._terms[index.terms[document - index.items - len(self._grants)]]
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
        try:
            pairs = [
                (category["id"], rule["item"])
                for category in self._compiled["categories"]
                for rule in category["rules"]
            ]
        except _DAMAGED as e:
            raise self._damaged(e, ()) from e
        yield from pairs
