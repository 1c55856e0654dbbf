"""Validating a policy: schema and meaning checks together, file reading and imports left out.

Rows per size: ``support_scope.validate.document_findings`` (what ``support-scope validate``
runs on a parsed document; budget 0.3 s for 1,000 categories and 3 s for 10,000), and, for
comparison, on the same document: jsonschema's Draft202012Validator alone, fastjsonschema alone,
``json.loads`` of the file and ``support_scope.fileio.jsonfile.parse_json`` (which also refuses repeated
keys). One more row times an invalid 1,000-category document, a few dozen errors injected,
through ``validate_text``: parsing, every error found and located by line and column.
"""

from __future__ import annotations

import copy
import json
from functools import partial
from typing import Any

from generate import policy_path
from support_scope.fileio.jsonfile import dump_json, parse_json
from support_scope.resources import load_schema
from support_scope.validate import document_findings, validate_text
from timing import best_of, row

BUDGETS = {1000: 0.3, 10000: 3.0}
# jsonschema takes some 4 s a run on 1,000 categories, ten times that on 10,000: beyond 1,000 it is left out.
JSONSCHEMA_UP_TO = 1000
INVALID_SIZE = 1000


def _repeat(size: int) -> int:
    # Other work on a shared machine slows single runs down; the best of several is the figure that holds.
    return 5 if size <= 1000 else 3


def run(sizes: list[int]) -> list[dict[str, Any]]:
    import fastjsonschema
    from jsonschema import Draft202012Validator

    schema = load_schema()
    full = Draft202012Validator(schema)
    fast_schema = {**schema, "$schema": "http://json-schema.org/draft-07/schema#"}
    fast = fastjsonschema.compile(fast_schema, use_default=False, use_formats=False)

    rows = []
    for size in sizes:
        path = policy_path(size)
        text = path.read_text(encoding="utf-8")
        document = json.loads(text)
        repeat = _repeat(size)
        findings = document_findings(document)  # warms the compiled validators up, outside the timing
        note = f"schema + meaning, {len(findings)} findings, best of {repeat}"
        seconds = best_of(partial(document_findings, document), repeat)
        rows.append(row("validate", size, seconds, BUDGETS.get(size), note))
        if size <= JSONSCHEMA_UP_TO:
            # Seconds a run: one run says enough, several would double the whole benchmark.
            runs = 1 if size >= 1000 else repeat
            seconds = best_of(partial(_every_error, full, document), runs)
            note = f"schema only, every error, best of {runs}"
            rows.append(row("  jsonschema Draft202012Validator", size, seconds, note=note))
        else:
            note = "skipped: ~10 times the 1,000 run; validate runs it only on invalid documents"
            rows.append(row("  jsonschema Draft202012Validator", size, float("nan"), note=note))
        seconds = best_of(partial(fast, document), repeat)
        rows.append(
            row(
                "  fastjsonschema alone",
                size,
                seconds,
                note="the published schema as is; stops at the first error",
            )
        )
        seconds = best_of(partial(json.loads, text), repeat)
        rows.append(
            row("  json.loads", size, seconds, note=f"parsing the {len(text.encode()) / 1e6:.1f} MB file")
        )
        seconds = best_of(partial(parse_json, text, path.name), repeat)
        rows.append(
            row("  files.parse_json", size, seconds, note="parsing, refusing repeated keys (file reading)")
        )
        del document, text
    if sizes:
        size = INVALID_SIZE if INVALID_SIZE in sizes else min(sizes)
        text = dump_json(_broken(json.loads(policy_path(size).read_text(encoding="utf-8"))))
        count = len(validate_text(text, "invalid.json").problems)
        seconds = best_of(partial(validate_text, text, "invalid.json"), _repeat(size))
        rows.append(
            row(
                "validate, invalid",
                size,
                seconds,
                note=f"validate_text: parse, {count} problems found and located",
            )
        )
    return rows


def _every_error(validator: Any, document: Any) -> list[Any]:
    return list(validator.iter_errors(document))


def _broken(document: dict[str, Any]) -> dict[str, Any]:
    """The document with a few dozen errors of every kind, spread over its categories."""
    document = copy.deepcopy(document)
    categories = document["categories"]
    step = max(1, len(categories) // 8)
    for number, category in enumerate(categories[::step][:8]):
        items = category["items"]
        included = next(item for item in items if item["status"] == "included")
        excluded = next(item for item in items if item["status"] == "excluded")
        included["tier"] = "gold"  # unknown tier
        excluded["tier"] = "standard"  # schema: an excluded item has no tier
        items[-1]["id"] = items[0]["id"]  # duplicate id
        items[1]["text"]["fr"] = items[2]["text"]["fr"]  # repeated text
        items[3]["text"]["en"] = " " + items[3]["text"]["en"]  # white space
        items[4]["referrals"] = ["nobody"]  # unknown referral
        del items[5]["provenance"]  # schema: missing required property
        category["id"] = f"Bad_Id_{number}"  # schema: not a slug
    return document
