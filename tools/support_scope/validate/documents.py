"""Validating documents and files: schema then meaning, every finding located by line and column."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from support_scope.errors import InputError
from support_scope.fileio.jsonfile import parse_json, read_text
from support_scope.fileio.locate import locate_all
from support_scope.model.release import wrong_kind
from support_scope.problems import FileResult, Problem, ValidationReport
from support_scope.validate.findings import Finding
from support_scope.validate.meaning import meaning_findings
from support_scope.validate.schema import schema_findings


def document_findings(document: Any) -> list[Finding]:
    """Schema then meaning findings for a parsed document."""
    schema = schema_findings(document)
    return schema + meaning_findings(document, schema_valid=not schema)


def validate_text(text: str, display: str) -> FileResult:
    """Validate a document given as text; every finding located by line and column."""
    return _validated_text(text, display)[1]


def load_validated(path: Path, display: str | None = None) -> tuple[Any, FileResult]:
    """Read, parse and validate a policy file once: the document (None when it cannot be read
    or parsed) and its result, for callers that go on with a valid document."""
    name = display or str(path)
    try:
        text = read_text(path, name, "policy file")
    except InputError as e:
        return None, FileResult(name, [_unreadable(name, str(e))])
    return _validated_text(text, name)


def _validated_text(text: str, display: str) -> tuple[Any, FileResult]:
    result = FileResult(display)
    try:
        document = parse_json(text, display)
    except InputError as e:
        result.problems.append(_unreadable(display, str(e)))
        return None, result
    reason = wrong_kind(document, "policy", "`support-scope check` verifies releases")
    if reason is not None:  # its policy's own problems would be dozens of misleading ones
        result.problems.append(Problem(display, reason, "not-a-policy"))
        return None, result
    result.problems.extend(locate_findings(document_findings(document), text, display))
    return document, result


def locate_findings(findings: list[Finding], text: str, display: str) -> list[Problem]:
    """The findings of the document parsed from ``text``, as problems located by line and column."""
    if not findings:
        return []
    positions = locate_all(text, (f.path for f in findings))
    located = [
        Problem(display, f.message, f.rule, f.path, line=positions[f.path][0], column=positions[f.path][1])
        for f in findings
    ]
    return sorted(located, key=lambda p: (p.line or 0, p.column or 0))


def located_problems(findings: list[Finding], text: str | None, display: str) -> list[Problem]:
    """The findings as problems, located by line and column in ``text`` when it is given and is
    the text the document was parsed from; otherwise (a caller's mistake) by JSON path only."""
    if text is not None:
        try:
            return locate_findings(findings, text, display)
        except ValueError:
            pass
    return [Problem(display, f.message, f.rule, path=f.path) for f in findings]


def findings_message(findings: list[Finding], text: str | None, display: str, outcome: str) -> str:
    """The message refusing an invalid policy: a head line ending in ``outcome``, then every
    finding, one a line, located as ``validate`` locates them."""
    lines = [str(problem) for problem in located_problems(findings, text, display)]
    count = len(findings)
    return (
        f"{display}: not a valid policy ({count} problem{'s' if count != 1 else ''}); {outcome}:\n"
        + "\n".join(lines)
    )


def validate_file(path: Path, display: str | None = None) -> FileResult:
    """Validate one policy file."""
    return load_validated(path, display)[1]


def no_policy(directory: Path) -> FileResult:
    """The result for a directory (missing or not) that holds no policy to validate."""
    message = (
        "no policy (*.json) in this directory" if directory.is_dir() else "no such directory of policies"
    )
    return FileResult(str(directory), [Problem(str(directory), message, "no-policy")])


def validate_paths(paths: Iterable[Path]) -> ValidationReport:
    """Validate every file; a directory stands for the ``*.json`` files in it."""
    report = ValidationReport()
    for path in paths:
        if path.is_dir():
            files = sorted(path.glob("*.json"))
            if not files:
                report.files.append(no_policy(path))
            for file in files:
                report.files.append(validate_file(file))
        else:
            report.files.append(validate_file(path))
    return report


def unreadable_problem(display: str, message: str) -> Problem:
    """A problem from an :class:`InputError` message of the form ``file[:line:col]: reason``."""
    return _unreadable(display, message)


def _unreadable(display: str, message: str) -> Problem:
    """A problem from an InputError message of the form ``file[:line:col]: reason``."""
    rest = message[len(display) + 1 :] if message.startswith(display + ":") else message
    line = column = None
    parts = rest.split(":", 2)
    if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
        line, column, rest = int(parts[0]), int(parts[1]), parts[2]
    return Problem(display, rest.strip(), "unreadable", line=line, column=column)
