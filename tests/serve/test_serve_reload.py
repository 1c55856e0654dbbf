"""Hot reload, over real HTTP: a new release is swapped in once it verifies; a bad or unreachable one
never replaces the one served; under load, no request fails and every answer names its release."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from builders import compiled
from conftest import Cli
from serve.live import (
    OUTCOME,
    QUESTION,
    VERSION_A,
    VERSION_B,
    KeyPair,
    Releases,
    Server,
    Store,
    call,
    forged,
    publish,
    run_serve,
    tampered,
)
from support_scope.compile.compiler import release_bytes
from support_scope.compile.signing import signature_path
from support_scope.fileio.jsonfile import read_json

POLL = "0.1"


def samples(server: Server) -> dict[str, float]:
    """The unlabelled samples of /metrics, and labelled ones as name{value,...}."""
    from prometheus_client.parser import text_string_to_metric_families

    found: dict[str, float] = {}
    for family in text_string_to_metric_families(server.call("GET", "/metrics").body.decode()):
        for sample in family.samples:
            labels = ",".join(sample.labels.values())
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


def release_info(server: Server) -> dict[str, str]:
    """The labels of the release info metric (there is one)."""
    from prometheus_client.parser import text_string_to_metric_families

    text = server.call("GET", "/metrics").body.decode()
    [sample] = [
        sample
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "support_scope_release_info"
    ]
    return dict(sample.labels)


def version(health: dict[str, Any]) -> str | None:
    release = health.get("release")
    return release["policy_version"] if release else None


def sign(run_cli: Cli, release: Path, key: KeyPair) -> None:
    result = run_cli("sign", str(release), "--key", str(key.private))
    assert result.exit_code == 0, result.output


# --------------------------------------------------------------------------- a file


def test_a_new_release_file_is_served_without_a_restart(
    start_server: Callable[..., Server], releases: Releases, tmp_path: Path
) -> None:
    path = tmp_path / "release.json"
    path.write_bytes(releases.a)
    server = start_server("--release", str(path), "--poll-interval", POLL)
    answer = server.decide(**QUESTION).json
    assert (answer["outcome"], answer["release"]["digest"]) == (OUTCOME["a"], releases.digest_a)
    publish(path, releases.b)
    server.wait_for(lambda h: version(h) == VERSION_B)
    answer = server.decide(**QUESTION).json
    assert (answer["outcome"], answer["release"]["digest"]) == (OUTCOME["b"], releases.digest_b)
    assert (
        server.call("GET", "/openapi.json")
        .json["info"]["description"]
        .startswith(f"Decisions of the release act-premium-support-scope {VERSION_B}")
    )


def test_a_tampered_release_is_refused_and_the_old_one_keeps_serving(
    start_server: Callable[..., Server], releases: Releases, tmp_path: Path
) -> None:
    path = tmp_path / "release.json"
    path.write_bytes(releases.a)
    server = start_server("--release", str(path), "--poll-interval", POLL)
    publish(path, tampered(releases.b))
    health = server.wait_for(lambda h: h["reload"]["failure"] is not None)
    assert server.call("GET", "/health").status == 200
    assert version(health) == VERSION_A
    assert health["reload"]["failure"]["result"] == "refused"
    assert "digest mismatch" in health["reload"]["failure"]["detail"]
    reply = server.decide(**QUESTION)
    assert (reply.status, reply.json["release"]["digest"]) == (200, releases.digest_a)
    found = samples(server)
    assert found["support_scope_release_last_reload_success"] == 0
    assert found["support_scope_release_checks_total{refused}"] == 1
    assert release_info(server) == {
        "policy_id": "act-premium-support-scope",
        "policy_version": VERSION_A,
        "digest": releases.digest_a,
        "signed_by": "",
    }
    # Fixed: the good release goes in and the failure is over.
    publish(path, releases.b)
    health = server.wait_for(lambda h: version(h) == VERSION_B)
    assert health["reload"]["failure"] is None
    assert samples(server)["support_scope_release_last_reload_success"] == 1


def test_the_projects_latest_release_is_followed(
    start_server: Callable[..., Server], releases: Releases, tmp_path: Path, shipped_policy: Path
) -> None:
    """Without --release: the project's latest release, found again at each look."""
    project = tmp_path / "project"
    (project / "policies").mkdir(parents=True)
    (project / "policies" / shipped_policy.name).write_bytes(shipped_policy.read_bytes())
    directory = project / "releases" / "act-premium-support-scope"
    directory.mkdir(parents=True)
    (directory / f"{VERSION_A}.json").write_bytes(releases.a)
    server = start_server("--poll-interval", POLL, cwd=project)
    assert version(server.health()) == VERSION_A
    publish(directory / f"{VERSION_B}.json", releases.b)
    server.wait_for(lambda h: version(h) == VERSION_B)


def test_a_release_that_cannot_be_loaded_at_start_is_exit_1(
    releases: Releases, tmp_path: Path, serve_env: dict[str, str]
) -> None:
    path = tmp_path / "release.json"
    path.write_bytes(tampered(releases.a))
    result = run_serve("--release", str(path), cwd=tmp_path, env=serve_env)
    assert result.returncode == 1
    assert "digest mismatch" in result.stderr
    result = run_serve("--release", str(tmp_path / "none.json"), cwd=tmp_path, env=serve_env)
    assert result.returncode == 1
    assert "none.json: no such release file" in result.stderr


# --------------------------------------------------------------------------- signatures


def test_only_releases_signed_by_a_trusted_key_are_served(
    start_server: Callable[..., Server],
    run_cli: Cli,
    releases: Releases,
    keys: dict[str, KeyPair],
    tmp_path: Path,
    serve_env: dict[str, str],
) -> None:
    path = tmp_path / "release.json"
    path.write_bytes(releases.a)
    # Unsigned: refused at start, never served.
    result = run_serve(
        "--release", str(path), "--verify-with", str(keys["old"].public), cwd=tmp_path, env=serve_env
    )
    assert result.returncode == 1
    assert "not signed" in result.stderr
    sign(run_cli, path, keys["old"])
    server = start_server(
        "--release", str(path), "--poll-interval", POLL, "--verify-with", str(keys["old"].public)
    )
    health = server.health()
    assert health["release"]["signed_by"].startswith("sha256:")
    assert health["reload"]["signature_required"] is True

    def refused(detail: str) -> None:
        health = server.wait_for(
            lambda h: h["reload"]["failure"] is not None and detail in h["reload"]["failure"]["detail"]
        )
        assert version(health) == VERSION_A
        reply = server.decide(**QUESTION)
        assert (reply.status, reply.json["release"]["digest"]) == (200, releases.digest_a)

    # A forged release, intact by its digest, beside the old release's signature.
    publish(path, forged(releases.a))
    refused("does not match the release")
    # Signed, but by a key nobody trusts here.
    publish(path, releases.b)
    sign(run_cli, path, keys["stranger"])
    refused("signed only by keys not trusted here")
    # Unsigned.
    signature_path(path).unlink()
    server.hangup()
    refused("not signed")
    # Signed by the trusted key: served.
    sign(run_cli, path, keys["old"])
    health = server.wait_for(lambda h: version(h) == VERSION_B)
    assert health["reload"]["failure"] is None


def test_a_signed_release_that_fails_the_strict_verification_is_not_served(
    start_server: Callable[..., Server],
    run_cli: Cli,
    releases: Releases,
    keys: dict[str, KeyPair],
    tmp_path: Path,
) -> None:
    """Refused by either check, the signature or the release's own verification, a release is never served."""
    from support_scope.compile.signing import load_private_key, sign_release, signatures_document

    path = tmp_path / "release.json"
    _signed(run_cli, path, releases.a, keys["old"])
    server = start_server(
        "--release", str(path), "--verify-with", str(keys["old"].public), "--poll-interval", POLL
    )
    damaged = releases.b + b"\n{}"  # more text after the release
    entry = sign_release(damaged, load_private_key(keys["old"].private))
    publish(signature_path(path), signatures_document(json.loads(releases.b)["manifest"], [entry]))
    publish(path, damaged)
    health = server.wait_for(
        lambda h: (
            h["reload"]["failure"] is not None
            and "more text after the end" in h["reload"]["failure"]["detail"]
        )
    )
    assert (health["status"], version(health), health["reload"]["failure"]["result"]) == (
        "ready",
        VERSION_A,
        "refused",
    )
    assert server.decide(**QUESTION).json["release"]["digest"] == releases.digest_a


# --------------------------------------------------------------------------- no rollback


def _signed(run_cli: Cli, path: Path, raw: bytes, key: KeyPair) -> None:
    """``raw`` published at ``path`` with its signature by ``key`` (the release first, then its signature)."""
    publish(path, raw)
    sign(run_cli, path, key)


def test_an_older_signed_release_does_not_roll_the_service_back(
    start_server: Callable[..., Server],
    run_cli: Cli,
    releases: Releases,
    keys: dict[str, KeyPair],
    tmp_path: Path,
    serve_env: dict[str, str],
) -> None:
    """A signature says who made a release, not that it is the latest: whoever controls the store
    could put back an older release the trusted key once signed. It is refused like a forged one,
    and after a restart too (the cache remembers what was served), unless --allow-rollback."""
    path = tmp_path / "release.json"
    _signed(run_cli, path, releases.a, keys["old"])
    args = ["--release", str(path), "--verify-with", str(keys["old"].public), "--poll-interval", POLL]
    args += ["--cache-dir", str(tmp_path / "cache")]
    server = start_server(*args)
    assert version(server.health()) == VERSION_A
    _signed(run_cli, path, releases.b, keys["old"])
    server.wait_for(lambda h: version(h) == VERSION_B and h["reload"]["failure"] is None)
    # The older release, genuinely signed by the trusted key, is put back.
    _signed(run_cli, path, releases.a, keys["old"])
    older = (
        f"{path}: act-premium-support-scope {VERSION_A} is older than the release served "
        f"(act-premium-support-scope {VERSION_B}): refused, so that an older signed release cannot roll the "
        "service back; publish a newer version, or restart the service with --allow-rollback"
    )
    health = server.wait_for(
        lambda h: h["reload"]["failure"] is not None and h["reload"]["failure"]["detail"] == older
    )
    assert (health["status"], version(health), health["reload"]["failure"]["result"]) == (
        "ready",
        VERSION_B,
        "refused",
    )
    reply = server.decide(**QUESTION)
    assert (reply.json["outcome"], reply.json["release"]["digest"]) == (OUTCOME["b"], releases.digest_b)
    assert samples(server)["support_scope_release_last_reload_success"] == 0
    assert server.stop() == 0
    # A restart while the source still holds it: the last good release, from the cache.
    restarted = start_server(*args)
    health = restarted.health()
    assert (version(health), health["release"]["from_cache"]) == (VERSION_B, True)
    assert health["reload"]["failure"]["detail"] == older
    assert restarted.stop() == 0
    # Rolling back on purpose.
    back = start_server(*args, "--allow-rollback")
    health = back.health()
    assert (version(health), health["release"]["from_cache"], health["reload"]["rollback_allowed"]) == (
        VERSION_A,
        False,
        True,
    )
    assert back.decide(**QUESTION).json["outcome"] == OUTCOME["a"]
    # Without a cache, nothing says what was served before: the source's release is served.
    alone = start_server("--release", str(path), "--verify-with", str(keys["old"].public))
    assert version(alone.health()) == VERSION_A


def test_another_release_under_the_version_served_is_refused(
    start_server: Callable[..., Server],
    run_cli: Cli,
    releases: Releases,
    keys: dict[str, KeyPair],
    tmp_path: Path,
    shipped_policy: Path,
) -> None:
    """A version is released once: a second, different release of it is not genuine. A release of
    another policy is not served in place of this one either."""
    path = tmp_path / "release.json"
    _signed(run_cli, path, releases.b, keys["old"])
    server = start_server(
        "--release", str(path), "--verify-with", str(keys["old"].public), "--poll-interval", POLL
    )
    document = read_json(shipped_policy)
    document["version"] = VERSION_B  # the same version as b, without b's change
    twin = release_bytes(compiled(document))
    _signed(run_cli, path, twin, keys["old"])
    digest_twin = json.loads(twin)["manifest"]["digest"]
    same = (
        f"{path}: another act-premium-support-scope {VERSION_B} ({digest_twin}) than the one served "
        f"({releases.digest_b}): a version is released once, so one of them is not genuine: refused; "
        "publish a newer version, or restart the service with --allow-rollback"
    )
    server.wait_for(lambda h: h["reload"]["failure"] is not None and h["reload"]["failure"]["detail"] == same)
    document["id"] = "another-policy"
    document["version"] = "9.0.0"
    _signed(run_cli, path, release_bytes(compiled(document)), keys["old"])
    other = (
        f"{path}: a release of policy another-policy, not of act-premium-support-scope "
        f"(served: act-premium-support-scope {VERSION_B}): refused; to serve another policy, restart the service"
    )
    health = server.wait_for(
        lambda h: h["reload"]["failure"] is not None and h["reload"]["failure"]["detail"] == other
    )
    assert health["release"]["digest"] == releases.digest_b
    # The release served, published again: all is well.
    _signed(run_cli, path, releases.b, keys["old"])
    server.wait_for(lambda h: h["reload"]["failure"] is None)


# --------------------------------------------------------------------------- a URL


def _published(store: Store, run_cli: Cli, raw: bytes, key: KeyPair, name: str = "release.json") -> None:
    staging = store.directory / f".staging-{name}"
    staging.write_bytes(raw)
    sign(run_cli, staging, key)
    publish(store.directory / (name + ".sig"), signature_path(staging).read_bytes())
    publish(store.directory / name, raw)


def test_a_release_url_is_polled_with_if_none_match(
    start_server: Callable[..., Server],
    run_cli: Cli,
    releases: Releases,
    keys: dict[str, KeyPair],
    store: Store,
    tmp_path: Path,
) -> None:
    _published(store, run_cli, releases.a, keys["old"])
    server = start_server(
        "--release",
        store.url("release.json"),
        "--verify-with",
        str(keys["old"].public),
        "--poll-interval",
        POLL,
        "--cache-dir",
        str(tmp_path / "cache"),
    )
    assert server.health()["release"]["source"] == store.url("release.json")
    time.sleep(0.5)
    polls = [r for r in store.requests if r[0] == "/release.json"]
    assert polls[0] == ("/release.json", None, 200)
    assert len(polls) >= 3 and all(sent is not None and status == 304 for _, sent, status in polls[1:])
    _published(store, run_cli, releases.b, keys["old"])
    server.wait_for(lambda h: version(h) == VERSION_B)
    # The store goes away: the service keeps answering from what it has, and says so.
    store.stop()
    health = server.wait_for(lambda h: h["reload"]["failure"] is not None)
    assert health["status"] == "ready"
    assert health["reload"]["failure"]["result"] == "unreachable"
    assert "unreachable" in health["reload"]["failure"]["detail"]
    reply = server.decide(**QUESTION)
    assert (reply.status, reply.json["outcome"]) == (200, OUTCOME["b"])
    assert samples(server)["support_scope_release_checks_total{unreachable}"] >= 1


def test_a_restart_serves_the_last_good_release_kept_on_disk(
    start_server: Callable[..., Server],
    run_cli: Cli,
    releases: Releases,
    keys: dict[str, KeyPair],
    store: Store,
) -> None:
    _published(store, run_cli, releases.b, keys["old"])
    args = [
        "--release",
        store.url("release.json"),
        "--verify-with",
        str(keys["old"].public),
        "--poll-interval",
        POLL,
    ]
    first = start_server(*args)  # the default cache: $XDG_CACHE_HOME (the test's directory)
    assert version(first.health()) == VERSION_B
    assert first.stop() == 0
    # Now the store holds a forged release: the restarted service serves the last good one.
    publish(store.directory / "release.json", forged(releases.b))
    second = start_server(*args)
    health = second.health()
    assert (health["status"], version(health), health["release"]["from_cache"]) == ("ready", VERSION_B, True)
    assert "does not match the release" in health["reload"]["failure"]["detail"]
    assert second.decide(**QUESTION).json["release"]["digest"] == releases.digest_b
    assert any("serving the last good release kept in" in line for line in second.stderr)


def test_a_url_down_at_start_is_not_ready_until_it_comes(
    start_server: Callable[..., Server], releases: Releases, store: Store, tmp_path: Path
) -> None:
    server = start_server(
        "--release", store.url("release.json"), "--poll-interval", POLL, "--cache-dir", str(tmp_path / "c")
    )
    reply = server.call("GET", "/health")
    assert reply.status == 503
    assert reply.json["status"] == "not ready"
    assert "HTTP 404" in reply.json["reload"]["failure"]["detail"]
    reply = server.decide(**QUESTION)
    assert reply.status == 503
    assert reply.json["detail"].startswith("no verified release is loaded yet")
    publish(store.directory / "release.json", releases.a)
    server.wait_for(lambda h: h["status"] == "ready")
    assert server.decide(**QUESTION).status == 200


def test_two_workers_polling_one_url_switch_together(
    start_server: Callable[..., Server], releases: Releases, store: Store, tmp_path: Path
) -> None:
    """Two processes on one machine (replicas behind a load balancer) serve the same release and
    switch to the next within one poll of each other."""
    publish(store.directory / "release.json", releases.a)
    workers = [
        start_server(
            "--release",
            store.url("release.json"),
            "--poll-interval",
            "0.2",
            "--cache-dir",
            str(tmp_path / f"c{i}"),
        )
        for i in range(2)
    ]
    assert {w.decide(**QUESTION).json["release"]["digest"] for w in workers} == {releases.digest_a}
    assert len({w.health()["pid"] for w in workers}) == 2
    published = time.monotonic()
    publish(store.directory / "release.json", releases.b)
    switched = []
    for worker in workers:
        worker.wait_for(lambda h: version(h) == VERSION_B, timeout=10)
        switched.append(time.monotonic() - published)
    assert {w.decide(**QUESTION).json["release"]["digest"] for w in workers} == {releases.digest_b}
    assert max(switched) < 10


# --------------------------------------------------------------------------- under load


def test_swapping_releases_under_load_fails_no_request(
    start_server: Callable[..., Server], releases: Releases, tmp_path: Path
) -> None:
    """Clients ask without pause while the release is swapped back and forth (--allow-rollback;
    and a tampered one is published once): every request succeeds, and every answer is the
    answer of the release it names, so no answer mixes two releases."""
    path = tmp_path / "release.json"
    path.write_bytes(releases.a)
    server = start_server("--release", str(path), "--poll-interval", "0.05", "--allow-rollback")
    expected = {releases.digest_a: OUTCOME["a"], releases.digest_b: OUTCOME["b"]}
    stop = threading.Event()
    failures: list[str] = []
    seen: dict[str, int] = {}
    lock = threading.Lock()
    counts = [0]

    def client(batch: bool) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            for _ in range(5000):  # bounded in count as well as in time
                if stop.is_set():
                    break
                if batch:
                    reply = call(
                        server.port,
                        "POST",
                        "/v1/decide/batch",
                        {"questions": [QUESTION] * 20},
                        connection=connection,
                    )
                    answers = reply.json["answers"] if reply.status == 200 else []
                    if len({a["release"]["digest"] for a in answers}) > 1:
                        failures.append("a batch answered from two releases")
                else:
                    reply = call(server.port, "POST", "/v1/decide", QUESTION, connection=connection)
                    answers = [reply.json] if reply.status == 200 else []
                if reply.status != 200:
                    failures.append(f"HTTP {reply.status}: {reply.body[:200]!r}")
                    continue
                for answer in answers:
                    digest = answer["release"]["digest"]
                    if expected.get(digest) != answer["outcome"]:
                        failures.append(f"{answer['outcome']} from {digest}")
                    with lock:
                        seen[digest] = seen.get(digest, 0) + 1
                        counts[0] += 1
        except Exception as e:  # a refused or reset connection is a failed request too
            failures.append(f"{type(e).__name__}: {e}")
        finally:
            connection.close()

    clients = [threading.Thread(target=client, args=(i == 0,)) for i in range(4)]
    for thread in clients:
        thread.start()
    try:
        swaps = 0
        for index in range(12):
            time.sleep(0.25)
            if index == 6:
                publish(path, tampered(releases.a))
                continue
            publish(path, releases.b if index % 2 == 0 else releases.a)
            swaps += 1
    finally:
        time.sleep(0.3)
        stop.set()
        for thread in clients:
            thread.join(60)
    assert failures == []
    assert set(seen) == {releases.digest_a, releases.digest_b}, seen
    assert counts[0] > 100
    health = server.health()
    assert health["reload"]["releases_loaded"] >= 4
    assert samples(server)["support_scope_release_checks_total{refused}"] >= 1


def test_a_release_swapped_out_is_freed(releases: Releases, tmp_path: Path) -> None:
    """Nothing keeps the old release alive once no request holds it (in-process, no server)."""
    import gc
    import weakref

    pytest.importorskip(
        "prometheus_client", reason="the serve extra is not installed: pip install '.[serve]'"
    )

    from support_scope.serve.metrics import Metrics
    from support_scope.serve.reload import Reloader
    from support_scope.serve.source import FileSource

    path = tmp_path / "release.json"
    path.write_bytes(releases.a)
    reloader = Reloader(FileSource(path), metrics=Metrics())
    try:
        reloader.start()
        first = reloader.current
        assert first is not None
        first.ruleset.decide(plan="standard", category="companion-app")
        gone = weakref.ref(first.ruleset)
        del first
        publish(path, releases.b)
        reloader.apply(reloader.check())
        assert reloader.current is not None and reloader.current.ruleset.policy_version == VERSION_B
        assert gone() is None  # freed by reference counting: the collector froze it out of sight
        assert reloader.check().result == "unchanged"
    finally:
        gc.unfreeze()
