"""Version discipline: releases, the version bump a change needs, the CHANGELOG, the CI gate.

Layout under a project root:

- ``policies/<policy-id>.json``: the policies being edited;
- ``releases/<policy-id>/<version>.json``: the compiled release of every released version,
  immutable (its manifest digest is verified);
- ``CHANGELOG.md``: one section per released policy version, headed
  ``## [policy <policy-id> <version>] - YYYY-MM-DD``.

``plan_release`` computes everything a release writes and ``apply_release`` writes it;
``check`` is the gate CI runs. Neither prints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from support_scope.diff import Diff, diff_documents, render_note
from support_scope.errors import InputError, PolicyError, ReleaseError
from support_scope.files import parse_json, read_text, write_atomic
from support_scope.result import Problem
from support_scope.semver import Version, latest_version_file

BUMPS = ("patch", "minor", "major")
_BUMP_RANK = {name: rank for rank, name in enumerate(BUMPS, start=1)}
CHANGELOG = "CHANGELOG.md"


# --------------------------------------------------------------------------- versions


def bump_version(version: str, bump: str) -> str:
    """The next version: ``1.2.3`` bumped ``minor`` is ``1.3.0`` (a pre-release part is dropped)."""
    v = Version.parse(version)
    if bump == "major":
        return f"{v.major + 1}.0.0"
    if bump == "minor":
        return f"{v.major}.{v.minor + 1}.0"
    if bump == "patch":
        return f"{v.major}.{v.minor}.{v.patch + 1}"
    raise InputError(f"unknown bump {bump!r} (major, minor or patch)")


def bump_between(old: str, new: str) -> str | None:
    """The size of the step from ``old`` to ``new`` (``major``/``minor``/``patch``), None if not above."""
    a, b = Version.parse(old), Version.parse(new)
    if not b > a:
        return None
    if b.major != a.major:
        return "major"
    if b.minor != a.minor:
        return "minor"
    return "patch"


def bump_satisfies(actual: str | None, required: str | None) -> bool:
    """True when a bump of size ``actual`` is at least ``required``."""
    if required is None:
        return True
    return actual is not None and _BUMP_RANK[actual] >= _BUMP_RANK[required]


# --------------------------------------------------------------------------- releases on disk


@dataclass(frozen=True)
class ReleaseFile:
    policy_id: str
    version: str
    path: Path


def latest_release(root: Path, policy_id: str) -> ReleaseFile | None:
    """The release with the highest version, or None before the first release."""
    path = latest_version_file(root / "releases" / policy_id)
    return ReleaseFile(policy_id, path.stem, path) if path is not None else None


def read_release(path: Path, display: str | None = None) -> dict[str, Any]:
    """A release file, its digest verified and its bytes in canonical form."""
    from support_scope.compile import release_bytes
    from support_scope.sides import verify_release

    name = display or str(path)
    text = read_text(path, name)
    release = parse_json(text, name)
    if not isinstance(release, dict) or "manifest" not in release or "policy" not in release:
        raise ReleaseError(f"{name}: not a compiled release (no manifest and policy)")
    verify_release(release, name)
    if release_bytes(release) != text.encode("utf-8"):
        raise ReleaseError(
            f"{name}: the file is not in the canonical form the compiler wrote (it was edited)"
        )
    return release


# --------------------------------------------------------------------------- CHANGELOG


def section_heading(policy_id: str, version: str) -> str:
    """The CHANGELOG heading prefix of a policy version: ``## [policy <id> <version>]``."""
    return f"## [policy {policy_id} {version}]"


def has_section(changelog: str, policy_id: str, version: str) -> bool:
    """True when the CHANGELOG has a section for this policy version."""
    pattern = re.compile(r"^" + re.escape(section_heading(policy_id, version)) + r"(\s|$)", re.MULTILINE)
    return bool(pattern.search(changelog))


def insert_section(changelog: str, section: str) -> str:
    """The CHANGELOG with ``section`` inserted right after the ``## [Unreleased]`` section."""
    lines = changelog.splitlines(keepends=True)
    unreleased = next((i for i, line in enumerate(lines) if line.startswith("## [Unreleased]")), None)
    if unreleased is None:
        # No Unreleased section: the new section goes before the first version section.
        position = next((i for i, line in enumerate(lines) if line.startswith("## ")), len(lines))
    else:
        position = next(
            (i for i in range(unreleased + 1, len(lines)) if lines[i].startswith("## ")),
            len(lines),
        )
    head = "".join(lines[:position])
    if head and not head.endswith("\n"):
        head += "\n"
    if head and not head.endswith("\n\n"):
        head += "\n"
    return head + section.rstrip("\n") + "\n\n" + "".join(lines[position:])


def draft_section(
    policy_id: str, version: str, today: date, diff: Diff | None, document: dict[str, Any]
) -> str:
    """A CHANGELOG section drafted from the diff, for a person to edit before merging.

    One entry per change, by severity: ``category › item``, what changed, the rule id, the
    plans that gain or lose, French texts marked word by word (``~~old~~ **new**``).
    """
    lines = [f"{section_heading(policy_id, version)} - {today.isoformat()}", ""]
    if diff is None:
        categories = [c for c in document.get("categories", []) if isinstance(c, dict)]
        items = [i for c in categories for i in c.get("items", []) if isinstance(i, dict)]
        included = sum(1 for i in items if i.get("status") == "included")
        plans = ", ".join(p.get("id", "?") for p in document.get("plans", []) if isinstance(p, dict))
        tiers = ", ".join(t.get("id", "?") for t in document.get("tiers", []) if isinstance(t, dict))
        eligible = ", ".join(
            p.get("id", "?")
            for p in document.get("products", [])
            if isinstance(p, dict) and p.get("eligible")
        )
        lines += [
            "First release of the policy.",
            "",
            "### Added",
            f"- {len(categories)} categories, {len(items)} items ({included} included, {len(items) - included} excluded).",
            f"- Tiers {tiers}; plans {plans}; eligible products {eligible}.",
        ]
        return "\n".join(lines) + "\n"
    count = len(diff.changes)
    lines += [
        f"Required bump: {diff.required_bump} ({diff.severity}); {count} change{'s' if count != 1 else ''}.",
        "",
    ]
    groups = (
        ("breaking", "### Breaking: some customers lose coverage"),
        ("additive", "### Added coverage"),
        ("editorial", "### Editorial"),
    )
    for severity, heading in groups:
        changes = [c for c in diff.changes if c.severity == severity]
        if changes:
            lines += [heading, *(line for c in changes for line in render_note(c)), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


# --------------------------------------------------------------------------- release


class NothingToRelease(ReleaseError):
    """The policy is the same as its latest release: there is nothing to release."""


@dataclass
class ReleasePlan:
    """What ``release`` writes: the bumped policy, the release file, the CHANGELOG."""

    policy_id: str
    policy_path: Path
    previous: str | None
    version: str
    required_bump: str | None
    bump: str | None
    diff: Diff | None
    release_path: Path
    release_data: bytes
    policy_data: bytes
    changelog_path: Path
    changelog_data: bytes
    section: str

    @property
    def policy_changed(self) -> bool:
        """False when the policy file already carries the released version (nothing to rewrite)."""
        try:
            return self.policy_path.read_bytes() != self.policy_data
        except OSError:
            return True

    def to_json(self) -> dict[str, Any]:
        return {
            "policy_id": self.policy_id,
            "policy": str(self.policy_path),
            "previous_version": self.previous,
            "version": self.version,
            "required_bump": self.required_bump,
            "bump": self.bump,
            "release": str(self.release_path),
            "changelog": str(self.changelog_path),
            "changelog_section": self.section,
            "diff": self.diff.to_json() if self.diff is not None else None,
        }


def set_version(text: str, version: str, display: str) -> str:
    """The policy text with its top-level ``version`` replaced, nothing else touched."""
    import json

    from support_scope.locate import locate_all

    line, column = locate_all(text, [("version",)])[("version",)]
    lines = text.splitlines(keepends=True)
    start = sum(len(x) for x in lines[: line - 1]) + column - 1
    if text[start : start + 1] != '"':
        raise PolicyError(f'{display}: no top-level "version" string to bump')
    _, end = json.JSONDecoder().raw_decode(text, start)
    return text[:start] + json.dumps(version) + text[end:]


def plan_release(
    root: Path, policy_path: Path, bump: str | None, today: date, display: str | None = None
) -> ReleasePlan:
    """Everything a release would write, computed without writing anything."""
    from support_scope.compile import compile_policy, release_bytes

    name = display or str(policy_path)
    text = read_text(policy_path, name)
    document = parse_json(text, name)
    if not isinstance(document, dict) or not isinstance(document.get("id"), str):
        raise PolicyError(f"{name}: not a policy (a JSON object with an id)")
    policy_id = document["id"]
    current = str(document.get("version", ""))
    try:
        Version.parse(current)
    except InputError as e:
        raise PolicyError(f"{name}: $.version: {e}") from e
    latest = latest_release(root, policy_id)
    diff: Diff | None = None
    required: str | None = None
    if latest is None:
        if bump is not None:
            raise ReleaseError(
                f"{policy_id} has no release yet: the first release is the policy's own version {current}; run without --bump"
            )
        version = current
    else:
        released = read_release(latest.path)
        diff = diff_documents(released["policy"], document)
        required = diff.required_bump
        if required is None:
            apart = f" (apart from its version {current})" if current != latest.version else ""
            raise NothingToRelease(
                f"nothing to release: {name} is the same as its release {latest.version}{apart}"
            )
        if bump is not None and not bump_satisfies(bump, required):
            raise ReleaseError(
                f"--bump {bump} is too small: the changes since {latest.version} are {diff.severity}, "
                f"which needs at least a {required} bump (run `support-scope release --bump {required}`)"
            )
        if bump is None and bump_satisfies(bump_between(latest.version, current), required):
            version = current  # already bumped by hand, enough
        else:
            bump = bump or required
            version = bump_version(latest.version, bump)
    release_path = root / "releases" / policy_id / f"{version}.json"
    if release_path.exists():
        raise ReleaseError(
            f"{release_path}: version {version} is already released and released files are immutable; bump the version"
        )
    new_text = text if version == current else set_version(text, version, name)
    new_document = {**document, "version": version}
    source = new_text.encode("utf-8")
    release = compile_policy(new_document, source, display=name)
    changelog_path = root / CHANGELOG
    if not changelog_path.exists():
        raise ReleaseError(
            f"no {CHANGELOG} at {root.absolute()}: create one (Keep a Changelog) first, "
            "with a `## [Unreleased]` section; the release drafts its section below it"
        )
    changelog = read_text(changelog_path, str(changelog_path))
    section = draft_section(policy_id, version, today, diff, new_document)
    new_changelog = (
        changelog if has_section(changelog, policy_id, version) else insert_section(changelog, section)
    )
    return ReleasePlan(
        policy_id=policy_id,
        policy_path=policy_path,
        previous=latest.version if latest else None,
        version=version,
        required_bump=required,
        bump=bump,
        diff=diff,
        release_path=release_path,
        release_data=release_bytes(release),
        policy_data=source,
        changelog_path=changelog_path,
        changelog_data=new_changelog.encode("utf-8"),
        section=section,
    )


def apply_release(plan: ReleasePlan) -> None:
    """Write the release, then the policy and the CHANGELOG, each atomically."""
    if plan.release_path.exists():
        raise ReleaseError(f"{plan.release_path}: already exists; released files are immutable")
    write_atomic(plan.release_path, plan.release_data, make_parents=True)
    if plan.policy_changed:
        write_atomic(plan.policy_path, plan.policy_data)
    write_atomic(plan.changelog_path, plan.changelog_data)


# --------------------------------------------------------------------------- the gate


@dataclass
class PolicyStatus:
    policy_id: str
    file: str
    version: str | None
    latest_release: str | None
    required_bump: str | None
    state: str  # "released", "pending", "unreleased", "unverified" (its latest release is damaged), "invalid"

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
        }


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def check(root: Path) -> CheckReport:
    """The CI gate: valid policies, intact releases, versions bumped as the diff requires, a CHANGELOG."""
    from support_scope.validate import load_validated

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
            manifest = release["manifest"]
            if manifest.get("policy_id") != directory.name or manifest.get("policy_version") != path.stem:
                report.problems.append(
                    Problem(
                        shown,
                        f"holds {manifest.get('policy_id')} {manifest.get('policy_version')}, not {directory.name} {path.stem}; {restore}",
                        "release-misfiled",
                    )
                )
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
        report.policies.append(_check_policy(root, shown, document, released, changelog, report.problems))
    return report


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
    counts = [f"{diff.count(s)} {s}" for s in ("breaking", "additive", "editorial") if diff.count(s)]
    return ", ".join(counts) if counts else "version only"
