"""The published schemas: valid against their metaschema, portable, documented."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from support_scope.resources import data_dir

SCHEMAS = sorted(data_dir("schema").glob("*.schema.json"))

# Keywords that mean the same in draft 2020-12 and in draft 7 (the fast validator's draft),
# and that every conforming validator implements. No `format`: it is an annotation in
# 2020-12 but an assertion in some validators, so documents would be judged differently.
PORTABLE_KEYWORDS = {
    "$schema", "$id", "$ref", "$defs", "$comment", "title", "description", "type", "enum", "const",
    "properties", "patternProperties", "additionalProperties", "required", "items", "minItems", "maxItems",
    "uniqueItems", "contains", "minLength", "maxLength", "pattern", "minimum", "maximum", "minProperties",
    "oneOf", "anyOf", "allOf", "not", "if", "then", "else", "examples", "default",
}  # fmt: skip


def _schema_nodes(node: Any, path: str = "$") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            if key in ("properties", "patternProperties", "$defs"):
                for name, sub in value.items():
                    yield from _schema_nodes(sub, f"{path}.{key}.{name}")
            elif key in ("items", "not", "if", "then", "else", "contains", "additionalProperties"):
                yield from _schema_nodes(value, f"{path}.{key}")
            elif key in ("oneOf", "anyOf", "allOf"):
                for index, sub in enumerate(value):
                    yield from _schema_nodes(sub, f"{path}.{key}[{index}]")


def test_every_schema_is_shipped() -> None:
    assert any(path.name == "support-scope.schema.json" for path in SCHEMAS)


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_schema_is_valid_against_its_metaschema(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema.get("$id")
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_schema_uses_only_portable_keywords(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    for where, node in _schema_nodes(schema):
        unknown = set(node) - PORTABLE_KEYWORDS
        assert not unknown, f"{path.name} {where}: keywords {sorted(unknown)} are not portable"
        pattern = node.get("pattern")
        if isinstance(pattern, str):
            # \d, \w and \s mean Unicode classes in Python but ASCII in ECMA-262 regexes.
            assert not re.search(r"\\[dwsDWSpP]", pattern), f"{where}: pattern {pattern!r} is not portable"


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_every_object_is_closed_and_every_property_described(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    for where, node in _schema_nodes(schema):
        if node.get("type") == "object" and "properties" in node:
            assert node.get("additionalProperties") is False, f"{where}: additionalProperties must be false"
        if re.search(r"\.(if|then|else|not)\b", where):
            continue  # conditions on properties declared elsewhere, not declarations
        for name, sub in node.get("properties", {}).items():
            assert sub.get("description"), f"{where}.properties.{name}: no description"
