"""Reading JSON with located errors, and the package's JSON forms (edited files, canonical bytes)."""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from support_scope.errors import InputError, PolicyError
from support_scope.fileio.regular import regular_file


class DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKeyError(key)
            seen.add(key)
    return result


MAX_FILE_BYTES = 512 * 1024 * 1024  # a 10,000-category release is some 105 MB


def read_bytes(
    path: Path, display: str | None = None, what: str = "file", limit: int = MAX_FILE_BYTES
) -> bytes:
    """The content of a regular file; anything else is an :class:`InputError` saying why.

    ``what`` is what the file should be, for the messages ("no such policy file", "is a
    directory, not a policy file"); see :func:`~support_scope.fileio.regular.regular_file`.
    """
    name = display or str(path)
    size = regular_file(path, name, what, limit)
    try:
        with Path(path).open("rb") as handle:
            # Sized by the file, not by the limit: read(n) reserves n bytes before reading.
            data = handle.read(size + 1)
            if len(data) > size:  # it grew since: read on, up to the limit
                data += handle.read(limit + 1 - len(data))
    except OSError as e:
        raise InputError(f"{name}: cannot read: {e.strerror or e}") from e
    if len(data) > limit:
        raise InputError(f"{name}: more than the {limit:,} bytes a {what} may hold; refused")
    return data


def read_text(path: Path, display: str | None = None, what: str = "file") -> str:
    """The file's text, decoded as UTF-8 (a byte order mark is dropped); an unreadable file is an
    :class:`InputError`."""
    name = display or str(path)
    return decode_text(read_bytes(path, name, what), name)


def decode_text(raw: bytes, name: str) -> str:
    """A file's bytes as text: UTF-8 (a byte order mark dropped); else a located :class:`PolicyError`."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        column = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        raise PolicyError(f"{name}:{line}:{column}: not UTF-8 text ({e.reason})") from e


@contextmanager
def paused_gc(long_lived: bool = False) -> Iterator[None]:
    """Pause the cyclic garbage collector.

    A parsed 10,000-category document is millions of live containers and none is garbage;
    left on, the collector rescans them again and again, which doubles parsing and diffing time.

    ``long_lived``: what is made meanwhile is kept for the life of the process (a loaded
    release): it goes to the collector's oldest generation at once (``gc.freeze`` then
    ``gc.unfreeze``, which move lists, not objects), instead of being traversed by two young
    collections first (0.1 to 0.3 s at 10,000 categories, for nothing). Other young objects
    of the process go with it, to be collected by the next full collection. Not done when the
    process keeps frozen objects of its own (a server that froze its objects before forking:
    unfreezing them would undo that).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if long_lived and gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()


# The standard decoder's messages, in words people who edit JSON by hand know.
_JSON_MESSAGES = (
    (
        "Expecting value",
        "a value (text in double quotes, a number, true, false, null, [ or {) was expected here",
    ),
    ("Unterminated string starting at", "this text in double quotes never ends (a missing closing quote?)"),
    ("Expecting ',' delimiter", "a comma (,) or a closing bracket was expected here"),
    ("Expecting ':' delimiter", "a colon (:) was expected here, after the property name"),
    (
        "Expecting property name enclosed in double quotes",
        "a property name in double quotes was expected here (a trailing comma?)",
    ),
    ("Extra data", "more text after the end of the JSON document"),
    ("Invalid control character at", "a line break or control character inside a text (write it as \\n)"),
    ("Invalid \\escape", "a backslash that does not start a known escape (write \\\\ for a backslash)"),
    ("Invalid \\uXXXX escape", "a \\u escape needs four hexadecimal digits"),
)
_MAX_DIGITS = 4300  # Python's own limit on integer conversion; a policy's numbers have a few digits
_LONG_NUMBER = re.compile(rf"[0-9]{{{_MAX_DIGITS + 1},}}")


class _NotJson(ValueError):
    """A constant JSON does not have (NaN, Infinity)."""


def _refuse_constant(name: str) -> Any:
    raise _NotJson(name)


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def parse_json(text: str, display: str) -> Any:
    """Parse JSON text, strictly; every failure a :class:`PolicyError` located ``file:line:col``.

    A repeated key, NaN or Infinity (not JSON), a number of more than 4,300 digits, and nesting
    deeper than Python can follow are refused, each named in plain words.
    """
    try:
        with paused_gc():
            return json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_refuse_constant)
    except json.JSONDecodeError as e:
        reason = next((words for known, words in _JSON_MESSAGES if e.msg.startswith(known)), e.msg)
        raise PolicyError(f"{display}:{e.lineno}:{e.colno}: not valid JSON: {reason}") from e
    except DuplicateKeyError as e:
        line, column = _position(text, _find_duplicate(text, e.key))
        raise PolicyError(f"{display}:{line}:{column}: key {e.key!r} appears twice in one object") from e
    except _NotJson as e:
        line, column = _position(text, max(text.find(str(e)), 0))
        raise PolicyError(
            f"{display}:{line}:{column}: {e} is not a JSON value (JSON has no NaN or Infinity)"
        ) from e
    except RecursionError as e:
        raise PolicyError(f"{display}: not valid JSON: nested too deeply") from e
    except ValueError as e:  # an integer beyond the digits Python converts
        match = _LONG_NUMBER.search(text)
        line, column = _position(text, match.start() if match else 0)
        raise PolicyError(f"{display}:{line}:{column}: a number of more than {_MAX_DIGITS:,} digits") from e


def _find_duplicate(text: str, key: str) -> int:
    """Offset of the second occurrence of ``"key":`` in one object (best effort, for the message)."""
    needle = json.dumps(key, ensure_ascii=False)
    first = text.find(needle)
    second = text.find(needle, first + 1) if first >= 0 else -1
    return max(second, 0)


def read_json(path: Path, display: str | None = None, what: str = "file") -> Any:
    """Read and parse a JSON file, every failure an :class:`InputError` naming the place."""
    name = display or str(path)
    return parse_json(read_text(path, name, what), name)


def dump_json(data: Any) -> str:
    """The project's JSON form for documents people edit: UTF-8, two-space indent, LF, final newline."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def canonical_json(data: Any) -> bytes:
    """A canonical byte form for digests: sorted keys, no white space, UTF-8."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
