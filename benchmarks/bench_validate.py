"""Validating a policy against the time ``json.loads`` takes on the same file.

Budget: validate (``support_scope.validate.document_findings`` on the parsed document: the schema
and meaning checks that ``validate``, ``check``, ``compile``, ``release``, ``export-xlsx`` and
``import-xlsx`` run) within 2 × ``json.loads`` of the same file, at 1,000 and 10,000 categories.
Both are timed in the same run, in turn round after round, in CPU seconds of this process
(``time.process_time``: on a shared machine, time given to other work is not counted), best of 5
(3 at 10,000). A ``validate`` row's budget is twice the ``json.loads`` figure of its own run, so
the verdict judges the ratio, not absolute seconds; its note gives the ratio and the schema
engine (jsonschema-rs, or the pure-Python fallback where it is not installed).

Rows per size: ``json.loads``; ``validate``; the schema check and the meaning check apart;
validate on the pure-Python fallback (jsonschema-rs set aside, as on a platform without its
wheel; not held to the budget); peers on the same document: jsonschema's Draft202012Validator
alone (every error; 1,000 categories at most, it takes seconds), fastjsonschema alone (the
published schema as is), and ``parse_json`` (which also refuses repeated keys). One more row
times an invalid 1,000-category document, a few dozen errors injected, through
``validate_text``: parsing, every error found and located by line and column.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from generate import policy_path
from support_scope.fileio.jsonfile import dump_json, parse_json
from support_scope.resources import load_schema
from support_scope.validate import document_findings, meaning_findings, schema_findings, validate_text
from support_scope.validate import schema as schema_module
from timing import best_of_each, row

BUDGET_RATIO = 2.0  # validate ≤ 2 × json.loads of the same file
BUDGET_SIZES = (1000, 10000)
# jsonschema takes some 4 s a run on 1,000 categories, ten times that on 10,000: beyond 1,000 it is left out.
JSONSCHEMA_UP_TO = 1000
INVALID_SIZE = 1000


def _repeat(size: int) -> int:
    # Other work on a shared machine slows single runs down; the best of several is the figure that holds.
    return 5 if size <= 1000 else 3


@contextmanager
def _pure_python() -> Iterator[None]:
    """The schema check as where jsonschema-rs is not installed."""
    original = schema_module._rs_module
    schema_module._rs_module = lambda: None  # type: ignore[assignment]
    try:
        yield
    finally:
        schema_module._rs_module = original  # type: ignore[assignment]


def _cpu(function: Callable[[], Any], repeat: int) -> float:
    return best_of_each({"run": function}, repeat)["run"]


def run(sizes: list[int]) -> list[dict[str, Any]]:
    import fastjsonschema
    from jsonschema import Draft202012Validator

    schema = load_schema()
    full = Draft202012Validator(schema)
    fast_schema = {**schema, "$schema": "http://json-schema.org/draft-07/schema#"}
    fast = fastjsonschema.compile(fast_schema, use_default=False, use_formats=False)
    engine = schema_module.engine()

    rows = []
    for size in sizes:
        path = policy_path(size)
        text = path.read_text(encoding="utf-8")
        document = json.loads(text)
        repeat = _repeat(size)
        how = f"CPU s, best of {repeat}"
        findings = document_findings(document)  # the validators built, outside the timing
        figures = best_of_each(
            {"loads": partial(json.loads, text), "validate": partial(document_findings, document)}, repeat
        )
        loads, validate = figures["loads"], figures["validate"]
        rows.append(
            row(
                "json.loads",
                size,
                loads,
                note=f"parsing the {len(text.encode()) / 1e6:.1f} MB file; {how}, in turn with validate",
            )
        )
        budget = round(BUDGET_RATIO * loads, 4) if size in BUDGET_SIZES else None
        rows.append(
            row(
                "validate",
                size,
                validate,
                budget,
                f"{validate / loads:.2f} × json.loads (budget {BUDGET_RATIO:g} ×); schema + meaning, "
                f"{len(findings)} findings; {engine}; {how}",
            )
        )
        parts = best_of_each(
            {
                "schema": partial(schema_findings, document),
                "meaning": partial(meaning_findings, document, schema_valid=True),
            },
            repeat,
        )
        rows.append(
            row(
                "  schema check",
                size,
                parts["schema"],
                note=f"{parts['schema'] / loads:.2f} × json.loads; {engine}",
            )
        )
        rows.append(
            row(
                "  meaning check",
                size,
                parts["meaning"],
                note=f"{parts['meaning'] / loads:.2f} × json.loads; the screen (a clean document)",
            )
        )
        with _pure_python():
            document_findings(document)  # fastjsonschema compiles its validators, outside the timing
            seconds = _cpu(partial(document_findings, document), repeat)
        rows.append(
            row(
                "  validate, pure-Python fallback",
                size,
                seconds,
                note=f"{seconds / loads:.2f} × json.loads; jsonschema-rs set aside (no wheel); not held to the budget",
            )
        )
        if size <= JSONSCHEMA_UP_TO:
            # Seconds a run: one run says enough, several would double the whole benchmark.
            runs = 1 if size >= 1000 else repeat
            seconds = _cpu(partial(_every_error, full, document), runs)
            note = f"schema only, every error; CPU s, best of {runs}"
            rows.append(row("  jsonschema Draft202012Validator", size, seconds, note=note))
        else:
            note = "skipped: ~10 times the 1,000 run; the fallback runs it only on invalid documents"
            rows.append(row("  jsonschema Draft202012Validator", size, float("nan"), note=note))
        seconds = _cpu(partial(fast, document), repeat)
        rows.append(
            row(
                "  fastjsonschema alone",
                size,
                seconds,
                note=f"the published schema as is; stops at the first error; {how}",
            )
        )
        seconds = _cpu(partial(parse_json, text, path.name), repeat)
        rows.append(
            row(
                "  files.parse_json",
                size,
                seconds,
                note=f"parsing, refusing repeated keys (file reading); {how}",
            )
        )
        del document, text
    if sizes:
        size = INVALID_SIZE if INVALID_SIZE in sizes else min(sizes)
        text = dump_json(_broken(json.loads(policy_path(size).read_text(encoding="utf-8"))))
        count = len(validate_text(text, "invalid.json").problems)
        seconds = _cpu(partial(validate_text, text, "invalid.json"), _repeat(size))
        rows.append(
            row(
                "validate, invalid",
                size,
                seconds,
                note=f"validate_text: parse, {count} problems found and located; CPU s",
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
