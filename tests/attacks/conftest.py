"""Fixtures of the attack suites: a scratch project, the current directory in it, its export, and
``run_cli`` asking ``import-xlsx`` for its messages in English where the command can (the
expected messages are English; the suites also run against versions without ``--lang``)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from attacks.hostile import POLICY, make_project

_EXPORTS: dict[str, bytes] = {}
_LANG: list[list[str]] = []


class EnglishImports:
    """The repository's ``run_cli``, with ``--lang en`` after an ``import-xlsx`` command line
    when the command takes it (``lang``: those words, to add to a child's command line)."""

    def __init__(self, cli: Any) -> None:
        self.cli = cli
        if not _LANG:
            _LANG.append(["--lang", "en"] if "--lang" in cli("import-xlsx", "--help").output else [])
        self.lang = _LANG[0]

    def __call__(self, *args: str, **kwargs: Any) -> Any:
        if args and args[0] == "import-xlsx" and "--help" not in args:
            args = (*args, *self.lang)
        return self.cli(*args, **kwargs)


@pytest.fixture
def run_cli(run_cli: Any) -> EnglishImports:
    return EnglishImports(run_cli)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the repository's project (policies, releases, CHANGELOG), the current directory."""
    path = make_project(tmp_path)
    monkeypatch.chdir(path)
    yield path


@pytest.fixture
def exported(project: Path, run_cli: Any, tmp_path: Path) -> bytes:
    """The workbook ``export-xlsx`` writes for the project's policy (made once per policy content)."""
    key = hashlib.sha256((project / POLICY).read_bytes()).hexdigest()
    if key not in _EXPORTS:
        out = tmp_path / "export.xlsx"
        result = run_cli("export-xlsx", POLICY, "-o", str(out))
        assert result.exit_code == 0, result.output
        _EXPORTS[key] = out.read_bytes()
        out.unlink()
    return _EXPORTS[key]
