"""Reading questions sent over HTTP, checked against the release being served.

A question is a JSON object whose members are the keywords of :meth:`Ruleset.decide`: ``plan``
and ``category`` (required), ``item`` (a line of the category) or ``request`` (a request kind,
naming no line), or neither (a request nothing names), ``product``, ``context``. Every problem is
named by the JSON pointer of the member at fault (``/context/new_customer``, in a batch
``/questions/3/plan``), all of them at once; the service answers them with a 422. A body that is
not JSON at all is a :class:`Malformed` (a 400).

The checks are the release's own: its plans, categories, request kinds and products by id, its facts with
:class:`~support_scope.consume.context.Facts` (the same check ``decide`` makes); an item not
listed in the category is found by the decision itself and named at ``/item``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from support_scope.errors import SupportScopeError
from support_scope.serve.loaded import Loaded

# The keywords of Ruleset.decide, which a question's members are, in the order they are checked.
QUESTION_FIELDS = ("plan", "category", "item", "request", "product", "context")
MAX_PROBLEMS = 50
MAX_SHOWN = 80


class Malformed(ValueError):
    """The body is not a JSON document (a 400)."""


@dataclass(frozen=True)
class Problem:
    """A member of the request that is wrong: its JSON pointer (or query parameter) and why."""

    pointer: str
    detail: str
    parameter: bool = False

    def to_json(self) -> dict[str, str]:
        return {"parameter" if self.parameter else "pointer": self.pointer, "detail": self.detail}


class Unprocessable(Exception):
    """Problems with a well-formed request (a 422), every one of them."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.pointer}: {p.detail}" for p in problems))
        self.problems = problems


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"member {shown(key)} appears twice in one object")
            seen.add(key)
    return result


_DECODER = json.JSONDecoder(object_pairs_hook=_object, parse_constant=_refuse_constant)


def parse_body(body: bytes) -> Any:
    """The JSON document of a request body, strictly (no repeated member, no NaN); else :class:`Malformed`."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Malformed(f"the body is not UTF-8 text (byte {e.start})") from e
    if not text.strip():
        raise Malformed("the body is empty: send a JSON object")
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as e:
        raise Malformed(f"not valid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from e
    except RecursionError as e:
        raise Malformed("not valid JSON: nested too deeply") from e
    except ValueError as e:
        raise Malformed(f"not valid JSON: {e}") from e


def escape(token: str) -> str:
    """A member name as a JSON pointer token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def shown(value: object) -> str:
    """A value as a message shows it: JSON, cut short."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return {dict: "an object", list: "a list", str: "a text", int: "a number", float: "a number"}.get(
        type(value), "a value"
    )


def read_question(
    data: object, loaded: Loaded, prefix: str, problems: list[Problem]
) -> dict[str, Any] | None:
    """The keywords of ``decide`` for one question, checked; its problems appended to ``problems``."""
    if not isinstance(data, dict):
        problems.append(
            Problem(
                prefix,
                f"a question is a JSON object with {', '.join(QUESTION_FIELDS)}; this is {_kind(data)}",
            )
        )
        return None
    ruleset = loaded.ruleset
    before = len(problems)
    for name in data:
        if name not in QUESTION_FIELDS:
            problems.append(
                Problem(
                    f"{prefix}/{escape(name)}",
                    f"unknown member {shown(name)}: a question has {', '.join(QUESTION_FIELDS)}",
                )
            )
    _id(data, "plan", ruleset.plans, prefix, problems, required=True)
    _id(data, "category", ruleset.categories, prefix, problems, required=True)
    _id(data, "item", None, prefix, problems)
    _id(data, "request", ruleset.request_kinds, prefix, problems, what="request kind")
    if data.get("item") is not None and data.get("request") is not None:
        problems.append(
            Problem(
                f"{prefix}/request", "name an item or a request kind, not both (a request kind names no line)"
            )
        )
    _id(data, "product", ruleset.products, prefix, problems)
    context = data.get("context")
    if context is not None:
        if not isinstance(context, dict):
            problems.append(
                Problem(
                    f"{prefix}/context",
                    f"the context is an object mapping fact names to values, not {_kind(context)}",
                )
            )
        else:
            facts = loaded.facts
            for name, value in context.items():
                try:
                    facts.check({name: value})
                except SupportScopeError as e:
                    problems.append(Problem(f"{prefix}/context/{escape(name)}", str(e)))
    if len(problems) > before:
        return None
    return {name: data[name] for name in QUESTION_FIELDS if name in data}


def _id(
    data: Mapping[str, Any],
    name: str,
    known: Mapping[str, Any] | None,
    prefix: str,
    problems: list[Problem],
    *,
    required: bool = False,
    what: str | None = None,
) -> None:
    value = data.get(name)
    pointer = f"{prefix}/{name}"
    what = what or name
    if value is None:
        if required:
            problems.append(Problem(pointer, f"required: the {what} id"))
        return
    if not isinstance(value, str):
        problems.append(Problem(pointer, f"the {what} is an id (a text), not {_kind(value)}"))
        return
    if known is not None and value not in known:
        listed = (
            (f"known: {', '.join(known)}" if known else "none declared")
            if len(known) <= 20
            else f"{len(known):,} of them; GET /v1/find finds them"
        )
        problems.append(Problem(pointer, f"unknown {what} {shown(value)} ({listed})"))


def decision_problem(error: SupportScopeError, question: Mapping[str, Any], prefix: str) -> Problem:
    """Where an error the decision raised points: the ids were checked before, so the item (or request kind)."""
    for name in ("item", "request"):
        if question.get(name) is not None:
            return Problem(f"{prefix}/{name}", str(error))
    return Problem(prefix, str(error))
