"""A finding: a problem inside a parsed document, known by its JSON path, before it has a file and a line."""

from __future__ import annotations

from dataclasses import dataclass

from support_scope.model.paths import JsonPath


@dataclass(frozen=True)
class Finding:
    """One problem of a document: where (a JSON path), what (a message), which check (a rule id)."""

    path: JsonPath
    message: str
    rule: str


def path_key(path: JsonPath) -> tuple[tuple[int, str], ...]:
    """A sort key putting paths in document order (array positions compared as numbers)."""
    return tuple((0, f"{step:012d}") if isinstance(step, int) else (1, step) for step in path)
