"""The diff for people: a terminal (text), a pull request (Markdown), a release note entry.

Renderers return strings; the command prints them. JSON is :meth:`Diff.to_json`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from support_scope.changes.result import Change, Diff
from support_scope.changes.words import Segment
from support_scope.model.vocab import SEVERITIES, SEVERITY_RANK

_COLORS = {"breaking": "\x1b[31m", "additive": "\x1b[32m", "editorial": "\x1b[36m"}
_RED, _GREEN, _BOLD, _RESET = "\x1b[31m", "\x1b[32m", "\x1b[1m", "\x1b[0m"
_HEADINGS = {
    "breaking": "Breaking: some customers lose coverage",
    "additive": "Additive: coverage widened",
    "editorial": "Editorial: wording, translation, notes, order",
}


def _markup(words: list[Segment], deleted: Callable[[str], str], inserted: Callable[[str], str]) -> str:
    """Join the runs, marking the changed ones; their outer white space stays outside the marks."""
    out = []
    for segment in words:
        if segment.op == "equal" or not segment.text.strip():
            out.append(segment.text)
            continue
        mark = deleted if segment.op == "delete" else inserted
        core = segment.text.strip()
        start = segment.text.index(core)
        out.append(segment.text[:start] + mark(core) + segment.text[start + len(core) :])
    return "".join(out)


def _title(diff: Diff) -> str:
    old = f"{diff.old_id} {diff.old_version}"
    new = f"{diff.new_id} {diff.new_version}"
    return f"{old} → {new}"


def _summary(diff: Diff, bump: bool = True) -> str:
    if not diff.changes:
        return "no changes"
    counts = ", ".join(f"{diff.count(s)} {s}" for s in SEVERITIES if diff.count(s))
    legal = sum(1 for c in diff.changes if c.legal_review)
    tail = f"; {legal} for legal review" if legal else ""
    summary = f"{len(diff.changes)} change{'s' if len(diff.changes) != 1 else ''} ({counts}{tail})"
    return summary + (f"; required version bump: {diff.required_bump}" if bump else "")


def _who(change: Change) -> str:
    parts = []
    if change.plans_losing:
        parts.append(f"loses: {', '.join(change.plans_losing)}")
    if change.plans_gaining:
        parts.append(f"gains: {', '.join(change.plans_gaining)}")
    return "; ".join(parts)


def plans_summary(change: Change) -> str:
    """The plans that lose and gain by a change, in words ("loses: standard; gains: pro")."""
    return _who(change)


def plain_words(words: list[Segment]) -> str:
    """A text change marked word by word, without colour: ``[-old-]{+new+}``."""
    return _markup(words, lambda t: f"[-{t}-]", lambda t: f"{{+{t}+}}")


def by_severity(changes: Iterable[Change]) -> list[Change]:
    """The changes, breaking first, then additive, then editorial; in document order within each."""
    return sorted(changes, key=lambda c: -SEVERITY_RANK[c.severity])


def render_text(diff: Diff, color: bool = False) -> str:
    """The diff for a terminal: a summary, then one entry per change, breaking first.

    Within a severity the changes keep their document order; texts are marked ``[-old-]{+new+}``.
    """

    def paint(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    lines = [paint(_BOLD, f"diff {_title(diff)}"), _summary(diff)]
    advice = diff.version_advice()
    if advice:
        lines.append(advice)
    for change in by_severity(diff.changes):
        flag = " [legal review]" if change.legal_review else ""
        head = f"{change.severity.upper():9} {change.rule}{flag}"
        where = change.where
        location = change.location
        if location is not None:
            said = [part for part in ("old side" if location.side == "old" else None, location.note) if part]
            where = f"{location} {where}" + (f" ({'; '.join(said)})" if said else "")
        lines.append(f"{paint(_COLORS[change.severity], head)}  {where}")
        lines.append(f"    {change.message}")
        who = _who(change)
        if who:
            lines.append(f"    plans: {who}")
        if change.words is not None:
            marked = _markup(
                change.words,
                lambda t: paint(_RED, f"[-{t}-]"),
                lambda t: paint(_GREEN, f"{{+{t}+}}"),
            )
            lines.append(f"    {marked}")
    return "\n".join(lines) + "\n"


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_~|<>\[\]])", r"\\\1", text)


def _md_words(words: list[Segment]) -> str:
    return _markup(
        [Segment(s.op, _md_escape(s.text)) for s in words],
        lambda t: f"~~{t}~~",
        lambda t: f"**{t}**",
    ).replace("~~**", "~~ **")


def _ids_label(change: Change) -> str:
    shown = [f"`{value}`" for key, value in change.ids.items() if key != "moved"]
    return " › ".join(shown) if shown else f"`{change.where}`"


def render_note(change: Change) -> list[str]:
    """A change as a Markdown list entry a person can edit into a release note.

    ``category › item``, what changed in words, the legal-review flag and the rule id; then,
    indented, the plans that gain or lose and the text marked word by word (``~~old~~ **new**``).
    """
    flag = " (legal review)" if change.legal_review else ""
    message = change.message
    named = [(key, value) for key, value in change.ids.items() if key != "moved"]
    if named:  # "item 'x': French text changed" under the label `c` › `x`: the id once is enough
        key, value = named[-1]
        message = message.removeprefix(f"{key} {value!r}: ")
    lines = [f"- {_ids_label(change)}: {_md_escape(message)}{flag} [`{change.rule}`]"]
    who = _who(change)
    if who:
        lines.append(f"  - plans — {who}")
    if change.words is not None:
        lines.append(f"  - {_md_words(change.words)}")
    return lines


def render_markdown(diff: Diff) -> str:
    """The diff for a pull request: a summary, then the changes by severity, texts marked up."""
    lines = [f"## Policy diff: {_title(diff)}", ""]
    if not diff.changes:
        lines += ["No changes: the two versions are the same policy.", ""]
        return "\n".join(lines)
    lines += [
        f"**Required version bump: {diff.required_bump}** ({diff.severity}): {_summary(diff, bump=False)}.",
        "",
    ]
    advice = diff.version_advice()
    if advice:
        lines += [f"⚠️ {advice}.", ""]
    lines += [
        "| severity | changes |",
        "| --- | ---: |",
        *[f"| {s} | {diff.count(s)} |" for s in SEVERITIES],
        f"| legal review | {sum(1 for c in diff.changes if c.legal_review)} |",
        "",
    ]
    for severity in SEVERITIES:
        changes = [c for c in diff.changes if c.severity == severity]
        if not changes:
            continue
        lines += [f"### {_HEADINGS[severity]} ({len(changes)})", ""]
        for change in changes:
            flag = " ⚖️ **legal review**" if change.legal_review else ""
            lines.append(f"- `{change.rule}`{flag} {_ids_label(change)}: {_md_escape(change.message)}")
            who = _who(change)
            if who:
                lines.append(f"  - plans — {who}")
            if change.words is not None:
                lines.append(f"  - {_md_words(change.words)}")
        lines.append("")
    return "\n".join(lines)
