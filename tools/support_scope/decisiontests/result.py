"""What a run of decision tests found: each case's verdict, located, and the coverage of the policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from support_scope.model.paths import JsonPath
from support_scope.problems import Problem

CaseStatus = Literal["passed", "failed", "error"]

# The rule ids of what a run reports (``support-scope test --format sarif`` lists them).
FAILED = "decision-test-failed"
ERROR = "decision-test-error"
COVERAGE = "decision-test-coverage"


@dataclass(frozen=True)
class Failure:
    """One expectation a decision did not keep (or why the question could not be asked)."""

    key: str  # the expectation ("outcome", "tier", ...) or "question"
    message: str
    path: JsonPath
    line: int
    column: int


@dataclass(frozen=True)
class CaseResult:
    """The verdict on one case: passed, failed (an expectation not kept) or error (not asked)."""

    file: str
    index: int
    id: str
    line: int
    column: int
    status: CaseStatus
    failures: tuple[Failure, ...] = ()
    why: str | None = None
    source: tuple[int, ...] = ()
    decision: dict[str, Any] | None = None

    @property
    def problems(self) -> list[Problem]:
        """Each failure as a problem located at its line (``file:line:col $.cases[i].expect.key``)."""
        rule = ERROR if self.status == "error" else FAILED
        return [
            Problem(self.file, f"case {self.id!r}: {f.message}", rule, f.path, f.line, f.column)
            for f in self.failures
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "id": self.id,
            "line": self.line,
            "column": self.column,
            "status": self.status,
            "source": list(self.source),
            "why": self.why,
            "failures": [
                {"expectation": f.key, "message": f.message, "line": f.line, "column": f.column}
                for f in self.failures
            ],
            "decision": self.decision,
        }


@dataclass(frozen=True)
class Measure:
    """One dimension of coverage: what the cases touch of what the policy has."""

    name: str
    covered: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def total(self) -> int:
        return len(self.covered) + len(self.missing)

    @property
    def percent(self) -> float | None:
        return 100.0 * len(self.covered) / self.total if self.total else None

    def __str__(self) -> str:
        percent = self.percent
        shown = f" ({percent:.1f}%)" if percent is not None else ""
        return f"{self.name} {len(self.covered)}/{self.total}{shown}"

    def to_json(self) -> dict[str, Any]:
        return {
            "covered": list(self.covered),
            "missing": list(self.missing),
            "total": self.total,
            "percent": round(self.percent, 1) if self.percent is not None else None,
        }


@dataclass(frozen=True)
class Coverage:
    """Which items, request kinds and conditions of the policy the cases touch.

    The figure is the mean of the measured dimensions' percentages (each counts the same,
    however many items the policy has); a dimension the policy has nothing of is left out.
    """

    measures: tuple[Measure, ...]

    @property
    def percent(self) -> float:
        figures = [m.percent for m in self.measures if m.percent is not None]
        return round(sum(figures) / len(figures), 1) if figures else 100.0

    def __str__(self) -> str:
        parts = [str(m) for m in self.measures if m.total]
        return f"coverage {self.percent:.1f}%: " + ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "percent": self.percent,
            **{m.name.replace(" ", "_"): m.to_json() for m in self.measures},
        }


@dataclass
class DecisionTestReport:
    """Every case of every file, run against one policy (compiled in memory) or one release."""

    policy_id: str
    policy_version: str
    answered_by: str  # "policies/x.json, compiled in memory" or the release file
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # test files unreadable or invalid
    results: list[CaseResult] = field(default_factory=list)
    coverage: Coverage | None = None
    min_coverage: float | None = None

    def count(self, status: CaseStatus) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def coverage_ok(self) -> bool:
        return self.min_coverage is None or (
            self.coverage is not None and self.coverage.percent >= self.min_coverage
        )

    @property
    def coverage_problem(self) -> Problem | None:
        """The failure of ``--min-coverage``, or None."""
        if self.coverage_ok or self.coverage is None:
            return None
        return Problem(
            self.files[0] if len(self.files) == 1 else "tests/decisions",
            f"decision tests cover {self.coverage.percent:.1f}% of {self.policy_id}, below the minimum "
            f"{self.min_coverage:g}% ({self.coverage}): add cases for what they miss "
            "(`support-scope test --format json` lists it)",
            COVERAGE,
        )

    @property
    def all_problems(self) -> list[Problem]:
        """Every failure, located: the files', each case's, then the coverage's."""
        problems = list(self.problems)
        for result in self.results:
            problems.extend(result.problems)
        coverage = self.coverage_problem
        if coverage is not None:
            problems.append(coverage)
        return problems

    @property
    def ok(self) -> bool:
        return not self.problems and all(r.status == "passed" for r in self.results) and self.coverage_ok

    def summary(self) -> str:
        files = len(self.files)
        cases = len(self.results)
        head = (
            f"decision tests: {cases} case{'s' if cases != 1 else ''} in {files} file{'s' if files != 1 else ''} "
            f"against {self.policy_id} {self.policy_version} ({self.answered_by}): "
            f"{self.count('passed')} passed, {self.count('failed')} failed, "
            f"{self.count('error')} error{'s' if self.count('error') != 1 else ''}"
        )
        if self.problems:
            head += (
                f"; {len(self.problems)} problem{'s' if len(self.problems) != 1 else ''} in the test files"
            )
        return head

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "policy_id": self.policy_id,
            "policy_version": self.policy_version,
            "answered_by": self.answered_by,
            "files": list(self.files),
            "summary": {
                "cases": len(self.results),
                "passed": self.count("passed"),
                "failed": self.count("failed"),
                "errors": self.count("error"),
            },
            "problems": [p.to_json() for p in self.all_problems],
            "cases": [r.to_json() for r in self.results],
            "coverage": self.coverage.to_json() if self.coverage is not None else None,
            "min_coverage": self.min_coverage,
        }
