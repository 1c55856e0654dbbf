"""``support-scope export-xlsx`` and ``support-scope import-xlsx``: the spreadsheet round trip for review."""

from __future__ import annotations

from pathlib import Path

import click

from support_scope.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    color_option,
    emit,
    fail_all,
    format_option,
    lang_option,
    note_schema_engine,
    policy_option,
    project,
    reporter,
    root_option,
    run_core,
)
from support_scope.fileio.atomic import unwritable
from support_scope.fileio.regular import unreadable


@click.command("export-xlsx")
@click.argument("policy", required=False, type=click.Path(path_type=Path))
@policy_option()
@root_option()
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    metavar="FILE.xlsx",
    help="The workbook to write (.xlsx); replaced atomically if it exists.",
)
def export_xlsx(policy: Path | None, policy_id: str | None, root: Path | None, output: Path) -> None:
    """Write a policy as a workbook for legal review in Excel or LibreOffice Calc.

    POLICY defaults to the project's policy (--policy ID among several; the shipped policy
    outside a project). The workbook has a bilingual "Lisez-moi" (read me) sheet that explains
    how to edit it; a "Matrice" sheet with one row per item (category, id, status, tier,
    texts, group, category conditions, referrals, see, billing, source notes, a reviewer
    comment); "Catégories", "Conditions", "Termes" and "Vocabulaire" sheets (titles, condition
    texts and tests, general terms, search vocabulary); dropdowns for status, tier and kinds;
    the id columns grey and refusing typing (a data validation, not a sheet protection: a
    reviewer can still sort, filter, insert rows and add notes). A hidden "Meta" sheet records the policy id, version,
    digest, a checksum per row and the exported policy itself, so `import-xlsx` knows what the
    reviewer started from.

    Texts that a spreadsheet would take for a formula (=, +, -, @) are written as text. The
    policy must be valid: a text longer than a cell holds (32,767 characters) or holding a
    character XML cannot carry is refused, never cut; every problem is located as
    `file:line:col $.path` (as `validate` reports them).

    \b
    Exit codes:
      0  written
      1  the policy is missing, unreadable or invalid, or the output cannot be written
         (a directory, a missing directory: none is created)
      2  usage error

    \b
    Examples:
      support-scope export-xlsx -o review.xlsx
      support-scope export-xlsx policies/act-premium-support-scope.json -o review.xlsx
    """
    from support_scope.fileio.atomic import write_atomic
    from support_scope.project import read_document
    from support_scope.workbook.export import export_workbook

    if policy is not None and policy_id is not None:
        raise click.UsageError("name the policy once: a POLICY file or --policy ID")
    cannot_write = unwritable(output)
    if cannot_write is None and output.suffix.lower() != ".xlsx":
        raise click.BadParameter("the workbook must be an .xlsx file", param_hint="'-o'")
    source = policy if policy is not None else run_core(project(root).policy_path, policy_id)
    fail_all(unreadable(source, "policy file"), cannot_write)
    document, text = run_core(read_document, source, "policy")
    note_schema_engine()
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
    metavar="POLICY",
    help="The policy file to update (default: the project's policies/<the workbook's policy id>.json).",
)
@root_option()
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@format_option("import_result")
@lang_option()
@color_option()
def import_xlsx(
    workbook: Path,
    policy: Path | None,
    root: Path | None,
    dry_run: bool,
    output_format: str,
    lang: str,
    color: bool | None,
) -> None:
    """Apply a reviewed workbook (from export-xlsx, returned as .xlsx or .ods) to its policy.

    Reads the reviewer's edits: texts, status and tier, conditions, referrals, billing, new
    rows (an id is made from the category and the French text; the item's provenance names
    the review: workbook, sheet, row, date), deleted rows (status "deleted", or the row
    removed), moved rows (category changed), edited categories, conditions and terms. The order
    of the rows is not read (sorting and filtering change nothing). Shows the classified diff
    (as `support-scope diff`) before writing; --dry-run writes nothing. Importing an unedited
    export, or the same workbook again, changes nothing: the file stays byte-identical.

    A text cell that holds a number, a date, a percentage or TRUE/FALSE (the spreadsheet
    converted what was typed) is refused by cell, never converted silently. Cell notes and the
    reviewer comment column are listed, and kept in the review log beside the policy
    (<policy>.reviews.md), once each.

    If the policy changed since the export, what the reviewer did not touch stays as it is now,
    and what only the reviewer changed is applied; a cell changed on both sides is a conflict:
    nothing is written and each conflict is listed with its cell, the value at export, the
    value now and the reviewer's value.

    Every problem in the workbook is reported at once with its Sheet!cell, in the reviewer's
    words (--lang fr|en): unknown status or tier, an id edited or duplicated, an empty French or
    English text, a formula, merged cells, and what the checks of the result find. Unsafe files
    are refused before they are loaded: not a workbook, macros (.xlsm), external links, XML
    entity or zip bombs, sheets with too many rows. The policy is written atomically, only after
    the result validated.

    A problem the policy already has (not brought by the workbook) is reported against the
    policy file, as `file:line:col $.path`, and nothing is merged: fix the policy first.

    \b
    Exit codes:
      0  imported (or nothing to change, or a clean dry run)
      1  refused: problems, conflicts, an unsafe, unreadable or missing file, no policy
         file for the workbook's policy id
      2  usage error

    \b
    Examples:
      support-scope import-xlsx review.xlsx --dry-run
      support-scope import-xlsx review.xlsx --into policies/act-premium-support-scope.json
      support-scope import-xlsx review.ods --lang en
      support-scope import-xlsx review.xlsx --format json
    """
    from support_scope.workbook.importer import import_workbook, workbook_policy_id

    fail_all(
        unreadable(workbook, "workbook"), unreadable(policy, "policy file") if policy is not None else None
    )
    if policy is None:
        found = project(root)
        if found.root is None:
            raise click.UsageError(
                "no project here (no policies/ directory): say which policy to update with --into"
            )
        policy = run_core(found.policy_path, run_core(workbook_policy_id, workbook))
    note_schema_engine()
    result = run_core(import_workbook, workbook, policy, dry_run=dry_run, lang=lang)
    report = reporter(output_format, lang=lang, color=color)
    emit(report.import_result(result), color=report.color)
    raise SystemExit(EXIT_OK if result.ok else EXIT_FAILED)
