"""A release being served: the verified ruleset and what the service derives from it once.

A :class:`Loaded` is immutable once built (its caches aside) and is swapped whole: a request
takes the current one once, at its start, and answers from it alone, so that every answer,
even during a swap, comes from exactly one release and names it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from support_scope.consume.context import Facts
from support_scope.consume.load import Verified, verified_ruleset
from support_scope.consume.ruleset import Ruleset
from support_scope.consume.values import Decision
from support_scope.model.release import CompiledFact

_CACHE_LIMIT = 100_000  # decisions whose JSON is kept ready; beyond, the cache starts again
_BODIES = 10_000  # request bodies remembered with their answer (at most 20 MB); beyond, again
_BODY_LIMIT = 2048  # bytes of a request body remembered
_SEARCHES = 1000  # answers of /v1/find remembered; beyond, again


_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":")
)  # made once: json.dumps makes one a call


def dumps(value: Any) -> bytes:
    """Compact JSON in UTF-8, the form every answer uses."""
    return _ENCODER.encode(value).encode("utf-8")


@dataclass
class Loaded:
    """A verified release ready to answer, with the service's view of it."""

    ruleset: Ruleset
    signed_by: str | None
    source: str
    content_digest: str  # SHA-256 of the file's bytes and its signature file's: what was fetched
    loaded_at: float = field(default_factory=time.time)
    from_cache: bool = False
    facts: Facts = field(init=False)
    declared_facts: tuple[CompiledFact, ...] = field(init=False)
    release_json: bytes = field(init=False)
    openapi: bytes = b""
    _answers: dict[int, tuple[Decision, bytes, bytes]] = field(default_factory=dict, repr=False)
    # Request bodies answered before, and their checked question and decision: a client that asks
    # the same question in the same bytes skips parsing and checking (the decision is the same).
    questions: dict[bytes, tuple[dict[str, Any], Decision]] = field(default_factory=dict, repr=False)
    # The answers of /v1/find, by their checked parameters: a search asked again is not run again.
    searches: dict[bytes, bytes] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.release_json = dumps(self.ruleset.info.to_json())

    @classmethod
    def of(cls, verified: Verified, content_digest: str, *, source: str, from_cache: bool = False) -> Loaded:
        """Build the ruleset of a verified release and everything the service derives from it."""
        from support_scope.serve.openapi import openapi_document

        ruleset = verified_ruleset(verified)
        loaded = cls(ruleset, verified.signed_by, source, content_digest, from_cache=from_cache)
        loaded.declared_facts = tuple(verified.release.compiled["facts"])
        loaded.facts = Facts(loaded.declared_facts)
        loaded.openapi = dumps(openapi_document(loaded))
        # The search index is parsed here (built, for a release without one), in the reloading
        # thread, not by the first search.
        ruleset.find("support-scope")
        return loaded

    # ---- identity

    @property
    def info(self) -> dict[str, Any]:
        return self.ruleset.info.to_json()

    @property
    def manifest(self) -> Mapping[str, Any]:
        return self.ruleset.manifest

    def describe(self) -> dict[str, Any]:
        """What ``/health`` and ``/v1/release`` say of this release."""
        return {
            **self.info,
            "source": self.source,
            "signed_by": self.signed_by,
            "loaded_at": timestamp(self.loaded_at),
            "from_cache": self.from_cache,
        }

    # ---- answers

    def _parts(self, decision: Decision) -> tuple[bytes, bytes]:
        """The decision's JSON (``Decision.to_json()``), and the part a decision log line repeats, built once."""
        cached = self._answers.get(id(decision))
        if cached is None or cached[0] is not decision:
            if len(self._answers) >= _CACHE_LIMIT:
                self._answers.clear()
            data = decision.to_json()
            logged = dumps({"outcome": data["outcome"], "citation": _citation(data.get("citation"))})
            # The decision is kept with its bytes: its id cannot be reused while it is cached.
            cached = self._answers[id(decision)] = (decision, dumps(data), logged)
        return cached[1], cached[2]

    def remember(self, body: bytes, question: dict[str, Any], decision: Decision) -> None:
        """Keep the answer to a small request body, for the next time these bytes come."""
        if len(body) <= _BODY_LIMIT:
            if len(self.questions) >= _BODIES:
                self.questions.clear()
            self.questions[body] = (question, decision)

    def remember_search(self, key: bytes, body: bytes) -> None:
        """Keep the answer of a search, for the next time it is asked."""
        if len(self.searches) >= _SEARCHES:
            self.searches.clear()
        self.searches[key] = body

    def answer(self, decision: Decision, decision_id: str) -> bytes:
        """``Decision.to_json()`` plus ``decision_id`` and the release that answered, as JSON bytes."""
        body = self._parts(decision)[0]
        return b'{"decision_id":"%s","release":%s,%s' % (decision_id.encode(), self.release_json, body[1:])

    def logged(self, decision: Decision) -> bytes:
        """``{"outcome", "citation"}`` of the decision, as a log line holds them."""
        return self._parts(decision)[1]


def _citation(citation: Any) -> Any:
    """The citation without its texts (the release holds them): what a log needs to find the line."""
    if not isinstance(citation, dict):
        return citation
    return {key: value for key, value in citation.items() if key not in ("category_title", "text")}


def content_digest(raw: bytes, signature: bytes | None) -> str:
    """One digest of a release file's bytes and its signature file's: "is this what we have?"."""
    digest = hashlib.sha256(raw)
    digest.update(b"\0signature\0" + (signature if signature is not None else b"-"))
    return "sha256:" + digest.hexdigest()


_second: tuple[int, str] = (-1, "")  # the last whole second and its text (one object: threads share it)


def timestamp(seconds: float) -> str:
    """RFC 3339, UTC, to the millisecond: ``2026-01-31T12:00:00.123Z``."""
    global _second
    whole = int(seconds)
    last = _second
    if last[0] != whole:
        last = _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return f"{last[1]}.{int((seconds - whole) * 1000):03d}Z"
