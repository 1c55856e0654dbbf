"""Decision test files: read, checked against ``schema/decision-tests.schema.json``, every problem located.

A file holds ``{"description": ..., "cases": [{"id", "source", "why", "question", "expect"}]}``
(the schema says each field). Case ids are unique within their file. A file that cannot be read
or is not valid is reported, located ``file:line:col $.path``, and none of its cases is run: a
test that cannot be read must never pass for one that ran.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support_scope.errors import InputError
from support_scope.fileio.jsonfile import parse_json, read_text
from support_scope.fileio.locate import locate_all
from support_scope.model.paths import JsonPath
from support_scope.problems import Problem

SCHEMA = "decision-tests.schema.json"
DECISIONS_DIR = Path("tests") / "decisions"
EXPECTATIONS = ("outcome", "conditional", "tier", "referrals", "offers", "pending", "cites")


@dataclass
class TestFile:
    """One file of decision tests: its cases (when it is valid), the places they sit, its problems."""

    __test__ = False  # not a pytest class

    display: str
    cases: list[dict[str, Any]] = field(default_factory=list)
    places: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def place(self, path: JsonPath) -> tuple[int, int]:
        return self.places.get(path) or self.places.get(path[:2]) or (1, 1)


def read_test_file(path: Path, display: str | None = None) -> TestFile:
    """Read and check one file of decision tests; its problems are in ``problems``."""
    from support_scope.validate.documents import locate_findings, unreadable_problem
    from support_scope.validate.findings import Finding
    from support_scope.validate.schema import findings_against

    name = display or str(path)
    result = TestFile(name)
    try:
        text = read_text(path, name, "decision test file")
        document = parse_json(text, name)
    except InputError as e:
        result.problems.append(unreadable_problem(name, str(e)))
        return result
    findings = findings_against(SCHEMA, document)
    if not findings:
        seen: dict[str, int] = {}
        for index, case in enumerate(document["cases"]):
            if case["id"] in seen:
                findings.append(
                    Finding(
                        ("cases", index, "id"),
                        f"case id {case['id']!r} is used twice in this file (first by case {seen[case['id']] + 1})",
                        "duplicate-id",
                    )
                )
            seen.setdefault(case["id"], index)
    if findings:
        result.problems.extend(locate_findings(findings, text, name))
        return result
    result.cases = document["cases"]
    wanted: list[JsonPath] = []
    for index, case in enumerate(result.cases):
        wanted += [("cases", index), ("cases", index, "question")]
        wanted += [("cases", index, "expect", key) for key in case["expect"]]
    result.places = locate_all(text, wanted)
    return result


def test_files(paths: Iterable[Path]) -> list[Path]:
    """The files named: a directory stands for the ``*.json`` in it (sorted)."""
    found: list[Path] = []
    for path in paths:
        found.extend(sorted(path.glob("*.json")) if path.is_dir() else [path])
    return found


test_files.__test__ = False  # type: ignore[attr-defined]


def default_test_files(root: Path, policy_id: str, single: bool) -> list[Path]:
    """A project's decision tests for a policy: ``tests/decisions/<policy-id>/*.json``, and, when
    the project has only this policy, ``tests/decisions/*.json``."""
    directory = root / DECISIONS_DIR
    files = sorted((directory / policy_id).glob("*.json")) if (directory / policy_id).is_dir() else []
    if single and directory.is_dir():
        files = sorted(directory.glob("*.json")) + files
    return files
