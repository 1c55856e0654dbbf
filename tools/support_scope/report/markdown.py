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
        from support_scope.report.text import IMPORT_WORDS, comments_kept, import_outcome
        from support_scope.workbook.result import show_value

        english = self.lang == "en"
        words = IMPORT_WORDS["en" if english else "fr"]

        def cell(value: Any) -> str:
            text = value if isinstance(value, str) else show_value(value, self.lang)
            return text.replace("|", "\\|").replace("\n", " ")

        head = "Import of" if english else "Import de"
        into = "into" if english else "dans"
        lines = [f"## {head} `{result.workbook}` {into} `{result.policy}`", ""]
        if result.stale:
            merged = "" if result.policy_invalid else words["merged"]
            lines.append(f"{words['stale'].format(version=result.exported_version)}{merged}.\n")
        if result.problems:
            title, where, what = (
                ("Problems", "where", "problem") if english else ("Problèmes", "où", "problème")
            )
            lines += [f"### {title}", "", f"| {where} | {what} |", "| --- | --- |"]
            lines += [f"| `{p.cell or p.where}` | {cell(p.message)} |" for p in result.problems]
            lines.append("")
        if result.conflicts:
            headers = (
                "| cell | id | at export | now | reviewer |"
                if english
                else "| cellule | id | à l'export | maintenant | relecteur |"
            )
            lines += [
                "### Conflicts" if english else "### Conflits",
                "",
                headers,
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
            lines += ["### Reviewer comments" if english else "### Commentaires des relecteurs", ""]
            for note in result.comments:
                about = ", ".join(
                    part for part in (f"`{note.key}`" if note.key else "", note.column or "") if part
                )
                author = f" — {note.author}" if note.author else ""
                lines.append(f"- `{note.cell}`{f' ({about})' if about else ''}{author}: {cell(note.text)}")
            kept = comments_kept(result, words)
            lines += ["", kept or "", ""] if kept else [""]
        diff = result.diff()
        if diff is not None and result.changed:
            from support_scope.changes.render import render_markdown

            lines.append(render_markdown(diff))
        outcome = import_outcome(result, self.lang)
        lines.append(f"**{outcome[0].upper()}{outcome[1:]}.**")
        return "\n".join(lines) + "\n"
