"""Signed releases: `support-scope sign`, `load_release(keys=)`, `decide --verify-with`, with real
Ed25519 keys (made by the openssl command where installed, and by cryptography)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Cli
from serve.live import KeyPair, Releases, forged, make_key
from support_scope import load_release
from support_scope.compile.signing import TrustedKeys, signature_path
from support_scope.errors import InputError, ReleaseError

pytest.importorskip("cryptography", reason="signing needs cryptography: pip install '.[serve]'")


@pytest.fixture
def release(tmp_path: Path, releases: Releases) -> Path:
    path = tmp_path / "2.0.1.json"
    path.write_bytes(releases.a)
    return path


def sign(run_cli: Cli, release: Path, *keys: KeyPair) -> None:
    args = ["sign", str(release)]
    for key in keys:
        args += ["--key", str(key.private)]
    result = run_cli(*args)
    assert result.exit_code == 0, result.output


def test_sign_writes_a_signature_any_ed25519_tool_verifies(
    run_cli: Cli, release: Path, keys: dict[str, KeyPair], tmp_path: Path
) -> None:
    sign(run_cli, release, keys["old"])
    document = json.loads(signature_path(release).read_text(encoding="utf-8"))
    manifest = json.loads(release.read_bytes())["manifest"]
    assert document["format"] == 1
    assert document["release"] == {
        "policy_id": "act-premium-support-scope",
        "policy_version": "2.0.1",
        "digest": manifest["digest"],
    }
    [entry] = document["signatures"]
    assert entry["algorithm"] == "ed25519"
    # The key id is the SHA-256 of the public key's DER form: computed here from the PEM by hand.
    pem = keys["old"].public.read_text(encoding="ascii")
    der = base64.b64decode("".join(line for line in pem.splitlines() if not line.startswith("-----")))
    assert entry["key_id"] == "sha256:" + hashlib.sha256(der).hexdigest()
    # The README's recipe: openssl verifies the signature over the file's bytes, with nothing of ours.
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed: the recipe is checked with cryptography only")
    signature = tmp_path / "signature.bin"
    signature.write_bytes(base64.b64decode(entry["signature"]))
    command = [openssl, "pkeyutl", "-verify", "-pubin", "-inkey", str(keys["old"].public), "-rawin"]
    ok = subprocess.run(
        [*command, "-in", str(release), "-sigfile", str(signature)], capture_output=True, text=True
    )
    assert ok.returncode == 0 and "Signature Verified Successfully" in ok.stdout
    fingerprint = subprocess.run(
        f"{openssl} pkey -pubin -in {keys['old'].public} -outform DER | {openssl} dgst -sha256 -r",
        shell=True,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[0]
    assert entry["key_id"] == f"sha256:{fingerprint}"
    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(forged(release.read_bytes(), "1.0.1"))
    bad = subprocess.run(
        [*command, "-in", str(tampered), "-sigfile", str(signature)], capture_output=True, text=True
    )
    assert bad.returncode != 0


def test_load_release_requires_a_signature_when_keys_are_given(
    run_cli: Cli, release: Path, keys: dict[str, KeyPair]
) -> None:
    with pytest.raises(ReleaseError, match=r"not signed \(no .*2\.0\.1\.json\.sig\)"):
        load_release(release, keys=[keys["old"].public])
    assert load_release(release).policy_version == "2.0.1"  # without keys, as before
    sign(run_cli, release, keys["old"])
    assert load_release(release, keys=[keys["old"].public]).policy_version == "2.0.1"
    assert load_release(release, keys=TrustedKeys.load([keys["old"].public])).policy_version == "2.0.1"
    with pytest.raises(ReleaseError, match="signed only by keys not trusted here"):
        load_release(release, keys=[keys["stranger"].public])


def test_a_forged_release_with_a_good_digest_is_refused(
    run_cli: Cli, release: Path, keys: dict[str, KeyPair]
) -> None:
    sign(run_cli, release, keys["old"])
    release.write_bytes(forged(release.read_bytes(), "1.0.1"))
    assert load_release(release).policy_version == "1.0.1"  # the digest alone cannot tell
    with pytest.raises(
        ReleaseError, match=r"the signature by key sha256:[0-9a-f]{64} does not match the release"
    ):
        load_release(release, keys=[keys["old"].public])


def _signed_over(raw: bytes, key: KeyPair, manifest_of: bytes) -> bytes:
    """A signature file for ``raw`` by ``key``, made with the library, not with `sign` (which
    verifies the release first and would refuse a damaged one)."""
    from support_scope.compile.signing import load_private_key, sign_release, signatures_document

    entry = sign_release(raw, load_private_key(key.private))
    return signatures_document(json.loads(manifest_of)["manifest"], [entry])


def test_the_signature_is_checked_first_then_the_release_as_strictly_as_any(
    release: Path, keys: dict[str, KeyPair]
) -> None:
    """The signature over the exact bytes is checked before anything in them is read; a release
    that passes it still goes through the strict verification every release goes through."""
    good = release.read_bytes()
    damaged = good.replace(b'{"$schema"', b'{"$schema":"x","$schema"', 1)  # a repeated key
    trusted = [keys["old"].public]
    release.write_bytes(damaged)
    # Unsigned, or signed over other bytes: refused for that, before the JSON is even parsed.
    with pytest.raises(ReleaseError, match="not signed"):
        load_release(release, keys=trusted)
    signature_path(release).write_bytes(_signed_over(good, keys["old"], good))
    with pytest.raises(ReleaseError, match="does not match the release"):
        load_release(release, keys=trusted)
    # Signed by the trusted key over these very bytes: still refused, by the strict verification.
    signature_path(release).write_bytes(_signed_over(damaged, keys["old"], good))
    with pytest.raises(ReleaseError, match="key '\\$schema' appears twice in one object"):
        load_release(release, keys=trusted)
    truncated = good[:-2]
    release.write_bytes(truncated)
    signature_path(release).write_bytes(_signed_over(truncated, keys["old"], good))
    with pytest.raises(ReleaseError, match="not valid JSON"):
        load_release(release, keys=trusted)


def test_keys_rotate(run_cli: Cli, release: Path, keys: dict[str, KeyPair]) -> None:
    """Signed by the old and the new key while services move: either key alone is enough."""
    sign(run_cli, release, keys["old"])
    sign(run_cli, release, keys["new"])  # adds its signature beside the old one
    signatures = json.loads(signature_path(release).read_text(encoding="utf-8"))["signatures"]
    assert len(signatures) == 2
    for trusted in (
        [keys["old"].public],
        [keys["new"].public],
        [keys["stranger"].public, keys["new"].public],
    ):
        assert load_release(release, keys=trusted).policy_version == "2.0.1"
    # A new release signed by the new key alone: services trusting both keys take it.
    release.write_bytes(forged(release.read_bytes(), "2.1.0"))
    sign(run_cli, release, keys["new"])
    assert len(json.loads(signature_path(release).read_text(encoding="utf-8"))["signatures"]) == 1
    assert load_release(release, keys=[keys["old"].public, keys["new"].public]).policy_version == "2.1.0"
    with pytest.raises(ReleaseError, match="signed only by keys not trusted here"):
        load_release(release, keys=[keys["old"].public])


def test_keys_made_by_cryptography_work_too(run_cli: Cli, release: Path, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private, public = tmp_path / "k.pem", tmp_path / "k.pub.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    sign(run_cli, release, KeyPair(private, public))
    assert load_release(release, keys=[public]).policy_version == "2.0.1"


def test_decide_verify_with(run_cli: Cli, release: Path, keys: dict[str, KeyPair]) -> None:
    question = ["decide", "--release", str(release), "--plan", "standard", "--category", "companion-app"]
    result = run_cli(*question, "--verify-with", str(keys["old"].public))
    assert result.exit_code == 1
    assert "not signed" in result.output
    sign(run_cli, release, keys["old"])
    result = run_cli(
        *question, "--verify-with", str(keys["stranger"].public), "--verify-with", str(keys["old"].public)
    )
    assert result.exit_code == 0, result.output
    result = run_cli(*question, "--verify-with", str(keys["stranger"].public))
    assert result.exit_code == 1
    assert "signed only by keys not trusted here" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("private", "is a private key; give the public key"),
        ("garbage", "not a PEM file (no -----BEGIN line)"),
        ("rsa", "not an Ed25519 key (RSAPublicKey)"),
        ("empty-pem", "not a PEM public key"),
    ],
)
def test_bad_public_keys(keys: dict[str, KeyPair], tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "key.pem"
    if content == "private":
        path = keys["old"].private
    elif content == "garbage":
        path.write_text("hello\n", encoding="ascii")
    elif content == "rsa":
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        path.write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    else:
        path.write_text("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", encoding="ascii")
    with pytest.raises(InputError, match=re.escape(message)):
        TrustedKeys.load([path])


@pytest.mark.parametrize(
    ("signatures", "message"),
    [
        ("not json", "not a signature file"),
        ({"format": 2, "signatures": []}, "not a signature file of format 1"),
        ({"format": 1, "signatures": []}, "'signatures' is not a list of 1 to 32 signatures"),
        ({"format": 1, "signatures": [{"algorithm": "rsa"}]}, r"signatures\[0\]: not an ed25519 signature"),
        (
            {"format": 1, "signatures": [{"algorithm": "ed25519", "key_id": "k", "signature": "!!"}]},
            "the signature is not base64",
        ),
        (
            {"format": 1, "signatures": [{"algorithm": "ed25519", "key_id": "k", "signature": "AAAA"}]},
            "an Ed25519 signature has 64 bytes, not 3",
        ),
        ({"format": 1, "signatures": [{"algorithm": "ed25519"}] * 33}, "a list of 1 to 32 signatures"),
    ],
)
def test_malformed_signature_files_are_refused(
    release: Path, keys: dict[str, KeyPair], signatures: object, message: str
) -> None:
    text = signatures if isinstance(signatures, str) else json.dumps(signatures)
    signature_path(release).write_text(text, encoding="utf-8")
    with pytest.raises(ReleaseError, match=message):
        load_release(release, keys=[keys["old"].public])


def test_sign_refuses_a_tampered_release_and_a_public_key(
    run_cli: Cli, release: Path, keys: dict[str, KeyPair]
) -> None:
    raw = bytearray(release.read_bytes())
    raw[raw.index(b"Assistance")] = ord("a")
    release.write_bytes(bytes(raw))
    result = run_cli("sign", str(release), "--key", str(keys["old"].private))
    assert result.exit_code == 1
    assert "digest mismatch" in result.output
    assert not signature_path(release).exists()
    result = run_cli("sign", str(release), "--key", str(keys["old"].public))
    assert result.exit_code == 1


def test_load_release_without_keys_never_imports_cryptography(release: Path) -> None:
    code = (
        "import sys\n"
        "from support_scope import load_release\n"
        f"load_release({str(release)!r})\n"
        "print('cryptography' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_openssl_made_keys_if_available(tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed (keys were made by cryptography)")
    pair = make_key(tmp_path, "k")
    assert pair.private.read_text(encoding="ascii").startswith("-----BEGIN PRIVATE KEY-----")
    assert len(TrustedKeys.load([pair.public]).keys) == 1


def test_a_signed_release_in_the_project_keeps_the_gate_green(
    run_cli: Cli, keys: dict[str, KeyPair], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The signature beside releases/<id>/<version>.json is no release: `check` and `decide` pass it by."""
    from conftest import REPO

    for name in ("policies", "releases"):
        shutil.copytree(REPO / name, tmp_path / name)
    shutil.copy(REPO / "CHANGELOG.md", tmp_path / "CHANGELOG.md")
    monkeypatch.chdir(tmp_path)
    sign(run_cli, Path("releases/act-premium-support-scope/2.0.1.json"), keys["old"])
    result = run_cli("check")
    assert result.exit_code == 0, result.output
    result = run_cli(
        "decide",
        "--plan",
        "standard",
        "--category",
        "companion-app",
        "--verify-with",
        str(keys["old"].public),
    )
    assert result.exit_code == 0, result.output
