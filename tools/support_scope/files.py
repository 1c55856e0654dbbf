"""Reading JSON with located errors, and replacing files atomically."""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from support_scope.errors import InputError, PolicyError


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


def read_bytes(path: Path, display: str | None = None, what: str = "file") -> bytes:
    """The file's content; an unreadable file is an :class:`InputError` saying why (``what`` is
    what the file should be, for the message: "no such release file")."""
    name = display or str(path)
    try:
        return path.read_bytes()
    except FileNotFoundError as e:
        raise InputError(f"{name}: no such {what}") from e
    except IsADirectoryError as e:
        raise InputError(f"{name}: is a directory, not a {what}") from e
    except OSError as e:
        raise InputError(f"{name}: cannot read: {e.strerror or e}") from e


def read_text(path: Path, display: str | None = None) -> str:
    """The file's text, decoded as UTF-8; an unreadable file is an :class:`InputError`."""
    name = display or str(path)
    raw = read_bytes(path, name)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        column = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        raise PolicyError(f"{name}:{line}:{column}: not UTF-8 text ({e.reason})") from e


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector.

    A parsed 10,000-category document is millions of live containers and none is garbage;
    left on, the collector rescans them again and again, which doubles parsing and diffing time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_json(text: str, display: str) -> Any:
    """Parse JSON text; a syntax error or a repeated key is a :class:`PolicyError` with line and column."""
    try:
        with paused_gc():
            return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as e:
        # The decoder's messages end in "... at" before a position it gives apart.
        reason = f"{e.msg} here" if e.msg.endswith(" at") else e.msg
        raise PolicyError(f"{display}:{e.lineno}:{e.colno}: malformed JSON: {reason}") from e
    except DuplicateKeyError as e:
        index = _find_duplicate(text, e.key)
        line = text.count("\n", 0, index) + 1
        column = index - (text.rfind("\n", 0, index) + 1) + 1
        raise PolicyError(f"{display}:{line}:{column}: key {e.key!r} appears twice in one object") from e
    except RecursionError as e:
        raise PolicyError(f"{display}: JSON nested too deeply") from e


def _find_duplicate(text: str, key: str) -> int:
    """Offset of the second occurrence of ``"key":`` in one object (best effort, for the message)."""
    needle = json.dumps(key, ensure_ascii=False)
    first = text.find(needle)
    second = text.find(needle, first + 1) if first >= 0 else -1
    return max(second, 0)


def read_json(path: Path, display: str | None = None) -> Any:
    """Read and parse a JSON file, every failure an :class:`InputError` naming the place."""
    name = display or str(path)
    return parse_json(read_text(path, name), name)


def dump_json(data: Any) -> str:
    """The project's JSON form for documents people edit: UTF-8, two-space indent, LF, final newline."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def canonical_json(data: Any) -> bytes:
    """A canonical byte form for digests: sorted keys, no white space, UTF-8."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def write_atomic(path: Path, data: bytes, *, make_parents: bool = False) -> None:
    """Replace ``path`` with ``data`` in one step: readers see the old file or the new one, never half.

    A missing directory is an :class:`InputError` (a mistyped ``-o`` should not quietly create
    a tree) unless ``make_parents`` says the layout calls for it, as ``releases/<id>/`` does.
    """
    import tempfile  # here, not at the top: the consumer API imports this module and never writes

    path = Path(path)
    directory = path.parent if str(path.parent) else Path()
    if path.is_dir():
        raise InputError(f"{path}: is a directory; name a file to write")
    if make_parents:
        directory.mkdir(parents=True, exist_ok=True)
    elif not directory.is_dir():
        raise InputError(f"{path}: directory {directory} does not exist")
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        Path(temporary).chmod(mode)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
