"""``--format sarif``: SARIF 2.1.0, the format code-scanning dashboards read.

One run of the tool ``support-scope``: its ``rules`` (every rule id the results use, with its
help text), and one result per problem or change: rule id, level (``error``, ``warning``,
``note``), message, and the physical location (file, line, column; columns count Unicode code
points, ``columnKind`` says so). A diff change carries its fingerprint in
``partialFingerprints``, so a dashboard tracks it across rebases. The tests check the output
against the OASIS SARIF 2.1.0 JSON schema.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from support_scope.report.outcome import OutcomeReporter

if TYPE_CHECKING:
    from support_scope.report import ci

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT = "supportScopeChange/v1"
_LEVELS = {"error": "error", "warning": "warning", "notice": "note"}


def _uri(file: str) -> str:
    """A file name as a URI reference: relative paths stay relative (to the repository's root)."""
    from pathlib import PurePosixPath, PureWindowsPath
    from urllib.parse import quote

    if PureWindowsPath(file).drive or file.startswith("/"):
        return "file://" + quote(PurePosixPath(file.replace("\\", "/")).as_posix())
    return quote(file.replace("\\", "/"))


def _result(annotation: ci.Annotation, index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": annotation.rule,
        "ruleIndex": index,
        "level": _LEVELS[annotation.level],
        "message": {"text": annotation.message},
    }
    if annotation.file is not None:
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(annotation.file)}}
        if annotation.line is not None:
            region: dict[str, Any] = {"startLine": annotation.line}
            if annotation.column is not None:
                region["startColumn"] = annotation.column
            physical["region"] = region
        result["locations"] = [{"physicalLocation": physical}]
    if annotation.fingerprint is not None:
        result["partialFingerprints"] = {FINGERPRINT: annotation.fingerprint}
    return result


def sarif(outcome: ci.Outcome) -> dict[str, Any]:
    """The SARIF log of a result."""
    from support_scope import __version__
    from support_scope.report import ci

    annotations = outcome.annotations
    rules = sorted({a.rule for a in annotations})
    index = {rule: number for number, rule in enumerate(rules)}
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "support-scope",
                        "version": __version__,
                        "rules": [
                            {
                                "id": rule,
                                "shortDescription": {"text": rule},
                                "fullDescription": {"text": ci.rule_help(rule)},
                                "help": {"text": ci.rule_help(rule)},
                            }
                            for rule in rules
                        ],
                    }
                },
                "automationDetails": {"id": f"support-scope/{outcome.title.split(' ')[0]}/"},
                "columnKind": "unicodeCodePoints",
                "results": [_result(a, index[a.rule]) for a in annotations],
                "properties": {"summary": outcome.summary},
            }
        ],
    }


def render(outcome: ci.Outcome) -> str:
    return json.dumps(sarif(outcome), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


class SarifReporter(OutcomeReporter):
    name = "sarif"
    description = "SARIF 2.1.0 for code-scanning dashboards (rules with help texts, locations, fingerprints)"

    def render(self, outcome: ci.Outcome) -> str:
        return render(outcome)
