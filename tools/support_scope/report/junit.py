"""``--format junit``: JUnit XML, the test report CI systems display.

``<testsuites>`` of ``<testsuite>`` of ``<testcase>``: one case per policy file (validate,
check), per change (diff, import) or per decision test. A case with an error-level annotation
has one ``<failure>`` (its first problem as the message, every one in the body); a decision test
that could not be asked, or a file that cannot be read, an ``<error>``; warnings and notices go
in ``<system-out>``. Characters XML 1.0 cannot carry are written as ``\\xNN``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from support_scope.report.outcome import OutcomeReporter

if TYPE_CHECKING:
    from support_scope.report import ci

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _where(annotation: ci.Annotation) -> str:
    if annotation.file is None:
        return ""
    place = annotation.file
    if annotation.line is not None:
        place += f":{annotation.line}"
        if annotation.column is not None:
            place += f":{annotation.column}"
    return place + " "


def _line(annotation: ci.Annotation) -> str:
    return f"{_where(annotation)}[{annotation.rule}] {annotation.message}"


def render(outcome: ci.Outcome) -> str:
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", name=_xml(f"support-scope {outcome.title}"))
    suites: dict[str, list[ci.Case]] = {}
    for case in outcome.cases:
        suites.setdefault(case.suite, []).append(case)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for name, cases in suites.items():
        failures = sum(1 for c in cases if c.failed and not c.error)
        errors = sum(1 for c in cases if c.error)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=_xml(name),
            tests=str(len(cases)),
            failures=str(failures),
            errors=str(errors),
            skipped="0",
        )
        totals["tests"] += len(cases)
        totals["failures"] += failures
        totals["errors"] += errors
        for case in cases:
            attributes = {"classname": _xml(case.suite), "name": _xml(case.name)}
            if case.file is not None:
                attributes["file"] = _xml(case.file)
                if case.line is not None:
                    attributes["line"] = str(case.line)
            element = ET.SubElement(suite, "testcase", attributes)
            failing = [a for a in case.annotations if a.level == "error"]
            if case.error or failing:
                shown = failing or case.annotations
                tag = "error" if case.error else "failure"
                first = shown[0] if shown else None
                detail = ET.SubElement(
                    element,
                    tag,
                    message=_xml(first.message.splitlines()[0] if first else "failed"),
                    type=_xml(first.rule if first else tag),
                )
                detail.text = _xml("\n".join(_line(a) for a in shown))
            shown_lines = [_line(a) for a in case.annotations if a.level != "error"]
            if case.output and not any(case.output in a.message for a in case.annotations):
                shown_lines.insert(0, case.output)  # what the case is about (a decision test's "why")
            output = "\n".join(shown_lines)
            if output:
                ET.SubElement(element, "system-out").text = _xml(output)
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


class JunitReporter(OutcomeReporter):
    name = "junit"
    description = "JUnit XML test report: a test case per policy file, per change or per decision test"

    def render(self, outcome: ci.Outcome) -> str:
        return render(outcome)
