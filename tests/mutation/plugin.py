"""A pytest plugin that flips one diff rule's severity before the tests run (see severities.py).

``SUPPORT_SCOPE_MUTANT=rule-id:severity`` names the rule and the severity it is given.
"""

from __future__ import annotations

import dataclasses
import os


def pytest_configure(config: object) -> None:
    mutant = os.environ.get("SUPPORT_SCOPE_MUTANT")
    if not mutant:
        return
    from support_scope.changes.rules import RULES

    rule, _, severity = mutant.partition(":")
    RULES[rule] = dataclasses.replace(RULES[rule], severity=severity)  # type: ignore[arg-type]
