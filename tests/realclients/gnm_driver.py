#!/usr/bin/python3
"""Drive Gnumeric's own engine (libspreadsheet through GObject introspection) on a workbook.

Needs Debian's ``gnumeric`` and ``gir1.2-gnumeric`` with ``python3-gi``; run with the system
Python (``/usr/bin/python3``), not the project's virtual environment::

    /usr/bin/python3 gnm_driver.py JOB.json      # or - for standard input

The job (JSON)::

    {"input": "review.xlsx", "timeout": 120,
     "actions": [{"do": "type", "cell": "Matrice!F3", "text": "24/7"},
                 {"do": "read", "cell": "Matrice!F3"},
                 {"do": "save_as", "path": "out.xlsx", "format": "xlsx2"}]}

``type`` goes through ``sheet_cell_set_text``, what Gnumeric does with a line typed in a cell:
number and date recognition in the process locale (LC_ALL/LANG; Gnumeric has no locale setting
of its own), no autocorrect. ``save_as`` formats: ``xlsx`` (Gnumeric_Excel:xlsx, ECMA-376 1st
edition: what "Save as Excel 2007" writes), ``xlsx2`` (Gnumeric_Excel:xlsx2, ISO 29500 /
Excel 2010), ``ods`` (Gnumeric_OpenCalc:odf), ``xls``. The whole job runs in a child process that
is killed past ``timeout``. Output: one JSON object on stdout; exit 0, 1 (an action failed),
2 (usage), 3 (Gnumeric missing, crashed or timed out).

Without introspection, ``ssconvert IN OUT`` re-saves (see client.py ``gnumeric_resave``), and
``ssconvert --set A1=text`` edits cells of the workbook's active sheet only (a sheet prefix is
ignored).
"""

from __future__ import annotations

import json
import multiprocessing
import re
import sys
import time
from pathlib import Path
from typing import Any

SAVERS = {
    "xlsx": "Gnumeric_Excel:xlsx",
    "xlsx2": "Gnumeric_Excel:xlsx2",
    "ods": "Gnumeric_OpenCalc:odf",
    "xls": "Gnumeric_Excel:excel_biff8",
}


def _col(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def _work(job: dict[str, Any], queue: Any) -> None:
    report: dict[str, Any] = {"ok": False, "timings": {}, "results": []}
    try:
        import gi

        gi.require_version("Gnm", "1.12")
        gi.require_version("GOffice", "0.10")
        from gi.repository import GLib, Gnm, GOffice

        started = time.monotonic()
        Gnm.init()
        context = Gnm.CmdContextStderr.new()
        Gnm.plugins_init(context)
        io = GOffice.IOContext.new(context)
        report["timings"]["startup"] = round(time.monotonic() - started, 3)
        started = time.monotonic()
        view = Gnm.WorkbookView.new_from_uri(
            GLib.filename_to_uri(str(Path(job["input"]).resolve()), None), None, io, None
        )
        report["timings"]["load"] = round(time.monotonic() - started, 3)
        book = view.props.workbook
        code = 0
        for index, action in enumerate(job.get("actions", [])):
            started = time.monotonic()
            entry: dict[str, Any] = {"i": index, **action}
            try:
                if action["do"] in ("type", "read"):
                    match = re.fullmatch(r"'?(.+?)'?!([A-Z]+)([0-9]+)", action["cell"])
                    if not match:
                        raise ValueError(f"cell {action['cell']!r}: expected Sheet!A1")
                    sheet = book.sheet_by_name(match.group(1))
                    if sheet is None:
                        raise ValueError(f"no sheet {match.group(1)!r}")
                    col, row = _col(match.group(2)), int(match.group(3)) - 1
                    if action["do"] == "type":
                        sheet.cell_set_text(col, row, str(action["text"]))
                    cell = sheet.cell_fetch(col, row)
                    fmt = cell.get_format()
                    entry["result"] = {
                        "cell": action["cell"],
                        "number": bool(cell.is_number()),
                        "entered": cell.get_entered_text(),
                        "shown": cell.get_rendered_text(),
                        "number_format": fmt.as_XL() if fmt else None,
                    }
                elif action["do"] == "save_as":
                    path = Path(action["path"]).resolve()
                    fmt = action.get("format") or path.suffix.lstrip(".")
                    saver = GOffice.FileSaver.for_id(SAVERS[fmt])
                    if saver is None:
                        raise ValueError(f"no Gnumeric saver {SAVERS[fmt]}")
                    path.parent.mkdir(parents=True, exist_ok=True)
                    ok = view.save_as(saver, GLib.filename_to_uri(str(path), None), context)
                    if not ok:
                        raise ValueError(f"Gnumeric did not save {path}")
                    entry["result"] = {"path": str(path), "saver": SAVERS[fmt], "bytes": path.stat().st_size}
                else:
                    raise ValueError(f"unknown action {action['do']!r}")
                entry["ok"] = True
            except (ValueError, KeyError) as e:
                entry["ok"], entry["error"] = False, str(e)
                code = 1
            entry["seconds"] = round(time.monotonic() - started, 3)
            report["results"].append(entry)
        report["ok"] = code == 0
        report["code"] = code
    except Exception as e:  # gi missing, a file Gnumeric cannot open, ...
        report["error"] = f"{type(e).__name__}: {e}"
        report["code"] = 3
    queue.put(report)


def run(job: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_work, args=(job, queue), daemon=True)
    child.start()
    timeout = float(job.get("timeout", 120))
    try:
        report = queue.get(timeout=timeout)
    except Exception:
        report = {"ok": False, "error": f"Gnumeric did not finish within {timeout} s (or crashed)", "code": 3}
    child.join(5)
    if child.is_alive():
        child.kill()
        child.join(5)
    return int(report.pop("code", 3)), report


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        text = sys.stdin.read() if argv[1] == "-" else Path(argv[1]).read_text(encoding="utf-8")
        job = json.loads(text)
        if not isinstance(job, dict) or "input" not in job:
            raise ValueError("the job must be an object with an 'input'")
    except (OSError, ValueError) as e:
        print(f"gnm_driver: {e}", file=sys.stderr)
        return 2
    code, report = run(job)
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
