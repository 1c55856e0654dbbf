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
someone else meanwhile; never is one review silently lost. The policy and its review log
(``<policy>.reviews.md``) change together, as one transaction
(:mod:`support_scope.fileio.transaction`): after an interruption both are as before, or both
as after once the next import has completed the change (``check`` reports it until then).
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from support_scope.errors import InputError, WorkbookError
from support_scope.fileio.atomic import digest_bytes, write_atomic
from support_scope.fileio.jsonfile import decode_text, dump_json, parse_json, paused_gc, read_bytes, read_text
from support_scope.workbook.layout import EDITABLE, SHEET_LISTS, SHEET_MATRIX, SHEET_META, tables
from support_scope.workbook.merge import Merge, ReviewSource
from support_scope.workbook.order import out_of_order
from support_scope.workbook.reader import _SURROGATE, Meta, SheetRow, _read_meta, _Reader
from support_scope.workbook.result import Comment, ImportResult
from support_scope.workbook.safety import MAX_ROWS
from support_scope.workbook.snapshot import NotExported, decode_snapshot, snapshot_digest, verify_checksums
from support_scope.workbook.source import Note, Workbook, open_workbook
from support_scope.workbook.words import say


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


def _open(workbook: Path, display: str, max_rows: int = MAX_ROWS) -> tuple[Workbook, Meta]:
    """Check the workbook (.xlsx or .ods), open it, and read its metadata sheet."""
    book = open_workbook(workbook, display, max_rows, editable=EDITABLE)
    try:
        if SHEET_META not in book.sheets:
            raise WorkbookError(
                f"{display}: no {SHEET_META} sheet: not a workbook exported by `support-scope export-xlsx`"
            )
        meta = _read_meta(book.rows(SHEET_META), display)
    except BaseException:
        book.close()
        raise
    return book, meta


IMPORT_COMMAND = "support-scope import-xlsx"


def workbook_policy_id(workbook: Path, display: str | None = None) -> str:
    """The id of the policy a review workbook was exported from (after the safety checks)."""
    name = display or str(workbook)
    book, meta = _open(workbook, name)
    book.close()
    return meta.policy_id


def import_workbook(
    workbook: Path,
    policy: Path,
    *,
    dry_run: bool = False,
    workbook_display: str | None = None,
    policy_display: str | None = None,
    max_rows: int = MAX_ROWS,
    lang: str = "fr",
    review_log: Path | None = None,
    today: str | None = None,
) -> ImportResult:
    """Import a reviewed workbook (.xlsx or .ods) into ``policy``; write it (atomically) when all
    went well, and the reviewers' comments into the review log (``review_log``, by default
    ``<policy>.reviews.md`` beside it).

    A workbook that is unsafe or not a review workbook, or a policy that cannot be read, raises
    an :class:`InputError`; problems in the cells, conflicts and validation findings are collected
    in the result, every one at once, in ``lang`` (``fr`` or ``en``), and then nothing is written.
    ``today`` (YYYY-MM-DD) dates the review when the workbook does not say when it was saved.

    Unless ``dry_run``, the project's lock is held throughout (another run holding it:
    :class:`~support_scope.fileio.lock.ProjectBusy`); the policy and the review log are written
    as one transaction, and a file changed meanwhile is not replaced
    (:class:`~support_scope.fileio.atomic.ChangedMeanwhile`). An import an earlier run left half
    written is completed first (a notice says so); a release left half written refuses the import.
    """
    from support_scope.workbook.reviewlog import log_path

    log = review_log if review_log is not None else log_path(policy)
    arguments = (workbook, policy, dry_run, workbook_display, policy_display, max_rows, lang, log, today)
    with paused_gc():
        if dry_run:
            return _import(*arguments)
        from support_scope.fileio.lock import lock_directory, project_lock
        from support_scope.fileio.transaction import complete, pending

        directory = lock_directory(policy)
        with project_lock(directory, IMPORT_COMMAND):
            interrupted = pending(directory)
            if interrupted is not None and not interrupted.command.startswith(IMPORT_COMMAND):
                raise InputError(
                    f"{interrupted.what} was interrupted and is not complete ({', '.join(interrupted.files)}): "
                    f"run `{interrupted.command}` to complete it, then import"
                )
            completed = complete(directory) if interrupted is not None else None
            result = _import(*arguments, root=directory)
            if completed is not None:
                result.notices.insert(
                    0, say(lang, "completed-import", what=completed.what, files=", ".join(completed.files))
                )
            return result


def _import(
    workbook: Path,
    policy: Path,
    dry_run: bool,
    workbook_display: str | None,
    policy_display: str | None,
    max_rows: int,
    lang: str,
    log: Path,
    today: str | None,
    root: Path | None = None,
) -> ImportResult:
    from support_scope.validate.documents import document_findings
    from support_scope.workbook.explain import explain

    display = workbook_display or str(workbook)
    policy_name = policy_display or str(policy)
    result = ImportResult(display, policy_name, dry_run=dry_run, lang=lang, review_log=str(log))
    raw = read_bytes(policy, policy_name, "policy file")
    read_digest = digest_bytes(raw)
    current_text = decode_text(raw, policy_name)
    del raw
    current = parse_json(current_text, policy_name)
    if not isinstance(current, dict):
        raise InputError(
            f"{policy_name}: not a policy document (a JSON object); run `support-scope validate`"
        )
    book, meta = _open(workbook, display, max_rows)
    with book:
        # A damaged workbook is refused at once.
        decode_snapshot(meta.chunks, meta.digest, parse=False, display=display)
        if meta.policy_id != current.get("id"):
            raise WorkbookError(
                f"{display}: the workbook is for policy {meta.policy_id!r}, not {current.get('id')!r} ({policy_name})"
            )
        result.exported_version = meta.version
        result.old_text = current_text
        result.stale = snapshot_digest(current) != meta.digest
        layout = tables(meta.languages)
        try:
            tiers = {tier["id"] for tier in current["tiers"]}
            categories = {category["id"] for category in current["categories"]}
            languages = tuple(current["languages"])
            kinds = {kind["id"] for kind in current.get("request_kinds", ())}
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
        reader = _Reader(
            display, layout, tiers, categories, meta.checksums, lang=lang, languages=languages, kinds=kinds
        )
        rows: dict[str, list[SheetRow]] = {}
        for name in EDITABLE:
            if name not in book.sheets:
                reader.problem(f"{name}!A1", say(lang, "missing-sheet", sheet=name), "missing-sheet")
                reader.unread.add(name)
                rows[name] = []
                continue
            rows[name] = reader.read(
                book.rows(name), layout[name], book.merged.get(name, []), book.merged_count.get(name)
            )
        notes = _readable_notes(reader, book.notes())
        saved = book.saved
    date = saved or today or datetime.date.today().isoformat()
    result.problems.extend(reader.problems)
    if not result.problems and _untouched(rows, meta.checksums):
        result.old = result.new = current  # nothing to merge: the policy stays as it is, byte for byte
        if out_of_order(rows[SHEET_MATRIX], exported):
            result.notices.append(say(lang, "order-not-read"))
        result.comments.extend(_comments(reader, notes, layout))
        _record(result, log, policy, read_digest, root, current, workbook, date, meta, dry_run)
        return result
    # What is wrong in the policy already is the maintainer's to fix, in the policy file: blamed
    # on the workbook cells the merge maps it to, it would send the reviewer after a cell they
    # never touched. Only a valid policy is merged onto, so what the result's validation finds
    # afterwards was brought by the edits.
    if _refuse_invalid_policy(result, current, policy, policy_name):
        return result
    # Not stale: the exported policy is the current one (same digest), not decoded at all.
    base = exported
    review = ReviewSource(workbook.name, date, meta.digest[:16])
    try:
        merge = Merge(display, layout, base, current, rows, lang=lang, review=review, unread=reader.unread)
        merge.flagged |= reader.flagged
        merge.run()
    except (KeyError, TypeError, AttributeError, IndexError) as e:
        raise InputError(
            f"{policy_name}: the policy is not valid ({type(e).__name__}: {e}); run `support-scope validate`"
        ) from e
    result.problems.extend(merge.problems)
    result.conflicts.extend(merge.conflicts)
    result.notices.extend(merge.notices)
    result.comments.extend(_comments(reader, notes, layout, merge))
    if not result.conflicts:
        # Every problem at once: what the merged policy's checks find is said at its cell too,
        # unless the cell's problem is reported already.
        result.problems.extend(explain(merge, document_findings(merge.merged), display, lang))
    if not result.ok:
        return result
    result.old, result.new = current, merge.merged
    _record(
        result,
        log,
        policy,
        read_digest,
        root,
        current,
        workbook,
        date,
        meta,
        dry_run,
        merge.merged if result.changed else None,
    )
    return result


def _record(
    result: ImportResult,
    log: Path,
    policy: Path,
    read_digest: str,
    root: Path | None,
    current: dict[str, Any],
    workbook: Path,
    date: str,
    meta: Meta,
    dry_run: bool,
    merged: dict[str, Any] | None = None,
) -> None:
    """Write the new comments into the review log and the merged policy (when it changed): as
    one transaction when both change, so that an interruption leaves both as before or both as
    after (the next import completes it); each replaced only if it is still what was read."""
    from support_scope.fileio.transaction import Transaction
    from support_scope.workbook.reviewlog import new_comments, updated_log

    log_raw = read_bytes(log, str(log), "review log") if log.exists() or log.is_symlink() else None
    existing = decode_text(log_raw, str(log)) if log_raw is not None else None
    result.new_comments = new_comments(result.comments, existing)
    if dry_run:
        return
    log_data = policy_data = None
    if result.new_comments:
        log_data = updated_log(
            existing, str(current["id"]), workbook.name, date, meta.version, result.new_comments
        ).encode("utf-8")
    if merged is not None:
        policy_data = dump_json(merged).encode("utf-8")
    log_before = digest_bytes(log_raw) if log_raw is not None else None
    if log_data is not None and policy_data is not None:
        from support_scope.fileio.lock import lock_directory

        transaction = Transaction(
            root if root is not None else lock_directory(policy),
            f"the import of {workbook.name} into {result.policy}",
            f"{IMPORT_COMMAND} {workbook}",
        )
        # The log first: the policy (what services and releases read) is put in place last.
        if log_before is None:
            transaction.create(log, log_data)
        else:
            transaction.replace(log, log_data, log_before)
        transaction.replace(policy, policy_data, read_digest)
        transaction.commit()
    elif log_data is not None:
        write_atomic(log, log_data, expected=log_before or "", clean=True)
    elif policy_data is not None:
        write_atomic(policy, policy_data, expected=read_digest, clean=True)
    result.log_written = log_data is not None
    result.written = policy_data is not None


def _readable_notes(reader: _Reader, notes: list[Note]) -> list[Note]:
    """The notes, but those holding a lone surrogate (``_xD800_``: half of a UTF-16 pair, no
    character), which no file can record: each is a problem at its cell."""
    from openpyxl.utils import get_column_letter

    kept: list[Note] = []
    for note in notes:
        found = _SURROGATE.search(note.text + (note.author or ""))
        if found is None:
            kept.append(note)
            continue
        reader.problem(
            f"{note.sheet}!{get_column_letter(max(note.column, 1))}{note.row}",
            reader.say("lone-surrogate", code=f"_x{ord(found.group(0)):04X}_"),
            "cell-type",
        )
    return kept


def _comments(
    reader: _Reader, notes: list[Note], layout: dict[str, Any], merge: Merge | None = None
) -> list[Comment]:
    """The reviewer comment column's comments and the cells' notes, each with its row's id."""
    from openpyxl.utils import get_column_letter

    found: list[Comment] = []
    for comment in reader.comments:
        key = comment.key
        if key is None and merge is not None and comment.sheet is not None and comment.row is not None:
            key = _new_key(merge, comment.sheet, comment.row)
        found.append(_with_key(comment, key))
    hidden = {SHEET_META, SHEET_LISTS}
    for note in notes:
        if note.sheet in hidden or not note.text:
            continue
        key = reader.keys.get(note.sheet, {}).get(note.row)
        if key is None and merge is not None:
            key = _new_key(merge, note.sheet, note.row)
        header = None
        table = layout.get(note.sheet)
        if note.row == 1:
            key = None  # a note on a header
        if table is not None:
            positions = reader.positions.get(note.sheet) or {c.key: i for i, c in enumerate(table.columns, 1)}
            header = next((table.column(k).header for k, p in positions.items() if p == note.column), None)
        found.append(
            Comment(
                f"{note.sheet}!{get_column_letter(note.column)}{note.row}",
                key,
                note.text.strip(),
                author=note.author,
                column=header,
                kind="note",
                date=note.date,
                sheet=note.sheet,
                row=note.row,
            )
        )
    return found


def _new_key(merge: Merge, sheet: str, number: int) -> str | None:
    row = next((row for row in merge.rows.get(sheet, []) if row.number == number), None)
    return row.key if row is not None else None


def _with_key(comment: Comment, key: str | None) -> Comment:
    if key == comment.key:
        return comment
    return Comment(
        comment.cell,
        key,
        comment.text,
        comment.author,
        comment.column,
        comment.kind,
        comment.date,
        comment.sheet,
        comment.row,
    )
