"""Hot reload: the release being served, swapped only for one that verifies.

Every ``interval`` seconds (or at once on ``SIGHUP``), the source is looked at; what changed is
fetched and verified in a worker thread (signature when keys are configured, then format and
digest), built into a :class:`~support_scope.serve.loaded.Loaded`, and only then swapped in,
by one assignment: a request in flight keeps the release it started with. A release that is
refused or cannot be fetched never replaces the one being served; the failure is reported in
``/health`` and the metrics, and the next look tries again.

**No rollback.** A release older than the one served (a lower version of the same policy), or
another release under the version served (a version is released once), or a release of another
policy, is refused like a forged one, unless ``allow_rollback``: a signature says who made a
release, not that it is the latest, so whoever controls the store could otherwise put back an
older release its signer once signed. The floor is the release served, or at a start the one
the cache holds; without a cache, a restart serves what the source holds. To undo a release,
publish a new version (``support-scope release``) that reverts it.

The last good release is kept on disk (``cache_dir``) so that a restart while the source is down
or holds a bad release still serves it (verified again, signature included). The cache of a
source is a directory of its own: ``<digest>.json`` (and its ``.sig``) and a file
``current`` naming it (and the release it holds: policy id, version, digest), replaced
atomically last, so a crash mid-write leaves the previous one.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from support_scope.compile.signing import SIGNATURE_SUFFIX
from support_scope.consume.load import verify_release_bytes
from support_scope.errors import InputError
from support_scope.fileio.atomic import write_atomic
from support_scope.fileio.jsonfile import dump_json, parse_json, read_bytes
from support_scope.model.semver import Version
from support_scope.serve.loaded import Loaded, content_digest, timestamp
from support_scope.serve.source import FileSource, Unreachable, UrlSource

if TYPE_CHECKING:
    from support_scope.compile.signing import TrustedKeys
    from support_scope.serve.metrics import Metrics


@dataclass(frozen=True)
class Identity:
    """Which release: its policy id, version and digest (from its verified manifest)."""

    policy_id: str
    policy_version: str
    digest: str
    version: Version

    @classmethod
    def of(cls, manifest: Any) -> Identity:
        version = manifest["policy_version"]
        return cls(manifest["policy_id"], version, manifest["digest"], Version.parse(version))


@dataclass(frozen=True)
class Check:
    """What one look at the source found: ``loaded``, ``unchanged``, ``refused`` or ``unreachable``."""

    result: str
    detail: str
    loaded: Loaded | None = None
    consistent: bool = False  # the source holds the release being served (a standing failure is over)
    at: float = 0.0


class Reloader:
    """The release being served (:attr:`current`) and the looks at its source."""

    def __init__(
        self,
        source: FileSource | UrlSource,
        keys: TrustedKeys | None = None,
        *,
        interval: float = 5.0,
        cache_dir: Path | None = None,
        metrics: Metrics | None = None,
        allow_rollback: bool = False,
    ) -> None:
        self.source = source
        self.keys = keys
        self.interval = interval
        self.allow_rollback = allow_rollback
        self.cache = (
            cache_dir / hashlib.sha256(source.description.encode()).hexdigest()[:16] if cache_dir else None
        )
        self.metrics = metrics
        self.current: Loaded | None = None
        self.last: Check | None = None
        self.failure: Check | None = None  # the standing failure: the source holds what is not served
        self.loaded_count = 0
        self._attempted: str | None = None
        self._wake: asyncio.Event | None = None
        # The release no other may replace unless newer (policy id, version, digest): the one
        # served, or before the first, the one the cache holds.
        self.floor: Identity | None = self._cached_identity()

    # ---- one look (in a worker thread)

    def check(self) -> Check:
        """Look at the source: fetch what changed, verify and build it. Never raises."""
        now = time.time()
        try:
            fetched = self.source.fetch(self.keys is not None)
        except Unreachable as e:
            return Check("unreachable", str(e), at=now)
        except Exception as e:  # the loop must outlive any surprise
            return Check("unreachable", f"{type(e).__name__}: {e}", at=now)
        if fetched is None:
            return Check("unchanged", "not modified since the last look", at=now)
        digest = content_digest(fetched.raw, fetched.signature)
        current = self.current
        if current is not None and digest == current.content_digest:
            return Check("unchanged", "the source holds the release being served", consistent=True, at=now)
        if digest == self._attempted and self.failure is not None:
            return Check("unchanged", "the source still holds the release refused before", at=now)
        self._attempted = digest
        try:
            verified = verify_release_bytes(
                fetched.raw, fetched.display, keys=self.keys, signature=fetched.signature
            )
            rollback = self._rollback(Identity.of(verified.release.manifest), fetched.display)
            if rollback is not None:
                return Check("refused", rollback, at=now)
            loaded = Loaded.of(verified, digest, source=fetched.display)
        except InputError as e:
            return Check("refused", str(e), at=now)
        except Exception as e:  # a release that verifies but is not one this version can build from
            return Check("refused", f"{fetched.display}: cannot be served ({type(e).__name__}: {e})", at=now)
        self._keep(fetched.raw, fetched.signature, loaded)
        manifest = loaded.manifest
        return Check(
            "loaded",
            f"{manifest['policy_id']} {manifest['policy_version']} ({manifest['digest']})",
            loaded,
            True,
            now,
        )

    def _rollback(self, new: Identity, display: str) -> str | None:
        """Why ``new`` may not replace the release served (see the module's "No rollback"), or None."""
        floor = self.floor
        if floor is None or self.allow_rollback or new.digest == floor.digest:
            return None
        served = f"{floor.policy_id} {floor.policy_version}"
        remedy = "publish a newer version, or restart the service with --allow-rollback"
        if new.policy_id != floor.policy_id:
            return (
                f"{display}: a release of policy {new.policy_id}, not of {floor.policy_id} (served: {served}): "
                "refused; to serve another policy, restart the service"
            )
        if new.version < floor.version:
            return (
                f"{display}: {new.policy_id} {new.policy_version} is older than the release served ({served}): "
                f"refused, so that an older signed release cannot roll the service back; {remedy}"
            )
        if not new.version > floor.version:
            return (
                f"{display}: another {new.policy_id} {new.policy_version} ({new.digest}) than the one served "
                f"({floor.digest}): a version is released once, so one of them is not genuine: refused; {remedy}"
            )
        return None

    # ---- applying a look (on the event loop's thread)

    def apply(self, check: Check) -> None:
        """Swap in what ``check`` loaded, and record how the look went."""
        self.last = dataclasses.replace(check, loaded=None)  # the record must not keep a release alive
        if check.loaded is not None:
            self.current = check.loaded  # the swap: one assignment
            self.floor = Identity.of(check.loaded.manifest)
            self.loaded_count += 1
            # A release is millions of objects that live until the next swap: out of the cycle
            # collector's sight, so that no collection pauses requests to scan them again. (The
            # release swapped out is still freed, by reference counting, once no request holds it.)
            gc.freeze()
        if check.consistent:
            self.failure = None
        elif check.result in ("refused", "unreachable"):
            self.failure = check
        metrics = self.metrics
        if metrics is not None:
            metrics.checks.labels(check.result).inc()
            metrics.last_check.set(check.at)
            metrics.last_reload_success.set(0 if self.failure is not None else 1)
            current = self.current
            if check.loaded is not None and current is not None:
                metrics.last_reload.set(current.loaded_at)
                metrics.release.info({**current.info, "signed_by": current.signed_by or ""})
            metrics.release_loaded.set(1 if current is not None else 0)

    def start(self) -> Check:
        """The first look, before serving; when it loads nothing, the last good release kept on disk."""
        check = self.check()
        self.apply(check)
        if self.current is None:
            cached = self._cached()
            if cached is not None:
                self.current = cached
                self.floor = Identity.of(cached.manifest)
                gc.freeze()
                if self.metrics is not None:
                    self.metrics.release.info({**cached.info, "signed_by": cached.signed_by or ""})
                    self.metrics.release_loaded.set(1)
                    self.metrics.last_reload.set(cached.loaded_at)
        return check

    # ---- the polling loop

    async def run(self) -> None:
        """Look at the source every ``interval`` seconds, or when woken (``SIGHUP``), until cancelled."""
        self._wake = asyncio.Event()
        loop = asyncio.get_running_loop()
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            self._wake.clear()
            self.apply(await loop.run_in_executor(None, self.check))

    def wake(self) -> None:
        """Look at the source now (``SIGHUP``)."""
        if self._wake is not None:
            self._wake.set()

    # ---- what /health says

    def health(self) -> dict[str, Any]:
        last, failure = self.last, self.failure
        return {
            "source": self.source.description,
            "interval_seconds": self.interval,
            "signature_required": self.keys is not None,
            "rollback_allowed": self.allow_rollback,
            "trusted_keys": list(self.keys.keys) if self.keys is not None else [],
            "last_check": None
            if last is None
            else {"at": timestamp(last.at), "result": last.result, "detail": last.detail},
            "failure": None
            if failure is None
            else {"since": timestamp(failure.at), "result": failure.result, "detail": failure.detail},
            "releases_loaded": self.loaded_count,
        }

    # ---- the last good release on disk

    def _keep(self, raw: bytes, signature: bytes | None, loaded: Loaded) -> None:
        if self.cache is None:
            return
        name = loaded.ruleset.digest.removeprefix("sha256:") + ".json"
        try:
            self.cache.mkdir(parents=True, exist_ok=True)
            write_atomic(self.cache / name, raw)
            if signature is not None:
                write_atomic(self.cache / (name + SIGNATURE_SUFFIX), signature)
            identity = Identity.of(loaded.manifest)
            current = {
                "file": name,
                "policy_id": identity.policy_id,
                "policy_version": identity.policy_version,
                "digest": identity.digest,
            }
            write_atomic(self.cache / "current", dump_json(current).encode())
            for stale in self.cache.iterdir():
                if (
                    stale.name != "current"
                    and not stale.name.startswith(name)
                    and not stale.name.startswith(".")
                ):
                    stale.unlink(missing_ok=True)
        except (OSError, InputError):
            pass  # the cache is a convenience for restarts: serving goes on without it

    def _current(self) -> dict[str, Any] | None:
        """The cache's ``current`` file: the name of the last good release, and which release it is."""
        if self.cache is None:
            return None
        where = self.cache / "current"
        try:
            text = read_bytes(where, str(where), "cache file", limit=4096).decode("utf-8")
            data = parse_json(text, str(where))
        except (OSError, UnicodeDecodeError, InputError):
            return None
        if not isinstance(data, dict) or not all(
            isinstance(data.get(key), str) for key in ("file", "policy_id", "policy_version", "digest")
        ):
            return None
        name = data["file"]
        if not name or "/" in name or "\\" in name or name.startswith("."):
            return None
        return data

    def _cached_identity(self) -> Identity | None:
        current = self._current()
        if current is None:
            return None
        try:
            return Identity(
                current["policy_id"],
                current["policy_version"],
                current["digest"],
                Version.parse(current["policy_version"]),
            )
        except InputError:
            return None

    def _cached(self) -> Loaded | None:
        current = self._current()
        if current is None or self.cache is None:
            return None
        try:
            path = self.cache / current["file"]
            raw = read_bytes(path, str(path), "release file")
            signature_file = Path(str(path) + SIGNATURE_SUFFIX)
            signature = (
                read_bytes(signature_file, str(signature_file), "signature file")
                if signature_file.is_file()
                else None
            )
            verified = verify_release_bytes(raw, str(path), keys=self.keys, signature=signature)
            return Loaded.of(verified, content_digest(raw, signature), source=str(path), from_cache=True)
        except (OSError, UnicodeDecodeError, InputError):
            return None
