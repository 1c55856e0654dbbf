"""The pure-Python schema engine: where jsonschema-rs is not installed, or cannot take a document in.

fastjsonschema says whether a document is valid (compiled in the process from a copy of the
schema rewritten to do less work per item: :func:`_fast_schema`); jsonschema's draft 2020-12
validator reports every error of an invalid one, worded by :mod:`support_scope.validate.wording`
as jsonschema-rs's are. Both read a pattern's ``$`` as ECMA-262 does (the end of the text, never
before a final newline), as jsonschema-rs does.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from support_scope.model.conditions import MAX_DEPTH
from support_scope.model.paths import JsonPath
from support_scope.resources import POLICY_SCHEMA, load_schema
from support_scope.validate.wording import SchemaError, location_and_message


class JsonschemaError(SchemaError):
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


def python_valid(schema_name: str, document: Any) -> bool:
    import fastjsonschema

    try:
        _python_fast(schema_name)(document)
    except (fastjsonschema.JsonSchemaValueException, RecursionError):
        return False
    return True


def python_errors(schema_name: str, document: Any) -> Iterator[tuple[JsonPath, str]]:
    """Every error of ``document`` from the pure-Python validators, as (path, message).

    jsonschema takes seconds on a large policy (some 4 s on 1,000 categories) while the errors
    usually sit in a few categories. So a policy's categories are checked apart: fastjsonschema
    finds those with errors, and jsonschema runs on them and on the rest of the document only.
    The errors are the ones a run over the whole document gives.
    """
    import fastjsonschema

    if python_valid(schema_name, document):
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
        yield location_and_message(JsonschemaError(error, prefix))


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
    ecma = ecma_validator_class()
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
            node["patternProperties"] = {ecma_regex(key).pattern: sub for key, sub in patterns.items()}
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


@cache
def ecma_regex(pattern: str) -> re.Pattern[str]:
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
    return ecma_regex(pattern).search(text) is not None


@cache
def ecma_validator_class() -> Any:
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
