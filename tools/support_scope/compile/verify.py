"""Release verification, written once: every reader of a release (``load_release``, ``decide``,
``diff``, ``check``) goes through here and gets the same answer and the same words.

A release is trusted when:

1. it parses as strict JSON (no repeated key, no NaN, no byte order mark);
2. ``manifest.format`` is a format this package reads, checked by type and value (``1``,
   not ``true`` or ``1.0``), before anything else is read;
3. ``manifest.digest`` is the SHA-256 of its canonical form without that member;
4. it has the members of a release, of the right kinds.

:func:`check_release_bytes` is the gate's stricter reading (:mod:`support_scope.versions.gate`):
also the compiler's exact bytes, the compiled part valid against its schema, and the
embedded policy recompiling to the same file. A digest proves integrity, not origin: anyone
can recompute it (SECURITY.md).

Standard library only (the gate's extra checks import the compiler lazily): services load
releases through here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from support_scope.errors import InputError, ReleaseError
from support_scope.fileio.jsonfile import canonical_json, parse_json, paused_gc
from support_scope.model.release import FORMAT, Compiled, CompiledBody, Manifest, SearchIndexData

COMPILED_SCHEMA = "compiled-ruleset.schema.json"
COMPILED_SCHEMA_ID = "https://support-scope.example/schema/compiled-ruleset.schema.json"
SUPPORTED_FORMATS = (FORMAT,)  # what a service can decide with
# Formats whose embedded policy diff and check can read: releases are immutable, and an old
# release stays the OLD side of a diff after the compiler moved to a new format.
POLICY_FORMATS = (1, FORMAT)
_MEMBERS = ("$schema", "compiled", "manifest", "policy")
_POLICY_MEMBER = b',"policy":'
_MANIFEST_MEMBER = b'"manifest":'
# The search index, member of ``compiled`` (keys sorted: ``search`` comes before ``tiers``), and
# what follows it; left unparsed by the fast path until a search needs it.
_SEARCH_MEMBER = b',"search":{"analyzer":'
_AFTER_SEARCH = b',"tiers":['


def digest_of(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def release_digest(release: Any) -> str:
    """The digest a release's manifest must carry: over its canonical form without ``manifest.digest``."""
    manifest = {key: value for key, value in release["manifest"].items() if key != "digest"}
    return digest_of(canonical_json({**release, "manifest": manifest}))


def is_release(document: object) -> bool:
    """A compiled release has a manifest and embeds its policy (a policy has neither)."""
    return isinstance(document, dict) and "manifest" in document and "policy" in document


@dataclass(frozen=True)
class VerifiedRelease:
    """A release whose checks passed: its compiled part and manifest, and its policy and search
    index on demand.

    ``compiled`` may lack its ``search`` member: a file in canonical form is verified whole
    (digest over every byte), but its search index is parsed only when :attr:`load_search` is
    called (the first search), so that loading a release for deciding does not pay for it.
    """

    compiled: CompiledBody
    manifest: Manifest
    load_policy: Callable[[], dict[str, Any]]
    load_search: Callable[[], SearchIndexData | None]

    def whole(self) -> Compiled:
        """The compiled part with its search index parsed (as the file holds it)."""
        if "search" in self.compiled:
            return cast(Compiled, self.compiled)
        search = self.load_search()
        return cast(Compiled, {**self.compiled, **({"search": search} if search is not None else {})})


def load_release_bytes(
    raw: bytes, display: str, formats: tuple[int, ...] = SUPPORTED_FORMATS
) -> VerifiedRelease:
    """Verify a release file's bytes (steps 1 to 4 above); a :class:`ReleaseError` saying what is wrong.

    A file in the compiler's canonical byte form takes a fast path (its digest is taken over
    its own bytes, and its policy is parsed only if asked for); any other is parsed whole and
    re-serialised, as any consumer would do it.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        raise ReleaseError(
            f"{display}: starts with a byte order mark: not a release as the compiler writes it"
        )
    fast = _canonical(raw, display, formats)
    if fast is not None:
        return fast
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ReleaseError(f"{display}: not UTF-8 text at byte {e.start}: not a release, or damaged") from e
    try:
        release = parse_json(text, display)
    except InputError as e:
        raise ReleaseError(f"{e} (a truncated or damaged release?)") from e
    verify_release(release, display, formats)
    return VerifiedRelease(
        release["compiled"],
        release["manifest"],
        lambda: cast(dict[str, Any], release["policy"]),
        lambda: release["compiled"].get("search"),
    )


def verify_release(release: object, display: str, formats: tuple[int, ...] = SUPPORTED_FORMATS) -> None:
    """Verify a parsed release (steps 2 to 4 above); a :class:`ReleaseError` when it cannot be trusted."""
    if not isinstance(release, dict):
        raise ReleaseError(f"{display}: not a compiled release (a JSON object with a manifest)")
    manifest = release.get("manifest")
    if not isinstance(manifest, dict) or not isinstance(manifest.get("digest"), str):
        raise ReleaseError(f"{display}: not a compiled release (no manifest with a digest)")
    check_format(manifest, display, formats)
    actual = release_digest(release)
    if actual != manifest["digest"]:
        raise ReleaseError(
            f"{display}: digest mismatch: the manifest says {manifest['digest']}, the content gives {actual}; "
            "the release was changed after it was compiled (or is truncated) and is refused"
        )
    _check_members(release, display)


def check_format(
    manifest: dict[str, Any], display: str, formats: tuple[int, ...] = SUPPORTED_FORMATS
) -> None:
    """Refuse a format not in ``formats``; by type as well as value (``true == 1`` in Python)."""
    found = manifest.get("format")
    if type(found) is int and found in POLICY_FORMATS and found not in formats:
        raise ReleaseError(
            f"{display}: release format {found} is an older format (no request kinds, precedence or condition "
            f"effects): this version decides only with format {', '.join(map(str, formats))}; compile the policy "
            "again (`support-scope compile`), or cut a new release (`support-scope release`)"
        )
    if type(found) is not int or found not in formats:
        shown = json.dumps(found) if found is not None else "none"
        newer = isinstance(found, int) and not isinstance(found, bool) and found > max(formats)
        advice = "upgrade support-scope" if newer else "compile the policy again with this version"
        raise ReleaseError(
            f"{display}: release format {shown} is not one this version reads "
            f"(reads {', '.join(map(str, formats))}); {advice}"
        )


def _check_members(release: dict[str, Any], display: str) -> None:
    extra = sorted(set(release) - set(_MEMBERS))
    missing = [name for name in _MEMBERS if name not in release]
    if extra or missing:
        what = f"unknown member {extra[0]!r}" if extra else f"no {missing[0]!r} member"
        raise ReleaseError(f"{display}: not a compiled release of format {FORMAT}: {what}")
    for name in ("compiled", "policy"):
        if not isinstance(release[name], dict):
            raise ReleaseError(
                f"{display}: not a compiled release of format {FORMAT}: {name!r} is not an object"
            )
    compiled = release["compiled"]
    for name in ("tiers", "plans", "products", "facts", "referrals", "general_terms", "categories"):
        if not isinstance(compiled.get(name), list):
            raise ReleaseError(
                f"{display}: not a compiled release of format {FORMAT}: 'compiled.{name}' is not a list"
            )


def _canonical(raw: bytes, display: str, formats: tuple[int, ...]) -> VerifiedRelease | None:
    """The fast path, for a file in the compiler's canonical byte form; None when it is not.

    The digest covers the canonical form minus ``manifest.digest``; for such a file that is the
    file's own bytes with the manifest's digest member cut out, so hashing needs no
    re-serialisation. The policy is the last member (keys are sorted), so everything a decision
    needs is parsed from the bytes before it; the policy itself is parsed only if asked for.
    So is the search index (``compiled.search``): its bytes are cut out of what is parsed, and
    parsed on the first search. The cut is sound: inside the index, every value a key such as
    ``tiers`` has is a string, and what is left must parse as the rest of the release (a cut in
    the wrong place leaves brackets unbalanced), else the whole file is parsed.
    """
    if not raw.endswith(b"}\n"):
        return None
    cut = raw.rfind(_POLICY_MEMBER)
    if cut < 0:
        return None
    search_start = raw.find(_SEARCH_MEMBER, 0, cut)
    search_end = raw.find(_AFTER_SEARCH, search_start, cut) if search_start >= 0 else -1
    try:
        with paused_gc():
            if search_end >= 0:
                head = json.loads(raw[:search_start] + raw[search_end:cut] + b"}")
            else:
                head = json.loads(raw[:cut] + b"}")
    except (ValueError, RecursionError):
        return None
    if search_end >= 0 and not (isinstance(head, dict) and isinstance(head.get("compiled"), dict)):
        return None
    if search_end >= 0 and "search" in head["compiled"]:
        return None  # a second index: not the compiler's form
    manifest = head.get("manifest") if isinstance(head, dict) else None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("digest"), str):
        return None
    with_digest = _MANIFEST_MEMBER + canonical_json(manifest)
    start = raw.find(with_digest, 0, cut)
    if start < 0:
        return None
    without = _MANIFEST_MEMBER + canonical_json({k: v for k, v in manifest.items() if k != "digest"})
    view = memoryview(raw)
    digest = hashlib.sha256(view[:start])
    digest.update(without)
    digest.update(view[start + len(with_digest) : -1])
    if "sha256:" + digest.hexdigest() != manifest["digest"]:
        return None
    check_format(manifest, display, formats)
    policy_start = cut + len(_POLICY_MEMBER)

    def policy() -> dict[str, Any]:
        with paused_gc():
            document: dict[str, Any] = json.loads(raw[policy_start:-2])
        return document

    def search() -> SearchIndexData | None:
        if search_end < 0:
            found: SearchIndexData | None = head["compiled"].get("search")
            return found
        start = search_start + len(_SEARCH_MEMBER) - len(b'{"analyzer":')
        try:
            with paused_gc():
                index: SearchIndexData = json.loads(raw[start:search_end])
        except (ValueError, RecursionError) as e:  # the digest held: a bug of this reader
            raise ReleaseError(f"{display}: its search index cannot be read ({e})") from e
        return index

    _check_members({**head, "policy": {}}, display)
    return VerifiedRelease(head["compiled"], manifest, policy, search)  # type: ignore[arg-type]


def check_release_bytes(raw: bytes, display: str) -> dict[str, Any]:
    """The gate's reading of a release file: trusted (above), in the compiler's exact bytes,
    its compiled part valid against the release schema, and its embedded policy compiling to
    the very same file. Returns the parsed release; a :class:`ReleaseError` otherwise.
    """
    from support_scope.compile.compiler import compile_policy, release_bytes, release_schema_problems

    verified = load_release_bytes(raw, display, POLICY_FORMATS)
    policy = verified.load_policy()
    release = {
        "$schema": COMPILED_SCHEMA_ID,
        "compiled": verified.whole(),
        "manifest": verified.manifest,
        "policy": policy,
    }
    if release_bytes(release) != raw:  # type: ignore[arg-type]
        raise ReleaseError(
            f"{display}: the file is not in the canonical form the compiler wrote (it was edited)"
        )
    if verified.manifest["format"] != FORMAT:
        return release  # an older format: its digest and bytes hold; this compiler writes another
    problems = release_schema_problems(release)
    if problems:
        raise ReleaseError(f"{display}: not a valid release: {problems[0]}")
    try:
        recompiled = compile_policy(policy, b"", display=display)
    except InputError as e:
        raise ReleaseError(f"{display}: its embedded policy does not compile: {e}") from e
    # Within one format the compiled part is a function of the policy alone (a compiler that
    # changes it changes the format): only the compiler's name may differ.
    recompiled["manifest"]["compiler"] = verified.manifest["compiler"]
    recompiled["manifest"]["digest"] = release_digest(recompiled)
    if release_bytes(recompiled) != raw:
        raise ReleaseError(
            f"{display}: its compiled part is not what its embedded policy compiles to "
            "(edited and re-hashed?); restore it from version control"
        )
    return release
