"""The README's `curl` examples of `serve`, run for real: the same lines, against a live server.

tests/test_docs.py cannot run a server, so the README marks the block
``<!-- doc-test: skip run against a live server by tests/serve/test_serve_readme.py ... -->``;
here each ``$ `` line of that block runs in a shell (``localhost:8181`` replaced by the test
server's address), in order, against ``support-scope serve`` started in a copy of the project,
and prints what the README shows. In the expected output, ``...`` inside a line stands for any
text, and a line ``...`` for any lines.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from serve.live import Server
from test_docs import REPO, blocks

MARK = "tests/serve/test_serve_readme.py"


def _block() -> str:
    found = [b for b in blocks() if b.directive and MARK in b.directive[1]]
    assert len(found) == 1, f"the README should have one block marked for {MARK}"
    return found[0].text


def _commands(text: str) -> list[tuple[str, list[str]]]:
    commands: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], []))
        else:
            commands[-1][1].append(line)
    return commands


def _line(expected: str, actual: str) -> bool:
    pattern = ".*".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(pattern, actual, re.DOTALL) is not None


def _matches(expected: list[str], actual: list[str]) -> bool:
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(_matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and _line(expected[0], actual[0]) and _matches(expected[1:], actual[1:])


def test_the_wildcards() -> None:
    assert _line('{"a":"...","b":2}', '{"a":"x-y-z","b":2}')
    assert not _line('{"a":"...","b":2}', '{"a":"x","b":3}')
    assert _matches(["a", "...", "z"], ["a", "b", "c", "z"])


def test_the_readme_curl_examples(start_server: Callable[..., Server], tmp_path: Path) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed: the README's examples are curl command lines")
    project = tmp_path / "project"
    for name in ("policies", "releases"):
        shutil.copytree(REPO / name, project / name)
    server = start_server(cwd=project)
    ran = 0
    for command, expected in _commands(_block()):
        assert "localhost:8181" in command, command
        line = command.replace("localhost:8181", f"127.0.0.1:{server.port}")
        result = subprocess.run(["bash", "-c", line], capture_output=True, text=True, cwd=project, timeout=60)
        assert result.returncode == 0, f"`{command}` exited {result.returncode}: {result.stderr}"
        actual = result.stdout.rstrip("\n").splitlines()
        assert _matches(expected, actual), f"`{command}` printed:\n{result.stdout}\nexpected:\n" + "\n".join(
            expected
        )
        ran += 1
    assert ran >= 5
