"""The condition language, written once: walk, evaluate, compare, parse, format and describe tests.

A condition's ``test`` is an expression over context facts (``schema/support-scope.schema.json``,
``$defs/expression``): ``{"all": [...]}``, ``{"any": [...]}``, ``{"not": ...}`` or a comparison
``{"fact": "days_since_first_invoice", "op": "le", "value": 30}``. Everything the package does
with one lives here:

- :func:`comparisons` and :func:`facts_of` walk it (tolerating the odd shapes an invalid
  document may hold: validate and diff see those);
- :func:`compile_test` and :func:`evaluate` give its value for a context with three values:
  ``True``, ``False``, or ``None`` when the context does not give a fact it needs;
- :func:`compare_tests` says whether a new test accepts fewer or more requests than an old one;
- :func:`format_expression` and :func:`parse_expression` are the workbook's cell syntax,
  ``any(booked_through_sales = true, days_since_first_invoice <= 30)``;
- :func:`describe` says it in French or English words.

Expressions are nested at most :data:`MAX_DEPTH` deep: deeper ones are refused by validate and
by the parser, so no walk here can exhaust Python's stack.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal

from support_scope.model.policy import Expression
from support_scope.model.vocab import Op

MAX_DEPTH = 32  # levels of all/any/not; the shipped policy uses 2
Truth = bool | None
Evaluator = Callable[[Mapping[str, Any]], Truth]
Relation = Literal["same", "tightened", "loosened", "changed"]

SYMBOLS: dict[Op, str] = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_OPS_BY_SYMBOL: dict[str, Op] = {symbol: op for op, symbol in SYMBOLS.items()}
COMBINATORS = ("all", "any", "not")


# --------------------------------------------------------------------------- walking


def comparisons(expression: object) -> Iterator[dict[str, Any]]:
    """Every comparison inside a test, in document order; what is not of a known shape is skipped."""
    stack: list[object] = [expression]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        if isinstance(node.get("fact"), str):
            yield node  # a dict with a "fact": a comparison, as far as an invalid document lets us say
            continue
        children: list[object] = []
        for key in ("all", "any"):
            operands = node.get(key)
            if isinstance(operands, list):
                children.extend(operands)
        if "not" in node:
            children.append(node["not"])
        stack.extend(reversed(children))


def facts_of(expression: object) -> list[str]:
    """The facts a test reads, sorted, each once."""
    return sorted({comparison["fact"] for comparison in comparisons(expression)})


def depth(expression: object) -> int:
    """How deep ``all``/``any``/``not`` nest in a test (a comparison alone is 0); never recursive."""
    deepest = 0
    stack: list[tuple[object, int]] = [(expression, 0)]
    while stack:
        node, level = stack.pop()
        if not isinstance(node, dict):
            continue
        deepest = max(deepest, level)
        for key in ("all", "any"):
            operands = node.get(key)
            if isinstance(operands, list):
                stack.extend((operand, level + 1) for operand in operands)
        if "not" in node:
            stack.append((node["not"], level + 1))
    return deepest


# --------------------------------------------------------------------------- evaluating

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: bool(a == b),
    "ne": lambda a, b: bool(a != b),
    "lt": lambda a, b: bool(a < b),
    "le": lambda a, b: bool(a <= b),
    "gt": lambda a, b: bool(a > b),
    "ge": lambda a, b: bool(a >= b),
}


def compile_test(expression: object) -> Evaluator:
    """A function of the context giving True, False or None (a fact it needs is absent or null).

    ``all`` is false if one part is false, true if all are true, else unknown; ``any`` is true
    if one part is true, false if all are false, else unknown; ``not`` keeps unknown. A part of
    no known shape, or a comparison of values that do not compare (a text with a number), is
    unknown: a valid policy has none (validate refuses them).
    """
    if not isinstance(expression, dict):
        return _unknown
    for combinator, decisive in (("all", False), ("any", True)):
        operands = expression.get(combinator)
        if isinstance(operands, list):
            return _combined([compile_test(operand) for operand in operands], decisive)
    if "not" in expression:
        return _negated(compile_test(expression["not"]))
    fact, op = expression.get("fact"), expression.get("op")
    if not isinstance(fact, str) or op not in _COMPARE:
        return _unknown
    return _comparison(fact, _COMPARE[op], expression.get("value"))


def evaluate(expression: object, context: Mapping[str, Any]) -> Truth:
    """The value of a test for a context (see :func:`compile_test`)."""
    return compile_test(expression)(context)


def _unknown(context: Mapping[str, Any]) -> Truth:
    return None


def _negated(inner: Evaluator) -> Evaluator:
    def negation(context: Mapping[str, Any]) -> Truth:
        value = inner(context)
        return None if value is None else not value

    return negation


def _comparison(fact: str, compare: Callable[[Any, Any], bool], expected: Any) -> Evaluator:
    def comparison(context: Mapping[str, Any]) -> Truth:
        value = context.get(fact)
        if value is None:
            return None
        try:
            return compare(value, expected)
        except TypeError:
            return None

    return comparison


def _combined(parts: list[Evaluator], decisive: bool) -> Evaluator:
    """``all`` (``decisive`` False) or ``any`` (True): one part giving ``decisive`` settles it;
    otherwise an unknown part leaves it unknown."""

    def combined(context: Mapping[str, Any]) -> Truth:
        result: Truth = not decisive
        for part in parts:
            value = part(context)
            if value is decisive:
                return decisive
            if value is None:
                result = None
        return result

    return combined


# --------------------------------------------------------------------------- comparing

_MAX_CASES = 50_000


def fact_domains(expressions: Iterable[object]) -> dict[str, tuple[Any, ...]]:
    """The values worth trying for each fact the tests read, in a stable order.

    A test only tells contexts apart at the constants it compares with, so these values reach
    every outcome: a boolean fact true and false; a number just below, at and above each
    constant; a text fact at each constant and at one value none of them equals. An odd
    constant an invalid document may hold (a list, null) is tried as it is. Values are kept
    apart by type: ``1`` and ``True`` are two values to try, not one.
    """
    found: dict[str, list[object]] = {}
    for expression in expressions:
        for comparison in comparisons(expression):
            found.setdefault(comparison["fact"], []).append(comparison.get("value"))
    domains: dict[str, tuple[Any, ...]] = {}
    for fact, values in found.items():
        domain: dict[tuple[str, str], object] = {}  # (type, repr) -> value: unhashables too
        for value in values:
            if isinstance(value, bool):
                tried: list[object] = [True, False]
            elif isinstance(value, (int, float)):
                tried = [value - 1, value, value + 1]
            elif isinstance(value, str):
                tried = [value, "\x00other"]
            else:
                tried = [value]
            for each in tried:
                domain.setdefault((type(each).__name__, repr(each)), each)
        domains[fact] = tuple(domain[key] for key in sorted(domain))
    return domains


def compare_tests(old: Sequence[object], new: Sequence[object]) -> Relation:
    """How the conjunction of the tests ``new`` relates to that of ``old``.

    ``tightened``: it accepts fewer contexts (some that passed now fail); ``loosened``: more;
    ``changed``: some of each; ``same``: exactly the same ones. Each fact only matters at the
    values the tests compare it with, so the tests are evaluated on every combination of those
    values (and their neighbours, for integers): exact, not a guess. Beyond 50,000
    combinations the answer is ``changed``, the one that claims least.
    """
    domains = fact_domains((*old, *new))
    cases = 1
    for values_of_fact in domains.values():
        cases *= len(values_of_fact)
    if cases > _MAX_CASES:
        return "changed"
    before_tests = [compile_test(e) for e in old]
    after_tests = [compile_test(e) for e in new]
    lost = gained = False
    names = list(domains)
    for combination in itertools.product(*domains.values()):
        context = dict(zip(names, combination, strict=True))
        # Every fact is given, so each test is true or false (None only for values that do not
        # compare, counted as not passing).
        before = all(test(context) is True for test in before_tests)
        after = all(test(context) is True for test in after_tests)
        lost |= before and not after
        gained |= after and not before
        if lost and gained:
            return "changed"
    return "tightened" if lost else "loosened" if gained else "same"


# --------------------------------------------------------------------------- the cell syntax


class ConditionSyntaxError(ValueError):
    """A test written in the cell syntax cannot be read; the message says where and why."""


def format_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def format_expression(expression: Expression) -> str:
    """A test as a workbook cell shows it: ``any(booked_through_sales = true, days_since_first_invoice <= 30)``."""
    node: Any = expression
    for combinator in ("all", "any"):
        if combinator in node:
            return f"{combinator}({', '.join(format_expression(sub) for sub in node[combinator])})"
    if "not" in node:
        return f"not({format_expression(node['not'])})"
    return f"{node['fact']} {SYMBOLS[node['op']]} {format_value(node['value'])}"


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<name>[a-z][a-z0-9_]*)
      | (?P<op><=|>=|!=|=|<|>)
      | (?P<int>-?[0-9]{1,18})(?![0-9])
      | (?P<str>"(?:[^"\\\n]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*")
      | (?P<punct>[(),])
    )""",
    re.VERBOSE,
)
_MAX_SYNTAX_LENGTH = 8192  # characters: a test is a line or two; a cell may hold 32,767


def parse_expression(text: str) -> Expression:
    """Read the cell syntax of :func:`format_expression` back, exactly.

    Anything else is a :class:`ConditionSyntaxError` saying what was expected at which
    character; nesting deeper than :data:`MAX_DEPTH` is refused too.
    """
    if len(text) > _MAX_SYNTAX_LENGTH:
        raise ConditionSyntaxError(
            f"a test of {len(text)} characters; a test holds at most {_MAX_SYNTAX_LENGTH}"
        )
    tokens: list[tuple[str, str, int]] = []
    position = 0
    while position < len(text):
        if not text[position:].strip():
            break
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            rest = text[position:].strip()
            hint = ""
            if rest.startswith('"'):
                hint = ' (a text is written in straight double quotes on one line, with \\" for a quote and \\\\ for a backslash)'
            elif rest.lstrip("-")[:1].isdigit():
                hint = " (a number has at most 18 digits)"
            raise ConditionSyntaxError(
                f"unexpected {rest[:20]!r} at character {len(text) - len(rest) + 1}{hint}"
            )
        kind = match.lastgroup
        tokens.append((kind, match.group(kind), match.start(kind) + 1))
        position = match.end()
    parser = _Parser(tokens)
    expression = parser.expression(0)
    if parser.index != len(tokens):
        _, token, at = tokens[parser.index]
        raise ConditionSyntaxError(f"unexpected {token!r} at character {at}")
    return expression


class _Parser:
    def __init__(self, tokens: list[tuple[str, str, int]]) -> None:
        self.tokens = tokens
        self.index = 0

    def _next(self, expected: str) -> tuple[str, str, int]:
        if self.index >= len(self.tokens):
            raise ConditionSyntaxError(f"the test ends where {expected} was expected")
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _peek(self) -> str | None:
        return self.tokens[self.index][1] if self.index < len(self.tokens) else None

    def expression(self, level: int) -> Expression:
        kind, name, at = self._next("a fact name, all(, any( or not(")
        if kind != "name":
            raise ConditionSyntaxError(
                f"expected a fact name, all(, any( or not( at character {at}, found {name!r}"
            )
        if self._peek() == "(" and name in COMBINATORS:
            if level >= MAX_DEPTH:
                raise ConditionSyntaxError(f"tests nest at most {MAX_DEPTH} deep (at character {at})")
            self.index += 1
            subs = [self.expression(level + 1)]
            while self._peek() == ",":
                self.index += 1
                subs.append(self.expression(level + 1))
            kind, token, at = self._next("')'")
            if token != ")":
                raise ConditionSyntaxError(f"expected ',' or ')' at character {at}, found {token!r}")
            if name == "not":
                if len(subs) != 1:
                    raise ConditionSyntaxError("not(...) takes exactly one test")
                return {"not": subs[0]}
            return {"all": subs} if name == "all" else {"any": subs}
        kind, symbol, at = self._next("a comparison (=, !=, <, <=, >, >=)")
        if kind != "op":
            raise ConditionSyntaxError(
                f"expected a comparison (=, !=, <, <=, >, >=) at character {at}, found {symbol!r}"
            )
        kind, raw, at = self._next('a value (true, false, a number or a "quoted text")')
        value: bool | int | str
        if kind == "name" and raw in ("true", "false"):
            value = raw == "true"
        elif kind == "int":
            value = int(raw)
        elif kind == "str":
            value = json.loads(raw)
        else:
            raise ConditionSyntaxError(
                f'expected a value (true, false, a number or a "quoted text") at character {at}, found {raw!r}'
            )
        return {"fact": name, "op": _OPS_BY_SYMBOL[symbol], "value": value}


# --------------------------------------------------------------------------- in words

_WORDS = {
    "fr": {
        "all": " et ",
        "any": " ou ",
        "not": "il est faux que {}",
        "true": "oui",
        "false": "non",
        "eq": "{fact} : {value}",
        "ne": "{fact} : pas {value}",
        "lt": "{fact} < {value}",
        "le": "{fact} ≤ {value}",
        "gt": "{fact} > {value}",
        "ge": "{fact} ≥ {value}",
    },
    "en": {
        "all": " and ",
        "any": " or ",
        "not": "it is not so that {}",
        "true": "yes",
        "false": "no",
        "eq": "{fact}: {value}",
        "ne": "{fact}: not {value}",
        "lt": "{fact} < {value}",
        "le": "{fact} ≤ {value}",
        "gt": "{fact} > {value}",
        "ge": "{fact} ≥ {value}",
    },
}


def describe(expression: Expression, language: str = "en") -> str:
    """A test in words, for people: ``booked_through_sales: yes or days_since_first_invoice ≤ 30``."""
    words = _WORDS.get(language, _WORDS["en"])
    node: Any = expression
    for combinator in ("all", "any"):
        if combinator in node:
            parts = [describe(sub, language) for sub in node[combinator]]
            if len(parts) == 1:
                return parts[0]
            return "(" + words[combinator].join(parts) + ")"
    if "not" in node:
        return words["not"].format(describe(node["not"], language))
    value = node["value"]
    shown = words["true" if value else "false"] if isinstance(value, bool) else format_value(value)
    return words[node["op"]].format(fact=node["fact"], value=shown)
