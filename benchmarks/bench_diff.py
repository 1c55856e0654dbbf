"""Diffing two policy versions: matched by id, every change classified.

The pair for each size is the synthetic policy and a copy of it with about 2% of its items
changed (tiers raised and lowered, French and English wording, items removed, added and
excluded) and about 1% of its categories moved. Rows:

- ``diff``: ``support_scope.changes.differ.diff_documents`` on the two parsed documents (budget 0.5 s
  at 10,000 categories);
- ``diff command``: ``support-scope diff OLD NEW --format json`` as a subprocess, reading both
  files (budget 2 s at 10,000 categories);
- peers, on the 100-category pair: ``DeepDiff(old, new)`` and ``DeepDiff(old, new,
  ignore_order=True)``, which match lists by position or by hashing and so report moved
  categories as changes, and classify nothing.
"""

from __future__ import annotations

import copy
import random
import sys
from pathlib import Path
from typing import Any

from generate import DATA_DIR, synthetic_policy
from support_scope.changes.differ import diff_documents
from support_scope.fileio.atomic import write_atomic
from support_scope.fileio.jsonfile import dump_json
from timing import best_of, row, run_command, support_scope_command

BUDGETS = {10000: 0.5}
COMMAND_BUDGETS = {10000: 2.0}
PEER_SIZE = 100
CHANGED_ITEMS = 0.02
MOVED_CATEGORIES = 0.01


def edited(document: dict[str, Any], seed: int = 1) -> dict[str, Any]:
    """A new version of ``document``: ~2% of the items changed, ~1% of the categories moved."""
    rng = random.Random(seed)
    new = copy.deepcopy(document)
    new["version"] = "2.0.0"
    categories = new["categories"]
    items = [(category, item) for category in categories for item in category["items"]]
    for number, (category, item) in enumerate(rng.sample(items, max(1, int(len(items) * CHANGED_ITEMS)))):
        kind = number % 6
        if kind == 0 and item.get("status") == "included":
            item["tier"] = "extended" if item["tier"] != "extended" else "standard"
        elif kind == 1:
            item["text"]["fr"] = item["text"]["fr"] + " (révisé)"
        elif kind == 2:
            item["text"]["en"] = "Revised: " + item["text"]["en"]
        elif kind == 3 and "see" not in item and len(category["items"]) > 1:
            category["items"].remove(item)
        elif kind == 4:
            clone = copy.deepcopy(item)
            clone["id"] = item["id"] + "-bis"
            clone["text"] = {"fr": item["text"]["fr"] + " (nouveau)", "en": item["text"]["en"] + " (new)"}
            clone.pop("see", None)
            category["items"].append(clone)
        else:
            item["provenance"] = {**item["provenance"], "line": item["provenance"]["line"] + 1}
    for _ in range(max(1, int(len(categories) * MOVED_CATEGORIES))):
        moved = categories.pop(rng.randrange(len(categories)))
        categories.insert(rng.randrange(len(categories) + 1), moved)
    return new


def _pair_files(size: int, old: dict[str, Any], new: dict[str, Any]) -> tuple[Path, Path]:
    old_path, new_path = DATA_DIR / f"diff-old-{size}.json", DATA_DIR / f"diff-new-{size}.json"
    DATA_DIR.mkdir(parents=True, exist_ok=True)  # a fresh clone has no benchmarks/.data
    write_atomic(old_path, dump_json(old).encode("utf-8"))
    write_atomic(new_path, dump_json(new).encode("utf-8"))
    return old_path, new_path


def run(sizes: list[int]) -> list[dict[str, Any]]:
    rows = []
    for size in sizes:
        old = synthetic_policy(size)
        new = edited(old)
        result = diff_documents(old, new)
        counts = ", ".join(f"{result.count(s)} {s}" for s in ("breaking", "additive", "editorial"))
        repeat = 3 if size <= 1000 else 2
        seconds = best_of(lambda old=old, new=new: diff_documents(old, new), repeat)
        note = f"parsed documents; {len(result.changes)} changes ({counts}); best of {repeat}"
        rows.append(row("diff", size, seconds, BUDGETS.get(size), note))
        old_path, new_path = _pair_files(size, old, new)
        command = [*support_scope_command(), "diff", str(old_path), str(new_path), "--format", "json"]
        seconds = best_of(lambda command=command: run_command(command), 2)
        note = "support-scope diff OLD NEW --format json, subprocess: start-up, reading, output"
        rows.append(row("diff command", size, seconds, COMMAND_BUDGETS.get(size), note))
    rows += _peers()
    return rows


def _peers() -> list[dict[str, Any]]:
    from deepdiff import DeepDiff

    old = synthetic_policy(PEER_SIZE)
    new = edited(old)
    ours = best_of(lambda: diff_documents(old, new), 3)
    rows = [row("peer: diff (ours, same pair)", PEER_SIZE, ours, note="baseline for the two rows below")]
    peers = (
        ("DeepDiff(old, new)", {}, "lists matched by position: moved categories and items show as changes"),
        (
            "DeepDiff(old, new, ignore_order=True)",
            {"ignore_order": True},
            "lists matched by hash: a changed record shows as one removed and one added",
        ),
    )
    for name, options, how in peers:
        found: dict[str, Any] = {}

        def compare(options: dict[str, Any] = options, found: dict[str, Any] = found) -> None:
            found["delta"] = DeepDiff(old, new, **options)

        seconds = best_of(compare, 1)
        reported = sum(len(v) for v in found["delta"].values())
        note = f"peer; {reported} differences, unclassified; {how}; {seconds / ours:.0f}x ours"
        rows.append(row(f"peer: {name}", PEER_SIZE, seconds, note=note))
    return rows


if __name__ == "__main__":
    for line in run([int(arg) for arg in sys.argv[1:]] or [100, 1000, 10000]):
        print(f"{line['benchmark']:45} {line['size']!s:>6} {line['seconds']:8.3f}s  {line['note']}")
