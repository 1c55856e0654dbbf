"""A decision's context: the facts a question carries, read and checked against the release's declarations.

A context maps fact names to values (``{"new_customer": True, "days_since_first_invoice": 12}``).
Each value must be of its fact's declared type (exactly: ``True`` is not an integer here) and
not below its declared ``minimum``; ``None`` means "not known", like an absent fact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from support_scope.errors import InputError, UnknownIdError
from support_scope.model.release import CompiledFact

_TYPES: dict[str, type] = {"boolean": bool, "integer": int, "string": str}
BOOLEANS = {
    "true": True, "yes": True, "oui": True, "1": True, "vrai": True,
    "false": False, "no": False, "non": False, "0": False, "faux": False,
}  # fmt: skip
_MAX_INTEGER_DIGITS = 18


class Facts:
    """The facts a release declares: their types and minimums, and the checks of a context."""

    def __init__(self, facts: Iterable[CompiledFact]) -> None:
        declared = list(facts)
        self.types: dict[str, str] = {fact["id"]: fact["type"] for fact in declared}
        self._python: dict[str, type] = {name: _TYPES[kind] for name, kind in self.types.items()}
        self.minimums: dict[str, int] = {
            fact["id"]: fact["minimum"] for fact in declared if "minimum" in fact
        }

    def unknown(self, name: str) -> UnknownIdError:
        return UnknownIdError(
            f"unknown fact {name!r} in the context (declared: {', '.join(sorted(self.types)) or 'none'})"
        )

    def check(self, context: object) -> Mapping[str, Any]:
        """``context`` itself when every fact is declared and every value of its type; else an error
        naming the fact (:class:`UnknownIdError` for an undeclared one, :class:`InputError` otherwise)."""
        if not isinstance(context, Mapping):
            raise InputError(f"a decision context maps fact names to values; this is {_kind(context)}")
        python, minimums = self._python, self.minimums
        for name, value in context.items():
            expected = python.get(name)
            if expected is None:
                raise self.unknown(str(name))
            if value is None:
                continue
            if type(value) is not expected:
                declared = self.types[name]
                raise InputError(f"fact {name!r} is {_article(declared)} {declared}, not {_shown(value)}")
            if name in minimums and cast(int, value) < minimums[name]:
                raise InputError(f"fact {name!r} is at least {minimums[name]}, not {value!r}")
        return context

    def parse(self, pairs: Iterable[str]) -> dict[str, Any]:
        """A context from ``KEY=VALUE`` strings, each value read as its fact's declared type.

        Booleans: true/false, yes/no, oui/non, vrai/faux, 1/0 (any case); integers: decimal
        whole numbers. An unknown key, a key given twice or a value that does not read as its
        type is an error naming the key.
        """
        context: dict[str, Any] = {}
        for pair in pairs:
            key, equals, text = pair.partition("=")
            key, text = key.strip(), text.strip()
            if not equals or not key:
                raise InputError(f"context {pair!r} is not KEY=VALUE")
            declared = self.types.get(key)
            if declared is None:
                raise self.unknown(key)
            if key in context:
                raise InputError(f"fact {key!r} is given twice in the context; give it once")
            context[key] = read_value(key, declared, text)
        return dict(self.check(context))


def read_value(key: str, declared: str, text: str) -> Any:
    """``text`` as a value of the type ``declared`` (``boolean``, ``integer`` or ``string``)."""
    if declared == "boolean":
        value = BOOLEANS.get(text.casefold())
        if value is None:
            raise InputError(
                f"fact {key!r} is a boolean: {text!r} is not true/false, yes/no, oui/non, vrai/faux or 1/0"
            )
        return value
    if declared == "integer":
        digits = text.removeprefix("-")
        if not (digits.isascii() and digits.isdigit()) or len(digits) > _MAX_INTEGER_DIGITS:
            raise InputError(f"fact {key!r} is an integer: {text!r} is not a whole number")
        return int(text, 10)
    return text


def _article(type_name: str) -> str:
    return "an" if type_name[0] in "aeiou" else "a"


def _kind(value: object) -> str:
    names = {
        list: "a list",
        tuple: "a list",
        str: "a text",
        int: "a number",
        float: "a number",
        bool: "true or false",
    }
    return names.get(type(value), "not a mapping")


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (int, float)):
        return str(value)
    return _kind(value)
