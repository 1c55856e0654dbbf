"""Tier reach, written once: which tiers a tier includes, which plans reach a tier.

A tier includes the tiers it lists in ``includes``, and what they include in turn (``extended``
includes ``standard``, which includes ``self-service``). A plan reaches the tier it gives and
every tier that one includes. Compile expands this into the release, decide reads it there,
diff compares it between two versions, and validate finds cycles with :func:`reachable`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


def reachable(start: str, edges: Mapping[str, Iterable[str]]) -> set[str]:
    """What ``start`` reaches by one or more ``edges``; ``start`` itself only when it lies on a cycle."""
    seen: set[str] = set()
    stack = list(edges.get(start, ()))
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(edges.get(node, ()))
    return seen


@dataclass(frozen=True)
class TierReach:
    """The tiers of one policy version, each with every tier it reaches, and its plans.

    ``order`` is the declared order of the tiers (lowest first); ``reach[t]`` holds ``t`` and
    every tier ``t`` includes, directly or not, in that order; ``plans[p]`` is the tier plan
    ``p`` gives.
    """

    order: tuple[str, ...]
    reach: Mapping[str, tuple[str, ...]]
    plans: Mapping[str, str]

    @classmethod
    def of(cls, tiers: Iterable[tuple[str, Iterable[str]]], plans: Iterable[tuple[str, str]]) -> TierReach:
        """From (tier id, included tier ids) and (plan id, tier id) pairs."""
        includes = {tier: list(included) for tier, included in tiers}
        order = tuple(includes)
        reach = {}
        for tier in order:
            seen = {tier} | reachable(tier, includes)
            reach[tier] = tuple(t for t in order if t in seen) + tuple(sorted(seen - set(order)))
        return cls(order, reach, dict(plans))

    @classmethod
    def of_document(cls, document: object) -> TierReach:
        """From a policy document; records of the wrong shape (an invalid document) are left out."""
        tiers: list[tuple[str, list[str]]] = []
        plans: list[tuple[str, str]] = []
        if isinstance(document, dict):
            for tier in _records(document.get("tiers")):
                included = tier.get("includes")
                names = [t for t in included if isinstance(t, str)] if isinstance(included, list) else []
                tiers.append((tier["id"], names))
            for plan in _records(document.get("plans")):
                plans.append((plan["id"], str(plan.get("tier"))))
        return cls.of(tiers, plans)

    def includes(self, higher: str, lower: str) -> bool:
        """True when tier ``higher`` includes tier ``lower`` (and is not it)."""
        return higher != lower and lower in self.reach.get(higher, ())

    def plan_tiers(self, plan: str) -> tuple[str, ...]:
        """Every tier a customer of ``plan`` has, lowest first."""
        tier = self.plans.get(plan)
        return self.reach.get(tier, ()) if tier is not None else ()

    def plans_reaching(self, tier: str) -> tuple[str, ...]:
        """The plans whose customers have ``tier``, in declared order."""
        return tuple(plan for plan in self.plans if tier in self.plan_tiers(plan))

    def users_of(self, tier: str) -> tuple[str, ...]:
        """The plans that give ``tier`` itself."""
        return tuple(plan for plan, given in self.plans.items() if given == tier)


def _records(value: object) -> list[dict[str, Any]]:
    """The records of a list that have a string ``id`` (the first of a repeated id wins)."""
    found: dict[str, dict[str, Any]] = {}
    if isinstance(value, list):
        for record in value:
            if isinstance(record, dict) and isinstance(record.get("id"), str):
                found.setdefault(record["id"], record)
    return list(found.values())
