"""The project lock: one command at a time changes a project.

``import-xlsx`` and ``release`` read files, work, then replace them. Two at once would each
replace what the other wrote (two reviewers importing at once lost one review). So each takes
the project's lock first, for the whole read-work-write, and a second run is refused at once,
with a message saying who holds it, instead of waiting behind it or overwriting its work.

The lock is an operating-system lock on the file ``.support-scope.lock`` at the project root
(``flock`` on POSIX, ``msvcrt.locking`` on Windows): the system releases it when its process
ends, however it ends (a kill, a crash, a power cut), so there is never a stale lock to
remove by hand. The file itself stays, empty but for who held it last; it is never replaced
(a lock on a file that was replaced would protect nothing).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from support_scope.errors import InputError

LOCK_NAME = ".support-scope.lock"


class ProjectBusy(InputError):
    """Another run holds the project's lock."""


def _try_lock(descriptor: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            os.lseek(descriptor, 0, os.SEEK_SET)
            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(descriptor: int) -> None:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        os.lseek(descriptor, 0, os.SEEK_SET)
        msvcrt.locking(descriptor, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(descriptor, fcntl.LOCK_UN)


def _holder(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""
    return text[:200]


@contextmanager
def project_lock(directory: Path, command: str) -> Iterator[None]:
    """Hold the lock of the project in ``directory`` while the block runs; refuse when taken.

    ``command`` says what this run does (``release``, ``import-xlsx``), for the message another
    run would show.
    """
    path = Path(directory) / LOCK_NAME
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
    except OSError as e:
        raise InputError(f"{path}: cannot create the project's lock file: {e.strerror or e}") from e
    try:
        if not _try_lock(descriptor):
            holder = _holder(path)
            who = f" ({holder})" if holder else ""
            raise ProjectBusy(
                f"{directory}: another support-scope run{who} is changing this project; nothing done: "
                f"run `{command}` again once it has finished"
            )
        try:
            note = f"{command}, process {os.getpid()}\n".encode()
            if (
                sys.platform != "win32"
            ):  # on Windows the locked byte cannot be rewritten through another handle
                os.ftruncate(descriptor, 0)
                os.pwrite(descriptor, note, 0)
            yield
        finally:
            _unlock(descriptor)
    finally:
        os.close(descriptor)


def lock_directory(policy: Path) -> Path:
    """The project directory whose lock guards ``policy``: the directory above ``policies/``
    for a project's policy, else the policy's own directory."""
    parent = Path(policy).absolute().parent
    return parent.parent if parent.name == "policies" else parent
