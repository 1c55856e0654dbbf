"""The CHANGELOG (Keep a Changelog): a section per released policy version, drafted from its diff.

Policy versions have their own sections below ``## [Unreleased]``, headed
``## [policy <policy-id> <version>] - YYYY-MM-DD``; ``check`` looks for exactly this heading.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from support_scope.changes.render import render_note
from support_scope.changes.result import Diff


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
