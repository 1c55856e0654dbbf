"""Where each change of a diff is: file, line and column, on the side that holds it.

An addition or a change is located on the NEW side (where a pull request shows it), a removal
on the OLD side. A side read from a release is located in the release file's own text, inside
the policy it embeds (a release is one line: the column says where); a side read from git
(``REV:path``) in the file's text at that revision, under its path. One walk over each side's
text finds every path at once (:func:`support_scope.fileio.locate.locate_offsets`), and each
place found is checked against the document.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

from support_scope.changes.result import Change, Diff, Location
from support_scope.fileio.locate import line_columns, locate_offsets
from support_scope.model.paths import JsonPath

if TYPE_CHECKING:
    from support_scope.changes.sides import Side

_DECODER = json.JSONDecoder()


def side_of(change: Change) -> tuple[Literal["old", "new"], JsonPath] | None:
    """The side a change is located on, and its path there (None when it has no path)."""
    if change.new_path is not None:
        return "new", change.new_path
    if change.old_path is not None:
        return "old", change.old_path
    return None


def _note(side: Side) -> str | None:
    if side.note is not None:
        return side.note
    if side.kind == "release":
        return "in the policy the release embeds"
    if side.revision is not None:
        return f"at git revision {side.revision}"
    return None


def _locate(side: Side, paths: list[JsonPath]) -> dict[JsonPath, tuple[int, int]]:
    """Where each path's value starts in the side's text.

    A large policy is walked reading its pretty-printed layout (many times faster than decoding
    what lies between the changes); every place found is then checked against the document
    (the value there is the value at the path), and on any doubt the text is walked again,
    decoding everything it skips.
    """
    offsets = locate_offsets(side.text, paths, pretty=True)
    if not all(_holds(side, path, offset) for path, offset in offsets.items()):
        offsets = locate_offsets(side.text, paths)
    return line_columns(side.text, offsets)


_MISSING = object()
_LITERALS = {True: "true", False: "false", None: "null"}


def _holds(side: Side, path: JsonPath, offset: int) -> bool:
    """True when the text at ``offset`` holds the value at ``path`` (or at its deepest existing
    ancestor, where the locator places a path the text does not have)."""
    value: Any = {"policy": side.document} if side.base else side.document
    for step in path:
        inner = _step(value, step)
        if inner is _MISSING:
            break
        value = inner
    text = side.text
    if offset >= len(text):
        return False
    if isinstance(value, list):
        return text[offset] == "["  # a list of records: each record located in it is checked itself
    if isinstance(value, bool) or value is None:
        return text.startswith(_LITERALS[value], offset)
    if isinstance(value, dict) and len(value) > 64:
        return text[offset] == "{"  # the document itself, or a release: not decoded again
    try:
        found, _ = _DECODER.raw_decode(text, offset)
    except ValueError:
        return False
    return bool(found == value)


def _step(value: Any, step: str | int) -> Any:
    if isinstance(value, dict) and isinstance(step, str):
        return value.get(step, _MISSING)
    if isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
        return value[step]
    return _MISSING


def locate_changes(diff: Diff, old: Side, new: Side) -> Diff:
    """Set every change's :attr:`~Change.location` from the sides' texts; returns ``diff``."""
    wanted: dict[str, list[tuple[Change, JsonPath]]] = {"old": [], "new": []}
    for change in diff.changes:
        found = side_of(change)
        if found is not None:
            side = old if found[0] == "old" else new
            wanted[found[0]].append((change, (*side.base, *found[1])))
    sides: tuple[tuple[Literal["old", "new"], Side], ...] = (("old", old), ("new", new))
    for name, side in sides:
        pairs = wanted[name]
        if not pairs or not side.text:
            continue
        try:
            positions = _locate(side, [path for _, path in pairs])
        except ValueError:  # the text is not the document's (a caller's mistake): left unlocated
            continue
        note = _note(side)
        for change, path in pairs:
            line, column = positions[path]
            change.location = Location(side.file, line, column, name, note)
    return diff
