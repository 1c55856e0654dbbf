"""``support-scope serve``."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
from pathlib import Path

import click

from support_scope.cli.answers import release_alone
from support_scope.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    fail,
    policy_option,
    project,
    root_option,
    run_core,
    verify_with_option,
)

DEFAULT_PORT = 8181


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/support-scope/serve`` (``~/.cache/support-scope/serve`` without it)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "support-scope" / "serve"


@click.command()
@click.option(
    "--release",
    "release",
    default=None,
    metavar="FILE|URL",
    help="The release to serve: a file, or an http(s):// URL polled for new releases. Default: the project's "
    "latest release (found again at each look, so a release cut by `support-scope release` is served), or "
    "the shipped one outside a project.",
)
@policy_option()
@root_option()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True, help="0: any free port."
)
@verify_with_option()
@click.option(
    "--allow-rollback",
    is_flag=True,
    default=False,
    help="Serve a release older than the one served (or than the one the cache holds at a start). Without it, "
    "such a release is refused like a forged one: a signature does not say a release is the latest.",
)
@click.option(
    "--poll-interval",
    type=click.FloatRange(min=0.05),
    default=5.0,
    show_default=True,
    metavar="SECONDS",
    help="How often the release source is looked at (SIGHUP: at once).",
)
@click.option(
    "--log",
    "log_target",
    default=None,
    metavar="FILE|-",
    help="Write one JSON line per decision to FILE (appended to), or to standard output with -.",
)
@click.option(
    "--log-redact",
    "redact",
    multiple=True,
    metavar="FACT",
    help="A context fact never to write in the decision log (repeatable; * for the whole context).",
)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where the last good release is kept for a restart. Default for a URL: "
    "$XDG_CACHE_HOME/support-scope/serve (~/.cache/...); a file source is kept only when this is given.",
)
@click.option(
    "--max-body",
    type=click.IntRange(1024, 64 * 1024 * 1024),
    default=1024 * 1024,
    show_default=True,
    metavar="BYTES",
    help="The largest request body accepted (larger: 413).",
)
def serve(
    release: str | None,
    policy_id: str | None,
    root: Path | None,
    host: str,
    port: int,
    verify_with: tuple[Path, ...],
    allow_rollback: bool,
    poll_interval: float,
    log_target: str | None,
    redact: tuple[str, ...],
    cache_dir: Path | None,
    max_body: int,
) -> None:
    """Serve decisions over HTTP to services in any language.

    POST /v1/decide with a JSON question (the keywords of `decide`: plan, category, item or
    request, product, context) answers what `support-scope decide --format json` would, plus
    a decision_id and the release that answered; POST /v1/decide/batch answers many at once;
    GET /v1/find (what `support-scope find --format json` prints), /v1/release, /health
    (readiness), /metrics (Prometheus), /openapi.json (the API, with the release's plans,
    categories, request kinds, products and facts).

    The release is looked at every --poll-interval seconds (a URL with If-None-Match) and a
    new one is swapped in only once it verifies: its digest, and with --verify-with its
    signature (`support-scope sign`); and only when it is newer than the one served (no
    rollback, unless --allow-rollback). A release that is refused or cannot be fetched never
    replaces the one served; /health and /metrics report it. Needs the serve extra:
    pip install 'support-scope[serve]'.

    \b
    Exit codes:
      0  stopped (Ctrl-C, SIGTERM)
      1  no release to serve (a file that cannot be loaded or is refused), a bad key,
         the address in use
      2  usage error

    \b
    Examples:
      support-scope serve --port 8181
      support-scope serve --release https://releases.example/act/latest.json --verify-with release-key.pub.pem
      curl -s -X POST localhost:8181/v1/decide -d '{"plan": "standard", "category": "companion-app"}'
    """
    try:
        import uvicorn

        from support_scope.serve.app import Service, uvicorn_config
        from support_scope.serve.logs import EVERY_FACT, DecisionLog
        from support_scope.serve.metrics import Metrics
        from support_scope.serve.reload import Reloader
        from support_scope.serve.source import FileSource, UrlSource, source_for
    except ImportError as e:
        fail(f"serving needs the serve extra: pip install 'support-scope[serve]' ({e})")
    from support_scope.compile.signing import TrustedKeys

    release_alone(release, policy_id, root)
    if redact and log_target is None:
        raise click.UsageError("--log-redact says what the decision log leaves out: give --log too")
    keys = run_core(TrustedKeys.load, verify_with) if verify_with else None
    source: FileSource | UrlSource
    if release is None:
        chosen = project(root)
        run_core(chosen.latest_release, policy_id)  # say at once when there is none
        source = FileSource(
            lambda: chosen.latest_release(policy_id), f"the latest release in {chosen.releases_dir}"
        )
    else:
        source = run_core(source_for, release)
    if cache_dir is None and isinstance(source, UrlSource):
        cache_dir = default_cache_dir()
    metrics = Metrics()
    reloader = Reloader(
        source,
        keys,
        interval=poll_interval,
        cache_dir=cache_dir,
        metrics=metrics,
        allow_rollback=allow_rollback,
    )
    first = reloader.start()
    loaded = reloader.current
    if loaded is None:
        if not isinstance(source, UrlSource):
            fail(first.detail)
        click.echo(
            f"support-scope serve: not ready: {first.detail}; looking again every {poll_interval:g} s",
            err=True,
        )
    elif loaded.from_cache:
        click.echo(
            f"support-scope serve: {first.detail}; serving the last good release kept in {loaded.source}",
            err=True,
        )
    if loaded is not None:
        unknown = sorted(set(redact) - set(loaded.ruleset.facts) - {EVERY_FACT})
        if unknown:
            fail(
                f"--log-redact {unknown[0]}: the release declares no such fact "
                f"(declared: {', '.join(sorted(loaded.ruleset.facts))})"
            )
    log = None
    if log_target is not None:
        try:
            log = DecisionLog(log_target, redact)
        except OSError as e:
            fail(f"{log_target}: cannot write the decision log: {e.strerror or e}")
    service = Service(reloader, metrics, log, max_body=max_body)
    listener = _listen(host, port)
    bound = listener.getsockname()
    shown_host = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
    if loaded is not None:
        signed = f", signed by {loaded.signed_by}" if loaded.signed_by else ""
        what = f"{loaded.ruleset.policy_id} {loaded.ruleset.policy_version} ({loaded.ruleset.digest}{signed})"
    else:
        what = "nothing yet"
    click.echo(f"support-scope serve: serving {what} on http://{shown_host}:{bound[1]}", err=True)
    server = uvicorn.Server(uvicorn_config(service.app()))
    # uvicorn stops gracefully on SIGINT and SIGTERM, then raises the signal again once its own
    # handlers are gone: these make that a clean exit 0 rather than "Aborted!" or death by signal.
    signal.signal(signal.SIGTERM, _stopped)
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[listener])
    raise SystemExit(EXIT_OK)


def _stopped(signum: int, frame: object) -> None:
    raise SystemExit(EXIT_OK)


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: any free port), or exit 1 saying why not."""
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        listener = socket.socket(family, kind, protocol)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(2048)
        listener.set_inheritable(True)
    except OSError as e:
        fail(f"cannot listen on {host}:{port}: {e.strerror or e}", EXIT_FAILED)
    return listener
