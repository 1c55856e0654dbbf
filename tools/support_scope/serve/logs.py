"""Decision logs: one JSON line per decision, to a file or standard output.

A line (keys in this order)::

    {"decision_id": "…", "time": "2026-01-31T12:00:00.123Z",
     "release": {"policy_id": "…", "policy_version": "1.0.0", "digest": "sha256:…"},
     "question": {"plan": "standard", "category": "…", "item": "…", "context": {…}},
     "outcome": "included", "citation": {"category": "…", "item": "…", "provenance": {…}, …},
     "latency_ms": 0.041}

plus ``"batch_index"`` for the questions of a batch (``latency_ms`` is then the batch's so far)
and ``"redacted"`` (the facts left out). ``redact`` names context facts that must never be
written (``serve --log-redact FACT``, repeatable; ``*`` leaves out the whole context): they
are removed from the logged question before the line is made, and only their names are kept.

Lines are written whole (one ``write`` of complete lines, so several processes can append to
one file), at the latest every 0.2 s and when the service stops.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Iterable, Mapping
from typing import Any

from support_scope.consume.values import Decision
from support_scope.serve.loaded import Loaded, dumps, timestamp

FLUSH_SECONDS = 0.2
FLUSH_LINES = 512
EVERY_FACT = "*"


class DecisionLog:
    """Where decision lines go; ``target`` is a file path (appended to) or ``-`` for standard output."""

    def __init__(self, target: str, redact: Iterable[str] = ()) -> None:
        self.target = target
        self.redact = frozenset(redact)
        if target == "-":
            self._fd = sys.stdout.fileno()
            self._owned = False
        else:
            self._fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            self._owned = True
        self._pending: list[bytes] = []
        self.dropped = 0
        self.error: str | None = None

    def question(self, question: Mapping[str, Any]) -> tuple[Mapping[str, Any], list[str]]:
        """The question as logged: facts named in ``redact`` left out; and their names."""
        context = question.get("context")
        removed: list[str] = []
        if not context or not self.redact:
            return question, removed
        logged = dict(question)
        if context:
            if EVERY_FACT in self.redact:
                removed = sorted(context)
                logged["context"] = {}
            else:
                removed = sorted(name for name in context if name in self.redact)
                if removed:
                    logged["context"] = {k: v for k, v in context.items() if k not in self.redact}
        return logged, removed

    def record(
        self,
        decision_id: str,
        loaded: Loaded,
        question: Mapping[str, Any],
        decision: Decision,
        latency: float,
        batch_index: int | None = None,
    ) -> None:
        logged, removed = self.question(question)
        head = b'{"decision_id":"%s","time":"%s","release":%s,"question":%s,' % (
            decision_id.encode(),
            timestamp(time.time()).encode(),
            loaded.release_json,
            dumps(logged),
        )
        tail = b',"latency_ms":%.3f' % (latency * 1000)
        if batch_index is not None:
            tail += b',"batch_index":%d' % batch_index
        if removed:
            tail += b',"redacted":' + dumps(removed)
        self._pending.append(head + loaded.logged(decision)[1:-1] + tail + b"}\n")
        if len(self._pending) >= FLUSH_LINES:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        data = b"".join(self._pending)
        count = len(self._pending)
        self._pending.clear()
        view = memoryview(data)
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        except OSError as e:
            self.dropped += count
            if self.error is None:
                sys.stderr.write(f"support-scope serve: cannot write the decision log {self.target}: {e}\n")
            self.error = f"{e.strerror or e}"

    async def run(self) -> None:
        """Flush every ``FLUSH_SECONDS`` until cancelled."""
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            self.flush()

    def close(self) -> None:
        self.flush()
        if self._owned:
            os.close(self._fd)
            self._owned = False

    def health(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "redacted_facts": sorted(self.redact),
            "dropped": self.dropped,
            "error": self.error,
        }
