"""Shared fixtures: a strict CLI runner, the repository's paths, no network."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner, Result

if TYPE_CHECKING:
    from support_scope import Ruleset

# The service's fixtures (real servers on 127.0.0.1, the loopback-only `loopback`, keys): tests/serve/live.py.
pytest_plugins = ["serve.live"]

REPO = Path(__file__).resolve().parents[1]
SHIPPED_POLICY = REPO / "policies" / "act-premium-support-scope.json"
SEED = REPO / "policies" / "sources" / "act-premium-support-scope.fr.txt"


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never reach the network: any attempt to connect fails loudly."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("tests must not use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


class Cli:
    """Runs ``support-scope`` in-process; exceptions propagate (no silent tracebacks)."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None) -> Result:
        from support_scope.cli.main import cli

        return without_fallback_note(self.runner.invoke(cli, list(args), input=input, catch_exceptions=False))


def without_fallback_note(result: Result) -> Result:
    """The result without the note a validating command prints on stderr where jsonschema-rs is
    not installed, so that the output under test is the command's own on every platform (the
    note itself, and both engines' findings, are tested in tests/test_validate_engines.py)."""
    from support_scope.validate.schema import FALLBACK_NOTE

    note = (FALLBACK_NOTE + "\n").encode()
    if note not in result.stderr_bytes:
        return result
    return Result(
        runner=result.runner,
        stdout_bytes=result.stdout_bytes,
        stderr_bytes=result.stderr_bytes.replace(note, b"", 1),
        output_bytes=result.output_bytes.replace(note, b"", 1),
        return_value=result.return_value,
        exit_code=result.exit_code,
        exception=result.exception,
        exc_info=result.exc_info,
    )


@pytest.fixture
def run_cli() -> Iterator[Cli]:
    yield Cli()


@pytest.fixture
def shipped_policy() -> Path:
    return SHIPPED_POLICY


@pytest.fixture(scope="session")
def release_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped policy's release, compiled once for the session; read it, never change it."""
    from builders import compile_release

    return compile_release(tmp_path_factory.mktemp("release"))


@pytest.fixture(scope="session")
def ruleset(release_path: Path) -> Ruleset:
    """The shipped release, loaded (``release_path``)."""
    from support_scope import load_release

    return load_release(release_path)
