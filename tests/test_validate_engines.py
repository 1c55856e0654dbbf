"""validate's two engines and its screen: the same findings, word for word, whichever runs.

- The schema check runs on jsonschema-rs, or on the pure-Python validators where it is not
  installed (or for a document it cannot take in). Both must judge and word every document alike:
  the corpus and seeded mutated documents go through both. CI's platform has the wheel, so the
  fallback is forced here (``_rs_module`` replaced) to be tested at all.
- Both read a pattern's ``$`` as ECMA-262 does: an id, a version, a language tag or a fact id
  ending in a newline is refused.
- The meaning check's screen answers for a clean, schema-valid document without walking it; it
  must never pass a document the walk finds problems in: the corpus and seeded mutated documents
  go through both.
"""

from __future__ import annotations

import copy
import json
import random
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from builders import benchmark_module, small_policy
from conftest import REPO, SHIPPED_POLICY
from support_scope.model.paths import render_path
from support_scope.model.walk import language_maps
from support_scope.validate import schema as schema_module
from support_scope.validate.documents import document_findings, validate_text
from support_scope.validate.fallback import ecma_regex
from support_scope.validate.findings import Finding
from support_scope.validate.meaning import INVISIBLE, _screen, meaning_findings
from support_scope.validate.schema import (
    FALLBACK_NOTE,
    RS_TEST_DEPTH,
    engine,
    fallback_note,
    fast_validator,
    findings_against,
    schema_findings,
)
from support_scope.validate.wording import evaluation_order

CORPUS = REPO / "tests" / "example-files" / "validate"
DOCUMENTS = sorted((CORPUS / "negative").glob("*.json")) + sorted((CORPUS / "positive").glob("*.json"))
HAVE_RS = schema_module._rs_module() is not None
NO_RS = "jsonschema-rs is not installed on this platform: only the pure-Python engine can be tested"


@pytest.fixture
def fallback(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The pure-Python engine, as where jsonschema-rs has no wheel."""
    monkeypatch.setattr(schema_module, "_rs_module", lambda: None)
    yield


@pytest.fixture(params=["jsonschema-rs", "pure-python"])
def each_engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "jsonschema-rs":
        if not HAVE_RS:
            pytest.skip(NO_RS)
    else:
        monkeypatch.setattr(schema_module, "_rs_module", lambda: None)
    return str(request.param)


def _parsed(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except ValueError:
        pytest.skip("not JSON: the schema is never reached")


def _both_engines(function: Any, *args: Any) -> tuple[Any, Any]:
    """``function(*args)`` on jsonschema-rs, then on the pure-Python engine."""
    first = function(*args)
    original = schema_module._rs_module
    schema_module._rs_module = lambda: None  # type: ignore[assignment]
    try:
        second = function(*args)
    finally:
        schema_module._rs_module = original  # type: ignore[assignment]
    return first, second


# --------------------------------------------------------------------------- the corpus, both engines


@pytest.mark.parametrize("path", sorted((CORPUS / "negative").glob("*.json")), ids=lambda p: p.stem)
def test_corpus_report_is_the_same_on_either_engine(
    path: Path, each_engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from support_scope.cli.main import cli

    monkeypatch.chdir(CORPUS)
    result = CliRunner().invoke(cli, ["validate", f"negative/{path.name}"], catch_exceptions=False)
    assert result.stdout == path.with_suffix(".expected").read_text(encoding="utf-8")
    assert result.exit_code == 1
    # The fallback says so once, on stderr; jsonschema-rs says nothing.
    assert result.stderr == (FALLBACK_NOTE + "\n" if each_engine == "pure-python" else "")


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.stem)
def test_corpus_findings_are_the_same_on_either_engine(path: Path) -> None:
    if not HAVE_RS:
        pytest.skip(NO_RS)
    document = _parsed(path)
    rs, python = _both_engines(document_findings, document)
    assert rs == python


def test_the_engine_is_named(each_engine: str) -> None:
    if each_engine == "jsonschema-rs":
        assert engine().startswith("jsonschema-rs 0.")
        assert fallback_note() is None
    else:
        assert "pure Python" in engine()
        assert fallback_note() == FALLBACK_NOTE


def test_json_output_stays_json_with_the_fallback_note(
    fallback: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from support_scope.cli.main import cli

    monkeypatch.chdir(CORPUS)
    result = CliRunner().invoke(cli, ["validate", "--format", "json", "positive/minimal.json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["ok"] is True
    assert result.stderr.count(FALLBACK_NOTE) == 1


@pytest.mark.parametrize(
    "arguments",
    [
        ["check"],
        ["compile", "-o", "{tmp}/release.json"],
        ["export-xlsx", "-o", "{tmp}/review.xlsx"],
        ["release", "--dry-run"],
    ],
    ids=lambda a: a[0],
)
def test_every_validating_command_notes_the_fallback_once(
    arguments: list[str], fallback: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from support_scope.cli.main import cli

    monkeypatch.chdir(REPO)
    words = [word.replace("{tmp}", str(tmp_path)) for word in arguments]
    result = CliRunner().invoke(cli, words, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stderr.count(FALLBACK_NOTE) == 1


def test_a_command_that_does_not_validate_says_nothing(fallback: None) -> None:
    from support_scope.cli.main import cli

    result = CliRunner().invoke(cli, ["decide", "--plan", "standard", "--category", "installation"])
    assert FALLBACK_NOTE not in result.stderr


# --------------------------------------------------------------------------- ECMA-262 `$`


def _minimal() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((CORPUS / "positive" / "minimal.json").read_text(encoding="utf-8"))
    return document


def _with_newline(where: str) -> dict[str, Any]:
    document = _minimal()
    if where == "policy id":
        document["id"] += "\n"
    elif where == "item id":
        document["categories"][0]["items"][0]["id"] += "\n"
    elif where == "version":
        document["version"] += "\n"
    elif where == "declared language":
        document["languages"][1] += "\n"
    elif where == "language of a text":
        document["title"]["en\n"] = document["title"].pop("en")
    elif where == "fact id":
        document["facts"][0]["id"] += "\n"
    else:  # the fact a condition's test names
        document["eligibility"]["conditions"][0]["test"]["fact"] += "\n"
    return document


@pytest.mark.parametrize(
    "where",
    [
        "policy id",
        "item id",
        "version",
        "declared language",
        "language of a text",
        "fact id",
        "fact in a test",
    ],
)
def test_a_trailing_newline_is_refused(where: str, each_engine: str) -> None:
    assert document_findings(_minimal()) == []
    document = _with_newline(where)
    findings = schema_findings(document)
    assert findings, f"{where} ending in a newline passed the schema"
    assert fast_validator()(document) is False


def test_a_trailing_newline_is_refused_in_a_release(each_engine: str) -> None:
    from support_scope.compile.compiler import compile_policy, release_schema_problems

    release = compile_policy(_minimal(), b"")
    assert release_schema_problems(release) == []
    release["manifest"]["policy_id"] += "\n"  # type: ignore[operator]
    assert release_schema_problems(release) == [
        "$.manifest.policy_id: 'minimal-scope\\n' is not a valid id "
        "(lower-case letters and digits, words joined by single hyphens)"
    ]


def test_a_trailing_newline_is_refused_in_decision_tests(each_engine: str) -> None:
    case = {
        "id": "one",
        "question": {"plan": "standard", "category": "c", "item": "i", "context": {"fact\n": True}},
        "expect": {"outcome": "included"},
    }
    findings = findings_against("decision-tests.schema.json", {"cases": [case]})
    assert [render_path(f.path) for f in findings] == ["$.cases[0].question.context"]


@pytest.mark.parametrize(
    ("pattern", "ecma"),
    [
        ("^[a-z]+$", "^[a-z]+\\Z"),
        ("^a$|^b$", "^a\\Z|^b\\Z"),
        ("^[$]+$", "^[$]+\\Z"),  # in a class, `$` is a character
        ("^\\$x$", "^\\$x\\Z"),  # escaped, too
        ("^[^\\]$]$", "^[^\\]$]\\Z"),
    ],
)
def test_ecma_dollar_is_the_end_of_the_text(pattern: str, ecma: str) -> None:
    assert ecma_regex(pattern).pattern == ecma


def test_context_errors_are_put_in_jsonschemas_evaluation_order() -> None:
    """jsonschema's "closest" branch of a oneOf is the first of the most relevant errors in its
    evaluation order (keywords as a node lists them, branches by index); jsonschema-rs gives one
    list per branch in its own order, so its errors are sorted by their evaluation path."""
    from support_scope.resources import load_schema

    schema = load_schema()
    test = ["properties", "eligibility", "properties", "conditions", "items", "$ref", "properties", "test"]
    branch = [*test, "$ref", "oneOf"]
    order = [
        evaluation_order(schema, [*branch, 0, "additionalProperties"]),
        evaluation_order(schema, [*branch, 0, "required"]),
        evaluation_order(schema, [*branch, 1, "type"]),
        evaluation_order(schema, [*branch, 3, "properties", "op", "enum"]),
        evaluation_order(schema, [*branch, 3, "required"]),
    ]
    assert order == sorted(order)
    assert len(set(order)) == len(order)


# --------------------------------------------------------------------------- where jsonschema-rs stops


def _nested(levels: int) -> dict[str, Any]:
    test: dict[str, Any] = {"fact": "active_subscription", "op": "eq", "value": True}
    for _ in range(levels):
        test = {"not": test}
    return test


@pytest.mark.parametrize("levels", [RS_TEST_DEPTH, RS_TEST_DEPTH + 1, 200])
def test_a_deep_test_is_checked_alike_by_both_engines(levels: int) -> None:
    """jsonschema-rs follows the expression schema on the native stack (a thread with a small
    stack crashes on a few hundred levels): deeper than a valid policy nests, the pure-Python
    engine judges."""
    if not HAVE_RS:
        pytest.skip(NO_RS)
    document = _minimal()
    document["eligibility"]["conditions"][0]["test"] = _nested(levels)
    assert (schema_module._rs_errors("support-scope.schema.json", document) is None) == (
        levels > RS_TEST_DEPTH
    )
    rs, python = _both_engines(document_findings, document)
    assert rs == python
    assert any(f.rule == "condition-depth" for f in rs) == (levels > RS_TEST_DEPTH)


def test_a_lone_surrogate_goes_to_the_pure_python_engine() -> None:
    """jsonschema-rs cannot take a string that is not UTF-8 in: that document is checked in
    Python, with the same result."""
    if not HAVE_RS:
        pytest.skip(NO_RS)
    document = _minimal()
    document["categories"][0]["items"][0]["text"]["en"] = "a\ud800b"
    assert schema_module._rs_errors("support-scope.schema.json", document) is None
    assert [f.rule for f in document_findings(document)] == ["text-character"]


@pytest.mark.parametrize(
    ("text", "rules"),
    [("x" * 20_000, ["text-character"]), ("\U0001f600" * 16_384, ["text-too-long", "text-character"])],
)
def test_a_long_text_holding_a_lone_surrogate_is_reported_not_raised(
    text: str, rules: list[str], each_engine: str
) -> None:
    """Past 16,383 characters a text's length is counted in UTF-16 units, as a cell counts them:
    the lone surrogate is one unit, 2 x 16,384 + 1 are more than a cell holds (32,767)."""
    document = _minimal()
    document["categories"][0]["items"][0]["text"]["en"] = text + "\ud800"
    result = validate_text(json.dumps(document, indent=2), "long.json")
    assert [p.rule for p in result.problems] == rules


def test_only_the_expression_schema_is_recursive() -> None:
    """:func:`~support_scope.validate.schema._deepest_test` bounds the only recursion of the shipped
    schemas before jsonschema-rs follows it: a `$defs` entry that refers to itself is the
    expression, and an expression is reached only through a condition's `test`."""
    from support_scope.resources import data_dir, load_schema

    def refs(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str):
                    yield path, value.rsplit("/", 1)[-1]
                elif key not in ("enum", "const"):
                    yield from refs(value, (*path, str(key)))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from refs(value, (*path, str(index)))

    for path in sorted(data_dir("schema").glob("*.schema.json")):
        schema = load_schema(path.name)
        definitions = schema.get("$defs", {})
        graph = {name: {target for _, target in refs(body)} for name, body in definitions.items()}

        def reaches(start: str, goal: str, graph: dict[str, set[str]] = graph) -> bool:
            seen, stack = set(), list(graph.get(start, ()))
            while stack:
                name = stack.pop()
                if name == goal:
                    return True
                if name not in seen:
                    seen.add(name)
                    stack.extend(graph.get(name, ()))
            return False

        recursive = {name for name in definitions if reaches(name, name)}
        assert recursive <= {"expression"}, path.name
        if recursive:
            outside = [where for where, target in refs(schema) if target == "expression"]
            outside = [where for where in outside if where[:2] != ("$defs", "expression")]
            assert outside and all(where[-1] == "test" for where in outside), (path.name, outside)


# --------------------------------------------------------------------------- the screen's facts


def test_what_the_screen_leaves_to_printable_texts() -> None:
    """A printable text holds no invisible character, no surrogate, and no white space but the
    ASCII space: so the screen searches only unprintable texts, and keys printable French texts
    by casefold alone."""
    characters = [chr(code) for code in range(sys.maxunicode + 1)]
    assert [c for c in characters if c.isprintable() and INVISIBLE.match(c)] == []
    assert [c for c in characters if c.isprintable() and 0xD800 <= ord(c) <= 0xDFFF] == []
    assert [c for c in characters if c.isprintable() and c.isspace() and c != " "] == []


def test_nfc_of_texts_joined_by_nul_is_nfc_of_each() -> None:
    rng = random.Random(8)
    pieces = ["e", "a", "\u1100", "\u1161", "\u11a8", "\uac00", "\u0915", "\u093c", "x", "é", "A", ""]
    marks = ["\u0301", "\u0327", "\u0308", "\u0323", "\u0345", "\u0300"]
    for _ in range(5000):
        parts = ["".join(rng.choice(pieces + marks) for _ in range(rng.randint(0, 4))) for _ in range(3)]
        joined = unicodedata.is_normalized("NFC", "\x00".join(parts))
        assert joined == all(unicodedata.is_normalized("NFC", part) for part in parts), parts


# --------------------------------------------------------------------------- seeded mutated documents


def _bases() -> list[dict[str, Any]]:
    with benchmark_module("generate") as generate:
        synthetic: dict[str, Any] = generate.synthetic_policy(12, seed=3)
    shipped: dict[str, Any] = json.loads(SHIPPED_POLICY.read_text(encoding="utf-8"))
    return [shipped, synthetic, small_policy(), _minimal()]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        node = node[step]
    return node


ODD_VALUES: list[Any] = [
    None, True, 0, -1, 1.0, 1.5, 2**70, "", "x", "Bad_Id", "abc\n", "abc\r", "a\x07b", "\ufffe",
    " padded", "e\u0301", "1.0", "1.0.0\n", "fr", "en\n", [], [1, 1], ["fr", "fr"], {}, {"fr": "x"},
    {"en": "x"}, {"fr": "a", "de": "b"},
]  # fmt: skip
ODD_KEYS = ["colour", "de", "EN", "en\n", "fr-CA", "fr\n", "all", "any", "not", "tier", "see", "group"]
WHITE = [" ", "\t", "\n", "\u00a0", "\u2028", "\u3000", "\u202f"]


def _schema_mutation(document: Any, rng: random.Random) -> str:
    """Anything, anywhere: a value replaced or removed, a key added, a string edited, an entry
    repeated, a container emptied, a status flipped, a test made wrong."""
    paths = list(_paths(document))[1:]
    path = rng.choice(paths)
    parent, last = _at(document, path[:-1]), path[-1]
    operation = rng.choice(["replace", "delete", "add-key", "string", "repeat", "empty", "status", "test"])
    if operation == "replace":
        parent[last] = copy.deepcopy(rng.choice(ODD_VALUES))
    elif operation == "delete":
        del parent[last]
    elif operation == "add-key":
        target = parent[last] if isinstance(parent[last], dict) else parent
        if not isinstance(target, dict):
            return "noop"
        target[rng.choice(ODD_KEYS)] = copy.deepcopy(rng.choice(ODD_VALUES))
    elif operation == "string":
        if not isinstance(parent[last], str):
            return "noop"
        value = parent[last]
        parent[last] = rng.choice([value + "\n", " " + value, value.upper(), value + "\x01", ""])
    elif operation == "repeat":
        lists = [p for p in paths if isinstance(_at(document, p), list) and _at(document, p)]
        target = _at(document, rng.choice(lists))
        target.append(copy.deepcopy(rng.choice(target)))
    elif operation == "empty":
        containers = [p for p in paths if isinstance(_at(document, p), (list, dict))]
        _at(document, rng.choice(containers)).clear()
    elif operation == "status":
        items = [p[:-1] for p in paths if p[-1] == "status" and isinstance(_at(document, p[:-1]), dict)]
        if not items:
            return "noop"
        item = _at(document, rng.choice(items))
        item["status"] = "excluded" if item["status"] == "included" else "included"
    else:
        tests = [p[:-1] for p in paths if p[-1] == "test" and isinstance(_at(document, p[:-1]), dict)]
        if not tests:
            return "noop"
        holder = _at(document, rng.choice(tests))
        holder["test"] = rng.choice(
            [
                {"not": holder["test"]},
                {"all": [holder["test"], {"fact": "Bad", "op": "eq", "value": 1}]},
                {"any": []},
                {"all": [holder["test"]], "any": [holder["test"]]},
                {"fact": "active_subscription", "op": "is", "value": True},
                {"fact": "active_subscription", "op": "eq"},
                {"all": [{"any": [{"fact": "a", "op": "lt", "value": [1]}]}]},
                {},
            ]
        )
    return operation


def _entries(document: dict[str, Any], key: str) -> list[dict[str, Any]]:
    if key in ("items", "groups", "notes", "conditions"):
        found = [entry for category in document["categories"] for entry in category.get(key, [])]
        return found + (document["eligibility"]["conditions"] if key == "conditions" else [])
    entries: list[dict[str, Any]] = document[key]
    return entries


def _language_maps(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [value for _, value, _ in language_maps(document) if isinstance(value, dict)]


def _meaning_mutation(document: dict[str, Any], rng: random.Random) -> str:
    """A change aimed at one check of the meaning walk, the schema kept valid as far as it goes."""
    categories = document["categories"]
    category = rng.choice(categories)
    items = category["items"]
    maps = _language_maps(document)
    language_map = rng.choice(maps)
    key = rng.choice(list(language_map))
    operation = rng.choice(
        [
            "duplicate-id", "unknown-tier", "unknown-referral", "unknown-group", "unknown-fact", "fact-type",
            "fact-minimum", "see-unknown-category", "see-unknown-item", "see-chain", "repeated-text",
            "white-space", "not-nfc", "surrogate", "invisible", "too-long", "long-but-legal",
            "missing-language", "extra-language", "tier-cycle", "alias", "harmless", "no-break-space",
        ]
    )  # fmt: skip
    if operation == "duplicate-id":
        kind = rng.choice(["items", "categories", "groups", "notes", "conditions", "tiers", "plans", "facts"])
        pool = _entries(document, kind)
        if len(pool) < 2:
            return "noop"
        rng.choice(pool)["id"] = rng.choice(pool)["id"]
    elif operation == "unknown-tier":
        holder = rng.choice([*[i for i in items if "tier" in i], *document["plans"]])
        holder["tier"] = "gold"
    elif operation == "unknown-referral":
        rng.choice(items).setdefault("referrals", []).append("nobody")
    elif operation == "unknown-group":
        rng.choice(items)["group"] = "no-such-group"
    elif operation in ("unknown-fact", "fact-type"):
        conditions = _entries(document, "conditions")
        if not conditions:
            return "noop"
        test = rng.choice(conditions)["test"]
        while "fact" not in test:
            test = test.get("not") or rng.choice(test.get("all") or test.get("any"))
        if operation == "unknown-fact":
            test["fact"] = "not_declared"
        else:
            test["value"], test["op"] = rng.choice([(1, "eq"), ("x", "eq"), (True, "lt"), (3, "ge")])
    elif operation == "fact-minimum":
        if not document["facts"]:
            return "noop"
        rng.choice(document["facts"])["minimum"] = 0
    elif operation.startswith("see-"):
        item, other = rng.choice(items), rng.choice(categories)
        if operation == "see-unknown-category":
            item["see"] = {"category": "no-such-category", "items": [other["items"][0]["id"]]}
        elif operation == "see-unknown-item":
            item["see"] = {"category": other["id"], "items": ["no-such-item"]}
        else:
            chained = [(c, i) for c in categories for i in c["items"] if "see" in i and i is not item]
            if not chained:
                return "noop"
            holder, target = rng.choice(chained)
            item["see"] = {"category": holder["id"], "items": [target["id"]]}
    elif operation == "repeated-text":
        if len(items) < 2:
            return "noop"
        first, second = rng.sample(items, 2)
        text = first["text"]["fr"]
        second["text"]["fr"] = rng.choice(
            [text, text.upper(), text.replace(" ", "  ", 1), text.replace(" ", "\u00a0", 1), text + "s"]
        )
    elif operation == "white-space":
        space = rng.choice(WHITE)
        language_map[key] = space + language_map[key] if rng.random() < 0.5 else language_map[key] + space
    elif operation == "not-nfc":
        language_map[key] = rng.choice(
            [language_map[key] + " e\u0301", unicodedata.normalize("NFD", "é" + language_map[key])]
        )
    elif operation == "surrogate":
        language_map[key] += rng.choice(["\ud800", "\udfff"])
    elif operation == "invisible":
        language_map[key] += rng.choice(["\u200b", "\u202e", "\u00ad", "\U000e0041"]) + "x"
    elif operation == "too-long":
        language_map[key] = rng.choice(["x" * 32768, "\U0001f600" * 16384 + "x"])
    elif operation == "long-but-legal":
        language_map[key] = rng.choice(["x" * 32767, "\U0001f600" * 16383 + "y", "é" * 20000])
    elif operation == "missing-language":
        language_map.pop("en", None)
    elif operation == "extra-language":
        document["languages"] = [*document["languages"], "de"]
    elif operation == "tier-cycle":
        tier = rng.choice(document["tiers"])
        tier["includes"] = [*tier["includes"], tier["id"]]
    elif operation == "alias":
        tier = rng.choice(document["tiers"])
        tier["aliases"] = [*tier.get("aliases", []), rng.choice(["Alias ", "Ali\u0301as", "ok alias"])]
    elif operation == "no-break-space":
        language_map[key] = language_map[key].replace(" ", "\u00a0", 1)
    else:
        rng.choice(items)["text"]["en"] += " (revised)"
    return operation


def _label(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(render_path(f.path), f.message) for f in findings]


def test_both_engines_word_seeded_mutated_documents_alike() -> None:
    """Every schema finding, word for word, on jsonschema-rs and on the pure-Python engine."""
    if not HAVE_RS:
        pytest.skip(NO_RS)
    rng = random.Random(20261201)
    bases = _bases()
    stats: Counter[str] = Counter()
    for number in range(120):
        document = copy.deepcopy(bases[number % len(bases)])
        applied = [_schema_mutation(document, rng) for _ in range(rng.choice([1, 1, 2, 3]))]
        rs, python = _both_engines(schema_findings, document)
        assert _label(rs) == _label(python), f"document {number} ({'+'.join(applied)})"
        stats["invalid" if rs else "valid"] += 1
    assert stats["invalid"] > 80 and stats["valid"] > 5, stats


def test_the_screen_never_passes_a_document_the_walk_finds_problems_in() -> None:
    """On schema-valid documents, the screen's answer and the walk's are the same findings in
    the same order; both outcomes of the screen are exercised."""
    rng = random.Random(1201)
    bases = _bases()
    stats: Counter[str] = Counter()
    for base in bases:
        assert _screen(copy.deepcopy(base)), "an unmutated base is clean"
    for number in range(300):
        document = copy.deepcopy(bases[number % len(bases)])
        applied = [_meaning_mutation(document, rng) for _ in range(rng.choice([1, 1, 1, 2, 4]))]
        if schema_findings(document):
            stats["schema-invalid"] += 1
            continue
        walked = meaning_findings(document)
        screened = meaning_findings(document, schema_valid=True)
        assert _label(screened) == _label(walked), f"document {number} ({'+'.join(applied)})"
        passed = _screen(document)
        assert not (passed and walked), f"document {number} ({'+'.join(applied)}): the screen passed"
        stats["clean" if not walked else "with findings"] += 1
        stats["screen passed"] += passed
    assert stats["with findings"] > 120 and stats["screen passed"] > 15, stats


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.stem)
def test_the_screen_agrees_with_the_walk_on_the_corpus(path: Path) -> None:
    document = _parsed(path)
    valid = not schema_findings(document)
    assert meaning_findings(document, schema_valid=valid) == meaning_findings(document)
    if valid and isinstance(document, dict) and _screen(document):
        assert meaning_findings(document) == []
