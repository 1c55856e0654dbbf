"""The exported policy, kept in the workbook's hidden Meta sheet: compressed, in cell-sized chunks,
with its digest, so that the import can merge three ways (as exported, as now, as reviewed)."""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from typing import Any

from support_scope.errors import WorkbookError
from support_scope.fileio.jsonfile import canonical_json
from support_scope.workbook.layout import SHEET_META

_SNAPSHOT_CHUNK = 30000  # under Excel's 32,767 characters per cell


def snapshot_digest(document: dict[str, Any]) -> str:
    """The digest the metadata sheet records of the exported policy (of its canonical form)."""
    return hashlib.sha256(canonical_json(document)).hexdigest()


def encode_snapshot(document: dict[str, Any]) -> tuple[str, list[str]]:
    """The document's digest, and the document compressed into cell-sized chunks."""
    # One canonical form serves both: it is the size of the policy (87 MB at 10,000 categories).
    raw = canonical_json(document)
    return hashlib.sha256(raw).hexdigest(), _pack_bytes(raw)


def decode_snapshot(chunks: list[str], digest: str, parse: bool = True) -> dict[str, Any]:
    """The exported document back from its chunks; a mismatch with ``digest`` is a :class:`WorkbookError`.

    With ``parse=False``, only check it (and return an empty dict).
    """
    try:
        raw = unpack(chunks)
    except (ValueError, zlib.error) as e:
        raise WorkbookError(f"{SHEET_META}: the export snapshot is damaged ({e})") from e
    if hashlib.sha256(raw).hexdigest() != digest:
        raise WorkbookError(
            f"{SHEET_META}: the export snapshot does not match its digest (edited or damaged)"
        )
    if not parse:
        return {}
    # Decoded, then the bytes let go before parsing: the two side by side are twice the size
    # of the policy's text (some 170 MB for a 10,000-category one) at the import's peak.
    text = raw.decode("utf-8")
    del raw
    document: dict[str, Any] = json.loads(text)
    return document


def pack(data: Any) -> list[str]:
    """``data`` as compressed, cell-sized text chunks (zlib, base64)."""
    return _pack_bytes(canonical_json(data))


def _pack_bytes(raw: bytes) -> list[str]:
    packed = base64.b64encode(zlib.compress(raw, 6)).decode("ascii")
    return [packed[i : i + _SNAPSHOT_CHUNK] for i in range(0, len(packed), _SNAPSHOT_CHUNK)]


def unpack(chunks: list[str]) -> bytes:
    """The bytes :func:`pack` packed; damaged text is a :class:`ValueError` or :class:`zlib.error`."""
    return zlib.decompress(base64.b64decode("".join(chunks), validate=True))
