"""The schema check of a document against a shipped schema: every violation, with its path and a message in plain words.

The engine is **jsonschema-rs** (the published schemas as they are, draft 2020-12). Its
``is_valid`` answers the common case, a valid document; only when it says no does
``iter_errors`` run, over the whole document, to report every error with its path. Each error
is worded as jsonschema 4.x words it, then made specific (see :func:`_message`): the message is
rebuilt from the error's keyword, the schema node it failed in (``schema_path``) and the
instance, read from the caller's own document at ``instance_path``. The "closest" branch of a
failed ``oneOf`` comes from a port of jsonschema's ``best_match``.

The **fallback** is pure Python: fastjsonschema says whether the document is valid, and
jsonschema's draft 2020-12 validator reports every error. It runs where jsonschema-rs is not
installed (no wheel for the platform: :data:`FALLBACK_NOTE`), and for the few documents
jsonschema-rs cannot take in: a string holding a lone surrogate (``"\\ud800"`` is JSON, but not
UTF-8), a value nested beyond its conversion limit, a condition test nested deeper than a valid
policy's (:data:`RS_TEST_DEPTH`: its recursion on the expression schema is not bounded, and a
thread with a small stack would crash). Both engines read a pattern's ``$`` as ECMA-262 does,
the end of the text ("abc\\n" is not an id; Python's ``$`` also matches before a final
newline), so they judge and word every document alike; tests/test_validate_engines.py holds
them to it.

The library never says which engine ran; the command line notes the fallback once on stderr
(:func:`fallback_note`).
"""

from __future__ import annotations

import copy
import heapq
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

from support_scope.model.conditions import MAX_DEPTH, depth
from support_scope.model.paths import JsonPath
from support_scope.resources import POLICY_SCHEMA, load_schema
from support_scope.validate.findings import Finding, path_key

FALLBACK_NOTE = (
    "note: jsonschema-rs is not installed for this platform; the schema check uses the pure-Python "
    "validators (same results, about 10 times slower on large policies)"
)
# A condition test nested deeper than this goes to the pure-Python path (a valid policy nests at
# most MAX_DEPTH): jsonschema-rs follows the expression schema's recursion on the native stack.
RS_TEST_DEPTH = MAX_DEPTH


# --------------------------------------------------------------------------- the engine


@cache
def _rs_module() -> Any | None:
    """jsonschema-rs, or None when it is not installed (tests replace this function)."""
    try:
        import jsonschema_rs
    except ImportError:
        return None
    return jsonschema_rs


def engine() -> str:
    """The schema engine in use, with its version: ``jsonschema-rs 0.61.2`` or the fallback."""
    if _rs_module() is None:
        return "fastjsonschema + jsonschema (pure Python; jsonschema-rs not installed)"
    from importlib.metadata import version

    return f"jsonschema-rs {version('jsonschema_rs')}"


def fallback_note() -> str | None:
    """:data:`FALLBACK_NOTE` when the pure-Python validators stand in for jsonschema-rs, else None."""
    return FALLBACK_NOTE if _rs_module() is None else None


@cache
def _rs_validator(schema_name: str) -> Any:
    """The jsonschema-rs validator of a shipped schema; its references are all local."""
    return _rs_module().validator_for(load_schema(schema_name), offline=True)  # type: ignore[union-attr]


# What jsonschema-rs raises on a document it cannot take in: UnicodeEncodeError (a lone
# surrogate), ValueError ("Recursion limit reached" converting a deeply nested value), ...
_RS_CANNOT = (ValueError, OverflowError, TypeError, RecursionError)


def _rs_valid(schema_name: str, document: Any) -> bool | None:
    """jsonschema-rs's verdict on ``document``; None when it cannot judge it."""
    if _rs_module() is None or _deepest_test(document) > RS_TEST_DEPTH:
        return None
    try:
        return bool(_rs_validator(schema_name).is_valid(document))
    except _RS_CANNOT:
        return None


def _rs_errors(schema_name: str, document: Any) -> list[Any] | None:
    """jsonschema-rs's errors of ``document`` (none when it is valid); None when it cannot judge it."""
    valid = _rs_valid(schema_name, document)
    if valid is None or valid:
        return None if valid is None else []
    try:
        return list(_rs_validator(schema_name).iter_errors(document))
    except _RS_CANNOT:
        return None


def _deepest_test(document: Any) -> int:
    """How deep the deepest condition test of a policy or release nests (the schemas' only recursion)."""
    deepest = 0
    roots = [document, document.get("compiled")] if isinstance(document, dict) else []
    for root in roots:
        if not isinstance(root, dict):
            continue
        categories = root.get("categories")
        holders = [root.get("eligibility"), *(categories if isinstance(categories, list) else ())]
        for holder in holders:
            conditions = holder.get("conditions") if isinstance(holder, dict) else None
            if isinstance(conditions, list):
                for condition in conditions:
                    if isinstance(condition, dict) and "test" in condition:
                        deepest = max(deepest, depth(condition["test"]))
    return deepest


# --------------------------------------------------------------------------- the checks


def fast_validator(schema_name: str = POLICY_SCHEMA) -> Callable[[Any], bool]:
    """Whether a document is valid against the shipped schema ``schema_name``, as a predicate
    that stops at the first error: jsonschema-rs, else the pure-Python fast path (fastjsonschema)."""
    return partial(_is_valid, schema_name)


def _is_valid(schema_name: str, document: Any) -> bool:
    valid = _rs_valid(schema_name, document)
    return _python_valid(schema_name, document) if valid is None else valid


def schema_findings(document: Any) -> list[Finding]:
    """Every violation of the policy schema in ``document`` (none when it is valid)."""
    return findings_against(POLICY_SCHEMA, document)


def findings_against(schema_name: str, document: Any) -> list[Finding]:
    """Every violation of ``document`` against the shipped schema ``schema_name`` (none when it is
    valid), worded and located alike whichever engine judged it."""
    errors = _rs_errors(schema_name, document)
    if errors is None:
        located = _python_errors(schema_name, document)
    elif not errors:
        return []
    else:
        schema = load_schema(schema_name)
        located = (_location_and_message(_RsError(error, document, schema)) for error in errors)
    findings: dict[tuple[JsonPath, str], Finding] = {}
    for path, message in located:
        # A language tag matches both `properties` and `patternProperties`: report it once.
        findings.setdefault((path, message), Finding(path, message, "schema"))
    return sorted(findings.values(), key=lambda f: (path_key(f.path), f.message))


# --------------------------------------------------------------------------- messages


class _Error:
    """What a message needs of one schema error, from either engine: the failed keyword, its
    value in the schema, the instance, its path, and jsonschema's own wording."""

    path: JsonPath
    keyword: str
    value: Any
    instance: Any

    def raw(self) -> str:
        """jsonschema 4.x's message for this error."""
        raise NotImplementedError

    def closest(self) -> str | None:
        """For a failed ``oneOf``: the message of the branch that came closest (``best_match``)."""
        raise NotImplementedError


def _location_and_message(error: _Error) -> tuple[JsonPath, str]:
    forbidden = _forbidden_property(error)
    return ((*error.path, forbidden) if forbidden else error.path), _message(error)


def _forbidden_property(error: _Error) -> str | None:
    """The property a ``not: {required: [p]}`` forbids, when the instance has it."""
    if error.keyword == "not" and isinstance(error.value, dict):
        required = error.value.get("required")
        if isinstance(required, list) and len(required) == 1 and isinstance(error.instance, dict):
            return str(required[0]) if required[0] in error.instance else None
    return None


def _message(error: _Error) -> str:
    """jsonschema's message, made specific for oneOf failures (say which branch came closest)."""
    if error.keyword == "oneOf":
        closest = error.closest()
        if closest is not None:
            return f"matches none of the allowed forms; closest: {closest}"
    forbidden = _forbidden_property(error)
    if forbidden:
        return f"{forbidden!r} is not allowed here"
    if error.keyword == "pattern":
        for marker, meaning in _PATTERN_MEANINGS:
            if marker in str(error.value):
                return f"{error.instance!r} {meaning}"
    if error.keyword == "additionalProperties":
        return error.raw().replace("Additional properties are not allowed", "unknown property")
    # jsonschema speaks Python (None, True, ['a', 'b']); people editing JSON read JSON.
    if error.keyword == "type":
        expected = error.value if isinstance(error.value, list) else [error.value]
        return f"expected {' or '.join(map(str, expected))}, found {_json_type(error.instance)}"
    if error.keyword == "enum":
        choices = ", ".join(_json_value(choice) for choice in error.value)
        return f"{_json_value(error.instance)} is not one of: {choices}"
    if error.keyword == "const":
        return f"{_json_value(error.instance)} should be {_json_value(error.value)}"
    return _shorten(error.raw())


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


# --------------------------------------------------------------------------- jsonschema-rs errors


class _RsError(_Error):
    """One jsonschema-rs error, read as jsonschema would have reported it."""

    def __init__(self, error: Any, document: Any, schema: dict[str, Any]) -> None:
        self.rs = error
        self.path = tuple(error.instance_path)
        self.keyword = error.kind.name
        schema_path = list(error.schema_path)
        # The schema node holding the failed keyword, and the keyword's value in it.
        self.node: Any = _resolve(schema, schema_path[:-1])
        self.value = self.node.get(self.keyword) if isinstance(self.node, dict) else None
        # Read from the caller's document: error.instance is a converted copy (sorted keys).
        self.instance = _resolve(document, self.path)
        self.order = _evaluation_order(schema, list(error.evaluation_path))
        self.context: list[_RsError] = []
        if type(error.kind).__name__ == "OneOfNotValid":
            # jsonschema's context is one flat list in evaluation order; jsonschema-rs gives a
            # list per branch, each in its own order: flatten, then put in evaluation order.
            flat = [_RsError(each, document, schema) for branch in error.kind.context for each in branch]
            self.context = sorted(flat, key=lambda each: each.order)

    def closest(self) -> str | None:
        best = _best_match(self.context, len(self.path))
        return None if best is None else best.raw()

    def raw(self) -> str:
        """The templates of jsonschema 4.x's keywords, for those the shipped schemas use; any other
        keyword (none today) keeps jsonschema-rs's own message."""
        keyword, value, instance = self.keyword, self.value, self.instance
        if keyword == "required":
            return f"{self.rs.kind.property!r} is a required property"
        if keyword == "additionalProperties":
            extras = list(self.rs.kind.unexpected)
            if isinstance(self.node, dict) and "patternProperties" in self.node:
                verb = "does" if len(extras) == 1 else "do"
                joined = ", ".join(repr(each) for each in sorted(extras))
                patterns = ", ".join(repr(each) for each in sorted(self.node["patternProperties"]))
                return f"{joined} {verb} not match any of the regexes: {patterns}"
            names = ", ".join(repr(each) for each in sorted(extras, key=str))
            verb = "was" if len(extras) == 1 else "were"
            return f"Additional properties are not allowed ({names} {verb} unexpected)"
        if keyword == "type":
            types = value if isinstance(value, list) else [value]
            return f"{instance!r} is not of type {', '.join(repr(each) for each in types)}"
        templates: dict[str, Callable[[], str]] = {
            "enum": lambda: f"{instance!r} is not one of {value!r}",
            "const": lambda: f"{value!r} was expected",
            "pattern": lambda: f"{instance!r} does not match {value!r}",
            "minLength": lambda: f"{instance!r} {'should be non-empty' if value == 1 else 'is too short'}",
            "minItems": lambda: f"{instance!r} {'should be non-empty' if value == 1 else 'is too short'}",
            "maxLength": lambda: f"{instance!r} {'is expected to be empty' if value == 0 else 'is too long'}",
            "maxItems": lambda: f"{instance!r} {'is expected to be empty' if value == 0 else 'is too long'}",
            "minProperties": lambda: (
                f"{instance!r} {'should be non-empty' if value == 1 else 'does not have enough properties'}"
            ),
            "uniqueItems": lambda: f"{instance!r} has non-unique elements",
            "contains": lambda: f"{instance!r} does not contain items matching the given schema",
            "minimum": lambda: f"{instance!r} is less than the minimum of {value!r}",
            "maximum": lambda: f"{instance!r} is greater than the maximum of {value!r}",
            "not": lambda: f"{instance!r} should not be valid under {value!r}",
            "anyOf": lambda: f"{instance!r} is not valid under any of the given schemas",
        }
        if keyword == "oneOf" and type(self.rs.kind).__name__ == "OneOfNotValid":
            return f"{instance!r} is not valid under any of the given schemas"
        template = templates.get(keyword)
        # "valid under more than one oneOf branch" cannot happen with the shipped schemas (their
        # branches exclude one another), so it keeps jsonschema-rs's words.
        return template() if template is not None else str(self.rs.message)


# jsonschema.exceptions.best_match and relevance (4.x), on jsonschema-rs errors. A context
# error's path is relative to its parent's instance, whose path has `base` steps.
_WEAK = frozenset(("anyOf", "oneOf"))
_STRONG: frozenset[str] = frozenset()


def _relevance(error: _RsError, base: int) -> tuple[Any, ...]:
    relative = error.path[base:]
    return (
        -len(relative),
        relative,
        error.keyword not in _WEAK,
        error.keyword in _STRONG,
        not _matches_type(error),
    )


def _best_match(errors: list[_RsError], base: int) -> _RsError | None:
    best = max(errors, key=lambda error: _relevance(error, base), default=None)
    if best is None:
        return None
    while best.context:
        base = len(best.path)
        smallest = heapq.nsmallest(2, best.context, key=lambda error: _relevance(error, base))
        if len(smallest) == 2 and _relevance(smallest[0], base) == _relevance(smallest[1], base):
            return best
        best = smallest[0]
    return best


def _matches_type(error: _RsError) -> bool:
    expected = error.node.get("type") if isinstance(error.node, dict) else None
    if expected is None:
        return False
    return any(
        _is_type(error.instance, each) for each in (expected if isinstance(expected, list) else [expected])
    )


def _is_type(value: Any, name: str) -> bool:
    """jsonschema's draft 2020-12 type checker."""
    if isinstance(value, bool):
        return name == "boolean"
    checks: dict[str, Callable[[Any], bool]] = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "null": lambda v: v is None,
        "integer": lambda v: isinstance(v, int) or (isinstance(v, float) and v.is_integer()),
        "number": lambda v: isinstance(v, (int, float)),
    }
    check = checks.get(name)
    return check is not None and check(value)


def _resolve(node: Any, path: Iterable[Any]) -> Any:
    for step in path:
        node = node[step]
    return node


_SCHEMA_MAPS = frozenset(("properties", "patternProperties", "$defs", "dependentSchemas"))
_SCHEMA_LISTS = frozenset(("oneOf", "anyOf", "allOf", "prefixItems"))
_LAST = 1 << 30


def _evaluation_order(schema: dict[str, Any], evaluation_path: list[Any]) -> tuple[int, ...]:
    """Where an error falls in jsonschema's evaluation order (keywords in the order a schema node
    lists them, properties in the order ``properties`` lists them, branches by index): the
    position of every step of its evaluation path, following ``$ref`` into ``$defs``."""
    order: list[int] = []
    node: Any = schema
    steps = iter(evaluation_path)
    for step in steps:
        if not isinstance(node, dict) or step not in node:
            order.append(_LAST)
            break
        order.append(list(node).index(step))
        child = node[step]
        if step == "$ref":
            node = _resolve_ref(schema, child)
        elif step in _SCHEMA_MAPS or step in _SCHEMA_LISTS:
            name = next(steps, None)
            if name is None:
                break
            keys = list(child) if isinstance(child, dict) else list(range(len(child)))
            order.append(keys.index(name) if name in keys else _LAST)
            node = child[name] if name in keys else None
        else:
            node = child
    return tuple(order)


def _resolve_ref(schema: dict[str, Any], ref: str) -> Any:
    fragment = ref.split("#", 1)[1] if "#" in ref else ""
    node: Any = schema
    for part in filter(None, fragment.split("/")):
        node = node.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(node, dict) else None
    return node


# --------------------------------------------------------------------------- the pure-Python path


class _JsonschemaError(_Error):
    """One jsonschema error, ``prefix`` being the path of the part it was validated in."""

    def __init__(self, error: Any, prefix: JsonPath) -> None:
        self.error = error
        self.path = (*prefix, *error.absolute_path)
        self.keyword = error.validator
        self.value = error.validator_value
        self.instance = error.instance

    def raw(self) -> str:
        return str(self.error.message)

    def closest(self) -> str | None:
        if not self.error.context:
            return None
        from jsonschema.exceptions import best_match

        best = best_match(self.error.context)
        return None if best is None else str(best.message)


_TOO_DEEP = f"nested too deeply to check (a condition's test nests at most {MAX_DEPTH} levels of all/any/not)"


def _python_valid(schema_name: str, document: Any) -> bool:
    import fastjsonschema

    try:
        _python_fast(schema_name)(document)
    except (fastjsonschema.JsonSchemaValueException, RecursionError):
        return False
    return True


def _python_errors(schema_name: str, document: Any) -> Iterator[tuple[JsonPath, str]]:
    """Every error of ``document`` from the pure-Python validators, as (path, message).

    jsonschema takes seconds on a large policy (some 4 s on 1,000 categories) while the errors
    usually sit in a few categories. So a policy's categories are checked apart: fastjsonschema
    finds those with errors, and jsonschema runs on them and on the rest of the document only.
    The errors are the ones a run over the whole document gives.
    """
    import fastjsonschema

    if _python_valid(schema_name, document):
        return
    validators = _python_reporters(schema_name)
    yield from _errors(validators.outline, document, ())
    if validators.category is None or validators.fast_category is None:
        return
    categories = document.get("categories") if isinstance(document, dict) else None
    if not isinstance(categories, list):
        return
    for index, category in enumerate(categories):
        try:
            validators.fast_category(category)
            continue
        except (fastjsonschema.JsonSchemaValueException, RecursionError):
            pass
        yield from _errors(validators.category, category, ("categories", index))


def _errors(validator: Any, instance: Any, prefix: JsonPath) -> Iterator[tuple[JsonPath, str]]:
    """jsonschema's errors of ``instance`` as (path, message); a structure nested deeper than
    the validator can follow is one error at ``prefix``, never a RecursionError."""
    try:
        errors = list(validator.iter_errors(instance))
    except RecursionError:
        yield prefix, _TOO_DEEP
        return
    for error in errors:
        yield _location_and_message(_JsonschemaError(error, prefix))


@dataclass(frozen=True)
class _PythonReporters:
    """The pure-Python path's validators for an invalid document: jsonschema for the document
    (for the policy schema: without its categories) and, for the policy schema, fastjsonschema
    and jsonschema for one category."""

    outline: Any
    fast_category: Callable[[Any], Any] | None = None
    category: Any = None


@cache
def _python_fast(schema_name: str) -> Callable[[Any], Any]:
    """fastjsonschema's validator of a whole document (raises at the first error)."""
    return _fast_validator(load_schema(schema_name))


@cache
def _python_reporters(schema_name: str) -> _PythonReporters:
    schema = load_schema(schema_name)
    ecma = _ecma_validator_class()
    if schema_name != POLICY_SCHEMA:
        return _PythonReporters(ecma(schema))
    outline = copy.deepcopy(schema)
    # Every other keyword of `categories` (type, minItems) stays with the outline.
    per_category = outline["properties"]["categories"].pop("items")
    # The same $id and $defs, so that the category's references resolve as in the whole schema.
    category = {key: schema[key] for key in ("$schema", "$id", "$defs")} | per_category
    return _PythonReporters(ecma(outline), _fast_validator(category), ecma(category))


def _fast_validator(schema: dict[str, Any]) -> Callable[[Any], Any]:
    """fastjsonschema's validator of ``schema`` (compiled in the process: some 0.3 s for the
    policy schema), from the rewritten copy :func:`_fast_schema` makes."""
    import fastjsonschema

    validate: Callable[[Any], Any] = fastjsonschema.compile(
        _fast_schema(schema), use_default=False, use_formats=False
    )
    return validate


def _fast_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema as fastjsonschema gets it: the same documents valid, less work per value.

    The published schema stays as people read it. This copy only spares fastjsonschema's
    generated code work that costs time on every item of a large policy (some 25% of the
    schema check on 10,000 categories), and gives its ``patternProperties`` ECMA-262's ``$``
    (it does so itself for ``pattern``); every rewrite keeps the set of valid documents, and
    tests/test_validate_engines.py checks that both engines judge alike.
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
    for node in nodes:
        patterns = node.get("patternProperties")
        if isinstance(patterns, dict):
            node["patternProperties"] = {_ecma_regex(key).pattern: sub for key, sub in patterns.items()}
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
        if any(_ecma_search(pattern, name) and sub == properties[name] for pattern, sub in patterns.items()):
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


# ECMA-262's `$` in the pure-Python engines.


@cache
def _ecma_regex(pattern: str) -> re.Pattern[str]:
    """``pattern`` with ECMA-262's ``$``: the end of the text, never before a final newline.

    Python's ``$`` also matches before a trailing ``\\n`` ("abc\\n" matches ``^[a-z]+$``); ``\\Z``
    is Python's end of text. Only an unescaped ``$`` outside a character class is rewritten.
    """
    out: list[str] = []
    in_class = escaped = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            out.append(r"\Z")
            continue
        out.append(char)
    return re.compile("".join(out))


def _ecma_search(pattern: str, text: str) -> bool:
    return _ecma_regex(pattern).search(text) is not None


@cache
def _ecma_validator_class() -> Any:
    """jsonschema's Draft202012Validator with ECMA-262's ``$`` in the three keywords that match
    regular expressions against the instance. The bodies are jsonschema 4.x's own with
    ``re.search`` replaced; the messages are unchanged (they quote the pattern as written)."""
    from jsonschema import Draft202012Validator, validators
    from jsonschema.exceptions import ValidationError

    def pattern(validator: Any, regex: str, instance: Any, schema: Any) -> Iterator[Any]:
        if validator.is_type(instance, "string") and not _ecma_search(regex, instance):
            yield ValidationError(f"{instance!r} does not match {regex!r}")

    def pattern_properties(validator: Any, patterns: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if not validator.is_type(instance, "object"):
            return
        for regex, subschema in patterns.items():
            for key, value in instance.items():
                if _ecma_search(regex, key):
                    yield from validator.descend(value, subschema, path=key, schema_path=regex)

    def additional_properties(validator: Any, allowed: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if not validator.is_type(instance, "object"):
            return
        properties = schema.get("properties", {})
        regexes = list(schema.get("patternProperties", {}))
        extras = {
            key
            for key in instance
            if key not in properties and not any(_ecma_search(regex, key) for regex in regexes)
        }
        if validator.is_type(allowed, "object"):
            for extra in extras:
                yield from validator.descend(instance[extra], allowed, path=extra)
        elif not allowed and extras:
            if "patternProperties" in schema:
                verb = "does" if len(extras) == 1 else "do"
                joined = ", ".join(repr(each) for each in sorted(extras))
                listed = ", ".join(repr(each) for each in sorted(schema["patternProperties"]))
                yield ValidationError(f"{joined} {verb} not match any of the regexes: {listed}")
            else:
                ordered = sorted(extras, key=str)
                verb = "was" if len(ordered) == 1 else "were"
                names = ", ".join(repr(each) for each in ordered)
                yield ValidationError(f"Additional properties are not allowed ({names} {verb} unexpected)")

    return validators.extend(  # type: ignore[no-untyped-call]
        Draft202012Validator,
        {
            "pattern": pattern,
            "patternProperties": pattern_properties,
            "additionalProperties": additional_properties,
        },
    )
