"""`support-scope serve` under load, on 127.0.0.1: throughput and latency of ``POST /v1/decide``
beside the framework's own minimal endpoint (the ceiling), a batch of 100, and a reload of a
large release under load.

The load generator is ``wrk`` (Debian package ``wrk``): written in C, it leaves the server the
CPU a Python load generator would take. Without it the load rows are skipped, saying so.

Rows (one uvicorn worker each, the same uvicorn settings, the same client; ``wrk -t1 -c16``,
runs of ``DURATION`` s interleaved, ``ROUNDS`` rounds, the best run of each reported, and the
median of the rounds' ratios beside it):

- ``serve ceiling: minimal endpoint``: a Starlette endpoint that reads the same POST body and
  answers a constant JSON object: what the framework itself costs. ``seconds`` is the time
  100,000 requests take at that rate (100,000 / requests per second).
- ``serve /v1/decide``: the shipped release, the same question each time (a decision cached
  after the first: what a service asking the same questions gets); budget: throughput at least
  70% of the ceiling's, i.e. a time for 100,000 requests at most the ceiling's / 0.7.
- ``  /v1/decide p99``: the 99th percentile latency of that run; budget 10 ms.
- ``  /v1/decide with decision log``: the same with ``--log FILE`` (informational).
- ``serve batch of 100``: the server time of ``POST /v1/decide/batch`` with 100 questions
  (its ``Server-Timing`` header), median of 50; budget 5 ms.
- ``serve reload under load``: the largest size's release served from a file while wrk runs,
  replaced by another release of the same size: ``seconds`` is the time from the replacement
  to ``/health`` naming the new release; the row FAILS if any request failed (budget: none).

The machine is shared: figures vary from run to run; the note says the conditions.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from timing import row

HERE = Path(__file__).resolve().parent
TOOLS = HERE.parent / "tools"
DURATION = 3
ROUNDS = 5
CONNECTIONS = 16
P99_BUDGET = 0.010
RATIO = 0.7
BATCH_BUDGET = 0.005
PER = 100_000  # requests: the seconds column is the time this many take at the measured rate
QUESTION = {"plan": "standard", "category": "companion-app", "item": "companion-app-app-store-download"}

_CEILING = """
import socket, sys
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
import uvicorn
from support_scope.serve.app import uvicorn_config

async def minimal(request):
    await request.body()
    return Response(b'{"ok":true}', media_type="application/json")

app = Starlette(routes=[Route("/", minimal, methods=["POST"])])
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(2048)
print(f"serving on http://127.0.0.1:{listener.getsockname()[1]}", file=sys.stderr, flush=True)
uvicorn.Server(uvicorn_config(app, lifespan="off")).run(sockets=[listener])
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TOOLS), env.get("PYTHONPATH")]))
    return env


class Child:
    """A server in a child process; its port read from the line it prints on standard error."""

    def __init__(self, arguments: list[str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, *arguments],
            cwd=cwd,
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        assert self.process.stderr is not None
        self.port = 0
        for raw in self.process.stderr:
            line = raw.decode(errors="replace")
            found = re.search(r"on http://127\.0\.0\.1:(\d+)", line)
            if found:
                self.port = int(found.group(1))
                break
        if not self.port:
            self.stop()
            raise RuntimeError("the server did not start")
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for _ in self.process.stderr:
            pass

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.process.stderr is not None:
            self.process.stderr.close()


def serve(release: Path, cwd: Path, *options: str) -> Child:
    code = "from support_scope.cli.main import main; main()"
    return Child(["-c", code, "serve", "--release", str(release), "--port", "0", *options], cwd)


def _seconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def wrk(url: str, body: bytes, duration: float, script_dir: Path) -> dict[str, Any]:
    """One wrk run: requests/s, p50, p99, and the requests that failed."""
    script = script_dir / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body.decode())}\n"
        'wrk.headers["Content-Type"] = "application/json"\n',
        encoding="utf-8",
    )
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{duration:g}s", "--latency", "-s", str(script), url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    figures: dict[str, Any] = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
    }
    for percentile in ("50", "99"):
        figures[f"p{percentile}"] = _seconds(re.search(rf"\s{percentile}%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    failed = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non_2xx:
        failed += int(non_2xx.group(1))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if errors:
        failed += sum(int(n) for n in errors.groups())
    figures["failed"] = failed
    return figures


def _post(port: int, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _health(port: int) -> dict[str, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", "/health")
        data: dict[str, Any] = json.loads(connection.getresponse().read())
        return data
    finally:
        connection.close()


def _note(figures: dict[str, Any]) -> str:
    return (
        f"{figures['rps']:,.0f} req/s, p50 {figures['p50'] * 1000:.2f} ms, p99 {figures['p99'] * 1000:.2f} ms"
    )


def _skipped(reason: str) -> list[dict[str, Any]]:
    return [row("serve", "shipped", float("nan"), note=f"skipped: {reason}")]


def _load_rows(release: Path, work: Path) -> list[dict[str, Any]]:
    body = json.dumps(QUESTION).encode()
    ceiling = Child(["-c", _CEILING], work)
    plain = serve(release, work)
    logged = serve(release, work, "--log", str(work / "decisions.jsonl"))
    runs: dict[str, list[dict[str, Any]]] = {"ceiling": [], "decide": [], "logged": []}
    try:
        for child in (plain, logged):
            status, _, _ = _post(child.port, "/v1/decide", body)
            if status != 200:
                raise RuntimeError(f"/v1/decide answered {status}")
        urls = {
            "ceiling": f"http://127.0.0.1:{ceiling.port}/",
            "decide": f"http://127.0.0.1:{plain.port}/v1/decide",
            "logged": f"http://127.0.0.1:{logged.port}/v1/decide",
        }
        for round_ in range(ROUNDS):
            # Interleaved, the order reversed every other round: a machine that slows down or
            # speeds up during the run favours no endpoint.
            for name in list(urls) if round_ % 2 == 0 else list(urls)[::-1]:
                runs[name].append(wrk(urls[name], body, DURATION, work))
        questions = [
            {"plan": plan, "category": "companion-app"} for plan in ("standard", "extended", "pro")
        ] * 34
        batch = json.dumps({"questions": questions[:100]}).encode()
        timings = []
        for _ in range(50):
            status, headers, _ = _post(plain.port, "/v1/decide/batch", batch)
            if status != 200:
                raise RuntimeError(f"/v1/decide/batch answered {status}")
            timing = next(v for k, v in headers.items() if k.lower() == "server-timing")
            timings.append(float(timing.split("dur=")[1]) / 1000)
    finally:
        for child in (ceiling, plain, logged):
            child.stop()
    best = {name: max(found, key=lambda f: f["rps"]) for name, found in runs.items()}
    failed = sum(f["failed"] for found in runs.values() for f in found)
    conditions = f"1 worker, wrk -t1 -c{CONNECTIONS}, best of {ROUNDS} runs of {DURATION} s"
    ratio = best["decide"]["rps"] / best["ceiling"]["rps"]
    p99s = ", ".join(f"{figures['p99'] * 1000:.1f}" for figures in runs["decide"])
    paired = statistics.median(
        d["rps"] / c["rps"] for d, c in zip(runs["decide"], runs["ceiling"], strict=True)
    )
    rows = [
        row(
            "serve ceiling: minimal endpoint",
            "shipped",
            PER / best["ceiling"]["rps"],
            note=f"{_note(best['ceiling'])}; {conditions}",
        ),
        row(
            "serve /v1/decide",
            "shipped",
            PER / best["decide"]["rps"],
            PER / best["ceiling"]["rps"] / RATIO,
            f"{_note(best['decide'])}; {ratio:.0%} of the ceiling (median of the rounds: {paired:.0%}); "
            f"{failed} failed requests in all runs",
        ),
        row(
            "  /v1/decide p99",
            "shipped",
            best["decide"]["p99"],
            P99_BUDGET,
            f"at the load of that run; p99 of each run: {p99s} ms",
        ),
        row(
            "  /v1/decide with decision log",
            "shipped",
            PER / best["logged"]["rps"],
            note=f"{_note(best['logged'])}; {best['logged']['rps'] / best['ceiling']['rps']:.0%} of the ceiling",
        ),
        row(
            "serve batch of 100",
            "shipped",
            statistics.median(timings),
            BATCH_BUDGET,
            f"server time (Server-Timing), median of 50; best {min(timings) * 1000:.2f} ms",
        ),
    ]
    if failed:
        rows[1]["seconds"] = float("nan")
        rows[1]["note"] = f"failed: {failed} requests failed; " + rows[1]["note"]
    return rows


def _other_release(raw: bytes) -> bytes:
    """The same release as another version, its digest computed again (unsigned: served without keys)."""
    from support_scope.compile.compiler import release_bytes
    from support_scope.compile.verify import release_digest

    document = json.loads(raw)
    document["manifest"]["policy_version"] = "9.9.9"
    document["policy"]["version"] = "9.9.9"
    document["manifest"]["digest"] = release_digest(document)
    return release_bytes(document)


def _reload_row(size: int, work: Path) -> dict[str, Any]:
    from bench_decide import release_for
    from generate import policy_path

    source = release_for(policy_path(size), f"synthetic-{size}")
    raw = source.read_bytes()
    first = json.loads(raw[: raw.index(b',"policy":')] + b"}")
    category = first["compiled"]["categories"][0]
    question = {"plan": "standard", "category": category["id"], "item": category["rules"][0]["item"]}
    served = work / "served.json"
    served.write_bytes(raw)
    replacement = work / ".replacement.json"
    replacement.write_bytes(_other_release(raw))
    del raw, first
    child = serve(served, work, "--poll-interval", "0.5")
    try:
        status, _, _ = _post(child.port, "/v1/decide", json.dumps(question).encode())
        if status != 200:
            raise RuntimeError(f"/v1/decide answered {status} on the {size}-category release")
        result: dict[str, Any] = {}
        load = threading.Thread(
            target=lambda: result.update(
                wrk(f"http://127.0.0.1:{child.port}/v1/decide", json.dumps(question).encode(), 20, work)
            )
        )
        load.start()
        time.sleep(3)
        published = time.perf_counter()
        replacement.replace(served)
        while _health(child.port)["release"]["policy_version"] != "9.9.9":
            if time.perf_counter() - published > 120:
                raise RuntimeError("the new release was not served within 120 s")
            time.sleep(0.05)
        swapped = time.perf_counter() - published
        load.join()
    finally:
        child.stop()
    megabytes = served.stat().st_size / 1e6
    note = f"{megabytes:.0f} MB release replaced under wrk load: {result['requests']:,} requests, {result['failed']} failed, p99 {result['p99'] * 1000:.0f} ms"
    if result["failed"]:
        return row("serve reload under load", size, float("nan"), note=f"failed: {note}")
    return row("serve reload under load", size, swapped, note=note)


def run(sizes: list[int]) -> list[dict[str, Any]]:
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        return _skipped("the serve extra is not installed (pip install '.[serve]')")
    if shutil.which("wrk") is None:
        return _skipped("wrk is not installed (apt-get install wrk)")
    from bench_decide import release_for
    from support_scope.resources import shipped_policy

    release = release_for(shipped_policy(), "shipped")
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as directory:
        work = Path(directory)
        rows = _load_rows(release, work)
        if sizes:
            rows.append(_reload_row(max(sizes), work))
    return rows
