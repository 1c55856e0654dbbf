"""Validate policy documents: the schema first, then the meaning.

The schema check has two paths. A compiled fastjsonschema validator answers "valid" quickly,
which is the common case; only when it finds a problem does jsonschema's draft 2020-12
validator run, to report *every* schema error. The published schema uses only keywords that
both understand identically (tests/test_schema.py keeps it so).
"""

from __future__ import annotations

import copy
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from support_scope.errors import InputError
from support_scope.files import parse_json, read_text
from support_scope.locate import JsonPath, locate_all, render_path
from support_scope.resources import POLICY_SCHEMA, load_schema
from support_scope.result import FileResult, Problem, ValidationReport
from support_scope.walks import reachable

EXCEL_CELL_LIMIT = 32767
_COMPARISONS_NEEDING_ORDER = {"lt", "le", "gt", "ge"}


@dataclass(frozen=True)
class Finding:
    """A problem inside a document, before it is given a file name and a line."""

    path: JsonPath
    message: str
    rule: str


# --------------------------------------------------------------------------- schema


@cache
def fast_validator(schema_name: str = POLICY_SCHEMA) -> Callable[[Any], Any]:
    """A compiled fastjsonschema validator of a shipped schema: raises at the first error.

    Cached per schema. It only says valid or not; jsonschema reports every error.
    """
    import fastjsonschema

    schema = _fast_schema(load_schema(schema_name))
    validate: Callable[[Any], Any] = fastjsonschema.compile(schema, use_default=False, use_formats=False)
    return validate


def _fast_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema as the fast validator gets it: the same documents valid, less work per value.

    The published schema stays as people read it. This copy only spares fastjsonschema's
    generated code work that costs time on every item of a large policy (some 25% of the
    schema check on 10,000 categories); every rewrite keeps the set of valid documents, and
    tests/test_validate.py checks that both validators judge the corpus alike.
    """
    fast = copy.deepcopy(schema)
    # fastjsonschema knows drafts up to 7; the schema keeps to keywords with the same meaning there.
    fast["$schema"] = "http://json-schema.org/draft-07/schema#"
    nodes = list(_schema_objects(fast))
    for node in nodes:
        # Annotations assert nothing; without them the generated code is smaller and compiles faster.
        for keyword in ("title", "description"):
            if isinstance(node.get(keyword), str):
                del node[keyword]
    for node in nodes:
        _drop_shadowed_properties(node)
        _rewrite_presence_rule(node)
    return fast


def _schema_objects(node: Any) -> Iterator[dict[str, Any]]:
    """Every object inside a schema (subschemas, and maps of them), outermost first."""
    if isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key not in ("enum", "const", "default", "examples"):  # values, not schemas
                yield from _schema_objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schema_objects(value)


def _drop_shadowed_properties(node: dict[str, Any]) -> None:
    """Drop ``properties`` entries that a ``patternProperties`` entry repeats word for word.

    Both apply to such a property (``fr`` and ``en`` of every language map), so the generated
    code validated each text twice; the pattern alone gives the same verdict, and
    ``additionalProperties`` still sees the name as matched.
    """
    properties, patterns = node.get("properties"), node.get("patternProperties")
    if not isinstance(properties, dict) or not isinstance(patterns, dict):
        return
    for name in list(properties):
        if any(re.search(pattern, name) and sub == properties[name] for pattern, sub in patterns.items()):
            del properties[name]
    if not properties:
        del node["properties"]


def _rewrite_presence_rule(node: dict[str, Any]) -> None:
    """Rewrite the item rule "included has a tier, excluded has none" without ``if``.

    fastjsonschema evaluates an ``if`` by raising and catching an exception whenever the
    condition is false, which is once per item. With ``status`` required and one of its two
    values, ``{if status = A then F required} and {if status = B then F absent}`` holds
    exactly when ``F present implies status = A`` (``dependencies``) and ``F present or
    status = B`` (``anyOf``, whose first branch passes without an exception for most items).
    """
    rules = node.get("allOf")
    if not isinstance(rules, list) or len(rules) != 2 or "dependencies" in node or "anyOf" in node:
        return
    try:
        first, second = rules
        key = next(iter(first["if"]["properties"]))
        value_a = first["if"]["properties"][key]["const"]
        value_b = second["if"]["properties"][key]["const"]
        (field,) = first["then"]["required"]
    except (KeyError, TypeError, ValueError, StopIteration):
        return
    expected = [
        {"if": {"properties": {key: {"const": value_a}}, "required": [key]}, "then": {"required": [field]}},
        {
            "if": {"properties": {key: {"const": value_b}}, "required": [key]},
            "then": {"not": {"required": [field]}},
        },
    ]
    enum = node.get("properties", {}).get(key, {}).get("enum")
    if (
        rules != expected
        or key not in node.get("required", [])
        or sorted(enum or []) != sorted([value_a, value_b])
    ):
        return
    del node["allOf"]
    node["dependencies"] = {field: {"properties": {key: {"const": value_a}}}}
    node["anyOf"] = [{"required": [field]}, {"properties": {key: {"const": value_b}}}]


@dataclass(frozen=True)
class _SplitValidators:
    """jsonschema for the document without its categories and for one category, and the fast
    validator for one category."""

    outline: Any
    category: Any
    fast_category: Callable[[Any], Any]


@cache
def _split_validators() -> _SplitValidators:
    import fastjsonschema
    from jsonschema import Draft202012Validator

    schema = load_schema(POLICY_SCHEMA)
    outline = copy.deepcopy(schema)
    # Every other keyword of `categories` (type, minItems) stays with the outline.
    per_category = outline["properties"]["categories"].pop("items")
    # The same $id and $defs, so that the category's references resolve as in the whole schema.
    category = {key: schema[key] for key in ("$schema", "$id", "$defs")} | per_category
    fast = fastjsonschema.compile(_fast_schema(category), use_default=False, use_formats=False)
    return _SplitValidators(Draft202012Validator(outline), Draft202012Validator(category), fast)


def _schema_errors(document: Any) -> Iterator[tuple[JsonPath, Any]]:
    """Every jsonschema error of an invalid document, with the path of the part it lies in.

    jsonschema takes seconds on a large policy (some 4 s on 1,000 categories) while the
    errors usually sit in a few categories. So the categories are checked apart: the fast
    validator finds those with errors, and jsonschema runs on them and on the rest of the
    document only. The errors are the ones a run over the whole document gives.
    """
    import fastjsonschema

    validators = _split_validators()
    for error in validators.outline.iter_errors(document):
        yield (), error
    categories = document.get("categories") if isinstance(document, dict) else None
    if not isinstance(categories, list):
        return
    for index, category in enumerate(categories):
        try:
            validators.fast_category(category)
            continue
        except fastjsonschema.JsonSchemaValueException:
            pass
        for error in validators.category.iter_errors(category):
            yield ("categories", index), error


def schema_findings(document: Any) -> list[Finding]:
    """Every schema violation of ``document`` (none when it is valid)."""
    import fastjsonschema

    try:
        fast_validator()(document)
        return []
    except fastjsonschema.JsonSchemaValueException:
        pass
    findings: dict[tuple[JsonPath, str], Finding] = {}
    for prefix, error in _schema_errors(document):
        path, message = (*prefix, *_schema_location(error)), _schema_message(error)
        # A language tag matches both `properties` and `patternProperties`: report it once.
        findings.setdefault((path, message), Finding(path, message, "schema"))
    return sorted(findings.values(), key=lambda f: (_path_key(f.path), f.message))


def _schema_location(error: Any) -> JsonPath:
    path = tuple(error.absolute_path)
    forbidden = _forbidden_property(error)
    return (*path, forbidden) if forbidden else path


def _forbidden_property(error: Any) -> str | None:
    """The property a ``not: {required: [p]}`` forbids, when the instance has it."""
    if error.validator == "not" and isinstance(error.validator_value, dict):
        required = error.validator_value.get("required")
        if isinstance(required, list) and len(required) == 1 and isinstance(error.instance, dict):
            return str(required[0]) if required[0] in error.instance else None
    return None


def _schema_message(error: Any) -> str:
    """jsonschema's message, made specific for oneOf failures (say which branch came closest)."""
    if error.validator == "oneOf" and error.context:
        from jsonschema.exceptions import best_match

        best = best_match(error.context)
        if best is not None:
            return f"matches none of the allowed forms; closest: {best.message}"
    forbidden = _forbidden_property(error)
    if forbidden:
        return f"{forbidden!r} is not allowed here"
    if error.validator == "pattern":
        for marker, meaning in _PATTERN_MEANINGS:
            if marker in str(error.validator_value):
                return f"{error.instance!r} {meaning}"
    if error.validator == "additionalProperties":
        return str(error.message).replace("Additional properties are not allowed", "unknown property")
    # jsonschema speaks Python (None, True, ['a', 'b']); people editing JSON read JSON.
    if error.validator == "type":
        expected = (
            error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        )
        return f"expected {' or '.join(map(str, expected))}, found {_json_type(error.instance)}"
    if error.validator == "enum":
        choices = ", ".join(_json_value(choice) for choice in error.validator_value)
        return f"{_json_value(error.instance)} is not one of: {choices}"
    if error.validator == "const":
        return f"{_json_value(error.instance)} should be {_json_value(error.validator_value)}"
    return _shorten(str(error.message))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {_json_value(value)}"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, str):
        return f"string {_json_value(value)}"
    return "array" if isinstance(value, list) else "object"


def _json_value(value: Any) -> str:
    return _shorten(json.dumps(value, ensure_ascii=False), 80)


def _shorten(message: str, limit: int = 300) -> str:
    """jsonschema quotes whole instances; a message names the place, it need not copy it."""
    return message if len(message) <= limit else message[: limit - 1] + "…"


_PATTERN_MEANINGS = (
    ("(0|[1-9][0-9]*)\\.", "is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.2.0)"),
    (
        "^[a-z0-9]+(-[a-z0-9]+)*$",
        "is not a valid id (lower-case letters and digits, words joined by single hyphens)",
    ),
    ("^[a-z][a-z0-9_]*$", "is not a valid fact name (snake_case)"),
    ("\\u0000", "holds a control character that XML (and so a workbook) cannot carry"),
    ("^[a-z]{2,3}", "is not a language tag (e.g. fr, en, fr-CA)"),
)


def _path_key(path: JsonPath) -> tuple[tuple[int, str], ...]:
    return tuple((0, f"{step:012d}") if isinstance(step, int) else (1, step) for step in path)


# --------------------------------------------------------------------------- meaning


def meaning_findings(document: Any) -> list[Finding]:
    """Every problem of meaning: ids, references, languages, text hygiene.

    Written to cope with documents that also fail the schema, so that one run reports both.
    """
    if not isinstance(document, dict):
        return []
    return list(_MeaningCheck(document).run())


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dicts(container: dict[str, Any], key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for index, value in enumerate(_list(container.get(key))):
        if isinstance(value, dict):
            yield index, value


class _MeaningCheck:
    def __init__(self, document: dict[str, Any]) -> None:
        self.doc = document
        languages = [lang for lang in _list(document.get("languages")) if isinstance(lang, str)]
        self.languages = languages or ["fr"]
        self.findings: list[Finding] = []

    def add(self, path: JsonPath, message: str, rule: str) -> None:
        self.findings.append(Finding(path, message, rule))

    def run(self) -> Iterator[Finding]:
        doc = self.doc
        self.tiers = self._unique_ids("tiers", "tier")
        self.plans = self._unique_ids("plans", "plan")
        self.products = self._unique_ids("products", "product")
        self.referrals = self._unique_ids("referrals", "referral")
        self.facts = {
            fact["id"]: fact.get("type")
            for _, fact in _dicts(doc, "facts")
            if isinstance(fact.get("id"), str)
        }
        self._unique_ids("facts", "fact")
        for index, fact in _dicts(doc, "facts"):
            if "minimum" in fact and fact.get("type") != "integer":
                self.add(("facts", index, "minimum"), "only an integer fact can have a minimum", "fact-type")
        self._unique_ids("general_terms", "general term")
        self.categories = self._unique_ids("categories", "category")
        self._check_tiers()
        for index, plan in _dicts(doc, "plans"):
            self._reference(("plans", index, "tier"), plan.get("tier"), self.tiers, "tier")
        for index, term in _dicts(doc, "general_terms"):
            path: JsonPath = ("general_terms", index)
            self._referrals((*path, "referrals"), term.get("referrals"))
        eligibility = doc.get("eligibility")
        if isinstance(eligibility, dict):
            for index, condition in _dicts(eligibility, "conditions"):
                self._condition(("eligibility", "conditions", index), condition)
        self._check_categories()
        for path, language_map in self._language_maps():
            self._language_map(path, language_map)
        for index, tier in _dicts(doc, "tiers"):
            for alias_index, alias in enumerate(_list(tier.get("aliases"))):
                self._text(("tiers", index, "aliases", alias_index), alias)
        yield from self.findings

    # ids and references

    def _unique_ids(self, key: str, kind: str) -> set[str]:
        seen: dict[str, int] = {}
        for index, entry in _dicts(self.doc, key):
            entry_id = entry.get("id")
            if not isinstance(entry_id, str):
                continue
            if entry_id in seen:
                self.add(
                    (key, index, "id"),
                    f"duplicate {kind} id {entry_id!r} (first at {render_path((key, seen[entry_id], 'id'))})",
                    "duplicate-id",
                )
            else:
                seen[entry_id] = index
        return set(seen)

    def _reference(self, path: JsonPath, value: Any, known: set[str], kind: str) -> None:
        if isinstance(value, str) and value not in known:
            choices = ", ".join(sorted(known)) or "none declared"
            self.add(
                path, f"unknown {kind} {value!r} (known: {choices})", f"unknown-{kind.replace(' ', '-')}"
            )

    def _referrals(self, path: JsonPath, values: Any) -> None:
        for index, value in enumerate(_list(values)):
            self._reference((*path, index), value, self.referrals, "referral")

    def _check_tiers(self) -> None:
        includes: dict[str, list[str]] = {}
        for index, tier in _dicts(self.doc, "tiers"):
            for position, included in enumerate(_list(tier.get("includes"))):
                self._reference(("tiers", index, "includes", position), included, self.tiers, "tier")
            if isinstance(tier.get("id"), str):
                includes[tier["id"]] = [t for t in _list(tier.get("includes")) if isinstance(t, str)]
        for index, tier in _dicts(self.doc, "tiers"):
            tier_id = tier.get("id")
            if isinstance(tier_id, str) and tier_id in reachable(tier_id, includes):
                self.add(("tiers", index, "includes"), f"tier {tier_id!r} includes itself", "tier-cycle")

    def _condition(self, path: JsonPath, condition: dict[str, Any]) -> None:
        self._expression((*path, "test"), condition.get("test"))

    def _expression(self, path: JsonPath, expression: Any) -> None:
        if not isinstance(expression, dict):
            return
        for key in ("all", "any"):
            for index, sub in enumerate(_list(expression.get(key))):
                self._expression((*path, key, index), sub)
        if "not" in expression:
            self._expression((*path, "not"), expression["not"])
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
        if declared and actual != declared:
            self.add(
                (*path, "value"),
                f"fact {fact!r} is {declared}, compared with {'an' if actual == 'integer' else 'a'} {actual}",
                "fact-type",
            )
        # An `op` that is not a string (the schema reports it) must not stop the walk.
        elif (
            isinstance(expression.get("op"), str)
            and expression["op"] in _COMPARISONS_NEEDING_ORDER
            and declared != "integer"
        ):
            self.add(
                (*path, "op"),
                f"{expression['op']!r} needs an integer fact; {fact!r} is {declared}",
                "fact-type",
            )

    def _check_categories(self) -> None:
        unique: dict[str, dict[str, JsonPath]] = {"item": {}, "group": {}, "note": {}, "condition": {}}
        items_by_category: dict[str, dict[str, dict[str, Any]]] = {}
        for c_index, category in _dicts(self.doc, "categories"):
            c_path: JsonPath = ("categories", c_index)
            for kind, key in (
                ("group", "groups"),
                ("note", "notes"),
                ("condition", "conditions"),
                ("item", "items"),
            ):
                for index, entry in _dicts(category, key):
                    entry_id = entry.get("id")
                    if not isinstance(entry_id, str):
                        continue
                    if entry_id in unique[kind]:
                        first = render_path(unique[kind][entry_id])
                        self.add(
                            (*c_path, key, index, "id"),
                            f"duplicate {kind} id {entry_id!r} (first at {first})",
                            "duplicate-id",
                        )
                    else:
                        unique[kind][entry_id] = (*c_path, key, index, "id")
            groups = {g["id"] for _, g in _dicts(category, "groups") if isinstance(g.get("id"), str)}
            for index, group in _dicts(category, "groups"):
                self._reference((*c_path, "groups", index, "tier"), group.get("tier"), self.tiers, "tier")
            for index, note in _dicts(category, "notes"):
                self._reference((*c_path, "notes", index, "tier"), note.get("tier"), self.tiers, "tier")
            for index, condition in _dicts(category, "conditions"):
                self._condition((*c_path, "conditions", index), condition)
            seen_texts: dict[str, int] = {}
            items: dict[str, dict[str, Any]] = {}
            for index, item in _dicts(category, "items"):
                i_path: JsonPath = (*c_path, "items", index)
                if isinstance(item.get("id"), str):
                    items[item["id"]] = item
                self._reference((*i_path, "tier"), item.get("tier"), self.tiers, "tier")
                if isinstance(item.get("group"), str) and item["group"] not in groups:
                    self.add(
                        (*i_path, "group"),
                        f"unknown group {item['group']!r} in this category",
                        "unknown-group",
                    )
                self._referrals((*i_path, "referrals"), item.get("referrals"))
                text = item.get("text")
                french = text.get("fr") if isinstance(text, dict) else None
                if isinstance(french, str):
                    key = " ".join(french.split()).casefold()
                    if key in seen_texts:
                        self.add(
                            (*i_path, "text", "fr"),
                            f"text repeated within the category (same as items[{seen_texts[key]}])",
                            "repeated-text",
                        )
                    else:
                        seen_texts[key] = index
            if isinstance(category.get("id"), str):
                items_by_category.setdefault(category["id"], items)
        for c_index, category in _dicts(self.doc, "categories"):
            for index, item in _dicts(category, "items"):
                see = item.get("see")
                if isinstance(see, dict):
                    self._see(
                        ("categories", c_index, "items", index, "see"),
                        see,
                        category.get("id"),
                        items_by_category,
                    )

    def _see(
        self,
        path: JsonPath,
        see: dict[str, Any],
        own_category: Any,
        items_by_category: dict[str, dict[str, dict[str, Any]]],
    ) -> None:
        target = see.get("category")
        if not isinstance(target, str):
            return
        if target not in items_by_category:
            self._reference((*path, "category"), target, set(items_by_category), "category")
            return
        for index, item_id in enumerate(_list(see.get("items"))):
            if not isinstance(item_id, str):
                continue
            referred = items_by_category[target].get(item_id)
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

    # texts

    def _language_maps(self) -> Iterator[tuple[JsonPath, Any]]:
        doc = self.doc
        yield ("title",), doc.get("title")
        source = doc.get("source")
        if isinstance(source, dict) and "title" in source:
            yield ("source", "title"), source["title"]
        for key, fields in _TOP_LEVEL_TEXTS:
            for index, entry in _dicts(doc, key):
                yield from _fields((key, index), entry, fields)
        for index, term in _dicts(doc, "general_terms"):
            yield from _billing(("general_terms", index), term)
        for index, tier in _dicts(doc, "tiers"):
            for g_index, grant in _dicts(tier, "grants"):
                yield from _fields(("tiers", index, "grants", g_index), grant, ("text", "source_note"))
        eligibility = doc.get("eligibility")
        if isinstance(eligibility, dict):
            yield from _fields(("eligibility",), eligibility, ("text", "source_note"))
            for index, condition in _dicts(eligibility, "conditions"):
                yield from _fields(("eligibility", "conditions", index), condition, ("text", "source_note"))
        for c_index, category in _dicts(doc, "categories"):
            c_path: JsonPath = ("categories", c_index)
            yield from _fields(c_path, category, ("title", "source_note"))
            for key in ("conditions", "groups", "notes", "items"):
                for index, entry in _dicts(category, key):
                    yield from _fields((*c_path, key, index), entry, ("text", "source_note"))
                    if key == "items":
                        yield from _billing((*c_path, key, index), entry)

    def _language_map(self, path: JsonPath, language_map: Any) -> None:
        if not isinstance(language_map, dict):
            return
        for language in self.languages:
            # French is required by the schema, which reports its absence already.
            if language != "fr" and language not in language_map:
                self.add(
                    path,
                    f"missing the {language!r} text (the document declares {self.languages})",
                    "missing-language",
                )
        for language, text in language_map.items():
            self._text((*path, language), text)

    def _text(self, path: JsonPath, text: Any) -> None:
        if not isinstance(text, str):
            return
        if text != text.strip():
            self.add(path, "text has leading or trailing white space", "text-whitespace")
        if not unicodedata.is_normalized("NFC", text):
            self.add(path, "text is not in Unicode NFC (normalise it: precomposed accents)", "text-not-nfc")
        if not text.isascii():
            bad = _XML_ILLEGAL.search(text)
            if bad is not None:
                self.add(
                    path,
                    f"text holds U+{ord(bad.group()):04X}, which XML (and so a workbook) cannot carry",
                    "text-character",
                )
        if len(text) > EXCEL_CELL_LIMIT // 2 and len(text.encode("utf-16-le")) // 2 > EXCEL_CELL_LIMIT:
            self.add(
                path,
                f"text is longer than a spreadsheet cell holds ({EXCEL_CELL_LIMIT} characters)",
                "text-too-long",
            )


_TOP_LEVEL_TEXTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("products", ("name", "source_note")),
    ("tiers", ("label", "source_note")),
    ("plans", ("name", "source_note")),
    ("facts", ("description",)),
    ("referrals", ("name",)),
    ("general_terms", ("text", "source_note")),
)


def _fields(path: JsonPath, entry: dict[str, Any], names: Iterable[str]) -> Iterator[tuple[JsonPath, Any]]:
    for name in names:
        if name in entry:
            yield (*path, name), entry[name]


def _billing(path: JsonPath, entry: dict[str, Any]) -> Iterator[tuple[JsonPath, Any]]:
    billing = entry.get("billing")
    if isinstance(billing, dict) and "text" in billing:
        yield (*path, "billing", "text"), billing["text"]


# Control characters and U+FFFE/U+FFFF are refused by the schema's pattern; lone surrogates
# (which JSON can spell as \ud800) cannot be expressed there portably. One regular expression
# scans a text in C: a character-by-character loop was the meaning check's largest cost.
_XML_ILLEGAL = re.compile("[\ud800-\udfff]")


# --------------------------------------------------------------------------- documents and files


def document_findings(document: Any) -> list[Finding]:
    """Schema then meaning findings for a parsed document."""
    return schema_findings(document) + meaning_findings(document)


def validate_text(text: str, display: str) -> FileResult:
    """Validate a document given as text; every finding located by line and column."""
    return _validated_text(text, display)[1]


def load_validated(path: Path, display: str | None = None) -> tuple[Any, FileResult]:
    """Read, parse and validate a policy file once: the document (None when it cannot be read
    or parsed) and its result, for callers that go on with a valid document."""
    name = display or str(path)
    try:
        text = read_text(path, name)
    except InputError as e:
        return None, FileResult(name, [_unreadable(name, str(e))])
    return _validated_text(text, name)


def _validated_text(text: str, display: str) -> tuple[Any, FileResult]:
    result = FileResult(display)
    try:
        document = parse_json(text, display)
    except InputError as e:
        result.problems.append(_unreadable(display, str(e)))
        return None, result
    result.problems.extend(locate_findings(document_findings(document), text, display))
    return document, result


def locate_findings(findings: list[Finding], text: str, display: str) -> list[Problem]:
    """The findings of the document parsed from ``text``, as problems located by line and column."""
    if not findings:
        return []
    positions = locate_all(text, (f.path for f in findings))
    located = [
        Problem(display, f.message, f.rule, f.path, line=positions[f.path][0], column=positions[f.path][1])
        for f in findings
    ]
    return sorted(located, key=lambda p: (p.line or 0, p.column or 0))


def located_problems(findings: list[Finding], text: str | None, display: str) -> list[Problem]:
    """The findings as problems, located by line and column in ``text`` when it is given and is
    the text the document was parsed from; otherwise (a caller's mistake) by JSON path only."""
    if text is not None:
        try:
            return locate_findings(findings, text, display)
        except ValueError:
            pass
    return [Problem(display, f.message, f.rule, path=f.path) for f in findings]


def findings_message(findings: list[Finding], text: str | None, display: str, outcome: str) -> str:
    """The message refusing an invalid policy: a head line ending in ``outcome``, then every
    finding, one a line, located as ``validate`` locates them."""
    lines = [str(problem) for problem in located_problems(findings, text, display)]
    count = len(findings)
    return (
        f"{display}: not a valid policy ({count} problem{'s' if count != 1 else ''}); {outcome}:\n"
        + "\n".join(lines)
    )


def validate_file(path: Path, display: str | None = None) -> FileResult:
    """Validate one policy file."""
    return load_validated(path, display)[1]


def validate_paths(paths: Iterable[Path]) -> ValidationReport:
    """Validate every file; a directory stands for the ``*.json`` files in it."""
    report = ValidationReport()
    for path in paths:
        if path.is_dir():
            files = sorted(path.glob("*.json"))
            if not files:
                report.files.append(
                    FileResult(
                        str(path), [Problem(str(path), "no policy (*.json) in this directory", "no-policy")]
                    )
                )
            for file in files:
                report.files.append(validate_file(file))
        else:
            report.files.append(validate_file(path))
    return report


def _unreadable(display: str, message: str) -> Problem:
    """A problem from an InputError message of the form ``file[:line:col]: reason``."""
    rest = message[len(display) + 1 :] if message.startswith(display + ":") else message
    line = column = None
    parts = rest.split(":", 2)
    if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
        line, column, rest = int(parts[0]), int(parts[1]), parts[2]
    return Problem(display, rest.strip(), "unreadable", line=line, column=column)
