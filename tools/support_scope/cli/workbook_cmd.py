"""``support-scope export-xlsx`` and ``support-scope import-xlsx``: the Excel round-trip for review."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from support_scope.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    color_enabled,
    emit_json,
    fail,
    format_option,
    run_core,
)
from support_scope.resources import SHIPPED_POLICY_ID, shipped_policy

if TYPE_CHECKING:
    from support_scope.workbook_import import ImportResult


def _default_policy() -> Path:
    local = Path("policies") / f"{SHIPPED_POLICY_ID}.json"
    return local if local.is_file() else shipped_policy()


def _missing_file(path: Path) -> str | None:
    """Why ``path`` cannot be read as an input file (exit 1, as `validate` and `compile` say it), or None."""
    if path.is_dir():
        return f"{path}: is a directory, not a file"
    if not path.exists():
        return f"{path}: no such file"
    return None


def _unwritable(output: Path) -> str | None:
    """Why ``output`` cannot be written, known before any work is done (no directory is created)."""
    if output.is_dir():
        return f"{output}: is a directory; name a file to write"
    directory = output.parent if str(output.parent) else Path()
    if not directory.is_dir():
        return f"{output}: directory {directory} does not exist"
    return None


def _refuse(*messages: str | None) -> None:
    """Every wrong input at once, one ``support-scope: error:`` line each, then exit 1."""
    found = [message for message in messages if message]
    for message in found[:-1]:
        click.echo(f"support-scope: error: {message}", err=True)
    if found:
        fail(found[-1])


@click.command("export-xlsx")
@click.argument("policy", required=False, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="The workbook to write (.xlsx); replaced atomically if it exists.",
)
def export_xlsx(policy: Path | None, output: Path) -> None:
    """Write a policy as a workbook for legal review in Excel or LibreOffice Calc.

    POLICY defaults to policies/act-premium-support-scope.json in the current directory, or the
    shipped policy. The workbook has a bilingual "Lisez-moi" (read me) sheet that explains how
    to edit it; a "Matrice" sheet with one row per item (category, id, status, tier, texts,
    group, category conditions, referrals, see, billing, source notes, a reviewer comment);
    "Catégories", "Conditions" and "Termes" sheets (titles, condition texts and tests, general
    terms); dropdowns for status, tier and kinds; the id columns locked (sheet protection
    without a password). A hidden "Meta" sheet records the policy id, version, digest, a
    checksum per row and the exported policy itself, so `import-xlsx` knows what the reviewer
    started from.

    Texts that a spreadsheet would take for a formula (=, +, -, @) are written as text. The
    policy must be valid: a text longer than a cell holds (32,767 characters) or holding a
    character XML cannot carry is refused, never cut.

    An invalid policy is refused with every problem located as `file:line:col $.path` (as
    `validate` reports them). Exit 0 when written; 1 when the policy is missing, unreadable or
    invalid, or the output cannot be written (a directory, a missing directory: none is
    created); 2 on a usage error.

    \b
    Example:
      support-scope export-xlsx -o review.xlsx
      support-scope export-xlsx policies/act-premium-support-scope.json -o review.xlsx
    """
    from support_scope.files import parse_json, read_text, write_atomic
    from support_scope.workbook import export_workbook

    unwritable = _unwritable(output)
    if unwritable is None and output.suffix.lower() != ".xlsx":
        raise click.BadParameter("the workbook must be an .xlsx file", param_hint="'-o'")
    source = policy or _default_policy()
    _refuse(_missing_file(source), unwritable)
    text = run_core(read_text, source)
    document = run_core(parse_json, text, str(source))
    if not isinstance(document, dict):
        fail(f"{source}: not a policy document (a JSON object)")
    data, summary = run_core(export_workbook, document, str(source), text)
    del text
    run_core(write_atomic, output, data)
    counts = ", ".join(f"{count} {name}" for name, count in summary.rows.items())
    click.echo(f"wrote {output}: {document['id']} {document['version']} ({counts} rows)")
    raise SystemExit(EXIT_OK)


@click.command("import-xlsx")
@click.argument("workbook", type=click.Path(path_type=Path))
@click.option(
    "--into",
    "policy",
    type=click.Path(path_type=Path),
    default=None,
    help="The policy to update (default: policies/<the workbook's policy id>.json in the current directory).",
)
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@format_option("text", "markdown", "json")
@click.option("--color/--no-color", "color", default=None, help="Colour the diff (default: on a terminal).")
def import_xlsx(
    workbook: Path, policy: Path | None, dry_run: bool, output_format: str, color: bool | None
) -> None:
    """Apply a reviewed workbook (from export-xlsx) to its policy.

    Reads the reviewer's edits: texts, status and tier, conditions, referrals, billing, new
    rows (an id is made from the category and the French text), deleted rows (status
    "deleted", or the row removed), moved rows (category changed), edited categories, conditions
    and terms. Shows the classified diff (as `support-scope diff`) before writing; --dry-run
    writes nothing. Importing an unedited export changes nothing: the file stays byte-identical.

    If the policy changed since the export, what the reviewer did not touch stays as it is now,
    and what only the reviewer changed is applied; a cell changed on both sides is a conflict:
    nothing is written and each conflict is listed with its cell, the value at export, the
    value now and the reviewer's value.

    Every problem in the workbook is reported at once with its Sheet!cell (unknown status or
    tier, an id edited or duplicated, a missing French text, a formula, merged cells). Unsafe
    files are refused before they are loaded: not a workbook, macros (.xlsm), external links,
    XML entity or zip bombs, sheets with too many rows. The policy is written atomically, only
    after the result validated. Reviewer comments are listed, not stored in the policy.

    A problem the policy already has (not brought by the workbook) is reported against the
    policy file, as `file:line:col $.path`, and nothing is merged: fix the policy first.

    Exit 0 when imported (or nothing to change, or a clean dry run), 1 when anything was
    refused (problems, conflicts, an unsafe, unreadable or missing file), 2 on a usage error.

    \b
    Examples:
      support-scope import-xlsx review.xlsx --dry-run
      support-scope import-xlsx review.xlsx --into policies/act-premium-support-scope.json
      support-scope import-xlsx review.xlsx --format json
    """
    from support_scope.workbook_import import import_workbook

    _refuse(_missing_file(workbook), _missing_file(policy) if policy is not None else None)
    target = policy or _target_policy(workbook)
    result = run_core(import_workbook, workbook, target, dry_run=dry_run)
    if output_format == "json":
        emit_json(result.to_json())
    elif output_format == "markdown":
        click.echo(_markdown(result), nl=False)
    else:
        use_color = color_enabled(color)
        click.echo(_text(result, use_color), nl=False, color=use_color)
    raise SystemExit(EXIT_OK if result.ok else EXIT_FAILED)


def _target_policy(workbook: Path) -> Path:
    """policies/<policy id>.json, the id read from the workbook's metadata (cheaply, after the safety checks)."""
    from support_scope.workbook_import import workbook_policy_id

    policy_id = run_core(workbook_policy_id, workbook)
    local = Path("policies") / f"{policy_id}.json"
    if not local.is_file():
        raise click.UsageError(f"no {local} here; say which policy to update with --into")
    return local


def _text(result: ImportResult, color: bool) -> str:
    lines = [f"import {result.workbook} into {result.policy}"]
    if result.stale:
        merged = "" if result.policy_invalid else "; edits merged onto it"
        lines.append(
            f"note: the policy changed since the export (exported version {result.exported_version}){merged}"
        )
    for problem in result.problems:
        lines.append(f"error: {problem}")
    for conflict in result.conflicts:
        lines.append(f"conflict: {conflict}")
    for notice in result.notices:
        lines.append(f"note: {notice}")
    for comment in result.comments:
        lines.append(f"comment: {comment.cell}{f' ({comment.key})' if comment.key else ''}: {comment.text}")
    diff = result.diff()
    if diff is not None and result.changed:
        from support_scope.diff import render_text

        lines.append(render_text(diff, color=color).rstrip("\n"))
    lines.append(_outcome(result))
    return "\n".join(lines) + "\n"


def _outcome(result: ImportResult) -> str:
    """The last line of the report: what became of the policy."""
    if result.policy_invalid:
        count = sum(1 for problem in result.problems if problem.file == result.policy)
        return (
            f"refused: the policy itself is not valid ({count} problem{'s' if count != 1 else ''} in "
            f"{result.policy}); fix it first, then import; nothing written"
        )
    if not result.ok:
        return f"refused: {len(result.problems)} problem(s), {len(result.conflicts)} conflict(s); nothing written"
    if not result.changed:
        return "no changes: the policy is left as it is"
    return f"wrote {result.policy}" if result.written else "dry run: nothing written"


def _markdown(result: ImportResult) -> str:
    lines = [f"## Import of `{result.workbook}` into `{result.policy}`", ""]
    if result.stale:
        merged = "" if result.policy_invalid else "; edits were merged onto it"
        lines.append(
            f"The policy changed since the export (exported version {result.exported_version}){merged}.\n"
        )
    if result.problems:
        lines += ["### Problems", "", "| where | problem |", "| --- | --- |"]
        lines += [f"| `{p.cell or p.where}` | {_md(p.message)} |" for p in result.problems]
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
                f"| `{c.cell}` | `{c.key}` | {_md(c.exported)} | {_md(c.current)} | {_md(c.reviewer)} |"
            )
        lines.append("")
    if result.notices:
        lines += ["### Notes", "", *[f"- {n}" for n in result.notices], ""]
    if result.comments:
        lines += ["### Reviewer comments", "", *[f"- `{c.cell}`: {c.text}" for c in result.comments], ""]
    diff = result.diff()
    if diff is not None and result.changed:
        from support_scope.diff import render_markdown

        lines.append(render_markdown(diff))
    outcome = _outcome(result)
    lines.append(f"**{outcome[0].upper()}{outcome[1:]}.**")
    return "\n".join(lines) + "\n"


def _md(value: Any) -> str:
    from support_scope.workbook_import import show_value

    text = value if isinstance(value, str) else show_value(value)
    return text.replace("|", "\\|").replace("\n", " ")
