"""Generated conformance vectors: questions and the decisions a release gives, for ports to check themselves against.

A service that decides without this package (another language, over the release's JSON, as
the README's "Deciding without this package" tells) runs every case of the file and compares
its answers. The questions cover, for every category and plan, every line, every request kind
and a request nothing names, each without facts and with every combination of the facts its
tests read (the values that matter: both booleans, each integer constant and its neighbours),
up to :data:`MAX_CONTEXTS` combinations; and each product not covered. In these generated
cases every key of ``expect`` is exact (the hand-written conformance file checks some as
"must contain").

The file is JSON: a header, then one case per line (diffable), deterministic for a release.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from support_scope.compile.verify import load_release_bytes
from support_scope.consume.ruleset import Ruleset

FORMAT = "support-scope-vectors/1"
MAX_CONTEXTS = 64  # combinations of facts tried per question, beyond the empty context


def vector_cases(ruleset: Ruleset) -> list[dict[str, Any]]:
    """Every generated case for ``ruleset``, in a fixed order."""
    cases: list[dict[str, Any]] = []
    for category_id, category in ruleset.categories.items():
        asks: list[dict[str, Any]] = [{"item": rule["item"]} for rule in category["rules"]]
        asks += [{"request": kind} for kind in ruleset.request_kinds]
        asks.append({})
        for plan in ruleset.plans:
            for ask in asks:
                question = {"plan": plan, "category": category_id, **ask}
                cases.append(_case(ruleset, question, None))
                domains = ruleset.question_facts(**question)
                names = sorted(domains)
                combinations = itertools.product(*(domains[name] for name in names))
                for values in itertools.islice(combinations, MAX_CONTEXTS):
                    cases.append(_case(ruleset, question, dict(zip(names, values, strict=True))))
        for product_id, product in ruleset.products.items():
            if not product["eligible"]:
                first = next(iter(ruleset.plans))
                cases.append(
                    _case(ruleset, {"plan": first, "category": category_id, "product": product_id}, None)
                )
    for number, case in enumerate(cases, start=1):
        case["id"] = f"v{number}"
    return cases


def _case(ruleset: Ruleset, question: dict[str, Any], context: dict[str, Any] | None) -> dict[str, Any]:
    decision = ruleset.decide(**question, context=context).to_json()
    asked = dict(question)
    if context is not None:
        asked["context"] = context
    return {
        "id": "",
        "question": asked,
        "expect": {
            "outcome": decision["outcome"],
            "conditional": decision["conditional"],
            "tier": decision["tier"],
            "rule": decision["rule"],
            "pending": decision["pending_facts"],
            "referrals": [r["id"] for r in decision["referrals"]],
            "offers": [o["id"] for o in decision["offers"]],
            "cites": decision["cites"],
        },
    }


def vectors_document(release: bytes, display: str) -> bytes:
    """The vectors file of a release given as its file's bytes (verified first)."""
    verified = load_release_bytes(release, display)
    ruleset = Ruleset(
        verified.compiled,
        verified.manifest,
        verified.load_policy,
        source=display,
        search_loader=verified.load_search,
    )
    header = {
        "format": FORMAT,
        "description": (
            "Generated conformance vectors: each case is a question (plan, category, an item or a request kind or "
            "neither, product, the facts known) and the decision this release gives. A port is conformant when, "
            "for every case, its decision has the same outcome, conditional, tier, rule (kind and id), pending "
            "facts (sorted), referral ids and offer ids (in order) and cited lines (sorted). A fact missing from "
            "the context is unknown; no context means no fact is known."
        ),
        "release": {
            "policy_id": ruleset.policy_id,
            "policy_version": ruleset.policy_version,
            "digest": ruleset.digest,
        },
    }
    cases = vector_cases(ruleset)
    head = json.dumps(header, ensure_ascii=False, sort_keys=True)
    lines = [json.dumps(case, ensure_ascii=False, sort_keys=True) for case in cases]
    return (head[:-1] + ',"cases":[\n' + ",\n".join(lines) + "\n]}\n").encode("utf-8")
