"""Deciding on a loaded release, and loading a release.

Rows:

- ``decide``: 1,000,000 calls of ``Ruleset.decide`` (no context) cycling over every
  (plan, category, item) of the shipped policy, then over 100,000 random ones of each synthetic
  policy; budget 1 s (1 µs a decision). The loop itself is counted. Every question has been
  asked once before the timing: a repeated question is a dictionary lookup, which is what a
  service asking thousands of times a second gets. ``decide, first time`` times the first
  asking (the decision built), ``decide with context`` the path that evaluates conditions.
- ``load_release``: reading, verifying the digest and indexing a release; budget 1 s at 10,000.

The cold ``support-scope find`` command is timed once, with the search (``bench_find.py``).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from generate import DATA_DIR, policy_path
from support_scope import Ruleset, load_release
from support_scope.compile.compiler import compile_file
from support_scope.resources import shipped_policy
from timing import best_of, row

CALLS = 1_000_000
SAMPLE = 100_000
DECIDE_BUDGET = 1.0
CONTEXT_BUDGET = 5.0  # seconds per 1,000,000: 5 µs a decision with a 4-fact context
LOAD_BUDGETS = {10000: 1.0}


def release_for(policy: Path, name: str) -> Path:
    """The policy's release under benchmarks/.data, compiled again only when the policy is newer."""
    path = DATA_DIR / f"{name}.release.json"
    if not path.is_file() or path.stat().st_mtime < policy.stat().st_mtime:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_bytes(compile_file(policy))
    return path


def _questions(ruleset: Ruleset, sample: int | None) -> list[tuple[str, str, str]]:
    pairs = list(ruleset.rules())
    if sample is not None and len(pairs) > sample:
        pairs = random.Random(0).sample(pairs, sample)
    return [(plan, category, item) for category, item in pairs for plan in ruleset.plans][: sample or None]


def _decide_rows(ruleset: Ruleset, size: int | str, sample: int | None) -> list[dict[str, Any]]:
    questions = _questions(ruleset, sample)
    decide = ruleset.decide
    rounds = max(1, CALLS // len(questions))
    calls = rounds * len(questions)

    def first_time() -> None:
        ruleset._decisions.clear()  # the cache, emptied so that each decision is built
        for plan, category, item in questions:
            decide(plan=plan, category=category, item=item)

    def repeated() -> None:
        for _ in range(rounds):
            for plan, category, item in questions:
                decide(plan=plan, category=category, item=item)

    built = best_of(first_time, 1, pause_gc=False)
    seconds = best_of(repeated, 3, pause_gc=False)
    rows = [
        row(
            "decide",
            size,
            seconds * CALLS / calls,
            DECIDE_BUDGET,
            f"per 1,000,000 decisions: {seconds / calls * 1e6:.3f} µs each, {len(questions):,} distinct questions",
        ),
        row(
            "  decide, first time",
            size,
            built,
            note=f"{len(questions):,} decisions built: {built / len(questions) * 1e6:.2f} µs each",
        ),
    ]
    asked = {"active_subscription", "supported_platform", "new_customer", "days_since_first_invoice"}
    # The first line a category condition on these facts applies to (the Cloud onboarding's go-live
    # in the shipped policy): beyond day 30 its booking window is open, as in real questions.
    conditioned, item = next(
        (
            (c["id"], condition["items"][0])
            for c in ruleset.categories.values()
            for condition in c["conditions"]
            if condition.get("items") and set(condition["facts"]) & asked
        ),
        (None, None),
    )
    if conditioned is not None:
        contexts = [
            {
                "active_subscription": True,
                "supported_platform": True,
                "new_customer": True,
                "days_since_first_invoice": d,
            }
            for d in range(0, 60)
        ]
        count = 100_000

        def with_context() -> None:
            for index in range(count):
                decide(plan="standard", category=conditioned, item=item, context=contexts[index % 60])

        seconds = best_of(with_context, 3, pause_gc=False)
        rows.append(
            row(
                "  decide with context",
                size,
                seconds * CALLS / count,
                CONTEXT_BUDGET,
                note=f"per 1,000,000: 4 facts checked, conditions evaluated ({item}): {seconds / count * 1e6:.2f} µs each",
            )
        )
    return rows


def run(sizes: list[int]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    shipped = release_for(shipped_policy(), "shipped")
    rows.extend(_decide_rows(load_release(shipped), "shipped", None))
    holder: list[Ruleset] = []  # the ruleset last loaded
    for size in sizes:
        release = release_for(policy_path(size), f"synthetic-{size}")
        megabytes = release.stat().st_size / 1e6
        # Freeing the previous ruleset (setup, untimed) is not part of loading the next one.
        best = best_of(
            lambda release=release: holder.append(load_release(release)),
            3,
            pause_gc=False,
            setup=holder.clear,
        )
        rows.append(
            row("load_release", size, best, LOAD_BUDGETS.get(size), f"{megabytes:.1f} MB release, best of 3")
        )
        rows.extend(_decide_rows(holder[-1], size, SAMPLE))
        holder.clear()
    return rows
