"""Loading a release for deciding: the file read, verified, and turned into a :class:`Ruleset`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from support_scope.compile.verify import VerifiedRelease, load_release_bytes
from support_scope.consume.ruleset import Ruleset
from support_scope.errors import InputError, ReleaseError
from support_scope.fileio.jsonfile import read_bytes

if TYPE_CHECKING:
    from support_scope.compile.signing import TrustedKeys


def load_release(
    path: str | Path | None = None, *, keys: TrustedKeys | Iterable[str | Path] | None = None
) -> Ruleset:
    """Load and verify a compiled release; without ``path``, the shipped policy's latest release.

    A file whose digest does not match its content (tampered, truncated, hand-edited), of a
    format this version does not read, or not a release at all is refused with a
    :class:`ReleaseError` saying why.

    ``keys`` (public key files, PEM Ed25519, or :class:`~support_scope.compile.signing.TrustedKeys`):
    the release must also carry a valid signature by one of them in ``RELEASE.sig``
    beside it (:mod:`support_scope.compile.signing`); an unsigned or wrongly signed release is
    refused. Any one of several keys will do (keys rotate).
    """
    if path is None:
        from support_scope.resources import shipped_release

        path = shipped_release()
    path = Path(path)
    display = str(path)
    raw = _read(path, display, "release file")
    signature = None
    if keys is not None:
        from support_scope.compile.signing import signature_path

        where = signature_path(path)
        signature = _read(where, str(where), "signature file") if where.exists() else None
    return verified_ruleset(verify_release_bytes(raw, display, keys=keys, signature=signature))


@dataclass(frozen=True)
class Verified:
    """A release's bytes that passed every check asked for: what they hold, and who signed them."""

    release: VerifiedRelease
    display: str
    signed_by: str | None  # the trusted key's id; None when no key was asked for


def verify_release_bytes(
    raw: bytes,
    display: str,
    *,
    keys: TrustedKeys | Iterable[str | Path] | None = None,
    signature: bytes | None = None,
) -> Verified:
    """Verify a release's bytes: its signature first when ``keys`` are given (``signature`` is
    the signature file's content, None when there is none), then its format and digest."""
    signed_by = None
    if keys is not None:
        from support_scope.compile.signing import TrustedKeys, verify_signature

        if isinstance(keys, TrustedKeys):
            trusted = keys
        else:
            trusted = TrustedKeys.load([keys] if isinstance(keys, (str, Path)) else keys)
        signed_by = verify_signature(raw, signature, trusted, display)
    return Verified(load_release_bytes(raw, display), display, signed_by)


def verified_ruleset(verified: Verified) -> Ruleset:
    """The :class:`Ruleset` of a verified release."""
    release = verified.release
    return Ruleset(
        release.compiled,
        release.manifest,
        release.load_policy,
        source=verified.display,
        search_loader=release.load_search,
    )


def _read(path: Path, display: str, what: str) -> bytes:
    try:
        return read_bytes(path, display, what)
    except InputError as e:
        raise ReleaseError(str(e)) from e
