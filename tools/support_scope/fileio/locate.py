"""Find where a JSON value sits in its source text: line and column from a JSON path.

Positions are needed only to report problems, so nothing is recorded while parsing (which
stays in C). Instead, one walk over the text visits only the containers on the requested
paths and skips every other value with the C decoder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from json.decoder import scanstring  # type: ignore[attr-defined]

from support_scope.model.paths import JsonPath, PathStep

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def locate_all(text: str, paths: Iterable[JsonPath]) -> dict[JsonPath, tuple[int, int]]:
    """Map each path to the 1-based (line, column) where its value starts.

    A path that does not exist in the text (a missing required property, say) maps to the
    position of its deepest existing ancestor, which is where the fix goes.
    """
    trie: dict[PathStep, dict] = {}  # type: ignore[type-arg]
    wanted = list(dict.fromkeys(paths))
    for path in wanted:
        node = trie
        for step in path:
            node = node.setdefault(step, {})
    offsets: dict[JsonPath, int] = {}
    start = _skip_ws(text, 0)
    _walk(text, start, (), trie, offsets)
    result: dict[JsonPath, tuple[int, int]] = {}
    positions = _line_columns(text, {offsets[_deepest(path, offsets)] for path in wanted})
    for path in wanted:
        result[path] = positions[offsets[_deepest(path, offsets)]]
    return result


def _deepest(path: JsonPath, offsets: dict[JsonPath, int]) -> JsonPath:
    for end in range(len(path), -1, -1):
        if path[:end] in offsets:
            return path[:end]
    return ()


def _skip_ws(text: str, index: int) -> int:
    match = _WHITESPACE.match(text, index)
    return match.end() if match else index


def _walk(text: str, index: int, path: JsonPath, trie: dict, offsets: dict[JsonPath, int]) -> None:  # type: ignore[type-arg]
    """Record the offset of the value at ``index`` and of the wanted values below it."""
    offsets[path] = index
    if not trie or index >= len(text):
        return
    opener = text[index]
    if opener == "{":
        index = _skip_ws(text, index + 1)
        while index < len(text) and text[index] == '"':
            key, index = scanstring(text, index + 1)
            index = _skip_ws(text, index)
            index = _skip_ws(text, index + 1)  # past ':'
            index = _visit(text, index, (*path, key), trie.get(key), offsets)
            index = _skip_ws(text, index)
            if index < len(text) and text[index] == ",":
                index = _skip_ws(text, index + 1)
    elif opener == "[":
        index = _skip_ws(text, index + 1)
        position = 0
        while index < len(text) and text[index] != "]":
            index = _visit(text, index, (*path, position), trie.get(position), offsets)
            position += 1
            index = _skip_ws(text, index)
            if index < len(text) and text[index] == ",":
                index = _skip_ws(text, index + 1)


def _visit(text: str, index: int, path: JsonPath, subtrie: dict | None, offsets: dict[JsonPath, int]) -> int:  # type: ignore[type-arg]
    """Walk into a wanted value, or skip an unwanted one; return the index after it."""
    if subtrie is not None:
        offsets[path] = index
        if subtrie:
            _walk(text, index, path, subtrie, offsets)
    _, end = _DECODER.raw_decode(text, index)
    return int(end)


def _line_columns(text: str, indices: Iterable[int]) -> dict[int, tuple[int, int]]:
    result: dict[int, tuple[int, int]] = {}
    line, previous = 1, 0
    for index in sorted(indices):
        line += text.count("\n", previous, index)
        previous = index
        line_start = text.rfind("\n", 0, index) + 1
        result[index] = (line, index - line_start + 1)
    return result
