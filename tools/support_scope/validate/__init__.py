"""Validation of policy documents: the schema first, then the meaning; every problem at once, located.

- :mod:`~support_scope.validate.schema`: the JSON Schema check (jsonschema-rs, or the pure-Python
  validators where it is not installed; every error, in the same words either way);
- :mod:`~support_scope.validate.meaning`: what the schema cannot say (references, texts...);
- :mod:`~support_scope.validate.documents`: both, on texts and files, located ``file:line:col``.
"""

from __future__ import annotations

from support_scope.validate.documents import (
    document_findings,
    findings_message,
    load_validated,
    locate_findings,
    located_problems,
    validate_file,
    validate_paths,
    validate_text,
)
from support_scope.validate.findings import Finding
from support_scope.validate.meaning import meaning_findings
from support_scope.validate.schema import fast_validator, schema_findings

__all__ = [
    "Finding",
    "document_findings",
    "fast_validator",
    "findings_message",
    "load_validated",
    "locate_findings",
    "located_problems",
    "meaning_findings",
    "schema_findings",
    "validate_file",
    "validate_paths",
    "validate_text",
]
