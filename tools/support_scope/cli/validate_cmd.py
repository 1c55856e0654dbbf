"""``support-scope validate``."""

from __future__ import annotations

from pathlib import Path

import click

from support_scope.cli.common import EXIT_FAILED, EXIT_OK, emit_json, format_option, render_problems
from support_scope.resources import shipped_policies


def default_policy_paths() -> list[Path]:
    """``policies/*.json`` of the current directory when there is one, else the shipped policies."""
    local = Path("policies")
    if local.is_dir():
        return sorted(local.glob("*.json"))
    return shipped_policies()


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@format_option("text", "json")
def validate(paths: tuple[Path, ...], output_format: str) -> None:
    """Check policy documents against the schema, then for meaning.

    PATHS are policy files or directories of them (default: policies/*.json in the current
    directory, or the shipped policy when there is none). The schema comes first, then the
    meaning: ids unique, every reference (tier, plan, referral, group, fact, `see`) resolves,
    no text repeated within a category, every declared language present, texts in Unicode NFC
    without leading or trailing white space, a semantic version.

    Every problem is reported at once, located as `file:line:col $.json.path: message`.
    Exit 0 when every file is valid, 1 when any problem is found.

    \b
    Examples:
      support-scope validate
      support-scope validate policies/act-premium-support-scope.json --format json
    """
    from support_scope.validate import validate_paths

    report = validate_paths(list(paths) or default_policy_paths())
    if output_format == "json":
        emit_json(report.to_json())
    else:
        for file_result in report.files:
            if file_result.ok:
                click.echo(f"{file_result.file}: ok")
        render_problems(report.problems)
        count = len(report.problems)
        files = len(report.files)
        if report.ok:
            click.echo(f"ok: {files} file{'s' if files != 1 else ''} valid")
        else:
            bad = sum(1 for f in report.files if not f.ok)
            click.echo(
                f"{count} problem{'s' if count != 1 else ''} in {bad} of {files} file{'s' if files != 1 else ''}"
            )
    raise SystemExit(EXIT_OK if report.ok else EXIT_FAILED)
