"""What every command shares: the options that mean the same everywhere, exit codes, output.

Commands are thin: parse the options, call the core, render the result with the reporter the
``--format`` option names, print it, exit. The same idea has the same option name, the same
default and the same help in every command: ``--format``, ``--lang``, ``--root``, ``--policy``,
``--release``, ``--color``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from support_scope.errors import SupportScopeError
from support_scope.model.vocab import LANGUAGES

if TYPE_CHECKING:
    from support_scope.project import Project
    from support_scope.report.base import Reporter

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2  # click exits with it for usage errors; named here for the record

F = TypeVar("F", bound=Callable[..., Any])


def format_option(kind: str) -> Callable[[F], F]:
    """``--format``: the formats whose reporter renders this kind of result (text first)."""
    from support_scope.report.registry import REPORTERS, formats_for

    choices = formats_for(kind)
    described = "; ".join(f"{name}: {REPORTERS[name].description}" for name in choices)
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(choices),
        default="text",
        show_default=True,
        help=f"Output format. {described}.",
    )


def lang_option() -> Callable[[F], F]:
    return click.option(
        "--lang",
        type=click.Choice(LANGUAGES),
        default="fr",
        show_default=True,
        help="Language of the text output (French is authoritative).",
    )


def color_option() -> Callable[[F], F]:
    return click.option(
        "--color/--no-color",
        "color",
        default=None,
        help="Colour the text output (default: when standard output is a terminal).",
    )


def root_option() -> Callable[[F], F]:
    return click.option(
        "--root",
        type=click.Path(path_type=Path),
        default=None,
        help="The project directory (holding policies/, releases/, CHANGELOG.md). Default: the current "
        "directory or the nearest parent with a policies/ directory; outside any, the shipped policy.",
    )


def policy_option() -> Callable[[F], F]:
    return click.option(
        "--policy",
        "policy_id",
        default=None,
        metavar="ID",
        help="The policy id, in the project's policies/ (default: the only one there).",
    )


def release_option() -> Callable[[F], F]:
    return click.option(
        "--release",
        "release",
        type=click.Path(path_type=Path),
        default=None,
        metavar="FILE",
        help="A compiled release to answer from. Default: the project's latest release of the policy "
        "(releases/<policy-id>/<version>.json), or the shipped one outside a project.",
    )


def verify_with_option() -> Callable[[F], F]:
    return click.option(
        "--verify-with",
        "verify_with",
        multiple=True,
        type=click.Path(path_type=Path),
        metavar="PUBLIC_KEY",
        help="A PEM Ed25519 public key the release must be signed with (RELEASE.sig, as "
        "`support-scope sign` writes it); repeatable: any one of the keys will do (keys rotate). "
        "An unsigned or wrongly signed release is refused.",
    )


def project(root: Path | None) -> Project:
    """The project the command works on (see :mod:`support_scope.project`)."""
    from support_scope.project import Project

    found: Project = run_core(Project.find, root)
    return found


def reporter(output_format: str, *, lang: str = "fr", color: bool | None = None) -> Reporter:
    from support_scope.report.registry import reporter as make

    return make(output_format, lang=lang, color=color_enabled(color) if output_format == "text" else False)


def note_schema_engine() -> None:
    """For a command that validates: when jsonschema-rs is not installed (no wheel for the
    platform), say once on standard error that the pure-Python validators check the schema
    (same results, slower). The library itself stays silent."""
    from support_scope.validate.schema import fallback_note

    note = fallback_note()
    if note is not None:
        click.echo(note, err=True)


def emit(text: str, *, color: bool = False) -> None:
    """Print a reporter's output as it is (it ends with its own newline)."""
    click.echo(text, nl=False, color=color)


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    """Print ``message`` on standard error as ``support-scope: error: ...`` and exit."""
    click.echo(f"support-scope: error: {message}", err=True)
    sys.exit(code)


def fail_all(*messages: str | None) -> None:
    """Every wrong input at once, one ``support-scope: error:`` line each, then exit 1 (if any)."""
    found = [message for message in messages if message]
    for message in found[:-1]:
        click.echo(f"support-scope: error: {message}", err=True)
    if found:
        fail(found[-1])


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
