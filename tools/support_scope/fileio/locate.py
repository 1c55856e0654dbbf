"""Find where a JSON value sits in its source text: line and column from a JSON path.

Positions are needed only to report problems, so nothing is recorded while parsing (which
stays in C). Instead, one walk over the text visits only the containers on the requested
paths and skips every other value with the C decoder.

``pretty=True`` skips faster in text laid out by a pretty-printer (``json.dumps(indent=...)``,
the form the project writes policies in): a container that opens at the end of a line closes on
the next line indented as that line and starting with its closing bracket; that line is found
with one string search instead of decoding the container.
Where the layout does not hold, the decoder skips as usual. It is a reading of the layout, not a
parse: a caller that needs certainty checks what it found (:mod:`support_scope.changes.locate`
does, and locates again without it on any doubt).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

from support_scope.model.paths import JsonPath, PathStep

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def locate_all(
    text: str, paths: Iterable[JsonPath], *, pretty: bool = False
) -> dict[JsonPath, tuple[int, int]]:
    """Map each path to the 1-based (line, column) where its value starts.

    A path that does not exist in the text (a missing required property, say) maps to the
    position of its deepest existing ancestor, which is where the fix goes.
    """
    return line_columns(text, locate_offsets(text, paths, pretty=pretty))


def line_columns(text: str, offsets: dict[JsonPath, int]) -> dict[JsonPath, tuple[int, int]]:
    """The 1-based (line, column) of each offset."""
    positions = _line_columns(text, set(offsets.values()))
    return {path: positions[offset] for path, offset in offsets.items()}


def locate_offsets(text: str, paths: Iterable[JsonPath], *, pretty: bool = False) -> dict[JsonPath, int]:
    """Map each path to the offset in ``text`` where its value starts (see :func:`locate_all`)."""
    from support_scope.fileio.jsonfile import paused_gc

    trie: _Trie = {}
    wanted = list(dict.fromkeys(paths))
    for path in wanted:
        node = trie
        for step in path:
            node = node.setdefault(step, {})
    offsets: dict[JsonPath, int] = {}
    start = _skip_ws(text, 0)
    with paused_gc():  # skipping builds and drops millions of objects: nothing for the collector
        _walk(text, start, (), trie, offsets, _pretty_end if pretty else None)
    return {path: offsets[_deepest(path, offsets)] for path in wanted}


def _deepest(path: JsonPath, offsets: dict[JsonPath, int]) -> JsonPath:
    for end in range(len(path), -1, -1):
        if path[:end] in offsets:
            return path[:end]
    return ()


def _skip_ws(text: str, index: int) -> int:
    match = _WHITESPACE.match(text, index)
    return match.end() if match else index


_Skip = Callable[[str, int], "int | None"]
_Trie = dict[PathStep, Any]


def _walk(
    text: str, index: int, path: JsonPath, trie: _Trie, offsets: dict[JsonPath, int], skip: _Skip | None
) -> int | None:
    """Record the offset of the value at ``index`` and of the wanted values below it; the index
    after the value when the walk went through it (None when it did not)."""
    offsets[path] = index
    if not trie or index >= len(text):
        return None
    opener = text[index]
    if opener == "{":
        index = _skip_ws(text, index + 1)
        while index < len(text) and text[index] == '"':
            key, index = scanstring(text, index + 1)
            index = _skip_ws(text, index)
            index = _skip_ws(text, index + 1)  # past ':'
            index = _visit(text, index, (*path, key), trie.get(key), offsets, skip)
            index = _skip_ws(text, index)
            if index < len(text) and text[index] == ",":
                index = _skip_ws(text, index + 1)
        return index + 1 if index < len(text) and text[index] == "}" else None
    if opener == "[":
        index = _skip_ws(text, index + 1)
        position = 0
        while index < len(text) and text[index] != "]":
            index = _visit(text, index, (*path, position), trie.get(position), offsets, skip)
            position += 1
            index = _skip_ws(text, index)
            if index < len(text) and text[index] == ",":
                index = _skip_ws(text, index + 1)
        return index + 1 if index < len(text) else None
    return None


def _visit(
    text: str,
    index: int,
    path: JsonPath,
    subtrie: _Trie | None,
    offsets: dict[JsonPath, int],
    skip: _Skip | None,
) -> int:
    """Walk into a wanted value, or skip an unwanted one; return the index after it."""
    if subtrie is not None:
        offsets[path] = index
        if subtrie:
            end = _walk(text, index, path, subtrie, offsets, skip)
            if end is not None:
                return end
    elif skip is not None:
        found = skip(text, index)
        if found is not None:
            return found
    _, end = _DECODER.raw_decode(text, index)
    return int(end)


_CLOSERS = {"{": "}", "[": "]"}


def _pretty_end(text: str, index: int) -> int | None:
    """The index after the container opening at ``index``, read from a pretty-printer's layout
    (see the module's docstring); None when the layout does not say."""
    closer = _CLOSERS.get(text[index]) if index < len(text) else None
    if closer is None or not text.startswith("\n", index + 1):
        return None
    line_start = text.rfind("\n", 0, index) + 1
    indent = _indent(text, line_start, index)
    needle = "\n" + " " * indent + closer
    close = text.find(needle, index + 1)
    if close < 0:
        return None
    return close + len(needle)


def _indent(text: str, line_start: int, index: int) -> int:
    line = text[line_start:index]
    return len(line) - len(line.lstrip(" "))


def _line_columns(text: str, indices: Iterable[int]) -> dict[int, tuple[int, int]]:
    result: dict[int, tuple[int, int]] = {}
    line, previous = 1, 0
    for index in sorted(indices):
        line += text.count("\n", previous, index)
        previous = index
        line_start = text.rfind("\n", 0, index) + 1
        result[index] = (line, index - line_start + 1)
    return result
