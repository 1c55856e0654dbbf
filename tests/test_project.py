"""Which policy, which release: one resolver for every command, one wording for wrong files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO
from support_scope.fileio.jsonfile import dump_json


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of this repository's policies, releases and CHANGELOG, as the current directory."""
    root = tmp_path / "scope"
    root.mkdir()
    for name in ("policies", "releases"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "CHANGELOG.md", root / "CHANGELOG.md")
    monkeypatch.chdir(root)
    return root


def _exclude(root: Path, item_id: str) -> None:
    path = root / "policies" / "act-premium-support-scope.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    for category in document["categories"]:
        for item in category["items"]:
            if item["id"] == item_id:
                item["status"] = "excluded"
                del item["tier"]
    path.write_text(dump_json(document), encoding="utf-8")


QUESTION = ["--plan", "standard", "--category", "desktop-setup", "--item", "desktop-setup-dialog-errors"]


def test_decide_answers_from_the_release_just_cut(project: Path, run_cli: Any) -> None:
    before = run_cli("decide", *QUESTION, "--lang", "en")
    assert before.output.startswith("INCLUDED")
    assert before.output.rstrip().endswith(
        "Answered by policy: act-premium-support-scope 2.0.1 (releases/act-premium-support-scope/2.0.1.json)"
    )
    _exclude(project, "desktop-setup-dialog-errors")
    released = run_cli("release", "--bump", "major", "--date", "2026-12-01")
    assert released.exit_code == 0, released.output
    after = run_cli("decide", *QUESTION, "--lang", "en")
    assert after.output.startswith("EXCLUDED")
    assert "act-premium-support-scope 3.0.0 (releases/act-premium-support-scope/3.0.0.json)" in after.output
    found = json.loads(run_cli("find", "boîtes de dialogues", "--format", "json").output)
    assert found["release"]["policy_version"] == "3.0.0"


def test_a_subdirectory_of_a_project_is_in_the_project(
    project: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "docs").mkdir()
    monkeypatch.chdir(project / "docs")
    result = run_cli("decide", *QUESTION, "--format", "json")
    assert json.loads(result.output)["release"]["policy_version"] == "2.0.1"
    assert run_cli("validate").output.endswith("ok: 1 file valid\n")


def test_outside_any_project_the_shipped_policy_answers(
    tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli("decide", *QUESTION, "--lang", "en")
    assert result.exit_code == 0
    assert "Answered by policy: act-premium-support-scope 2.0.1" in result.output
    assert run_cli("check").exit_code == 2  # the gate needs a project


def test_root_and_policy_options(
    project: Path, tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli(
        "decide",
        *QUESTION,
        "--root",
        str(project),
        "--policy",
        "act-premium-support-scope",
        "--format",
        "json",
    )
    assert json.loads(result.output)["release"]["policy_id"] == "act-premium-support-scope"
    unknown = run_cli("compile", "--root", str(project), "--policy", "no-such-scope")
    assert unknown.exit_code == 1
    assert (
        "no policy 'no-such-scope' in" in unknown.output
        and "(has: act-premium-support-scope)" in unknown.output
    )
    hostile = run_cli("compile", "--root", str(project), "--policy", "../../etc/passwd")
    assert hostile.exit_code == 1 and "is not a valid policy id" in hostile.output
    missing = run_cli("validate", "--root", str(tmp_path / "nowhere"))
    assert missing.exit_code == 1 and "no such directory" in missing.output


def test_several_policies_need_a_name(project: Path, run_cli: Any) -> None:
    shutil.copy(project / "policies" / "act-premium-support-scope.json", project / "policies" / "other.json")
    result = run_cli("compile")
    assert result.exit_code == 1
    assert "holds 2 policies (act-premium-support-scope, other): name one with --policy ID" in result.output


@pytest.mark.parametrize(
    "command",
    [
        ["validate"],
        ["compile"],
        ["export-xlsx", "-o", "out.xlsx"],
        ["decide", *QUESTION],
        ["find", "app"],
        ["test"],
    ],
    ids=lambda c: c[0],
)
def test_an_unknown_policy_id_is_named_alike_everywhere(
    project: Path, run_cli: Any, command: list[str]
) -> None:
    result = run_cli(*command, "--policy", "nope")
    assert result.exit_code == 1
    assert (
        result.output
        == "support-scope: error: no policy 'nope' in policies (has: act-premium-support-scope)\n"
    )


def test_a_policy_known_only_by_its_releases_still_answers(project: Path, run_cli: Any) -> None:
    """A service's directory may keep the releases of a policy whose file moved on: --policy
    names the releases; only an id with neither is unknown."""
    shutil.copytree(
        project / "releases" / "act-premium-support-scope", project / "releases" / "retired-scope"
    )
    result = run_cli("decide", *QUESTION, "--policy", "retired-scope", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("(releases/retired-scope/2.0.1.json)")


@pytest.mark.parametrize(
    "command",
    [
        ["compile", "{dir}"],
        ["export-xlsx", "{dir}", "-o", "out.xlsx"],
        ["release", "{dir}", "--dry-run"],
        ["decide", *QUESTION, "--release", "{dir}"],
        ["find", "app", "--release", "{dir}"],
    ],
    ids=lambda c: c[0],
)
def test_a_directory_is_refused_alike_everywhere(project: Path, run_cli: Any, command: list[str]) -> None:
    (project / "somewhere").mkdir()
    result = run_cli(*[part.format(dir="somewhere") for part in command])
    assert result.exit_code == 1, result.output
    expected = "release file" if "--release" in command else "policy file"
    assert result.output == f"support-scope: error: somewhere: is a directory, not a {expected}\n"


@pytest.mark.parametrize(
    "command",
    [
        ["compile", "{file}"],
        ["export-xlsx", "{file}", "-o", "out.xlsx"],
        ["release", "{file}", "--dry-run"],
        ["decide", *QUESTION, "--release", "{file}"],
    ],
    ids=lambda c: c[0],
)
def test_a_missing_file_is_refused_alike_everywhere(project: Path, run_cli: Any, command: list[str]) -> None:
    result = run_cli(*[part.format(file="nope.json") for part in command])
    assert result.exit_code == 1, result.output
    expected = "release file" if "--release" in command else "policy file"
    assert result.output == f"support-scope: error: nope.json: no such {expected}\n"


def test_the_wrong_kind_of_document_is_named(project: Path, run_cli: Any) -> None:
    release = "releases/act-premium-support-scope/2.0.0.json"
    policy = "policies/act-premium-support-scope.json"
    as_policy = run_cli("compile", release)
    assert as_policy.exit_code == 1
    assert f"{release}: is a compiled release, not a policy" in as_policy.output
    # validate says the same, once: not the dozens of schema problems of a policy read from the top
    validated = run_cli("validate", release)
    assert validated.exit_code == 1
    assert validated.output.splitlines() == [
        f'{release}: is a compiled release, not a policy (its policy is under "policy"; '
        "`support-scope check` verifies releases)",
        "1 problem in 1 of 1 file",
    ]
    as_release = run_cli("decide", *QUESTION, "--release", policy)
    assert as_release.exit_code == 1
    assert f"{policy}: not a compiled release" in as_release.output


@pytest.mark.parametrize(
    "text",
    ['{"id": "x", "version": "1.0.0" "categories": []}', '{"id": "x", "title": "unterminated}', "[1, 2"],
)
def test_messages_speak_json_not_python(project: Path, run_cli: Any, text: str) -> None:
    (project / "broken.json").write_text(text, encoding="utf-8")
    output = run_cli("compile", "broken.json").output
    assert output.startswith("support-scope: error: broken.json:1:")
    for internal in ("Expecting", "Unterminated", "delimiter", "starting at", "line 1 column"):
        assert internal not in output, output


def test_validate_names_policies_once(tmp_path: Path, run_cli: Any) -> None:
    both = run_cli("validate", "policies/x.json", "--policy", "x")
    assert both.exit_code == 2
    assert "name the policies once: PATHS or --policy ID" in both.output
    (tmp_path / "empty").mkdir()
    missing = run_cli("validate", "--root", str(tmp_path / "empty"))
    assert missing.exit_code == 1
    assert (
        missing.output.splitlines()[0] == f"{tmp_path / 'empty' / 'policies'}: no such directory of policies"
    )
    (tmp_path / "empty" / "policies").mkdir()
    empty = run_cli("validate", "--root", str(tmp_path / "empty"))
    assert (
        empty.output.splitlines()[0]
        == f"{tmp_path / 'empty' / 'policies'}: no policy (*.json) in this directory"
    )
