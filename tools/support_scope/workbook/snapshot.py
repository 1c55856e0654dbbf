"""The exported policy, kept in the workbook's hidden Meta sheet: compressed, in cell-sized chunks,
with its digest, so that the import can merge three ways (as exported, as now, as reviewed).

The Meta sheet is the workbook's, so anyone can edit it: what is read from it is bounded (the
chunks inflate to at most what a policy can be), checked (the snapshot against its digest, the
row checksums against the snapshot they were taken from), and a fault is blamed on the workbook,
never on the policy.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from typing import Any

from support_scope.errors import InputError, WorkbookError
from support_scope.fileio.jsonfile import MAX_FILE_BYTES, canonical_json, parse_json
from support_scope.workbook.layout import SHEET_META, Table, checksum, sheet_rows

_SNAPSHOT_CHUNK = 30000  # under Excel's 32,767 characters per cell
# Policy JSON compresses 5 to 15 times (the shipped policy 5.4, the synthetic 10,000-category one
# 13.5); a snapshot that inflates far more is a zlib bomb. Never more than a policy file may hold.
MAX_RATIO = 100
_RATIO_FLOOR = 1024 * 1024
_INFLATE_STEP = 16 * 1024 * 1024


def snapshot_digest(document: dict[str, Any]) -> str:
    """The digest the metadata sheet records of the exported policy (of its canonical form)."""
    return hashlib.sha256(canonical_json(document)).hexdigest()


def encode_snapshot(document: dict[str, Any]) -> tuple[str, list[str]]:
    """The document's digest, and the document compressed into cell-sized chunks."""
    # One canonical form serves both: it is the size of the policy (87 MB at 10,000 categories).
    raw = canonical_json(document)
    return hashlib.sha256(raw).hexdigest(), _pack_bytes(raw)


def decode_snapshot(
    chunks: list[str], digest: str, parse: bool = True, display: str = "workbook"
) -> dict[str, Any]:
    """The exported document back from its chunks; a mismatch with ``digest`` is a :class:`WorkbookError`.

    With ``parse=False``, only check it (and return an empty dict). ``display`` names the workbook.
    """
    where = f"{display}: {SHEET_META}"
    try:
        raw = unpack(chunks)
    except (ValueError, zlib.error) as e:
        raise WorkbookError(
            f"{where}: the export snapshot is damaged ({e}); export the workbook again"
        ) from e
    if hashlib.sha256(raw).hexdigest() != digest:
        raise WorkbookError(
            f"{where}: the export snapshot does not match its digest (edited or damaged); export the workbook again"
        )
    if not parse:
        return {}
    # Decoded, then the bytes let go before parsing: the two side by side are twice the size
    # of the policy's text (some 170 MB for a 10,000-category one) at the import's peak.
    try:
        text = raw.decode("utf-8")
        del raw
        document = parse_json(text, f"{where} snapshot")
    except (UnicodeDecodeError, InputError) as e:
        raise WorkbookError(
            f"{where}: the export snapshot is damaged ({e}); export the workbook again"
        ) from e
    if not isinstance(document, dict):
        raise WorkbookError(f"{where}: the export snapshot is not a policy; export the workbook again")
    return document


def pack(data: Any) -> list[str]:
    """``data`` as compressed, cell-sized text chunks (zlib, base64)."""
    return _pack_bytes(canonical_json(data))


def _pack_bytes(raw: bytes) -> list[str]:
    packed = base64.b64encode(zlib.compress(raw, 6)).decode("ascii")
    return [packed[i : i + _SNAPSHOT_CHUNK] for i in range(0, len(packed), _SNAPSHOT_CHUNK)]


def unpack(chunks: list[str]) -> bytes:
    """The bytes :func:`pack` packed; damaged text is a :class:`ValueError` or :class:`zlib.error`.

    Inflated a step at a time and never beyond :data:`MAX_RATIO` times the compressed size (nor
    a policy file's limit): a few kilobytes of forged chunks cannot claim gigabytes.
    """
    try:
        compressed = base64.b64decode("".join(chunks), validate=True)
    except binascii.Error as e:
        raise ValueError(f"not base64: {e}") from e
    limit = min(MAX_FILE_BYTES, max(_RATIO_FLOOR, MAX_RATIO * len(compressed)))
    inflater = zlib.decompressobj()
    out = bytearray()
    data = compressed
    while True:
        out += inflater.decompress(data, min(_INFLATE_STEP, limit + 1 - len(out)))
        if len(out) > limit:
            raise ValueError(f"it inflates to more than {limit:,} bytes (a zlib bomb?)")
        data = inflater.unconsumed_tail
        if not data:
            break
    out += inflater.flush()
    if len(out) > limit:
        raise ValueError(f"it inflates to more than {limit:,} bytes (a zlib bomb?)")
    if not inflater.eof:
        raise ValueError("it is truncated")
    if inflater.unused_data:
        raise ValueError("it has data after its end")
    return bytes(out)


class NotExported(WorkbookError):
    """The exported policy lacks what an export is made of (rows cannot be made from it)."""


def verify_checksums(
    checksums: dict[str, dict[str, str]], exported: dict[str, Any], layout: dict[str, Table], display: str
) -> None:
    """Refuse row checksums that are not the ones the export took of ``exported`` (the snapshot,
    checked against its digest): a row the import would take as untouched must be one.

    A forged checksum would make an edited row look untouched, and the edit would be dropped
    without a word.
    """
    where = f"{display}: {SHEET_META}"
    try:
        expected = {
            name: {row.key: checksum(row.stored(table)) for row in sheet_rows(exported, layout, name)}
            for name, table in layout.items()
        }
    except (KeyError, TypeError, AttributeError, ValueError, IndexError, RecursionError) as e:
        raise NotExported(
            f"{where}: the export snapshot is not a policy as exported ({type(e).__name__}: {str(e)[:80]}); "
            "export the workbook again"
        ) from e
    if expected != {name: checksums.get(name, {}) for name in layout}:
        raise WorkbookError(
            f"{where}: the row checksums are not those of the exported policy (the sheet was edited); "
            "export the workbook again"
        )
