"""The schema check of a policy document: every violation, with its path and a message in plain words.

It has two paths. A compiled fastjsonschema validator answers "valid" quickly,
which is the common case; only when it finds a problem does jsonschema's draft 2020-12
validator run, to report *every* schema error. The published schema uses only keywords that
both understand identically (tests/test_schema.py keeps it so).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from support_scope.model.paths import JsonPath
from support_scope.resources import POLICY_SCHEMA, load_schema
from support_scope.validate.findings import Finding, path_key


@cache
def checking_schema(schema_name: str = POLICY_SCHEMA) -> dict[str, Any]:
    """A shipped schema as the validators get it: its patterns anchored as ECMA-262 anchors them.

    The published schemas are draft 2020-12, whose patterns are ECMA-262 regular expressions:
    there, ``$`` (without the multiline flag) matches only at the end of the text. In Python's
    ``re`` it also matches before a final line break, so ``"act-premium\\n"`` would pass
    ``^[a-z0-9]+(-[a-z0-9]+)*$`` and an id or a version ending in a line break would validate
    (and name a file). Every ``$`` anchor of a ``pattern`` or ``patternProperties`` key is
    given to the validators as ``\\Z``, which means in Python what ``$`` means in ECMA-262.
    The returned schema is shared: copy it before changing it.
    """
    schema = copy.deepcopy(load_schema(schema_name))
    _ecma_anchors(schema)
    return schema


def _ecma_anchors(node: Any) -> None:
    """Make every ``$`` anchor of the patterns in ``node`` (a schema) ``\\Z``, in place."""
    for found in _schema_objects(node):
        pattern = found.get("pattern")
        if isinstance(pattern, str):
            found["pattern"] = ecma_pattern(pattern)
        properties = found.get("patternProperties")
        if isinstance(properties, dict):
            found["patternProperties"] = {ecma_pattern(key): value for key, value in properties.items()}


def ecma_pattern(pattern: str) -> str:
    """An ECMA-262 pattern for Python's ``re``: each ``$`` anchor (not escaped, not inside a
    character class) becomes ``\\Z``, the end of the text and nothing else."""
    out: list[str] = []
    escaped = in_class = False
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
            out.append("\\Z")
            continue
        out.append(char)
    return "".join(out)


@cache
def fast_validator(schema_name: str = POLICY_SCHEMA) -> Callable[[Any], Any]:
    """A compiled fastjsonschema validator of a shipped schema: raises at the first error.

    Cached per schema. It only says valid or not; jsonschema reports every error.
    """
    import fastjsonschema

    schema = _fast_schema(checking_schema(schema_name))
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

    schema = checking_schema(POLICY_SCHEMA)
    outline = copy.deepcopy(schema)
    # Every other keyword of `categories` (type, minItems) stays with the outline.
    per_category = outline["properties"]["categories"].pop("items")
    # The same $id and $defs, so that the category's references resolve as in the whole schema.
    category = {key: schema[key] for key in ("$schema", "$id", "$defs")} | per_category
    fast = fastjsonschema.compile(_fast_schema(category), use_default=False, use_formats=False)
    return _SplitValidators(Draft202012Validator(outline), Draft202012Validator(category), fast)


_TOO_DEEP = "nested too deeply to check (a condition's test nests at most 32 levels of all/any/not)"


def _schema_errors(document: Any) -> Iterator[tuple[JsonPath, str]]:
    """Every jsonschema error of an invalid document, with the path of the part it lies in.

    jsonschema takes seconds on a large policy (some 4 s on 1,000 categories) while the
    errors usually sit in a few categories. So the categories are checked apart: the fast
    validator finds those with errors, and jsonschema runs on them and on the rest of the
    document only. The errors are the ones a run over the whole document gives.
    """
    import fastjsonschema

    validators = _split_validators()
    yield from _errors(validators.outline, document, ())
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
        yield (*prefix, *_schema_location(error)), _schema_message(error)


def schema_findings(document: Any) -> list[Finding]:
    """Every schema violation of ``document`` (none when it is valid)."""
    import fastjsonschema

    try:
        fast_validator()(document)
        return []
    except (fastjsonschema.JsonSchemaValueException, RecursionError):
        pass
    findings: dict[tuple[JsonPath, str], Finding] = {}
    for path, message in _schema_errors(document):
        # A language tag matches both `properties` and `patternProperties`: report it once.
        findings.setdefault((path, message), Finding(path, message, "schema"))
    return sorted(findings.values(), key=lambda f: (path_key(f.path), f.message))


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
        "^[a-z0-9]+(-[a-z0-9]+)*",
        "is not a valid id (lower-case letters and digits, words joined by single hyphens)",
    ),
    ("^[a-z][a-z0-9_]*", "is not a valid fact name (snake_case)"),
    ("\\u0000", "holds a control character that XML (and so a workbook) cannot carry"),
    ("^[a-z]{2,3}", "is not a language tag (e.g. fr, en, fr-CA)"),
)
