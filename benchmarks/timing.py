"""What every benchmark module shares: the best-of-N timer, subprocess timings and the row shape.

- ``best_of(fn, repeat)``: the fastest of ``repeat`` runs, in seconds. A full collection runs
  before each run; by default the collector is then paused while the run is timed, so that a
  collection triggered by earlier work does not land in one run and not another.
  ``pause_gc=False`` leaves it running (its cost is then part of the figure); ``setup`` runs
  before each run, untimed (to free what the previous run built, for one).
- ``best_of_each(functions, repeat)``: the fastest run of each function, the functions run in
  turn round after round (so that each meets the same load from other work on the machine), in
  CPU seconds of this process by default (``time.process_time``: time the machine gave to
  other work is not counted), the collector paused as in ``best_of``. For ratios measured in
  one run.
- ``support_scope_command()``: the ``support-scope`` console script beside this interpreter,
  else the one on ``PATH``; ``run_command(arguments)`` runs a command to completion, failing
  loudly: with ``best_of`` it times a command in a fresh process, start-up included.
- ``run_child(code, *args)``: runs Python ``code`` in a fresh interpreter and returns the JSON
  object its last output line holds; ``PEAK_MIB`` is the expression a child prints for its peak
  resident memory (``VmHWM``, in MiB).
- ``row(...)``: a table row as ``run.py`` expects it.
"""

from __future__ import annotations

import gc
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# Peak resident memory of the running process in MiB, for a child script (``import resource`` there).
# The child's own high-water mark of resident memory, in MiB. Linux keeps ``ru_maxrss`` across
# fork and exec, so a child started by a large parent (run.py, after the 10,000-category
# benchmarks) would report the parent's size; ``VmHWM`` belongs to the child's new address
# space. ``ru_maxrss`` (KiB on Linux) stays as the fallback where /proc is missing.
PEAK_MIB = (
    "next((int(l.split()[1]) / 1024 for l in open('/proc/self/status') if l.startswith('VmHWM:')), "
    "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
)


def best_of(
    function: Callable[[], Any],
    repeat: int,
    *,
    pause_gc: bool = True,
    setup: Callable[[], Any] | None = None,
) -> float:
    """The fastest of ``repeat`` runs of ``function``, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        if setup is not None:
            setup()
        gc.collect()
        if pause_gc:
            gc.disable()
        try:
            started = time.perf_counter()
            function()
            best = min(best, time.perf_counter() - started)
        finally:
            if pause_gc:
                gc.enable()
    return best


def best_of_each(
    functions: dict[str, Callable[[], Any]],
    repeat: int,
    *,
    clock: Callable[[], float] = time.process_time,
) -> dict[str, float]:
    """The fastest of ``repeat`` runs of each function, by ``clock``, the functions interleaved."""
    best = dict.fromkeys(functions, float("inf"))
    for _ in range(repeat):
        for name, function in functions.items():
            gc.collect()
            gc.disable()
            try:
                started = clock()
                function()
                best[name] = min(best[name], clock() - started)
            finally:
                gc.enable()
    return best


def support_scope_command() -> list[str]:
    """The ``support-scope`` console script: beside this interpreter (a venv), else on ``PATH``."""
    script = Path(sys.executable).with_name("support-scope")
    if script.exists():
        return [str(script)]
    return [shutil.which("support-scope") or "support-scope"]


def run_command(arguments: Sequence[str]) -> None:
    """Runs a command to completion, its output captured; a non-zero exit raises with its stderr."""
    completed = subprocess.run(list(arguments), capture_output=True, check=False)
    if completed.returncode != 0:
        message = completed.stderr.decode(errors="replace").strip()[-500:]
        raise RuntimeError(f"{Path(arguments[0]).name} exited {completed.returncode}: {message}")


def run_child(code: str, *arguments: str) -> dict[str, Any]:
    """Runs ``python -c code arguments...`` and returns the JSON object printed on its last line."""
    completed = subprocess.run(
        [sys.executable, "-c", code, *arguments], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(completed.stderr.strip()[-500:])
    figures: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return figures


def row(
    name: str, size: int | str, seconds: float, budget: float | None = None, note: str = ""
) -> dict[str, Any]:
    """One row of the table (see run.py)."""
    return {"benchmark": name, "size": size, "seconds": seconds, "budget": budget, "note": note}
