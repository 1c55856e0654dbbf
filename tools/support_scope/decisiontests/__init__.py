"""Decision tests: "this question must keep this answer", written once, held by CI.

A file of cases (``tests/decisions/*.json``, ``schema/decision-tests.schema.json``) is run
against the policy as it stands, compiled in memory, or against a release
(``support-scope test``; ``support-scope check`` runs a project's when it has some):

- :mod:`~support_scope.decisiontests.cases`: the files, read and checked, every problem located;
- :mod:`~support_scope.decisiontests.runner`: each question asked, each answer compared, coverage;
- :mod:`~support_scope.decisiontests.result`: the verdicts, located at the case's line.
"""

from __future__ import annotations

from support_scope.decisiontests.cases import default_test_files, read_test_file, test_files
from support_scope.decisiontests.result import CaseResult, Coverage, DecisionTestReport
from support_scope.decisiontests.runner import policy_ruleset, run_tests

__all__ = [
    "CaseResult",
    "Coverage",
    "DecisionTestReport",
    "default_test_files",
    "policy_ruleset",
    "read_test_file",
    "run_tests",
    "test_files",
]
