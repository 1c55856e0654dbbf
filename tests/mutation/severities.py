"""Mutation run over the diff's rule table: every severity flipped in turn must fail a test.

A severity that can be changed without any test failing is a severity nobody checks: a
breaking change could then ship as a patch and ``check`` would let it through. For each rule
of ``support_scope.changes.rules.RULES`` and each other severity, the tests that judge
severities run with that one rule flipped (``plugin.py``); the mutant must be *killed* (some
test fails). Prints a table and exits 1 when a mutant survives.

    python tests/mutation/severities.py              # every rule, both other severities
    python tests/mutation/severities.py --jobs 2     # two at a time
    python tests/mutation/severities.py --rules item-added,condition-added
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEVERITIES = ("breaking", "additive", "editorial")
# The tests that judge severities: the per-rule cases, and release/check, which act on them.
TESTS = ["tests/test_diff.py", "tests/test_versions.py"]


def run(rule: str, severity: str) -> tuple[str, str, bool, float]:
    """(rule, severity, killed, seconds) for one mutant."""
    env = {
        **os.environ,
        "SUPPORT_SCOPE_MUTANT": f"{rule}:{severity}",
        "PYTHONPATH": str(Path(__file__).parent),
    }
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "plugin", *TESTS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    # Exit 1: some test failed (killed); 0: every test passed (the mutant survived).
    if completed.returncode not in (0, 1):
        raise SystemExit(
            f"pytest could not run for {rule}:{severity}:\n{completed.stdout}\n{completed.stderr}"
        )
    return rule, severity, completed.returncode == 1, time.perf_counter() - started


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at a time (default 2)")
    parser.add_argument("--rules", default="", help="comma-separated rule ids (default: every rule)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "tools"))
    from support_scope.changes.rules import RULES

    rules = [r for r in args.rules.split(",") if r] or sorted(RULES)
    mutants = [
        (rule, severity) for rule in rules for severity in SEVERITIES if severity != RULES[rule].severity
    ]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda m: run(*m), mutants))
    survivors = [(rule, severity) for rule, severity, killed, _ in results if not killed]
    width = max(len(rule) for rule in rules)
    print(f"{'rule':{width}}  {'table':9}  {'flipped to':10}  verdict")
    for rule, severity, killed, seconds in results:
        print(
            f"{rule:{width}}  {RULES[rule].severity:9}  {severity:10}  {'killed' if killed else 'SURVIVED'} ({seconds:.1f} s)"
        )
    print(
        f"\n{len(results) - len(survivors)} of {len(results)} severity flips caught by a test "
        f"({len(rules)} rules, {time.perf_counter() - started:.0f} s)"
    )
    return 1 if survivors else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
