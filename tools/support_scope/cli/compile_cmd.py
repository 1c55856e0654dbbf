"""``support-scope compile``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from support_scope.cli.common import (
    EXIT_OK,
    fail,
    note_schema_engine,
    policy_option,
    project,
    root_option,
    run_core,
)


@click.command()
@click.argument("policy", required=False, type=click.Path(path_type=Path))
@policy_option()
@root_option()
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Write the release to FILE (replaced atomically, only once compiling succeeded). Default: standard output.",
)
@click.option(
    "--vectors",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Also write generated conformance vectors (questions and this release's decisions) to FILE, "
    "for a port in another language to check itself against.",
)
def compile(
    policy: Path | None, policy_id: str | None, root: Path | None, output: Path | None, vectors: Path | None
) -> None:
    """Compile a policy into a release: the ruleset services load to decide.

    POLICY is a policy file (default: the project's policy, --policy ID among several; the
    shipped policy outside a project). It must be valid (as `validate` checks it); if it is
    not, every problem is listed and nothing is written.

    The release is resolved (tier inclusion expanded, `see` references expanded, plans mapped to
    tiers, conditions as tests, referrals, billing notes, general terms, provenance on every
    rule), embeds the policy unchanged, and carries a manifest: policy id and version, the
    SHA-256 digest of the release and of the policy, the compiler's version, the format. It is
    checked against schema/compiled-ruleset.schema.json before it is written. Deterministic:
    the same policy gives the same bytes (canonical JSON: sorted keys, UTF-8, no white space,
    one final newline; no timestamp).

    --vectors FILE writes, beside the release, generated conformance vectors: for every
    category and plan, every line, every request kind and a request nothing names, without
    facts and with the combinations of facts that matter, each with the decision this release
    gives (outcome, conditional, tier, rule, pending facts, referrals, offers, cited lines). A
    service that decides without this package checks itself against them.

    \b
    Exit codes:
      0  compiled
      1  the policy is missing, unreadable or invalid, or the output cannot be written
      2  usage error

    \b
    Examples:
      support-scope compile -o /tmp/act-premium.json
      support-scope compile -o /tmp/act-premium.json --vectors /tmp/act-premium.vectors.json
      support-scope compile policies/act-premium-support-scope.json | python -m json.tool | less
    """
    from support_scope.compile.compiler import compile_document
    from support_scope.fileio.atomic import write_atomic
    from support_scope.project import read_document

    if policy is not None and policy_id is not None:
        raise click.UsageError("name the policy once: a POLICY file or --policy ID")
    source = policy if policy is not None else run_core(project(root).policy_path, policy_id)
    document, text = run_core(read_document, source, "policy")
    note_schema_engine()
    release = run_core(compile_document, document, text, str(source))
    if vectors is not None:
        from support_scope.compile.vectors import vectors_document

        # Written first: the release on standard output stays the last thing said.
        data = run_core(vectors_document, release.data, str(source))
        run_core(write_atomic, vectors, data)
        click.echo(f"vectors of {release.policy_id} {release.policy_version} -> {vectors}", err=True)
    if output is None:
        # Every byte accounted for: a full disk or a closed pipe must not pass for a release.
        try:
            written = sys.stdout.buffer.write(release.data)
            sys.stdout.buffer.flush()
        except OSError as e:
            fail(f"cannot write the release to standard output: {e.strerror or e}")
        if written != len(release.data):
            fail(
                f"cannot write the release to standard output: only {written:,} of its "
                f"{len(release.data):,} bytes were written (a full disk?)"
            )
        raise SystemExit(EXIT_OK)
    run_core(write_atomic, output, release.data)
    click.echo(
        f"compiled {release.policy_id} {release.policy_version} -> {output} ({release.digest})", err=True
    )
    raise SystemExit(EXIT_OK)
