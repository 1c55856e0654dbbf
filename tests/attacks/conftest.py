"""Fixtures of the attack suites: a scratch project, the current directory in it, its export."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from attacks.hostile import POLICY, make_project

_EXPORTS: dict[str, bytes] = {}


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
