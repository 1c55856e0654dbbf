"""How a schema error is located and worded: one rule for both engines.

Either engine's error (:class:`SchemaError`: the failed keyword, its value in the schema, the
instance and its path) gets the message jsonschema 4.x gives, made specific (:func:`_message`:
the closest branch of a failed ``oneOf``, what an id or a version must look like, JSON's words
for types and values). A jsonschema-rs error (:class:`RsError`) is read as jsonschema would have
reported it: its keyword from ``kind.name``, the schema node it failed in from ``schema_path``,
the instance from the caller's own document at ``instance_path``, jsonschema's message
templates, and a port of its ``best_match`` over the ``oneOf`` context put in jsonschema's
evaluation order.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable, Iterable
from typing import Any

from support_scope.model.paths import JsonPath


class SchemaError:
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


def location_and_message(error: SchemaError) -> tuple[JsonPath, str]:
    """Where an error is reported (its path; for a forbidden property, the property's) and what it says."""
    forbidden = _forbidden_property(error)
    return ((*error.path, forbidden) if forbidden else error.path), _message(error)


def _forbidden_property(error: SchemaError) -> str | None:
    """The property a ``not: {required: [p]}`` forbids, when the instance has it."""
    if error.keyword == "not" and isinstance(error.value, dict):
        required = error.value.get("required")
        if isinstance(required, list) and len(required) == 1 and isinstance(error.instance, dict):
            return str(required[0]) if required[0] in error.instance else None
    return None


def _message(error: SchemaError) -> str:
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


class RsError(SchemaError):
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
        self.order = evaluation_order(schema, list(error.evaluation_path))
        self.context: list[RsError] = []
        if type(error.kind).__name__ == "OneOfNotValid":
            # jsonschema's context is one flat list in evaluation order; jsonschema-rs gives a
            # list per branch, each in its own order: flatten, then put in evaluation order.
            flat = [RsError(each, document, schema) for branch in error.kind.context for each in branch]
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


def _relevance(error: RsError, base: int) -> tuple[Any, ...]:
    relative = error.path[base:]
    return (
        -len(relative),
        relative,
        error.keyword not in _WEAK,
        error.keyword in _STRONG,
        not _matches_type(error),
    )


def _best_match(errors: list[RsError], base: int) -> RsError | None:
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


def _matches_type(error: RsError) -> bool:
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


def evaluation_order(schema: dict[str, Any], evaluation_path: list[Any]) -> tuple[int, ...]:
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
