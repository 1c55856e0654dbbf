#!/usr/bin/python3
"""Drive a real LibreOffice Calc, headless, through a reviewer's actions on a workbook.

Run with a Python that has ``import uno`` (Debian: ``/usr/bin/python3`` with ``python3-uno``),
never with the project's virtual environment::

    /usr/bin/python3 lo_driver.py JOB.json            # or: ... lo_driver.py - < JOB.json

The job (JSON)::

    {
      "input": "review.xlsx",              # opened from a private copy (no lock file beside it)
      "locale": "fr-FR",                   # Tools > Options > Language settings: locale AND
                                           # default document language (autocorrect); default en-US
      "author": "Camille Martin",          # Tools > Options > User data (note authors)
      "timeout": 180,                      # whole job, seconds; soffice is killed past it
      "actions": [ {"do": "type", "cell": "Matrice!E3", "text": "24/7"}, ...,
                   {"do": "save_as", "path": "out.xlsx"} ]
    }

It prints one JSON object on stdout: ``{"ok", "timings", "results": [...], "soffice": {...}}``;
each result repeats the action and adds what Calc did (the cell's type, value, displayed text and
number format after typing, whether a sort moved rows, ...). Exit 0 when every action ran,
1 when one failed (the rest still ran unless it was fatal), 2 for a usage error, 3 when
LibreOffice could not be started, crashed or timed out.

Cells: ``"Matrice!E3"``, or ``{"sheet": "Matrice", "id": "desktop-setup-kb-pages", "column":
"Text (en)"}`` (the row whose Id column holds ``id``; the column by its header, exact or a unique
substring, or by letter), or ``{"sheet": "Matrice", "row": 3, "column": "E"}``.

Actions (``"do"``):
- ``type``: ``text`` entered as a user types it. ``via``: ``keys`` (default: key events into the
  grid window through LibreOffice's UI-test service: AutoInput, AutoCorrect and number recognition
  apply, as for a person; a new line is Ctrl+Enter), ``enter`` (``.uno:EnterString``, the path a
  dropdown pick takes: number recognition, no AutoCorrect/AutoInput), ``formula``
  (``XCell.setFormula``: number recognition only), ``string`` (``XCell.setString``: raw text,
  no recognition: what a user never gets). ``autoinput``: false turns Tools > AutoInput off first.
- ``clear``: ``cell``: select it and press Delete (contents removed, as a person does it).
- ``set_formula``: ``formula`` (``=...``) through ``XCell.setFormula``.
- ``pick``: ``value`` chosen from the cell's validation dropdown (checked against the list; the
  choice is entered as ``.uno:EnterString``, as the dropdown does).
- ``insert_row`` / ``delete_row``: ``sheet``, ``row`` (1-based), ``count`` (default 1); through
  ``.uno:InsertRowsBefore`` / ``.uno:DeleteRows`` (the protection a user meets applies).
- ``copy_row``: ``sheet``, ``from``, ``to``: a copy of row ``from`` inserted before row ``to``
  (``insert: false`` pastes over row ``to`` instead), through copy and paste.
- ``sort``: ``sheet``, ``by`` (header or letter), ``ascending`` (true), ``then_by`` (optional):
  Data > Sort on the data area around A2 (``.uno:DataSort`` with the dialog's arguments: header
  row, include formats). Reports whether the order changed; a protected sheet is reported.
- ``autofilter``: ``sheet``, ``column`` (header or letter), ``equals`` (a value, or a list):
  the sheet's autofilter set to show only those rows.
- ``add_note``: ``cell``, ``text``, ``author`` (default: the job's), through ``.uno:InsertAnnotation``.
- ``protect`` / ``unprotect``: ``sheet`` (Tools > Protect Sheet, no password).
- ``read``: ``cell``: its state. ``dump``: ``sheet``, ``rows`` ([first, last], 1-based), ``columns``.
- ``page_setup``: ``sheet``: the page style (orientation, scale, title rows) and row heights.
- ``optimal_height``: ``sheet``, ``rows``: Format > Rows > Optimal Height; heights before/after.
- ``export_pdf``: ``path`` (and ``sheet``: only that sheet): File > Export as PDF; pages counted.
- ``save_as``: ``path``, ``format`` (``xlsx``: "Calc MS Excel 2007 XML", as Keep current format
  does; ``ods``; ``xls``; ``csv``), ``overwrite`` (true).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any

try:
    import uno
    from com.sun.star.beans import PropertyValue
except ImportError:  # pragma: no cover - reported as exit 3
    uno = None  # type: ignore[assignment]

FILTERS = {
    "xlsx": "Calc MS Excel 2007 XML",
    "xlsx-ooxml": "Calc Office Open XML",
    "ods": "calc8",
    "xls": "MS Excel 97",
    "csv": "Text - txt - csv (StarCalc)",
    "pdf": "calc_pdf_Export",
}
CELL_TYPES = {"EMPTY": "empty", "VALUE": "value", "TEXT": "text", "FORMULA": "formula"}


class ActionError(Exception):
    """An action could not be done (the job goes on with the next one)."""


class Fatal(Exception):
    """LibreOffice is gone or unusable: the job stops."""


def pv(name: str, value: Any) -> Any:
    prop = PropertyValue()
    prop.Name = name
    prop.Value = value
    return prop


def props(**values: Any) -> tuple[Any, ...]:
    return tuple(pv(k, v) for k, v in values.items())


def file_url(path: str | Path) -> str:
    return uno.systemPathToFileUrl(str(Path(path).resolve()))


# --------------------------------------------------------------------------- soffice process


def _xcu(locale: str, author: str) -> str:
    given, _, family = author.partition(" ")
    initials = "".join(word[:1] for word in author.split()).upper()
    items = [
        ("/org.openoffice.Setup/L10N", "ooSetupSystemLocale", locale),
        ("/org.openoffice.Office.Linguistic/General", "DefaultLocale", locale),
        ("/org.openoffice.UserProfile/Data", "givenname", given),
        ("/org.openoffice.UserProfile/Data", "sn", family),
        ("/org.openoffice.UserProfile/Data", "initials", initials),
        # no "what's new" / tip dialogs, no recovery data, no update checks
        ("/org.openoffice.Office.Common/Misc", "ShowTipOfTheDay", "false"),
        ("/org.openoffice.Office.Common/Misc", "FirstRun", "false"),
        ("/org.openoffice.Office.Recovery/AutoSave", "Enabled", "false"),
        ("/org.openoffice.Office.Recovery/RecoveryInfo", "Enabled", "false"),
    ]

    def esc(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    body = "\n".join(
        f'<item oor:path="{path}"><prop oor:name="{name}" oor:op="fuse"><value>{esc(value)}</value></prop></item>'
        for path, name, value in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        f"{body}\n</oor:items>\n"
    )


class Office:
    """One private soffice: its own profile directory and pipe, killed (whole process group) at the end."""

    def __init__(self, soffice: str, locale: str, author: str, timeout: float) -> None:
        self.soffice = soffice
        self.locale = locale
        self.author = author
        self.deadline = time.monotonic() + timeout
        self.work = Path(tempfile.mkdtemp(prefix="lo_driver_"))
        self.profile = self.work / "profile"
        (self.profile / "user").mkdir(parents=True)
        (self.profile / "user" / "registrymodifications.xcu").write_text(
            _xcu(locale, author), encoding="utf-8"
        )
        self.pipe = f"lo_driver_{os.getpid()}_{os.urandom(4).hex()}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = self.work / "soffice.log"
        self.ctx: Any = None
        self.desktop: Any = None
        self.timed_out = False
        self._watchdog: threading.Timer | None = None

    def start(self) -> float:
        started = time.monotonic()
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        env["SAL_USE_VCLPLUGIN"] = "svp"
        env.setdefault("LANG", "C.UTF-8")
        env["HOME"] = str(self.work)  # nothing written to the caller's home
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    self.soffice,
                    "--headless",
                    "--invisible",
                    "--norestore",
                    "--nologo",
                    "--nodefault",
                    "--nolockcheck",
                    f"-env:UserInstallation={file_url(self.profile)}",
                    f"--accept=pipe,name={self.pipe};urp;StarOffice.ComponentContext",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # its own process group: oosplash and soffice.bin die together
            )
        remaining = self.deadline - time.monotonic()
        self._watchdog = threading.Timer(max(remaining, 1), self._expire)
        self._watchdog.daemon = True
        self._watchdog.start()
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        last: Exception | None = None
        while time.monotonic() < min(self.deadline, started + 90):
            if self.process.poll() is not None:
                raise Fatal(f"soffice exited with {self.process.returncode} while starting: {self.tail()}")
            try:
                self.ctx = resolver.resolve(f"uno:pipe,name={self.pipe};urp;StarOffice.ComponentContext")
                break
            except Exception as e:  # NoConnectException until soffice listens
                last = e
                time.sleep(0.05)
        if self.ctx is None:
            raise Fatal(f"could not connect to soffice in time ({last}): {self.tail()}")
        self.desktop = self.ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.Desktop", self.ctx
        )
        return time.monotonic() - started

    def _expire(self) -> None:
        self.timed_out = True
        self.kill()

    def service(self, name: str) -> Any:
        return self.ctx.ServiceManager.createInstanceWithContext(name, self.ctx)

    def tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        kept = [
            line for line in text.splitlines() if line.strip() and not line.startswith(("/usr/", "/lib/"))
        ]
        return " | ".join(kept[-lines:])

    def kill(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                return
            try:
                process.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def stop(self) -> float:
        started = time.monotonic()
        if self._watchdog is not None:
            self._watchdog.cancel()
        process = self.process
        if process is not None and process.poll() is None and self.desktop is not None:
            with contextlib.suppress(Exception):  # the bridge goes away as soffice exits
                self.desktop.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(15)
        self.kill()
        if process is not None:
            # soffice.bin may outlive oosplash: make sure the group is gone
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(self.work, ignore_errors=True)
        return time.monotonic() - started


# --------------------------------------------------------------------------- the document


def column_letter(index: int) -> str:
    """0-based column -> letters."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: str) -> int:
    """Letters -> 0-based column."""
    n = 0
    for letter in letters.upper():
        n = n * 26 + ord(letter) - 64
    return n - 1


class Session:
    def __init__(self, office: Office, job: dict[str, Any]) -> None:
        self.office = office
        self.job = job
        self.doc: Any = None
        self.frame: Any = None
        self.dispatcher = office.service("com.sun.star.frame.DispatchHelper")
        self._uitest: Any = None
        self.hidden = False
        self.copy_dir = office.work / "doc"
        self.copy_dir.mkdir()

    # -- loading

    def load(self, path: str, hidden: bool = False) -> float:
        started = time.monotonic()
        source = Path(path)
        if not source.is_file():
            raise Fatal(f"{path}: no such file")
        local = self.copy_dir / source.name  # a private copy: the lock file lands beside it, not the caller's
        shutil.copyfile(source, local)
        # A visible frame (on the headless "svp" backend: no screen) so that key events reach the
        # grid window and its input handler, as a person's keystrokes do. A hidden frame's view is
        # never the current one: Calc drops the keys. Debian's libreoffice-core-nogui aborts when a
        # document window is shown; there the driver falls back to a hidden frame (no "keys").
        self.hidden = hidden
        self.doc = self.office.desktop.loadComponentFromURL(
            file_url(local), "_blank", 0, props(Hidden=hidden, MacroExecutionMode=0)
        )
        if self.doc is None:
            raise Fatal(f"LibreOffice could not open {path}: {self.office.tail()}")
        self.frame = self.doc.getCurrentController().getFrame()
        if not hidden:
            self.frame.activate()
        return time.monotonic() - started

    def close(self) -> None:
        if self.doc is not None:
            with contextlib.suppress(Exception):
                self.doc.close(True)
            self.doc = None

    # -- helpers

    def dispatch(self, command: str, **args: Any) -> Any:
        return self.dispatcher.executeDispatch(self.frame, command, "", 0, props(**args))

    def sheet(self, name: str) -> Any:
        sheets = self.doc.getSheets()
        if not sheets.hasByName(name):
            raise ActionError(f"no sheet {name!r} (sheets: {', '.join(sheets.getElementNames())})")
        return sheets.getByName(name)

    def activate(self, sheet: Any) -> None:
        controller = self.doc.getCurrentController()
        if controller.getActiveSheet().getName() != sheet.getName():
            controller.setActiveSheet(sheet)

    def used_rows(self, sheet: Any) -> int:
        cursor = sheet.createCursor()
        cursor.gotoEndOfUsedArea(False)
        return cursor.getRangeAddress().EndRow + 1

    def headers(self, sheet: Any) -> list[str]:
        cursor = sheet.createCursor()
        cursor.gotoEndOfUsedArea(False)
        last = cursor.getRangeAddress().EndColumn
        row = sheet.getCellRangeByPosition(0, 0, last, 0).getDataArray()[0]
        return [str(value) for value in row]

    def column(self, sheet: Any, spec: Any) -> int:
        """0-based column from a letter or a header (exact, else a unique substring)."""
        if isinstance(spec, int):
            return spec - 1
        text = str(spec)
        headers = self.headers(sheet)
        if text in headers:
            return headers.index(text)
        found = [i for i, header in enumerate(headers) if text.lower() in header.lower()]
        if len(found) == 1:
            return found[0]
        if re.fullmatch(r"[A-Za-z]{1,3}", text):
            return column_number(text)
        raise ActionError(
            f"column {text!r}: {'several' if found else 'no'} header matches in {sheet.getName()}"
        )

    def id_column(self, sheet: Any) -> int:
        for i, header in enumerate(self.headers(sheet)):
            if header.startswith("Id"):
                return i
        raise ActionError(f"no Id column in {sheet.getName()}")

    def row_of(self, sheet: Any, key: str) -> int:
        """0-based row whose Id cell is ``key``."""
        col = self.id_column(sheet)
        last = self.used_rows(sheet)
        values = sheet.getCellRangeByPosition(col, 0, col, last - 1).getDataArray()
        for i, (value,) in enumerate(values):
            if value == key:
                return i
        raise ActionError(f"no row with id {key!r} in {sheet.getName()}")

    def cell(self, spec: Any) -> tuple[Any, int, int]:
        """(sheet, 0-based column, 0-based row)."""
        if isinstance(spec, str):
            match = re.fullmatch(r"(?:'?(.+?)'?!)?\$?([A-Za-z]{1,3})\$?([0-9]+)", spec)
            if not match:
                raise ActionError(f"cell {spec!r}: expected Sheet!A1")
            sheet = (
                self.sheet(match.group(1))
                if match.group(1)
                else self.doc.getCurrentController().getActiveSheet()
            )
            return sheet, column_number(match.group(2)), int(match.group(3)) - 1
        sheet = self.sheet(spec["sheet"])
        row = self.row_of(sheet, spec["id"]) if "id" in spec else int(spec["row"]) - 1
        return sheet, self.column(sheet, spec["column"]), row

    def a1(self, sheet: Any, col: int, row: int) -> str:
        return f"{sheet.getName()}!{column_letter(col)}{row + 1}"

    def state(self, sheet: Any, col: int, row: int) -> dict[str, Any]:
        cell = sheet.getCellByPosition(col, row)
        kind = CELL_TYPES.get(cell.getType().value, cell.getType().value)
        key = cell.getPropertyValue("NumberFormat")
        fmt = self.doc.getNumberFormats().getByKey(key)
        locale = fmt.getPropertyValue("Locale")
        result: dict[str, Any] = {
            "cell": self.a1(sheet, col, row),
            "type": kind,
            "shown": cell.getString(),  # the displayed text
            "number_format": fmt.getPropertyValue("FormatString"),
            "format_locale": "-".join(p for p in (locale.Language, locale.Country) if p),
        }
        if kind == "value":
            result["value"] = cell.getValue()
        if kind == "formula":
            result["formula"] = cell.getFormula()
        if "\n" in result["shown"]:
            result["lines"] = result["shown"].count("\n") + 1
        return result

    def protected(self, sheet: Any) -> bool:
        return bool(sheet.isProtected())

    @property
    def uitest(self) -> Any:
        if self._uitest is None:
            self._uitest = self.office.service("org.libreoffice.uitest.UITest")
            if self._uitest is None:
                raise ActionError("the UI-test service (org.libreoffice.uitest.UITest) is not available")
        return self._uitest

    def grid(self, sheet: Any) -> Any:
        self.activate(sheet)
        top = self.uitest.getTopFocusWindow()
        if top is None or "grid_window" not in top.getChildren():
            raise ActionError("no Calc grid window in focus for key events")
        return top.getChild("grid_window")

    def goto(self, sheet: Any, col: int, row: int) -> None:
        self.activate(sheet)
        self.dispatch(".uno:GoToCell", ToPoint=f"${sheet.getName()}.${column_letter(col)}${row + 1}")

    def set_autoinput(self, on: bool) -> None:
        # Tools > AutoInput is a toggle; its state is the Calc "AutoInput" config.
        config = self._config("/org.openoffice.Office.Calc/Input", update=True)
        if bool(config.getPropertyValue("AutoInput")) != on:
            self.dispatch(".uno:AutoComplete")

    def _config(self, path: str, update: bool = False) -> Any:
        provider = self.office.service("com.sun.star.configuration.ConfigurationProvider")
        service = (
            "com.sun.star.configuration.ConfigurationUpdateAccess"
            if update
            else "com.sun.star.configuration.ConfigurationAccess"
        )
        return provider.createInstanceWithArguments(service, props(nodepath=path))

    # -- actions

    def do_type(self, action: dict[str, Any]) -> dict[str, Any]:
        sheet, col, row = self.cell(action["cell"])
        text = str(action["text"])
        via = action.get("via", "keys")
        if "autoinput" in action:
            self.set_autoinput(bool(action["autoinput"]))
        before = sheet.getCellByPosition(col, row).getFormula()
        if via == "keys" and self.hidden:
            via = "enter"
            fallback = "keys unavailable (hidden frame: libreoffice-core-nogui?); typed via .uno:EnterString"
        else:
            fallback = None
        if via == "keys":
            grid = self.grid(sheet)
            # The grid's own SELECT parses "F3" on the first sheet: move the cursor as Go To Cell does.
            self.goto(sheet, col, row)
            for i, line in enumerate(text.split("\n")):
                if i:
                    grid.executeAction("TYPE", props(KEYCODE="CTRL+RETURN"))  # a new line in the cell
                if line:
                    grid.executeAction("TYPE", props(TEXT=line))
            grid.executeAction("TYPE", props(KEYCODE="RETURN"))
        elif via == "enter":
            self.goto(sheet, col, row)
            self.dispatch(".uno:EnterString", StringName=text)
        elif via == "formula":
            sheet.getCellByPosition(col, row).setFormula(text)
        elif via == "string":
            sheet.getCellByPosition(col, row).setString(text)
        else:
            raise ActionError(f"type: unknown via {via!r} (keys, enter, formula, string)")
        state = self.state(sheet, col, row)
        if fallback:
            state["fallback"] = fallback
        state["changed"] = sheet.getCellByPosition(col, row).getFormula() != before
        if not state["changed"] and self.protected(sheet):
            state["note"] = "cell unchanged: the sheet is protected and this cell is locked"
        return state

    def do_clear(self, action: dict[str, Any]) -> dict[str, Any]:
        """Select the cell and press Delete (Calc: delete contents, no dialog)."""
        sheet, col, row = self.cell(action["cell"])
        before = sheet.getCellByPosition(col, row).getFormula()
        if self.hidden:
            self.goto(sheet, col, row)
            self.dispatch(".uno:Delete")
            via = ".uno:Delete"
        else:
            grid = self.grid(sheet)
            self.goto(sheet, col, row)
            grid.executeAction("TYPE", props(KEYCODE="DELETE"))
            via = "Delete key"
        state = self.state(sheet, col, row)
        state["via"] = via
        state["changed"] = sheet.getCellByPosition(col, row).getFormula() != before
        if state["type"] != "empty":
            raise ActionError(f"{state['cell']} not cleared (protected?): {state['shown']!r}")
        return state

    def do_set_formula(self, action: dict[str, Any]) -> dict[str, Any]:
        sheet, col, row = self.cell(action["cell"])
        sheet.getCellByPosition(col, row).setFormula(str(action["formula"]))
        return self.state(sheet, col, row)

    def validation_list(self, sheet: Any, col: int, row: int) -> list[str] | None:
        validation = sheet.getCellByPosition(col, row).getPropertyValue("Validation")
        if validation.getPropertyValue("Type").value != "LIST":
            return None
        formula = validation.getFormula1()  # e.g. $Listes.$A$2:$A$4
        match = re.fullmatch(r"\$?'?([^.']+)'?\.\$?([A-Z]+)\$?([0-9]+):\$?([A-Z]+)\$?([0-9]+)", formula)
        if not match:
            return [part.strip('"') for part in formula.split(";")]
        source = self.sheet(match.group(1))
        cells = source.getCellRangeByName(
            f"{match.group(2)}{match.group(3)}:{match.group(4)}{match.group(5)}"
        )
        return [str(value) for line in cells.getDataArray() for value in line if value != ""]

    def do_pick(self, action: dict[str, Any]) -> dict[str, Any]:
        sheet, col, row = self.cell(action["cell"])
        value = str(action["value"])
        choices = self.validation_list(sheet, col, row)
        if choices is None:
            raise ActionError(f"{self.a1(sheet, col, row)} has no dropdown (no list validation)")
        if value not in choices:
            raise ActionError(f"{value!r} is not in the dropdown of {self.a1(sheet, col, row)}: {choices}")
        # The dropdown's selection handler (ScGridWindow::ExecDataSelect) enters the chosen text
        # with ScViewFunc::EnterData, the function .uno:EnterString calls.
        self.goto(sheet, col, row)
        self.dispatch(".uno:EnterString", StringName=value)
        state = self.state(sheet, col, row)
        state["choices"] = choices
        if state["shown"] != value:
            state["note"] = "the cell did not take the value (protected?)"
        return state

    def _rows(self, action: dict[str, Any], command: str) -> dict[str, Any]:
        sheet = self.sheet(action["sheet"])
        row = int(action["row"]) - 1
        count = int(action.get("count", 1))
        before = self.used_rows(sheet)
        self.activate(sheet)
        self.dispatch(".uno:GoToCell", ToPoint=f"$A${row + 1}:$A${row + count}")
        self.dispatch(command)
        after = self.used_rows(sheet)
        return {
            "sheet": sheet.getName(),
            "rows_before": before,
            "rows_after": after,
            "protected": self.protected(sheet),
        }

    def do_insert_row(self, action: dict[str, Any]) -> dict[str, Any]:
        result = self._rows(action, ".uno:InsertRowsBefore")
        if result["rows_after"] == result["rows_before"]:
            raise ActionError(f"no row was inserted: {result}")
        return result

    def do_delete_row(self, action: dict[str, Any]) -> dict[str, Any]:
        result = self._rows(action, ".uno:DeleteRows")
        if result["rows_after"] == result["rows_before"]:
            raise ActionError(f"no row was deleted: {result}")
        return result

    def do_copy_row(self, action: dict[str, Any]) -> dict[str, Any]:
        sheet = self.sheet(action["sheet"])
        source, target = int(action["from"]), int(action["to"])
        self.activate(sheet)
        if action.get("insert", True):
            self._rows({"sheet": sheet.getName(), "row": target}, ".uno:InsertRowsBefore")
            if source >= target:
                source += 1
        self.dispatch(".uno:GoToCell", ToPoint=f"$A${source}:$AMJ${source}")
        self.dispatch(".uno:Copy")
        self.dispatch(".uno:GoToCell", ToPoint=f"$A${target}")
        self.dispatch(".uno:Paste")
        copied = sheet.getCellRangeByPosition(0, target - 1, 20, target - 1).getDataArray()[0]
        original = sheet.getCellRangeByPosition(0, source - 1, 20, source - 1).getDataArray()[0]
        via = "clipboard"
        if copied != original:  # no clipboard in this headless session: copy the range directly
            address = sheet.getCellRangeByName(f"A{source}:AMJ{source}").getRangeAddress()
            destination = sheet.getCellByPosition(0, target - 1).getCellAddress()
            sheet.copyRange(destination, address)
            copied = sheet.getCellRangeByPosition(0, target - 1, 20, target - 1).getDataArray()[0]
            via = "XCellRangeMovement.copyRange"
        return {
            "sheet": sheet.getName(),
            "from": source,
            "to": target,
            "via": via,
            "same": copied == original,
        }

    def _ids(self, sheet: Any) -> list[str]:
        col = self.id_column(sheet)
        last = self.used_rows(sheet)
        return [str(v[0]) for v in sheet.getCellRangeByPosition(col, 1, col, max(last - 1, 1)).getDataArray()]

    def do_sort(self, action: dict[str, Any]) -> dict[str, Any]:
        sheet = self.sheet(action["sheet"])
        keys = [action["by"], *([action["then_by"]] if "then_by" in action else [])]
        columns = [self.column(sheet, key) for key in keys]
        ascending = bool(action.get("ascending", True))
        before = self._ids(sheet)
        # Data > Sort with the cursor in the data: the dialog takes the area around it (here the
        # autofilter's database range), header row detected; "Include formats" on by default.
        self.goto(sheet, columns[0], 1)
        args: dict[str, Any] = dict(
            ByRows=True,
            HasHeader=True,
            CaseSensitive=False,
            NaturalSort=False,
            IncludeAttribs=True,
            UserDefIndex=0,
        )
        for i, column in enumerate(columns, start=1):
            args[f"Col{i}"] = column + 1
            args[f"Ascending{i}"] = ascending
        self.dispatch(".uno:DataSort", **args)
        after = self._ids(sheet)
        moved = sum(1 for a, b in zip(before, after, strict=False) if a != b)
        result = {
            "sheet": sheet.getName(),
            "by": [column_letter(c) for c in columns],
            "protected": self.protected(sheet),
            "order_changed": before != after,
            "rows_moved": moved,
            "same_rows": sorted(before) == sorted(after),
        }
        if before == after:
            result["note"] = (
                "nothing moved: LibreOffice refused to sort (protected sheet: 'Protected cells can not be modified')"
                if self.protected(sheet)
                else "nothing moved (already in that order?)"
            )
        return result

    def do_autofilter(self, action: dict[str, Any]) -> dict[str, Any]:
        from com.sun.star.sheet.FilterConnection import OR
        from com.sun.star.sheet.FilterOperator import EQUAL

        sheet = self.sheet(action["sheet"])
        col = self.column(sheet, action["column"])
        wanted = action["equals"] if isinstance(action["equals"], list) else [action["equals"]]
        ranges = self.doc.getPropertyValue("UnnamedDatabaseRanges")
        index = [s.getName() for s in self.doc.getSheets()].index(sheet.getName())
        if not ranges.hasByTable(index):
            raise ActionError(f"{sheet.getName()} has no autofilter")
        dbrange = ranges.getByTable(index)
        area = dbrange.getDataArea()
        descriptor = dbrange.getFilterDescriptor()
        fields = []
        for i, value in enumerate(wanted):
            field = uno.createUnoStruct("com.sun.star.sheet.TableFilterField")
            field.Connection = OR if i else field.Connection
            field.Field = col - area.StartColumn
            field.Operator = EQUAL
            field.IsNumeric = False
            field.StringValue = str(value)
            fields.append(field)
        descriptor.setFilterFields(tuple(fields))
        descriptor.setPropertyValue("ContainsHeader", True)
        dbrange.refresh()
        rows = sheet.getRows()
        hidden = sum(
            1
            for r in range(area.StartRow + 1, area.EndRow + 1)
            if not rows.getByIndex(r).getPropertyValue("IsVisible")
        )
        return {
            "sheet": sheet.getName(),
            "range": f"{column_letter(area.StartColumn)}{area.StartRow + 1}:{column_letter(area.EndColumn)}{area.EndRow + 1}",
            "column": column_letter(col),
            "equals": wanted,
            "rows_hidden": hidden,
            "autofilter": bool(dbrange.getPropertyValue("AutoFilter")),
            "protected": self.protected(sheet),
        }

    def do_add_note(self, action: dict[str, Any]) -> dict[str, Any]:
        sheet, col, row = self.cell(action["cell"])
        author = str(action.get("author", self.office.author))
        text = str(action["text"])
        self.goto(sheet, col, row)
        self.dispatch(".uno:InsertAnnotation", Text=text, Author=author, Date=str(action.get("date", "")))
        annotation = sheet.getCellByPosition(col, row).getAnnotation()
        via = ".uno:InsertAnnotation"
        if annotation.getString() != text:
            # refused (a protected sheet?) or arguments ignored: record why and use the API
            protected = self.protected(sheet)
            sheet.getAnnotations().insertNew(sheet.getCellByPosition(col, row).getCellAddress(), text)
            annotation = sheet.getCellByPosition(col, row).getAnnotation()
            via = f"XSheetAnnotations.insertNew (dispatch did nothing; protected={protected})"
            if annotation.getString() != text:
                raise ActionError(
                    f"{self.a1(sheet, col, row)}: Calc refused the note"
                    + (
                        " (a locked cell of a protected sheet: Insert Comment is disabled)"
                        if protected
                        else ""
                    )
                )
        return {
            "cell": self.a1(sheet, col, row),
            "text": annotation.getString(),
            "author": annotation.getAuthor(),
            "via": via,
        }

    def do_protect(self, action: dict[str, Any]) -> dict[str, Any]:
        sheet = self.sheet(action["sheet"])
        sheet.protect(str(action.get("password", "")))
        return {"sheet": sheet.getName(), "protected": self.protected(sheet)}

    def do_unprotect(self, action: dict[str, Any]) -> dict[str, Any]:
        sheet = self.sheet(action["sheet"])
        sheet.unprotect(str(action.get("password", "")))
        return {"sheet": sheet.getName(), "protected": self.protected(sheet)}

    def do_read(self, action: dict[str, Any]) -> dict[str, Any]:
        sheet, col, row = self.cell(action["cell"])
        state = self.state(sheet, col, row)
        annotation = sheet.getCellByPosition(col, row).getAnnotation()
        if annotation.getString():
            state["note"] = {"text": annotation.getString(), "author": annotation.getAuthor()}
        return state

    def do_dump(self, action: dict[str, Any]) -> dict[str, Any]:
        sheet = self.sheet(action["sheet"])
        first, last = action.get("rows", [1, self.used_rows(sheet)])
        columns = action.get("columns")
        cols = [self.column(sheet, c) for c in columns] if columns else range(len(self.headers(sheet)))
        data = sheet.getCellRangeByPosition(0, first - 1, max(cols), last - 1).getDataArray()
        return {"sheet": sheet.getName(), "rows": [[line[c] for c in cols] for line in data]}

    def do_page_setup(self, action: dict[str, Any]) -> dict[str, Any]:
        sheet = self.sheet(action["sheet"])
        style_name = sheet.getPropertyValue("PageStyle")
        style = self.doc.getStyleFamilies().getByName("PageStyles").getByName(style_name)
        get = style.getPropertyValue
        titles = sheet.getTitleRows() if sheet.getPrintTitleRows() else None
        rows = sheet.getRows()
        sample = [int(r) for r in action.get("rows", [1, 2, 3])]
        return {
            "sheet": sheet.getName(),
            "page_style": style_name,
            "landscape": bool(get("IsLandscape")),
            "paper_mm": [get("Width") / 100, get("Height") / 100],
            "scale_percent": get("PageScale"),
            "scale_to_pages_x": get("ScaleToPagesX"),
            "scale_to_pages_y": get("ScaleToPagesY"),
            "scale_to_pages": get("ScaleToPages"),
            "print_title_rows": (
                f"{titles.StartRow + 1}:{titles.EndRow + 1}" if titles is not None else None
            ),
            "print_title_columns": bool(sheet.getPrintTitleColumns()),
            "rows": {
                str(r): {
                    "height_mm": rows.getByIndex(r - 1).getPropertyValue("Height") / 100,
                    "optimal": bool(rows.getByIndex(r - 1).getPropertyValue("OptimalHeight")),
                }
                for r in sample
            },
        }

    def do_optimal_height(self, action: dict[str, Any]) -> dict[str, Any]:
        """Format > Rows > Optimal Height on ``rows`` (1-based): the height the texts need."""
        sheet = self.sheet(action["sheet"])
        rows = sheet.getRows()
        result = {}
        for r in action["rows"]:
            row = rows.getByIndex(int(r) - 1)
            before = row.getPropertyValue("Height") / 100
            row.setPropertyValue("OptimalHeight", True)
            result[str(r)] = {"before_mm": before, "after_mm": row.getPropertyValue("Height") / 100}
        return {"sheet": sheet.getName(), "rows": result}

    def do_set_format(self, action: dict[str, Any]) -> dict[str, Any]:
        """Format > Cells > Numbers: the cell's number format set to ``format`` (e.g. ``General``)."""
        sheet, col, row = self.cell(action["cell"])
        formats = self.doc.getNumberFormats()
        locale = uno.createUnoStruct("com.sun.star.lang.Locale")
        code = str(action.get("format", "General"))
        key = formats.queryKey(code, locale, False)
        if key == -1:
            key = formats.addNew(code, locale)
        sheet.getCellByPosition(col, row).setPropertyValue("NumberFormat", key)
        return self.state(sheet, col, row)

    def do_row_heights(self, action: dict[str, Any]) -> dict[str, Any]:
        """Each row's height as the file set it, and the height Calc finds it needs to show its
        cells whole (Format > Rows > Optimal Height, measured on a copy of the setting)."""
        sheet = self.sheet(action["sheet"])
        rows = sheet.getRows()
        found = {}
        for number in action["rows"]:
            row = rows.getByIndex(int(number) - 1)
            height = row.getPropertyValue("Height")
            optimal = bool(row.getPropertyValue("OptimalHeight"))
            row.setPropertyValue("OptimalHeight", True)
            needed = row.getPropertyValue("Height")
            row.setPropertyValue("Height", height)
            row.setPropertyValue("OptimalHeight", optimal)
            found[str(number)] = {"height_mm": height / 100, "needed_mm": needed / 100, "optimal": optimal}
        return {"sheet": sheet.getName(), "rows": found}

    def do_export_pdf(self, action: dict[str, Any]) -> dict[str, Any]:
        path = Path(action["path"])
        filter_data: list[Any] = []
        if "sheet" in action:
            sheet = self.sheet(action["sheet"])
            self.activate(sheet)
            # Only this sheet, as File > Print with "Selected sheets" prints it: its print ranges
            # when it has some (with the page style's repeated rows), else its used area.
            areas = sheet.getPrintAreas()
            if areas:
                first = areas[0]
                whole = sheet.getCellRangeByPosition(
                    first.StartColumn, first.StartRow, first.EndColumn, first.EndRow
                )
            else:
                cursor = sheet.createCursor()
                cursor.gotoEndOfUsedArea(False)
                end = cursor.getRangeAddress()
                whole = sheet.getCellRangeByPosition(0, 0, end.EndColumn, end.EndRow)
            filter_data.append(pv("Selection", whole))
        self.doc.storeToURL(
            file_url(path),
            props(
                FilterName="calc_pdf_Export",
                FilterData=uno.Any("[]com.sun.star.beans.PropertyValue", tuple(filter_data)),
            ),
        )
        data = path.read_bytes()
        pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
        result: dict[str, Any] = {"path": str(path), "bytes": len(data), "pages": pages}
        if "sheet" in action:
            result["print_areas"] = [
                f"{column_letter(a.StartColumn)}{a.StartRow + 1}:{column_letter(a.EndColumn)}{a.EndRow + 1}"
                for a in self.sheet(action["sheet"]).getPrintAreas()
            ]
        return result

    def do_save_as(self, action: dict[str, Any]) -> dict[str, Any]:
        path = Path(action["path"])
        fmt = action.get("format") or path.suffix.lstrip(".").lower()
        if fmt not in FILTERS:
            raise ActionError(f"save_as: unknown format {fmt!r} ({', '.join(FILTERS)})")
        if path.exists() and not action.get("overwrite", True):
            raise ActionError(f"{path} exists")
        path.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        # storeToURL: a copy, as "Save a copy"; the document keeps its name (several saves per job).
        self.doc.storeToURL(file_url(path), props(FilterName=FILTERS[fmt], Overwrite=True))
        return {
            "path": str(path),
            "format": fmt,
            "filter": FILTERS[fmt],
            "bytes": path.stat().st_size,
            "save_seconds": round(time.monotonic() - started, 3),
        }


def run(job: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    soffice = job.get("soffice") or shutil.which("soffice") or shutil.which("libreoffice")
    report: dict[str, Any] = {"ok": False, "timings": {}, "results": []}
    if uno is None:
        report["error"] = "this Python has no 'uno' module: run with /usr/bin/python3 (Debian python3-uno)"
        return 3, report
    if not soffice:
        report["error"] = "soffice not found (Debian: libreoffice-calc-nogui)"
        return 3, report
    office = Office(
        soffice,
        str(job.get("locale", "en-US")),
        str(job.get("author", "Camille Martin")),
        float(job.get("timeout", 180)),
    )
    code = 0
    try:
        report["timings"]["startup"] = round(office.start(), 3)
        session = Session(office, job)
        try:
            report["timings"]["load"] = round(
                session.load(job["input"], hidden=bool(job.get("hidden", False))), 3
            )
        except Exception as e:
            if office.process is None or office.process.poll() is None or job.get("hidden"):
                raise
            # soffice aborted showing the window (the -nogui build): start again, hidden
            report["warnings"] = [
                f"a visible document crashed soffice ({type(e).__name__}); hidden frame used, no key events"
            ]
            office.stop()
            office = Office(
                office.soffice, office.locale, office.author, max(office.deadline - time.monotonic(), 10)
            )
            report["timings"]["startup_again"] = round(office.start(), 3)
            session = Session(office, job)
            report["timings"]["load"] = round(session.load(job["input"], hidden=True), 3)
        for index, action in enumerate(job.get("actions", [])):
            started = time.monotonic()
            entry: dict[str, Any] = {"i": index, **action}
            handler = getattr(session, "do_" + str(action.get("do")), None)
            try:
                if handler is None:
                    raise ActionError(f"unknown action {action.get('do')!r}")
                entry["result"] = handler(action)
                entry["ok"] = True
            except ActionError as e:
                entry["ok"], entry["error"] = False, str(e)
                code = 1
            except Exception as e:  # a UNO error: the action failed; a dead bridge ends the job
                entry["ok"], entry["error"] = False, f"{type(e).__name__}: {e}"
                code = 1
                if office.process is None or office.process.poll() is not None:
                    report["results"].append(entry)
                    raise Fatal(f"soffice died during action {index}: {office.tail()}") from e
            entry["seconds"] = round(time.monotonic() - started, 3)
            report["results"].append(entry)
        session.close()
        report["ok"] = code == 0
    except Fatal as e:
        report["error"] = str(e)
        code = 3
    except Exception as e:
        report["error"] = f"{type(e).__name__}: {e}"
        report["traceback"] = traceback.format_exc()
        code = 3
    finally:
        if office.timed_out:
            report["error"] = f"timed out after {job.get('timeout', 180)} s; soffice killed"
            report["ok"] = False
            code = 3
        report["soffice"] = {"log": office.tail()}
        report["timings"]["shutdown"] = round(office.stop(), 3)
    return code, report


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
        print(f"lo_driver: {e}", file=sys.stderr)
        return 2
    code, report = run(job)
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1, default=str)
    sys.stdout.write("\n")
    return code


if __name__ == "__main__":
    # Ended by a signal (a CI timeout): the finally clauses still kill soffice.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main(sys.argv))
