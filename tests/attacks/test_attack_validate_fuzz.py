"""A bounded, seeded fuzz of ``validate``: a located report or clean acceptance, never a traceback.

Each example is a small valid policy (two categories of the shipped one) changed in one to three
ways: a value anywhere replaced by another (of another type, a text with a line break, an
invisible or bidirectional character, a lone surrogate, a control character, 40,000 characters,
a condition test nested 33, 150 or 400 deep, ...), a member removed or added, an id repeated;
or its text cut, given a byte order mark, a repeated key, NaN, a 5,000-digit number. Whatever
comes out, ``validate_text`` returns problems that each name the file and, when the text
parses, the place (``file:line:col $.path``), or none: it never raises.

Hypothesis runs it derandomized (the same 2,000 documents on every run, no example database),
so that CI is reproducible; ``FUZZ_EXAMPLES`` raises the count for a longer hunt.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import random
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attacks.hostile import REPO

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2000"))
DISPLAY = "p.json"
LOCATED = re.compile(r"^p\.json(:\d+:\d+)?( \$[^\n]*?)?: \S")


def _base() -> dict[str, Any]:
    """Two categories of three items of the shipped policy, and what they need: valid, small
    (an invalid document is checked by jsonschema, some 100 times slower than a valid one)."""
    document = json.loads((REPO / "policies" / "act-premium-support-scope.json").read_text(encoding="utf-8"))
    document["categories"] = [document["categories"][0], document["categories"][1]]
    for category in document["categories"]:
        category["items"] = category["items"][:3]
        kept = {item["id"] for item in category["items"]}
        for key in ("conditions", "notes"):  # the lines they name (policies of format 2 and later)
            for record in category.get(key, []):
                if "items" in record:
                    record["items"] = [item for item in record["items"] if item in kept]
                    if not record["items"]:
                        del record["items"]
    document["products"] = document["products"][:2]
    named = {
        c["term"]
        for category in document["categories"]
        for c in category.get("conditions", [])
        if "term" in c
    }
    document["general_terms"] = [
        *[t for t in document["general_terms"] if t["kind"] == "billable-service"][:1],
        *[t for t in document["general_terms"] if t["id"] in named],  # the terms conditions name
    ]
    document["referrals"] = document["referrals"][:1]
    document.pop("source", None)
    return document


BASE = _base()
BASE_TEXT = json.dumps(BASE, ensure_ascii=False, indent=2) + "\n"


def _condition(depth: int) -> Any:
    test: Any = {"fact": "active_subscription", "op": "eq", "value": True}
    for level in range(depth):
        test = {"not": test} if level % 3 == 2 else {("all", "any")[level % 2]: [test]}
    return test


TEXTS = [
    "",
    " ",
    "a\n",
    "act-premium-support-scope\n",
    "1.0.0\n",
    "2.0.0-" + "a" * 300,
    "1" * 30 + ".0.0",
    "x\u202ey",
    "\u200b",
    "a\u200db",
    "\ud800",
    "\x01",
    "é" * 40_000,
    "standard",
    "extended",
    "gold",
    "eligibility",
    "eq",
    "desktop-setup",
    "=1+1",
    "\u2028",
    "../x",
]


def _value(rnd: random.Random, depth: int = 0) -> Any:
    """A value of any JSON type, often one a policy must refuse."""
    kind = rnd.randrange(12 if depth < 2 else 8)
    if kind == 0:
        return None
    if kind == 1:
        return rnd.random() < 0.5
    if kind == 2:
        return rnd.choice([0, -1, 1, 2, 10**20, -(10**20), 4300])
    if kind == 3:
        return rnd.uniform(-1e9, 1e9)
    if kind in (4, 5, 6):
        return rnd.choice(TEXTS)
    if kind == 7:
        return "".join(chr(rnd.randrange(32, 0x3000)) for _ in range(rnd.randrange(6)))
    if kind == 8:
        return [_value(rnd, depth + 1) for _ in range(rnd.randrange(3))]
    if kind == 9:
        return {
            rnd.choice(["fr", "en", "id", "x", "op", "fact", "value"]): _value(rnd, depth + 1)
            for _ in range(rnd.randrange(3))
        }
    if kind == 10:
        return _condition(rnd.choice([31, 33, 150, 400]))
    return {
        "fact": rnd.choice(["active_subscription", "days_since_first_invoice", "nope"]),
        "op": rnd.choice(["eq", "le", "in", "??"]),
        "value": _value(rnd, depth + 1),
    }


def _walk(document: Any, rnd: random.Random) -> tuple[Any, Any]:
    """A random (container, key) inside ``document``, at any depth."""
    parent: Any = None
    key: Any = None
    node = document
    for _ in range(rnd.randrange(1, 9)):
        if isinstance(node, dict) and node:
            parent, key = node, rnd.choice(sorted(node))
        elif isinstance(node, list) and node:
            parent, key = node, rnd.randrange(len(node))
        else:
            break
        node = parent[key]
    return parent, key


def _change(document: dict[str, Any], rnd: random.Random) -> None:
    parent, key = _walk(document, rnd)
    if parent is None:
        return
    kind = rnd.choice(["replace", "replace", "replace", "delete", "add", "repeat-id"])
    if kind == "replace":
        parent[key] = _value(rnd)
    elif kind == "delete":
        del parent[key]
    elif kind == "add":
        if isinstance(parent, dict):
            parent[rnd.choice(["extra", "id", "tier", "test", "minimum", "en"])] = _value(rnd)
        else:
            parent.insert(key, _value(rnd))
    elif isinstance(parent, list) and len(parent) > 1:
        first, other = parent[0], parent[rnd.randrange(1, len(parent))]
        if isinstance(first, dict) and isinstance(other, dict) and "id" in first:
            other["id"] = first["id"]


def _texts(node: Any, found: list[tuple[dict[str, Any], str]]) -> list[tuple[dict[str, Any], str]]:
    """Every (language map, language) of ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("fr", "en") and isinstance(value, str):
                found.append((node, key))
            else:
                _texts(value, found)
    elif isinstance(node, list):
        for value in node:
            _texts(value, found)
    return found


_WORDS = [
    "assistance",
    "données",
    "Act!",
    "client",
    "installation",
    "rapport",
    "réseau",
    "licence",
    "«",
    "»",
    "2",
]


def _benign(document: dict[str, Any], rnd: random.Random) -> None:
    """A change a reviewer makes: a text reworded, two items swapped, a tier moved."""
    kind = rnd.randrange(3)
    if kind == 0:
        language_map, language = rnd.choice(_texts(document, []))
        language_map[language] = (
            " ".join(rnd.choice(_WORDS) for _ in range(rnd.randint(1, 8))) + f" {rnd.randrange(10**6)}"
        )
    elif kind == 1:
        items = rnd.choice(document["categories"])["items"]
        i, j = rnd.randrange(len(items)), rnd.randrange(len(items))
        items[i], items[j] = items[j], items[i]
    else:
        included = [i for c in document["categories"] for i in c["items"] if i["status"] == "included"]
        rnd.choice(included)["tier"] = rnd.choice(["self-service", "standard", "extended"])


def _edit_text(text: str, rnd: random.Random) -> str:
    kind = rnd.choice(["cut", "bom", "repeat-key", "nan", "digits", "garbage", "nest"])
    at = rnd.randrange(len(text) + 1)
    if kind == "cut":
        return text[:at]
    if kind == "bom":
        return "\ufeff" + text
    if kind == "repeat-key":
        line = text.find('"id": ', at)
        return text if line < 0 else text[:line] + '"id": "again", ' + text[line:]
    if kind == "nan":
        return text[:at] + re.sub(r": -?\d+", ": NaN", text[at:], count=1)
    if kind == "digits":
        return text[:at] + re.sub(r": \d+", ": 1" + "0" * 4999, text[at:], count=1)
    if kind == "nest":
        return text[:at] + "[" * 5000 + text[at:]
    return text[:at] + rnd.choice(["}", "{", ",", "]", '"', "\\", "\x00"]) + text[at:]


_seen: set[str] = set()
_runs = [0]
_outcomes = {"accepted": 0, "refused": 0}


@settings(
    max_examples=EXAMPLES * 5 // 4,  # some seeds give a document seen already (a text cut short, ...)
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(seed=st.integers(0, 2**64))
def _validate_a_changed_policy(seed: int) -> None:
    """One document: the changes drawn from a generator seeded by ``seed`` (Hypothesis shows
    the seed of a failure: the document is made again with it)."""
    from support_scope.validate import validate_text

    rnd = random.Random(seed)
    document = copy.deepcopy(BASE)
    for _ in range(rnd.randint(1, 3)):  # a reviewer's changes first, on a valid document
        _benign(document, rnd)
    for _ in range(rnd.choice([0, 0, 1, 1, 1, 2, 3])):  # then damage, two documents in three
        _change(document, rnd)
    try:
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    except (ValueError, RecursionError):
        text = BASE_TEXT
    if rnd.randrange(6) == 0:  # one document in six is also damaged as text
        text = _edit_text(text, rnd)
    _runs[0] += 1
    _seen.add(hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())
    result = validate_text(text, DISPLAY)
    _outcomes["refused" if result.problems else "accepted"] += 1
    for problem in result.problems:
        shown = str(problem)
        assert LOCATED.match(shown), f"not located: {shown[:300]!r}"
    if not result.problems:
        assert result.ok


def test_validate_never_raises_on_a_changed_policy() -> None:
    assert validate_text_ok(BASE_TEXT)
    _validate_a_changed_policy()
    assert _runs[0] >= EXAMPLES, f"only {_runs[0]} documents were validated"
    assert len(_seen) >= EXAMPLES, f"only {len(_seen)} distinct documents"
    print(f"{_runs[0]} documents, {len(_seen)} distinct: {_outcomes}")
    assert min(_outcomes.values()) > EXAMPLES // 20, _outcomes  # both verdicts well exercised


def validate_text_ok(text: str) -> bool:
    from support_scope.validate import validate_text

    result = validate_text(text, DISPLAY)
    return bool(result.ok) and not result.problems
