"""What Excel rewrites when a reviewer saves the workbook, as fixtures (Excel cannot run here).

Excel does not keep a workbook's XML as it found it; a save rewrites these parts, each covered
below by a fixture made from a real export, alone and all together:

- **shared strings**: every text goes to ``xl/sharedStrings.xml`` (``t="s"``), some as rich
  text runs, with phonetic runs, and ``_x000D_`` for a carriage return;
- **styles**: ``styles.xml`` rewritten and renumbered (cell style ids change; the Text format
  stays number format 49), empty cells written with their style, rows with ``spans`` and
  ``x14ac:dyDescent``, markup compatibility namespaces on the root;
- **x14 data validations**: list validations that refer to another sheet move to the sheet's
  ``extLst`` as ``x14:dataValidation`` with ``xm:f`` and ``xm:sqref``;
- **calc chain**: ``xl/calcChain.xml``;
- **hidden sheet state**: ``state="hidden"`` may become ``veryHidden``; ``docProps/app.xml``
  lists the sheets again;
- **defined names**: ``_xlnm._FilterDatabase``, ``_xlnm.Print_Titles``, ``_xlnm.Print_Area``
  rewritten with sheet-local ids and without quotes;
- **threaded comments** (Excel 365): ``xl/threadedComments/``, ``xl/persons/person.xml``, and a
  legacy note copy of each (``[Threaded comment] …``) in ``xl/commentsN.xml`` with a VML drawing;
- what a reviewer's typing makes in a cell Excel did not keep as Text: a date (a number with a
  date format), a percentage, TRUE/FALSE.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from test_workbook_fixtures import export_to, run_import, small_policy

Parts = dict[str, bytes]
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _rewrite(source: Path, target: Path, *changes: Callable[[Parts], None]) -> Path:
    with zipfile.ZipFile(source) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    for change in changes:
        change(parts)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return target


def _sheets(parts: Parts) -> dict[str, str]:
    """Sheet name -> part name."""
    workbook = parts["xl/workbook.xml"].decode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    found = {}
    for name, rid in re.findall(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', workbook):
        target = re.search(rf'Target="/?(?:xl/)?([^"]+)" Id="{rid}"', rels)
        assert target is not None
        found[name] = "xl/" + target.group(1)
    return found


def _content_type(parts: Parts, part: str, kind: str) -> None:
    types = parts["[Content_Types].xml"].decode()
    types = types.replace("</Types>", f'<Override PartName="/{part}" ContentType="{kind}"/></Types>')
    parts["[Content_Types].xml"] = types.encode()


def _relationship(parts: Parts, rels: str, kind: str, target: str) -> None:
    text = parts.get(
        rels,
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>',
    ).decode()
    number = len(re.findall(r"<Relationship ", text)) + 100
    text = text.replace(
        "</Relationships>",
        f'<Relationship Id="rId{number}" Type="{kind}" Target="{target}"/></Relationships>',
    )
    parts[rels] = text.encode()


def shared_strings(parts: Parts) -> None:
    """Every inline string into the shared strings table, some as runs, with phonetic runs."""
    strings: list[str] = []
    index: dict[str, int] = {}

    def shared(match: re.Match[str]) -> str:
        text = match.group(3)
        if text not in index:
            index[text] = len(strings)
            strings.append(text)
        return f'<c r="{match.group(1)}"{match.group(2)} t="s"><v>{index[text]}</v></c>'

    for part in _sheets(parts).values():
        xml = parts[part].decode()
        xml = re.sub(
            r'<c r="([A-Z]+[0-9]+)"([^>]*?) t="inlineStr"><is><t[^>]*>(.*?)</t></is></c>', shared, xml
        )
        parts[part] = xml.encode()
    items = []
    for number, text in enumerate(strings):
        escaped = text.replace("&#13;", "_x000D_")
        if number % 3 == 1 and len(escaped) > 4 and "&" not in escaped[:4]:
            # Excel keeps formatting runs, and phonetic guides (which are not the text)
            items.append(
                f'<si><r><rPr><b/><sz val="11"/></rPr><t>{escaped[:2]}</t></r><r><t xml:space="preserve">{escaped[2:]}</t></r>'
                '<rPh sb="0" eb="1"><t>フリガナ</t></rPh><phoneticPr fontId="1"/></si>'
            )
        else:
            items.append(f'<si><t xml:space="preserve">{escaped}</t></si>')
    parts["xl/sharedStrings.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{_MAIN}" count="{len(strings)}" '
        f'uniqueCount="{len(strings)}">{"".join(items)}</sst>'
    ).encode()
    _content_type(
        parts,
        "xl/sharedStrings.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml",
    )
    _relationship(
        parts,
        "xl/_rels/workbook.xml.rels",
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings",
        "sharedStrings.xml",
    )


def styles(parts: Parts) -> None:
    """styles.xml renumbered (a new first cell format), rows with spans, Excel's namespaces."""
    xml = parts["xl/styles.xml"].decode()
    head, xfs, tail = re.split(r"(<cellXfs[^>]*>.*?</cellXfs>)", xml, maxsplit=1, flags=re.S)
    body = re.search(r"<cellXfs[^>]*>(.*)</cellXfs>", xfs, re.S)
    assert body is not None
    count = len(re.findall(r"<xf\b", body.group(1))) + 1
    xfs = f'<cellXfs count="{count}"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>{body.group(1)}</cellXfs>'
    parts["xl/styles.xml"] = (head + xfs + tail).encode()
    for part in _sheets(parts).values():
        sheet = parts[part].decode()
        sheet = re.sub(r'\b(s|style)="([0-9]+)"', lambda m: f'{m.group(1)}="{int(m.group(2)) + 1}"', sheet)
        sheet = re.sub(r'<row r="([0-9]+)"', r'<row r="\1" spans="1:18" x14ac:dyDescent="0.25"', sheet)
        sheet = sheet.replace(
            f'<worksheet xmlns="{_MAIN}"',
            f'<worksheet xmlns="{_MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
            'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x14ac xr xr2 xr3" '
            'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" '
            'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" '
            'xmlns:xr2="http://schemas.microsoft.com/office/spreadsheetml/2015/revision2" '
            'xmlns:xr3="http://schemas.microsoft.com/office/spreadsheetml/2016/revision3" xr:uid="{00000000-0001-0000-0000-000000000000}"',
            1,
        )
        parts[part] = sheet.encode()


def x14_validations(parts: Parts) -> None:
    """List validations that refer to another sheet, moved into the sheet's extLst as x14."""
    for part in _sheets(parts).values():
        sheet = parts[part].decode()
        moved: list[str] = []

        def move(match: re.Match[str], moved: list[str] = moved) -> str:
            moved.append(
                '<x14:dataValidation type="list" allowBlank="1" showErrorMessage="1">'
                f"<x14:formula1><xm:f>{match.group(2)}</xm:f></x14:formula1><xm:sqref>{match.group(1)}</xm:sqref>"
                "</x14:dataValidation>"
            )
            return ""

        sheet = re.sub(
            r'<dataValidation sqref="([^"]+)"[^>]*type="list"><formula1>([^<]+)</formula1></dataValidation>',
            move,
            sheet,
        )
        if not moved:
            continue
        ext = (
            '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
            'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
            f'<x14:dataValidations count="{len(moved)}" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
            f"{''.join(moved)}</x14:dataValidations></ext></extLst>"
        )
        sheet = sheet.replace("</worksheet>", ext + "</worksheet>")
        parts[part] = sheet.encode()


def calc_chain(parts: Parts) -> None:
    parts["xl/calcChain.xml"] = f'<calcChain xmlns="{_MAIN}"><c r="A1" i="7"/></calcChain>'.encode()
    _content_type(
        parts, "xl/calcChain.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"
    )
    _relationship(
        parts,
        "xl/_rels/workbook.xml.rels",
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain",
        "calcChain.xml",
    )


def hidden_sheets(parts: Parts) -> None:
    """The hidden sheets made very hidden, and docProps/app.xml listing the sheets."""
    workbook = parts["xl/workbook.xml"].decode().replace('state="hidden"', 'state="veryHidden"')
    parts["xl/workbook.xml"] = workbook.encode()
    names = list(_sheets(parts))
    titles = "".join(f"<vt:lpstr>{name}</vt:lpstr>" for name in names)
    parts["docProps/app.xml"] = (
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><Application>Microsoft Excel</Application>'
        f'<TitlesOfParts><vt:vector size="{len(names)}" baseType="lpstr">{titles}</vt:vector></TitlesOfParts></Properties>'
    ).encode()


def defined_names(parts: Parts) -> None:
    workbook = parts["xl/workbook.xml"].decode()
    workbook = re.sub(r"'([^']+)'!", r"\1!", workbook)
    workbook = workbook.replace(
        "</definedNames>",
        '<definedName name="_xlnm.Print_Titles" localSheetId="0">Lisez-moi!$1:$1</definedName>'
        '<definedName name="Revue">Matrice!$F$2:$G$7</definedName></definedNames>',
    )
    parts["xl/workbook.xml"] = workbook.encode()


def threaded_comment(parts: Parts) -> None:
    """An Excel 365 comment on the matrix's F2: threaded, its person, and its legacy note copy."""
    matrix = _sheets(parts)["Matrice"]
    person = "{6F3F1B0E-1111-4A2B-9C3D-000000000001}"
    parts["xl/persons/person.xml"] = (
        '<personList xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments">'
        f'<person displayName="Camille Martin" id="{person}" userId="camille@example.invalid" providerId="AD"/></personList>'
    ).encode()
    parts["xl/threadedComments/threadedComment1.xml"] = (
        '<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments">'
        f'<threadedComment ref="F2" dT="2025-06-29T09:30:00.00" personId="{person}" id="{{A}}">'
        "<text>Formulation à vérifier avec le juridique</text></threadedComment></ThreadedComments>"
    ).encode()
    parts["xl/comments1.xml"] = (
        f'<comments xmlns="{_MAIN}"><authors><author>tc={{A}}</author><author>Léa Dupont</author></authors><commentList>'
        '<comment ref="F2" authorId="0"><text><t>[Threaded comment]\n\nYour version of Excel allows you to read this '
        "threaded comment; however, any edits to it will get removed if the file is opened in a newer version of "
        "Excel.\n\nComment:\n    Formulation à vérifier avec le juridique</t></text></comment>"
        '<comment ref="G3" authorId="1"><text><r><rPr><b/></rPr><t>Léa Dupont:</t></r><r><t xml:space="preserve">\n'
        "Traduction ?</t></r></text></comment></commentList></comments>"
    ).encode()
    parts["xl/drawings/vmlDrawing1.vml"] = b'<xml xmlns:v="urn:schemas-microsoft-com:vml"></xml>'
    folder, _, name = matrix.rpartition("/")
    rels = f"{folder}/_rels/{name}.rels"
    base = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    _relationship(parts, rels, f"{base}/comments", "../comments1.xml")
    _relationship(parts, rels, f"{base}/vmlDrawing", "../drawings/vmlDrawing1.vml")
    _relationship(
        parts,
        rels,
        "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment",
        "../threadedComments/threadedComment1.xml",
    )
    _relationship(
        parts,
        "xl/_rels/workbook.xml.rels",
        "http://schemas.microsoft.com/office/2017/10/relationships/person",
        "persons/person.xml",
    )
    sheet = parts[matrix].decode().replace("</worksheet>", '<legacyDrawing r:id="rId101"/></worksheet>')
    if "xmlns:r=" not in sheet[:600]:
        sheet = sheet.replace(
            f'<worksheet xmlns="{_MAIN}"', f'<worksheet xmlns="{_MAIN}" xmlns:r="{base}"', 1
        )
    parts[matrix] = sheet.encode()


REWRITES: dict[str, Callable[[Parts], None]] = {
    "shared strings": shared_strings,
    "styles": styles,
    "x14 data validations": x14_validations,
    "calc chain": calc_chain,
    "hidden sheet state": hidden_sheets,
    "defined names": defined_names,
}


@pytest.mark.parametrize(
    "rewrites", [[name] for name in REWRITES] + [list(REWRITES)], ids=lambda r: " + ".join(r)
)
def test_an_excel_resave_keeps_the_law(tmp_path: Path, rewrites: list[str]) -> None:
    policy, workbook = export_to(tmp_path, small_policy())
    before = policy.read_bytes()
    resaved = _rewrite(workbook, tmp_path / "excel.xlsx", *(REWRITES[name] for name in rewrites))
    result = run_import(resaved, policy)
    assert result.ok, (result.problems, result.conflicts)
    assert not result.changed and not result.written and policy.read_bytes() == before
    assert not result.notices


def _edit_shared(text: str, new: str) -> Callable[[Parts], None]:
    def change(parts: Parts) -> None:
        strings = parts["xl/sharedStrings.xml"].decode()
        assert f">{text}</t>" in strings
        parts["xl/sharedStrings.xml"] = strings.replace(f">{text}</t>", f">{new}</t>", 1).encode()

    return change


def test_an_edit_saved_by_excel_lands(tmp_path: Path) -> None:
    policy, workbook = export_to(tmp_path, small_policy())
    resaved = _rewrite(
        workbook,
        tmp_path / "excel.xlsx",
        *REWRITES.values(),
        _edit_shared("Web server security", "Web server hardening"),
    )
    result = run_import(resaved, policy)
    assert result.ok and result.written, result.problems
    assert [c.rule for c in result.diff().changes] == ["translation-changed"]


def test_excel_threaded_comments_and_notes_are_kept(tmp_path: Path) -> None:
    policy, workbook = export_to(tmp_path, small_policy())
    resaved = _rewrite(workbook, tmp_path / "excel.xlsx", *REWRITES.values(), threaded_comment)
    result = run_import(resaved, policy)
    assert result.ok and not result.changed, result.problems
    assert [(c.cell, c.key, c.column, c.author, c.kind, c.date, c.text) for c in result.comments] == [
        (
            "Matrice!F2",
            "setup-kb",
            "Texte (fr)",
            "Camille Martin",
            "note",
            "2025-06-29",
            "Formulation à vérifier avec le juridique",
        ),
        ("Matrice!G3", "setup-procedure", "Text (en)", "Léa Dupont", "note", None, "Traduction ?"),
    ]
    log = tmp_path / "policy.reviews.md"
    assert result.log_written and "Formulation à vérifier avec le juridique" in log.read_text(
        encoding="utf-8"
    )


def _typed(ref: str, xml: str) -> Callable[[Parts], None]:
    """The cell ``ref`` of the matrix replaced by ``xml`` (what Excel saved for what was typed)."""

    def change(parts: Parts) -> None:
        matrix = _sheets(parts)["Matrice"]
        sheet = parts[matrix].decode()
        sheet, count = re.subn(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', xml, sheet, count=1)
        if count == 0:  # an empty cell the export left out: Excel writes it where it belongs
            row = re.search(rf'<row r="{ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}"[^>]*>.*?</row>', sheet)
            assert row is not None
            sheet = sheet[: row.end() - len("</row>")] + xml + sheet[row.end() - len("</row>") :]
        parts[matrix] = sheet.encode()

    return change


def _with_formats(parts: Parts) -> None:
    """Excel's built-in date (14) and percentage (10) formats, as cell styles 200 and 201."""
    xml = parts["xl/styles.xml"].decode()
    body = re.search(r"(<cellXfs[^>]*>)(.*?)(</cellXfs>)", xml, re.S)
    assert body is not None
    extra = '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    extra += '<xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    parts["xl/styles.xml"] = (
        xml[: body.start()] + body.group(1) + body.group(2) + extra + body.group(3) + xml[body.end() :]
    ).encode()


def test_what_excel_made_of_typed_text_is_refused_by_cell(tmp_path: Path) -> None:
    policy, workbook = export_to(tmp_path, small_policy())
    with zipfile.ZipFile(workbook) as archive:
        styles_xml = archive.read("xl/styles.xml").decode()
    body = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles_xml, re.S)
    assert body is not None
    date_style = len(re.findall(r"<xf\b", body.group(1)))
    percent_style = date_style + 1
    resaved = _rewrite(
        workbook,
        tmp_path / "excel.xlsx",
        _with_formats,
        _typed("G2", f'<c r="G2" s="{date_style}"><v>45862</v></c>'),  # 24/7 typed in a French Excel
        _typed("G3", f'<c r="G3" s="{percent_style}"><v>0.3</v></c>'),  # 30 %
        _typed("G4", '<c r="G4" t="b"><v>1</v></c>'),  # VRAI
        _typed("F5", '<c r="F5"><v>33123456789</v></c>'),  # +33123456789
        _typed("M4", f'<c r="M4" s="{date_style}"><v>3</v></c>'),  # minimum hours shown as a date
        shared_strings,
    )
    result = run_import(resaved, policy)
    assert not result.ok and not result.written
    assert {p.rule for p in result.problems} == {"cell-type"}
    messages = {p.cell: p.message for p in result.problems}
    assert set(messages) == {"Matrice!G2", "Matrice!G3", "Matrice!G4", "Matrice!F5", "Matrice!M4"}
    assert messages["Matrice!G2"] == (
        "the cell holds a date ('2025-07-24'), not text: the spreadsheet converted what was typed. Type the "
        "text again after an apostrophe (for example '24/7), or format the cell as Text first, so that it "
        "stays as you typed it"
    )
    assert (
        messages["Matrice!M4"]
        == "'Heures min. / Min. hours' takes a whole number; the cell holds a date ('1900-01-02')"
    )
    assert messages["Matrice!G3"].startswith("the cell holds a percentage ('30 %'), not text")
    assert messages["Matrice!G4"].startswith("the cell holds a TRUE/FALSE value ('TRUE'), not text")
    assert messages["Matrice!F5"].startswith("the cell holds a number ('33123456789'), not text")
    french = run_import(resaved, policy, lang="fr")
    assert {p.cell: p.message for p in french.problems}["Matrice!G4"].startswith(
        "la cellule contient une valeur VRAI/FAUX (« VRAI »), pas du texte"
    )
