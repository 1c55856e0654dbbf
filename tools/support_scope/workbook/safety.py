"""A workbook's raw archive, checked and then read cell by cell, safely.

An .xlsx file is a zip of XML parts. A hostile one can hide macros or external links, declare
gigabytes behind a few kilobytes (a zip bomb), carry an XML entity bomb, or swell a sheet to
millions of rows. :func:`check_archive` reads only what the archive declares and streams the
sheet parts with bounded buffers, so nothing large is built in memory. Only an archive that
passed is read, by :func:`iter_rows`: the standard library's C parser over
each sheet, streamed row by row, once expat has checked that the part declares no DTD.

Every read of the archive goes through the same guard (:func:`_reading`): a damaged member (a
bad CRC, broken deflate data, an unsupported compression method, a truncated file) is a
:class:`WorkbookError` naming the part, never a traceback. Every scan is bounded: parts, sheets,
rows (counted by the scan and again by the parser, whatever their namespace prefix), merged
ranges, bytes per element.

Why not openpyxl's reader: its read-only mode first parses a whole sheet to learn its size
when the sheet does not declare it, then builds a Python object per cell, about 7 s for a
1,000-category matrix; reading the cells directly takes a fraction of that. openpyxl still
writes the workbook (see :mod:`support_scope.workbook`).
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from support_scope.errors import WorkbookError
from support_scope.fileio.regular import regular_file

MAX_TOTAL_UNCOMPRESSED = 2 * 1024**3  # a 10,000-category export is a few hundred MB of XML
MAX_PART_RATIO = 250  # XML sheets compress 10-40x; far beyond is a bomb
RATIO_FLOOR = 1024 * 1024  # small parts (styles, empty sheets) may compress better, harmlessly
# Rows per sheet. A legitimate export has one matrix row per item: the 10,000-category synthetic
# policy (about 17 items a category) has some 170,000, and its import already takes most of the
# 1 GiB memory budget; a policy much larger could not be imported within it anyway. 250,000 rows
# (about 15 times the 1,000-category policy, some 14,700 categories) leaves that room and no
# more; Excel's own limit, 1,048,576, is four times what an import could hold.
MAX_ROWS = 250_000
MAX_PARTS = 10_000
# Cells per row, and the last column a cell may be in. The widest sheet has 18 columns; a
# reviewer's stray cells further right are reported by the import, cell by cell. Beyond
# LibreOffice's classic last column (AMJ, 1,024), or with more cells than that in one row, the
# row is no reviewer's: refused before anything is built from it.
MAX_COLUMNS = 1024
MAX_CELLS_PER_ROW = 1024
# Bytes one element (a row, a shared string) may take, start tag to end tag. The largest a
# genuine one can be: 17 cells of 32,767 characters, each at most 4 bytes of UTF-8 or 5 as an
# escape (&amp;), some 2.8 MB; this leaves room for rich text runs and styles. A part whose
# element never closes is refused once this much is buffered beyond the block being read,
# instead of the buffer growing with the whole part.
MAX_ELEMENT_BYTES = 8 * 1024 * 1024
# The file itself: a 10,000-category export is some 20 MB.
MAX_WORKBOOK_BYTES = 512 * 1024 * 1024
# Sheets in xl/workbook.xml: an export has 7; a reviewer may add a few. Each is scanned once.
MAX_SHEETS = 255
# Merged ranges per sheet: each one merged where values are expected is reported with its cell;
# past this many, the sheet is refused (they are counted, not kept).
MAX_MERGED = 10_000
MERGED_KEPT = 100  # the ranges kept per sheet, to report; the others are counted

# Parts a workbook saved by this tool, Excel or LibreOffice Calc may contain.
_ALLOWED = re.compile(
    r"""^(?:
        \[Content_Types\]\.xml
      | _rels/\.rels
      | docProps/[^/]+\.xml
      | customXml/.+
      | xl/workbook\.xml
      | xl/_rels/workbook\.xml\.rels
      | xl/worksheets/sheet[0-9]+\.xml
      | xl/worksheets/_rels/sheet[0-9]+\.xml\.rels
      | xl/styles\.xml
      | xl/sharedStrings\.xml
      | xl/theme/theme[0-9]+\.xml
      | xl/calcChain\.xml
      | xl/metadata\.xml
      | xl/printerSettings/printerSettings[0-9]+\.bin
      | xl/comments[0-9]*\.xml
      | xl/drawings/.+
      | xl/threadedComments/.+
      | xl/persons/.+
      | xl/tables/.+
    )$""",
    re.VERBOSE,
)
# Parts refused with a specific reason.
_DANGEROUS = (
    (re.compile(r"vbaProject|\.bin$", re.IGNORECASE), "macros (a VBA project)"),
    (re.compile(r"^xl/externalLinks/"), "external links to other files"),
    (re.compile(r"^xl/connections\.xml$"), "external data connections"),
    (re.compile(r"^xl/(activeX|embeddings|ctrlProps)/"), "embedded objects or controls"),
    (re.compile(r"^xl/(macrosheets|dialogsheets)/"), "macro sheets"),
)
_MACRO_CONTENT_TYPE = b"macroEnabled"
_DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
# Element names: a namespace prefix is any XML name (``x-y:row`` is a row too).
_PREFIX = rb"(?:[A-Za-z_][\w.-]*:)?"
_ROW = re.compile(rb"<" + _PREFIX + rb"row[\s>/]")
_MERGE = re.compile(rb"<" + _PREFIX + rb"mergeCell[\s/>][^>]*")
_REF = re.compile(rb"""\bref\s*=\s*["']([A-Z]{1,3}[0-9]{1,7}(?::[A-Z]{1,3}[0-9]{1,7})?)["']""")
# A cell's formula; not ``xm:f``, the range of an Excel 2010 extension (a data validation's list).
_FORMULA = re.compile(rb"<(?!xm:)" + _PREFIX + rb"f[\s>/]")
_CELL_REFERENCE = re.compile(rb'\sr="([A-Z]{1,3}[0-9]{1,7})"')
_SHEET = re.compile(rb"<" + _PREFIX + rb"sheet\s[^>]*>")
_RELATIONSHIP = re.compile(rb"<" + _PREFIX + rb"Relationship\b[^>]*>")
# XML allows either quote around an attribute value: a value in single quotes is read too.
_ATTRIBUTE = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_HYPERLINK_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
_SAFE_LINK = re.compile(r"(?i)(?:https?|mailto):")
# What reading a damaged member can raise: a bad CRC or header, broken deflate data, a
# compression method the standard library does not read (deflate64), a truncated file.
_DAMAGED = (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, OSError, RuntimeError)
_CHUNK = 1 << 20
_TAIL = 128


@dataclass
class ArchiveReport:
    """What the checks learnt on the way: rows per sheet, and merged ranges."""

    sheet_parts: dict[str, str] = field(default_factory=dict)  # sheet name -> part name
    rows: dict[str, int] = field(default_factory=dict)
    merged: dict[str, list[str]] = field(default_factory=dict)  # the first MERGED_KEPT ranges
    merged_count: dict[str, int] = field(default_factory=dict)  # all of them
    strings: list[str] = field(default_factory=list)  # the shared strings, once read


@contextmanager
def _reading(display: str, part: str) -> Iterator[None]:
    """Reading ``part`` of the archive: whatever a damaged member raises becomes a :class:`WorkbookError`."""
    try:
        yield
    except WorkbookError:
        raise
    except _DAMAGED as e:
        reason = getattr(e, "strerror", None) or str(e) or type(e).__name__
        raise WorkbookError(f"{display}: {part} cannot be read ({reason}); the archive is damaged") from e


def open_archive(
    path: Path, display: str, not_zip: str = "workbook (.xlsx files are zip archives; this is not one)"
) -> zipfile.ZipFile:
    """The workbook's archive, opened once the file is known to be a regular file of a sane size
    whose directory lists a sane number of parts; else a :class:`WorkbookError` (``not_zip``
    says what the file should have been when it is no zip archive)."""
    regular_file(path, display, "workbook", MAX_WORKBOOK_BYTES, WorkbookError)
    declared = _declared_entries(path)
    if declared is not None and declared > MAX_PARTS:
        raise WorkbookError(f"{display}: the archive declares {declared:,} parts; refused")
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        raise WorkbookError(f"{display}: not a {not_zip}") from e
    except OSError as e:
        raise WorkbookError(f"{display}: cannot read: {e.strerror or e}") from e
    except (*_DAMAGED, ValueError) as e:
        raise WorkbookError(f"{display}: not a workbook, or a damaged one ({e})") from e


def _declared_entries(path: Path) -> int | None:
    """The number of entries the zip's end records declare (zip64 too), read before the
    standard library builds an object for each (a forged directory of millions would take
    seconds and hundreds of MB); None when no end record is found (zipfile then says why)."""
    try:
        with Path(path).open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - (65536 + 22 + 20)))
            tail = handle.read()
    except OSError:
        return None
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or len(tail) < end + 22:
        return None
    count = int(struct.unpack_from("<H", tail, end + 10)[0])
    locator = end - 20
    if count == 0xFFFF and locator >= 0 and tail[locator : locator + 4] == b"PK\x06\x07":
        offset = int(struct.unpack_from("<Q", tail, locator + 8)[0])
        try:
            with Path(path).open("rb") as handle:
                handle.seek(offset)
                record = handle.read(56)
        except OSError:
            return None
        if record[:4] == b"PK\x06\x06" and len(record) >= 40:
            return int(struct.unpack_from("<Q", record, 32)[0])
    return count


def check_archive(
    path: Path, display: str, max_rows: int = MAX_ROWS, editable: Collection[str] | None = None
) -> ArchiveReport:
    """Refuse, with a :class:`WorkbookError` naming the reason, a file that is not a safe workbook.

    ``editable``: the sheets whose formulas the import reports cell by cell; a formula in any
    other sheet (the read-me, the hidden ones) refuses the workbook here. Without it, formulas
    are left to the caller.
    """
    if path.suffix.lower() in (".xlsm", ".xltm", ".xlsb", ".xlam"):
        raise WorkbookError(
            f"{display}: a macro-enabled or binary workbook ({path.suffix}) is refused; save it as .xlsx"
        )
    archive = open_archive(path, display)
    with archive:
        infos = archive.infolist()
        _check_parts(infos, display)
        if "xl/workbook.xml" not in {info.filename for info in infos}:
            raise WorkbookError(f"{display}: not a workbook (no xl/workbook.xml in the archive)")
        content_types = _read_small(archive, "[Content_Types].xml", display)
        if _MACRO_CONTENT_TYPE in content_types:
            raise WorkbookError(f"{display}: the workbook is macro-enabled; macros are refused")
        for info in infos:
            if info.filename.endswith((".xml", ".rels", ".vml")):
                with _reading(display, info.filename), archive.open(info) as handle:
                    if _DOCTYPE.search(handle.read(4096)):
                        raise WorkbookError(
                            f"{display}: {info.filename} declares a DTD or entities (an XML entity bomb?); refused"
                        )
                # A DTD may also follow a long comment: read the whole prolog, up to the root element.
                _guard_prolog(archive, info.filename, display)
            if info.filename.endswith(".rels"):
                _check_relationships(_read_small(archive, info.filename, display), info.filename, display)
        report = ArchiveReport(sheet_parts=_sheet_parts(archive, display))
        for name, part in report.sheet_parts.items():
            formulas_refused = editable is not None and name not in editable
            rows, merged, count = _scan_sheet(archive, part, display, name, max_rows, formulas_refused)
            report.rows[name] = rows
            report.merged[name] = merged
            report.merged_count[name] = count
        return report


def _check_relationships(rels: bytes, part: str, display: str) -> None:
    """Refuse a relationship to anything outside the workbook, but for a web or mail hyperlink.

    A workbook points outside itself to fetch data (external links, linked images or objects)
    or through hyperlinks; a hyperlink to ``file:`` or ``javascript:`` is a trap for whoever
    clicks it in the review. ``http``, ``https`` and ``mailto`` hyperlinks are what reviewers add.
    """
    for match in _RELATIONSHIP.finditer(rels):
        attributes = _attributes(match.group(0), part, display)
        if attributes.get("TargetMode", "").lower() != "external":
            continue
        target = attributes.get("Target", "")
        shown = target if len(target) <= 80 else target[:79] + "…"
        if attributes.get("Type") == _HYPERLINK_TYPE:
            if _SAFE_LINK.match(target.strip()):
                continue
            raise WorkbookError(
                f"{display}: {part}: a hyperlink to {shown!r} (only http, https and mailto links are "
                "accepted); refused: remove the link"
            )
        raise WorkbookError(
            f"{display}: {part}: an external relationship to {shown!r} (the workbook refers to a file or "
            "address outside it); refused"
        )


def _attributes(tag: bytes, part: str, display: str) -> dict[str, str]:
    try:
        return {
            key.decode("ascii"): unescape_xml((double or single).decode("utf-8"))
            for key, double, single in _ATTRIBUTE.findall(tag)
        }
    except UnicodeDecodeError as e:
        raise WorkbookError(
            f"{display}: {part} is not UTF-8 text (byte {e.start}); the workbook is damaged"
        ) from e


def _check_parts(
    infos: list[zipfile.ZipInfo],
    display: str,
    allowed: re.Pattern[str] | None = None,
    dangerous: tuple[tuple[re.Pattern[str], str], ...] | None = None,
    what: str = "workbook",
) -> None:
    """The archive's directory: the parts allowed (``allowed``, refused with a reason when
    ``dangerous``), each once, none encrypted, none expanding like a bomb, a sane total."""
    allowed = allowed if allowed is not None else _ALLOWED
    dangerous = dangerous if dangerous is not None else _DANGEROUS
    if len(infos) > MAX_PARTS:
        raise WorkbookError(f"{display}: the archive holds {len(infos)} parts; refused")
    total = 0
    names: set[str] = set()
    for info in infos:
        name = info.filename
        if name in names:
            raise WorkbookError(
                f"{display}: the archive holds {name} twice (a spreadsheet shows one of them, the import "
                "would read the other); refused"
            )
        names.add(name)
        for pattern, reason in dangerous:
            if pattern.search(name) and not name.startswith("xl/printerSettings/"):
                raise WorkbookError(f"{display}: the {what} contains {reason} ({name}); refused")
        if not allowed.match(name) and not name.endswith("/"):
            raise WorkbookError(f"{display}: unexpected part {name!r} in the {what}; refused")
        if info.flag_bits & 0x1:
            raise WorkbookError(f"{display}: {name} is encrypted; refused")
        total += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_PART_RATIO * max(info.compress_size, 1):
            raise WorkbookError(
                f"{display}: {name} expands {info.file_size // max(info.compress_size, 1)}x "
                f"({info.file_size:,} bytes from {info.compress_size:,}): a zip bomb? refused"
            )
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise WorkbookError(
            f"{display}: the archive declares {total:,} bytes uncompressed (limit {MAX_TOTAL_UNCOMPRESSED:,}); refused"
        )


def _read_small(archive: zipfile.ZipFile, name: str, display: str, limit: int = 16 * 1024 * 1024) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError as e:
        raise WorkbookError(f"{display}: not a workbook (no {name} in the archive)") from e
    if info.file_size > limit:
        raise WorkbookError(f"{display}: {name} is {info.file_size:,} bytes; refused")
    with _reading(display, name):
        data = archive.read(info)
    if len(data) > limit:  # the directory understated it
        raise WorkbookError(f"{display}: {name} is larger than its archive entry says; refused")
    return data


def _sheet_parts(archive: zipfile.ZipFile, display: str) -> dict[str, str]:
    """Sheet name -> part name, from xl/workbook.xml and its relationships.

    At most :data:`MAX_SHEETS` sheets, each with a part of its own: a part named by two sheets
    would be scanned, and imported, twice.
    """
    workbook = _read_small(archive, "xl/workbook.xml", display)
    rels_name = "xl/_rels/workbook.xml.rels"
    rels = _read_small(archive, rels_name, display)
    targets: dict[str, str] = {}
    for match in _RELATIONSHIP.finditer(rels):
        attributes = _attributes(match.group(0), rels_name, display)
        if "Id" in attributes and "Target" in attributes:
            target = attributes["Target"]
            resolved = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
            targets[attributes["Id"]] = resolved
    parts: dict[str, str] = {}
    owners: dict[str, str] = {}
    for count, match in enumerate(_SHEET.finditer(workbook), start=1):
        if count > MAX_SHEETS:
            raise WorkbookError(f"{display}: xl/workbook.xml lists more than {MAX_SHEETS} sheets; refused")
        attributes = _attributes(match.group(0), "xl/workbook.xml", display)
        name = attributes.get("name")
        rel = next((value for key, value in attributes.items() if key.endswith(":id")), None)
        if name is None or rel is None or rel not in targets:
            continue
        part = targets[rel]
        if part in owners:
            raise WorkbookError(
                f"{display}: {part} is the part of sheets {owners[part]!r} and {name!r}; refused "
                "(each sheet has its own part)"
            )
        if name in parts:
            raise WorkbookError(f"{display}: two sheets are named {name!r}; refused")
        owners[part] = name
        parts[name] = part
    return parts


# Leading zeros are legal and unbounded in XML (`&#x0000045;` is "E"): skipped, then at most
# the digits a character takes; a longer reference is left as written (no parser reads it).
_REFERENCE = re.compile(r"&(?:#0*([0-9]{1,7})|#[xX]0*([0-9a-fA-F]{1,6})|(lt|gt|amp|quot|apos));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def _character(found: re.Match[str]) -> str:
    decimal, hexadecimal, name = found.groups()
    if name:
        return _NAMED[name]
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return found.group(0)  # not a character: left as written, for the checks to see
    return chr(code)


def unescape_xml(text: str) -> str:
    """An XML attribute's value as a reader sees it: the five named references and numeric
    ones (``&#102;``, ``&#x66;``) replaced, in one pass (``&amp;lt;`` stays ``&lt;``)."""
    return _REFERENCE.sub(_character, text) if "&" in text else text


def _scan_sheet(
    archive: zipfile.ZipFile,
    part: str,
    display: str,
    name: str,
    max_rows: int,
    formulas_refused: bool = False,
) -> tuple[int, list[str], int]:
    """Count the sheet's rows and merged ranges (keeping the first few), streaming, with bounded
    memory; refuse a formula when ``formulas_refused`` (a sheet nobody edits: the read-me, the
    hidden ones)."""
    if part not in archive.NameToInfo:
        raise WorkbookError(f"{display}: sheet {name!r} has no part {part}; the archive is damaged")
    rows = merged_count = 0
    merged: list[str] = []
    tail = b""
    with _reading(display, part), archive.open(part) as handle:
        while True:
            chunk = handle.read(_CHUNK)
            if not chunk:
                break
            buffer = tail + chunk
            # A match ending inside the tail was counted with the previous chunk.
            rows += sum(1 for m in _ROW.finditer(buffer) if m.end() > len(tail))
            for m in _MERGE.finditer(buffer):
                if m.end() > len(tail):
                    merged_count += 1
                    reference = _REF.search(m.group(0))
                    if len(merged) < MERGED_KEPT and reference is not None:
                        merged.append(reference.group(1).decode("ascii"))
            if rows > max_rows:
                raise WorkbookError(
                    f"{display}: sheet {name!r} holds more than {max_rows:,} rows; refused before loading it"
                )
            if merged_count > MAX_MERGED:
                raise WorkbookError(
                    f"{display}: sheet {name!r} holds more than {MAX_MERGED:,} merged ranges; refused "
                    "(no cell is to be merged)"
                )
            if formulas_refused:
                formula = next((m for m in _FORMULA.finditer(buffer) if m.end() > len(tail)), None)
                if formula is not None:
                    cell = _CELL_REFERENCE.findall(buffer, max(0, formula.start() - 4096), formula.start())
                    where = f"{name}!{cell[-1].decode('ascii')}" if cell else f"sheet {name!r}"
                    raise WorkbookError(
                        f"{display}: {where}: a formula in a sheet nobody edits (the read-me or a hidden "
                        "sheet); formulas are refused"
                    )
            tail = buffer[-_TAIL:]
    return rows, merged, merged_count


# --------------------------------------------------------------------------- OpenDocument archives

ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
# Parts LibreOffice Calc and Gnumeric write into an .ods; anything else is refused.
_ODS_ALLOWED = re.compile(
    r"""^(?:
        mimetype
      | content\.xml | styles\.xml | meta\.xml | settings\.xml | manifest\.rdf
      | META-INF/manifest\.xml
      | Thumbnails/thumbnail\.png
      | Configurations2/.*
    )$""",
    re.VERBOSE,
)
_ODS_DANGEROUS = (
    (re.compile(r"^(?:Basic|Scripts)/"), "macros"),
    (re.compile(r"^Object |^ObjectReplacements/"), "embedded objects"),
    (re.compile(r"^META-INF/(?:macro)?signatures"), "signed macros or content"),
)


def is_ods(path: Path) -> bool:
    """True when ``path`` is an OpenDocument spreadsheet (by its ``mimetype`` part, whatever
    its name); False for anything else, including files that are not zip archives, and files
    :func:`open_archive` refuses (the .xlsx check that follows then says why)."""
    try:
        archive = open_archive(path, str(path))
    except WorkbookError:
        return False
    try:
        with archive:
            info = archive.NameToInfo.get("mimetype")
            if info is None or info.file_size >= 200:
                return False
            with _reading(str(path), "mimetype"):
                return archive.read(info).strip() == ODS_MIMETYPE
    except WorkbookError:
        return False


def check_ods_archive(path: Path, display: str) -> None:
    """Refuse, with a :class:`WorkbookError`, an .ods that is not a safe spreadsheet: not a
    regular file, macros, embedded objects, encryption, unknown or repeated parts, a DTD, a zip
    bomb, a damaged member; the same guards as an .xlsx (:func:`open_archive`,
    :func:`_check_parts`, :func:`_guard_prolog`, :func:`_reading`). Rows, cells and external
    links are checked as the content is read (:mod:`support_scope.workbook.ods`)."""
    archive = open_archive(path, display, "spreadsheet (.ods files are zip archives; this is not one)")
    with archive:
        infos = archive.infolist()
        _check_parts(infos, display, _ODS_ALLOWED, _ODS_DANGEROUS, "spreadsheet")
        if _read_small(archive, "mimetype", display, 200).strip() != ODS_MIMETYPE:
            raise WorkbookError(f"{display}: not an OpenDocument spreadsheet (its mimetype says otherwise)")
        manifest = _read_small(archive, "META-INF/manifest.xml", display)
        if b"encryption-data" in manifest:
            raise WorkbookError(f"{display}: the spreadsheet is encrypted (password protected); refused")
        for info in infos:
            if info.filename.endswith((".xml", ".rdf")):
                _guard_prolog(archive, info.filename, display)
        if "content.xml" not in archive.NameToInfo:
            raise WorkbookError(f"{display}: not a spreadsheet (no content.xml in the archive)")


# --------------------------------------------------------------------------- reading cells

_MAIN_NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",  # "strict" Open XML
)
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_ROW_NUMBER = re.compile(r"[1-9][0-9]{0,6}")
_STRING_INDEX = re.compile(r"[0-9]{1,9}")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
_COLUMNS: dict[str, int] = {}


def _tags(local: str) -> frozenset[str]:
    return frozenset({local, *(f"{{{ns}}}{local}" for ns in _MAIN_NAMESPACES)})


_ROW_TAGS, _CELL_TAGS = _tags("row"), _tags("c")
_V_TAGS, _F_TAGS, _IS_TAGS = _tags("v"), _tags("f"), _tags("is")
_T_TAGS, _R_TAGS, _SI_TAGS = _tags("t"), _tags("r"), _tags("si")


def _unescape_excel(text: str) -> str:
    """Excel writes characters XML cannot hold as ``_xHHHH_`` (and a literal ``_x`` as ``_x005F_x``)."""
    if "_x" not in text:
        return text
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)


def _rich_text(element: Any) -> str:
    """The text of an ``<is>`` or ``<si>``: its ``<t>``, or its runs' ``<t>`` (phonetic runs left out)."""
    parts = []
    for child in element:
        if child.tag in _T_TAGS:
            parts.append(child.text or "")
        elif child.tag in _R_TAGS:
            for grandchild in child:
                if grandchild.tag in _T_TAGS:
                    parts.append(grandchild.text or "")
    return _unescape_excel("".join(parts))


def column_index(reference: str) -> int:
    """1-based column of a cell reference (``AB12`` -> 28)."""
    letters = reference.rstrip("0123456789")
    index = _COLUMNS.get(letters)
    if index is None:
        index = 0
        for letter in letters:
            index = index * 26 + (ord(letter) - 64)
        if 0 < index <= MAX_COLUMNS:  # a hostile sheet's made-up references must not fill the cache
            _COLUMNS[letters] = index
    return index


class _RootReached(Exception):
    """The prolog is over: the root element starts."""


class _Doctype(Exception):
    """The part declares a DTD."""


def _guard_prolog(archive: zipfile.ZipFile, part: str, display: str) -> None:
    """Refuse a part whose prolog declares a DTD, read with expat up to its root element.

    A DTD (and so any entity declaration) can only stand before the root element; without one,
    an XML document has only the five predefined entities, so neither an entity bomb nor an
    external entity is possible in the rest, which the fast C parser then reads. This is the
    protection defusedxml gives, at the cost of reading the prolog only.
    """
    import pyexpat

    parser = pyexpat.ParserCreate()

    def doctype(*args: Any) -> None:
        raise _Doctype

    def root(*args: Any) -> None:
        raise _RootReached

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.StartElementHandler = root
    with _reading(display, part), archive.open(part) as handle:
        try:
            while chunk := handle.read(65536):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except _RootReached:
            return
        except _Doctype as e:
            raise WorkbookError(
                f"{display}: {part} declares a DTD or entities (an XML entity bomb?); refused"
            ) from e
        except pyexpat.ExpatError as e:
            raise WorkbookError(
                f"{display}: {part} is not well-formed XML ({e}); the workbook is damaged"
            ) from e


_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)(?:\s[^>]*)?>")
_BLOCK = 1024 * 1024  # larger blocks parse no faster, and each one's tree is some 10 times its size


def _elements(archive: zipfile.ZipFile, part: str, display: str, container: str, item: str) -> Iterator[Any]:
    """The ``item`` elements (rows, shared strings) inside ``container``, parsed a block at a time.

    The part is read in blocks of 1 MB cut after the last complete item; each block is
    parsed in one call of the C parser, under a copy of the root's start tag (which carries the
    namespace declarations). Parsing element by element through ``iterparse`` costs about three
    times as much. The prolog was checked first, so no block can refer to a DTD.
    """
    from xml.etree.ElementTree import ParseError, fromstring

    _guard_prolog(archive, part, display)
    root_tag = b""
    root_name = ""
    closing = b""
    buffer = b""
    started = False
    with _reading(display, part), archive.open(part) as handle:
        while True:
            chunk = handle.read(_BLOCK)
            buffer += chunk
            if not started:
                if len(buffer) > MAX_ELEMENT_BYTES:
                    raise WorkbookError(
                        f"{display}: {part}: no <{container}> in its first {MAX_ELEMENT_BYTES:,} bytes; refused"
                    )
                root = _ROOT.search(buffer)
                if root is None or buffer.find(b">", root.end() - 1) < 0:
                    if not chunk:
                        return
                    continue
                root_tag, root_name = root.group(0), root.group(1).decode()
                prefix = root_name.rpartition(":")[0]
                prefix = f"{prefix}:" if prefix else ""
                start: re.Match[bytes] | None = root
                if root_name.rpartition(":")[2] != container:
                    start = re.compile(rf"<{re.escape(prefix)}{container}\b[^>]*>".encode()).search(
                        buffer, root.end()
                    )
                if start is None:
                    if not chunk:
                        return
                    continue
                if root_tag.endswith(b"/>") or start.group(0).endswith(b"/>"):
                    return  # an empty container
                closing = f"</{prefix}{item}>".encode()
                buffer = buffer[start.end() :]
                started = True
            cut = buffer.rfind(closing)
            if chunk and cut < 0:
                if len(buffer) > MAX_ELEMENT_BYTES:
                    raise WorkbookError(
                        f"{display}: {part} holds an element (a {item!r}) of more than "
                        f"{MAX_ELEMENT_BYTES:,} bytes, or one that never closes; refused"
                    )
                continue
            if chunk:
                block, buffer = buffer[: cut + len(closing)], buffer[cut + len(closing) :]
            else:
                end = buffer.find(
                    f"</{root_name.rpartition(':')[0] + ':' if ':' in root_name else ''}{container}>".encode()
                )
                block, buffer = (buffer[:end] if end >= 0 else buffer), b""
            wrapped = root_tag[:-2] + b">" if root_tag.endswith(b"/>") else root_tag
            try:
                tree = fromstring(wrapped + block + f"</{root_name}>".encode())
            except ParseError as e:
                raise WorkbookError(
                    f"{display}: {part} is not well-formed XML ({e}); the workbook is damaged"
                ) from e
            yield from tree
            if not chunk:
                return


def shared_strings(archive: zipfile.ZipFile, display: str) -> list[str]:
    """The workbook's shared strings (Excel and Calc write texts there; this tool writes them inline)."""
    names = set(archive.namelist())
    name = "xl/sharedStrings.xml"
    if name not in names:
        return []
    return [
        _rich_text(element)
        for element in _elements(archive, name, display, "sst", "si")
        if element.tag in _SI_TAGS
    ]


Cell = tuple[int, str, Any]  # column (1-based), kind, value


def iter_rows(
    archive: zipfile.ZipFile,
    part: str,
    strings: list[str],
    display: str,
    sheet: str | None = None,
    max_rows: int = MAX_ROWS,
    number_kind: Callable[[str | None], str] | None = None,
) -> Iterator[tuple[int, list[Cell]]]:
    """The non-empty rows of a sheet part: (row number, [(column, kind, value), ...]).

    Kinds: ``s`` text, ``n`` number (int or float), ``f`` formula (the value is its text),
    ``b`` TRUE/FALSE, ``e`` an error value, ``d`` a date. ``number_kind``, given a number
    cell's style (its ``s`` attribute), tells what the number shows as: ``n``, or ``d`` (a date),
    ``t`` (a time), ``p`` (a percentage); the value stays the number. A row of more than
    :data:`MAX_CELLS_PER_ROW` cells holding something, a cell beyond column
    :data:`MAX_COLUMNS`, or more than ``max_rows`` rows (counted here, as they are parsed,
    whatever the scan counted) is a :class:`WorkbookError` (``sheet`` names the sheet in the
    message).
    """
    where = sheet if sheet is not None else part
    number = count = 0
    for element in _elements(archive, part, display, "sheetData", "row"):
        if element.tag not in _ROW_TAGS:
            continue
        count += 1
        if count > max_rows:
            raise WorkbookError(f"{display}: sheet {where!r} holds more than {max_rows:,} rows; refused")
        given = element.get("r")
        if given is None:
            number += 1
        elif _ROW_NUMBER.fullmatch(given):
            number = int(given)
        else:
            raise WorkbookError(f"{display}: {where}: a row numbered {given[:20]!r}; the workbook is damaged")
        if len(element) > MAX_CELLS_PER_ROW and _filled_cells(element) > MAX_CELLS_PER_ROW:
            raise WorkbookError(
                f"{display}: {where}!{number}:{number}: row {number} holds {len(element):,} cells "
                f"(at most {MAX_CELLS_PER_ROW:,}; the widest sheet has 18 columns); refused"
            )
        cells: list[Cell] = []
        column = 0
        for cell in element:
            reference = cell.get("r")
            if reference:
                if not len(cell):
                    continue  # an empty cell kept only for its style: nothing to read
                column = column_index(reference)
            else:
                column += 1
            if not 1 <= column <= MAX_COLUMNS:
                shown = reference[:20] if reference else f"column {column}"
                raise WorkbookError(
                    f"{display}: {where}!{shown}: a cell outside columns A to AMJ ({MAX_COLUMNS:,}); "
                    "the widest sheet has 18 columns; refused"
                )
            if cell.tag not in _CELL_TAGS:
                continue
            kind = cell.get("t")
            first = cell[0] if len(cell) == 1 else None
            if kind == "inlineStr" and first is not None and first.tag in _IS_TAGS:
                # The common case, this tool's own cells: one <is><t>text</t></is>.
                inner = first[0] if len(first) == 1 else None
                text = inner.text or "" if inner is not None and inner.tag in _T_TAGS else _rich_text(first)
                if text:
                    cells.append((column, "s", _unescape_excel(text)))
                continue
            found_kind, value = _cell(cell, strings, display, f"{where}!{reference or column}")
            if found_kind == "n" and number_kind is not None:
                found_kind = number_kind(cell.get("s"))
            if value is not None and value != "":
                cells.append((column, found_kind, value))
        if cells:
            yield number, cells


def _filled_cells(row: Any) -> int:
    """The cells of a row that hold something. Gnumeric writes a row's style as a styled empty
    cell in each of its 16,384 columns: those are bounded by the row's size, and skipped."""
    return sum(1 for cell in row if len(cell))


def _cell(cell: Any, strings: list[str], display: str, where: str) -> tuple[str, Any]:
    kind = cell.get("t", "n")
    raw: str | None = None
    for child in cell:
        tag = child.tag
        if tag in _F_TAGS:
            return "f", "=" + (child.text or "")
        if tag in _V_TAGS:
            raw = child.text
        elif tag in _IS_TAGS:
            return "s", _rich_text(child)
    if raw is None:
        return kind, None
    if kind == "s":
        # ASCII digits only: int() would read "-1" (the last string), "0_1" or "١" too.
        index = int(raw) if _STRING_INDEX.fullmatch(raw) else -1
        if not 0 <= index < len(strings):
            raise WorkbookError(
                f"{display}: {where}: the cell refers to shared string {raw[:20]!r}, which does not exist; "
                "the workbook is damaged"
            )
        return "s", strings[index]
    if kind in ("str", "inlineStr"):
        return "s", _unescape_excel(raw)
    if kind == "n":
        try:
            number = float(raw) if _NUMBER.fullmatch(raw) else float("nan")
        except ValueError:
            number = float("nan")
        if number != number or number in (float("inf"), float("-inf")):
            raise WorkbookError(f"{display}: {where}: {raw[:40]!r} is not a number; the workbook is damaged")
        return "n", int(
            number
        ) if number.is_integer() and "e" not in raw.lower() and "." not in raw else number
    return kind, raw
