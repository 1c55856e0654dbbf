"""The package's exceptions: one base, a few kinds.

Problems found *in the data* (a schema violation, a stale workbook row) are collected into
result objects and reported; these exceptions are for what stops an operation outright:
an unreadable file, a tampered release, an unknown id passed by a caller.
"""

from __future__ import annotations


class SupportScopeError(Exception):
    """Base of every error this package raises on purpose."""


class InputError(SupportScopeError):
    """A file or argument cannot be used: unreadable, malformed, of the wrong kind."""


class PolicyError(InputError):
    """A policy document cannot be loaded (not JSON, not an object)."""


class ReleaseError(InputError):
    """A compiled release cannot be trusted: truncated, tampered, or of an unknown format."""


class UnknownIdError(SupportScopeError, KeyError):
    """A caller named a product, plan, tier, category or item that does not exist."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class WorkbookError(InputError):
    """A workbook is not one this tool can read safely."""
