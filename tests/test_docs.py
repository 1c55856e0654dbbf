"""The README's examples, run: so that the README cannot drift from what the tool does.

Every fenced block of README.md is an example the tests run, by its language:

- ``console``: lines starting with ``$ `` are commands (a trailing ``\\`` continues one), the
  lines after each are its expected output (standard output and error); a line ``...`` stands
  for any lines. The exit code is 0 unless the command line ends in ``# exit N``.
- ``sh``: every ``support-scope`` command must exit 0 (``# exit N`` says otherwise); ``&&``
  chains are split, and what is not a ``support-scope`` command (``python3 -m venv``, ``pip
  install``) is left to CI, which runs those two commands from a clean clone (``.ci/run``).
- ``python``: run as it is.
- ``text`` (or ``json``): shapes and samples, not run; the test says which blocks it skipped.

A block runs in a fresh copy of the project (policies/, releases/, CHANGELOG.md), after the
setup a ``<!-- doc-test: setup NAME -->`` comment just above it names (a function below). A
``<!-- doc-test: skip REASON -->`` comment skips the block, with its reason shown.
"""

from __future__ import annotations

import itertools
import re
import shlex
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO, Cli

README = REPO / "README.md"
_FENCE = re.compile(r"^```(\w*)\s*$")
_DIRECTIVE = re.compile(r"<!--\s*doc-test:\s*(\w+)\s*(.*?)\s*-->")
_EXIT = re.compile(r"\s+#\s*exit\s+(\d+)\s*$")


@dataclass
class Block:
    language: str
    line: int
    text: str
    directive: tuple[str, str] | None

    @property
    def id(self) -> str:
        return f"README.md:{self.line}-{self.language or 'plain'}"


def blocks(path: Path = README) -> list[Block]:
    found: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if match is None:
            index += 1
            continue
        start = index
        body: list[str] = []
        index += 1
        while index < len(lines) and not lines[index].startswith("```"):
            body.append(lines[index])
            index += 1
        previous = next((lines[i] for i in range(start - 1, -1, -1) if lines[i].strip()), "")
        directive = _DIRECTIVE.search(previous)
        found.append(
            Block(
                match.group(1),
                start + 1,
                "\n".join(body),
                (directive.group(1), directive.group(2)) if directive else None,
            )
        )
        index += 1
    return found


# --------------------------------------------------------------------------- setups


def _policy(root: Path) -> Path:
    return root / "policies" / "act-premium-support-scope.json"


def _edit_policy(root: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    import json

    from support_scope.fileio.jsonfile import dump_json

    path = _policy(root)
    document = json.loads(path.read_text(encoding="utf-8"))
    edit(document)
    path.write_text(dump_json(document), encoding="utf-8")


def _item(document: dict[str, Any], item_id: str) -> dict[str, Any]:
    return next(i for c in document["categories"] for i in c["items"] if i["id"] == item_id)


def setup_breaking_change(root: Path) -> None:
    """Raise the tier of one item and lower-case two words of another (the diff example)."""

    def edit(document: dict[str, Any]) -> None:
        _item(document, "desktop-setup-dialog-errors")["tier"] = "extended"
        text = _item(document, "desktop-setup-kb-pages")["text"]
        text["fr"] = text["fr"].replace("Base de Connaissances", "base de connaissances")

    _edit_policy(root, edit)


def setup_unknown_tier(root: Path) -> None:
    """Give an item of the third category the unknown tier 'gold' (the validate example)."""

    def edit(document: dict[str, Any]) -> None:
        document["categories"][2]["items"][0]["tier"] = "gold"

    _edit_policy(root, edit)


def setup_version_with_newline(root: Path) -> None:
    """End the policy's version in a newline (the validate example of ECMA-262's `$`)."""

    def edit(document: dict[str, Any]) -> None:
        document["version"] += "\n"

    _edit_policy(root, edit)


def setup_review_workbook(root: Path) -> None:
    """Export the policy as review.xlsx, as the reviewer receives it."""
    result = Cli()("export-xlsx", "-o", str(root / "review.xlsx"))
    assert result.exit_code == 0, result.output


def setup_conflict(root: Path) -> None:
    """The reviewer and a maintainer both change the English text of one item after the export."""
    from openpyxl import load_workbook

    setup_review_workbook(root)
    workbook = load_workbook(root / "review.xlsx")
    workbook["Matrice"]["G2"] = "See our KB pages (reviewer)"
    workbook.save(root / "review.xlsx")

    def edit(document: dict[str, Any]) -> None:
        _item(document, "desktop-setup-kb-pages")["text"]["en"] = "KB (maintainer)"

    _edit_policy(root, edit)


def setup_review_problems(root: Path) -> None:
    """A reviewer's workbook with problems: a date where text was typed, an empty English text,
    an unknown referral; an item set to excluded with its tier left; a comment."""
    import datetime

    from openpyxl import load_workbook

    setup_review_workbook(root)
    workbook = load_workbook(root / "review.xlsx")
    matrix = workbook["Matrice"]
    matrix["G2"] = datetime.datetime(2025, 7, 24)  # typed 24/7 into a cell formatted as General
    matrix["G2"].number_format = "dd/mm/yy"
    matrix["D3"] = "excluded"
    matrix["R3"] = "Not covered any more?"
    matrix["G4"] = None
    matrix["J5"] = "nobody"
    workbook.save(root / "review.xlsx")


def setup_decision_tests(root: Path) -> None:
    """Two decision tests; the second expects installation advice to be included for standard."""
    from support_scope.fileio.jsonfile import dump_json

    def case(case_id: str, item: str, expect: dict[str, Any]) -> dict[str, Any]:
        question = {
            "plan": "standard",
            "category": "desktop-setup",
            "item": item,
            "product": "act-premium",
            "context": {"active_subscription": True},
        }
        return {"id": case_id, "question": question, "expect": expect}

    tests = {
        "description": "Answers the standard plan must keep",
        "cases": [
            case(
                "kb-pages-standard", "desktop-setup-kb-pages", {"outcome": "included", "tier": "self-service"}
            ),
            case(
                "install-assistance-standard",
                "desktop-setup-install-config-assistance",
                {"outcome": "included"},
            ),
        ],
    }
    (root / "tests" / "decisions").mkdir(parents=True)
    (root / "tests" / "decisions" / "examples.json").write_text(dump_json(tests), encoding="utf-8")


def setup_git_repository(root: Path) -> None:
    """The project as a git repository with one commit (for ``REV:path`` sides)."""
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    for command in (
        ["git", "init", "-q"],
        ["git", "add", "-A"],
        ["git", "-c", "user.name=docs", "-c", "user.email=docs@example.invalid", "commit", "-qm", "start"],
    ):
        subprocess.run(command, cwd=root, check=True, capture_output=True)


def setup_signing_key(root: Path) -> None:
    """An Ed25519 key pair, as `openssl genpkey -algorithm ed25519` and `openssl pkey -pubout` write them."""
    pytest.importorskip("cryptography", reason="signing needs the serve extra: pip install '.[serve]'")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    (root / "signing-key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (root / "signing-key.pub.pem").write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


SETUPS: dict[str, Callable[[Path], None]] = {
    "signing-key": setup_signing_key,
    "git-repository": setup_git_repository,
    "breaking-change": setup_breaking_change,
    "unknown-tier": setup_unknown_tier,
    "version-with-newline": setup_version_with_newline,
    "review-workbook": setup_review_workbook,
    "conflict": setup_conflict,
    "review-problems": setup_review_problems,
    "decision-tests": setup_decision_tests,
}


# --------------------------------------------------------------------------- running


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("policies", "releases", "schema"):
        shutil.copytree(REPO / name, tmp_path / name)
    shutil.copy(REPO / "CHANGELOG.md", tmp_path / "CHANGELOG.md")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _commands(text: str) -> Iterator[tuple[str, list[str]]]:
    """(command, expected output lines) of a console block."""
    command: str | None = None
    expected: list[str] = []
    pending = ""
    for line in text.splitlines():
        if line.startswith("$ ") or pending:
            part = line[2:] if line.startswith("$ ") and not pending else line.strip()
            if part.endswith("\\"):
                pending += part[:-1] + " "
                continue
            if command is not None:
                yield command, expected
            command, expected, pending = pending + part, [], ""
        else:
            expected.append(line)
    if command is not None:
        yield command, expected


def _run(command: str) -> tuple[int, str, int]:
    """Run one ``support-scope`` command line in-process: (exit code, output, expected code)."""
    expected_code = 0
    found = _EXIT.search(command)
    if found:
        expected_code = int(found.group(1))
        command = command[: found.start()]
    command = re.sub(r"\s+#.*$", "", command)
    words = shlex.split(command)
    program = Path(words[0]).name
    assert program == "support-scope", f"not a support-scope command: {command}"
    result = Cli()(*words[1:])
    return result.exit_code, result.output, expected_code


def _matches(expected: list[str], actual: list[str]) -> bool:
    """Line by line; ``...`` stands for any number of lines."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(_matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and expected[0] == actual[0] and _matches(expected[1:], actual[1:])


def _support_scope_commands(text: str) -> Iterator[str]:
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        for part in line.split("&&"):
            part = part.strip()
            if part and Path(part.split()[0]).name == "support-scope":
                yield part


BLOCKS = blocks()


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.id)
def test_readme_example(block: Block, project: Path) -> None:
    if block.directive and block.directive[0] == "skip":
        pytest.skip(f"{block.id}: {block.directive[1]}")
    if block.language in ("text", "json", ""):
        pytest.skip(f"{block.id}: a sample or a shape ({block.language or 'plain'}), not an example")
    if block.directive and block.directive[0] == "setup":
        SETUPS[block.directive[1]](project)
    if block.language == "console":
        ran = 0
        for command, expected in _commands(block.text):
            code, output, expected_code = _run(command)
            assert code == expected_code, f"{block.id}: `{command}` exited {code}:\n{output}"
            assert _matches(expected, output.rstrip("\n").splitlines()), (
                f"{block.id}: `{command}` printed:\n{output}\nexpected:\n" + "\n".join(expected)
            )
            ran += 1
        assert ran, f"{block.id}: a console block without a `$ ` command"
    elif block.language == "sh":
        commands = list(_support_scope_commands(block.text))
        assert commands, f"{block.id}: no support-scope command to run"
        for command in commands:
            code, output, expected_code = _run(command)
            assert code == expected_code, f"{block.id}: `{command}` exited {code}:\n{output}"
    elif block.language == "python":
        exec(compile(block.text, str(README), "exec"), {"__name__": "readme"})
    else:
        pytest.fail(f"{block.id}: unknown block language {block.language!r}")


def test_every_block_is_run_or_says_why_not() -> None:
    """A plain fence (no language) is an example nobody runs: say what it is."""
    plain = [block.id for block in BLOCKS if block.language == "" and not block.directive]
    assert plain == [], f"fences without a language (console, sh, python, text): {plain}"


# --------------------------------------------------------------------------- --help examples


# What a command's examples need before they run, and the examples that cannot run here.
def _editorial_change(root: Path) -> None:
    """An English wording changed: a policy with something to release (a patch)."""

    def edit(document: dict[str, Any]) -> None:
        _item(document, "desktop-setup-kb-pages")["text"]["en"] += " (reviewed)"

    _edit_policy(root, edit)


_HELP_SETUPS: dict[str, Callable[[Path], None]] = {
    "diff": setup_git_repository,  # HEAD:policies/... is one of its examples
    "sign": setup_signing_key,
    "release": _editorial_change,  # the shipped policy is released: nothing to release as it is
}
_HELP_NOT_RUN = {
    "serve": "a server that runs until it is stopped; tests/serve/ run the service for real",
}


def _help_examples(command: str) -> list[str]:
    """The ``support-scope`` lines of the Examples section of ``command --help``, continued lines
    joined and a shell pipeline cut at its first ``|``."""
    text = Cli()(command, "--help").output
    if "Examples:" not in text:
        return []
    section = text[text.index("Examples:") :].split("\nOptions:")[0]
    lines: list[str] = []
    pending = ""
    for raw in section.splitlines()[1:]:
        line = pending + raw.strip()
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        if line.startswith("support-scope "):
            lines.append(line.split(" | ")[0])
    return lines


def _command_names() -> list[str]:
    from support_scope.cli.main import COMMANDS

    return sorted(COMMANDS)


@pytest.mark.parametrize("command", _command_names())
def test_help_examples_run(command: str, project: Path) -> None:
    """Every example a command's --help shows runs in a copy of the project: exit 0 (1 only for
    an example that fails on purpose, with --fail-on), never a usage error or an error message."""
    if command in _HELP_NOT_RUN:
        pytest.skip(f"{command}: {_HELP_NOT_RUN[command]}")
    examples = _help_examples(command)
    assert examples, f"`support-scope {command} --help` shows no example"
    shutil.copytree(REPO / "tests" / "decisions", project / "tests" / "decisions")
    exported = Cli()("export-xlsx", "-o", "review.xlsx")  # what import-xlsx's examples read
    assert exported.exit_code == 0, exported.output
    if command in _HELP_SETUPS:
        _HELP_SETUPS[command](project)
    for example in examples:
        if "review.ods" in example:
            continue  # the same import as the .xlsx ones; an .ods is made by LibreOffice (tests/test_realclients.py)
        code, output, _ = _run(example)
        expected = (0, 1) if "--fail-on" in example else (0,)
        assert code in expected, f"`{example}` exited {code}:\n{output}"
        assert "support-scope: error" not in output and "Usage:" not in output, f"`{example}`:\n{output}"


def test_a_help_example_said_to_use_the_latest_release_names_it() -> None:
    """An example introduced as "the latest release" names the latest one shipped: cutting a
    release without updating the help fails here."""
    from support_scope.fileio.versionfiles import latest_version_file

    latest = latest_version_file(REPO / "releases" / "act-premium-support-scope")
    assert latest is not None
    claimed = 0
    for command in _command_names():
        lines = Cli()(command, "--help").output.splitlines()
        for comment, example in itertools.pairwise(lines):
            if comment.strip().startswith("#") and "latest release" in comment:
                claimed += 1
                assert f"releases/act-premium-support-scope/{latest.name}" in example, (command, example)
    assert claimed >= 1  # diff's first example says so
