"""Builders of hostile and unlucky inputs for the attack suites (tests/attacks/).

Each builder starts from what the tool itself writes (an export, a release) and edits the bytes
the way an attacker or an accident would: workbooks are edited as a zip of XML parts with
``zipfile`` and regular expressions (never openpyxl, so that the bytes are exactly the hostile
ones), releases are edited and re-hashed by the README's recipe. Nothing here imports the
package: the suites drive the command line (``run_cli``), so that the same tests run against
any version of the tool (they were run against the code before these fixes, and failed there).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import shutil
import zipfile
import zlib
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
POLICY_ID = "act-premium-support-scope"
POLICY = f"policies/{POLICY_ID}.json"


def _latest_version() -> str:
    """The version of the repository's latest release (the policy's own version)."""
    names = [path.stem for path in (REPO / "releases" / POLICY_ID).glob("*.json")]
    return max(names, key=lambda name: tuple(int(part) for part in name.split(".")))


LATEST_VERSION = _latest_version()  # 2.0.0 (1.0.0 in the code before issue 9)
NEXT_VERSION = f"{int(LATEST_VERSION.split('.')[0]) + 1}.0.0"  # what `release --bump major` cuts
RELEASE = f"releases/{POLICY_ID}/{LATEST_VERSION}.json"  # the latest release, as the compiler writes today
RELEASE_2 = f"releases/{POLICY_ID}/{NEXT_VERSION}.json"
# The release format this version writes and reads (that of its latest release: 2; 1 before issue 9).
FORMAT: int = json.loads((REPO / RELEASE).read_bytes())["manifest"]["format"]
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"

# --------------------------------------------------------------------------- projects


def make_project(directory: Path) -> Path:
    """``directory/project``: the repository's policies/, releases/ and CHANGELOG.md, copied."""
    project = directory / "project"
    project.mkdir(parents=True)
    for name in ("policies", "releases"):
        shutil.copytree(REPO / name, project / name)
    shutil.copy2(REPO / "CHANGELOG.md", project / "CHANGELOG.md")
    return project


def load_policy(project: Path) -> dict[str, Any]:
    return json.loads((project / POLICY).read_text(encoding="utf-8"))


def save_policy(project: Path, document: Any) -> None:
    (project / POLICY).write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def find_item(document: dict[str, Any], item_id: str) -> dict[str, Any]:
    return next(i for c in document["categories"] for i in c["items"] if i["id"] == item_id)


def breaking_change(project: Path) -> None:
    """The README's breaking change: desktop-setup-dialog-errors raised to the extended tier."""
    document = load_policy(project)
    find_item(document, "desktop-setup-dialog-errors")["tier"] = "extended"
    save_policy(project, document)


def nested(depth: int) -> dict[str, Any]:
    """A condition test nested ``depth`` deep: ``{"all": [{"all": [... a comparison]}]}``."""
    expression: dict[str, Any] = {"fact": "active_subscription", "op": "eq", "value": True}
    for _ in range(depth):
        expression = {"all": [expression]}
    return expression


def snapshot_files(project: Path) -> dict[str, bytes]:
    """Every regular file of the project (hidden ones included, the lock file aside), by path."""
    return {
        str(path.relative_to(project)): path.read_bytes()
        for path in sorted(project.rglob("*"))
        if path.is_file() and not path.is_symlink() and path.name != ".support-scope.lock"
    }


def temporaries(project: Path) -> list[str]:
    """Hidden temporary files in the project (what an interrupted write leaves)."""
    return sorted(
        str(p.relative_to(project)) for p in project.rglob(".*") if p.is_file() and p.name.endswith(".tmp")
    )


# --------------------------------------------------------------------------- workbooks


def xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inline_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{xml_text(text)}</t></is></c>'


class Book:
    """An .xlsx archive as an ordered list of (part name, bytes), edited as bytes."""

    def __init__(self, data: bytes) -> None:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            self.entries = [(info.filename, archive.read(info)) for info in archive.infolist()]

    def get(self, name: str) -> bytes:
        return next(data for n, data in self.entries if n == name)

    def set(self, name: str, data: bytes) -> None:
        for index, (n, _) in enumerate(self.entries):
            if n == name:
                self.entries[index] = (name, data)
                return
        self.entries.append((name, data))

    def add(self, name: str, data: bytes) -> None:
        """Append an entry even if the name is taken (a duplicate zip entry)."""
        self.entries.append((name, data))

    def save(self, path: Path, level: int = 6) -> Path:
        import warnings

        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
            for name, data in self.entries:
                info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # "Duplicate name": wanted here
                    archive.writestr(info, data)
        return path

    def sheet_part(self, sheet: str) -> str:
        workbook = self.get("xl/workbook.xml").decode("utf-8")
        rels = self.get("xl/_rels/workbook.xml.rels").decode("utf-8")
        tag = next(
            m.group(0)
            for m in re.finditer(r"<sheet\b[^>]*>", workbook)
            if f'name="{xml_text(sheet)}"' in m.group(0)
        )
        rid = re.search(r'r:id="([^"]*)"', tag).group(1)  # type: ignore[union-attr]
        rel = next(
            m.group(0) for m in re.finditer(r"<Relationship\b[^>]*>", rels) if f'Id="{rid}"' in m.group(0)
        )
        target = re.search(r'Target="([^"]*)"', rel).group(1)  # type: ignore[union-attr]
        return target.lstrip("/") if target.startswith("/") else f"xl/{target}"

    def sheet_xml(self, sheet: str) -> str:
        return self.get(self.sheet_part(sheet)).decode("utf-8")

    def set_sheet_xml(self, sheet: str, xml: str) -> None:
        self.set(self.sheet_part(sheet), xml.encode("utf-8"))

    def headers(self, sheet: str) -> dict[str, str]:
        """Header text -> column letter, from the sheet's first row (layouts differ by version)."""
        row = re.search(r'<row r="1"[^>]*>(.*?)</row>', self.sheet_xml(sheet), re.S)
        assert row is not None, sheet
        return {
            text.replace("&amp;", "&"): letter
            for letter, text in re.findall(
                r'<c r="([A-Z]+)1"[^>]*><is><t[^>]*>(.*?)</t></is></c>', row.group(1)
            )
        }

    def col(self, sheet: str, header: str) -> str:
        """The letter of the column whose header starts with ``header`` ("Texte (fr)", "Id ")."""
        found = [letter for text, letter in self.headers(sheet).items() if text.startswith(header)]
        assert len(found) == 1, (sheet, header, self.headers(sheet))
        return found[0]

    def row_values(self, sheet: str, number: int) -> dict[str, str | int]:
        """Column letter -> what the export wrote in row ``number``: text, or a whole number."""
        row = re.search(rf'<row r="{number}"[^>]*>(.*?)</row>', self.sheet_xml(sheet), re.S)
        assert row is not None, number
        values: dict[str, str | int] = {}
        for letter, body in re.findall(rf'<c r="([A-Z]+){number}"[^>]*>(.*?)</c>', row.group(1), re.S):
            text = re.search(r"<is><t[^>]*>(.*?)</t></is>", body, re.S)
            number_value = re.search(r"<v>([0-9]+)</v>", body)
            if text is not None:
                values[letter] = text.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
            elif number_value is not None:
                values[letter] = int(number_value.group(1))
        return values

    def row_of(self, sheet: str, key: str, column: str | None = None) -> int:
        column = column if column is not None else self.col(sheet, "Id ")
        pattern = rf'<c r="{column}(\d+)"[^>]*><is><t[^>]*>{re.escape(xml_text(key))}</t></is></c>'
        found = re.search(pattern, self.sheet_xml(sheet))
        assert found is not None, key
        return int(found.group(1))

    def cell_text(self, sheet: str, ref: str) -> str:
        found = re.search(rf'<c r="{ref}"[^>]*><is><t[^>]*>(.*?)</t></is></c>', self.sheet_xml(sheet), re.S)
        assert found is not None, ref
        return found.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

    def set_cell(self, sheet: str, ref: str, text: str | None = None, *, raw: str | None = None) -> None:
        """Replace the cell at ``ref`` (which the export wrote) by an inline string or raw ``<c>`` XML."""
        xml = self.sheet_xml(sheet)
        old = re.search(rf'<c r="{ref}"(?:[^>]*?/>|[^>]*>.*?</c>)', xml, re.S)
        new = raw if raw is not None else inline_cell(ref, text or "")
        if old is not None:
            xml = xml[: old.start()] + new + xml[old.end() :]
        else:  # no such cell: append it to its row
            number = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            row = re.search(rf'<row r="{number}"[^>]*?(/>|>(.*?)</row>)', xml, re.S)
            assert row is not None, ref
            if row.group(1) == "/>":
                xml = xml[: row.start()] + row.group(0)[:-2] + ">" + new + "</row>" + xml[row.end() :]
            else:
                xml = xml[: row.end(2)] + new + xml[row.end(2) :]
        self.set_sheet_xml(sheet, xml)

    def edit_item(self, item_id: str, header: str, text: str) -> int:
        """Set the Matrice cell of ``item_id`` in the column headed ``header``; its row number."""
        row = self.row_of("Matrice", item_id)
        self.set_cell("Matrice", f"{self.col('Matrice', header)}{row}", text)
        return row

    def french(self, row: int) -> str:
        """The Matrice reference of row ``row``'s French text (``E2`` or ``F2``, by version)."""
        return f"{self.col('Matrice', 'Texte (fr)')}{row}"

    # the hidden Meta sheet: rows of (kind, key, value)

    def meta(self) -> list[list[str]]:
        records = []
        for row in re.finditer(r"<row\b[^>]*>(.*?)</row>", self.sheet_xml("Meta"), re.S):
            record = ["", "", ""]
            for cell in re.finditer(
                r'<c r="([A-C])\d+"[^>]*><is><t[^>]*>(.*?)</t></is></c>', row.group(1), re.S
            ):
                value = cell.group(2).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
                record["ABC".index(cell.group(1))] = value
            records.append(record)
        return records

    def set_meta(self, records: list[list[str]]) -> None:
        xml = self.sheet_xml("Meta")
        rows = []
        for number, record in enumerate(records, start=1):
            cells = "".join(
                inline_cell(f"{letter}{number}", v)
                for letter, v in zip("ABC", record, strict=False)
                if v != ""
            )
            rows.append(f'<row r="{number}">{cells}</row>')
        start = xml.index("<sheetData>") + len("<sheetData>")
        self.set_sheet_xml("Meta", xml[:start] + "".join(rows) + xml[xml.rindex("</sheetData>") :])

    def set_meta_value(self, kind: str, key: str, value: str) -> None:
        records = self.meta()
        for record in records:
            if record[0] == kind and record[1] == key:
                record[2] = value
        self.set_meta(records)

    def meta_chunks(self, kind: str) -> list[str]:
        found = {int(r[1]): r[2] for r in self.meta() if r[0] == kind and r[1].isdigit()}
        return [found[i] for i in range(len(found))]

    def set_meta_chunks(self, kind: str, chunks: list[str]) -> None:
        records = [r for r in self.meta() if r[0] != kind]
        self.set_meta(records + [[kind, str(i), chunk] for i, chunk in enumerate(chunks)])

    # the same review as an OpenDocument spreadsheet (.ods), as LibreOffice lays it out

    def sheet_names(self) -> list[str]:
        workbook = self.get("xl/workbook.xml").decode("utf-8")
        return [
            re.search(r'name="([^"]*)"', tag).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
            for tag in re.findall(r"<sheet\b[^>]*>", workbook)
        ]

    def to_ods(
        self,
        path: Path,
        rows: Callable[[str, list[str]], list[str]] | None = None,
        content: Callable[[str], str] | None = None,
        parts: list[tuple[str, bytes]] | None = None,
    ) -> Path:
        """The workbook's sheets as an .ods (its cells as written: text and numbers, trailing
        empty cells and rows as repeats). ``rows(sheet, row_xml)`` may edit a sheet's rows (ODS
        XML, one string per row), ``content`` the whole content.xml; ``parts`` are appended as
        they are (a name already there makes a duplicate entry)."""
        tables = []
        for name in self.sheet_names():
            sheet_rows: list[str] = []
            last_row = 0
            for number, body in re.findall(r'<row r="(\d+)"[^>]*>(.*?)</row>', self.sheet_xml(name), re.S):
                gap = int(number) - last_row - 1
                if gap > 0:
                    sheet_rows.append(
                        f'<table:table-row table:number-rows-repeated="{gap}"><table:table-cell/></table:table-row>'
                    )
                last_row = int(number)
                cells, column = [], 0
                for letters, cell in re.findall(
                    rf'<c r="([A-Z]+){number}"[^>]*?(?:/>|>(.*?)</c>)', body, re.S
                ):
                    index = 0
                    for letter in letters:
                        index = index * 26 + ord(letter) - 64
                    text = re.search(r"<is><t[^>]*>(.*?)</t></is>", cell, re.S)
                    value = re.search(r"<v>([^<]*)</v>", cell)
                    if text is None and value is None:
                        continue
                    if index - column > 1:
                        cells.append(
                            f'<table:table-cell table:number-columns-repeated="{index - column - 1}"/>'
                        )
                    if text is not None:
                        paragraphs = "".join(f"<text:p>{line}</text:p>" for line in text.group(1).split("\n"))
                        cells.append(
                            f'<table:table-cell office:value-type="string">{paragraphs}</table:table-cell>'
                        )
                    else:
                        number_value = value.group(1)  # type: ignore[union-attr]
                        cells.append(
                            f'<table:table-cell office:value-type="float" office:value="{number_value}">'
                            f"<text:p>{number_value}</text:p></table:table-cell>"
                        )
                    column = index
                sheet_rows.append(f"<table:table-row>{''.join(cells)}</table:table-row>")
            if rows is not None:
                sheet_rows = rows(name, sheet_rows)
            sheet_rows.append(
                '<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
            )
            tables.append(f'<table:table table:name="{xml_text(name)}">{"".join(sheet_rows)}</table:table>')
        xml = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {ODS_NS} office:version="1.3">'
            f"<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet></office:body></office:document-content>"
        )
        if content is not None:
            xml = content(xml)
        manifest = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
            '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
        )
        import warnings

        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("mimetype", ODS_MIMETYPE, compress_type=zipfile.ZIP_STORED)
            archive.writestr("content.xml", xml, compress_type=zipfile.ZIP_DEFLATED)
            archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
            for name, data in parts or []:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # "Duplicate name": wanted here
                    archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
        return path


ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"'
)


def pack(raw: bytes) -> list[str]:
    """The Meta sheet's packing: zlib, base64, cut in cell-sized chunks."""
    text = base64.b64encode(zlib.compress(raw, 6)).decode("ascii")
    return [text[i : i + 30000] for i in range(0, len(text), 30000)]


def unpack(chunks: list[str]) -> bytes:
    return zlib.decompress(base64.b64decode("".join(chunks)))


def zlib_zeros(total: int) -> bytes:
    """A zlib stream inflating to ``total`` zero bytes (a multiple of 1 MiB), built in milliseconds."""
    mib = 1 << 20
    compressor = zlib.compressobj(9)
    head = compressor.compress(b"\0" * mib) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(b"\0" * mib) + compressor.flush(zlib.Z_FULL_FLUSH)
    adler = ((total % 65521) << 16) | 1
    return head + block * (total // mib - 1) + b"\x03\x00" + adler.to_bytes(4, "big")


def row_checksum(values: list[str | int | None]) -> str:
    """The per-row checksum the export records (re-implemented here, by hand)."""
    joined = "".join(
        "\x01" if v is None else f"i{v}\x01" if isinstance(v, int) else f"s{v}\x01" for v in values
    )
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:20]


def zip_entry(data: bytes, name: str) -> tuple[int, int, int]:
    """(local header offset, central directory record offset, data offset) of entry ``name``."""
    import struct

    end = data.rindex(b"PK\x05\x06")
    position = struct.unpack_from("<I", data, end + 16)[0]
    while data[position : position + 4] == b"PK\x01\x02":
        n, m, k = struct.unpack_from("<HHH", data, position + 28)
        local = struct.unpack_from("<I", data, position + 42)[0]
        if data[position + 46 : position + 46 + n].decode() == name:
            ln, lm = struct.unpack_from("<HH", data, local + 26)
            return local, position, local + 30 + ln + lm
        position += 46 + n + m + k
    raise KeyError(name)


def patch_zip(data: bytes, name: str, patch: Callable[[bytearray, int, int, int], None]) -> bytes:
    buffer = bytearray(data)
    patch(buffer, *zip_entry(data, name))
    return bytes(buffer)


# --------------------------------------------------------------------------- releases


def canonical(data: Any) -> bytes:
    """The README's canonical JSON: keys sorted, no white space, UTF-8."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def read_release(project: Path, rel: str = RELEASE) -> dict[str, Any]:
    return json.loads((project / rel).read_bytes())


def rehash(release: dict[str, Any]) -> bytes:
    """A release re-digested by the README's recipe, in the compiler's file form."""
    release = copy.deepcopy(release)
    release["manifest"].pop("digest", None)
    release["manifest"]["digest"] = "sha256:" + hashlib.sha256(canonical(release)).hexdigest()
    return canonical(release) + b"\n"


PLACEHOLDER = "sha256:" + "0" * 64


def template(project: Path) -> bytes:
    """The release as written, its digest replaced by :data:`PLACEHOLDER` (to edit as bytes)."""
    release = read_release(project)
    release["manifest"]["digest"] = PLACEHOLDER
    return canonical(release) + b"\n"


def rehash_bytes(raw: bytes) -> bytes:
    """Re-digest release *bytes* by the README's shortcut: the file without its final LF and
    without the member ``"digest":"…",`` is what is hashed."""
    member = b'"digest":"' + PLACEHOLDER.encode() + b'",'
    body = raw.replace(member, b"", 1)[:-1]
    return raw.replace(PLACEHOLDER.encode(), ("sha256:" + hashlib.sha256(body).hexdigest()).encode(), 1)


def find_rule(release: dict[str, Any], category_id: str, item_id: str) -> dict[str, Any]:
    category = next(c for c in release["compiled"]["categories"] if c["id"] == category_id)
    return next(r for r in category["rules"] if r["item"] == item_id)


DECIDE = [
    "decide",
    "--plan",
    "standard",
    "--category",
    "desktop-setup",
    "--item",
    "desktop-setup-install-config-assistance",
]
