"""Run every benchmark (``benchmarks/bench_*.py``) and print one table.

    python benchmarks/run.py                          # every benchmark, sizes 100, 1,000 and 10,000
    python benchmarks/run.py --only validate --sizes 100,1000
    python benchmarks/run.py --format json            # the rows, for machines

Each ``bench_<name>.py`` module defines ``run(sizes: list[int]) -> list[dict]`` returning rows
``{"benchmark": str, "size": int | str, "seconds": float, "budget": float | None, "note": str}``,
``seconds`` being the best of several runs, file reading and imports left out. A module that
raises is reported as a failed row; the others still run.

Exit status: 0 when every benchmark ran, even over budget (this reports; CI does not time
things); 1 when a benchmark failed, or, with ``--strict``, when one is over its budget; 2 for
a usage error.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# The checkout's package first, so that what is measured is the code beside this file; then
# the benchmarks themselves (bench modules import ``generate``), with no install needed.
for entry in (HERE.parent / "tools", HERE):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

DEFAULT_SIZES = [100, 1000, 10000]
COLUMNS = ("benchmark", "size", "seconds", "budget", "verdict", "note")


def discover() -> list[str]:
    """The benchmark names: ``bench_validate.py`` is ``validate``, in name order."""
    return sorted(path.stem.removeprefix("bench_") for path in HERE.glob("bench_*.py"))


def verdict(row: dict[str, Any]) -> str:
    """``ok`` within budget, ``OVER`` beyond it, ``—`` without a budget; ``FAILED`` when it did not
    run, unless the benchmark skipped it on purpose (no seconds and a note starting "skipped")."""
    seconds, budget = row.get("seconds"), row.get("budget")
    if _missing(seconds):
        return "skipped" if str(row.get("note", "")).startswith("skipped") else "FAILED"
    if budget is None:
        return "—"
    return "ok" if seconds <= budget else "OVER"


def _missing(seconds: Any) -> bool:
    return not isinstance(seconds, (int, float)) or math.isnan(seconds)


def run_benchmark(name: str, sizes: list[int]) -> list[dict[str, Any]]:
    """The rows of one benchmark module; a failure becomes one row saying what went wrong."""
    try:
        module = importlib.import_module(f"bench_{name}")
        rows = list(module.run(list(sizes)))
    except Exception as e:
        # One broken benchmark must not hide the others' figures.
        frames = traceback.extract_tb(e.__traceback__)
        # The deepest frame of our own code says most; the library's own frames come after it.
        ours = [frame for frame in frames if Path(frame.filename).parent in (HERE, HERE.parent / "tools")]
        last = (ours or frames)[-1]
        where = f"{Path(last.filename).name}:{last.lineno}"
        return [
            {
                "benchmark": name,
                "size": "—",
                "seconds": math.nan,
                "budget": None,
                "note": f"failed: {type(e).__name__}: {e} ({where})",
            }
        ]
    return rows


def render_table(rows: list[dict[str, Any]]) -> str:
    cells = [list(COLUMNS)]
    for row in rows:
        seconds, budget = row.get("seconds"), row.get("budget")
        cells.append(
            [
                str(row.get("benchmark", "?")),
                f"{row['size']:,}" if isinstance(row.get("size"), int) else str(row.get("size", "")),
                "—" if _missing(seconds) else f"{seconds:.4f}",
                "—" if budget is None else f"{budget:g}",
                verdict(row),
                str(row.get("note", "")),
            ]
        )
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    numeric = {1, 2, 3}
    lines = []
    for number, line in enumerate(cells):
        text = "  ".join(
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i]) for i, cell in enumerate(line)
        )
        lines.append(text.rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def parse_sizes(value: str) -> list[int]:
    try:
        sizes = [int(part.strip().replace("_", "")) for part in value.split(",") if part.strip()]
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of integers: {value!r}") from e
    if not sizes or any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"sizes must be positive integers: {value!r}")
    return sizes


def main(argv: list[str] | None = None) -> int:
    # The commands are timed as an installed package runs them: with its bytecode written once.
    # Without this, an environment that sets the variable recompiles every module at each start
    # (some 40 ms on the cold rows).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    names = discover()
    parser = argparse.ArgumentParser(
        prog="python benchmarks/run.py",
        description="Run the benchmarks (benchmarks/bench_*.py) on synthetic policies and print one table: "
        "seconds are the best of several runs, file reading and imports excluded. Exit 0 when every benchmark "
        "ran, even over budget; 1 when one failed (or, with --strict, is over budget); 2 for a usage error.",
        epilog="example: python benchmarks/run.py --only validate --sizes 100,1000",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=names,
        metavar="NAME",
        help=f"run only this benchmark (repeatable); one of: {', '.join(names) or 'none found'}",
    )
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=DEFAULT_SIZES,
        help="policy sizes in categories, comma-separated (default: 100,1000,10000)",
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a row is over its budget")
    options = parser.parse_args(argv)

    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for name in options.only or names:
        rows.extend(run_benchmark(name, options.sizes))
    elapsed = time.perf_counter() - started
    for row in rows:
        row["verdict"] = verdict(row)
    machine = f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}, {_cores()} cores"
    if options.format == "json":
        clean = [{**row, "seconds": None if _missing(row["seconds"]) else row["seconds"]} for row in rows]
        print(
            json.dumps(
                {"machine": machine, "sizes": options.sizes, "rows": clean}, ensure_ascii=False, indent=2
            )
        )
    else:
        print(render_table(rows))
        print(f"\n{machine}; {len(rows)} rows in {elapsed:.0f} s")
    verdicts = {row["verdict"] for row in rows}
    if "FAILED" in verdicts or (options.strict and "OVER" in verdicts):
        return 1
    return 0


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    sys.exit(main())
