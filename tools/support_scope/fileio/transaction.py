"""Several files changed as one: staged, journaled, applied; completed after an interruption.

``release`` writes three files (the release, the policy, the CHANGELOG). No file system
replaces three files in one step, so a :class:`Transaction` does it in phases:

1. **check**: every file is still the one the command read (its SHA-256), a file to create
   does not exist yet, none is read-only; otherwise nothing is written;
2. **stage**: each new content goes to a temporary file beside its target, flushed to disk
   (an interruption here leaves only temporaries: the project is as it was);
3. **commit**: a journal, ``.support-scope-transaction.json`` at the project root, is written
   atomically; it names every file, its staged copy and its content before and after;
4. **apply**: the files are put in place one by one (a created file by a hard link, so it
   never replaces one), then the journal is removed.

An interruption after the commit (a kill, a full disk, a power cut) leaves the journal: the next
run of the same command completes the change (:func:`complete`), checking that each file still
holds its content before or after, and ``check`` reports it until then (:func:`pending`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support_scope.errors import InputError
from support_scope.fileio.atomic import (
    ChangedMeanwhile,
    cannot_write,
    create_exclusive,
    digest_bytes,
    file_digest,
    is_temporary,
    refuse_read_only,
    remove_stray_temporaries,
    stage,
    sync_directory,
    write_atomic,
    write_target,
)

JOURNAL_NAME = ".support-scope-transaction.json"


class TransactionConflict(InputError):
    """An interrupted change cannot be completed: a file it changes holds neither its old nor its new content."""


@dataclass
class _Change:
    shown: Path  # the file as the command names it
    target: Path  # the file written: ``shown``, or the file its symbolic link leads to
    data: bytes
    before: str | None  # SHA-256 of the content read; None: the file is created, never replaced


@dataclass(frozen=True)
class Journal:
    """A committed change not yet completed, as its journal records it."""

    path: Path
    what: str  # "the release of act-premium-support-scope 2.0.0"
    command: str  # the command that completes it: "support-scope release"
    changes: tuple[dict[str, Any], ...]

    @property
    def files(self) -> list[str]:
        return [str(change["file"]) for change in self.changes]


class Transaction:
    """Files to change together under ``root`` (the project directory, whose lock the caller holds)."""

    def __init__(self, root: Path, what: str, command: str) -> None:
        self.root = Path(root)
        self.what = what
        self.command = command
        self._changes: list[_Change] = []

    def replace(self, path: Path, data: bytes, before: str) -> None:
        """Replace ``path``, which held content of digest ``before`` when the command read it."""
        self._changes.append(_Change(Path(path), write_target(path), data, before))

    def create(self, path: Path, data: bytes) -> None:
        """Create ``path``, which must not exist (it is never replaced)."""
        self._changes.append(_Change(Path(path), Path(path), data, None))

    def commit(self) -> None:
        """Check, stage, commit and apply the changes (see the module's description)."""
        journal = self.root / JOURNAL_NAME
        if journal.exists():
            raise InputError(
                f"{journal}: an interrupted change is not complete: run `{self.command}` to complete it"
            )
        for change in self._changes:
            self._check(change)
        staged: list[tuple[_Change, Path]] = []
        try:
            for change in self._changes:
                directory = change.target.parent
                if change.before is None:
                    try:
                        directory.mkdir(parents=True, exist_ok=True)
                    except OSError as e:
                        raise cannot_write(change.shown, e) from e
                remove_stray_temporaries(change.target)
                staged.append((change, stage(change.target, change.data)))
            record = {
                "transaction": self.what,
                "command": self.command,
                "changes": [
                    {
                        "file": str(change.shown),
                        "target": self._relative(change.target),
                        "staged": self._relative(temporary),
                        "before": change.before,
                        "after": digest_bytes(change.data),
                    }
                    for change, temporary in staged
                ],
            }
            data = (json.dumps(record, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
            write_atomic(journal, data, clean=True)  # the commit point
        except BaseException:
            for _, temporary in staged:
                temporary.unlink(missing_ok=True)
            raise
        try:
            # Checked again now that staging (which takes time) is over: a file saved meanwhile
            # by someone else is not overwritten; nothing is applied, the journal is withdrawn.
            for change in self._changes:
                self._check(change)
        except InputError:
            journal.unlink(missing_ok=True)
            for _, temporary in staged:
                temporary.unlink(missing_ok=True)
            raise
        _apply(self.root, _read(journal), first_run=True)

    def _check(self, change: _Change) -> None:
        if change.before is None:
            if change.target.exists() or change.target.is_symlink():
                raise InputError(f"{change.shown}: already exists; it is not replaced")
            return
        refuse_read_only(change.target, change.shown)
        if file_digest(change.target) != change.before:
            raise ChangedMeanwhile(
                f"{change.shown}: the file changed while support-scope was working on it (saved by "
                f"someone else?); nothing written: run `{self.command}` again"
            )

    def _relative(self, path: Path) -> str:
        absolute = Path(path).absolute()
        try:
            return str(absolute.relative_to(self.root.absolute()))
        except ValueError:
            return str(absolute)


def pending(root: Path) -> Journal | None:
    """The change an interrupted run committed and did not complete, if any."""
    path = Path(root) / JOURNAL_NAME
    if not path.exists():
        return None
    return _read(path)


def complete(root: Path) -> Journal | None:
    """Complete the change an interrupted run committed (the caller holds the project's lock);
    the journal it completed, or None when there was none."""
    journal = pending(root)
    if journal is not None:
        _apply(Path(root), journal)
    return journal


def _read(path: Path) -> Journal:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        changes = tuple(record["changes"])
        for change in changes:
            for key in ("file", "target", "staged", "after"):
                if not isinstance(change[key], str):
                    raise TypeError(key)
            if change["before"] is not None and not isinstance(change["before"], str):
                raise TypeError("before")
        return Journal(path, str(record["transaction"]), str(record["command"]), changes)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise InputError(
            f"{path}: the journal of an interrupted change cannot be read ({e}); compare the files it "
            "names with version control, then delete it"
        ) from e


def _apply(root: Path, journal: Journal, first_run: bool = False) -> None:
    """Put every staged file in place (what is already in place is left), then drop the journal.

    ``first_run``: the run that committed the journal applies it; should the first file fail
    to be put in place, nothing is applied and the journal is withdrawn (the project stays as
    it was). A later failure leaves the journal, for the next run to complete the change.
    """
    for position, change in enumerate(journal.changes):
        shown = change["file"]
        target = root / change["target"]
        staged = root / change["staged"]
        current = file_digest(target)
        if current == change["after"]:
            if is_temporary(staged):
                staged.unlink(missing_ok=True)
            continue
        expected = "absent" if change["before"] is None else "as it was before"
        if current != change["before"] or not is_temporary(staged) or not staged.is_file():
            what = (
                "its staged copy is gone"
                if current == change["before"]
                else f"it is neither {expected} nor as {journal.what} leaves it"
            )
            raise TransactionConflict(
                f"{shown}: {journal.what} was interrupted and cannot be completed: {what}; restore the "
                f"files it changes ({', '.join(journal.files)}) from version control, then delete {journal.path}"
            )
        try:
            if change["before"] is None:
                target.parent.mkdir(parents=True, exist_ok=True)
                create_exclusive(target, staged)
            else:
                staged.replace(target)
                sync_directory(target.parent)
        except OSError as e:
            error = cannot_write(Path(shown), e)
            if first_run and position == 0:
                journal.path.unlink(missing_ok=True)
                for other in journal.changes:
                    if is_temporary(root / other["staged"]):
                        (root / other["staged"]).unlink(missing_ok=True)
                raise InputError(f"{error}; nothing written") from e
            raise InputError(
                f"{error}; {journal.what} is half written: run `{journal.command}` again to complete it"
            ) from e
    try:
        journal.path.unlink()
    except FileNotFoundError:
        pass
    except OSError as e:
        raise InputError(f"{journal.path}: cannot remove the completed journal: {e.strerror or e}") from e
    sync_directory(journal.path.parent)
