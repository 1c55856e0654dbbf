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
import re
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
_INDEX_OPENING = b'{"analyzer":'


def digest_of(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def release_digest(release: Any) -> str:
    """The digest a release's manifest must carry: over its canonical form without ``manifest.digest``."""
    manifest = {key: value for key, value in release["manifest"].items() if key != "digest"}
    return digest_of(canonical_json({**release, "manifest": manifest}))


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


class _Refused(ValueError):
    """The fast path declines the file (the full verification then says why, if it is wrong)."""


def _strict_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a repeated key (the fast path's parse is as strict as the full one)."""
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Refused("repeated key")
    return result


def _no_constant(name: str) -> Any:
    raise _Refused(name)  # NaN, Infinity: not JSON


def _strict_loads(data: bytes | memoryview) -> Any:
    """``data`` parsed as strictly as the full verification parses: UTF-8 (``json.loads`` of
    bytes would let an encoded surrogate through), no repeated key, no NaN or Infinity."""
    text = str(data, "utf-8")
    with paused_gc(long_lived=True):
        return json.loads(text, object_pairs_hook=_strict_object, parse_constant=_no_constant)


_STRICT = json.JSONDecoder(object_pairs_hook=_strict_object, parse_constant=_no_constant)
# One JSON value at a position of a text (the C scanner the decoder uses, without its wrapping).
_SCAN = cast(Callable[[str, int], tuple[Any, int]], _STRICT.scan_once)  # type: ignore[attr-defined]
_HEAD = ('{"$schema":', ',"compiled":', ',"manifest":')


def _strict_head(text: str, tail: str | None = None) -> tuple[Any, dict[str, Any], Any] | None:
    """The values of ``$schema``, ``compiled`` and ``manifest``, in this order and nothing else,
    from the release's text before its policy member; None when it is not so.

    With ``tail``, the text was cut at the search index: ``text`` ends with a member of
    ``compiled`` (the index followed it), ``tail`` starts with the next one (``,"tiers":``) and
    ends with the manifest. ``compiled`` is then read member by member, so the cut is known to
    stand between two of its members (not inside a string, nor deeper), and the index's key is
    counted with the others (a second ``search`` declines).
    """
    with paused_gc(long_lived=True):
        if not text.startswith(_HEAD[0]):
            return None
        schema, position = _SCAN(text, len(_HEAD[0]))
        if tail is None:
            if not text.startswith(_HEAD[1], position):
                return None
            compiled, position = _SCAN(text, position + len(_HEAD[1]))
        else:
            if not text.startswith(_HEAD[1] + "{", position):
                return None
            members: list[tuple[str, Any]] = []
            if _members(text, position + len(_HEAD[1]) + 1, members) != len(text):
                return None
            members.append(("search", None))
            if not tail.startswith(",") or not tail.startswith("}", position := _members(tail, 1, members)):
                return None
            compiled = _strict_object(members)
            del compiled["search"]
            text, position = tail, position + 1
        if not text.startswith(_HEAD[2], position):
            return None
        manifest, position = _SCAN(text, position + len(_HEAD[2]))
    return (schema, compiled, manifest) if position == len(text) else None


def _members(text: str, position: int, into: list[tuple[str, Any]]) -> int:
    """Read ``"key":value`` members, comma separated, from ``position`` into ``into``; the
    position after the last (the end of the text, or what is not a comma)."""
    while True:
        key, position = _SCAN(text, position)
        if type(key) is not str or not text.startswith(":", position):
            raise _Refused("not a member")
        value, position = _SCAN(text, position + 1)
        into.append((key, value))
        if not text.startswith(",", position):
            return position
        position += 1


_BRACKETS_ONLY = bytes(range(256)).translate(None, b'"{}[]')  # every byte but these five
_MAX_REDUCTIONS = 64


def _one_object(data: bytes, start: int = 0, end: int | None = None) -> bool:
    """True when ``data[start:end]``, JSON text, is exactly one object: its first ``{`` closes at
    its last byte.

    Cheap (bytes methods, no parsing), so that the fast path can tell a policy member followed
    by more members (``{...},"compiled":{...}``) from the policy alone without parsing it: the
    text is taken in the pieces between its escapes (a backslash and the character it escapes,
    rare in a policy), each stripped of everything but quotes and brackets (one ``translate``);
    each remaining ``"`` opens or closes a string, whose brackets are text; the brackets left
    must nest as one object. The JSON inside is parsed, strictly, when the policy is asked for.
    """
    end = len(data) if end is None else end
    if end - start < 2 or data[start] != 0x7B or data[end - 1] != 0x7D:  # "{", "}"
        return False
    pieces: list[bytes] = []
    position = data.find(b"\\", start, end)
    while position >= 0:
        if position >= end - 2:
            return False  # the last brace is escaped
        pieces.append(data[start:position].translate(None, _BRACKETS_ONLY))
        start = position + 2
        position = data.find(b"\\", start, end)
    pieces.append(data[start:end].translate(None, _BRACKETS_ONLY))
    skeleton = b"".join(pieces).replace(b'""', b"")
    if b'"' in skeleton:  # strings holding brackets: rare, and the skeleton is small by now
        skeleton = re.sub(rb'"[^"]*"', b"", skeleton)
    inner = skeleton[1:-1]
    for _ in range(_MAX_REDUCTIONS):
        if not inner:
            return True
        reduced = inner.replace(b"{}", b"").replace(b"[]", b"")
        if len(reduced) == len(inner):
            return False
        inner = reduced
    return False  # nested deeper than a release is: the full verification decides


_THREADED_HASHING = 4 << 20  # below this many bytes, a thread costs more than it saves


class _Hashing:
    """``digest.update(data)``, in a thread when ``data`` is large: hashlib releases the
    interpreter lock while it hashes, so the caller parses meanwhile (on another core)."""

    def __init__(self, digest: Any, data: memoryview) -> None:
        self.digest = digest
        self.thread: Any = None
        if len(data) < _THREADED_HASHING:
            digest.update(data)
            return
        import threading

        self.thread = threading.Thread(target=digest.update, args=(data,), daemon=True)
        self.thread.start()

    def result(self) -> Any:
        """The digest, once the data is hashed."""
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        return self.digest


def _canonical(raw: bytes, display: str, formats: tuple[int, ...]) -> VerifiedRelease | None:
    """The fast path, for a file in the compiler's canonical byte form; None when it is not.

    The digest covers the canonical form minus ``manifest.digest``; for such a file that is the
    file's own bytes with the manifest's digest member cut out, so hashing needs no
    re-serialisation. The policy is the last member (keys are sorted), so everything a decision
    needs is parsed from the bytes before it, as strictly as the full verification parses (a
    repeated key, NaN or Infinity declines the fast path); the members before it must be
    exactly ``$schema``, ``compiled`` and ``manifest``, and the policy must be one object
    ending the file (no member after it). The policy itself is parsed, strictly, only if asked
    for. So is the search index (``compiled.search``, a seventh of a large release): its bytes
    are cut out of what is parsed, and parsed, strictly, on the first search. The cut is
    sound: ``compiled`` is read member by member up to it and on from it (so it stands between
    two of its members), and the index must be one object, as the policy must. Whatever the
    fast path declines is verified in full, which refuses it or accepts it as the documented
    recipe does: the fast path accepts nothing the recipe refuses (bytes that are not JSON
    inside the policy or the index are a :class:`ReleaseError` when they are read).
    """
    if not raw.endswith(b"}\n") or not raw.startswith(b"{"):
        return None
    # The search index, a member of ``compiled``: from its member to the next (``tiers``; keys
    # are sorted), then the policy member after it, a few hundred bytes on (``tiers``, ``title``
    # and the manifest stand between). Inside the index no key is ``tiers``; a cut in the wrong
    # place makes the parse below or its one-object check decline. Searched forward, from where
    # each must be: cheaper than from the end, across the policy.
    search_start = raw.find(_SEARCH_MEMBER)
    search_end = raw.find(_AFTER_SEARCH, search_start) if search_start >= 0 else -1
    cut = raw.find(_POLICY_MEMBER + b"{", search_end) if search_end >= 0 else -1
    if cut < 0:  # no index (format 1, or not where the compiler writes it)
        search_end = -1
        cut = raw.rfind(_POLICY_MEMBER + b"{")  # the longer the pattern, the faster the search
        if cut < 0:
            return None
    view = memoryview(raw)
    # Hashing (which needs no interpreter lock) runs beside the parse: first everything before
    # the manifest member, which stands, small, just before the policy in a canonical file (the
    # parse then confirms where it stands).
    start = raw.rfind(b"," + _MANIFEST_MEMBER, 0, cut) + 1
    digest = _Hashing(hashlib.sha256(), view[:start])
    index_start = search_start + len(_SEARCH_MEMBER) - len(_INDEX_OPENING)
    try:
        if search_end >= 0:
            head = _strict_head(str(view[:search_start], "utf-8"), str(view[search_end:cut], "utf-8"))
            if head is not None and not _one_object(raw, index_start, search_end):
                head = None
        else:
            head = _strict_head(str(view[:cut], "utf-8"))
    except (ValueError, RecursionError, StopIteration):
        head = None
    schema, compiled, manifest = head if head is not None else (None, None, None)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("digest"), str):
        digest.result()
        return None
    with_digest = _MANIFEST_MEMBER + canonical_json(manifest)
    if start <= 0 or start + len(with_digest) != cut or view[start:cut] != with_digest:
        digest.result()
        return None
    without = _MANIFEST_MEMBER + canonical_json({k: v for k, v in manifest.items() if k != "digest"})
    hashed = digest.result()
    hashed.update(without)
    # Then the policy, beside the check that it is one object ending the file.
    digest = _Hashing(hashed, view[cut:-1])
    policy_start = cut + len(_POLICY_MEMBER)
    policy_bytes = view[policy_start:-2]
    one_object = _one_object(raw, policy_start, len(raw) - 2)
    if "sha256:" + digest.result().hexdigest() != manifest["digest"] or not one_object:
        return None
    check_format(manifest, display, formats)

    def policy() -> dict[str, Any]:
        try:
            document = _strict_loads(policy_bytes)
        except (ValueError, RecursionError) as e:
            raise ReleaseError(
                f"{display}: its embedded policy is not valid JSON ({e}); the release is damaged"
            ) from e
        if not isinstance(document, dict):
            raise ReleaseError(
                f"{display}: not a compiled release of format {FORMAT}: 'policy' is not an object"
            )
        return document

    def search() -> SearchIndexData | None:
        if search_end < 0:
            return cast(dict[str, Any], compiled).get("search")
        try:
            index: SearchIndexData = _strict_loads(view[index_start:search_end])
        except (ValueError, RecursionError) as e:
            raise ReleaseError(
                f"{display}: its search index is not valid JSON ({e}); the release is damaged"
            ) from e
        return index

    _check_members({"$schema": schema, "compiled": compiled, "manifest": manifest, "policy": {}}, display)
    return VerifiedRelease(cast(CompiledBody, compiled), cast(Manifest, manifest), policy, search)


def verify_compiled(release: dict[str, Any], display: str, raw: bytes | None = None) -> None:
    """Refuse (:class:`ReleaseError`) a verified release whose compiled part or manifest is not
    what its embedded policy compiles to (the compiler's name aside): rules edited and re-hashed.

    For every reader that compares or decides from the embedded policy (``diff``, ``check``):
    the decision rules and the policy they show must be one. Compared as canonical JSON, so
    ``true`` is not ``1``. A release of an older format cannot be compiled again (this compiler
    writes another format): what can still be checked of it is, as the gate checks it: with
    ``raw`` (the file's bytes), that they are the compiler's canonical form.
    """
    from support_scope.compile.compiler import compile_policy, release_bytes

    if release.get("manifest", {}).get("format") != FORMAT:
        if raw is not None and release_bytes(cast(Any, release)) != raw:
            raise ReleaseError(
                f"{display}: the file is not in the canonical form the compiler wrote (it was edited)"
            )
        return
    try:
        recompiled = compile_policy(release["policy"], b"", display=display)
    except InputError as e:
        raise ReleaseError(f"{display}: its embedded policy does not compile: {e}") from e
    # Within one format the compiled part is a function of the policy alone (a compiler that
    # changes it changes the format): only the compiler's name may differ.
    mine = {key: value for key, value in release["manifest"].items() if key not in ("compiler", "digest")}
    theirs = {
        key: value for key, value in recompiled["manifest"].items() if key not in ("compiler", "digest")
    }
    if canonical_json(release["compiled"]) != canonical_json(recompiled["compiled"]) or canonical_json(
        mine
    ) != canonical_json(theirs):
        raise ReleaseError(
            f"{display}: its compiled part does not match what its embedded policy compiles to "
            "(edited and re-hashed?)"
        )


def check_release_bytes(raw: bytes, display: str) -> dict[str, Any]:
    """The gate's reading of a release file: trusted (above), in the compiler's exact bytes,
    its compiled part valid against the release schema, and its embedded policy compiling to
    the same compiled part (:func:`verify_compiled`; for a release of an older format, its
    bytes and digest only). Returns the parsed release; a :class:`ReleaseError` otherwise.
    """
    from support_scope.compile.compiler import release_bytes, release_schema_problems

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
    if verified.manifest["format"] == FORMAT:
        problems = release_schema_problems(release)
        if problems:
            raise ReleaseError(f"{display}: not a valid release: {problems[0]}")
    verify_compiled(release, display)
    return release
