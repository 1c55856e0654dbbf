"""Signed releases: who compiled this release, not only whether it is intact.

A release's digest proves integrity, not origin: anyone who changes a release can compute its
digest again. A signature proves origin: only the holder of a private key can make one that its
public key accepts. A service configured with public keys (``load_release(..., keys=...)``,
``decide --verify-with``, ``serve --verify-with``) refuses a release that no trusted key signed.

**The format** (``RELEASE.sig``, beside the release; a small JSON document, named so that no
``*.json`` glob takes it for a release): a plain Ed25519 signature
(RFC 8032) over the exact bytes of the release file, base64-encoded, with the id of the key that
made it. Several signatures may sit side by side (a release signed by the old and the new key
while keys rotate)::

    {"format": 1,
     "release": {"policy_id": "...", "policy_version": "1.0.0", "digest": "sha256:..."},
     "signatures": [{"algorithm": "ed25519", "key_id": "sha256:<hex>", "signature": "<base64>"}]}

``release`` only says which release the file was written for (for messages and for ``sign``,
which keeps the other signatures of the same release); it is not signed and never trusted. A
key id is the SHA-256 of the public key's DER SubjectPublicKeyInfo, as
``openssl pkey -pubin -in public.pem -outform DER | sha256sum`` prints it.

Verifying without this package: decode the base64 of a signature whose ``key_id`` is that of
a key you trust, then ``openssl pkeyutl -verify -pubin -inkey public.pem -rawin -in RELEASE
-sigfile SIGNATURE.bin`` (or any Ed25519 library: the message is the file's bytes).

Keys are PEM files as ``openssl genpkey -algorithm ed25519`` writes them (PKCS#8 private key;
``openssl pkey -in key.pem -pubout`` gives the public key). ``cryptography`` does the
Ed25519 work; it is imported only when a key is read, so a service that configures no key
never loads it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from support_scope.errors import InputError, ReleaseError
from support_scope.fileio.jsonfile import dump_json, parse_json, read_bytes

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SIGNATURE_SUFFIX = ".sig"  # not .json: the gate reads every releases/<id>/*.json as a release
SIGNATURE_FORMAT = 1
ALGORITHM = "ed25519"
MAX_KEY_BYTES = 64 * 1024
MAX_SIGNATURE_FILE_BYTES = 64 * 1024
MAX_SIGNATURES = 32
_SIGNATURE_BYTES = 64


def signature_path(release: str | Path) -> Path:
    """Where the signatures of ``release`` live: ``RELEASE.sig``, beside it."""
    return Path(str(release) + SIGNATURE_SUFFIX)


def _crypto_missing(e: ImportError) -> InputError:
    return InputError(
        "signed releases need the `cryptography` package: pip install 'support-scope[serve]' "
        f"(or pip install cryptography) ({e})"
    )


def key_id(public_key: Ed25519PublicKey) -> str:
    """``sha256:<hex>`` of the key's DER SubjectPublicKeyInfo (what ``openssl pkey -outform DER`` writes)."""
    from cryptography.hazmat.primitives import serialization

    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "sha256:" + hashlib.sha256(der).hexdigest()


def _read_pem(path: Path, what: str) -> bytes:
    data = read_bytes(path, str(path), what, limit=MAX_KEY_BYTES)
    if b"-----BEGIN " not in data:
        raise InputError(
            f"{path}: not a PEM file (no -----BEGIN line); {what}s are PEM, as openssl writes them"
        )
    return data


@dataclass(frozen=True)
class TrustedKeys:
    """The public keys a release may be signed with (several while keys rotate), by key id."""

    keys: Mapping[str, Ed25519PublicKey]
    sources: Mapping[str, str]  # key id -> the file it was read from, for messages

    @classmethod
    def load(cls, paths: Iterable[str | Path]) -> TrustedKeys:
        """Read PEM public keys; a private key, another algorithm or a bad file is an :class:`InputError`."""
        try:
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        except ImportError as e:
            raise _crypto_missing(e) from e
        keys: dict[str, Ed25519PublicKey] = {}
        sources: dict[str, str] = {}
        for entry in paths:
            path = Path(entry)
            data = _read_pem(path, "public key file")
            if b"PRIVATE KEY-----" in data:
                raise InputError(
                    f"{path}: is a private key; give the public key (openssl pkey -in {path} -pubout -out public.pem): "
                    "a service needs only the public key, and the private one must stay with whoever signs"
                )
            try:
                key = serialization.load_pem_public_key(data)
            except ValueError as e:
                raise InputError(f"{path}: not a PEM public key ({e})") from e
            if not isinstance(key, Ed25519PublicKey):
                raise InputError(
                    f"{path}: not an Ed25519 key ({type(key).__name__}); make one with "
                    "`openssl genpkey -algorithm ed25519 -out key.pem`"
                )
            identifier = key_id(key)
            keys[identifier] = key
            sources[identifier] = str(path)
        if not keys:
            raise InputError("no public key given to verify releases with")
        return cls(keys, sources)

    def describe(self) -> str:
        return ", ".join(f"{kid} ({self.sources[kid]})" for kid in self.keys)


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PEM file (unencrypted PKCS#8, as ``openssl genpkey`` writes it)."""
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    except ImportError as e:
        raise _crypto_missing(e) from e
    path = Path(path)
    data = _read_pem(path, "private key file")
    if b"PUBLIC KEY-----" in data and b"PRIVATE KEY-----" not in data:
        raise InputError(f"{path}: is a public key; signing needs the private key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError as e:
        raise InputError(
            f"{path}: the private key is encrypted; give an unencrypted copy to sign with ({e})"
        ) from e
    except ValueError as e:
        raise InputError(f"{path}: not a PEM private key ({e})") from e
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(
            f"{path}: not an Ed25519 key ({type(key).__name__}); make one with "
            "`openssl genpkey -algorithm ed25519 -out key.pem`"
        )
    return key


def sign_release(raw: bytes, key: Ed25519PrivateKey) -> dict[str, str]:
    """One signature entry: ``key``'s Ed25519 signature over the release file's bytes."""
    return {
        "algorithm": ALGORITHM,
        "key_id": key_id(key.public_key()),
        "signature": base64.b64encode(key.sign(raw)).decode("ascii"),
    }


def signatures_document(
    manifest: Mapping[str, Any], entries: Iterable[Mapping[str, str]], previous: bytes | None = None
) -> bytes:
    """The signature file's bytes: ``entries``, plus those of ``previous`` (an existing signature
    file) made for the same release by other keys."""
    release = {name: manifest[name] for name in ("policy_id", "policy_version", "digest")}
    merged: dict[str, Mapping[str, str]] = {}
    if previous is not None:
        try:
            document = json.loads(previous)
        except ValueError:
            document = None
        if isinstance(document, dict) and document.get("release") == release:
            for entry in document.get("signatures", []) or []:
                if isinstance(entry, dict) and isinstance(entry.get("key_id"), str):
                    merged[entry["key_id"]] = entry
    for entry in entries:
        merged[entry["key_id"]] = entry
    signatures = [merged[kid] for kid in sorted(merged)]
    return dump_json({"format": SIGNATURE_FORMAT, "release": release, "signatures": signatures}).encode()


def _entries(signature: bytes, display: str) -> list[tuple[str, bytes]]:
    """(key id, signature bytes) of a signature file; a :class:`ReleaseError` when it is malformed."""
    if len(signature) > MAX_SIGNATURE_FILE_BYTES:
        raise ReleaseError(f"{display}: more than {MAX_SIGNATURE_FILE_BYTES:,} bytes: not a signature file")
    try:
        document = parse_json(signature.decode("utf-8"), display)
    except (UnicodeDecodeError, InputError) as e:
        raise ReleaseError(f"{display}: not a signature file ({e})") from e
    if not isinstance(document, dict) or document.get("format") != SIGNATURE_FORMAT:
        raise ReleaseError(
            f"{display}: not a signature file of format {SIGNATURE_FORMAT} "
            '(a JSON object with "format": 1 and "signatures")'
        )
    listed = document.get("signatures")
    if not isinstance(listed, list) or not listed or len(listed) > MAX_SIGNATURES:
        raise ReleaseError(f"{display}: 'signatures' is not a list of 1 to {MAX_SIGNATURES} signatures")
    entries: list[tuple[str, bytes]] = []
    for index, entry in enumerate(listed):
        where = f"{display}: signatures[{index}]"
        if not isinstance(entry, dict) or entry.get("algorithm") != ALGORITHM:
            raise ReleaseError(f"{where}: not an {ALGORITHM} signature")
        identifier, encoded = entry.get("key_id"), entry.get("signature")
        if not isinstance(identifier, str) or not isinstance(encoded, str):
            raise ReleaseError(f"{where}: 'key_id' and 'signature' must be texts")
        try:
            value = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as e:
            raise ReleaseError(f"{where}: the signature is not base64") from e
        if len(value) != _SIGNATURE_BYTES:
            raise ReleaseError(
                f"{where}: an Ed25519 signature has {_SIGNATURE_BYTES} bytes, not {len(value)}"
            )
        entries.append((identifier, value))
    return entries


def verify_signature(raw: bytes, signature: bytes | None, keys: TrustedKeys, display: str) -> str:
    """The id of a trusted key whose signature over ``raw`` holds; a :class:`ReleaseError` otherwise.

    ``signature`` is the signature file's content (None: there is none). An unsigned release, one
    signed only by keys not trusted here, and one whose signature does not match its bytes (the
    release or the signature changed after signing) are each refused, saying which.
    """
    from cryptography.exceptions import InvalidSignature

    shown = display + SIGNATURE_SUFFIX
    if signature is None:
        raise ReleaseError(
            f"{display}: not signed (no {shown}): releases must be signed by a trusted key "
            f"({', '.join(keys.keys)}); sign it with `support-scope sign`"
        )
    entries = _entries(signature, shown)
    mismatched: list[str] = []
    for identifier, value in entries:
        key = keys.keys.get(identifier)
        if key is None:
            continue
        try:
            key.verify(value, raw)
        except InvalidSignature:
            mismatched.append(identifier)
            continue
        return identifier
    if mismatched:
        raise ReleaseError(
            f"{display}: the signature by key {mismatched[0]} does not match the release: the release or its "
            "signature was changed after signing; refused"
        )
    raise ReleaseError(
        f"{display}: signed only by keys not trusted here ({', '.join(i for i, _ in entries)}); "
        f"trusted: {', '.join(keys.keys)}; refused"
    )
