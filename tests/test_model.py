"""The typed model and the house's architecture, held to the schemas and to their own rules.

A newcomer adding a field to the schema must add it to the model (and the other way round):
these tests fail until both say the same. The architecture tests keep the stages apart: no
import cycle, the core never imports click, the consumer API stays on the standard library.
"""

from __future__ import annotations

import ast
import sys
import unicodedata
from pathlib import Path
from typing import Any, get_args

import pytest

from support_scope.model import policy as policy_model
from support_scope.model import release as release_model
from support_scope.model import vocab
from support_scope.resources import load_schema

PACKAGE = Path(__file__).resolve().parents[1] / "tools" / "support_scope"


def _object(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a ``$ref`` to the object schema it names."""
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["$defs"][name]
    return node


def _items(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    return _object(schema, node["items"])


POLICY = load_schema()
RELEASE = load_schema("compiled-ruleset.schema.json")
_P = POLICY["properties"]
_PD = POLICY["$defs"]
_C = RELEASE["properties"]["compiled"]["properties"]
_RD = RELEASE["$defs"]

# Each TypedDict and the schema object it mirrors, named by hand.
MIRRORS: list[tuple[Any, dict[str, Any]]] = [
    (policy_model.Policy, POLICY),
    (policy_model.Source, _P["source"]),
    (policy_model.Product, _items(POLICY, _P["products"])),
    (policy_model.Eligibility, _P["eligibility"]),
    (policy_model.Tier, _items(POLICY, _P["tiers"])),
    (policy_model.Grant, _items(POLICY, _items(POLICY, _P["tiers"])["properties"]["grants"])),
    (policy_model.Plan, _items(POLICY, _P["plans"])),
    (policy_model.Fact, _items(POLICY, _P["facts"])),
    (policy_model.Referral, _items(POLICY, _P["referrals"])),
    (policy_model.GeneralTerm, _items(POLICY, _P["general_terms"])),
    (policy_model.Limits, _items(POLICY, _P["general_terms"])["properties"]["limits"]),
    (policy_model.Provenance, _PD["provenance"]),
    (policy_model.Condition, _PD["condition"]),
    (policy_model.Billing, _PD["billing"]),
    (policy_model.Item, _PD["item"]),
    (policy_model.See, _PD["item"]["properties"]["see"]),
    (policy_model.Note, _PD["note"]),
    (policy_model.Group, _PD["group"]),
    (policy_model.Category, _PD["category"]),
    (policy_model.Comparison, _PD["expression"]["oneOf"][3]),
    (policy_model.Not, _PD["expression"]["oneOf"][2]),
    (release_model.Release, RELEASE),
    (release_model.Manifest, RELEASE["properties"]["manifest"]),
    (release_model.Compiled, RELEASE["properties"]["compiled"]),
    (release_model.CompiledTier, _items(RELEASE, _C["tiers"])),
    (release_model.CompiledPlan, _items(RELEASE, _C["plans"])),
    (release_model.CompiledProduct, _items(RELEASE, _C["products"])),
    (release_model.CompiledFact, _items(RELEASE, _C["facts"])),
    (release_model.CompiledEligibility, _C["eligibility"]),
    (release_model.CompiledReferral, _items(RELEASE, _C["referrals"])),
    (release_model.CompiledCategory, _items(RELEASE, _C["categories"])),
    (release_model.CompiledCondition, _RD["condition"]),
    (release_model.Rule, _RD["rule"]),
    (release_model.Via, _RD["rule"]["properties"]["via"]),
    (policy_model.VocabularyGroup, _PD["vocabulary_group"]),
    (release_model.SearchIndexData, _C["search"]),
    (release_model.IndexGrant, _items(RELEASE, _C["search"]["properties"]["grants"])),
    (release_model.IndexGroup, _items(RELEASE, _C["search"]["properties"]["vocabulary"])),
]


@pytest.mark.parametrize(("model", "schema"), MIRRORS, ids=[model.__name__ for model, _ in MIRRORS])
def test_model_keys_are_the_schemas(model: Any, schema: dict[str, Any]) -> None:
    properties = set(schema["properties"])
    required = set(schema.get("required", []))
    assert model.__required_keys__ | model.__optional_keys__ == properties
    assert model.__required_keys__ == required


@pytest.mark.parametrize(
    ("literal", "enum"),
    [
        (vocab.Status, _PD["item"]["properties"]["status"]["enum"]),
        (vocab.FactType, _items(POLICY, _P["facts"])["properties"]["type"]["enum"]),
        (vocab.Op, _PD["expression"]["oneOf"][3]["properties"]["op"]["enum"]),
        (vocab.Column, _PD["provenance"]["properties"]["column"]["enum"]),
        (vocab.TermKind, _items(POLICY, _P["general_terms"])["properties"]["kind"]["enum"]),
        (vocab.BillingKind, _PD["billing"]["properties"]["kind"]["enum"]),
        (vocab.NoteKind, _PD["note"]["properties"]["kind"]["enum"]),
        (vocab.NoteCause, _PD["note"]["properties"]["cause"]["enum"]),
        (vocab.ConditionScope, _RD["condition"]["properties"]["scope"]["enum"]),
        (vocab.VocabularyKind, _PD["vocabulary_group"]["properties"]["kind"]["enum"]),
        (
            vocab.VocabularyKind,
            _items(RELEASE, _C["search"]["properties"]["vocabulary"])["properties"]["kind"]["enum"],
        ),
    ],
    ids=lambda value: getattr(value, "__name__", "enum") if not isinstance(value, list) else "enum",
)
def test_vocabularies_are_the_schemas_enums(literal: Any, enum: list[str]) -> None:
    assert list(get_args(literal)) == enum


def test_outcomes_severities_and_bumps() -> None:
    """The words services and CI act on (PRODUCT.md and the diff schema), written here by hand."""
    assert vocab.OUTCOMES == ("included", "upgrade", "excluded", "ineligible", "unlisted")
    assert vocab.SEVERITIES == ("breaking", "additive", "editorial")
    assert vocab.BUMP_FOR == {"breaking": "major", "additive": "minor", "editorial": "patch"}
    diff_schema = load_schema("diff.schema.json")
    severity = diff_schema["$defs"]["change"]["properties"]["severity"]["enum"]
    assert sorted(severity) == sorted(vocab.SEVERITIES)


def test_invisible_characters_are_every_format_and_separator_character() -> None:
    """The validator's class of invisible characters is Unicode's Cf, Zl and Zp (as of Unicode 14)."""
    from support_scope.validate.meaning import INVISIBLE

    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    listed = set(INVISIBLE.findall(everything))
    known = {c for c in everything if unicodedata.category(c) in ("Cf", "Zl", "Zp")}
    assert listed <= known, "a character the class refuses is not a format or separator character"
    # Characters a later Unicode made Cf are only in astral planes so far.
    assert all(ord(c) > 0xFFFF for c in known - listed)
    assert "\u202e" in listed and "\u200b" in listed and "\u2028" in listed


# --------------------------------------------------------------------------- architecture


def _imports(path: Path) -> set[str]:
    """The support_scope modules ``path`` imports at its top level (what runs at import time)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for child in ast.walk(node) if isinstance(node, (ast.Import, ast.ImportFrom)) else ():
            if (
                isinstance(child, ast.ImportFrom)
                and child.module
                and child.module.startswith("support_scope")
            ):
                found.add(child.module)
            elif isinstance(child, ast.Import):
                found.update(a.name for a in child.names if a.name.startswith("support_scope"))
    return found


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


GRAPH = {_module(path): _imports(path) for path in PACKAGE.rglob("*.py")}


def test_no_import_cycle() -> None:
    """Module-level imports form no cycle (lazy imports inside functions are how a cycle is avoided)."""
    known = set(GRAPH)
    edges = {module: {m for m in targets if m in known and m != module} for module, targets in GRAPH.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                cycle = [*stack[stack.index(target) :], target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module)


@pytest.mark.parametrize(
    ("stage", "forbidden"),
    [
        ("support_scope.model", ("support_scope.",)),  # the model depends on nothing but itself and errors
        (
            "support_scope.consume",
            ("support_scope.validate", "support_scope.changes", "support_scope.workbook"),
        ),
        (
            "support_scope.fileio",
            ("support_scope.validate", "support_scope.compile", "support_scope.consume"),
        ),
    ],
)
def test_stages_import_only_what_they_build_on(stage: str, forbidden: tuple[str, ...]) -> None:
    allowed = ("support_scope.model", "support_scope.errors")
    for module, targets in GRAPH.items():
        if module == stage or module.startswith(stage + "."):
            bad = [
                t
                for t in targets
                if t.startswith(forbidden) and not t.startswith(allowed if stage.endswith("model") else ())
            ]
            assert not bad, f"{module} imports {bad}"
