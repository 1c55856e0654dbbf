"""``support-scope compile``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from support_scope.cli.common import EXIT_OK, fail, run_core


@click.command()
@click.argument("policy", required=False, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the release to FILE (replaced atomically, only once compiling succeeded). Default: standard output.",
)
def compile(policy: Path | None, output: Path | None) -> None:
    """Compile a policy into a release: the ruleset services load to decide.

    POLICY is a policy document (default: the shipped policy). It must be valid (as `validate`
    checks it); if it is not, every problem is listed and nothing is written.

    The release is resolved (tier inclusion expanded, `see` references expanded, plans mapped to
    tiers, conditions as tests, referrals, billing notes, general terms, provenance on every
    rule), embeds the policy unchanged, and carries a manifest: policy id and version, the
    SHA-256 digest of the release and of the policy, the compiler's version, the format. It is
    checked against schema/compiled-ruleset.schema.json before it is written. Deterministic:
    the same policy gives the same bytes (canonical JSON: sorted keys, UTF-8, no white space,
    one final newline; no timestamp).

    Exit codes: 0 compiled; 1 the policy is unreadable or invalid; 2 usage error.

    \b
    Examples:
      support-scope compile -o /tmp/act-premium.json
      support-scope compile my-policy.json | python -m json.tool | less
    """
    from support_scope.compile import compile_file
    from support_scope.files import write_atomic
    from support_scope.resources import shipped_policy

    source = policy if policy is not None else shipped_policy()
    data: bytes = run_core(compile_file, source, str(policy) if policy is not None else None)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        raise SystemExit(EXIT_OK)
    try:
        run_core(write_atomic, output, data)
    except OSError as e:
        fail(f"{output}: cannot write: {e.strerror or e}")
    import json

    # Only the manifest is wanted: decode it where it stands rather than the whole release.
    text = data.decode("utf-8")
    start = text.index('"manifest":') + len('"manifest":')
    manifest, _ = json.JSONDecoder().raw_decode(text, start)
    click.echo(
        f"compiled {manifest['policy_id']} {manifest['policy_version']} -> {output} ({manifest['digest']})",
        err=True,
    )
    raise SystemExit(EXIT_OK)
