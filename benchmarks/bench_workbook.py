"""The Excel round-trip: ``export-xlsx`` and ``import-xlsx`` on the synthetic policies.

Rows, for each size up to 1,000 categories (budget 2 s each at 1,000):

- ``export-xlsx``: ``export_workbook`` on the parsed policy (validation, rows, snapshot, zip);
- ``import-xlsx (no edits)``: ``import_workbook`` of that export, a dry run: the archive checks,
  every cell read, every row's checksum; the round-trip law's path;
- ``import-xlsx (1% rows edited)``: a workbook where 1% of the matrix rows were edited (French
  and English texts, tiers): the three-way merge and the validation of the result run too;
- ``import-xlsx (LibreOffice-saved .xlsx)``: the export opened and saved again by LibreOffice
  Calc (``soffice --convert-to xlsx``, what "Keep current format" writes: shared strings, Calc's
  styles), the import of what reviewers using LibreOffice send back; and, without a budget, the
  same saved as ``.ods``. The conversion runs once per export (kept in ``benchmarks/.data``);
  without LibreOffice these rows are skipped, saying so;
- peers, same document, same run: ``flattentool`` flatten (JSON to xlsx) and unflatten (xlsx to
  JSON), with whether its round trip gave the document back.

At 10,000 categories (about 170,000 rows): export, import and the 1%-edited import each in a
subprocess, with their peak memory (``ru_maxrss``), which must stay under 1 GiB; time has no budget there.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import shutil
import subprocess
import sys
import tempfile
import warnings
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

from generate import DATA_DIR, policy_path, synthetic_policy
from support_scope.fileio.atomic import write_atomic
from support_scope.fileio.jsonfile import dump_json
from support_scope.workbook.export import export_workbook
from support_scope.workbook.importer import import_workbook
from timing import PEAK_MIB, best_of, row, run_child

BUDGETS = {1000: 2.0}
MEMORY_BUDGET_MIB = 1024
EDITED_ROWS = 0.01
LARGE = 10000


def meta_part(archive: zipfile.ZipFile) -> str:
    """The part of the hidden Meta sheet, read from the workbook (its place moves as sheets are
    added): the sheet named Meta in workbook.xml, and the part its relationship targets."""
    import xml.etree.ElementTree as ET

    from support_scope.workbook.layout import SHEET_META

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    relation = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    sheets = ET.fromstring(archive.read("xl/workbook.xml"))  # our own export: trusted input
    ids = [sheet.get(relation) for sheet in sheets.iter(f"{main}sheet") if sheet.get("name") == SHEET_META]
    if len(ids) != 1:
        raise AssertionError(f"the export has {len(ids)} sheets named {SHEET_META}")
    rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = [r.get("Target", "") for r in rels if r.get("Id") == ids[0]]
    if len(targets) != 1:
        raise AssertionError(f"no relationship {ids[0]} for the {SHEET_META} sheet")
    return "xl/" + targets[0].removeprefix("/xl/")


def edited_workbook(document: dict[str, Any], exported: bytes, target: Path, seed: int = 1) -> int:
    """A workbook as a reviewer returns it: 1% of the matrix rows edited, the export's metadata kept.

    Made by exporting an edited copy of the policy and putting back the original export's
    hidden metadata sheet, so the import sees edits made on the exported version.
    """
    rng = random.Random(seed)
    edited = copy.deepcopy(document)
    items = [item for category in edited["categories"] for item in category["items"]]
    chosen = rng.sample(items, max(1, int(len(items) * EDITED_ROWS)))
    for number, item in enumerate(chosen):
        if number % 3 == 0:
            item["text"]["fr"] += " (révisé)"
        elif number % 3 == 1:
            item["text"]["en"] = "Revised: " + item["text"]["en"]
        elif item["status"] == "included":
            item["tier"] = "extended" if item["tier"] != "extended" else "standard"
    data, _ = export_workbook(edited)
    with zipfile.ZipFile(BytesIO(exported)) as original:
        part = meta_part(original)
        meta = original.read(part)
    with zipfile.ZipFile(BytesIO(data)) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        if meta_part(source) != part:
            raise AssertionError("the edited export's Meta sheet is not where the original's is")
        for info in source.infolist():
            out.writestr(info, meta if info.filename == part else source.read(info))
    return len(chosen)


def run(sizes: list[int]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for size in sizes:
            if size >= LARGE:
                rows += _memory_rows(size, folder)
                continue
            document = synthetic_policy(size)
            policy = folder / f"policy-{size}.json"
            write_atomic(policy, dump_json(document).encode("utf-8"))
            data, summary = export_workbook(document)
            matrix = summary.rows["Matrice"]
            seconds = best_of(lambda document=document: export_workbook(document), 3, pause_gc=False)
            note = f"{matrix} matrix rows, {len(data) / 1e6:.1f} MB workbook; best of 3"
            rows.append(row("export-xlsx", size, seconds, BUDGETS.get(size), note))
            workbook = folder / f"review-{size}.xlsx"
            workbook.write_bytes(data)
            result = import_workbook(workbook, policy, dry_run=True)
            assert result.ok and not result.changed, result.problems[:3]
            seconds = best_of(
                lambda w=workbook, p=policy: import_workbook(w, p, dry_run=True), 3, pause_gc=False
            )
            rows.append(
                row(
                    "import-xlsx (no edits)",
                    size,
                    seconds,
                    BUDGETS.get(size),
                    "dry run; policy unchanged; best of 3",
                )
            )
            edited = folder / f"edited-{size}.xlsx"
            count = edited_workbook(document, data, edited)
            result = import_workbook(edited, policy, dry_run=True)
            assert result.ok and result.changed, (result.problems[:3], result.conflicts[:3])
            seconds = best_of(
                lambda w=edited, p=policy: import_workbook(w, p, dry_run=True), 3, pause_gc=False
            )
            note = f"{count} rows edited: merge and validation of the result; dry run; best of 3"
            rows.append(row("import-xlsx (1% rows edited)", size, seconds, BUDGETS.get(size), note))
            rows += _libreoffice_rows(size, data, policy, folder)
            rows += _peer_rows(size, document, folder)
    return rows


def libreoffice_saved(exported: bytes, fmt: str, folder: Path) -> Path | None:
    """The export as LibreOffice saves it again (``fmt``: ``xlsx`` or ``ods``), made once per
    export and kept in ``benchmarks/.data``; None without LibreOffice."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return None
    digest = hashlib.sha256(exported).hexdigest()[:16]
    cached = DATA_DIR / f"libreoffice-{digest}.{fmt}"
    if cached.is_file():
        return cached
    source = folder / f"export-{digest}.xlsx"
    source.write_bytes(exported)
    out = folder / f"converted-{fmt}"
    profile = folder / "lo-profile"
    subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation={profile.resolve().as_uri()}",
            "--convert-to",
            fmt,
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=900,
    )
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(out / f"{source.stem}.{fmt}", cached)
    return cached


def _libreoffice_rows(size: int, exported: bytes, policy: Path, folder: Path) -> list[dict[str, Any]]:
    rows = []
    for fmt, budget in (("xlsx", BUDGETS.get(size)), ("ods", None)):
        name = f"import-xlsx (LibreOffice-saved .{fmt})"
        saved = libreoffice_saved(exported, fmt, folder)
        if saved is None:
            rows.append(row(name, size, float("nan"), note="skipped: LibreOffice (soffice) is not installed"))
            continue
        result = import_workbook(saved, policy, dry_run=True)
        assert result.ok and not result.changed, result.problems[:3]
        seconds = best_of(lambda w=saved, p=policy: import_workbook(w, p, dry_run=True), 3, pause_gc=False)
        note = (
            f"soffice --convert-to {fmt}, {saved.stat().st_size / 1e6:.1f} MB; no changes; dry run; best of 3"
        )
        rows.append(row(name, size, seconds, budget, note))
    return rows


def _peer_rows(size: int, document: dict[str, Any], folder: Path) -> list[dict[str, Any]]:
    """flattentool on the same document: JSON to a workbook and back."""
    try:
        import flattentool
    except ImportError:
        return [
            row(
                "peer: flattentool",
                size,
                float("nan"),
                note="skipped: flattentool not installed (pip install '.[bench]')",
            )
        ]
    source = folder / f"peer-{size}.json"
    source.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    flat, back = folder / f"peer-{size}.xlsx", folder / f"peer-back-{size}.json"
    options = {"root_list_path": "categories", "id_name": "id"}

    def flatten() -> None:
        flattentool.flatten(
            str(source), output_name=str(flat), output_format="xlsx", main_sheet_name="categories", **options
        )

    def unflatten() -> None:
        flattentool.unflatten(str(flat), output_name=str(back), input_format="xlsx", **options)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # flattentool warns about what it cannot carry
        flat_seconds = best_of(flatten, 1, pause_gc=False)
        back_seconds = best_of(unflatten, 1, pause_gc=False)
    returned = json.loads(back.read_text(encoding="utf-8"))
    lossless = returned.get("categories") == document["categories"]
    note = f"same document; round trip gives it back: {'yes' if lossless else 'no'}; best of 1"
    return [
        row("peer: flattentool flatten", size, flat_seconds, note=note),
        row("peer: flattentool unflatten", size, back_seconds, note=note),
    ]


_CHILD = f"""
import json, resource, sys, time
from pathlib import Path
from support_scope.fileio.jsonfile import read_json
from support_scope.workbook.export import export_workbook
from support_scope.workbook.importer import import_workbook
step, policy, workbook = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
started = time.perf_counter()
if step == "export":
    data, _ = export_workbook(read_json(policy))
    workbook.write_bytes(data)
    ok = True
elif step == "edit":
    sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
    from bench_workbook import edited_workbook
    edited_workbook(read_json(policy), workbook.read_bytes(), Path(sys.argv[4]))
    ok = True
else:
    result = import_workbook(workbook, policy, dry_run=True)
    ok = result.ok and result.changed == (step == "import-edited")
seconds = time.perf_counter() - started
print(json.dumps({{"seconds": seconds, "peak_mib": {PEAK_MIB}, "ok": ok}}))
"""


def _memory_rows(size: int, folder: Path) -> list[dict[str, Any]]:
    policy = policy_path(size)
    workbook = folder / f"review-{size}.xlsx"
    rows = []
    edited = folder / f"edited-{size}.xlsx"
    for step in ("export", "import", "import-edited"):
        if step == "import-edited":
            # Made in a child too: Linux reports a child's peak as at least this process's at the
            # fork, and the edit would make this process as large as an import.
            run_child(_CHILD, "edit", str(policy), str(workbook), str(edited))
        try:
            figures = run_child(
                _CHILD, step, str(policy), str(edited if step == "import-edited" else workbook)
            )
        except RuntimeError as e:
            raise RuntimeError(f"{step} at {size}: {e}") from e
        verdict = "under" if figures["peak_mib"] < MEMORY_BUDGET_MIB else "OVER"
        note = (
            f"peak memory {figures['peak_mib']:.0f} MiB ({verdict} the {MEMORY_BUDGET_MIB} MiB budget); "
            f"subprocess, reading the file included{'' if figures['ok'] else '; UNEXPECTED RESULT'}"
        )
        name = {"export": "export-xlsx", "import": "import-xlsx (no edits)"}.get(
            step, "import-xlsx (1% rows edited)"
        )
        rows.append(row(f"{name} memory", size, figures["seconds"], None, note))
    return rows


if __name__ == "__main__":  # pragma: no cover - a convenience: python benchmarks/bench_workbook.py 100
    sizes = [int(arg) for arg in sys.argv[1:]] or [100, 1000]
    for line in run(sizes):
        print(line)
