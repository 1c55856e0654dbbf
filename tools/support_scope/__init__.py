"""support-scope: the support scope of Act! Premium as policy-as-data.

The consumer API (``load_release``, ``Ruleset``, ``Decision``) imports neither click,
jsonschema, deepdiff nor openpyxl.
"""

from __future__ import annotations

__version__ = "0.1.0"
