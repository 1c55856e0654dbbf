"""A workbook's raw archive, checked and then read cell by cell, safely.

An .xlsx file is a zip of XML parts. A hostile one can hide macros or external links, declare
gigabytes behind a few kilobytes (a zip bomb), carry an XML entity bomb, or swell a sheet to
millions of rows. :func:`check_archive` reads only what the archive declares and streams the
sheet parts with bounded buffers, so nothing large is built in memory. Only an archive that
passed is read, by :func:`iter_rows`: the standard library's C parser over
each sheet, streamed row by row, once expat has checked that the part declares no DTD.

Why not openpyxl's reader: its read-only mode first parses a whole sheet to learn its size
when the sheet does not declare it, then builds a Python object per cell, about 7 s for a
1,000-category matrix; reading the cells directly takes a fraction of that. openpyxl still
writes the workbook (see :mod:`support_scope.workbook`).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from support_scope.errors import WorkbookError

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
_ROW = re.compile(rb"<(?:\w+:)?row[\s>/]")
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)"')
_SHEET = re.compile(
    rb'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"|<(?:\w+:)?sheet\b[^>]*?\br:id="([^"]*)"[^>]*?\bname="([^"]*)"'
)
_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_ATTRIBUTE = re.compile(rb'(\w+)="([^"]*)"')
_CHUNK = 1 << 20
_TAIL = 128


@dataclass
class ArchiveReport:
    """What the checks learnt on the way: rows per sheet, and merged ranges."""

    sheet_parts: dict[str, str] = field(default_factory=dict)  # sheet name -> part name
    rows: dict[str, int] = field(default_factory=dict)
    merged: dict[str, list[str]] = field(default_factory=dict)
    strings: list[str] = field(default_factory=list)  # the shared strings, once read


def check_archive(path: Path, display: str, max_rows: int = MAX_ROWS) -> ArchiveReport:
    """Refuse, with a :class:`WorkbookError` naming the reason, a file that is not a safe workbook."""
    if path.suffix.lower() in (".xlsm", ".xltm", ".xlsb", ".xlam"):
        raise WorkbookError(
            f"{display}: a macro-enabled or binary workbook ({path.suffix}) is refused; save it as .xlsx"
        )
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        raise WorkbookError(
            f"{display}: not a workbook (.xlsx files are zip archives; this is not one)"
        ) from e
    except OSError as e:
        raise WorkbookError(f"{display}: cannot read: {e.strerror or e}") from e
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
                with archive.open(info) as handle:
                    if _DOCTYPE.search(handle.read(4096)):
                        raise WorkbookError(
                            f"{display}: {info.filename} declares a DTD or entities (an XML entity bomb?); refused"
                        )
        report = ArchiveReport(sheet_parts=_sheet_parts(archive, display))
        for name, part in report.sheet_parts.items():
            rows, merged = _scan_sheet(archive, part, display, name, max_rows)
            report.rows[name] = rows
            report.merged[name] = merged
        return report


def _check_parts(infos: list[zipfile.ZipInfo], display: str) -> None:
    if len(infos) > MAX_PARTS:
        raise WorkbookError(f"{display}: the archive holds {len(infos)} parts; refused")
    total = 0
    for info in infos:
        name = info.filename
        for pattern, what in _DANGEROUS:
            if pattern.search(name) and not name.startswith("xl/printerSettings/"):
                raise WorkbookError(f"{display}: the workbook contains {what} ({name}); refused")
        if not _ALLOWED.match(name) and not name.endswith("/"):
            raise WorkbookError(f"{display}: unexpected part {name!r} in the workbook; refused")
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
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise WorkbookError(f"{display}: {name} cannot be read ({e}); the archive is damaged") from e


def _sheet_parts(archive: zipfile.ZipFile, display: str) -> dict[str, str]:
    """Sheet name -> part name, from xl/workbook.xml and its relationships."""
    workbook = _read_small(archive, "xl/workbook.xml", display)
    rels = _read_small(archive, "xl/_rels/workbook.xml.rels", display)
    targets: dict[str, str] = {}
    for match in _RELATIONSHIP.finditer(rels):
        attributes = {
            key.decode(): value.decode("utf-8") for key, value in _ATTRIBUTE.findall(match.group(0))
        }
        if "Id" in attributes and "Target" in attributes:
            target = attributes["Target"]
            resolved = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
            targets[attributes["Id"]] = resolved
    parts: dict[str, str] = {}
    for match in _SHEET.finditer(workbook):
        name = match.group(1) or match.group(4)
        rel = match.group(2) or match.group(3)
        if rel.decode() in targets:
            parts[_unescape(name.decode("utf-8"))] = targets[rel.decode()]
    return parts


def _unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


def _scan_sheet(
    archive: zipfile.ZipFile, part: str, display: str, name: str, max_rows: int
) -> tuple[int, list[str]]:
    """Count the sheet's rows and collect its merged ranges, streaming, with bounded memory."""
    try:
        handle = archive.open(part)
    except KeyError as e:
        raise WorkbookError(f"{display}: sheet {name!r} has no part {part}; the archive is damaged") from e
    rows = 0
    merged: list[str] = []
    tail = b""
    try:
        with handle:
            while True:
                chunk = handle.read(_CHUNK)
                if not chunk:
                    break
                buffer = tail + chunk
                # A match ending inside the tail was counted with the previous chunk.
                rows += sum(1 for m in _ROW.finditer(buffer) if m.end() > len(tail))
                merged.extend(m.group(1).decode() for m in _MERGE.finditer(buffer) if m.end() > len(tail))
                if rows > max_rows:
                    raise WorkbookError(
                        f"{display}: sheet {name!r} holds more than {max_rows:,} rows; refused before loading it"
                    )
                tail = buffer[-_TAIL:]
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise WorkbookError(f"{display}: sheet {name!r} cannot be read ({e}); the archive is damaged") from e
    return rows, merged


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
    its name); False for anything else, including files that are not zip archives."""
    try:
        with zipfile.ZipFile(path) as archive:
            if "mimetype" not in archive.namelist():
                return False
            info = archive.getinfo("mimetype")
            return info.file_size < 200 and archive.read(info).strip() == ODS_MIMETYPE
    except (zipfile.BadZipFile, OSError, KeyError, EOFError):
        return False


def check_ods_archive(path: Path, display: str) -> None:
    """Refuse, with a :class:`WorkbookError`, an .ods that is not a safe spreadsheet: macros,
    embedded objects, encryption, unknown parts, a DTD, a zip bomb. Rows, cells and external
    links are checked as the content is read (:mod:`support_scope.workbook.ods`)."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        raise WorkbookError(
            f"{display}: not a spreadsheet (.ods files are zip archives; this is not one)"
        ) from e
    except OSError as e:
        raise WorkbookError(f"{display}: cannot read: {e.strerror or e}") from e
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_PARTS:
            raise WorkbookError(f"{display}: the archive holds {len(infos)} parts; refused")
        total = 0
        for info in infos:
            name = info.filename
            for pattern, what in _ODS_DANGEROUS:
                if pattern.search(name):
                    raise WorkbookError(f"{display}: the spreadsheet contains {what} ({name}); refused")
            if not _ODS_ALLOWED.match(name) and not name.endswith("/"):
                raise WorkbookError(f"{display}: unexpected part {name!r} in the spreadsheet; refused")
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
        if _read_small(archive, "mimetype", display, 200).strip() != ODS_MIMETYPE:
            raise WorkbookError(f"{display}: not an OpenDocument spreadsheet (its mimetype says otherwise)")
        manifest = _read_small(archive, "META-INF/manifest.xml", display)
        if b"encryption-data" in manifest:
            raise WorkbookError(f"{display}: the spreadsheet is encrypted (password protected); refused")
        for info in infos:
            if info.filename.endswith((".xml", ".rdf")):
                with archive.open(info) as handle:
                    if _DOCTYPE.search(handle.read(4096)):
                        raise WorkbookError(
                            f"{display}: {info.filename} declares a DTD or entities (an XML entity bomb?); refused"
                        )
        if "content.xml" not in {info.filename for info in infos}:
            raise WorkbookError(f"{display}: not a spreadsheet (no content.xml in the archive)")


# --------------------------------------------------------------------------- reading cells

_MAIN_NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",  # "strict" Open XML
)
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
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
    with archive.open(part) as handle:
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
    with archive.open(part) as handle:
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
                    start = re.compile(rf"<{prefix}{container}\b[^>]*>".encode()).search(buffer, root.end())
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
    number_kind: Callable[[str | None], str] | None = None,
) -> Iterator[tuple[int, list[Cell]]]:
    """The non-empty rows of a sheet part: (row number, [(column, kind, value), ...]).

    Kinds: ``s`` text, ``n`` number (int or float), ``f`` formula (the value is its text),
    ``b`` TRUE/FALSE, ``e`` an error value, ``d`` a date. ``number_kind``, given a number
    cell's style (its ``s`` attribute), tells what the number shows as: ``n``, or ``d`` (a date),
    ``t`` (a time), ``p`` (a percentage); the value stays the number. A row of more than
    :data:`MAX_CELLS_PER_ROW` cells holding something, or a cell beyond column
    :data:`MAX_COLUMNS`, is a :class:`WorkbookError` (``sheet`` names the sheet in the message).
    """
    where = sheet if sheet is not None else part
    number = 0
    for element in _elements(archive, part, display, "sheetData", "row"):
        if element.tag not in _ROW_TAGS:
            continue
        given = element.get("r")
        try:
            number = int(given) if given else number + 1
        except ValueError as e:
            raise WorkbookError(
                f"{display}: {where}: a row numbered {given[:20]!r}; the workbook is damaged"
            ) from e
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
            found_kind, value = _cell(cell, strings, display, part)
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


def _cell(cell: Any, strings: list[str], display: str, part: str) -> tuple[str, Any]:
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
        try:
            return "s", strings[int(raw)]
        except (ValueError, IndexError) as e:
            raise WorkbookError(
                f"{display}: {part}: a cell refers to shared string {raw!r}, which does not exist"
            ) from e
    if kind in ("str", "inlineStr"):
        return "s", _unescape_excel(raw)
    if kind == "n":
        try:
            number = float(raw)
        except ValueError as e:
            raise WorkbookError(f"{display}: {part}: {raw!r} is not a number") from e
        return "n", int(
            number
        ) if number.is_integer() and "e" not in raw.lower() and "." not in raw else number
    return kind, raw
