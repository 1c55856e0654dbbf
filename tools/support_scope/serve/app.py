"""The HTTP decision service: a Starlette application over a :class:`Reloader`.

Endpoints (the OpenAPI document at ``/openapi.json`` describes them for the release served):

- ``POST /v1/decide``: a question (the keywords of ``Ruleset.decide``) → ``Decision.to_json()``
  plus ``decision_id`` and ``release`` (policy id, version, digest);
- ``POST /v1/decide/batch``: ``{"questions": [...]}`` → ``{"release", "answers": [...]}``, one
  answer per question, in order, all from one release;
- ``GET /v1/find?q=…&plan=…&product=…&limit=…``: ``Ruleset.find``, ranked, as
  ``support-scope find --format json`` prints it;
- ``GET /v1/release``: the manifest of the release served, its source and signer;
- ``GET /health``: 200 when a verified release is served, else 503; the last reload's detail;
- ``GET /metrics``: Prometheus.

Errors are ``application/problem+json`` (RFC 9457): a body that is not JSON is a 400, one
larger than ``max_body`` a 413, a well-formed request with unknown ids or bad values a 422
whose ``errors`` name each member by its JSON pointer (``/context/new_customer``) or each query
parameter; a question that reaches a part of the release the decision procedure cannot read
(edited and re-hashed) a 500 saying so. A request takes the release being served once, at its start, and answers from it
alone: every answer names the release it came from, also during a swap.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import gc
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from support_scope.consume.values import FindAnswer
from support_scope.errors import ReleaseError, SupportScopeError
from support_scope.serve.loaded import Loaded, dumps
from support_scope.serve.logs import DecisionLog
from support_scope.serve.metrics import CONTENT_TYPE, Metrics
from support_scope.serve.openapi import FIND_LIMIT, MAX_BATCH, MAX_FIND_LIMIT, MAX_QUERY
from support_scope.serve.questions import (
    Malformed,
    Problem,
    decision_problem,
    parse_body,
    read_question,
)
from support_scope.serve.reload import Reloader

MAX_BODY = 1024 * 1024  # bytes of a request body, by default
_JSON = "application/json"
_PROBLEM = "application/problem+json"
_TITLES = {
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
_FIND_PARAMETERS = ("q", "plan", "product", "limit")
# While a search or a reload runs in a worker thread, the event loop gets the interpreter back
# within this many seconds (Python's default is 5 ms) and answers the decisions waiting.
SWITCH_INTERVAL = 0.001


def _freeze_survivors(phase: str, info: dict[str, int]) -> None:
    """A garbage collector callback: after a full collection, what survived it is put out of the
    collector's sight (``gc.freeze``), as a release is when it is loaded.

    What a service keeps is the decisions and search postings its release caches: hundreds of
    thousands of objects at 10,000 categories, which every full collection would scan again (a
    pause of 0.1 s and more, for every request). Garbage cycles were just collected; an object
    frozen is still freed by reference counting, and only a cycle still in use at that moment
    and dropped later (a request in flight) is left to the process's end.
    """
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


def problem(status: int, detail: str, problems: list[Problem] | None = None) -> Response:
    """An RFC 9457 problem response."""
    data: dict[str, Any] = {"title": _TITLES.get(status, "Error"), "status": status, "detail": detail}
    if problems is not None:
        shown = problems[:50]
        data["errors"] = [p.to_json() for p in shown]
        if len(problems) > len(shown):
            data["detail"] += f" ({len(problems) - len(shown)} more problems not shown)"
    return Response(dumps(data), status_code=status, media_type=_PROBLEM)


def _unprocessable(problems: list[Problem]) -> Response:
    count = len(problems)
    return problem(
        422, f"{count} problem{'s' if count != 1 else ''} with the request: {problems[0].detail}", problems
    )


def _cannot_answer(error: ReleaseError, pointer: str = "") -> Response:
    """A 500: the release served verified, but holds what the decision procedure cannot read (edited
    and re-hashed, or a compiler's bug). Not the client's fault; every other question is still answered."""
    where = f" (question {pointer})" if pointer else ""
    return problem(500, f"the release served cannot answer this question{where}: {error}")


def _not_ready(reloader: Reloader) -> Response:
    failure = reloader.failure or reloader.last
    why = f": {failure.detail}" if failure is not None else ""
    return problem(503, f"no verified release is loaded yet{why}")


async def _body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The request's body, read from the ASGI messages; :class:`_TooLarge` beyond ``limit`` bytes."""
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            raise _Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def new_id() -> str:
    """A random UUID (version 4), for one decision."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def _parsed(raw: bytes) -> Any:
    try:
        return parse_body(raw)
    except Malformed as e:
        return problem(400, str(e))


def _find_question(loaded: Loaded, parameters: QueryParams) -> dict[str, Any] | Response:
    """The keywords of ``Ruleset.find`` from ``/v1/find``'s query parameters, checked; or a 422."""
    problems: list[Problem] = []
    for name in dict.fromkeys(parameters.keys()):
        if name not in _FIND_PARAMETERS:
            problems.append(
                Problem(name, f"unknown parameter {name!r} (known: {', '.join(_FIND_PARAMETERS)})", True)
            )
        elif len(parameters.getlist(name)) > 1:
            problems.append(Problem(name, f"parameter {name!r} is given more than once", True))
    ruleset = loaded.ruleset
    query = parameters.get("q")
    if query is None or not query.strip():
        problems.append(Problem("q", "required: the words to find", True))
    elif len(query) > MAX_QUERY:
        problems.append(Problem("q", f"at most {MAX_QUERY} characters", True))
    plan, product = parameters.get("plan"), parameters.get("product")
    for name, value, known in (("plan", plan, ruleset.plans), ("product", product, ruleset.products)):
        if value is not None and value not in known:
            problems.append(Problem(name, f"unknown {name} {value!r} (known: {', '.join(known)})", True))
    if product is not None and plan is None:
        problems.append(Problem("product", "a product needs a plan (a decision needs both)", True))
    limit = FIND_LIMIT
    text = parameters.get("limit")
    if text is not None:
        digits = text.lstrip("0")
        if not (
            text.isascii() and text.isdigit() and len(digits) <= 4 and 1 <= int(digits or 0) <= MAX_FIND_LIMIT
        ):
            problems.append(Problem("limit", f"a whole number from 1 to {MAX_FIND_LIMIT}", True))
        else:
            limit = int(digits)
    if problems:
        return _unprocessable(problems)
    return {"text": query, "plan": plan, "product": product, "limit": limit}


def _search(loaded: Loaded, question: dict[str, Any]) -> bytes | Response:
    """The answer of ``/v1/find`` (in a worker thread): ``FindAnswer.to_json()`` as bytes."""
    ruleset = loaded.ruleset
    try:
        matches = ruleset.find(**question)
    except ReleaseError as e:
        return _cannot_answer(e)
    except SupportScopeError as e:
        return _unprocessable([Problem("q", str(e), True)])
    answer = FindAnswer(
        release=ruleset.info,
        query=question["text"],
        plan=question["plan"],
        product=question["product"],
        matches=tuple(matches),
        tier_labels=ruleset.tier_labels,
        limit=question["limit"],
    )
    return dumps(answer.to_json())


class Service:
    """The endpoints, over one reloader, one set of metrics and an optional decision log."""

    def __init__(
        self,
        reloader: Reloader,
        metrics: Metrics,
        log: DecisionLog | None = None,
        *,
        max_body: int = MAX_BODY,
    ) -> None:
        self.reloader = reloader
        self.metrics = metrics
        self.log = log
        self.max_body = max_body
        # Searches run in one worker thread of their own, one at a time (see find).
        self._searcher = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="support-scope-find")
        self._searching = asyncio.Lock()

    def _count(self, endpoint: str, response: Response) -> Response:
        self.metrics.requested(endpoint, response.status_code)
        return response

    async def _raw_body(self, scope: Scope, receive: Receive) -> bytes | Response:
        """The body's bytes; a problem :class:`Response` when it cannot be read."""
        try:
            return await _body(scope, receive, self.max_body)
        except _TooLarge:
            return problem(413, f"the body is larger than {self.max_body:,} bytes")
        except _Disconnected:
            return problem(400, "the client went away before sending the whole body")

    async def _question_body(self, scope: Scope, receive: Receive) -> Any:
        """The parsed body; a problem :class:`Response` when it cannot be read."""
        raw = await self._raw_body(scope, receive)
        if isinstance(raw, Response):
            return raw
        return _parsed(raw)

    # ---- decisions

    async def decide(self, scope: Scope, receive: Receive) -> Response | tuple[bytes, float]:
        """``POST /v1/decide``: the answer's bytes and the server time, or a problem."""
        started = time.perf_counter()
        loaded = self.reloader.current  # the one release this request answers from
        if loaded is None:
            return _not_ready(self.reloader)
        raw = await self._raw_body(scope, receive)
        if isinstance(raw, Response):
            return raw
        known = loaded.questions.get(raw)
        if known is not None:  # these very bytes were answered before, by this release
            question, decision = known
        else:
            data = _parsed(raw)
            if isinstance(data, Response):
                return data
            problems: list[Problem] = []
            checked = read_question(data, loaded, "", problems)
            if checked is None:
                return _unprocessable(problems)
            question = checked
            try:
                decision = loaded.ruleset.decide(**question)
            except ReleaseError as e:
                return _cannot_answer(e)
            except SupportScopeError as e:
                return _unprocessable([decision_problem(e, question, "")])
            loaded.remember(raw, question, decision)
        decision_id = new_id()
        body = loaded.answer(decision, decision_id)
        elapsed = time.perf_counter() - started
        self.metrics.decided(decision.outcome)
        self.metrics.decide_latency.observe(elapsed)
        if self.log is not None:
            self.log.record(decision_id, loaded, question, decision, elapsed)
        return body, elapsed

    async def decide_batch(self, scope: Scope, receive: Receive) -> Response | tuple[bytes, float]:
        """``POST /v1/decide/batch``: the answers' bytes and the server time, or a problem."""
        started = time.perf_counter()
        loaded = self.reloader.current
        if loaded is None:
            return _not_ready(self.reloader)
        data = await self._question_body(scope, receive)
        if isinstance(data, Response):
            return data
        listed = data.get("questions") if isinstance(data, dict) else None
        problems: list[Problem] = []
        if not isinstance(data, dict):
            problems.append(Problem("", 'a batch is a JSON object {"questions": [...]}'))
        else:
            problems.extend(
                Problem(f"/{name}", f"unknown member {name!r}: a batch has only 'questions'")
                for name in data
                if name != "questions"
            )
            if not isinstance(listed, list) or not listed or len(listed) > MAX_BATCH:
                problems.append(Problem("/questions", f"a list of 1 to {MAX_BATCH:,} questions"))
        if problems:
            return _unprocessable(problems)
        assert isinstance(listed, list)
        questions = [
            read_question(item, loaded, f"/questions/{i}", problems) for i, item in enumerate(listed)
        ]
        if problems:
            return _unprocessable(problems)
        decide = loaded.ruleset.decide
        decisions = []
        for index, question in enumerate(questions):
            assert question is not None
            try:
                decisions.append(decide(**question))
            except ReleaseError as e:
                return _cannot_answer(e, f"/questions/{index}")
            except SupportScopeError as e:
                problems.append(decision_problem(e, question, f"/questions/{index}"))
        if problems:
            return _unprocessable(problems)
        ids = [new_id() for _ in decisions]
        answers = b",".join(loaded.answer(d, i) for d, i in zip(decisions, ids, strict=True))
        body = b'{"release":%s,"answers":[%s]}' % (loaded.release_json, answers)
        elapsed = time.perf_counter() - started
        metrics = self.metrics
        for decision in decisions:
            metrics.decided(decision.outcome)
        metrics.batch_latency.observe(elapsed)
        if self.log is not None:
            for index, (question, decision, decision_id) in enumerate(
                zip(questions, decisions, ids, strict=True)
            ):
                assert question is not None
                self.log.record(decision_id, loaded, question, decision, elapsed, index)
        return body, elapsed

    # ---- search, release, health, metrics, OpenAPI

    async def find(self, request: Request) -> Response:
        """``GET /v1/find``: ``Ruleset.find``, as ``support-scope find --format json`` prints it.

        The search runs in a worker thread, one at a time: a search of a large release takes
        tens of milliseconds of Python, which on the event loop would hold every decision back
        for as long; in a thread, the loop takes its turn at least every switch interval.
        """
        loaded = self.reloader.current
        if loaded is None:
            return self._count("/v1/find", _not_ready(self.reloader))
        checked = _find_question(loaded, request.query_params)
        if isinstance(checked, Response):
            return self._count("/v1/find", checked)
        key = repr(sorted(checked.items())).encode()
        body = loaded.searches.get(key)
        if body is None:
            async with self._searching:
                searched = await asyncio.get_running_loop().run_in_executor(
                    self._searcher, _search, loaded, checked
                )
            if isinstance(searched, Response):
                return self._count("/v1/find", searched)
            body = searched
            loaded.remember_search(key, body)
        return self._count("/v1/find", Response(body, media_type=_JSON))

    async def release(self, request: Request) -> Response:
        loaded = self.reloader.current
        if loaded is None:
            return self._count("/v1/release", _not_ready(self.reloader))
        return self._count(
            "/v1/release",
            Response(
                dumps({"manifest": dict(loaded.manifest), "release": loaded.describe()}), media_type=_JSON
            ),
        )

    async def health(self, request: Request) -> Response:
        loaded = self.reloader.current
        data = {
            "status": "ready" if loaded is not None else "not ready",
            "release": loaded.describe() if loaded is not None else None,
            "reload": self.reloader.health(),
            "log": self.log.health() if self.log is not None else None,
            "pid": os.getpid(),
        }
        return Response(dumps(data), status_code=200 if loaded is not None else 503, media_type=_JSON)

    async def openapi(self, request: Request) -> Response:
        loaded = self.reloader.current
        if loaded is None:
            return _not_ready(self.reloader)
        return Response(loaded.openapi, media_type=_JSON)

    async def prometheus(self, request: Request) -> Response:
        return Response(self.metrics.exposition(), media_type=CONTENT_TYPE)

    # ---- the application

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        """Poll the source and flush the log while the server runs; ``SIGHUP`` looks at the source now.

        Meanwhile the interpreter switches threads every :data:`SWITCH_INTERVAL` and keeps the
        survivors of full collections frozen (:func:`_freeze_survivors`): a search or a reload
        in its thread, or the collector, holds decisions back for milliseconds, not tenths of a second.
        """
        interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        gc.callbacks.append(_freeze_survivors)
        runs: list[Callable[[], Coroutine[Any, Any, None]]] = [self.reloader.run]
        if self.log is not None:
            runs.append(self.log.run)
        tasks = [asyncio.create_task(run()) for run in runs]
        loop = asyncio.get_running_loop()
        hangup = getattr(signal, "SIGHUP", None)
        watching = False
        if hangup is not None:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(hangup, self.reloader.wake)
                watching = True
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if watching and hangup is not None:
                loop.remove_signal_handler(hangup)
            if self.log is not None:
                self.log.close()
            self._searcher.shutdown(wait=False, cancel_futures=True)
            gc.callbacks.remove(_freeze_survivors)
            sys.setswitchinterval(interval)

    def app(self) -> Starlette:
        async def http_error(request: Request, exc: Exception) -> Response:
            status = exc.status_code if isinstance(exc, HTTPException) else 500
            return problem(status, exc.detail if isinstance(exc, HTTPException) else "internal error")

        async def server_error(request: Request, exc: Exception) -> Response:
            return problem(500, "internal error: the service could not answer (see its log)")

        return Starlette(
            routes=[
                Route("/v1/decide", _Answering(self.decide, "/v1/decide", self.metrics), methods=["POST"]),
                Route(
                    "/v1/decide/batch",
                    _Answering(self.decide_batch, "/v1/decide/batch", self.metrics),
                    methods=["POST"],
                ),
                Route("/v1/find", self.find, methods=["GET"]),
                Route("/v1/release", self.release, methods=["GET"]),
                Route("/health", self.health, methods=["GET"]),
                Route("/metrics", self.prometheus, methods=["GET"]),
                Route("/openapi.json", self.openapi, methods=["GET"]),
            ],
            exception_handlers={HTTPException: http_error, Exception: server_error},
            lifespan=self.lifespan,
        )


class _Answering:
    """A raw ASGI endpoint over a decision handler (Starlette routes an object as it is): the
    answer goes out as two ASGI messages, without a Request or Response object on the way; a
    problem is a Starlette :class:`Response`."""

    def __init__(
        self,
        handler: Callable[[Scope, Receive], Awaitable[Response | tuple[bytes, float]]],
        endpoint: str,
        metrics: Metrics,
    ) -> None:
        self.handler = handler
        self.endpoint = endpoint
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        result = await self.handler(scope, receive)
        if isinstance(result, Response):
            self.metrics.requested(self.endpoint, result.status_code)
            await result(scope, receive, send)
            return
        body, elapsed = result
        self.metrics.requested(self.endpoint, 200)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", b"%d" % len(body)),
                    (b"server-timing", b"app;dur=%.3f" % (elapsed * 1000)),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def uvicorn_config(app: Any, **options: Any) -> Any:
    """The uvicorn settings the service runs with (the benchmark runs its ceiling with the same)."""
    import uvicorn

    settings: dict[str, Any] = {
        "log_level": "warning",
        "access_log": False,
        "server_header": False,
        "lifespan": "on",
        "timeout_graceful_shutdown": 5,
    }
    settings.update(options)
    return uvicorn.Config(app, **settings)
