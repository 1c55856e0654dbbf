"""Real spreadsheet applications for the tests: LibreOffice Calc and Gnumeric, as reviewers use them.

LibreOffice is driven through UNO by ``lo_driver.py`` (it types into cells with real key
events, picks from dropdowns, inserts and deletes rows, sorts, filters, adds notes, prints and
saves); Gnumeric re-saves with ``ssconvert`` and types through its own engine with
``gnm_driver.py``. Both drivers run as subprocesses of the Python that has the applications'
bindings (Debian: ``/usr/bin/python3`` with ``python3-uno``, ``python3-gi`` and
``gir1.2-gnumeric``), never inside the test's virtual environment.

``.ci/run`` installs the Debian packages (``libreoffice-calc python3-uno gnumeric
gir1.2-gnumeric python3-gi``); where one is missing, :func:`libreoffice_missing` and
:func:`gnumeric_missing` say why and the tests skip with that reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LO_DRIVER = HERE / "lo_driver.py"
GNM_DRIVER = HERE / "gnm_driver.py"


def _candidates() -> list[str]:
    found = [os.environ.get("LO_PYTHON", ""), "/usr/bin/python3", "/usr/local/bin/python3"]
    for name in ("python3",):
        path = shutil.which(name, path=os.defpath)
        if path:
            found.append(path)
    return [candidate for candidate in found if candidate and Path(candidate).is_file()]


@cache
def system_python(module: str) -> str | None:
    """A Python outside the virtual environment that can import ``module``."""
    for candidate in _candidates():
        probe = subprocess.run(
            [candidate, "-c", f"import {module}"], capture_output=True, timeout=60, check=False
        )
        if probe.returncode == 0:
            return candidate
    return None


@cache
def libreoffice_missing() -> str | None:
    """Why LibreOffice cannot be driven here (None when it can)."""
    if not (shutil.which("soffice") or shutil.which("libreoffice")):
        return "LibreOffice is not installed (Debian: apt-get install libreoffice-calc python3-uno)"
    if system_python("uno") is None:
        return "no Python with LibreOffice's UNO bindings (Debian: apt-get install python3-uno)"
    return None


@cache
def gnumeric_missing() -> str | None:
    """Why Gnumeric's ssconvert cannot be run here (None when it can)."""
    if not shutil.which("ssconvert"):
        return "Gnumeric is not installed (Debian: apt-get install gnumeric)"
    return None


@cache
def gnumeric_engine_missing() -> str | None:
    """Why Gnumeric's engine cannot be driven (typing into cells) here (None when it can)."""
    missing = gnumeric_missing()
    if missing:
        return missing
    python = system_python("gi")
    if python is None:
        return "no Python with GObject introspection (Debian: apt-get install python3-gi)"
    probe = subprocess.run(
        [python, "-c", "import gi; gi.require_version('Gnm', '1.12')"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    if probe.returncode != 0:
        return "Gnumeric's introspection data is missing (Debian: apt-get install gir1.2-gnumeric)"
    return None


class ActionFailed(AssertionError):
    """An application could not do what the test asked of it."""


def libreoffice(
    source: Path,
    actions: list[dict[str, Any]],
    *,
    locale: str = "fr-FR",
    author: str = "Camille Martin",
    timeout: float = 240,
    allow_failures: bool = False,
) -> list[dict[str, Any]]:
    """Open ``source`` in LibreOffice Calc, do ``actions`` as a reviewer, return each action's result."""
    job = {"input": str(source), "locale": locale, "author": author, "timeout": timeout, "actions": actions}
    return _run([str(system_python("uno")), str(LO_DRIVER), "-"], job, timeout, allow_failures)


def gnumeric(
    source: Path, actions: list[dict[str, Any]], *, timeout: float = 180, allow_failures: bool = False
) -> list[dict[str, Any]]:
    """Open ``source`` with Gnumeric's engine and do ``actions`` (``type``, ``read``, ``save_as``)."""
    job = {"input": str(source), "timeout": timeout, "actions": actions}
    return _run([str(system_python("gi")), str(GNM_DRIVER), "-"], job, timeout, allow_failures)


def ssconvert(source: Path, target: Path, exporter: str | None = None) -> None:
    """Re-save ``source`` as ``target`` with Gnumeric's ``ssconvert`` (as File > Save As does)."""
    command = ["ssconvert", *(["-T", exporter] if exporter else []), str(source), str(target)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0 or not target.is_file():
        raise ActionFailed(f"ssconvert failed ({done.returncode}): {done.stderr[-2000:]}")


def _run(
    command: list[str], job: dict[str, Any], timeout: float, allow_failures: bool
) -> list[dict[str, Any]]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "VIRTUAL_ENV"))}
    done = subprocess.run(
        command,
        input=json.dumps(job, ensure_ascii=False),
        capture_output=True,
        text=True,
        timeout=timeout + 60,
        env=env,
        check=False,
    )
    try:
        report = json.loads(done.stdout)
    except ValueError as e:
        raise ActionFailed(
            f"the driver said nothing readable (exit {done.returncode}): {done.stderr[-2000:]}"
        ) from e
    if done.returncode == 3 or report.get("error"):
        raise ActionFailed(f"the application failed: {report.get('error')} {report.get('soffice', '')}")
    results: list[dict[str, Any]] = report["results"]
    failed = [entry for entry in results if not entry.get("ok")]
    if failed and not allow_failures:
        raise ActionFailed("; ".join(f"action {e['i']} ({e['do']}): {e.get('error')}" for e in failed))
    return results
