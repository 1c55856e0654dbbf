"""support-scope: the support scope of Act! Premium as policy-as-data.

The consumer API (``load_release``, ``Ruleset``, ``Decision``) imports neither click,
jsonschema, deepdiff nor openpyxl.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from support_scope.errors import (
    InputError,
    PolicyError,
    ReleaseError,
    SupportScopeError,
    UnknownIdError,
    WorkbookError,
)

if TYPE_CHECKING:
    from support_scope.ruleset import Decision, Ruleset, load_release

__version__ = "0.1.0"
__all__ = [
    "Decision",
    "InputError",
    "PolicyError",
    "ReleaseError",
    "Ruleset",
    "SupportScopeError",
    "UnknownIdError",
    "WorkbookError",
    "__version__",
    "load_release",
]

_CONSUMER_API = ("Decision", "Ruleset", "load_release")


def __getattr__(name: str) -> Any:
    # Imported on first use, so that `import support_scope` (which every command does) stays cheap.
    if name in _CONSUMER_API:
        from support_scope import ruleset

        return getattr(ruleset, name)
    raise AttributeError(f"module 'support_scope' has no attribute {name!r}")
