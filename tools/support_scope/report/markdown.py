"""``--format markdown``: for pull requests and job summaries (diffs and import previews)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from support_scope.report.base import Reporter

if TYPE_CHECKING:
    from support_scope.changes.result import Diff
    from support_scope.workbook.result import ImportResult


class MarkdownReporter(Reporter):
    name = "markdown"
    description = "Markdown, to paste in a pull request (~~removed~~ **added**)"

    def diff(self, diff: Diff, old: str | None = None, new: str | None = None) -> str:
        from support_scope.changes.render import render_markdown

        return render_markdown(diff)

    def import_result(self, result: ImportResult) -> str:
        from support_scope.report.text import import_outcome
        from support_scope.workbook.result import show_value

        def cell(value: Any) -> str:
            text = value if isinstance(value, str) else show_value(value)
            return text.replace("|", "\\|").replace("\n", " ")

        lines = [f"## Import of `{result.workbook}` into `{result.policy}`", ""]
        if result.stale:
            merged = "" if result.policy_invalid else "; edits were merged onto it"
            lines.append(
                f"The policy changed since the export (exported version {result.exported_version}){merged}.\n"
            )
        if result.problems:
            lines += ["### Problems", "", "| where | problem |", "| --- | --- |"]
            lines += [f"| `{p.cell or p.where}` | {cell(p.message)} |" for p in result.problems]
            lines.append("")
        if result.conflicts:
            lines += [
                "### Conflicts",
                "",
                "| cell | id | at export | now | reviewer |",
                "| --- | --- | --- | --- | --- |",
            ]
            for c in result.conflicts:
                lines.append(
                    f"| `{c.cell}` | `{c.key}` | {cell(c.exported)} | {cell(c.current)} | {cell(c.reviewer)} |"
                )
            lines.append("")
        if result.notices:
            lines += ["### Notes", "", *[f"- {n}" for n in result.notices], ""]
        if result.comments:
            lines += ["### Reviewer comments", "", *[f"- `{c.cell}`: {c.text}" for c in result.comments], ""]
        diff = result.diff()
        if diff is not None and result.changed:
            from support_scope.changes.render import render_markdown

            lines.append(render_markdown(diff))
        outcome = import_outcome(result)
        lines.append(f"**{outcome[0].upper()}{outcome[1:]}.**")
        return "\n".join(lines) + "\n"
