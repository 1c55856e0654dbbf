"""The meaning check of a policy document: what the schema cannot say.

Ids unique; every reference resolves (tiers, plans, referrals, groups, facts, `see`); tiers do
not include themselves; conditions compare declared facts with values of their type and nest
at most :data:`~support_scope.model.conditions.MAX_DEPTH` deep; no text repeated within a
category; every declared language present; texts in Unicode NFC, without surrounding white
space, invisible or bidirectional control characters, or characters a workbook cannot carry,
and short enough for a spreadsheet cell.

It walks the document once (:func:`support_scope.model.walk.entities`) and copes with documents
that also fail the schema, so that one run reports both kinds of problem.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from support_scope.errors import InputError
from support_scope.model.conditions import MAX_DEPTH, depth
from support_scope.model.paths import JsonPath, render_path
from support_scope.model.semver import Version
from support_scope.model.tiers import reachable
from support_scope.model.walk import Entity, entities, language_maps, records
from support_scope.validate.findings import Finding

EXCEL_CELL_LIMIT = 32767
_SEMVER_SHAPE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+(?:[-+][0-9A-Za-z.+-]*)?")
_ORDERED_OPS = frozenset({"lt", "le", "gt", "ge"})
# The kinds whose ids must be unique, and the word for each in messages. Conditions share one
# space, eligibility's included: an id names one condition wherever it stands.
_ID_KINDS = {
    "product": "product",
    "tier": "tier",
    "grant": "grant",
    "plan": "plan",
    "fact": "fact",
    "referral": "referral",
    "term": "general term",
    "category": "category",
    "condition": "condition",
    "group": "group",
    "note": "note",
    "item": "item",
}
# Lone surrogates (which JSON can spell as \\ud800) cannot be carried by XML, so not by a
# workbook; control characters are refused by the schema's pattern already.
_XML_ILLEGAL = re.compile("[\ud800-\udfff]")
# Unicode format characters (Cf) and line and paragraph separators (Zl, Zp): invisible, some of
# them reorder the text around them (U+202E), so a text could read otherwise than it is stored.
# The class is the Unicode 14 list; tests/test_validate.py holds it to the running Python's.
INVISIBLE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)


def meaning_findings(document: object) -> list[Finding]:
    """Every problem of meaning of document; none for a document that is not an object."""
    if not isinstance(document, dict):
        return []
    check = _Check(document)
    check.run()
    return check.findings


class _Check:
    """One pass over the entities, then what needs them all (references between categories)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.doc = document
        languages = [lang for lang in _list(document.get("languages")) if isinstance(lang, str)]
        self.languages = [lang for lang in languages if lang != "fr"]
        self.declared = languages or ["fr"]
        self.findings: list[Finding] = []
        self.first: dict[str, dict[str, JsonPath]] = {kind: {} for kind in _ID_KINDS}
        ids = {key: _ids(document, key) for key in ("tiers", "plans", "referrals", "categories")}
        self.tiers, self.referrals, self.categories = ids["tiers"], ids["referrals"], ids["categories"]
        self.facts: dict[str, object] = {}
        for _, fact in records(document, "facts"):
            if isinstance(fact.get("id"), str):
                self.facts.setdefault(fact["id"], fact.get("type"))
        self.items: dict[str, dict[str, dict[str, Any]]] = {}  # category -> item id -> item
        self.references: list[tuple[JsonPath, dict[str, Any]]] = []  # every item's `see`

    def add(self, path: JsonPath, message: str, rule: str) -> None:
        self.findings.append(Finding(path, message, rule))

    def run(self) -> None:
        handlers = {
            "fact": self.fact,
            "tier": self.tier,
            "plan": self.plan,
            "term": self.term,
            "condition": self.condition,
            "category": self.category,
            "group": self.tier_of,
            "note": self.tier_of,
            "item": self.item,
        }
        for entity in entities(self.doc):
            self.unique(entity)
            handler = handlers.get(entity.kind)
            if handler is not None:
                handler(entity)
        for path, see in self.references:
            self.see(path, see)
        for path, language_map, _ in language_maps(self.doc):
            self.language_map(path, language_map)
        self.version(self.doc.get("version"))

    def version(self, value: object) -> None:
        """A version the schema's pattern allows but releases cannot be named or compared by
        (a number of more than 18 digits, more than 256 characters)."""
        if not isinstance(value, str) or not _SEMVER_SHAPE.fullmatch(value):
            return  # the schema reports it
        try:
            Version.parse(value)
        except InputError as e:
            self.add(("version",), f"{e}: at most 18 digits a number and 256 characters", "version")

    # ids and references

    def unique(self, entity: Entity) -> None:
        kind = entity.kind
        if kind not in _ID_KINDS or entity.id is None:
            return
        first = self.first[kind]
        if entity.id in first:
            self.add(
                (*entity.path, "id"),
                f"duplicate {_ID_KINDS[kind]} id {entity.id!r} (first at {render_path(first[entity.id])})",
                "duplicate-id",
            )
        else:
            first[entity.id] = (*entity.path, "id")

    def reference(self, path: JsonPath, value: object, known: Iterable[str], kind: str) -> None:
        if isinstance(value, str) and value not in known:
            choices = ", ".join(sorted(known)) or "none declared"
            self.add(
                path, f"unknown {kind} {value!r} (known: {choices})", f"unknown-{kind.replace(' ', '-')}"
            )

    def referral_list(self, path: JsonPath, values: object) -> None:
        for index, value in enumerate(_list(values)):
            self.reference((*path, index), value, self.referrals, "referral")

    def fact(self, entity: Entity) -> None:
        if "minimum" in entity.record and entity.record.get("type") != "integer":
            self.add((*entity.path, "minimum"), "only an integer fact can have a minimum", "fact-type")

    def tier(self, entity: Entity) -> None:
        for position, included in enumerate(_list(entity.record.get("includes"))):
            self.reference((*entity.path, "includes", position), included, self.tiers, "tier")
        if entity.id is not None and entity.id in reachable(entity.id, self._includes):
            self.add((*entity.path, "includes"), f"tier {entity.id!r} includes itself", "tier-cycle")
        for index, alias in enumerate(_list(entity.record.get("aliases"))):
            self.text((*entity.path, "aliases", index), alias)

    @property
    def _includes(self) -> dict[str, list[str]]:
        cached = getattr(self, "_includes_cache", None)
        if cached is None:
            cached = {
                tier["id"]: [t for t in _list(tier.get("includes")) if isinstance(t, str)]
                for _, tier in records(self.doc, "tiers")
                if isinstance(tier.get("id"), str)
            }
            self._includes_cache = cached
        return cached

    def plan(self, entity: Entity) -> None:
        self.reference((*entity.path, "tier"), entity.record.get("tier"), self.tiers, "tier")

    def term(self, entity: Entity) -> None:
        self.referral_list((*entity.path, "referrals"), entity.record.get("referrals"))

    def tier_of(self, entity: Entity) -> None:
        self.reference((*entity.path, "tier"), entity.record.get("tier"), self.tiers, "tier")

    def category(self, entity: Entity) -> None:
        record = entity.record
        groups = {g["id"] for _, g in records(record, "groups") if isinstance(g.get("id"), str)}
        seen_texts: dict[str, int] = {}
        items: dict[str, dict[str, Any]] = {}
        for index, item in records(record, "items"):
            path: JsonPath = (*entity.path, "items", index)
            if isinstance(item.get("id"), str):
                items.setdefault(item["id"], item)
            group = item.get("group")
            if isinstance(group, str) and group not in groups:
                self.add((*path, "group"), f"unknown group {group!r} in this category", "unknown-group")
            text = item.get("text")
            french = text.get("fr") if isinstance(text, dict) else None
            if isinstance(french, str):
                key = " ".join(french.split()).casefold()
                if key in seen_texts:
                    self.add(
                        (*path, "text", "fr"),
                        f"text repeated within the category (same as items[{seen_texts[key]}])",
                        "repeated-text",
                    )
                else:
                    seen_texts[key] = index
        if entity.id is not None:
            self.items.setdefault(entity.id, items)

    def item(self, entity: Entity) -> None:
        record = entity.record
        self.reference((*entity.path, "tier"), record.get("tier"), self.tiers, "tier")
        self.referral_list((*entity.path, "referrals"), record.get("referrals"))
        see = record.get("see")
        if isinstance(see, dict):
            self.references.append(((*entity.path, "see"), see))

    def see(self, path: JsonPath, see: dict[str, Any]) -> None:
        target = see.get("category")
        if not isinstance(target, str):
            return
        if target not in self.items:
            self.reference((*path, "category"), target, self.items, "category")
            return
        for index, item_id in enumerate(_list(see.get("items"))):
            if not isinstance(item_id, str):
                continue
            referred = self.items[target].get(item_id)
            if referred is None:
                self.add(
                    (*path, "items", index),
                    f"no item {item_id!r} in category {target!r}",
                    "unresolved-reference",
                )
            elif isinstance(referred.get("see"), dict):
                self.add(
                    (*path, "items", index),
                    f"item {item_id!r} is itself a reference; refer to what it refers to",
                    "reference-chain",
                )

    # conditions

    def condition(self, entity: Entity) -> None:
        test = entity.record.get("test")
        path: JsonPath = (*entity.path, "test")
        if depth(test) > MAX_DEPTH:
            # Deeper tests are refused whole: walking them is what would exhaust the stack.
            self.add(path, f"the test nests deeper than {MAX_DEPTH} levels of all/any/not", "condition-depth")
            return
        self.expression(path, test)

    def expression(self, path: JsonPath, expression: object) -> None:
        if not isinstance(expression, dict):
            return
        for key in ("all", "any"):
            for index, sub in enumerate(_list(expression.get(key))):
                self.expression((*path, key, index), sub)
        if "not" in expression:
            self.expression((*path, "not"), expression["not"])
        fact = expression.get("fact")
        if not isinstance(fact, str):
            return
        if fact not in self.facts:
            choices = ", ".join(sorted(self.facts)) or "none declared"
            self.add((*path, "fact"), f"unknown fact {fact!r} (declared: {choices})", "unknown-fact")
            return
        declared = self.facts[fact]
        value = expression.get("value")
        actual = "boolean" if isinstance(value, bool) else "integer" if isinstance(value, int) else "string"
        op = expression.get("op")
        if declared and actual != declared:
            article = "an" if actual == "integer" else "a"
            self.add(
                (*path, "value"),
                f"fact {fact!r} is {declared}, compared with {article} {actual}",
                "fact-type",
            )
        elif isinstance(op, str) and op in _ORDERED_OPS and declared != "integer":
            self.add((*path, "op"), f"{op!r} needs an integer fact; {fact!r} is {declared}", "fact-type")

    # texts

    def language_map(self, path: JsonPath, language_map: object) -> None:
        if not isinstance(language_map, dict):
            return
        for language in self.languages:
            # French is required by the schema, which reports its absence already.
            if language not in language_map:
                self.add(
                    path,
                    f"missing the {language!r} text (the document declares {self.declared})",
                    "missing-language",
                )
        for language, text in language_map.items():
            self.text((*path, language), text)

    def text(self, path: JsonPath, text: object) -> None:
        if not isinstance(text, str):
            return
        if text != text.strip():
            self.add(path, "text has leading or trailing white space", "text-whitespace")
        if len(text) > EXCEL_CELL_LIMIT // 2 and len(text.encode("utf-16-le")) // 2 > EXCEL_CELL_LIMIT:
            self.add(
                path,
                f"text is longer than a spreadsheet cell holds ({EXCEL_CELL_LIMIT} characters)",
                "text-too-long",
            )
        if text.isascii():
            return  # what follows concerns non-ASCII characters only
        if not unicodedata.is_normalized("NFC", text):
            self.add(path, "text is not in Unicode NFC (normalise it: precomposed accents)", "text-not-nfc")
        bad = _XML_ILLEGAL.search(text)
        if bad is not None:
            self.add(
                path,
                f"text holds U+{ord(bad.group()):04X}, which XML (and so a workbook) cannot carry",
                "text-character",
            )
        hidden = INVISIBLE.search(text)
        if hidden is not None:
            name = unicodedata.name(hidden.group(), "a format character")
            self.add(
                path,
                f"text holds an invisible character, U+{ord(hidden.group()):04X} ({name}), at character "
                f"{hidden.start() + 1}: it can make a text read otherwise than it is stored; remove it",
                "text-invisible",
            )


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _ids(document: dict[str, Any], key: str) -> set[str]:
    return {record["id"] for _, record in records(document, key) if isinstance(record.get("id"), str)}
