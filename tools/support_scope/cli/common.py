"""What every command shares: the --format option, exit codes, problem rendering."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from typing import Any, NoReturn, TypeVar

import click

from support_scope.errors import SupportScopeError
from support_scope.result import Problem

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2  # click exits with it for usage errors; named here for the record

F = TypeVar("F", bound=Callable[..., Any])


def format_option(*choices: str, default: str = "text") -> Callable[[F], F]:
    """``--format`` with the given choices."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        help="Output for people (text) or machines (json).",
    )


def emit_json(data: Any) -> None:
    """Write ``data`` as JSON on standard output, deterministic (sorted keys, UTF-8)."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    """Print ``message`` on standard error as ``support-scope: error: ...`` and exit."""
    click.echo(f"support-scope: error: {message}", err=True)
    sys.exit(code)


def render_problems(problems: Iterable[Problem]) -> None:
    for problem in problems:
        click.echo(str(problem))


def run_core(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call the core; a :class:`SupportScopeError` becomes a one-line message and exit 1."""
    try:
        return function(*args, **kwargs)
    except SupportScopeError as e:
        fail(str(e))


def color_enabled(explicit: bool | None) -> bool:
    """Colour when asked, or by default when standard output is a terminal."""
    if explicit is not None:
        return explicit
    return sys.stdout.isatty()
