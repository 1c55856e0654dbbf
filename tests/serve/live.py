"""Fixtures of the service's tests (a plugin of tests/conftest.py): loopback only, real servers,
real keys, two releases.

Every test here talks HTTP to a real ``support-scope serve`` (uvicorn) started in a child
process on 127.0.0.1 at a free port, and stopped when the test ends. The tests' own sockets
may connect to loopback addresses only (``loopback``): the rest of the suite's no-network rule
stands. Keys are made by the ``openssl`` command where it is installed, else by ``cryptography``.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from builders import SHIPPED_POLICY, compiled
from support_scope.compile.compiler import release_bytes
from support_scope.fileio.jsonfile import read_json

_CONNECT = socket.socket.connect
_CREATE_CONNECTION = socket.create_connection
START_TIMEOUT = 30.0


def _is_loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture
def loopback(_no_network: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sockets may connect to 127.0.0.0/8 and ::1, nothing else (the suite blocks the network)."""

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise RuntimeError(f"tests may only connect to loopback addresses, not {address!r}")
        _CONNECT(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "create_connection", _CREATE_CONNECTION)


# --------------------------------------------------------------------------- HTTP


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def call(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    *,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
    connection: http.client.HTTPConnection | None = None,
) -> Reply:
    """One HTTP request to 127.0.0.1:``port``; ``body`` is sent as JSON, ``raw`` as it is."""
    own = connection is None
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    try:
        conn.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        if own:
            conn.close()


# --------------------------------------------------------------------------- servers


def support_scope_command() -> list[str]:
    return [sys.executable, "-c", "from support_scope.cli.main import main; main()"]


class Server:
    """A ``support-scope serve`` child process on 127.0.0.1 at a free port."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.args = args
        self.process = subprocess.Popen(
            [*support_scope_command(), "serve", "--host", "127.0.0.1", "--port", "0", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.stderr: list[str] = []
        self.stdout: list[bytes] = []
        self._port: int | None = None
        self._ready = threading.Event()
        self._readers = [
            threading.Thread(target=self._read_stderr, daemon=True),
            threading.Thread(target=self._read_stdout, daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        if not self._ready.wait(START_TIMEOUT) or self._port is None:
            self.stop()
            raise AssertionError("the server did not start:\n" + "".join(self.stderr))

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            line = raw.decode("utf-8", "replace")
            self.stderr.append(line)
            if " on http://127.0.0.1:" in line and self._port is None:
                self._port = int(line.rsplit(":", 1)[1])
                self._ready.set()
        self._ready.set()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self.stdout.append(raw)

    @property
    def port(self) -> int:
        assert self._port is not None
        return self._port

    def call(self, method: str, path: str, body: Any = None, **options: Any) -> Reply:
        return call(self.port, method, path, body, **options)

    def decide(self, **question: Any) -> Reply:
        return self.call("POST", "/v1/decide", question)

    def health(self) -> dict[str, Any]:
        data: dict[str, Any] = self.call("GET", "/health").json
        return data

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 20.0) -> dict[str, Any]:
        """Poll ``/health`` until ``predicate`` holds on it; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        health = self.health()
        while not predicate(health):
            if time.monotonic() > deadline:
                raise AssertionError(f"/health never got there: {json.dumps(health, indent=1)}")
            time.sleep(0.05)
            health = self.health()
        return health

    def hangup(self) -> None:
        """Ask the server to look at its release source now."""
        self.process.send_signal(signal.SIGHUP)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        for reader in self._readers:
            reader.join(10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        return self.process.returncode


@pytest.fixture
def serve_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a server: the cache under the test's directory, never the user's."""
    env = dict(os.environ)
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg-cache")
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


@pytest.fixture
def start_server(
    loopback: None, tmp_path: Path, serve_env: dict[str, str]
) -> Iterator[Callable[..., Server]]:
    """``start_server(*args, cwd=...)``: a running server; every one is stopped after the test."""
    require_serve_extra()
    servers: list[Server] = []

    def start(*args: str, cwd: Path | None = None) -> Server:
        server = Server(list(args), cwd or tmp_path, serve_env)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def require_serve_extra() -> None:
    """Skip, saying why, where the serve extra is not installed."""
    pytest.importorskip("uvicorn", reason="the serve extra is not installed: pip install '.[serve]'")
    pytest.importorskip("starlette", reason="the serve extra is not installed: pip install '.[serve]'")


def run_serve(
    *args: str, cwd: Path, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``support-scope serve ...`` expected to exit by itself (it refuses to start)."""
    return subprocess.run(
        [*support_scope_command(), "serve", "--host", "127.0.0.1", "--port", "0", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# --------------------------------------------------------------------------- releases


@dataclass(frozen=True)
class Releases:
    """Two releases of the shipped policy that answer one question differently.

    ``a`` is version 2.0.1 as shipped; ``b`` is 2.1.0 (newer: a service never goes back to an
    older version) with ``desktop-setup-dialog-errors`` raised to the extended tier: for plan
    ``standard`` that item is ``included`` by ``a`` and ``upgrade`` by ``b``.
    """

    a: bytes
    b: bytes
    digest_a: str
    digest_b: str


VERSION_A = "2.0.1"  # the shipped policy's
VERSION_B = "2.1.0"
QUESTION = {"plan": "standard", "category": "desktop-setup", "item": "desktop-setup-dialog-errors"}
OUTCOME = {"a": "included", "b": "upgrade"}


def _release_b() -> bytes:
    document = read_json(SHIPPED_POLICY)
    assert document["version"] == VERSION_A, "the shipped policy moved on: name its version in VERSION_A"
    document["version"] = VERSION_B
    for category in document["categories"]:
        for item in category["items"]:
            if item["id"] == "desktop-setup-dialog-errors":
                item["tier"] = "extended"
    return release_bytes(compiled(document))


@pytest.fixture(scope="session")
def releases() -> Releases:
    a = release_bytes(compiled(read_json(SHIPPED_POLICY)))
    b = _release_b()
    return Releases(a, b, json.loads(a)["manifest"]["digest"], json.loads(b)["manifest"]["digest"])


def tampered(raw: bytes) -> bytes:
    """The release with one byte changed: its digest no longer matches."""
    data = bytearray(raw)
    data[data.index(b"Assistance")] = ord("a")
    return bytes(data)


def forged(raw: bytes, version: str = "6.6.6") -> bytes:
    """The release as another version, its digest computed again: intact by its digest, but not
    what its signer signed."""
    from support_scope.compile.verify import release_digest

    document = json.loads(raw)
    document["manifest"]["policy_version"] = version
    document["policy"]["version"] = version
    document["manifest"]["digest"] = release_digest(document)
    return release_bytes(document)  # type: ignore[arg-type]


def publish(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` as a publisher should: a temporary file renamed over it."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


# --------------------------------------------------------------------------- keys


@dataclass(frozen=True)
class KeyPair:
    private: Path
    public: Path


def make_key(directory: Path, name: str) -> KeyPair:
    """An Ed25519 key pair in PEM files: by the openssl command where installed, else by cryptography."""
    private, public = directory / f"{name}.pem", directory / f"{name}.pub.pem"
    openssl = shutil.which("openssl")
    if openssl is not None:
        subprocess.run([openssl, "genpkey", "-algorithm", "ed25519", "-out", str(private)], check=True)
        subprocess.run([openssl, "pkey", "-in", str(private), "-pubout", "-out", str(public)], check=True)
    else:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        key = Ed25519PrivateKey.generate()
        private.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        public.write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    return KeyPair(private, public)


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, KeyPair]:
    pytest.importorskip("cryptography", reason="signing needs cryptography: pip install '.[serve]'")
    directory = tmp_path / "keys"
    directory.mkdir()
    return {name: make_key(directory, name) for name in ("old", "new", "stranger")}


# --------------------------------------------------------------------------- a static HTTP store


class Store:
    """A static HTTP store on 127.0.0.1 (the standard library's http.server) serving ``directory``,
    with an ``ETag`` per file (as object stores and web servers give) and ``If-None-Match``.
    ``requests`` records (path, If-None-Match sent, status) of each request."""

    def __init__(self, directory: Path, *, etags: bool = True) -> None:
        import http.server

        store = self
        self.directory = directory
        self.requests: list[tuple[str, str | None, int]] = []

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(directory), **kwargs)

            def send_head(self) -> Any:
                path = self.translate_path(self.path)
                sent = self.headers.get("If-None-Match")
                self._etag = None
                if etags and Path(path).is_file():
                    info = Path(path).stat()
                    self._etag = f'"{info.st_mtime_ns:x}-{info.st_size:x}-{info.st_ino:x}"'
                    if sent == self._etag:
                        self.send_response(304)
                        self.end_headers()
                        return None
                return super().send_head()

            def end_headers(self) -> None:
                if getattr(self, "_etag", None):
                    self.send_header("ETag", self._etag)
                super().end_headers()

            def send_response(self, code: int, message: str | None = None) -> None:
                store.requests.append((self.path, self.headers.get("If-None-Match"), code))
                super().send_response(code, message)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    directory = tmp_path / "store"
    directory.mkdir()
    running = Store(directory)
    yield running
    running.stop()
