"""JSON paths: how the package names a place inside a document (``$.categories[3].items[0].tier``)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

PathStep = str | int
JsonPath = tuple[PathStep, ...]

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


def render_path(path: Sequence[PathStep]) -> str:
    """A JSON path as people read it: ``$.categories[3].items[0].tier``."""
    parts = ["$"]
    for step in path:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        elif _IDENTIFIER.fullmatch(step):
            parts.append(f".{step}")
        else:
            parts.append("[" + json.dumps(step, ensure_ascii=False) + "]")
    return "".join(parts)
