"""The meaning check of a policy document: what the schema cannot say.

Ids unique; every reference resolves (tiers, plans, referrals, groups, facts, `see`); tiers do
not include themselves; conditions compare declared facts with values of their type and nest
at most :data:`~support_scope.model.conditions.MAX_DEPTH` deep; no text repeated within a
category; every declared language present; texts in Unicode NFC, without surrounding white
space, invisible or bidirectional control characters, or characters a workbook cannot carry,
and short enough for a spreadsheet cell.

It walks the document once (:func:`support_scope.model.walk.entities`) and copes with documents
that also fail the schema, so that one run reports both kinds of problem.

A document the schema check found valid first goes through a *screen* (:func:`_screen`): the
same checks in bulk, on lists gathered in one pass and tested with C-level ``set``, ``map`` and
``str`` operations, with no path built. When every test passes, the walk would find nothing and
the answer is ``[]``; when one fails, the walk runs and reports, located and worded as always.
So the findings are the walk's by construction (tests/test_validate_engines.py compares both on
the corpus and on seeded mutated documents); the screen only makes a clean policy fast to check
(about 4 times faster than the walk, at 1,000 and 10,000 categories).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from itertools import chain, filterfalse, repeat
from operator import contains, itemgetter, ne
from typing import Any

from support_scope.errors import InputError
from support_scope.model.conditions import MAX_DEPTH, depth
from support_scope.model.paths import JsonPath, render_path
from support_scope.model.semver import Version
from support_scope.model.tiers import reachable
from support_scope.model.walk import (
    ELIGIBILITY,
    Entity,
    EntityKind,
    entities,
    entity_language_maps,
    language_maps,
    records,
)
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
    "request_kind": "request kind",
    "term": "general term",
    "category": "category",
    "condition": "condition",
    "group": "group",
    "note": "note",
    "item": "item",
    "vocabulary": "vocabulary group",
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


def meaning_findings(document: object, *, schema_valid: bool = False) -> list[Finding]:
    """Every problem of meaning of ``document``; none for a document that is not an object.

    ``schema_valid``: the schema check found the document valid, so the screen may answer for a
    clean document (the findings are the same either way; only the time differs).
    """
    if not isinstance(document, dict):
        return []
    if schema_valid and _screen(document):
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
        ids = {
            key: _ids(document, key) for key in ("tiers", "plans", "referrals", "categories", "request_kinds")
        }
        self.tiers, self.referrals, self.categories = ids["tiers"], ids["referrals"], ids["categories"]
        self.kinds = ids["request_kinds"]
        self.terms: dict[str, object] = {}  # general term id -> its kind
        for _, term in records(document, "general_terms"):
            if isinstance(term.get("id"), str):
                self.terms.setdefault(term["id"], term.get("kind"))
        self.facts: dict[str, object] = {}
        for _, fact in records(document, "facts"):
            if isinstance(fact.get("id"), str):
                self.facts.setdefault(fact["id"], fact.get("type"))
        self.items: dict[str, dict[str, dict[str, Any]]] = {}  # category -> item id -> item
        # Categories whose `items` is not a list: the schema says so once; a reference into them
        # cannot be judged, and reporting every one as unresolved would bury that one problem.
        self.unreadable: set[str] = set()
        self.notes: dict[str, dict[str, object]] = {}  # category -> note id -> its kind
        self.references: list[tuple[JsonPath, dict[str, Any]]] = []  # every item's `see`
        self.scoped: list[tuple[Entity, str]] = []  # conditions and notes naming items of their category

    def add(self, path: JsonPath, message: str, rule: str) -> None:
        self.findings.append(Finding(path, message, rule))

    def handlers(self) -> dict[str, Callable[[Entity], None]]:
        """The check of each kind of entity (beyond its id's uniqueness)."""
        return {
            "fact": self.fact,
            "tier": self.tier,
            "grant": self.grant,
            "plan": self.plan,
            "term": self.term,
            "condition": self.condition,
            "category": self.category,
            "group": self.tier_of,
            "note": self.note,
            "item": self.item,
            "vocabulary": self.vocabulary,
        }

    def run(self) -> None:
        handlers = self.handlers()
        for entity in entities(self.doc):
            self.unique(entity)
            handler = handlers.get(entity.kind)
            if handler is not None:
                handler(entity)
        for path, see in self.references:
            self.see(path, see)
        for entity, name in self.scoped:
            self.named_items(entity, name)
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

    def kind_list(self, path: JsonPath, values: object) -> None:
        for index, value in enumerate(_list(values)):
            self.reference((*path, index), value, self.kinds, "request kind")

    def grant(self, entity: Entity) -> None:
        self.kind_list((*entity.path, "kinds"), entity.record.get("kinds"))

    def term(self, entity: Entity) -> None:
        record = entity.record
        self.referral_list((*entity.path, "referrals"), record.get("referrals"))
        self.kind_list((*entity.path, "kinds"), record.get("kinds"))
        kind = record.get("kind")
        for name, kinds in (
            ("test", ("not-covered",)),
            ("overrides_lines", ("not-covered",)),
            ("kinds", ("not-covered", "referral")),
        ):
            if name in record and kind not in kinds:
                self.add(
                    (*entity.path, name),
                    f"only a {' or '.join(kinds)} term has {name!r} (this one is {kind!r})",
                    "term-field",
                )
        if "test" in record:
            self.test((*entity.path, "test"), record["test"])

    def tier_of(self, entity: Entity) -> None:
        self.reference((*entity.path, "tier"), entity.record.get("tier"), self.tiers, "tier")

    def note(self, entity: Entity) -> None:
        self.tier_of(entity)
        record = entity.record
        kind = record.get("kind")
        for name, wanted in (
            ("test", "resolution-rule"),
            ("items", "resolution-rule"),
            ("kinds", "resolution-rule"),
            ("referrals", "resolution-rule"),
            ("excludes_unlisted", "scope-note"),
        ):
            if name in record and kind != wanted:
                self.add(
                    (*entity.path, name),
                    f"only a {wanted} note has {name!r} (this one is {kind!r})",
                    "note-field",
                )
        self.kind_list((*entity.path, "kinds"), record.get("kinds"))
        self.referral_list((*entity.path, "referrals"), record.get("referrals"))
        if "test" in record:
            self.test((*entity.path, "test"), record["test"])
        if "items" in record:
            self.scoped.append((entity, "items"))

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
            # A repeated category id (reported as such) keeps the first one's items.
            if self.items.setdefault(entity.id, items) is items and not isinstance(
                entity.record.get("items"), list
            ):
                self.unreadable.add(entity.id)
            self.notes.setdefault(
                entity.id,
                {n["id"]: n.get("kind") for _, n in records(record, "notes") if isinstance(n.get("id"), str)},
            )

    def item(self, entity: Entity) -> None:
        record = entity.record
        self.reference((*entity.path, "tier"), record.get("tier"), self.tiers, "tier")
        self.reference((*entity.path, "kind"), record.get("kind"), self.kinds, "request kind")
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
        if target in self.unreadable:
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

    # the vocabulary

    def vocabulary(self, entity: Entity) -> None:
        """Each term a text with a word to search, not repeated in its language's list."""
        from support_scope.consume.analysis import fold, words  # the search's own reading of words

        terms = entity.record.get("terms")
        seen: dict[tuple[str, str], JsonPath] = {}
        listed: list[tuple[JsonPath, object]] = []
        # Any language may list words (English words are typed in French tickets): the list only
        # says which stems they are matched by.
        for language, values in terms.items() if isinstance(terms, dict) else ():
            listed += [((*entity.path, "terms", language, i), v) for i, v in enumerate(_list(values))]
        listed += [
            ((*entity.path, "matrix_terms", i), v)
            for i, v in enumerate(_list(entity.record.get("matrix_terms")))
        ]
        for path, term in listed:
            if not isinstance(term, str):
                continue
            self.text(path, term)
            found = words(term)
            if not any(word.kind in ("word", "noise") for word in found):
                self.add(
                    path,
                    f"{term!r} has no word a search can use (only words like le, de, the, of, or negations)",
                    "vocabulary-term",
                )
            if path[-2] == "matrix_terms":
                continue
            # The same term in French and in English is no repeat: each list is matched by its stems.
            key = (str(path[-2]), " ".join(fold(term).split()))
            if key in seen:
                self.add(
                    path,
                    f"{term!r} is listed twice in this group (as {render_path(seen[key])}; case and accents aside)",
                    "vocabulary-term",
                )
            else:
                seen[key] = path

    # conditions

    def condition(self, entity: Entity) -> None:
        record = entity.record
        self.test((*entity.path, "test"), record.get("test"))
        failure = record.get("when_unmet", "ineligible")
        if entity.owner == ELIGIBILITY:
            for name in ("items", "term"):
                if name in record:
                    self.add(
                        (*entity.path, name), f"an eligibility condition has no {name!r}", "condition-field"
                    )
            if failure != "ineligible":
                self.add(
                    (*entity.path, "when_unmet"),
                    f"an eligibility condition makes a request ineligible when unmet, not {failure!r}",
                    "condition-field",
                )
            return
        term = record.get("term")
        if failure == "not-covered" and term is None:
            self.add(
                (*entity.path, "when_unmet"),
                "a not-covered condition names the term that answers when it fails ('term')",
                "condition-field",
            )
        elif failure != "not-covered" and term is not None:
            self.add(
                (*entity.path, "term"),
                f"only a not-covered condition names a term (this one is {failure!r})",
                "condition-field",
            )
        elif isinstance(term, str):
            notes = self.notes_of(entity.owner)
            if self.terms.get(term) != "not-covered" and notes.get(term) != "resolution-rule":
                known = sorted(t for t, k in self.terms.items() if k == "not-covered")
                known += sorted(n for n, k in notes.items() if k == "resolution-rule")
                self.add(
                    (*entity.path, "term"),
                    f"unknown not-covered term {term!r} (known: {', '.join(known) or 'none declared'}): "
                    "a general term of kind not-covered, or a resolution-rule note of this category",
                    "unknown-term",
                )
        if "items" in record:
            self.scoped.append((entity, "items"))

    def notes_of(self, category: str | None) -> dict[str, object]:
        """The notes of a category (by id, with their kind), read from the document when not yet seen."""
        if category is None:
            return {}
        found = self.notes.get(category)
        if found is None:
            for _, record in records(self.doc, "categories"):
                if record.get("id") == category:
                    return {
                        n["id"]: n.get("kind")
                        for _, n in records(record, "notes")
                        if isinstance(n.get("id"), str)
                    }
            return {}
        return found

    def named_items(self, entity: Entity, name: str) -> None:
        """The items a condition or note names must be items of its category (an excluded one is
        never restricted: conditions and resolution rules apply to included lines only)."""
        if entity.owner in self.unreadable:
            return
        items = self.items.get(str(entity.owner), {})
        for index, item_id in enumerate(_list(entity.record.get(name))):
            if not isinstance(item_id, str):
                continue
            if item_id not in items:
                self.add(
                    (*entity.path, name, index),
                    f"no item {item_id!r} in category {entity.owner!r}",
                    "unknown-item",
                )

    def test(self, path: JsonPath, test: object) -> None:
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
        if len(text) > EXCEL_CELL_LIMIT // 2 and _too_long(text):
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


def _too_long(text: str) -> bool:
    """Longer than a spreadsheet cell holds: Excel counts UTF-16 code units (a lone surrogate,
    which JSON can spell, is one unit)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2 > EXCEL_CELL_LIMIT


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _ids(document: dict[str, Any], key: str) -> set[str]:
    return {record["id"] for _, record in records(document, key) if isinstance(record.get("id"), str)}


_ID = itemgetter("id")
_CATEGORY_CHECKS: tuple[tuple[str, EntityKind], ...] = (("conditions", "condition"), ("notes", "note"))
_TEXT = itemgetter("text")
_SEPARATOR = "\x00"  # joins texts for one NFC test: a starter that composes with nothing


def _screen(doc: dict[str, Any]) -> bool:
    """True when the walk finds nothing in this document, which the schema check found valid.

    Sound, not complete: whenever the walk would report a problem some test below fails (then
    the walk runs and says what and where); a test may fail where the walk finds nothing (a
    long text within the limit, a French text holding a no-break space), which costs time only.
    The schema is what makes the bulk form possible: every record has its required fields, of
    their types, and nothing else; each test is named after the walk's check it stands for.
    """
    check = _Check(doc)
    handlers = check.handlers()
    # The top level (products, tiers and grants, plans, facts, referrals, terms, eligibility and
    # its conditions): a few dozen entities, which the walk visits before the first category.
    for entity in entities(doc):
        if entity.kind == "category":
            break
        check.unique(entity)
        handler = handlers.get(entity.kind)
        if handler is not None:
            handler(entity)
        for path, language_map in entity_language_maps(entity):
            check.language_map(path, language_map)
    check.version(doc.get("version"))  # one value: the walk's own check
    if check.findings:
        return False

    # The categories, in one pass: gather ids, references, language maps and French texts.
    category_ids: list[str] = []
    item_ids: list[str] = []
    group_ids: list[str] = []
    maps: list[dict[str, str]] = []
    item_texts: list[dict[str, str]] = []
    french: list[str] = []
    counts: list[int] = []  # items per category
    sees: list[dict[str, Any]] = []
    used_tiers: set[str] = set()
    used_referrals: set[str] = set()
    used_kinds: set[str] = set()
    add_id, add_text, add_french, add_tier, add_map = (
        item_ids.append,
        item_texts.append,
        french.append,
        used_tiers.add,
        maps.append,
    )
    for index, category in enumerate(doc["categories"]):
        category_id = category["id"]
        category_ids.append(category_id)
        add_map(category["title"])
        groups: set[str] | tuple[()] = ()
        items = category["items"]
        if len(category) > 4:  # id, title, items, provenance; the rest is optional
            if "source_note" in category:
                add_map(category["source_note"])
            # Conditions and notes are few: each goes through the walk's own checks (ids in one
            # space with eligibility's, effects, terms, tests, kinds, the lines they name).
            for key, kind in _CATEGORY_CHECKS:
                for e_index, record in enumerate(category.get(key, ())):
                    entity = Entity(kind, ("categories", index, key, e_index), record, category_id)
                    check.unique(entity)
                    handlers[kind](entity)
                    maps.extend(m for _, m in entity_language_maps(entity) if isinstance(m, dict))
            if "conditions" in category or "notes" in category:
                check.items[category_id] = {item["id"]: item for item in items}
            entries = category.get("groups", ())
            if entries:
                group_ids.extend(map(_ID, entries))
                used_tiers.update(entry["tier"] for entry in entries if "tier" in entry)
                maps.extend(map(_TEXT, entries))
                maps.extend(entry["source_note"] for entry in entries if "source_note" in entry)
                groups = set(map(_ID, entries))
        counts.append(len(items))
        for item in items:
            add_id(item["id"])
            text = item["text"]
            add_text(text)
            add_french(text["fr"])
            if "tier" in item:
                add_tier(item["tier"])
            if (
                len(item) > 5 or "tier" not in item
            ):  # id, status, tier, text, provenance; the rest is optional
                if "group" in item and item["group"] not in groups:
                    return False  # unknown-group
                if "kind" in item:
                    used_kinds.add(item["kind"])
                if "referrals" in item:
                    used_referrals.update(item["referrals"])
                if "see" in item:
                    sees.append(item["see"])
                if "source_note" in item:
                    add_map(item["source_note"])
                if "billing" in item:
                    add_map(item["billing"]["text"])
    for entity, name in check.scoped:  # the lines a condition or note names are its category's
        check.named_items(entity, name)
    if check.findings:  # the categories' conditions and notes
        return False
    if (
        not used_tiers <= check.tiers
        or not used_referrals <= check.referrals
        or not used_kinds <= check.kinds
    ):
        return False  # unknown-tier, unknown-referral, unknown-request-kind
    for ids in (category_ids, item_ids, group_ids):
        if len(set(ids)) != len(ids):
            return False  # duplicate-id
    if sees and not _see_screen(sees, doc["categories"], set(category_ids)):
        return False

    # Every declared language in every language map (missing-language).
    maps.extend(item_texts)
    for language in check.languages:
        if not all(map(contains, maps, repeat(language))):
            return False
    # Every text (text-whitespace, text-too-long, text-not-nfc, text-character, text-invisible).
    texts: list[str] = list(chain.from_iterable(map(dict.values, maps)))
    if any(map(ne, texts, map(str.strip, texts))):
        return False
    half = EXCEL_CELL_LIMIT // 2
    if max(map(len, texts), default=0) > half and any(_too_long(text) for text in texts if len(text) > half):
        return False
    # An ASCII text is NFC and holds no surrogate nor invisible character (str.isascii reads a flag).
    beyond_ascii = list(filterfalse(str.isascii, texts))
    if not unicodedata.is_normalized("NFC", _SEPARATOR.join(beyond_ascii)):
        return False
    # Surrogates and the invisible characters are all unprintable (tests/test_validate_engines.py):
    # only the texts holding something unprintable (a no-break space, a tab...) are searched.
    for text in filterfalse(str.isprintable, beyond_ascii):
        if _XML_ILLEGAL.search(text) is not None or INVISIBLE.search(text) is not None:
            return False

    # No French item text repeated within a category (repeated-text).
    whole = "".join(french)
    if whole.isprintable() and "  " not in whole:
        # The only white space is single spaces inside the texts (none leads or trails: tested
        # above), so the walk's key `" ".join(text.split()).casefold()` is `text.casefold()`.
        keys = list(map(str.casefold, french))
    else:
        keys = [" ".join(text.split()).casefold() for text in french]
    start = 0
    for count in counts:
        end = start + count
        if len(set(keys[start:end])) != count:
            return False
        start = end
    return True


def _see_screen(sees: list[dict[str, Any]], categories: list[dict[str, Any]], category_ids: set[str]) -> bool:
    """Every ``see`` names a category, and items of it that are not themselves references
    (unknown-category, unresolved-reference, reference-chain); category ids are unique."""
    targets = {see["category"] for see in sees}
    if not targets <= category_ids:
        return False
    items = {c["id"]: {item["id"]: item for item in c["items"]} for c in categories if c["id"] in targets}
    for see in sees:
        target = items[see["category"]]
        for item_id in see["items"]:
            referred = target.get(item_id)
            if referred is None or "see" in referred:
                return False
    return True
