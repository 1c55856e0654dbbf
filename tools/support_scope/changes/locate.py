"""Where each change of a diff is: file, line and column, on the side that holds it.

An addition or a change is located on the NEW side (where a pull request shows it), a removal
on the OLD side. A side read from a release is located in the release file's own text, inside
the policy it embeds (a release is one line: the column says where); a side read from git
(``REV:path``) in the file's text at that revision, under its path. One walk over each side's
text finds every path at once (:func:`support_scope.fileio.locate.locate_all`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from support_scope.changes.result import Change, Diff, Location
from support_scope.fileio.locate import locate_all
from support_scope.model.paths import JsonPath

if TYPE_CHECKING:
    from support_scope.changes.sides import Side


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
            positions = locate_all(side.text, (path for _, path in pairs))
        except ValueError:  # the text is not the document's (a caller's mistake): left unlocated
            continue
        note = _note(side)
        for change, path in pairs:
            line, column = positions[path]
            change.location = Location(side.file, line, column, name, note)
    return diff
