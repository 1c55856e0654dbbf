"""``support-scope sign``."""

from __future__ import annotations

from pathlib import Path

import click

from support_scope.cli.common import EXIT_OK, run_core


@click.command()
@click.argument("release", type=click.Path(path_type=Path))
@click.option(
    "--key",
    "keys",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path),
    metavar="PRIVATE_KEY",
    help="A PEM Ed25519 private key (`openssl genpkey -algorithm ed25519 -out key.pem`); repeatable: "
    "sign with the old and the new key while keys rotate.",
)
def sign(release: Path, keys: tuple[Path, ...]) -> None:
    """Sign a release, so that a service can check who compiled it.

    Writes RELEASE.sig beside RELEASE (atomically): an Ed25519 signature over the
    release file's exact bytes, with the key id (the SHA-256 of the public key's DER form, as
    `openssl pkey -pubin -in public.pem -outform DER | sha256sum` prints it). Signatures of the
    same release by other keys already in the file are kept (key rotation); those of another
    release are dropped. The release is verified first (format, digest): a tampered release is
    never signed.

    Services then refuse a release no trusted key signed: `load_release(path, keys=[...])`,
    `support-scope decide --verify-with PUBLIC_KEY`, `support-scope serve --verify-with
    PUBLIC_KEY`. Give them the public key (`openssl pkey -in key.pem -pubout -out public.pem`);
    the private key stays with whoever signs.

    \b
    Exit codes:
      0  signed
      1  the release cannot be trusted, a key cannot be read, or the file cannot be written
      2  usage error

    \b
    Examples:
      openssl genpkey -algorithm ed25519 -out signing-key.pem
      support-scope sign releases/act-premium-support-scope/2.0.1.json --key signing-key.pem
    """
    from support_scope.compile.signing import (
        load_private_key,
        sign_release,
        signature_path,
        signatures_document,
    )
    from support_scope.compile.verify import load_release_bytes
    from support_scope.fileio.atomic import write_atomic
    from support_scope.fileio.jsonfile import read_bytes

    raw = run_core(read_bytes, release, str(release), "release file")
    verified = run_core(load_release_bytes, raw, str(release))
    private = [run_core(load_private_key, key) for key in keys]
    entries = [sign_release(raw, key) for key in private]
    target = signature_path(release)
    previous = run_core(read_bytes, target, str(target), "signature file") if target.is_file() else None
    run_core(write_atomic, target, signatures_document(verified.manifest, entries, previous))
    manifest = verified.manifest
    for entry in entries:
        click.echo(
            f"signed {manifest['policy_id']} {manifest['policy_version']} ({manifest['digest']}) "
            f"with key {entry['key_id']} -> {target}",
            err=True,
        )
    raise SystemExit(EXIT_OK)
