"""A returned workbook, whatever wrote it: its sheets as rows of cells, its merged cells, its notes.

Reviewers send back what their spreadsheet saves: an .xlsx from Excel, LibreOffice Calc or
Gnumeric, or an .ods (LibreOffice's own format). :func:`open_workbook` checks the archive
(:mod:`~support_scope.workbook.safety`) and gives one :class:`Workbook` for either, so the import
reads both the same way, under the same law and the same limits.

What the cells hold is told as :func:`~support_scope.workbook.safety.iter_rows` tells it, the
number formats included: a number shown as a date (a reviewer typed ``24/7`` into a cell that
was not formatted as Text) is a date here, not a number, so that the import can say so.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from support_scope.errors import WorkbookError
from support_scope.workbook.safety import (
    MAX_ROWS,
    MERGED_KEPT,
    Cell,
    _read_small,
    column_index,
    open_archive,
    unescape_xml,
)


@dataclass(frozen=True)
class Note:
    """A note (comment) a reviewer attached to a cell."""

    sheet: str
    row: int
    column: int
    author: str | None
    text: str
    date: str | None = None


@dataclass
class Workbook:
    """A checked workbook, open: read its sheets with :meth:`rows`; close it when done."""

    display: str
    format: str  # "xlsx" or "ods"
    sheets: set[str]
    merged: dict[str, list[str]]  # the first MERGED_KEPT merged ranges of each sheet
    saved: str | None  # the date the reviewer's application last saved it (YYYY-MM-DD), if it says
    _rows: Callable[[str], Iterator[tuple[int, list[Cell]]]]
    _notes: Callable[[], list[Note]]
    _close: Callable[[], None]
    notes_cache: list[Note] | None = field(default=None)
    merged_count: dict[str, int] = field(default_factory=dict)  # all of each sheet's merged ranges

    def rows(self, sheet: str) -> Iterator[tuple[int, list[Cell]]]:
        """The non-empty rows of ``sheet``: (row number, [(column, kind, value), ...])."""
        return self._rows(sheet)

    def notes(self) -> list[Note]:
        if self.notes_cache is None:
            self.notes_cache = self._notes()
        return self.notes_cache

    def close(self) -> None:
        self._close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_workbook(
    path: Path, display: str, max_rows: int = MAX_ROWS, editable: Collection[str] | None = None
) -> Workbook:
    """The workbook at ``path`` (.xlsx or .ods), checked; a :class:`WorkbookError` says why not.

    ``editable``: the sheets a reviewer edits, whose formulas the import reports cell by cell; a
    formula in any other sheet (the read-me, the hidden ones) refuses the workbook. Without it,
    formulas are left to the caller.
    """
    from support_scope.workbook.safety import is_ods

    if path.suffix.lower() == ".ods" or is_ods(path):
        return _open_ods(path, display, max_rows, editable)
    return _open_xlsx(path, display, max_rows, editable)


# --------------------------------------------------------------------------- .xlsx


def _open_xlsx(path: Path, display: str, max_rows: int, editable: Collection[str] | None) -> Workbook:
    from support_scope.workbook.safety import check_archive, iter_rows, shared_strings

    report = check_archive(path, display, max_rows=max_rows, editable=editable)
    archive = open_archive(path, display)
    try:
        report.strings = shared_strings(archive, display)
        kinds = number_kinds(archive, display)
        saved = _core_modified(archive, display)
    except BaseException:
        archive.close()
        raise

    def rows(sheet: str) -> Iterator[tuple[int, list[Cell]]]:
        return iter_rows(
            archive,
            report.sheet_parts[sheet],
            report.strings,
            display,
            sheet,
            max_rows=max_rows,
            number_kind=kinds,
        )

    def notes() -> list[Note]:
        return xlsx_notes(archive, report.sheet_parts, display)

    return Workbook(
        display,
        "xlsx",
        set(report.sheet_parts),
        report.merged,
        saved,
        rows,
        notes,
        archive.close,
        merged_count=report.merged_count,
    )


_NUM_FMT = re.compile(rb'<(?:\w+:)?numFmt\b[^>]*?numFmtId="([0-9]+)"[^>]*?formatCode="([^"]*)"')
_NUM_FMT_REVERSED = re.compile(rb'<(?:\w+:)?numFmt\b[^>]*?formatCode="([^"]*)"[^>]*?numFmtId="([0-9]+)"')
_CELL_XFS = re.compile(rb"<(?:\w+:)?cellXfs\b[^>]*>(.*?)</(?:\w+:)?cellXfs>", re.S)
_XF = re.compile(rb"<(?:\w+:)?xf\b([^>]*)>")
_XF_FORMAT = re.compile(rb'\bnumFmtId="([0-9]+)"')
# Built-in number formats (ECMA-376 18.8.30) that show a date, a time, or a percentage.
_BUILTIN_DATES = frozenset({14, 15, 16, 17, 22, 27, 28, 29, 30, 31, 34, 35, 36, 50, 51, 52, 53, 54, 57, 58})
_BUILTIN_TIMES = frozenset({18, 19, 20, 21, 32, 33, 45, 46, 47, 55, 56})
_BUILTIN_PERCENT = frozenset({9, 10})


def format_kind(code: str) -> str:
    """What a number shown with the format ``code`` looks like: ``d`` a date, ``t`` a time, ``p``
    a percentage, ``n`` a number (General, 0.00, currency...)."""
    bare = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.', "", code)  # quoted text, escapes, [colour]/[locale]
    lowered = re.sub(r"e[+-]|general", "", bare.lower())  # scientific notation: 0.00E+00
    if "%" in lowered:
        return "p"
    if re.search(r"[yd]|e|g", lowered):
        return "d"
    if re.search(r"[hs]", lowered):
        return "t"
    if re.search(r"(?<![0#?])m", lowered):
        return "d"
    return "n"


def number_kinds(archive: zipfile.ZipFile, display: str) -> Callable[[str | None], str]:
    """From a cell's style (``s``), what its number shows as (:func:`format_kind`)."""
    if "xl/styles.xml" not in archive.namelist():
        return lambda style: "n"
    styles = _read_small(archive, "xl/styles.xml", display)
    codes: dict[int, str] = {}
    for found in _NUM_FMT.finditer(styles):
        codes[int(found.group(1))] = unescape_xml(found.group(2).decode("utf-8", "replace"))
    for found in _NUM_FMT_REVERSED.finditer(styles):
        codes.setdefault(int(found.group(2)), unescape_xml(found.group(1).decode("utf-8", "replace")))
    block = _CELL_XFS.search(styles)
    kinds: list[str] = []
    for xf in _XF.finditer(block.group(1) if block else b""):
        number = _XF_FORMAT.search(xf.group(1))
        fmt = int(number.group(1)) if number else 0
        if fmt in codes:
            kinds.append(format_kind(codes[fmt]))
        elif fmt in _BUILTIN_DATES:
            kinds.append("d")
        elif fmt in _BUILTIN_TIMES:
            kinds.append("t")
        elif fmt in _BUILTIN_PERCENT:
            kinds.append("p")
        else:
            kinds.append("n")

    def kind(style: str | None) -> str:
        if not style:
            return kinds[0] if kinds else "n"
        try:
            return kinds[int(style)]
        except (ValueError, IndexError):
            return "n"

    return kind


_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>([0-9]{4}-[0-9]{2}-[0-9]{2})")


def _core_modified(archive: zipfile.ZipFile, display: str) -> str | None:
    """The date ``docProps/core.xml`` says the workbook was last saved (this tool's exports
    carry a fixed 2000-01-01: not a reviewer's save)."""
    info = archive.NameToInfo.get("docProps/core.xml")
    if info is None or info.file_size > 1024 * 1024:
        return None
    found = _MODIFIED.search(_read_small(archive, info.filename, display, 1024 * 1024))
    date = found.group(1).decode() if found else None
    return None if date == "2000-01-01" else date


_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_ATTRIBUTE = re.compile(rb'(\w+)="([^"]*)"')


def _relationships(archive: zipfile.ZipFile, rels: str, base: str, display: str) -> list[tuple[str, str]]:
    """(type, part) of each relationship in ``rels``, targets resolved against ``base``'s folder."""
    if rels not in archive.namelist():
        return []
    found = []
    for match in _RELATIONSHIP.finditer(_read_small(archive, rels, display)):
        attributes = {
            key.decode(): value.decode("utf-8") for key, value in _ATTRIBUTE.findall(match.group(0))
        }
        target = attributes.get("Target", "")
        if attributes.get("TargetMode") == "External" or not target:
            continue
        if target.startswith("/"):
            part = target.lstrip("/")
        else:
            parts: list[str] = []
            for step in (PurePosixPath(base).parent / target).parts:
                if step == "..":
                    if parts:
                        parts.pop()
                elif step != ".":
                    parts.append(step)
            part = "/".join(parts)
        found.append((attributes.get("Type", ""), part))
    return found


def xlsx_notes(archive: zipfile.ZipFile, sheet_parts: dict[str, str], display: str) -> list[Note]:
    """Every note of every sheet: Excel's and LibreOffice's notes (``xl/commentsN.xml``) and
    Excel 365's threaded comments (``xl/threadedComments/``), with their authors."""
    from xml.etree.ElementTree import ParseError, fromstring

    names = set(archive.namelist())
    persons: dict[str, str] = {}
    for kind, part in _relationships(archive, "xl/_rels/workbook.xml.rels", "xl/workbook.xml", display):
        if kind.endswith("/person") and part in names:
            try:
                for person in fromstring(_read_small(archive, part, display)):
                    if person.get("id"):
                        persons[str(person.get("id"))] = str(person.get("displayName") or "")
            except ParseError as e:
                raise WorkbookError(f"{display}: {part} is not well-formed XML ({e})") from e
    notes: list[Note] = []
    for sheet, sheet_part in sorted(sheet_parts.items()):
        folder, _, name = sheet_part.rpartition("/")
        rels = f"{folder}/_rels/{name}.rels"
        threaded: set[str] = set()
        legacy: list[str] = []
        for kind, part in _relationships(archive, rels, sheet_part, display):
            if part not in names:
                continue
            if kind.endswith("/threadedComment"):
                for ref, author, text, date in _threaded(_parse(archive, part, display), persons):
                    threaded.add(ref)
                    notes.append(_note(sheet, ref, author, text, date))
            elif kind.endswith("/comments"):
                legacy.append(part)
        for part in legacy:
            for ref, author, text in _legacy(_parse(archive, part, display)):
                if ref not in threaded:  # Excel 365 writes a legacy copy of each threaded comment
                    notes.append(_note(sheet, ref, author, text, None))
    return notes


def _parse(archive: zipfile.ZipFile, part: str, display: str) -> Any:
    from xml.etree.ElementTree import ParseError, fromstring

    try:
        return fromstring(_read_small(archive, part, display))
    except ParseError as e:
        raise WorkbookError(f"{display}: {part} is not well-formed XML ({e}); the workbook is damaged") from e


def _note(sheet: str, ref: str, author: str | None, text: str, date: str | None) -> Note:
    letters = ref.rstrip("0123456789")
    digits = ref[len(letters) :]
    return Note(sheet, int(digits) if digits.isdigit() else 0, column_index(letters), author, text, date)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _text_of(element: Any) -> str:
    from support_scope.workbook.safety import _rich_text

    return str(_rich_text(element))


def _legacy(root: Any) -> Iterator[tuple[str, str | None, str]]:
    authors: list[str] = []
    for child in root:
        if _local(child.tag) == "authors":
            authors = [(author.text or "") for author in child]
    for child in root:
        if _local(child.tag) != "commentList":
            continue
        for comment in child:
            ref = comment.get("ref", "")
            try:
                author: str | None = authors[int(comment.get("authorId", "-1"))] or None
            except (ValueError, IndexError):
                author = None
            body = next((part for part in comment if _local(part.tag) == "text"), None)
            text = _text_of(body) if body is not None else ""
            # Excel starts a note with its author's name in bold: "Camille Martin:\n..."
            if author and text.startswith(f"{author}:"):
                text = text[len(author) + 1 :]
            yield ref, author, text.strip()


def _threaded(root: Any, persons: dict[str, str]) -> Iterator[tuple[str, str | None, str, str | None]]:
    for comment in root:
        if _local(comment.tag) != "threadedComment":
            continue
        body = next((part for part in comment if _local(part.tag) == "text"), None)
        text = (body.text or "") if body is not None else ""
        author = persons.get(comment.get("personId", "")) or None
        date = comment.get("dT")
        yield comment.get("ref", ""), author, text.strip(), date[:10] if date else None


# --------------------------------------------------------------------------- .ods


def _open_ods(path: Path, display: str, max_rows: int, editable: Collection[str] | None) -> Workbook:
    from support_scope.workbook.ods import read_content, saved_date
    from support_scope.workbook.safety import check_ods_archive

    check_ods_archive(path, display)
    with open_archive(path, display, "spreadsheet (.ods files are zip archives; this is not one)") as archive:
        content = read_content(archive, display, max_rows)
        saved = saved_date(archive, display)
    if editable is not None:
        for sheet, sheet_rows in content.sheets.items():
            if sheet in editable:
                continue
            for number, cells in sheet_rows:
                formula = next((column for column, kind, _ in cells if kind == "f"), None)
                if formula is not None:
                    from openpyxl.utils import get_column_letter

                    raise WorkbookError(
                        f"{display}: {sheet}!{get_column_letter(formula)}{number}: a formula in a sheet "
                        "nobody edits (the read-me or a hidden sheet); formulas are refused"
                    )
    merged_count = {sheet: len(ranges) for sheet, ranges in content.merged.items()}
    merged = {sheet: ranges[:MERGED_KEPT] for sheet, ranges in content.merged.items()}
    notes = [
        Note(n.sheet, n.row, n.column, n.author, n.text, n.date[:10] if n.date else None)
        for n in content.notes
    ]

    def rows(sheet: str) -> Iterator[tuple[int, list[Cell]]]:
        return iter(content.sheets.get(sheet, []))

    return Workbook(
        display,
        "ods",
        set(content.sheets),
        merged,
        saved,
        rows,
        lambda: notes,
        lambda: None,
        merged_count=merged_count,
    )
