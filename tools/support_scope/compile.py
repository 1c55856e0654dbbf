"""Compile a policy into a release: the resolved, digested ruleset that services load.

A release is one JSON object with four members, which the canonical form sorts in this order:

- ``$schema``: the URI of ``schema/compiled-ruleset.schema.json``;
- ``compiled``: everything resolved for a consumer (tiers with their inclusions expanded,
  plans mapped to the tiers they reach, products, facts, eligibility conditions, referrals,
  general terms, and per category the rules: every item, references expanded, with its tier,
  referrals, billing note and provenance);
- ``manifest``: policy id and version, the digests, the compiler, the format version;
- ``policy``: the source policy document, unchanged.

The file form (:func:`release_bytes`) is the canonical JSON form itself plus a final newline:
that lets :func:`support_scope.ruleset.load_release` verify the digest by hashing the file's
bytes, and leave the embedded policy (the last member) unparsed, instead of re-serialising
tens of megabytes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from support_scope import __version__
from support_scope.errors import PolicyError, ReleaseError
from support_scope.files import canonical_json, parse_json, read_text
from support_scope.locate import render_path
from support_scope.resources import load_schema
from support_scope.walks import comparisons, reachable

FORMAT = 1
COMPILED_SCHEMA = "compiled-ruleset.schema.json"
COMPILED_SCHEMA_ID = "https://support-scope.example/schema/compiled-ruleset.schema.json"


def digest_of(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def release_digest(release: dict[str, Any]) -> str:
    """The digest a release's manifest must carry: over its canonical form without ``manifest.digest``."""
    manifest = {key: value for key, value in release["manifest"].items() if key != "digest"}
    return digest_of(canonical_json({**release, "manifest": manifest}))


def compile_policy(document: dict[str, Any], source: bytes, *, display: str = "<policy>") -> dict[str, Any]:
    """The release of a valid policy, as a JSON-ready dict (manifest and digest included).

    ``source`` is the document's file content, used to locate problems by line and column when
    the document is not valid (a :class:`PolicyError` listing every problem).
    """
    from support_scope.validate import document_findings

    findings = document_findings(document)
    if findings:
        raise PolicyError(_findings_message(findings, source, display))
    release: dict[str, Any] = {
        "$schema": COMPILED_SCHEMA_ID,
        "compiled": _Compiler(document).compiled(),
        "manifest": {
            "policy_id": document["id"],
            "policy_version": document["version"],
            "source_digest": digest_of(canonical_json(document)),
            "compiler": f"support-scope {__version__}",
            "format": FORMAT,
        },
        "policy": document,
    }
    release["manifest"]["digest"] = release_digest(release)
    problems = release_schema_problems(release)
    if problems:  # a compiler bug, never the user's: say so plainly
        raise ReleaseError(
            "the compiled release does not match schema/compiled-ruleset.schema.json (a bug in support-scope): "
            + "; ".join(problems[:10])
        )
    return release


def release_bytes(release: dict[str, Any]) -> bytes:
    """The file form of a release: its canonical JSON (sorted keys, UTF-8, no white space) and a newline."""
    return canonical_json(release) + b"\n"


def compile_file(path: Path, display: str | None = None) -> bytes:
    """Read, validate and compile a policy file; the release's file form."""
    name = display or str(path)
    text = read_text(Path(path), name)
    document = parse_json(text, name)
    if not isinstance(document, dict):
        raise PolicyError(f"{name}: a policy is a JSON object, not {type(document).__name__}")
    source = text.encode("utf-8")
    return release_bytes(compile_policy(document, source, display=name))


def release_schema_problems(release: Any) -> list[str]:
    """Every way ``release`` departs from the compiled-ruleset schema (none when it conforms)."""
    import fastjsonschema

    from support_scope.validate import fast_validator

    try:
        fast_validator(COMPILED_SCHEMA)(release)
        return []
    except fastjsonschema.JsonSchemaValueException:
        pass
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(load_schema(COMPILED_SCHEMA))
    return sorted(
        f"{render_path(tuple(e.absolute_path))}: {e.message}" for e in validator.iter_errors(release)
    )


def _findings_message(findings: list[Any], source: bytes, display: str) -> str:
    from support_scope.validate import findings_message

    try:
        text: str | None = source.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None  # not the document's source (a caller's mistake): located by JSON path only
    return findings_message(findings, text, display, "nothing compiled")


# --------------------------------------------------------------------------- resolution


def _pick(entry: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: entry[name] for name in names if name in entry}


def _condition(condition: dict[str, Any], scope: str) -> dict[str, Any]:
    compiled = _pick(condition, "id", "text", "test", "provenance")
    compiled["scope"] = scope
    compiled["facts"] = sorted({comparison["fact"] for comparison in comparisons(condition["test"])})
    return compiled


class _Compiler:
    """Resolves a valid policy; assumes :func:`document_findings` found nothing."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.doc = document
        includes = {tier["id"]: list(tier["includes"]) for tier in document["tiers"]}
        self.tier_order = [tier["id"] for tier in document["tiers"]]
        # Each tier with every tier it includes, directly or not (itself first).
        self.reach: dict[str, list[str]] = {}
        for tier_id in self.tier_order:
            seen = {tier_id} | reachable(tier_id, includes)
            self.reach[tier_id] = [t for t in self.tier_order if t in seen]
        self.items = {
            (category["id"], item["id"]): item
            for category in document["categories"]
            for item in category["items"]
        }

    def compiled(self) -> dict[str, Any]:
        doc = self.doc
        return {
            "languages": list(doc["languages"]),
            "title": doc["title"],
            "tiers": [
                {
                    **_pick(tier, "id", "label", "aliases"),
                    "rank": rank,
                    "includes": [t for t in self.reach[tier["id"]] if t != tier["id"]],
                }
                for rank, tier in enumerate(doc["tiers"])
            ],
            "plans": [
                {**_pick(plan, "id", "name", "tier"), "tiers": self.reach[plan["tier"]]}
                for plan in doc["plans"]
            ],
            "products": [_pick(product, "id", "name", "eligible") for product in doc["products"]],
            "facts": [_pick(fact, "id", "type", "description", "minimum") for fact in doc["facts"]],
            "eligibility": {
                "text": doc["eligibility"]["text"],
                "conditions": [_condition(c, "eligibility") for c in doc["eligibility"]["conditions"]],
                "provenance": doc["eligibility"]["provenance"],
            },
            "referrals": [_pick(referral, "id", "name") for referral in doc["referrals"]],
            "general_terms": [
                _pick(term, "id", "kind", "text", "limits", "billing", "referrals", "provenance")
                for term in doc["general_terms"]
            ],
            "categories": [self._category(category) for category in doc["categories"]],
        }

    def _category(self, category: dict[str, Any]) -> dict[str, Any]:
        compiled: dict[str, Any] = {
            "id": category["id"],
            "title": category["title"],
            "provenance": category["provenance"],
            "conditions": [_condition(c, "category") for c in category.get("conditions", ())],
            "groups": [_pick(g, "id", "tier", "text") for g in category.get("groups", ())],
            "notes": [_pick(n, "id", "kind", "cause", "tier", "text") for n in category.get("notes", ())],
        }
        rules: list[dict[str, Any]] = []
        for item in category["items"]:
            rules.append(self._rule(item, item.get("tier")))
            see = item.get("see")
            if see is not None:
                via = {"item": item["id"], "text": item["text"], "provenance": item["provenance"]}
                for referred_id in see["items"]:
                    referred = self.items[(see["category"], referred_id)]
                    # The referring row decides the tier: it is this category's own statement.
                    rule = self._rule(referred, item["tier"])
                    rule["via"] = {**via, "category": see["category"]}
                    rules.append(rule)
        compiled["rules"] = rules
        return compiled

    def _rule(self, item: dict[str, Any], tier: str | None) -> dict[str, Any]:
        rule: dict[str, Any] = {
            "item": item["id"],
            "status": item["status"],
            "text": item["text"],
            "provenance": item["provenance"],
        }
        if item["status"] == "included" and tier is not None:
            rule["tier"] = tier
        rule.update(_pick(item, "group", "referrals", "billing"))
        if "see" in item:
            rule["see"] = item["see"]
        return rule
