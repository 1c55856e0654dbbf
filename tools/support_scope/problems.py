"""Problems: what is wrong in the data, located, and the results that collect them.

Checks never stop at the first problem: they gather every one into a result, which a
reporter (:mod:`support_scope.report`) renders as text, JSON or a CI format. The place is
kept as fields (file, line, column, JSON path, ``Sheet!A1`` cell), never baked into the
message, so that each reporter can show it its own way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from support_scope.model.paths import JsonPath, render_path


@dataclass(frozen=True)
class Problem:
    """One thing wrong, located as precisely as the input allows.

    ``path`` is a JSON path inside a document; ``cell`` a ``Sheet!A1`` reference inside a
    workbook; ``line``/``column`` are 1-based positions in the file's text.
    """

    file: str
    message: str
    rule: str
    path: JsonPath | None = None
    line: int | None = None
    column: int | None = None
    cell: str | None = None

    @property
    def where(self) -> str:
        """``file:line:col $.path`` or ``file Sheet!A1``, as much as is known."""
        head = self.file
        if self.line is not None:
            head += f":{self.line}"
            if self.column is not None:
                head += f":{self.column}"
        if self.cell is not None:
            head += f" {self.cell}"
        if self.path is not None:
            head += f" {render_path(self.path)}"
        return head

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": render_path(self.path) if self.path is not None else None,
            "cell": self.cell,
            "rule": self.rule,
            "message": self.message,
        }


@dataclass
class FileResult:
    """The problems found in one file."""

    file: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class ValidationReport:
    """The outcome of validating several files."""

    files: list[FileResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.files)

    @property
    def problems(self) -> list[Problem]:
        return [problem for result in self.files for problem in result.problems]

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "problem_count": len(self.problems),
            "files": [
                {"file": r.file, "ok": r.ok, "problems": [p.to_json() for p in r.problems]}
                for r in self.files
            ],
        }
