"""``support-scope init``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from support_scope.cli.common import EXIT_OK, emit, note_schema_engine, run_core


@click.command("init")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--id",
    "policy_id",
    default=None,
    metavar="ID",
    help="The policy id (a slug; default: the directory's name).",
)
@click.option("--title", default=None, help="The policy's French title.")
@click.option(
    "--product",
    default="your-product",
    show_default=True,
    metavar="ID",
    help="The id of the product whose support scope this is.",
)
@click.option(
    "--action",
    default=None,
    metavar="OWNER/REPO@REF",
    help="Where the workflow finds the support-scope GitHub Action: the repository your organisation "
    "keeps support-scope in, at a tag.",
)
@click.option(
    "--date",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    default=None,
    help="The date of the first release's CHANGELOG section (default: today).",
)
def init(
    directory: Path,
    policy_id: str | None,
    title: str | None,
    product: str,
    action: str | None,
    on: datetime | None,
) -> None:
    """Lay out a new policy repository in DIRECTORY, ready for its first commit.

    \b
    DIRECTORY (new, or empty) gets:
      policies/<id>.json                   a small valid policy to start from
      releases/<id>/1.0.0.json             its first release
      CHANGELOG.md                         with the first release's section
      tests/decisions/<id>.json            decision tests it keeps
      .pre-commit-config.yaml              validate and check on every commit
      .github/workflows/support-scope.yml  CI with the support-scope GitHub Action
      README.md, .gitignore

    `support-scope check` passes on it as it is, and so does its CI: edit the policy, then
    `support-scope release` cuts the next version. Nothing is written unless all of it is.

    \b
    Exit codes:
      0  laid out
      1  DIRECTORY exists and is not empty, or an id is not a slug
      2  usage error

    \b
    Examples:
      support-scope init growth-suite-scope --product act-growth-suite
      support-scope init scope --id act-cloud-support-scope --action my-org/support-scope@v0.1.0
    """
    from support_scope.scaffold import DEFAULT_ACTION, describe, init_project

    chosen = policy_id if policy_id is not None else directory.absolute().name
    note_schema_engine()
    layout = run_core(
        init_project,
        directory,
        chosen,
        title=title,
        product=product,
        action=action or DEFAULT_ACTION,
        today=on.date() if on is not None else None,
    )
    emit(describe(layout))
    raise SystemExit(EXIT_OK)
