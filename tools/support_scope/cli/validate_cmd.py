"""``support-scope validate``."""

from __future__ import annotations

from pathlib import Path

import click

from support_scope.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    emit,
    format_option,
    note_schema_engine,
    policy_option,
    project,
    reporter,
    root_option,
    run_core,
)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@policy_option()
@root_option()
@format_option("validation")
def validate(paths: tuple[Path, ...], policy_id: str | None, root: Path | None, output_format: str) -> None:
    """Check policy documents against the schema, then for meaning.

    PATHS are policy files or directories of them (default: the project's policies/*.json,
    or the shipped policy outside a project; --policy ID: that one of them). The schema comes first, then the meaning: ids
    unique, every reference (tier, plan, referral, group, fact, `see`) resolves, no text
    repeated within a category, every declared language present, texts in Unicode NFC without
    leading or trailing white space or invisible characters, conditions nested at most 32
    deep, a semantic version.

    Every problem is reported at once, located as `file:line:col $.json.path: message`.

    \b
    Exit codes:
      0  every file is valid
      1  a problem was found (or a file cannot be read)
      2  usage error

    \b
    Examples:
      support-scope validate
      support-scope validate policies/act-premium-support-scope.json --format json
      support-scope validate --policy act-premium-support-scope --format github
    """
    from support_scope.validate.documents import no_policy, validate_paths

    if paths and policy_id is not None:
        raise click.UsageError("name the policies once: PATHS or --policy ID")
    found = project(root)
    chosen = [run_core(found.policy_path, policy_id)] if policy_id is not None else found.policy_files()
    note_schema_engine()
    report = validate_paths(list(paths) or chosen)
    if not paths and not report.files:  # the project's policies/ is empty, or missing
        report.files.append(no_policy(found.policies_dir))
    emit(reporter(output_format).validation(report))
    raise SystemExit(EXIT_OK if report.ok else EXIT_FAILED)
