"""The typed model and the house's architecture, held to the schemas and to their own rules.

The model (`support_scope.model`) says what the schemas say: same keys, same required keys, same
words. A newcomer adding a field to the schema must add it to the model (and the other way
round): these tests fail until both say the same. The architecture tests keep the stages apart:
no import cycle, and each stage imports only the stages it builds on.
"""

from __future__ import annotations

import ast
import sys
import unicodedata
from pathlib import Path
from typing import Any, get_args, get_type_hints

import pytest

from builders import imported_names
from support_scope.model import policy as p
from support_scope.model import release as r
from support_scope.model import vocab as v
from support_scope.resources import load_schema

PACKAGE = Path(__file__).resolve().parents[1] / "tools" / "support_scope"

POLICY = load_schema("support-scope.schema.json")
RELEASE = load_schema("compiled-ruleset.schema.json")


def node(schema: dict[str, Any], *path: str) -> dict[str, Any]:
    found: Any = schema
    for step in path:
        found = found[step]
    return dict(found)


PD, PP = POLICY["$defs"], POLICY["properties"]
RC = RELEASE["properties"]["compiled"]["properties"]
PAIRS: list[tuple[str, Any, dict[str, Any]]] = [
    ("Policy", p.Policy, POLICY),
    ("Source", p.Source, PP["source"]),
    ("Product", p.Product, PP["products"]["items"]),
    ("Eligibility", p.Eligibility, PP["eligibility"]),
    ("Tier", p.Tier, PP["tiers"]["items"]),
    ("Grant", p.Grant, PP["tiers"]["items"]["properties"]["grants"]["items"]),
    ("Plan", p.Plan, PP["plans"]["items"]),
    ("Fact", p.Fact, PP["facts"]["items"]),
    ("Referral", p.Referral, PP["referrals"]["items"]),
    ("RequestKind", p.RequestKind, PP["request_kinds"]["items"]),
    ("GeneralTerm", p.GeneralTerm, PP["general_terms"]["items"]),
    ("Limits", p.Limits, PP["general_terms"]["items"]["properties"]["limits"]),
    ("Precedence", p.Precedence, PP["precedence"]),
    ("Provenance", p.Provenance, PD["provenance"]),
    ("ReviewProvenance", p.ReviewProvenance, PD["review_provenance"]),
    ("Review", p.Review, PD["review_provenance"]["properties"]["review"]),
    ("ReviewProvenance (release)", p.ReviewProvenance, RELEASE["$defs"]["review_provenance"]),
    ("Condition", p.Condition, PD["condition"]),
    ("Billing", p.Billing, PD["billing"]),
    ("Item", p.Item, PD["item"]),
    ("See", p.See, PD["item"]["properties"]["see"]),
    ("Note", p.Note, PD["note"]),
    ("Group", p.Group, PD["group"]),
    ("Category", p.Category, PD["category"]),
    ("Release", r.Release, RELEASE),
    ("Manifest", r.Manifest, RELEASE["properties"]["manifest"]),
    ("Compiled", r.Compiled, RELEASE["properties"]["compiled"]),
    ("CompiledTier", r.CompiledTier, RC["tiers"]["items"]),
    ("CompiledPlan", r.CompiledPlan, RC["plans"]["items"]),
    ("CompiledProduct", r.CompiledProduct, RC["products"]["items"]),
    ("CompiledFact", r.CompiledFact, RC["facts"]["items"]),
    ("CompiledEligibility", r.CompiledEligibility, RC["eligibility"]),
    ("CompiledReferral", r.CompiledReferral, RC["referrals"]["items"]),
    ("CompiledRequestKind", r.CompiledRequestKind, RC["request_kinds"]["items"]),
    ("CompiledPrecedence", r.CompiledPrecedence, RC["precedence"]),
    ("CompiledGrant", r.CompiledGrant, RC["grants"]["items"]),
    ("CompiledTerm", r.CompiledTerm, RC["general_terms"]["items"]),
    ("CompiledCondition", r.CompiledCondition, RELEASE["$defs"]["condition"]),
    ("Rule", r.Rule, RELEASE["$defs"]["rule"]),
    ("Via", r.Via, RELEASE["$defs"]["rule"]["properties"]["via"]),
    ("CompiledGroup", r.CompiledGroup, RC["categories"]["items"]["properties"]["groups"]["items"]),
    ("CompiledNote", r.CompiledNote, RC["categories"]["items"]["properties"]["notes"]["items"]),
    ("CompiledCategory", r.CompiledCategory, RC["categories"]["items"]),
    ("VocabularyGroup", p.VocabularyGroup, PD["vocabulary_group"]),
    ("SearchIndexData", r.SearchIndexData, RC["search"]),
    ("IndexGroup", r.IndexGroup, RC["search"]["properties"]["vocabulary"]["items"]),
]


@pytest.mark.parametrize(("name", "typed", "schema"), PAIRS, ids=[pair[0] for pair in PAIRS])
def test_typed_dict_matches_the_schema(name: str, typed: Any, schema: dict[str, Any]) -> None:
    assert set(typed.__required_keys__) == set(schema.get("required", [])), name
    assert set(typed.__required_keys__) | set(typed.__optional_keys__) == set(schema["properties"]), name


def test_an_item_and_a_rule_take_either_provenance() -> None:
    """An item added in a review workbook has a review as its provenance, not a source line."""
    either = [{"$ref": "#/$defs/provenance"}, {"$ref": "#/$defs/review_provenance"}]
    assert PD["item"]["properties"]["provenance"]["anyOf"] == either
    assert RELEASE["$defs"]["rule"]["properties"]["provenance"]["anyOf"] == either
    assert RELEASE["$defs"]["rule"]["properties"]["via"]["properties"]["provenance"]["anyOf"] == either
    assert RELEASE["$defs"]["review_provenance"] == PD["review_provenance"]
    assert p.ItemProvenance == p.Provenance | p.ReviewProvenance
    assert get_type_hints(r.Rule)["provenance"] == p.ItemProvenance
    assert get_type_hints(r.Via)["provenance"] == p.ItemProvenance
    assert get_type_hints(p.Item)["provenance"] == p.ItemProvenance


def _enum(schema: dict[str, Any]) -> set[Any]:
    if "enum" in schema:
        return set(schema["enum"])
    return {schema["const"]}


VOCABULARIES: list[tuple[str, Any, dict[str, Any]]] = [
    ("Status", v.Status, PD["item"]["properties"]["status"]),
    ("TermKind", v.TermKind, PP["general_terms"]["items"]["properties"]["kind"]),
    ("BillingKind", v.BillingKind, PD["billing"]["properties"]["kind"]),
    ("NoteKind", v.NoteKind, PD["note"]["properties"]["kind"]),
    ("NoteCause", v.NoteCause, PD["note"]["properties"]["cause"]),
    ("Column", v.Column, PD["provenance"]["properties"]["column"]),
    ("Op", v.Op, PD["expression"]["oneOf"][3]["properties"]["op"]),
    ("FactType", v.FactType, PP["facts"]["items"]["properties"]["type"]),
    ("ConditionFailure", v.ConditionFailure, PD["condition"]["properties"]["when_unmet"]),
    (
        "ConditionFailure (release)",
        v.ConditionFailure,
        RELEASE["$defs"]["condition"]["properties"]["when_unmet"],
    ),
    ("PrecedenceStep", v.PrecedenceStep, PP["precedence"]["properties"]["order"]["items"]),
    ("PrecedenceStep (release)", v.PrecedenceStep, RC["precedence"]["properties"]["order"]["items"]),
    ("ConditionScope", v.ConditionScope, RELEASE["$defs"]["condition"]["properties"]["scope"]),
    ("VocabularyKind", v.VocabularyKind, PD["vocabulary_group"]["properties"]["kind"]),
    (
        "VocabularyKind (release)",
        v.VocabularyKind,
        RC["search"]["properties"]["vocabulary"]["items"]["properties"]["kind"],
    ),
]


@pytest.mark.parametrize(("name", "literal", "schema"), VOCABULARIES, ids=[pair[0] for pair in VOCABULARIES])
def test_vocabulary_matches_the_schema(name: str, literal: Any, schema: dict[str, Any]) -> None:
    assert set(get_args(literal)) == _enum(schema), name


def test_tuples_hold_their_literals() -> None:
    assert v.CONDITION_FAILURES == ("ineligible", "not-applicable", "not-covered")
    assert v.DEFAULT_PRECEDENCE == v.PRECEDENCE_STEPS
    assert set(v.FAILURE_RANK) == set(v.CONDITION_FAILURES)
    assert RELEASE["properties"]["manifest"]["properties"]["format"]["const"] == r.FORMAT


def test_outcomes_severities_and_bumps() -> None:
    """The words services and CI act on (PRODUCT.md and the diff schema), written here by hand."""
    assert v.OUTCOMES == ("included", "upgrade", "excluded", "ineligible", "unlisted")
    assert v.SEVERITIES == ("breaking", "additive", "editorial")
    assert v.BUMP_FOR == {"breaking": "major", "additive": "minor", "editorial": "patch"}
    diff_schema = load_schema("diff.schema.json")
    severity = diff_schema["$defs"]["change"]["properties"]["severity"]["enum"]
    assert sorted(severity) == sorted(v.SEVERITIES)


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


def test_the_readme_maps_every_stage() -> None:
    """A folder or module added to the package without its line in the README's layout fails here."""
    readme = (PACKAGE.parents[1] / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout") :]
    layout = layout[: layout.index("\n## ", 1)]
    folders = [p.name + "/" for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    modules = [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    missing = [name for name in [*folders, *modules] if f"`{name}`" not in layout]
    assert not missing, f"README's layout does not name {missing}"
    assert len(folders) >= 12  # the package's stages, read from the tree, not an empty list


def test_the_model_does_no_io() -> None:
    """The README says `model/` reads and writes nothing: no module there imports a file or OS
    API, at its top or inside a function."""
    io_modules = {"os", "pathlib", "shutil", "subprocess", "io", "glob", "tempfile", "zipfile", "socket"}
    for path in (PACKAGE / "model").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            bad = [name for name in imported_names(node) if name.split(".")[0] in io_modules]
            assert not bad, f"{path.name} imports {bad}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("open", "__import__"), f"{path.name} calls {node.func.id}()"
