"""Cutting a release: the version step the changes require, the compiled release, the CHANGELOG section.

``plan_release`` computes everything a release writes and ``apply_release`` writes it, as one
transaction (:mod:`support_scope.fileio.transaction`): after an interruption the project is as
it was, or the next ``release`` completes the release (``check`` reports it until then).
``release_project`` does both under the project's lock. None of them prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from support_scope.changes.differ import diff_documents
from support_scope.changes.result import Diff
from support_scope.errors import InputError, PolicyError, ReleaseError
from support_scope.fileio.atomic import cannot_write, digest_bytes
from support_scope.fileio.jsonfile import decode_text, parse_json, read_bytes
from support_scope.model.semver import Version, bump_between, bump_satisfies, bump_version
from support_scope.model.vocab import Bump
from support_scope.versions.changelog import draft_section, has_section, insert_section
from support_scope.versions.store import CHANGELOG, latest_release, read_release, refuse_misfiled


class NothingToRelease(ReleaseError):
    """The policy is the same as its latest release: there is nothing to release."""


@dataclass
class ReleasePlan:
    """What ``release`` writes: the bumped policy, the release file, the CHANGELOG."""

    policy_id: str
    policy_path: Path
    previous: str | None
    version: str
    required_bump: Bump | None
    bump: Bump | None
    diff: Diff | None
    release_path: Path
    release_data: bytes
    policy_data: bytes
    changelog_path: Path
    changelog_data: bytes
    section: str
    policy_before: str = ""  # SHA-256 of the policy file as read
    changelog_before: str = ""  # SHA-256 of the CHANGELOG as read
    changelog_changed: bool = True
    root: Path = Path()

    @property
    def policy_changed(self) -> bool:
        """False when the policy file already carries the released version (nothing to rewrite)."""
        return digest_bytes(self.policy_data) != self.policy_before

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

    from support_scope.fileio.locate import locate_all

    line, column = locate_all(text, [("version",)])[("version",)]
    lines = text.splitlines(keepends=True)
    start = sum(len(x) for x in lines[: line - 1]) + column - 1
    if text[start : start + 1] != '"':
        raise PolicyError(f'{display}: no top-level "version" string to bump')
    _, end = json.JSONDecoder().raw_decode(text, start)
    return text[:start] + json.dumps(version) + text[end:]


def plan_release(
    root: Path, policy_path: Path, bump: Bump | None, today: date, display: str | None = None
) -> ReleasePlan:
    """Everything a release would write, computed without writing anything.

    The policy is validated (and compiled) before any path is made from its id or version.
    """
    from support_scope.compile.compiler import check_policy, compile_policy, release_bytes
    from support_scope.project import check_id

    name = display or str(policy_path)
    raw = read_bytes(policy_path, name, "policy file")
    text = decode_text(raw, name)
    document = parse_json(text, name)
    if not isinstance(document, dict) or not isinstance(document.get("id"), str):
        raise PolicyError(f"{name}: not a policy (a JSON object with an id)")
    current = str(document.get("version", ""))
    # Every problem of the policy, located, before its id or version names a file.
    check_policy(document, raw, name, "nothing released")
    policy_id = check_id(document["id"])
    try:
        Version.parse(current)
    except InputError as e:
        raise PolicyError(f"{name}: $.version: {e}") from e
    _refuse_stray_release_names(root / "releases" / policy_id)
    latest = latest_release(root, policy_id)
    diff: Diff | None = None
    required: Bump | None = None
    if latest is None:
        if bump is not None:
            raise ReleaseError(
                f"{policy_id} has no release yet: the first release is the policy's own version {current}; run without --bump"
            )
        version = current
    else:
        released = read_release(latest.path)
        refuse_misfiled(released, latest.path, policy_id, latest.version)
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
    try:
        released_already = release_path.exists() or release_path.is_symlink()
    except OSError as e:
        raise cannot_write(release_path, e) from e
    if released_already:
        raise ReleaseError(
            f"{release_path}: version {version} is already released and released files are immutable; bump the version"
        )
    new_text = text if version == current else set_version(text, version, name)
    new_document = {**document, "version": version}
    source = new_text.encode("utf-8")
    release = compile_policy(new_document, source, display=name, validated=True)
    changelog_path = root / CHANGELOG
    if not changelog_path.exists():
        raise ReleaseError(
            f"no {CHANGELOG} at {root.absolute()}: create one (Keep a Changelog) first, "
            "with a `## [Unreleased]` section; the release drafts its section below it"
        )
    changelog_raw = read_bytes(changelog_path, str(changelog_path))
    changelog = decode_text(changelog_raw, str(changelog_path))
    section = draft_section(policy_id, version, today, diff, new_document)
    present = has_section(changelog, policy_id, version)
    new_changelog = changelog if present else insert_section(changelog, section)
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
        policy_before=digest_bytes(raw),
        changelog_before=digest_bytes(changelog_raw),
        changelog_changed=not present,
        root=root,
    )


@dataclass(frozen=True)
class ReleaseOutcome:
    """What ``support-scope release`` did: the plan, and whether it was written; or that there was
    nothing to release (``plan`` None, ``message`` saying so)."""

    policy: str
    dry_run: bool
    plan: ReleasePlan | None = None
    rewrites_policy: bool = False
    message: str = ""
    completed: bool = False  # an interrupted release was completed (or, dry run, would be)

    def to_json(self) -> dict[str, Any]:
        if self.plan is None:
            return {
                "dry_run": self.dry_run,
                "nothing_to_release": not self.completed,
                "completed_interrupted_release": self.completed,
                "message": self.message,
                "policy": self.policy,
            }
        return {"dry_run": self.dry_run, "policy_rewritten": self.rewrites_policy, **self.plan.to_json()}


def _refuse_stray_release_names(directory: Path) -> None:
    """A release file whose name is not a version (``1١.0.0.json``, ``copy.json``) is one no
    version order sees: refused here as ``check`` refuses it, before a version is chosen."""
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        try:
            Version.parse(path.stem)
        except InputError as e:
            raise ReleaseError(
                f"{path}: not named by a version (releases/<policy-id>/<version>.json), so it cannot be "
                "ordered among the releases; restore its name from version control, or remove it"
            ) from e


RELEASE_COMMAND = "support-scope release"


def apply_release(plan: ReleasePlan) -> None:
    """Write the release, the policy and the CHANGELOG as one transaction.

    The caller holds the project's lock (:func:`release_project`). Each file must still be the
    one the plan read, and the release file must not exist: it is created, never replaced.
    """
    from support_scope.fileio.transaction import Transaction

    transaction = Transaction(plan.root, f"the release of {plan.policy_id} {plan.version}", RELEASE_COMMAND)
    if plan.policy_changed:
        transaction.replace(plan.policy_path, plan.policy_data, plan.policy_before)
    if plan.changelog_changed:
        transaction.replace(plan.changelog_path, plan.changelog_data, plan.changelog_before)
    # Last: services that load the latest release see it only once the policy and CHANGELOG are done.
    transaction.create(plan.release_path, plan.release_data)
    transaction.commit()


def release_project(
    root: Path, policy_path: Path, bump: Bump | None, today: date, display: str | None = None
) -> ReleaseOutcome:
    """``support-scope release`` without ``--dry-run``: under the project's lock, complete a
    release an interrupted run left, or plan and write the next one."""
    from support_scope.fileio.lock import project_lock
    from support_scope.fileio.transaction import complete

    shown = display or str(policy_path)
    with project_lock(root, RELEASE_COMMAND):
        completed = complete(root)
        if completed is not None:
            return ReleaseOutcome(
                shown,
                False,
                message=f"completed {completed.what}, which an interrupted run had left half written "
                f"({', '.join(completed.files)}); run `{RELEASE_COMMAND}` again for anything newer",
                completed=True,
            )
        plan = plan_release(root, policy_path, bump, today, display)
        rewrites_policy = plan.policy_changed
        apply_release(plan)
    return ReleaseOutcome(shown, False, plan, rewrites_policy)


def pending_release(root: Path) -> str | None:
    """What ``release`` would complete first: an interrupted release's description, or None."""
    from support_scope.fileio.transaction import pending

    journal = pending(root)
    return None if journal is None else journal.what
