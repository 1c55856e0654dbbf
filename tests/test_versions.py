"""Versions: semver, releases (support-scope release) and the CI gate (support-scope check)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from support_scope.errors import InputError, ReleaseError
from support_scope.model.semver import Version, bump_between, bump_satisfies, bump_version
from support_scope.versions.changelog import has_section, insert_section
from support_scope.versions.gate import check
from support_scope.versions.release import plan_release, set_version
from support_scope.versions.store import latest_release
from test_diff import CASES, small_policy

CHANGELOG = """# Changelog

All notable changes to this project are documented in this file.

## [Unreleased]

### Added
- Something.

## [0.1.0] - 2026-01-01

### Added
- The start.
"""


# --------------------------------------------------------------------------- versions


def test_semver_order() -> None:
    ordered = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0",
        "1.0.1",
        "1.10.0",
        "2.0.0",
    ]
    parsed = [Version.parse(v) for v in ordered]
    assert sorted(parsed, key=Version.key) == parsed
    assert Version.parse("1.0.0+build").key() == Version.parse("1.0.0").key()
    with pytest.raises(InputError):
        Version.parse("1.0")


def test_bumps() -> None:
    assert bump_version("1.2.3", "major") == "2.0.0"
    assert bump_version("1.2.3", "minor") == "1.3.0"
    assert bump_version("1.2.3", "patch") == "1.2.4"
    assert bump_between("1.2.3", "2.0.0") == "major"
    assert bump_between("1.2.3", "1.3.0") == "minor"
    assert bump_between("1.2.3", "1.2.4") == "patch"
    assert bump_between("1.2.3", "1.2.3") is None
    assert bump_between("1.2.3", "1.2.0") is None
    assert bump_satisfies("major", "minor") and bump_satisfies("patch", None)
    assert not bump_satisfies("minor", "major") and not bump_satisfies(None, "patch")


def test_changelog_sections() -> None:
    section = "## [policy demo-scope 1.0.0] - 2026-11-26\n\nFirst release.\n"
    updated = insert_section(CHANGELOG, section)
    assert has_section(updated, "demo-scope", "1.0.0")
    assert not has_section(updated, "demo-scope", "1.0.1")
    assert not has_section(CHANGELOG, "demo-scope", "1.0.0")
    # Below the Unreleased section, above the older versions.
    assert (
        updated.index("- Something.")
        < updated.index("[policy demo-scope 1.0.0]")
        < updated.index("## [0.1.0]")
    )
    assert updated.replace(section + "\n", "") == CHANGELOG


def test_set_version_touches_nothing_else() -> None:
    text = '{\n  "id": "x",\n  "version": "1.0.0",\n  "nested": {"version": "keep"}\n}\n'
    assert set_version(text, "2.0.0", "p.json") == text.replace('"1.0.0"', '"2.0.0"')


# --------------------------------------------------------------------------- a project on disk


def _write(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    _write(tmp_path / "policies" / "demo-scope.json", small_policy())
    (tmp_path / "CHANGELOG.md").write_text(CHANGELOG, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


POLICY = "policies/demo-scope.json"
DAY = "2026-11-26"


def _edit(project: Path, *rules: str, version: str | None = None) -> None:
    path = project / POLICY
    doc = json.loads(path.read_text(encoding="utf-8"))
    for rule in rules:
        CASES[rule][0](doc)
    if version is not None:
        doc["version"] = version
    _write(path, doc)


def _problems(project: Path) -> list[str]:
    return [p.rule for p in check(project).problems]


def test_first_release_then_a_breaking_one(run_cli: Any, project: Path) -> None:
    dry = run_cli("release", "--dry-run", "--date", DAY)
    assert dry.exit_code == 0, dry.output
    assert "would release demo-scope 1.0.0 (first release)" in dry.output
    assert not (project / "releases").exists()
    assert (project / "CHANGELOG.md").read_text(encoding="utf-8") == CHANGELOG

    first = run_cli("release", POLICY, "--date", DAY)
    assert first.exit_code == 0, first.output
    release_file = project / "releases" / "demo-scope" / "1.0.0.json"
    assert release_file.is_file()
    changelog = (project / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [policy demo-scope 1.0.0] - {DAY}\n\nFirst release of the policy." in changelog
    assert "3 categories, 9 items (7 included, 2 excluded)" in changelog
    assert check(project).ok
    assert run_cli("check").exit_code == 0

    # Nothing changed: nothing to release; released files are never rewritten.
    again = run_cli("release", POLICY)
    assert again.exit_code == 1 and "nothing to release" in again.output

    _edit(project, "item-tier-raised", "item-added")
    refused = run_cli("release", POLICY, "--bump", "minor")
    assert refused.exit_code == 1
    assert "needs at least a major bump" in refused.output
    assert "support-scope release --bump major" in refused.output
    assert not (project / "releases" / "demo-scope" / "1.1.0.json").exists()

    second = run_cli("release", POLICY, "--date", DAY)
    assert second.exit_code == 0, second.output
    assert "released demo-scope 2.0.0" in second.output
    assert json.loads((project / POLICY).read_text(encoding="utf-8"))["version"] == "2.0.0"
    assert latest_release(project, "demo-scope") is not None
    assert latest_release(project, "demo-scope").version == "2.0.0"  # type: ignore[union-attr]
    changelog = (project / "CHANGELOG.md").read_text(encoding="utf-8")
    section = changelog[
        changelog.index("## [policy demo-scope 2.0.0]") : changelog.index("## [policy demo-scope 1.0.0]")
    ]
    assert "Required bump: major (breaking)" in section
    assert "### Breaking: some customers lose coverage" in section and "[`item-tier-raised`]" in section
    assert "### Added coverage" in section and "[`item-added`]" in section
    assert check(project).ok


def test_drafted_section_names_ids_words_and_plans(run_cli: Any, project: Path) -> None:
    assert run_cli("release", POLICY, "--date", DAY).exit_code == 0
    _edit(project, "item-tier-raised", "text-changed")
    dry = run_cli("release", POLICY, "--dry-run", "--date", DAY)
    assert dry.exit_code == 0, dry.output
    section = dry.output[dry.output.index("## [policy demo-scope 2.0.0]") :]
    breaking = section[section.index("### Breaking") : section.index("### Editorial")]
    assert "- `setup` › `setup-errors`: «" in breaking
    assert "now needs tier 'extended' (was 'standard')" in breaking
    assert "[`item-tier-raised`]" in breaking
    assert "  - plans — loses: standard" in breaking
    editorial = section[section.index("### Editorial") :]
    assert "- `setup` › `setup-errors`: French text changed (legal review) [`text-changed`]" in editorial
    assert "~~l'installation~~ **la configuration**" in editorial


def test_nothing_to_release(run_cli: Any, project: Path) -> None:
    assert run_cli("release", POLICY, "--date", DAY).exit_code == 0
    before = (project / "CHANGELOG.md").read_bytes()
    message = f"nothing to release: {POLICY} is the same as its release 1.0.0"
    real = run_cli("release", POLICY)
    assert real.exit_code == 1 and message in real.output
    # A dry run that finds nothing to release is not a failure: it says so and exits 0.
    dry = run_cli("release", POLICY, "--dry-run")
    assert dry.exit_code == 0 and message in dry.output
    data = json.loads(run_cli("release", "--dry-run", "--format", "json").output)
    assert data["nothing_to_release"] and data["message"] == message
    assert (project / "CHANGELOG.md").read_bytes() == before


def test_release_refuses_without_a_changelog(run_cli: Any, project: Path) -> None:
    (project / "CHANGELOG.md").unlink()
    for args in ((), ("--dry-run",)):
        result = run_cli("release", POLICY, *args)
        assert result.exit_code == 1
        assert f"no CHANGELOG.md at {project}: create one (Keep a Changelog) first" in result.output
        assert "Traceback" not in result.output
    assert not (project / "CHANGELOG.md").exists()
    assert not (project / "releases").exists()
    # An unreadable CHANGELOG is an error too, never replaced by a new one.
    (project / "CHANGELOG.md").write_bytes(b"# Changelog\n\xff\n")
    unreadable = run_cli("release", POLICY)
    assert unreadable.exit_code == 1 and "CHANGELOG.md:2:1: not UTF-8" in unreadable.output
    assert (project / "CHANGELOG.md").read_bytes() == b"# Changelog\n\xff\n"


def test_release_choices(run_cli: Any, project: Path) -> None:
    first_with_bump = run_cli("release", POLICY, "--bump", "major")
    assert first_with_bump.exit_code == 1 and "first release" in first_with_bump.output
    assert run_cli("release", POLICY).exit_code == 0
    _edit(project, "translation-changed")
    plan = plan_release(project, project / POLICY, None, date(2026, 11, 26))
    assert (plan.required_bump, plan.version) == ("patch", "1.0.1")
    plan = plan_release(project, project / POLICY, "minor", date(2026, 11, 26))
    assert plan.version == "1.1.0"  # a larger step than needed is allowed
    json_out = run_cli("release", POLICY, "--dry-run", "--format", "json")
    data = json.loads(json_out.output)
    assert data["dry_run"] and data["version"] == "1.0.1" and data["diff"]["required_bump"] == "patch"
    # The policy's own version, bumped by hand far enough, is kept.
    _edit(project, version="1.0.5")
    assert plan_release(project, project / POLICY, None, date(2026, 11, 26)).version == "1.0.5"


def test_release_refuses_an_existing_version(project: Path) -> None:
    assert check(project).problems
    plan = plan_release(project, project / POLICY, None, date(2026, 11, 26))
    target = plan.release_path
    target.parent.mkdir(parents=True)
    target.write_bytes(b"{}")
    with pytest.raises(ReleaseError):
        plan_release(project, project / POLICY, None, date(2026, 11, 26))


def test_release_refuses_an_invalid_policy(run_cli: Any, project: Path) -> None:
    doc = small_policy()
    doc["plans"][0]["tier"] = "gold"
    _write(project / POLICY, doc)
    result = run_cli("release", POLICY)
    assert result.exit_code == 1
    assert "unknown tier 'gold'" in result.output
    assert not (project / "releases").exists()


# --------------------------------------------------------------------------- the gate


@pytest.fixture
def released(run_cli: Any, project: Path) -> Path:
    assert run_cli("release", POLICY, "--date", DAY).exit_code == 0
    assert check(project).ok
    return project


def test_gate_never_released(project: Path, run_cli: Any) -> None:
    assert _problems(project) == ["not-released"]
    result = run_cli("check")
    assert result.exit_code == 1
    assert "run `support-scope release policies/demo-scope.json`" in result.output


def test_gate_missing_bump(released: Path, run_cli: Any) -> None:
    _edit(released, "item-removed")
    assert _problems(released) == ["version-not-bumped"]
    result = run_cli("check")
    assert result.exit_code == 1
    assert "run `support-scope release --bump major`" in result.output


def test_gate_too_small_bump(released: Path) -> None:
    _edit(released, "item-removed", version="1.1.0")
    problems = check(released).problems
    assert [p.rule for p in problems] == ["version-bump-too-small", "changelog-missing"]
    assert "set the version to 2.0.0" in problems[0].message


def test_gate_enough_bump_needs_a_changelog_section(released: Path) -> None:
    _edit(released, "item-added", version="1.1.0")
    assert _problems(released) == ["changelog-missing"]
    changelog = released / "CHANGELOG.md"
    text = changelog.read_text(encoding="utf-8")
    changelog.write_text(
        insert_section(text, "## [policy demo-scope 1.1.0] - 2026-11-27\n\n- Added a service.\n"),
        encoding="utf-8",
    )
    report = check(released)
    assert report.ok
    assert report.policies[0].state == "pending"
    assert report.policies[0].required_bump == "minor"


def test_gate_missing_changelog_section_for_the_release(released: Path) -> None:
    changelog = released / "CHANGELOG.md"
    changelog.write_text(CHANGELOG, encoding="utf-8")
    assert _problems(released) == ["changelog-missing"]


def test_gate_edited_release(released: Path, run_cli: Any) -> None:
    path = released / "releases" / "demo-scope" / "1.0.0.json"
    release = json.loads(path.read_text(encoding="utf-8"))
    release["policy"]["categories"][0]["items"][0]["tier"] = "extended"
    path.write_text(
        json.dumps(release, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n",
        encoding="utf-8",
    )
    assert "release-modified" in _problems(released)
    result = run_cli("check", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert not data["ok"]
    problem = next(p for p in data["problems"] if p["rule"] == "release-modified")
    assert "changed after it was compiled" in problem["message"]
    assert "git checkout -- releases/demo-scope/1.0.0.json" in problem["message"]


def test_gate_damaged_release_is_not_reported_as_released(released: Path, run_cli: Any) -> None:
    path = released / "releases" / "demo-scope" / "1.0.0.json"
    data = bytearray(path.read_bytes())
    data[data.index(b'"fr":"') + 7] ^= 1  # one byte changed
    path.write_bytes(bytes(data))
    assert check(released).policies[0].state == "unverified"
    result = run_cli("check")
    assert result.exit_code == 1
    assert "same as its release" not in result.output
    assert "latest release 1.0.0 is damaged" in result.output


def test_gate_unreadable_changelog(released: Path) -> None:
    (released / "CHANGELOG.md").write_bytes(b"\xff\xfe")
    problem = next(p for p in check(released).problems if p.rule == "no-changelog")
    assert "not UTF-8" in problem.message


def test_gate_reformatted_release(released: Path) -> None:
    path = released / "releases" / "demo-scope" / "1.0.0.json"
    path.write_text(json.dumps(json.loads(path.read_text(encoding="utf-8")), indent=2), encoding="utf-8")
    assert _problems(released) == ["release-modified"]


def test_gate_misfiled_release(released: Path) -> None:
    source = released / "releases" / "demo-scope" / "1.0.0.json"
    (released / "releases" / "demo-scope" / "0.9.0.json").write_bytes(source.read_bytes())
    assert _problems(released) == ["release-misfiled"]


def test_gate_invalid_policy(released: Path) -> None:
    doc = small_policy()
    doc["plans"][0]["tier"] = "gold"
    _write(released / POLICY, doc)
    problems = check(released).problems
    assert [p.rule for p in problems] == ["unknown-tier"]
    assert problems[0].line is not None


def test_gate_text_output(released: Path, run_cli: Any) -> None:
    result = run_cli("check")
    assert result.exit_code == 0
    assert "demo-scope 1.0.0: same as its release 1.0.0" in result.output
    assert "ok: 1 policy, 1 release verified" in result.output


def test_gate_root_option(
    released: Path, run_cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path.parent)
    assert run_cli("check", "--root", str(released)).exit_code == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli("check", "--root", str(empty))
    assert result.exit_code == 1
    assert "no policy" in result.output


def test_release_finds_the_policy_under_root(
    released: Path, run_cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = small_policy()
    doc["categories"][0]["title"]["en"] = "Setup, revised"
    _write(released / POLICY, doc)
    monkeypatch.chdir(tmp_path.parent)
    result = run_cli("release", "--root", str(released), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would release demo-scope 1.0.1" in result.output


def test_release_of_a_policy_whose_version_is_not_semver(released: Path, run_cli: Any) -> None:
    doc = small_policy()
    doc["version"] = "one"
    _write(released / POLICY, doc)
    result = run_cli("release", "--dry-run")
    assert result.exit_code == 1
    assert "$.version" in result.output and "not a semantic version" in result.output


# --------------------------------------------------------------------------- the shipped release


def test_shipped_release_is_intact(shipped_policy: Path) -> None:
    from support_scope.validate import document_findings
    from support_scope.versions.store import read_release

    repo = shipped_policy.parents[1]
    latest = latest_release(repo, "act-premium-support-scope")
    assert latest is not None, "act-premium-support-scope has a release"
    release = read_release(latest.path)
    assert release["manifest"]["policy_version"] == latest.version
    assert document_findings(release["policy"]) == []
    assert has_section(
        (repo / "CHANGELOG.md").read_text(encoding="utf-8"), "act-premium-support-scope", latest.version
    )
