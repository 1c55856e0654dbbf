"""Walks over parts of a policy that validate, compile and diff all need, written once.

Each copes with a document that also fails the schema (``validate`` and ``diff`` see such
documents): what is not of the expected shape is skipped, never an error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


def comparisons(expression: Any) -> Iterator[dict[str, Any]]:
    """Every comparison (``{"fact", "op", "value"}``) inside a condition test, in document order:
    the operands of ``all``/``any``, then those of ``not``, then the expression itself."""
    if not isinstance(expression, dict):
        return
    for key in ("all", "any"):
        operands = expression.get(key)
        for operand in operands if isinstance(operands, list) else ():
            yield from comparisons(operand)
    if "not" in expression:
        yield from comparisons(expression["not"])
    if isinstance(expression.get("fact"), str):
        yield expression


def reachable(start: str, edges: Mapping[str, list[str]]) -> set[str]:
    """What ``start`` reaches by one or more ``edges`` (tiers a tier includes, directly or not);
    ``start`` itself only when it lies on a cycle."""
    seen: set[str] = set()
    stack = list(edges.get(start, []))
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(edges.get(node, []))
    return seen
