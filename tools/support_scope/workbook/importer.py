"""Import a reviewed workbook back into its policy: safely, losslessly, aware of conflicts.

The pipeline: the raw archive is checked, then its cells are read straight from the sheet XML
(:mod:`~support_scope.workbook.safety`, :mod:`~support_scope.workbook.reader`); every cell is normalised (Unicode NFC, ``\\n`` line
ends, no surrounding white space) and checked, every problem collected with its ``Sheet!A1``;
then a three-way merge field by field (:mod:`~support_scope.workbook.merge`), between the policy as exported (the snapshot on the
hidden metadata sheet), the policy as it is now, and the reviewer's workbook:

- the reviewer left a field as exported: the current value stays (even if it changed since);
- only the reviewer changed it: the reviewer's value is applied;
- both changed it differently: a conflict, listed with its cell and the three values.

The result is validated, and written (atomically) only when there is no problem, no conflict,
and the caller did not ask for a dry run. What the workbook does not show (provenance, groups,
notes, facts, tiers, plans, ...) is kept as it is in the current policy.

An import that writes holds the project's lock (:mod:`support_scope.fileio.lock`) from the
moment it reads the policy to the moment it replaces it, and replaces it only if it still holds
what was read: a second import at the same time is refused, and so is a policy saved by
someone else meanwhile; never is one review silently lost.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from support_scope.errors import InputError, WorkbookError
from support_scope.fileio.atomic import digest_bytes, write_atomic
from support_scope.fileio.jsonfile import decode_text, dump_json, parse_json, paused_gc, read_bytes, read_text
from support_scope.problems import Problem
from support_scope.workbook.layout import EDITABLE, SHEET_META, tables
from support_scope.workbook.merge import Merge, locate
from support_scope.workbook.reader import Meta, SheetRow, _read_meta, _Reader
from support_scope.workbook.result import ImportResult
from support_scope.workbook.safety import (
    MAX_ROWS,
    ArchiveReport,
    check_archive,
    iter_rows,
    open_archive,
    shared_strings,
)
from support_scope.workbook.snapshot import NotExported, decode_snapshot, snapshot_digest, verify_checksums


def _untouched(rows: dict[str, list[SheetRow]], checksums: dict[str, dict[str, str]]) -> bool:
    """True when the workbook holds exactly the exported rows, none touched: nothing to do."""
    for name in EDITABLE:
        exported = checksums.get(name, {})
        keys = [row.key for row in rows[name] if not row.touched]
        if len(keys) != len(rows[name]) or len(keys) != len(exported) or set(keys) != exported.keys():
            return False
    return True


def _refuse_invalid_policy(result: ImportResult, current: Any, policy: Path, policy_name: str) -> bool:
    """Validate the policy as it is now; when it is not valid, add its problems (located
    ``file:line:col $.path``, as ``validate`` locates them) to ``result`` and return True."""
    from support_scope.validate.documents import document_findings, located_problems

    findings = document_findings(current)
    if not findings:
        return False
    # The text is read again only now: holding it through every import would cost its size.
    # Should the file have changed under us, the problems are located by JSON path only.
    result.problems.extend(located_problems(findings, read_text(policy, policy_name), policy_name))
    result.policy_invalid = True
    return True


def _open(
    workbook: Path, display: str, max_rows: int = MAX_ROWS
) -> tuple[zipfile.ZipFile, ArchiveReport, Meta]:
    """Check the archive, open it, and read its metadata sheet."""
    report = check_archive(workbook, display, max_rows=max_rows, editable=EDITABLE)
    archive = open_archive(workbook, display)
    try:
        if SHEET_META not in report.sheet_parts:
            raise WorkbookError(
                f"{display}: no {SHEET_META} sheet: not a workbook exported by `support-scope export-xlsx`"
            )
        report.strings = shared_strings(archive, display)
        meta = _read_meta(
            iter_rows(archive, report.sheet_parts[SHEET_META], report.strings, display, SHEET_META, max_rows),
            display,
        )
    except BaseException:
        archive.close()
        raise
    return archive, report, meta


IMPORT_COMMAND = "support-scope import-xlsx"


def workbook_policy_id(workbook: Path, display: str | None = None) -> str:
    """The id of the policy a review workbook was exported from (after the safety checks)."""
    name = display or str(workbook)
    archive, _, meta = _open(workbook, name)
    archive.close()
    return meta.policy_id


def import_workbook(
    workbook: Path,
    policy: Path,
    *,
    dry_run: bool = False,
    workbook_display: str | None = None,
    policy_display: str | None = None,
    max_rows: int = MAX_ROWS,
) -> ImportResult:
    """Import a reviewed workbook into ``policy``; write it (atomically) when all went well.

    A workbook that is unsafe or not a review workbook, or a policy that cannot be read, raises
    an :class:`InputError`; problems in the cells, conflicts and validation findings are collected
    in the result, and then nothing is written. Unless ``dry_run``, the project's lock is held
    throughout (another run holding it: :class:`~support_scope.fileio.lock.ProjectBusy`), and a
    policy changed meanwhile is not replaced (:class:`~support_scope.fileio.atomic.ChangedMeanwhile`).
    """
    with paused_gc():
        if dry_run:
            return _import(workbook, policy, dry_run, workbook_display, policy_display, max_rows)
        from support_scope.fileio.lock import lock_directory, project_lock
        from support_scope.fileio.transaction import pending

        directory = lock_directory(policy)
        with project_lock(directory, IMPORT_COMMAND):
            interrupted = pending(directory)
            if interrupted is not None:
                raise InputError(
                    f"{interrupted.what} was interrupted and is not complete ({', '.join(interrupted.files)}): "
                    f"run `{interrupted.command}` to complete it, then import"
                )
            return _import(workbook, policy, dry_run, workbook_display, policy_display, max_rows)


def _import(
    workbook: Path,
    policy: Path,
    dry_run: bool,
    workbook_display: str | None,
    policy_display: str | None,
    max_rows: int,
) -> ImportResult:
    from support_scope.validate.documents import document_findings

    display = workbook_display or str(workbook)
    policy_name = policy_display or str(policy)
    result = ImportResult(display, policy_name, dry_run=dry_run)
    raw = read_bytes(policy, policy_name, "policy file")
    read_digest = digest_bytes(raw)
    current = parse_json(decode_text(raw, policy_name), policy_name)
    del raw
    if not isinstance(current, dict):
        raise InputError(
            f"{policy_name}: not a policy document (a JSON object); run `support-scope validate`"
        )
    archive, report, meta = _open(workbook, display, max_rows)
    with archive:
        decode_snapshot(meta.chunks, meta.digest, parse=False, display=display)  # damaged: refused at once
        if meta.policy_id != current.get("id"):
            raise WorkbookError(
                f"{display}: the workbook is for policy {meta.policy_id!r}, not {current.get('id')!r} ({policy_name})"
            )
        result.exported_version = meta.version
        result.stale = snapshot_digest(current) != meta.digest
        layout = tables(meta.languages)
        try:
            tiers = {tier["id"] for tier in current["tiers"]}
            categories = {category["id"] for category in current["categories"]}
        except (KeyError, TypeError) as e:
            if _refuse_invalid_policy(result, current, policy, policy_name):
                return result
            raise InputError(
                f"{policy_name}: the policy is not valid ({type(e).__name__}: {e}); run `support-scope validate`"
            ) from e
        # The row checksums decide which rows are untouched: they must be the export's own. Not
        # stale, the exported policy is the current one; stale, it is decoded (and kept for the merge).
        exported = decode_snapshot(meta.chunks, meta.digest, display=display) if result.stale else current
        try:
            verify_checksums(meta.checksums, exported, layout, display)
        except NotExported as e:
            if result.stale:
                raise
            # The exported policy is the current one: it is the policy that is not valid.
            if _refuse_invalid_policy(result, current, policy, policy_name):
                return result
            raise InputError(f"{policy_name}: the policy is not valid; run `support-scope validate`") from e
        reader = _Reader(display, layout, tiers, categories, meta.checksums)
        rows: dict[str, list[SheetRow]] = {}
        for name in EDITABLE:
            if name not in report.sheet_parts:
                reader.problem(
                    f"{name}!A1",
                    f"the sheet {name!r} is missing (sheets are not to be renamed or removed)",
                    "missing-sheet",
                )
                rows[name] = []
                continue
            sheet_rows = iter_rows(archive, report.sheet_parts[name], report.strings, display, name, max_rows)
            rows[name] = reader.read(
                sheet_rows, layout[name], report.merged.get(name, []), report.merged_count.get(name)
            )
    result.problems.extend(reader.problems)
    result.comments.extend(reader.comments)
    if not result.problems and _untouched(rows, meta.checksums):
        result.old = result.new = current  # nothing to merge: the policy stays as it is, byte for byte
        return result
    # What is wrong in the policy already is the maintainer's to fix, in the policy file: blamed
    # on the workbook cells the merge maps it to, it would send the reviewer after a cell they
    # never touched. Only a valid policy is merged onto, so what the result's validation finds
    # afterwards was brought by the edits.
    if _refuse_invalid_policy(result, current, policy, policy_name):
        return result
    # Not stale: the exported policy is the current one (same digest), not decoded at all.
    base = exported
    try:
        merge = Merge(display, layout, base, current, rows)
    except (KeyError, TypeError, AttributeError, IndexError) as e:
        raise InputError(
            f"{policy_name}: the policy is not valid ({type(e).__name__}: {e}); run `support-scope validate`"
        ) from e
    if result.problems:
        merge.index()  # still report edited and repeated ids: every problem at once
        result.problems.extend(merge.problems)
        return result
    merge.run()
    result.problems.extend(merge.problems)
    result.conflicts.extend(merge.conflicts)
    result.notices.extend(merge.notices)
    if not result.ok:
        return result
    result.old, result.new = current, merge.merged
    if not result.changed:
        return result  # the policy stays as it is, byte for byte
    for finding in document_findings(merge.merged):
        cell = locate(merge, finding.path)
        path = None if cell else finding.path
        result.problems.append(Problem(display, finding.message, finding.rule, path=path, cell=cell))
    if result.ok and result.changed and not dry_run:
        write_atomic(policy, dump_json(merge.merged).encode("utf-8"), expected=read_digest, clean=True)
        result.written = True
    return result
