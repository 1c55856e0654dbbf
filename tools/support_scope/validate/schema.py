"""The schema check of a document against a shipped schema: every violation, with its path and a message in plain words.

The engine is **jsonschema-rs** (the published schemas as they are, draft 2020-12). Its
``is_valid`` answers the common case, a valid document; only when it says no does
``iter_errors`` run, over the whole document, to report every error with its path. Each error
is worded as jsonschema 4.x words it, then made specific (:mod:`support_scope.validate.wording`).

The **fallback** is pure Python (:mod:`support_scope.validate.fallback`): fastjsonschema says
whether the document is valid, and jsonschema's draft 2020-12 validator reports every error. It
runs where jsonschema-rs is not
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

from collections.abc import Callable
from functools import cache, partial
from typing import Any

from support_scope.model.conditions import MAX_DEPTH, depth
from support_scope.model.paths import JsonPath
from support_scope.resources import POLICY_SCHEMA, load_schema
from support_scope.validate.fallback import python_errors, python_valid
from support_scope.validate.findings import Finding, path_key
from support_scope.validate.wording import RsError, location_and_message

FALLBACK_NOTE = (
    "note: jsonschema-rs is not installed for this platform; the schema check uses the pure-Python "
    "validators (same results, about 10 times slower on large policies)"
)
# A condition test nested deeper than this goes to the pure-Python path (a valid policy nests at
# most MAX_DEPTH): jsonschema-rs follows the expression schema's recursion on the native stack.
RS_TEST_DEPTH = MAX_DEPTH


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


def fast_validator(schema_name: str = POLICY_SCHEMA) -> Callable[[Any], bool]:
    """Whether a document is valid against the shipped schema ``schema_name``, as a predicate
    that stops at the first error: jsonschema-rs, else the pure-Python fast path (fastjsonschema)."""
    return partial(_is_valid, schema_name)


def _is_valid(schema_name: str, document: Any) -> bool:
    valid = _rs_valid(schema_name, document)
    return python_valid(schema_name, document) if valid is None else valid


def schema_findings(document: Any) -> list[Finding]:
    """Every violation of the policy schema in ``document`` (none when it is valid)."""
    return findings_against(POLICY_SCHEMA, document)


def findings_against(schema_name: str, document: Any) -> list[Finding]:
    """Every violation of ``document`` against the shipped schema ``schema_name`` (none when it is
    valid), worded and located alike whichever engine judged it."""
    errors = _rs_errors(schema_name, document)
    if errors is None:
        located = python_errors(schema_name, document)
    elif not errors:
        return []
    else:
        schema = load_schema(schema_name)
        located = (location_and_message(RsError(error, document, schema)) for error in errors)
    findings: dict[tuple[JsonPath, str], Finding] = {}
    for path, message in located:
        # A language tag matches both `properties` and `patternProperties`: report it once.
        findings.setdefault((path, message), Finding(path, message, "schema"))
    return sorted(findings.values(), key=lambda f: (path_key(f.path), f.message))
