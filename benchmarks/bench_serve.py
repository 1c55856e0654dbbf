"""`support-scope serve` under load, on 127.0.0.1: throughput and latency of ``POST /v1/decide``
beside the framework's own minimal endpoint (the ceiling), a batch of 100, and a reload of a
large release under load.

The load generator is ``wrk`` (Debian package ``wrk``): written in C, it leaves the server the
CPU a Python load generator would take. Without it the load rows are skipped, saying so.

Rows (one uvicorn worker each, the same uvicorn settings, the same client; ``wrk -t1 -c16``,
runs of ``DURATION`` s interleaved, ``ROUNDS`` rounds, the best run of each reported, and the
median of the rounds' ratios beside it):

- ``serve ceiling: minimal endpoint``: a Starlette endpoint that reads the POST body and
  answers a constant JSON object: what the framework itself costs. ``seconds`` is the time
  100,000 requests take at that rate (100,000 / requests per second).
- ``serve /v1/decide``: the shipped release, every question it can answer in turn (each plan,
  each line, each category with no line: 450 bodies), as services ask them again and again;
  budget: throughput at least 70% of the ceiling's, i.e. a time for 100,000 requests at most
  the ceiling's / 0.7. The ceiling is sent the same bodies.
- ``  /v1/decide p99``: the 99th percentile latency at that load (wrk's, all connections
  busy), the lowest of the runs, each run's in the note; budget 10 ms.
- ``  /v1/decide, every body new``: each request a body the service never saw (a context whose
  number of days counts up): parsed, checked and decided every time (informational).
- ``  /v1/decide with decision log``: as the budget row, with ``--log FILE`` (informational).
- ``serve batch of 100``: the server time of ``POST /v1/decide/batch`` with 100 different
  questions (its ``Server-Timing`` header), median of 50; budget 5 ms.
- ``serve /v1/find``: the largest size's release, a search of each ticket of
  ``benchmarks/search/tickets.json`` in turn (none answered before: each round asks for one
  more match, from 10; plan standard) while a connection asks decisions: the median time of a
  search (informational).
- ``  /v1/decide p99 meanwhile``: that connection's 99th percentile latency (``wrk -c1``, one
  decision after the other), beside the same without searches in the note: how much a search
  holds decisions back (informational).
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
FIND_DURATION = 5

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


def rotating(bodies: list[bytes]) -> str:
    """A wrk script POSTing ``bodies`` one after the other, round and round."""
    listed = ",\n".join(json.dumps(body.decode()) for body in bodies)
    return (
        f"local bodies = {{\n{listed}\n}}\n"
        "local headers = {['Content-Type'] = 'application/json'}\n"
        "local index = 0\n"
        "request = function()\n"
        "  index = index % #bodies + 1\n"
        "  return wrk.format('POST', nil, headers, bodies[index])\n"
        "end\n"
    )


# Every request a body never seen: the days since the first invoice count up (the worst case for
# a service that remembers the bodies it answered).
NEW_EVERY_TIME = (
    "local headers = {['Content-Type'] = 'application/json'}\n"
    "local count = 0\n"
    "request = function()\n"
    "  count = count + 1\n"
    '  return wrk.format(\'POST\', nil, headers, \'{"plan": "standard", "category": "cloud-onboarding", \'\n'
    '    .. \'"item": "cloud-onboarding-go-live", "context": {"new_customer": true, \'\n'
    "    .. '\"days_since_first_invoice\": ' .. count .. '}}')\n"
    "end\n"
)


def wrk(
    url: str, script_text: str, duration: float, script_dir: Path, connections: int = CONNECTIONS
) -> dict[str, Any]:
    """One wrk run with a Lua script: requests/s, p50, p99, and the requests that failed."""
    script = script_dir / "load.lua"
    script.write_text(script_text, encoding="utf-8")
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration:g}s", "--latency", "-s", str(script), url]
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


def shipped_questions(release: Path) -> list[dict[str, Any]]:
    """Every question of the shipped release: each plan, each line of each category, and each
    category with no line (unlisted)."""
    from support_scope import load_release

    ruleset = load_release(release)
    lines = [(category, item) for category, item in ruleset.rules()]
    lines += [(category, None) for category in ruleset.categories]
    return [
        {"plan": plan, "category": category, **({"item": item} if item else {})}
        for category, item in lines
        for plan in ruleset.plans
    ]


def _post(port: int, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
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
    questions = shipped_questions(release)
    bodies = [json.dumps(question).encode() for question in questions]
    ceiling = Child(["-c", _CEILING], work)
    plain = serve(release, work)
    logged = serve(release, work, "--log", str(work / "decisions.jsonl"))
    runs: dict[str, list[dict[str, Any]]] = {"ceiling": [], "decide": [], "new": [], "logged": []}
    try:
        for child in (plain, logged):
            for body in bodies:
                status, _, answer = _post(child.port, "/v1/decide", body)
                if status != 200:
                    raise RuntimeError(f"/v1/decide answered {status}: {answer[:200]!r}")
        mix = rotating(bodies)
        plan = {
            "ceiling": (f"http://127.0.0.1:{ceiling.port}/", mix),
            "decide": (f"http://127.0.0.1:{plain.port}/v1/decide", mix),
            "new": (f"http://127.0.0.1:{plain.port}/v1/decide", NEW_EVERY_TIME),
            "logged": (f"http://127.0.0.1:{logged.port}/v1/decide", mix),
        }
        for round_ in range(ROUNDS):
            # Interleaved, the order reversed every other round: a machine that slows down or
            # speeds up during the run favours no endpoint.
            for name in list(plan) if round_ % 2 == 0 else list(plan)[::-1]:
                url, script = plan[name]
                runs[name].append(wrk(url, script, DURATION, work))
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

    def share(name: str) -> str:
        best_ratio = best[name]["rps"] / best["ceiling"]["rps"]
        rounds = statistics.median(
            run["rps"] / ceiling_run["rps"]
            for run, ceiling_run in zip(runs[name], runs["ceiling"], strict=True)
        )
        return f"{best_ratio:.0%} of the ceiling (median of the rounds: {rounds:.0%})"

    p99s = ", ".join(f"{figures['p99'] * 1000:.1f}" for figures in runs["decide"])
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
            f"{_note(best['decide'])}; {share('decide')}; {len(bodies)} questions in turn; "
            f"{failed} failed requests in all runs",
        ),
        row(
            "  /v1/decide p99",
            "shipped",
            min(figures["p99"] for figures in runs["decide"]),
            P99_BUDGET,
            f"the best run's, at full load; each run's: {p99s} ms (the machine is shared)",
        ),
        row(
            "  /v1/decide, every body new",
            "shipped",
            PER / best["new"]["rps"],
            note=f"{_note(best['new'])}; {share('new')}; with a context, parsed and checked each time",
        ),
        row(
            "  /v1/decide with decision log",
            "shipped",
            PER / best["logged"]["rps"],
            note=f"{_note(best['logged'])}; {share('logged')}",
        ),
        row(
            "serve batch of 100",
            "shipped",
            statistics.median(timings),
            BATCH_BUDGET,
            f"100 different questions; server time (Server-Timing), median of 50; best {min(timings) * 1000:.2f} ms",
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
    question = _first_question(raw)
    served = work / "served.json"
    served.write_bytes(raw)
    replacement = work / ".replacement.json"
    replacement.write_bytes(_other_release(raw))
    del raw
    child = serve(served, work, "--poll-interval", "0.5")
    try:
        status, _, _ = _post(child.port, "/v1/decide", json.dumps(question).encode())
        if status != 200:
            raise RuntimeError(f"/v1/decide answered {status} on the {size}-category release")
        result: dict[str, Any] = {}
        load = threading.Thread(
            target=lambda: result.update(
                wrk(
                    f"http://127.0.0.1:{child.port}/v1/decide",
                    rotating([json.dumps(question).encode()]),
                    20,
                    work,
                )
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


def _first_question(raw: bytes) -> dict[str, Any]:
    """A question of the release's first line (its first category read alone, at the head of the file)."""
    start = raw.index(b'{"categories":[') + len(b'{"categories":[')
    category, _ = json.JSONDecoder().raw_decode(raw[start : start + 1_000_000].decode(errors="replace"))
    return {"plan": "standard", "category": category["id"], "item": category["rules"][0]["item"]}


def _find_rows(size: int, work: Path) -> list[dict[str, Any]]:
    """Searches of the largest release beside decisions: how long ``/v1/find`` takes, and how much
    it holds back the decisions asked meanwhile (one connection asking them one after the other,
    with and without a client searching every ticket of the evaluation set, each once)."""
    from urllib.parse import urlencode

    from bench_decide import release_for
    from generate import policy_path

    source = release_for(policy_path(size), f"synthetic-{size}")
    question = _first_question(source.read_bytes())
    tickets = [t["text"] for t in json.loads((HERE / "search" / "tickets.json").read_bytes())["tickets"]]
    child = serve(source, work)
    searches: list[float] = []
    try:
        url = f"http://127.0.0.1:{child.port}/v1/decide"
        script = rotating([json.dumps(question).encode()])
        quiet = [wrk(url, script, FIND_DURATION, work, connections=1) for _ in range(ROUNDS)]
        busy = []
        for round_ in range(ROUNDS):
            stop = threading.Event()

            # Each round asks for one more match: no search is answered from the service's cache
            # of answers (the release's own caches, postings and decisions, stay warm).
            def search(offset: int, limit: int, stop: threading.Event = stop) -> None:
                for text in tickets[offset:] + tickets[:offset]:
                    if stop.is_set():
                        return
                    started = time.perf_counter()
                    status, body = _get(
                        child.port, "/v1/find?" + urlencode({"q": text, "plan": "standard", "limit": limit})
                    )
                    if status != 200:
                        raise RuntimeError(f"/v1/find answered {status}: {body[:200]!r}")
                    searches.append(time.perf_counter() - started)

            searcher = threading.Thread(target=search, args=(round_ * 40, 10 + round_))
            searcher.start()
            busy.append(wrk(url, script, FIND_DURATION, work, connections=1))
            stop.set()
            searcher.join()
    finally:
        child.stop()
    best_quiet = min(quiet, key=lambda f: f["p99"])
    best_busy = min(busy, key=lambda f: f["p99"])
    return [
        row(
            "serve /v1/find",
            size,
            statistics.median(searches),
            note=f"{len(searches)} searches of the {len(tickets)} tickets (none answered before), plan standard, "
            f"limit 10 to {9 + ROUNDS}, while decisions are asked: median; p90 {statistics.quantiles(searches, n=10)[-1] * 1000:.0f} ms, "
            f"max {max(searches) * 1000:.0f} ms",
        ),
        row(
            "  /v1/decide p99 meanwhile",
            size,
            best_busy["p99"],
            note=f"1 connection, best of {ROUNDS} runs of {FIND_DURATION} s: {_note(best_busy)}; without searches: "
            f"{_note(best_quiet)}; each run's p99 during searches: "
            + ", ".join(f"{f['p99'] * 1000:.1f}" for f in busy)
            + " ms",
        ),
    ]


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
            rows.extend(_find_rows(max(sizes), work))
            rows.append(_reload_row(max(sizes), work))
    return rows
