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
    from support_scope.consume.load import load_release
    from support_scope.consume.ruleset import Ruleset
    from support_scope.consume.values import Decision

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

_CONSUMER_API = {
    "Decision": "support_scope.consume.values",
    "Ruleset": "support_scope.consume.ruleset",
    "load_release": "support_scope.consume.load",
}


def __getattr__(name: str) -> Any:
    # Imported on first use, so that `import support_scope` (which every command does) stays cheap.
    module = _CONSUMER_API.get(name)
    if module is not None:
        import importlib

        return getattr(importlib.import_module(module), name)
    raise AttributeError(f"module 'support_scope' has no attribute {name!r}")
