"""Compile a valid policy into a release: the resolved, digested ruleset that services load.

A release is one JSON object with four members, which the canonical form sorts in this order:

- ``$schema``: the URI of ``schema/compiled-ruleset.schema.json``;
- ``compiled``: everything resolved for a consumer (tiers with their inclusions expanded,
  plans mapped to the tiers they reach, products, facts, eligibility conditions, referrals,
  general terms, and per category the rules: every item, references expanded, with its tier,
  referrals, billing note and provenance);
- ``manifest``: policy id and version, the digests, the compiler, the format version;
- ``policy``: the source policy document, unchanged.

The file form (:func:`release_bytes`) is the canonical JSON form itself plus a final newline:
that lets :mod:`support_scope.compile.verify` check the digest by hashing the file's bytes, and
leave the embedded policy (the last member) unparsed, instead of re-serialising tens of
megabytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from support_scope import __version__
from support_scope.compile.verify import COMPILED_SCHEMA, COMPILED_SCHEMA_ID, digest_of, release_digest
from support_scope.errors import PolicyError, ReleaseError
from support_scope.fileio.jsonfile import canonical_json
from support_scope.model.conditions import facts_of
from support_scope.model.paths import render_path
from support_scope.model.policy import Category, Condition, Item, Policy
from support_scope.model.release import (
    FORMAT,
    Compiled,
    CompiledBody,
    CompiledCategory,
    CompiledCondition,
    Release,
    Rule,
)
from support_scope.model.tiers import TierReach
from support_scope.model.vocab import DEFAULT_PRECEDENCE, ConditionScope

# The precedence in words, for a policy that does not state one (it follows DEFAULT_PRECEDENCE).
DEFAULT_PRECEDENCE_TEXT = {
    "fr": "Une ligne précise du tableau prévaut (la ligne non incluse, puis la ligne incluse) sur les termes "
    "généraux de non-prise en charge, qui prévalent sur les prestations générales des niveaux ; ce qu'aucun "
    "ne couvre n'est pas répertorié.",
    "en": "A specific line of the table prevails (the excluded line, then the included line) over the general "
    "not-covered terms, which prevail over the tiers' general grants; what none covers is unlisted.",
}


def compile_policy(
    document: dict[str, Any], source: bytes, *, display: str = "<policy>", validated: bool = False
) -> Release:
    """The release of a valid policy, as a JSON-ready dict (manifest and digest included).

    ``source`` is the document's file content, used to locate problems by line and column when
    the document is not valid (a :class:`PolicyError` listing every problem). ``validated``: the
    caller has just checked the document with :func:`check_policy` (not done twice).
    """
    if not validated:
        check_policy(document, source, display)
    policy = cast(Policy, document)  # valid: it has every field the schema requires
    compiled = _Compiler(policy).compiled()
    release: Release = {
        "$schema": COMPILED_SCHEMA_ID,
        "compiled": compiled,
        "manifest": {
            "policy_id": policy["id"],
            "policy_version": policy["version"],
            "digest": "",
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


def check_policy(document: Any, source: bytes, display: str, outcome: str = "nothing compiled") -> None:
    """A :class:`PolicyError` listing every problem of ``document``, located, when it is not valid."""
    from support_scope.validate.documents import document_findings

    findings = document_findings(document)
    if findings:
        raise PolicyError(_findings_message(findings, source, display, outcome))


def release_bytes(release: Release) -> bytes:
    """The file form of a release: its canonical JSON (sorted keys, UTF-8, no white space) and a newline."""
    return canonical_json(release) + b"\n"


@dataclass(frozen=True)
class CompiledFile:
    """A release's file form and what it says about itself."""

    data: bytes
    policy_id: str
    policy_version: str
    digest: str


def compile_document(document: dict[str, Any], text: str, display: str) -> CompiledFile:
    """Validate and compile a policy parsed from ``text``; the release's file form."""
    release = compile_policy(document, text.encode("utf-8"), display=display)
    manifest = release["manifest"]
    return CompiledFile(
        release_bytes(release), manifest["policy_id"], manifest["policy_version"], manifest["digest"]
    )


def compile_file(path: Path, display: str | None = None) -> bytes:
    """Read, validate and compile a policy file; the release's file form."""
    from support_scope.project import read_document

    name = display or str(path)
    document, text = read_document(Path(path), "policy", name)
    return compile_document(document, text, name).data


def release_schema_problems(release: Any) -> list[str]:
    """Every way ``release`` departs from the compiled-ruleset schema (none when it conforms),
    as ``$.path: message``, worded as validate words a policy's schema problems."""
    from support_scope.validate.schema import findings_against

    return [f"{render_path(f.path)}: {f.message}" for f in findings_against(COMPILED_SCHEMA, release)]


def _findings_message(findings: list[Any], source: bytes, display: str, outcome: str) -> str:
    from support_scope.validate.documents import findings_message

    try:
        text: str | None = source.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None  # not the document's source (a caller's mistake): located by JSON path only
    return findings_message(findings, text, display, outcome)


# --------------------------------------------------------------------------- resolution


def _legal(record: Any) -> dict[str, Any]:
    """``{"legal_note": source note}`` for a record flagged for legal review, else nothing."""
    if record.get("legal_review") is True and "source_note" in record:
        return {"legal_note": record["source_note"]}
    return {}


def _condition(
    condition: Condition, scope: ConditionScope, items: list[str] | None = None
) -> CompiledCondition:
    compiled: CompiledCondition = {
        "id": condition["id"],
        "scope": scope,
        "text": condition["text"],
        "test": condition["test"],
        "facts": facts_of(condition["test"]),
        "when_unmet": condition.get("when_unmet", "ineligible"),
        "provenance": condition["provenance"],
    }
    if "term" in condition:
        compiled["term"] = condition["term"]
    if items is not None:
        compiled["items"] = items
    compiled.update(_legal(condition))  # type: ignore[typeddict-item]
    return compiled


def _with_test(record: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """The fields ``names`` of a term or note, with the facts its test reads beside the test."""
    compiled = _pick(record, *names)
    if "test" in record:
        compiled["facts"] = facts_of(record["test"])
    compiled.update(_legal(record))
    return compiled


class _Compiler:
    """Resolves a valid policy; assumes :func:`document_findings` found nothing."""

    def __init__(self, document: Policy) -> None:
        self.doc = document
        self.reach = TierReach.of(
            ((tier["id"], tier["includes"]) for tier in document["tiers"]),
            ((plan["id"], plan["tier"]) for plan in document["plans"]),
        )
        self.items: dict[tuple[str, str], Item] = {
            (category["id"], item["id"]): item
            for category in document["categories"]
            for item in category["items"]
        }
        # A restriction written into a line travels with it: the conditions naming an item.
        self.restrictions: dict[tuple[str, str], list[Condition]] = {}
        for category in document["categories"]:
            for condition in category.get("conditions", ()):
                for item_id in condition.get("items", ()):
                    self.restrictions.setdefault((category["id"], item_id), []).append(condition)

    def compiled(self) -> Compiled:
        """The compiled part: the content, then its search index (with the policy's vocabulary)."""
        from support_scope.consume.index import build_index

        body = self.body()
        return {**body, "search": build_index(body, self.doc.get("vocabulary", ()))}

    def body(self) -> CompiledBody:
        doc = self.doc
        eligibility = doc["eligibility"]
        precedence = doc.get("precedence")
        return {
            "languages": list(doc["languages"]),
            "title": doc["title"],
            "tiers": [
                {
                    **_pick(tier, "id", "label", "aliases"),  # type: ignore[typeddict-item]
                    "rank": rank,
                    "includes": [t for t in self.reach.reach[tier["id"]] if t != tier["id"]],
                }
                for rank, tier in enumerate(doc["tiers"])
            ],
            "plans": [
                {
                    "id": plan["id"],
                    "name": plan["name"],
                    "tier": plan["tier"],
                    "tiers": list(self.reach.plan_tiers(plan["id"])),
                }
                for plan in doc["plans"]
            ],
            "products": [
                {
                    "id": product["id"],
                    "name": product["name"],
                    "eligible": product["eligible"],
                    "provenance": product["provenance"],
                }
                for product in doc["products"]
            ],
            "facts": [_pick(fact, "id", "type", "description", "minimum") for fact in doc["facts"]],  # type: ignore[misc]
            "eligibility": {
                "text": eligibility["text"],
                "conditions": [_condition(c, "eligibility") for c in eligibility["conditions"]],
                "provenance": eligibility["provenance"],
            },
            "referrals": [{"id": referral["id"], "name": referral["name"]} for referral in doc["referrals"]],
            "request_kinds": [
                {"id": kind["id"], "name": kind["name"], "description": kind["description"]}
                for kind in doc.get("request_kinds", ())
            ],
            "precedence": {
                "order": list(precedence["order"]) if precedence else list(DEFAULT_PRECEDENCE),
                "text": precedence["text"] if precedence else dict(DEFAULT_PRECEDENCE_TEXT),
                **(_legal(precedence) if precedence else {}),  # type: ignore[typeddict-item]
            },
            "grants": [
                {
                    "id": grant["id"],
                    "tier": tier["id"],
                    "text": grant["text"],
                    "kinds": list(grant.get("kinds", ())),
                    "provenance": grant["provenance"],
                    **_legal(grant),  # type: ignore[typeddict-item]
                }
                for tier in doc["tiers"]
                for grant in tier.get("grants", ())
            ],
            "general_terms": [
                _with_test(  # type: ignore[misc]
                    term,
                    (
                        "id",
                        "kind",
                        "text",
                        "kinds",
                        "test",
                        "overrides_lines",
                        "limits",
                        "billing",
                        "referrals",
                        "provenance",
                    ),
                )
                for term in doc["general_terms"]
            ],
            "categories": [self._category(category) for category in doc["categories"]],
        }

    def _category(self, category: Category) -> CompiledCategory:
        rules: list[Rule] = []
        stands_for: dict[str, list[str]] = {}  # a referring item -> the items its rules stand for
        travelling: dict[str, tuple[Condition, list[str]]] = {}  # another category's restrictions
        for item in category["items"]:
            rules.append(self._rule(item, item.get("tier")))
            see = item.get("see")
            if see is not None:
                for referred_id in see["items"]:
                    referred = self.items[(see["category"], referred_id)]
                    # The referring row decides the tier: it is this category's own statement.
                    rule = self._rule(referred, item.get("tier"))
                    rule["via"] = {
                        "item": item["id"],
                        "category": see["category"],
                        "text": item["text"],
                        "provenance": item["provenance"],
                    }
                    rules.append(rule)
                    stands_for.setdefault(item["id"], []).append(referred_id)
                    if item["status"] == "included":
                        for condition in self.restrictions.get((see["category"], referred_id), ()):
                            travelling.setdefault(condition["id"], (condition, []))[1].append(referred_id)
        included = [rule["item"] for rule in rules if rule["status"] == "included"]
        conditions = []
        for condition in category.get("conditions", ()):
            named = condition.get("items")
            applies = included if named is None else [i for n in named for i in (n, *stands_for.get(n, ()))]
            conditions.append(_condition(condition, "category", applies))
        conditions += [_condition(c, "category", applies) for c, applies in travelling.values()]
        compiled: CompiledCategory = {
            "id": category["id"],
            "title": category["title"],
            "provenance": category["provenance"],
            "conditions": conditions,
            "groups": [_pick(g, "id", "tier", "text") for g in category.get("groups", ())],  # type: ignore[misc]
            "notes": [
                _with_test(  # type: ignore[misc]
                    n,
                    (
                        "id",
                        "kind",
                        "cause",
                        "tier",
                        "text",
                        "provenance",
                        "test",
                        "items",
                        "kinds",
                        "referrals",
                        "excludes_unlisted",
                    ),
                )
                for n in category.get("notes", ())
            ],
            "rules": rules,
        }
        compiled.update(_legal(category))  # type: ignore[typeddict-item]
        return compiled

    def _rule(self, item: Item, tier: str | None) -> Rule:
        rule: Rule = {
            "item": item["id"],
            "status": item["status"],
            "text": item["text"],
            "provenance": item["provenance"],
        }
        if item["status"] == "included" and tier is not None:
            rule["tier"] = tier
        for name in ("kind", "group", "referrals", "billing", "see"):
            if name in item:
                rule[name] = item[name]
        rule.update(_legal(item))  # type: ignore[typeddict-item]
        return rule


def _pick(entry: Any, *names: str) -> dict[str, Any]:
    return {name: entry[name] for name in names if name in entry}
