"""Where the served release comes from, and whether it changed since the last look.

- :class:`FileSource`: a release file (its signature file beside it); changed when either
  file's size, modification time or inode changed. Publish a release by writing it to a temporary
  name and renaming it over the old one (``support-scope compile -o`` does): a reader never
  sees half a file. A half-written file would fail its digest and be retried at the next look.
- :class:`FileSource` over :meth:`Project.latest_release`: the project's latest release, found
  again at every look, so a release cut by ``support-scope release`` is served without a restart.
- :class:`UrlSource`: a release on any static HTTP store (a web server, object storage), polled
  with ``If-None-Match`` when the store gives an ``ETag``; without one, the release is downloaded
  at every look and compared by content. The signature is at the same URL plus
  ``.sig`` (on the path, before any query).

A source only fetches bytes; :mod:`support_scope.serve.reload` verifies them. ``fetch`` returns
None when nothing changed since the last fetch, and raises :class:`Unreachable` when the
release cannot be had (a missing file, a refused connection, an HTTP error, a time-out).
"""

from __future__ import annotations

import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from support_scope import __version__
from support_scope.compile.signing import MAX_SIGNATURE_FILE_BYTES, SIGNATURE_SUFFIX, signature_path
from support_scope.errors import InputError, ReleaseError
from support_scope.fileio.jsonfile import MAX_FILE_BYTES, read_bytes

FETCH_TIMEOUT = 30.0  # seconds, for connecting and for each read


class Unreachable(ReleaseError):
    """The release could not be fetched at all (as opposed to fetched and refused)."""


@dataclass(frozen=True)
class Fetched:
    """A release's bytes and its signature file's (None: there is none), as fetched from ``display``."""

    raw: bytes
    signature: bytes | None
    display: str


class FileSource:
    """A release file on this machine; ``path`` is a path or a function giving it at each look."""

    def __init__(self, path: Path | Callable[[], Path], description: str | None = None) -> None:
        self._path = path if callable(path) else (lambda: path)
        self.description = description or str(path)
        self._seen: tuple[object, ...] | None = None

    def fetch(self, with_signature: bool) -> Fetched | None:
        try:
            path = self._path()
        except InputError as e:
            raise Unreachable(str(e)) from e
        signature_file = signature_path(path)
        seen = (str(path), _stat(path), _stat(signature_file) if with_signature else None)
        if seen == self._seen:
            return None
        try:
            raw = read_bytes(path, str(path), "release file")
            signature = None
            if with_signature and seen[2] is not None:
                signature = read_bytes(
                    signature_file, str(signature_file), "signature file", limit=MAX_SIGNATURE_FILE_BYTES
                )
        except InputError as e:
            raise Unreachable(str(e)) from e
        self._seen = seen
        return Fetched(raw, signature, str(path))


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise Unreachable(f"{path}: cannot read: {e.strerror or e}") from e
    return (info.st_mtime_ns, info.st_size, info.st_ino)


_NOT_MODIFIED = object()


@dataclass(frozen=True)
class _Response:
    body: bytes
    etag: str | None


class UrlSource:
    """A release at an ``http://`` or ``https://`` URL, fetched with ``If-None-Match``."""

    def __init__(self, url: str, *, timeout: float = FETCH_TIMEOUT, limit: int = MAX_FILE_BYTES) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InputError(f"{url}: not an http:// or https:// URL")
        self.url = url
        self.signature_url = urllib.parse.urlunsplit(parts._replace(path=parts.path + SIGNATURE_SUFFIX))
        self.description = url
        self.timeout = timeout
        self.limit = limit
        self._etags: dict[str, str | None] = {}

    def fetch(self, with_signature: bool) -> Fetched | None:
        release = self._get(self.url, self.limit, conditional=True)
        signature = (
            self._get(self.signature_url, MAX_SIGNATURE_FILE_BYTES, conditional=True, optional=True)
            if with_signature
            else None
        )
        if release is _NOT_MODIFIED and signature in (None, _NOT_MODIFIED):
            return None
        # One changed: the pair is fetched whole, so that a release is checked with its own signature.
        if release is _NOT_MODIFIED:
            release = self._get(self.url, self.limit, conditional=False)
        if signature is _NOT_MODIFIED:
            signature = self._get(
                self.signature_url, MAX_SIGNATURE_FILE_BYTES, conditional=False, optional=True
            )
        assert isinstance(release, _Response)
        return Fetched(release.body, signature.body if isinstance(signature, _Response) else None, self.url)

    def _get(self, url: str, limit: int, *, conditional: bool, optional: bool = False) -> object:
        """The response, ``_NOT_MODIFIED`` (304), or None for a missing optional file (404)."""
        headers = {"User-Agent": f"support-scope/{__version__}", "Accept-Encoding": "identity"}
        etag = self._etags.get(url)
        if conditional and etag:
            headers["If-None-Match"] = etag
        request = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                length = response.headers.get("Content-Length")
                if length is not None and length.isdigit() and int(length) > limit:
                    raise Unreachable(
                        f"{url}: {int(length):,} bytes, more than the {limit:,} a release may hold"
                    )
                body = response.read(limit + 1)
                if len(body) > limit:
                    raise Unreachable(f"{url}: more than the {limit:,} bytes a release may hold")
                self._etags[url] = response.headers.get("ETag")
                return _Response(body, self._etags[url])
        except urllib.error.HTTPError as e:
            e.close()
            if e.code == 304:
                return _NOT_MODIFIED
            if e.code == 404 and optional:
                self._etags.pop(url, None)
                return None
            raise Unreachable(f"{url}: HTTP {e.code} {e.reason}") from e
        except urllib.error.URLError as e:
            raise Unreachable(f"{url}: unreachable ({e.reason})") from e
        except (OSError, ValueError) as e:  # a time-out, a connection reset, a malformed response
            raise Unreachable(f"{url}: unreachable ({type(e).__name__}: {e})") from e


def source_for(release: str | Path) -> FileSource | UrlSource:
    """The source ``--release`` names: a URL, or a file path."""
    text = os.fspath(release)
    if "://" in text:
        return UrlSource(text)
    return FileSource(Path(text))
