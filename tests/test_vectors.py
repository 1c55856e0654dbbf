"""Generated conformance vectors (`support-scope compile --vectors`), and a port that passes them.

`Port` below decides from the release's JSON alone, written from the README's "Deciding
without this package" (and the release schema's description), not from the package's code: it
imports nothing from support_scope. That it gives every vector's answer is what shows the
documented procedure is the one `decide` follows.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from support_scope.compile.vectors import FORMAT, vectors_document


@pytest.fixture(scope="module")
def vectors(release_path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(vectors_document(release_path.read_bytes(), str(release_path)))
    return document


def test_vectors_are_deterministic_and_cover_every_question(
    release_path: Path, vectors: dict[str, Any]
) -> None:
    assert vectors_document(release_path.read_bytes(), "x") == vectors_document(
        release_path.read_bytes(), "y"
    )
    assert vectors["format"] == FORMAT
    release = json.loads(release_path.read_bytes())
    assert vectors["release"]["digest"] == release["manifest"]["digest"]
    cases = vectors["cases"]
    asked = {(c["question"]["category"], c["question"].get("item")) for c in cases}
    for category in release["compiled"]["categories"]:
        for rule in category["rules"]:
            assert (category["id"], rule["item"]) in asked
    kinds = {c["question"].get("request") for c in cases}
    assert kinds >= {k["id"] for k in release["compiled"]["request_kinds"]}
    outcomes = {c["expect"]["outcome"] for c in cases}
    assert outcomes == {"included", "upgrade", "excluded", "ineligible", "unlisted"}
    assert any(c["expect"]["conditional"] for c in cases) and any(
        not c["expect"]["conditional"] for c in cases
    )
    assert len({c["id"] for c in cases}) == len(cases)


def test_compile_writes_vectors_beside_the_release(run_cli: Any, tmp_path: Path) -> None:
    out, vec = tmp_path / "release.json", tmp_path / "release.vectors.json"
    result = run_cli("compile", "-o", str(out), "--vectors", str(vec))
    assert result.exit_code == 0, result.output
    document = json.loads(vec.read_bytes())
    assert document["release"]["digest"] == json.loads(out.read_bytes())["manifest"]["digest"]
    assert vec.read_bytes().count(b"\n") == len(document["cases"]) + 2  # a header, one case per line, the end


def test_a_port_written_from_the_readme_gives_every_vector(
    release_path: Path, vectors: dict[str, Any]
) -> None:
    port = Port(json.loads(release_path.read_bytes())["compiled"])
    wrong = []
    for case in vectors["cases"]:
        got = port.decide(case["question"])
        if got != case["expect"]:
            wrong.append((case["question"], case["expect"], got))
    assert not wrong, wrong[:3]


# --------------------------------------------------------------------------- an independent port

FAVOURABLE = {"condition": True, "withholder": False}


class Port:
    """The README's procedure, over the compiled release's JSON."""

    def __init__(self, compiled: dict[str, Any]) -> None:
        self.c = compiled
        self.plans = {p["id"]: p for p in compiled["plans"]}
        self.products = {p["id"]: p for p in compiled["products"]}
        self.categories = {c["id"]: c for c in compiled["categories"]}
        self.rank = {t["id"]: t["rank"] for t in compiled["tiers"]}
        self.grants = sorted(compiled["grants"], key=lambda g: self.rank[g["tier"]])
        self.terms = [t for t in compiled["general_terms"] if t["kind"] == "not-covered"]
        self.order = compiled["precedence"]["order"]

    # -- three-valued tests
    def value(self, test: Any, facts: dict[str, Any]) -> bool | None:
        if test is None:
            return True
        if "all" in test or "any" in test:
            parts = [self.value(t, facts) for t in test.get("all", test.get("any"))]
            decisive = "any" in test
            if decisive in parts:
                return decisive
            return None if None in parts else not decisive
        if "not" in test:
            inner = self.value(test["not"], facts)
            return None if inner is None else not inner
        given = facts.get(test["fact"])
        if given is None:
            return None
        a, b = given, test["value"]
        return {"eq": a == b, "ne": a != b, "lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}[test["op"]]

    def decide(self, question: dict[str, Any]) -> dict[str, Any]:
        plan = self.plans[question["plan"]]
        category = self.categories[question["category"]]
        facts = question.get("context") or {}
        kind = question.get("request")
        line = None
        if "item" in question:
            line = next(r for r in category["rules"] if r["item"] == question["item"])
        elif kind is not None:
            for status in [s.removeprefix("line-") for s in self.order if s.startswith("line-")]:
                line = line or next(
                    (r for r in category["rules"] if r.get("kind") == kind and r["status"] == status), None
                )
        kind = kind or (line or {}).get("kind")
        # The tests, in order: (record, role, where it serves)
        tests: list[tuple[dict[str, Any], str]] = [
            (c, "condition") for c in self.c["eligibility"]["conditions"]
        ]
        eligibility = list(range(len(tests)))
        notes = [n for n in category["notes"] if n["kind"] == "resolution-rule"]

        def add(record: dict[str, Any], role: str) -> int:
            for i, (r, _) in enumerate(tests):
                if r is record:
                    return i
            tests.append((record, role))
            return len(tests) - 1

        conditions, line_withholders, kind_withholders = [], [], []
        if line is not None and line["status"] == "included":
            applying = [c for c in category["conditions"] if line["item"] in c.get("items", [])]
            effect = {"not-applicable": 0, "ineligible": 1, "not-covered": 2}
            applying.sort(key=lambda c: effect[c["when_unmet"]])
            conditions = [add(c, "condition") for c in applying]
            line_withholders = [
                add(n, "withholder")
                for n in notes
                if line["item"] in n.get("items", [])
                or (line.get("kind") and line.get("kind") in n.get("kinds", []))
            ]
            line_withholders += [
                add(t, "withholder")
                for t in self.terms
                if t.get("overrides_lines") and line.get("kind") in t.get("kinds", [])
            ]
        if kind is not None:
            kind_withholders = [add(n, "withholder") for n in notes if kind in n.get("kinds", [])]
            kind_withholders += [add(t, "withholder") for t in self.terms if kind in t.get("kinds", [])]
        grants = [g for g in self.grants if kind is not None and kind in g["kinds"]]
        product = self.products.get(question.get("product", ""))
        reach = set(plan["tiers"])

        def outcome(values: list[bool | None]) -> dict[str, Any]:
            def holds(i: int) -> bool:
                v = values[i]
                return FAVOURABLE[tests[i][1]] if v is None else v

            if product is not None and not product["eligible"]:
                return {"outcome": "ineligible", "rule": ("product", product["id"])}
            for i in eligibility:
                if not holds(i):
                    return {"outcome": "ineligible", "rule": ("eligibility", tests[i][0]["id"]), "test": i}
            aside = None
            for step in self.order:
                if step == "line-excluded" and line is not None and line["status"] == "excluded":
                    return {"outcome": "excluded", "rule": ("line", line["item"])}
                if step == "line-included" and line is not None and line["status"] == "included":
                    failed = next((i for i in conditions if not holds(i)), None)
                    if failed is not None and tests[failed][0]["when_unmet"] == "not-applicable":
                        aside = failed
                        continue
                    if failed is not None:
                        out = "ineligible" if tests[failed][0]["when_unmet"] == "ineligible" else "excluded"
                        return {"outcome": out, "rule": ("condition", tests[failed][0]["id"]), "test": failed}
                    held = [i for i in line_withholders if holds(i)]
                    if held:
                        w = held[0]
                        return {
                            "outcome": "excluded",
                            "rule": (self.role(tests[w][0]), tests[w][0]["id"]),
                            "test": w,
                            "also": held[1:],
                        }
                    out = "included" if line["tier"] in reach else "upgrade"
                    return {"outcome": out, "rule": ("line", line["item"]), "tier": line["tier"]}
                if step == "not-covered" and kind is not None:
                    held = [i for i in kind_withholders if holds(i)]
                    if held:
                        w = held[0]
                        return {
                            "outcome": "excluded",
                            "rule": (self.role(tests[w][0]), tests[w][0]["id"]),
                            "test": w,
                            "aside": aside,
                            "also": held[1:],
                        }
                if step == "grant" and grants:
                    g = next((g for g in grants if g["tier"] in reach), None)
                    out = "included" if g is not None else "upgrade"
                    g = g or grants[0]
                    return {
                        "outcome": out,
                        "rule": ("grant", g["id"]),
                        "tier": g["tier"],
                        "grant": g,
                        "aside": aside,
                    }
            if aside is not None:
                return {"outcome": "ineligible", "rule": ("condition", tests[aside][0]["id"]), "test": aside}
            scope = next((n for n in category["notes"] if n.get("excludes_unlisted")), None)
            if scope is not None:
                return {"outcome": "excluded", "rule": ("note", scope["id"]), "note": scope}
            return {"outcome": "unlisted", "rule": ("unlisted", None)}

        values = [self.value(r.get("test"), facts) for r, _ in tests]
        verdict = outcome(values)
        # Certainty: try the missing facts.
        missing = sorted(
            {
                f
                for i, (r, _) in enumerate(tests)
                if values[i] is None
                for f in r.get("facts", [])
                if facts.get(f) is None
            }
        )
        domains = {f: self.domain(f, [r for r, _ in tests]) for f in missing}
        results = {}
        for combo in itertools.product(*(range(len(domains[f])) for f in missing)):
            trial = {**facts, **{f: domains[f][k] for f, k in zip(missing, combo, strict=True)}}
            results[combo] = outcome(
                [
                    v if v is not None else self.value(r.get("test"), trial)
                    for v, (r, _) in zip(values, tests, strict=True)
                ]
            )["outcome"]
        conditional = any(o != verdict["outcome"] for o in results.values())
        pending = []
        if conditional:
            for position, f in enumerate(missing):
                if any(
                    results[c] != results[(*c[:position], k, *c[position + 1 :])]
                    for c in results
                    for k in range(len(domains[f]))
                ):
                    pending.append(f)
        return self.answer(question, category, line, kind, tests, values, verdict, conditional, pending)

    def role(self, record: dict[str, Any]) -> str:
        return "term" if record in self.terms else "note"

    def domain(self, fact: str, records: list[dict[str, Any]]) -> list[Any]:
        values: set[Any] = set()

        def walk(test: Any) -> None:
            if not isinstance(test, dict):
                return
            for sub in test.get("all", test.get("any", [])):
                walk(sub)
            if "not" in test:
                walk(test["not"])
            if test.get("fact") == fact:
                v = test["value"]
                values.update(
                    {True, False}
                    if isinstance(v, bool)
                    else {v - 1, v, v + 1}
                    if isinstance(v, int)
                    else {v, "\x00other"}
                )

        for record in records:
            walk(record.get("test"))
        return sorted(values, key=repr)

    def answer(
        self,
        question: dict[str, Any],
        category: dict[str, Any],
        line: dict[str, Any] | None,
        kind: str | None,
        tests: list[tuple[dict[str, Any], str]],
        values: list[bool | None],
        verdict: dict[str, Any],
        conditional: bool,
        pending: list[str],
    ) -> dict[str, Any]:
        out, (rule_kind, rule_id) = verdict["outcome"], verdict["rule"]
        early = rule_kind in ("product", "eligibility")
        cites: set[int] = set()
        if rule_kind == "product":
            cites.add(self.products[question["product"]]["provenance"]["line"])
        elif rule_kind == "eligibility":
            cites.add(tests[verdict["test"]][0]["provenance"]["line"])
        else:
            if verdict.get("test") is not None:
                record = tests[verdict["test"]][0]
                cites.add(record["provenance"]["line"])
                if record.get("term"):
                    named = [t for t in self.c["general_terms"] if t["id"] == record["term"]]
                    named += [n for n in category["notes"] if n["id"] == record["term"]]
                    cites.add(named[0]["provenance"]["line"])
            cites.update(tests[i][0]["provenance"]["line"] for i in verdict.get("also", []))
            if verdict.get("aside") is not None:
                cites.add(tests[verdict["aside"]][0]["provenance"]["line"])
            if line is not None:
                cites.add(line["provenance"]["line"])
                if "via" in line:
                    cites.add(line["via"]["provenance"]["line"])
                cites.update(
                    r["provenance"]["line"]
                    for r in category["rules"]
                    if r.get("via", {}).get("item") == line["item"]
                )
                if line.get("kind"):
                    cites.update(g["provenance"]["line"] for g in self.grants if line["kind"] in g["kinds"])
            if "grant" in verdict:
                cites.add(verdict["grant"]["provenance"]["line"])
            if "note" in verdict:
                cites.add(verdict["note"]["provenance"]["line"])
            if out == "unlisted":
                cites.add(category["provenance"]["line"])
            cites.update(n["provenance"]["line"] for n in category["notes"] if n["kind"] == "scope-note")
            cites.update(
                r["provenance"]["line"]
                for r, role in tests
                if role == "withholder" and r in category["notes"]
            )
        referrals: list[str] = []
        offers: list[str] = []
        if not early and line is not None:
            referrals += line.get("referrals", [])
        if out in ("excluded", "unlisted"):
            if rule_kind == "note" and verdict.get("test") is not None:
                referrals += tests[verdict["test"]][0].get("referrals", [])
            if rule_kind == "condition":
                term = tests[verdict["test"]][0].get("term")
                referrals += next((n.get("referrals", []) for n in category["notes"] if n["id"] == term), [])
            if rule_kind == "line" and line is not None and "billing" in line:
                offers.append(line["item"])
            for term in self.c["general_terms"]:
                if term["kind"] == "referral" and kind is not None and kind in term.get("kinds", []):
                    referrals += term.get("referrals", [])
                    cites.add(term["provenance"]["line"])
            for term in self.c["general_terms"]:
                if term["kind"] == "billable-service" and "billing" in term:
                    offers.append(term["id"])
                    cites.add(term["provenance"]["line"])
        open_facts = set(pending)
        for (record, _), value in zip(tests, values, strict=True):
            if value is None and open_facts & {f for f in record.get("facts", [])}:
                cites.add(record["provenance"]["line"])
        tier = verdict.get("tier")
        if tier is None and line is not None and line["status"] == "included" and not early:
            tier = line["tier"]
        return {
            "outcome": out,
            "conditional": conditional,
            "tier": tier,
            "rule": {"kind": rule_kind, "id": rule_id},
            "pending": pending,
            "referrals": list(dict.fromkeys(referrals)),
            "offers": offers,
            "cites": sorted(cites),
        }
