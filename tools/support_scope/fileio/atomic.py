"""Replacing files atomically: readers see the old file or the new one, never half of it.

Every file this package writes goes through here, so that the same rules hold everywhere:

- the new content is written to a temporary file beside the target (same directory, same file
  system), flushed to disk, then renamed over the target in one step;
- temporary files are named ``.<name>.<random>.support-scope.tmp``: a run that is killed
  leaves one behind, which the next run that writes that file removes and which
  ``support-scope check`` reports (:func:`stray_temporaries`);
- a symbolic link is written *through*: its target is replaced, in the target's own directory,
  and the link stays a link;
- a read-only file (no owner write bit, whoever runs the command, root included) is refused,
  never replaced;
- ``expected`` (the digest of the content the caller read) makes the write refuse when the
  file changed meanwhile: someone saved it while the command worked;
- an error names the file that could not be written.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
from pathlib import Path

from support_scope.errors import InputError

TEMP_SUFFIX = ".support-scope.tmp"


class ChangedMeanwhile(InputError):
    """A file changed between the moment a command read it and the moment it would replace it."""


def digest_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str | None:
    """The SHA-256 of a file's content; None when there is no such file."""
    digest = hashlib.sha256()
    try:
        with Path(path).open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
        return digest.hexdigest()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from e


def write_target(path: Path) -> Path:
    """The file a write of ``path`` replaces: ``path``, or the file a symbolic link leads to."""
    path = Path(path)
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def refuse_read_only(path: Path, shown: Path | None = None) -> None:
    """An :class:`InputError` when ``path`` exists and its owner may not write it.

    Decided from the mode bits, not by trying (root may write anything): a file someone made
    read-only is not to be replaced by a command that happens to run as root.
    """
    try:
        mode = Path(path).stat().st_mode
    except FileNotFoundError:
        return
    except OSError as e:
        raise InputError(f"{shown or path}: cannot read: {e.strerror or e}") from e
    if stat.S_ISREG(mode) and not mode & stat.S_IWUSR:
        raise InputError(
            f"{shown or path}: the file is read-only (mode {stat.S_IMODE(mode):04o}); nothing written "
            "(make it writable, e.g. `chmod u+w`, to let support-scope update it)"
        )


def cannot_write(path: Path, error: OSError) -> InputError:
    """The error for a file that could not be written, naming it and the reason."""
    reason = error.strerror or str(error)
    if error.errno == errno.ENAMETOOLONG:
        reason = "the file name is too long"
    return InputError(f"{path}: cannot write: {reason}")


def stage(path: Path, data: bytes, *, directory: Path | None = None, mode: int | None = None) -> Path:
    """``data`` written to a new temporary file beside ``path`` (or in ``directory``), on disk; its path.

    The caller renames it into place (or removes it). Its mode is ``path``'s when ``path``
    exists, else ``mode`` (default: 0644 less the umask's bits).
    """
    import tempfile  # here, not at the top: the consumer API imports this package and never writes

    path = Path(path)
    where = directory if directory is not None else (path.parent if str(path.parent) else Path())
    try:
        descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=where)
    except OSError as e:
        raise cannot_write(path, e) from e
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            existing = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            existing = mode if mode is not None else 0o666 & ~_umask()
        temporary.chmod(existing)
    except OSError as e:
        temporary.unlink(missing_ok=True)
        raise cannot_write(path, e) from e
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def sync_directory(directory: Path) -> None:
    """Flush a directory's entries to disk (where the system allows it), after a rename in it."""
    if os.name != "posix":
        return
    try:
        descriptor = os.open(directory if str(directory) else ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def unwritable(path: Path) -> str | None:
    """Why ``path`` cannot be written, known before any work is done (no directory is created),
    or None."""
    if path.is_dir():
        return f"{path}: is a directory; name a file to write"
    directory = write_target(path).parent
    if not directory.is_dir():
        return f"{path}: directory {directory} does not exist"
    return None


def write_atomic(
    path: Path,
    data: bytes,
    *,
    make_parents: bool = False,
    expected: str | None = None,
    clean: bool = False,
) -> None:
    """Replace ``path`` with ``data`` in one step: readers see the old file or the new one, never half.

    A missing directory is an :class:`InputError` (a mistyped ``-o`` should not quietly create
    a tree) unless ``make_parents`` says the layout calls for it. A symbolic link is written
    through; a read-only file is refused. With ``expected`` (the SHA-256 of the content the
    caller read, or ``""`` for "there was no file"), a file changed meanwhile is refused with
    :class:`ChangedMeanwhile`, nothing written. ``clean`` removes the temporaries interrupted
    runs left for this file first (only under the project lock: another run may be writing it).
    """
    path = Path(path)
    target = write_target(path)
    if make_parents and not path.is_dir():
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise cannot_write(path, e) from e
    reason = unwritable(path)
    if reason is not None:
        raise InputError(reason)
    refuse_read_only(target, path)
    if clean:
        remove_stray_temporaries(target)
    temporary = stage(target, data)
    try:
        if expected is not None and (file_digest(target) or "") != expected:
            raise ChangedMeanwhile(
                f"{path}: the file changed while support-scope was working on it (saved by someone "
                "else?); nothing written: run the command again"
            )
        try:
            temporary.replace(target)
        except OSError as e:
            raise cannot_write(path, e) from e
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    sync_directory(target.parent)


def create_exclusive(path: Path, temporary: Path) -> None:
    """Give the staged ``temporary`` the name ``path`` only if no file has it: never replace one.

    A hard link is made, then the temporary removed: the file appears whole or not at all, and
    :class:`FileExistsError` says ``path`` was there first. Where hard links are not supported,
    the content is copied into a file created exclusively.
    """
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        data = Path(temporary).read_bytes()
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            Path(path).unlink(missing_ok=True)
            raise
    Path(temporary).unlink(missing_ok=True)
    sync_directory(Path(path).parent)


def is_temporary(path: Path) -> bool:
    """True for a temporary file this package writes (``.<name>.<random>.support-scope.tmp``)."""
    return path.name.startswith(".") and path.name.endswith(TEMP_SUFFIX)


def stray_temporaries(*directories: Path) -> list[Path]:
    """The temporary files left in ``directories`` by interrupted runs (none while no run is active)."""
    found: list[Path] = []
    for directory in directories:
        if directory.is_dir():
            found.extend(path for path in directory.glob(f".*{TEMP_SUFFIX}") if path.is_file())
    return sorted(found)


def remove_stray_temporaries(target: Path) -> None:
    """Remove what interrupted runs left while writing ``target`` (its own temporaries only)."""
    directory = target.parent if str(target.parent) else Path()
    for path in directory.glob(f".{_glob_escape(target.name)}.*{TEMP_SUFFIX}"):
        with contextlib.suppress(OSError):  # not ours to remove: `check` reports what stays
            path.unlink()


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)
