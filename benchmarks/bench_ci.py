"""What CI and pre-commit run on every commit: `support-scope check`, and the decision tests.

Rows:

- ``check command``: ``support-scope check`` on the shipped repository (this checkout: its
  policy validated, its release verified and recompiled, the version and CHANGELOG checked, its
  decision tests run when it has some) in a fresh process, best of 7; budget 0.5 s (pre-commit
  runs it on every commit). The package's bytecode is cached as an install leaves it (the
  benchmark drops ``PYTHONDONTWRITEBYTECODE`` for its children); the schema validators are built
  in the process (jsonschema-rs: a few milliseconds). ``check command, pure-Python fallback`` is
  the same with jsonschema-rs set aside, as on a platform without its wheel (fastjsonschema
  compiles its validators in every run).
- ``check command, 110 decision tests``: the same on a copy of the repository that also holds a
  conformance-sized file of decision tests (110 cases over the shipped policy).
- ``decision tests``: ``run_tests`` of that file in-process (the file read and checked against its
  schema, the policy compiled in memory, 110 questions asked and compared, coverage); budget 0.5 s.
- ``test command``: ``support-scope test FILE`` in a fresh process, start-up included.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from generate import DATA_DIR
from support_scope.fileio.jsonfile import dump_json
from timing import best_of, row, support_scope_command

REPO = Path(__file__).resolve().parents[1]
CHECK_BUDGET = 0.5
TESTS_BUDGET = 0.5
CASES = 110


def conformance_sized(path: Path, cases: int = CASES) -> Path:
    """A file of ``cases`` decision tests over the shipped policy (the answers its release gives)."""
    from support_scope.decisiontests import policy_ruleset
    from support_scope.project import read_document

    document, text = read_document(REPO / "policies" / "act-premium-support-scope.json", "policy")
    ruleset = policy_ruleset(document, text, "policy")
    rng = random.Random(14)
    pairs = list(ruleset.rules())
    written = []
    for number in range(cases):
        category, item = pairs[number % len(pairs)]
        plan = rng.choice(sorted(ruleset.plans))
        context = {"active_subscription": True, "supported_platform": rng.choice([True, False, None])}
        question = {
            "plan": plan,
            "category": category,
            "item": item,
            "product": "act-premium",
            "context": context,
        }
        decision = ruleset.decide(**question).to_json()  # type: ignore[arg-type]
        expect: dict[str, Any] = {"outcome": decision["outcome"], "tier": decision["tier"]}
        if decision["referrals"]:
            expect["referrals"] = [r["id"] for r in decision["referrals"]]
        written.append(
            {
                "id": f"case-{number}",
                "source": [decision["citation"]["provenance"]["line"]],
                "question": question,
                "expect": expect,
            }
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        dump_json({"description": "benchmark: conformance-sized", "cases": written}), encoding="utf-8"
    )
    return path


def _timed_command(arguments: list[str], env: dict[str, str], repeat: int, expect_ok: bool = True) -> float:
    def once() -> None:
        completed = subprocess.run(arguments, capture_output=True, env=env, check=False)
        if expect_ok and completed.returncode != 0:
            raise RuntimeError(
                completed.stdout.decode(errors="replace")[-400:]
                + completed.stderr.decode(errors="replace")[-400:]
            )

    return best_of(once, repeat)


# The command line with jsonschema-rs set aside, as on a platform without its wheel.
_FALLBACK = (
    "import sys; import support_scope.validate.schema as s; s._rs_module = lambda: None; "
    "from support_scope.cli.main import main; sys.exit(main(sys.argv[1:]))"
)


def run(sizes: list[int]) -> list[dict[str, Any]]:
    command = support_scope_command()
    tests = conformance_sized(DATA_DIR / "decision-tests-110.json")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as scratch:
        # As an installed package runs: its modules' bytecode cached (pip compiles it on install).
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        subprocess.run([*command, "check", "--root", str(REPO)], capture_output=True, env=env, check=False)
        seconds = _timed_command([*command, "check", "--root", str(REPO)], env, 7)
        rows.append(
            row(
                "check command",
                "shipped",
                seconds,
                CHECK_BUDGET,
                "support-scope check, whole command, fresh process; best of 7",
            )
        )
        fallback = [sys.executable, "-c", _FALLBACK, "check", "--root", str(REPO)]
        seconds = _timed_command(fallback, env, 3)
        rows.append(
            row(
                "  check command, pure-Python fallback",
                "shipped",
                seconds,
                note="jsonschema-rs set aside: fastjsonschema compiles the validators in every run; best of 3",
            )
        )
        project = Path(scratch) / "project"
        for name in ("policies", "releases"):
            shutil.copytree(REPO / name, project / name)
        shutil.copy(REPO / "CHANGELOG.md", project / "CHANGELOG.md")
        (project / "tests" / "decisions").mkdir(parents=True)
        shutil.copy(tests, project / "tests" / "decisions" / "conformance-sized.json")
        with_tests = _timed_command([*command, "check", "--root", str(project)], env, 7)
        rows.append(
            row(
                "check command, 110 decision tests",
                "shipped",
                with_tests,
                CHECK_BUDGET,
                "a copy of the repository with a conformance-sized file; best of 7",
            )
        )

        from support_scope.decisiontests import policy_ruleset, read_test_file, run_tests
        from support_scope.project import read_document

        def in_process() -> None:
            document, text = read_document(REPO / "policies" / "act-premium-support-scope.json", "policy")
            ruleset = policy_ruleset(document, text, "policy")
            report = run_tests(ruleset, [read_test_file(tests)], "policy")
            if not report.ok:
                raise RuntimeError(f"the benchmark's decision tests failed: {report.summary()}")

        in_process()  # imports and the validators' cache, outside the timing
        seconds = best_of(in_process, 5)
        rows.append(
            row(
                "decision tests",
                CASES,
                seconds,
                TESTS_BUDGET,
                "run_tests in-process: file checked, policy compiled in memory, 110 cases, coverage",
            )
        )
        whole = _timed_command([*command, "test", str(tests), "--root", str(REPO)], env, 5)
        rows.append(
            row("  test command", CASES, whole, note="support-scope test FILE, whole command; best of 5")
        )
        data = json.loads(tests.read_text(encoding="utf-8"))
        assert len(data["cases"]) == CASES
    return rows
