"""The CI gate (``support-scope check``): valid policies, intact releases, versions bumped as the
changes require, a CHANGELOG section for every version. It never prints: it returns a report."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from support_scope.changes.differ import diff_documents
from support_scope.changes.result import Diff
from support_scope.errors import InputError
from support_scope.fileio.jsonfile import read_text
from support_scope.model.release import FORMAT
from support_scope.model.semver import bump_between, bump_satisfies, bump_version
from support_scope.model.vocab import SEVERITIES, Bump, CheckState
from support_scope.problems import Problem
from support_scope.versions.changelog import has_section, section_heading
from support_scope.versions.store import CHANGELOG, latest_release, misfiled, read_release

if TYPE_CHECKING:
    from support_scope.decisiontests.result import DecisionTestReport


@dataclass
class PolicyStatus:
    policy_id: str
    file: str
    version: str | None
    latest_release: str | None
    required_bump: Bump | None
    state: CheckState  # "unverified": its latest release is damaged; "invalid": it does not validate

    def to_json(self) -> dict[str, Any]:
        return {
            "policy_id": self.policy_id,
            "file": self.file,
            "version": self.version,
            "latest_release": self.latest_release,
            "required_bump": self.required_bump,
            "state": self.state,
        }


@dataclass
class CheckReport:
    problems: list[Problem] = field(default_factory=list)
    policies: list[PolicyStatus] = field(default_factory=list)
    releases_verified: int = 0
    decision_tests: list[DecisionTestReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "problem_count": len(self.problems),
            "problems": [p.to_json() for p in self.problems],
            "policies": [p.to_json() for p in self.policies],
            "releases_verified": self.releases_verified,
            "decision_tests": [tests.to_json() for tests in self.decision_tests],
        }


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def check(root: Path, *, decision_tests: bool = True, min_coverage: float | None = None) -> CheckReport:
    """The CI gate: valid policies, intact releases, versions bumped as the diff requires, a CHANGELOG;
    and, with ``decision_tests``, the project's decision tests of each valid policy
    (``tests/decisions/``), run against the policy as it stands."""
    from support_scope.validate.documents import load_validated

    report = CheckReport()
    policies = sorted((root / "policies").glob("*.json"))
    if not policies:
        report.problems.append(Problem("policies/", "no policy (*.json) to check", "no-policy"))
    try:
        changelog: str | None = read_text(root / CHANGELOG, CHANGELOG)
    except InputError as e:
        changelog = None
        report.problems.append(
            Problem(
                CHANGELOG,
                f"{_reason(str(e), CHANGELOG)}: it must be a UTF-8 file (Keep a Changelog) with a section "
                "per policy version (`support-scope release` drafts them)",
                "no-changelog",
            )
        )
    _leftovers(root, report)
    released: dict[str, dict[str, Any]] = {}
    releases_dir = root / "releases"
    for directory in sorted(p for p in releases_dir.iterdir() if p.is_dir()) if releases_dir.is_dir() else []:
        for path in sorted(directory.glob("*.json")):
            shown = _relative(path, root)
            restore = (
                f"restore it from version control (`git checkout -- {shown}`): released files are immutable"
            )
            try:
                release = read_release(path, shown)
            except InputError as e:
                report.problems.append(
                    Problem(shown, f"{_reason(str(e), shown)}; {restore}", "release-modified")
                )
                continue
            why = misfiled(release, directory.name, path.stem)
            if why is not None:
                report.problems.append(Problem(shown, f"{why}; {restore}", "release-misfiled"))
                continue
            report.releases_verified += 1
            released[f"{directory.name}/{path.stem}"] = release
    for path in policies:
        shown = _relative(path, root)
        document, result = load_validated(path, shown)
        if not result.ok:
            report.problems.extend(result.problems)
            report.policies.append(PolicyStatus("?", shown, None, None, None, "invalid"))
            continue
        found: list[Problem] = []
        status = _check_policy(root, shown, document, released, changelog, found)
        report.problems.extend(_located(found, path, shown))
        report.policies.append(status)
        if decision_tests:
            # A policy the same as its release (verified above, recompiled): its compiled part is
            # what compiling the policy would give, so the tests use it rather than compile again
            # (not a release of an older format, which this version does not decide with).
            same = (
                released.get(f"{status.policy_id}/{status.latest_release}")
                if status.state == "released"
                else None
            )
            if same is not None and same["manifest"].get("format") != FORMAT:
                same = None
            tests = _decision_tests(
                root, shown, document, same, len(policies) == 1, min_coverage, report.problems
            )
            if tests is not None:
                report.decision_tests.append(tests)
                report.problems.extend(tests.all_problems)
    if decision_tests and len(policies) > 1:
        loose = sorted((root / "tests" / "decisions").glob("*.json"))
        if loose:
            report.problems.append(
                Problem(
                    _relative(loose[0], root),
                    f"{len(loose)} decision test file(s) directly in tests/decisions/ while the project has "
                    f"{len(policies)} policies: move each into tests/decisions/<policy-id>/ for the policy it tests",
                    "decision-tests-misplaced",
                )
            )
    return report


def _leftovers(root: Path, report: CheckReport) -> None:
    """What interrupted runs left: a change committed but not completed, temporary files."""
    from support_scope.fileio.atomic import stray_temporaries
    from support_scope.fileio.transaction import JOURNAL_NAME, pending

    try:
        journal = pending(root)
    except InputError as e:
        report.problems.append(Problem(JOURNAL_NAME, str(e), "interrupted-change"))
    else:
        if journal is not None:
            report.problems.append(
                Problem(
                    JOURNAL_NAME,
                    f"{journal.what} was interrupted before it finished ({', '.join(journal.files)} "
                    f"may be half updated): run `{journal.command}` to complete it",
                    "interrupted-change",
                )
            )
    releases = root / "releases"
    directories = [root, root / "policies", releases]
    if releases.is_dir():
        directories += sorted(p for p in releases.iterdir() if p.is_dir())
    for path in stray_temporaries(*directories):
        report.problems.append(
            Problem(
                _relative(path, root),
                "a temporary file left by an interrupted run (killed, or the disk full): delete it "
                "(the next `support-scope release` or `import-xlsx` writing beside it removes it too)",
                "stray-temporary",
            )
        )


def _located(problems: list[Problem], path: Path, shown: str) -> list[Problem]:
    """The problems, those in the policy file located by line and column (``file:line:col $.version``),
    so that CI annotates the line to change."""
    wanted = [p for p in problems if p.file == shown and p.path is not None and p.line is None]
    if not wanted:
        return problems
    from dataclasses import replace

    from support_scope.fileio.locate import locate_all

    try:
        places = locate_all(read_text(path, shown), (p.path for p in wanted if p.path is not None))
    except (InputError, ValueError):
        return problems
    return [
        replace(p, line=places[p.path][0], column=places[p.path][1])
        if p in wanted and p.path is not None
        else p
        for p in problems
    ]


def _decision_tests(
    root: Path,
    shown: str,
    document: dict[str, Any],
    release: dict[str, Any] | None,
    single: bool,
    min_coverage: float | None,
    problems: list[Problem],
) -> DecisionTestReport | None:
    """The project's decision tests of a valid policy, run against it compiled in memory (None
    when it has none)."""
    from support_scope.decisiontests import default_test_files, policy_ruleset, read_test_file, run_tests
    from support_scope.errors import PolicyError

    files = default_test_files(root, document["id"], single)
    if not files:
        return None
    try:
        if release is not None:
            from support_scope.consume.ruleset import Ruleset

            ruleset = Ruleset(release["compiled"], release["manifest"], lambda: document, source=shown)
        else:
            ruleset = policy_ruleset(document, None, shown)
    except PolicyError as e:  # valid, yet it does not compile: say so rather than skip its tests
        problems.append(Problem(shown, f"its decision tests cannot run: {e}", "decision-test-error"))
        return None
    parsed = [read_test_file(path, _relative(path, root)) for path in files]
    return run_tests(ruleset, parsed, f"{shown}, compiled in memory", min_coverage)


def _reason(message: str, shown: str) -> str:
    return message[len(shown) :].lstrip(": ") if message.startswith(shown + ":") else message


def _check_policy(
    root: Path,
    shown: str,
    document: dict[str, Any],
    released: dict[str, dict[str, Any]],
    changelog: str | None,
    problems: list[Problem],
) -> PolicyStatus:
    policy_id, version = document["id"], document["version"]
    status = PolicyStatus(policy_id, shown, version, None, None, "released")
    if Path(shown).stem != policy_id:
        problems.append(
            Problem(
                shown,
                f"the file name should be the policy id: rename it {policy_id}.json",
                "policy-file-name",
                ("id",),
            )
        )
    latest = latest_release(root, policy_id)
    if latest is None:
        status.state = "unreleased"
        problems.append(
            Problem(
                shown,
                f"{policy_id} has never been released: run `support-scope release {shown}` to cut {version}",
                "not-released",
                ("version",),
            )
        )
        return status
    status.latest_release = latest.version
    release = released.get(f"{policy_id}/{latest.version}")
    if release is None:
        status.state = "unverified"  # the release failed its check: its problem is already reported
        return status
    diff = diff_documents(release["policy"], document)
    status.required_bump = diff.required_bump
    if not diff.changes and version == latest.version:
        status.state = "released"
    else:
        status.state = "pending"
        step = bump_between(latest.version, version)
        needed = diff.required_bump or "patch"
        if step is None:
            problems.append(
                Problem(
                    shown,
                    f"the policy differs from its latest release {latest.version} ({_changes(diff)}) but its version "
                    f"{version} is not above it: run `support-scope release --bump {needed}` (or set the version to "
                    f"{bump_version(latest.version, needed)} or higher)",
                    "version-not-bumped",
                    ("version",),
                )
            )
        elif not bump_satisfies(step, diff.required_bump):
            problems.append(
                Problem(
                    shown,
                    f"version {version} is a {step} bump over {latest.version}, but the changes are {diff.severity} "
                    f"({_changes(diff)}) and need a {needed} bump: set the version to {bump_version(latest.version, needed)} "
                    f"(`support-scope release --bump {needed}`); see `support-scope diff releases/{policy_id}/{latest.version}.json {shown}`",
                    "version-bump-too-small",
                    ("version",),
                )
            )
    if changelog is not None and not has_section(changelog, policy_id, version):
        problems.append(
            Problem(
                CHANGELOG,
                f"no section for {policy_id} {version}: add `{section_heading(policy_id, version)} - YYYY-MM-DD` "
                f"describing the changes (`support-scope release` drafts it)",
                "changelog-missing",
            )
        )
    return status


def _changes(diff: Diff) -> str:
    counts = [f"{diff.count(s)} {s}" for s in SEVERITIES if diff.count(s)]
    return ", ".join(counts) if counts else "version only"
