"""The other findings of issue 10, one test (or a few) each, through the command line: a
located message and exit 1 where the input is wrong, never a traceback, nothing written.

4: a condition nested 330 deep; 5: compile to a full disk; 6: repeated eligibility ids; 10: git
option injection; 11: patterns and a trailing line break; 13: invisible characters; 15: numbers
of 5,000 digits; 17: validate on a deep invalid policy; 19: messages; n: a misfiled release.
(12, 14, 16, 18 and 20 are in the workbook, release and fault suites.)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from attacks.hostile import (
    LATEST_VERSION,
    POLICY,
    POLICY_ID,
    RELEASE,
    Book,
    breaking_change,
    load_policy,
    nested,
    save_policy,
    snapshot_files,
)

# ---- 4: a condition nested 330 deep


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", POLICY],
        ["export-xlsx", POLICY, "-o", "out.xlsx"],
        ["check"],
        ["release", "--bump", "major"],
        ["compile", POLICY],
    ],
    ids=lambda argv: argv[0],
)
def test_a_condition_nested_330_deep_is_refused_where_it_stands(
    argv: list[str], project: Path, run_cli: Any
) -> None:
    document = load_policy(project)
    document["eligibility"]["conditions"][0]["test"] = nested(330)
    save_policy(project, document)
    before = snapshot_files(project)
    result = run_cli(*argv)
    assert result.exit_code == 1, result.output
    assert re.search(
        r"act-premium-support-scope\.json:\d+:\d+ \$\.eligibility\.conditions\[0\]\.test", result.output
    ), result.output
    assert snapshot_files(project) == before and not (project / "out.xlsx").exists()


def test_diff_of_a_policy_nested_330_deep_does_not_crash(project: Path, run_cli: Any) -> None:
    document = load_policy(project)
    document["eligibility"]["conditions"][0]["test"] = nested(330)
    save_policy(project, document)
    result = run_cli("diff", RELEASE, POLICY)
    assert result.exit_code in (0, 1), result.output
    assert "RecursionError" not in result.output and "maximum recursion" not in result.output


def test_importing_a_test_nested_330_deep_writes_nothing(
    project: Path, exported: bytes, tmp_path: Path, run_cli: Any
) -> None:
    book = Book(exported)
    row = book.row_of("Conditions", "eligibility-active-subscription")
    book.set_cell(
        "Conditions",
        f"{book.col('Conditions', 'Test')}{row}",
        "all(" * 330 + "active_subscription = true" + ")" * 330,
    )
    before = snapshot_files(project)
    result = run_cli("import-xlsx", str(book.save(tmp_path / "review.xlsx")), "--into", POLICY)
    assert result.exit_code == 1, result.output
    assert re.search(rf"Conditions!E{row}", result.output), result.output
    assert snapshot_files(project) == before


# ---- 5: compile to a full disk


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_compile_to_a_full_device_fails(project: Path) -> None:
    with Path("/dev/full").open("wb") as full:
        done = _cli_process(project, ["compile", POLICY], stdout=full)
    assert done.returncode == 1, done.stderr
    assert "cannot write" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.skipif(os.name != "posix", reason="RLIMIT_FSIZE is POSIX")
def test_compile_to_a_disk_that_fills_mid_write_fails(project: Path, tmp_path: Path) -> None:
    """The first 64 KiB are written, then the disk is full: exit 1, never 0 with half a release."""
    out = tmp_path / "release.json"
    with out.open("wb") as handle:
        done = _cli_process(project, ["compile", POLICY], stdout=handle, file_limit=64 * 1024)
    assert done.returncode == 1, done.stderr
    assert "cannot write" in done.stderr and "Traceback" not in done.stderr
    assert out.stat().st_size < len((project / RELEASE).read_bytes())


_MAIN = "import sys, resource\nlimit = int(sys.argv.pop(1))\nif limit: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))\nfrom support_scope.cli.main import main\nsys.exit(main(sys.argv[1:]))\n"


def _cli_process(
    project: Path, argv: list[str], stdout: Any, file_limit: int = 0
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _MAIN, str(file_limit), *argv],
        cwd=project,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )


# ---- 6: repeated eligibility condition ids


def test_repeated_eligibility_condition_ids_are_refused(project: Path, run_cli: Any, tmp_path: Path) -> None:
    document = load_policy(project)
    conditions = document["eligibility"]["conditions"]
    conditions[1]["id"] = conditions[0]["id"]
    save_policy(project, document)
    result = run_cli("validate", POLICY)
    assert result.exit_code == 1
    assert re.search(r"\$\.eligibility\.conditions\[1\]\.id: duplicate condition id", result.output), (
        result.output
    )
    exported = run_cli("export-xlsx", POLICY, "-o", str(tmp_path / "review.xlsx"))
    assert exported.exit_code == 1 and not (tmp_path / "review.xlsx").exists()


# ---- 10: git option injection


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_revision_that_looks_like_an_option_is_refused(project: Path, run_cli: Any) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t.invalid", "GIT_CONFIG_NOSYSTEM": "1"}  # fmt: skip
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "snapshot"]):
        subprocess.run(["git", *args], cwd=project, env=env, check=True, capture_output=True)
    result = run_cli("diff", "--", "--output=pwned.txt:x", POLICY)
    assert result.exit_code == 1, result.output
    assert "--output=pwned.txt" in result.output
    assert not list(project.glob("pwned*")) and not list(project.parent.glob("pwned*"))


# ---- 11: a trailing line break passes Python's `$`, not ECMA-262's


@pytest.mark.parametrize(
    ("where", "path"),
    [
        ("id", r"\$\.id"),
        ("version", r"\$\.version"),
        ("fact", r"\$\.facts\[0\]\.id"),
        ("language", r"\$\.languages\[1\]"),
    ],
)
def test_a_trailing_line_break_is_not_part_of_an_id(
    where: str, path: str, project: Path, run_cli: Any
) -> None:
    document = load_policy(project)
    if where == "id":
        document["id"] += "\n"
    elif where == "version":
        document["version"] += "\n"
    elif where == "fact":
        document["facts"][0]["id"] += "\n"
    else:
        document["languages"][1] += "\n"
    save_policy(project, document)
    result = run_cli("validate", POLICY)
    assert result.exit_code == 1, result.output
    assert re.search(path, result.output), result.output
    released = run_cli("release")
    assert released.exit_code == 1
    assert not [p for p in (project / "releases").rglob("*") if "\n" in p.name]


# ---- 13: invisible and bidirectional characters


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\u200d", "\u2028", "\ufeff"])
def test_invisible_characters_are_refused_in_texts(char: str, project: Path, run_cli: Any) -> None:
    document = load_policy(project)
    item = document["categories"][0]["items"][0]
    item["text"]["fr"] = item["text"]["fr"].replace("Base de", f"Base{char} de")
    save_policy(project, document)
    result = run_cli("validate", POLICY)
    assert result.exit_code == 1, result.output
    code = f"U+{ord(char):04X}"
    assert re.search(rf"\$\.categories\[0\]\.items\[0\]\.text\.fr: .*{re.escape(code)}", result.output), (
        result.output
    )


# ---- 15: numbers of more than 4,300 digits


BIG = "1" + "0" * 4999


def test_a_5000_digit_integer_is_located(project: Path, run_cli: Any) -> None:
    text = (project / POLICY).read_text(encoding="utf-8").replace('"page": 2,', f'"page": {BIG},', 1)
    (project / POLICY).write_text(text, encoding="utf-8")
    for argv in (["validate", POLICY], ["diff", RELEASE, POLICY]):
        result = run_cli(*argv)
        assert result.exit_code == 1, result.output
        assert re.search(r"act-premium-support-scope\.json:\d+:\d+: .*4,300 digits", result.output), (
            result.output
        )


@pytest.mark.parametrize("command", ["validate", "check", "release"])
def test_a_version_of_5000_digits_is_located(command: str, project: Path, run_cli: Any) -> None:
    breaking_change(project)
    document = load_policy(project)
    document["version"] = f"{BIG}.0.0"
    save_policy(project, document)
    before = snapshot_files(project)
    result = run_cli(command)
    assert result.exit_code == 1, result.output
    assert "$.version" in result.output, result.output
    assert snapshot_files(project) == before


# ---- 17: validate on an invalid policy with a deep condition


def test_validate_reports_an_invalid_deep_policy(project: Path, run_cli: Any) -> None:
    document = load_policy(project)
    document["eligibility"]["conditions"][0]["test"] = nested(150)
    document["eligibility"]["conditions"][0]["colour"] = "red"
    save_policy(project, document)
    result = run_cli("validate", POLICY)
    assert result.exit_code == 1, result.output
    assert re.search(r"\$\.eligibility\.conditions\[0\]", result.output), result.output


# ---- 19: messages


@pytest.mark.parametrize("field", ["id", "version"])
def test_a_dry_run_reports_a_long_id_or_version_not_a_file_error(
    field: str, project: Path, run_cli: Any
) -> None:
    breaking_change(project)
    document = load_policy(project)
    if field == "id":
        document["id"] = "a" * 300
    else:
        document["version"] = "2.0.0-" + "a" * 300
    save_policy(project, document)
    result = run_cli("release", POLICY, "--dry-run")
    assert result.exit_code == 1, result.output
    assert f"$.{field}" in result.output, result.output
    assert "cannot write the output" not in result.output and "File name too long" not in result.output


# ---- n: a release filed under another version's name


def test_release_refuses_a_latest_release_that_is_misfiled(project: Path, run_cli: Any) -> None:
    breaking_change(project)
    shutil.copy2(project / RELEASE, project / "releases" / POLICY_ID / "9.0.0.json")
    before = snapshot_files(project)
    result = run_cli("release")
    assert result.exit_code == 1, result.output
    assert (
        f"9.0.0.json: holds act-premium-support-scope {LATEST_VERSION}, not act-premium-support-scope 9.0.0"
        in result.output
    )
    assert snapshot_files(project) == before
    assert json.loads((project / POLICY).read_text(encoding="utf-8"))["version"] == LATEST_VERSION


def test_release_refuses_a_release_file_not_named_by_a_version(project: Path, run_cli: Any) -> None:
    """n: `1١.0.0.json` (an Arabic-Indic one) was read as 11.0.0 and `release` cut 12.0.0 on top
    of it; no version order sees it now, and `release` refuses it as `check` does."""
    breaking_change(project)
    shutil.copy2(project / RELEASE, project / "releases" / POLICY_ID / "1\u0661.0.0.json")
    before = snapshot_files(project)
    result = run_cli("release")
    assert result.exit_code == 1, result.output
    assert "1\u0661.0.0.json: not named by a version" in result.output, result.output
    assert snapshot_files(project) == before
