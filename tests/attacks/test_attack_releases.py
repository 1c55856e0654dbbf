"""The tampered-release corpus: forged, re-hashed, non-canonical and odd releases.

Every release reader gives one verdict: ``load_release`` (its fast path for canonical files
included) accepts exactly what the documented verification (README: "Verifying a release in
any language", implemented again here, by hand) accepts; anything wrong inside a release is a
``ReleaseError``, never a ``TypeError`` or ``KeyError`` out of ``decide``; and ``check`` also
recompiles the embedded policy, so a re-hashed edit of the compiled rules does not pass the gate.
The number in a name is the finding of issue 10 (7, 8, 15, 18).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attacks.hostile import (
    DECIDE,
    FORMAT,
    PLACEHOLDER,
    RELEASE,
    canonical,
    find_rule,
    read_release,
    rehash,
    rehash_bytes,
    template,
)

# --------------------------------------------------------------------------- the documented verification


class Refused(Exception):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise Refused("repeated key")
    return dict(pairs)


def _constant(name: str) -> Any:
    raise Refused(name)


def documented_verification(raw: bytes) -> None:
    """The README's recipe, step by step; :class:`Refused` when a step fails."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raise Refused("byte order mark")
    try:
        release = json.loads(raw.decode("utf-8"), object_pairs_hook=_pairs, parse_constant=_constant)
    except (ValueError, RecursionError) as e:
        raise Refused(f"not JSON: {e}") from e
    if not isinstance(release, dict) or not isinstance(release.get("manifest"), dict):
        raise Refused("no manifest")
    manifest = release["manifest"]
    if type(manifest.get("format")) is not int or manifest["format"] != FORMAT:
        raise Refused("format")
    if sorted(release) != ["$schema", "compiled", "manifest", "policy"]:
        raise Refused("members")
    unsigned = {**release, "manifest": {k: v for k, v in manifest.items() if k != "digest"}}
    if "sha256:" + hashlib.sha256(canonical(unsigned)).hexdigest() != manifest.get("digest"):
        raise Refused("digest")


# --------------------------------------------------------------------------- the corpus


def _dup_tier(project: Path) -> bytes:
    raw = template(project)
    start = raw.index(b'"item":"desktop-setup-install-config-assistance"')
    end = raw.index(b'"tier":"extended"', start) + len(b'"tier":"extended"')
    return rehash_bytes(raw[:end] + b',"tier":"standard"' + raw[end:])


def _forged_compiled(project: Path) -> dict[str, Any]:
    release = read_release(project)
    find_rule(release, "desktop-setup", "desktop-setup-install-config-assistance")["tier"] = "standard"
    return release["compiled"]


def _second_compiled(project: Path) -> bytes:
    release = read_release(project)
    raw = template(project)
    original = b'"compiled":' + canonical(release["compiled"])
    return rehash_bytes(
        raw.replace(original, original + b',"compiled":' + canonical(_forged_compiled(project)), 1)
    )


def _compiled_after_policy(project: Path) -> bytes:
    raw = template(project)
    return rehash_bytes(raw[:-2] + b',"compiled":' + canonical(_forged_compiled(project)) + b"}\n")


def _member_after_policy(project: Path) -> bytes:
    raw = template(project)
    return rehash_bytes(raw[:-2] + b',"zz":{"version":"1.0.0"}}\n')


def _nan_minimum(project: Path) -> bytes:
    raw = template(project)
    fact = raw.rindex(b"{", 0, raw.index(b'"id":"days_since_first_invoice"'))
    minimum = raw.index(b'"minimum":0', fact)
    return rehash_bytes(raw[:minimum] + b'"minimum":NaN' + raw[minimum + len(b'"minimum":0') :])


_SEARCH = b',"search":{"analyzer":'


def _index_bytes(raw: bytes) -> tuple[int, int]:
    """Where the search index's value stands in the release bytes (from its ``{`` to ``,"tiers":``)."""
    start = raw.index(_SEARCH) + len(b',"search":')
    return start, raw.index(b',"tiers":[', start)


def _second_search_after(project: Path) -> bytes:
    """A second index beside the first (empty of postings: a search would find nothing).
    Accepted at load before issue 10 met issue 12 (refused at the first search)."""
    raw = template(project)
    start, end = _index_bytes(raw)
    index = json.loads(raw[start:end])
    forged = canonical({**index, "postings": {}})
    return rehash_bytes(raw[:end] + b',"search":' + forged + raw[end:])


def _second_search_first(project: Path) -> bytes:
    """A second index as the first member of ``compiled`` (where the fast path does not look)."""
    raw = template(project)
    opening = b'"compiled":{'
    return rehash_bytes(raw.replace(opening, opening + b'"search":{"analyzer":"x"},', 1))


def _search_member_in_a_rule(project: Path) -> bytes:
    """The index left out, and its member's pattern inside a rule, followed by a ``tiers``
    member after a doubled comma (the rule's closing brace closing that member): not JSON,
    although what is left once the bytes from that pattern to ``,"tiers":[`` are cut out is
    (a rule with a ``tiers`` member). Accepted at load before issue 10 met issue 12."""
    raw = template(project)
    start, end = _index_bytes(raw)
    raw = raw[: start - len(b',"search":')] + raw[end:]
    rule = raw.index(b'"item":"desktop-setup-install-config-assistance"')
    close = raw.index(b"}", raw.index(b'"tier":"extended"', rule))
    return rehash_bytes(raw[:close] + _SEARCH + b'"x",,"tiers":[1]' + raw[close:])


def _format(value: bytes) -> Callable[[Path], bytes]:
    def build(project: Path) -> bytes:
        current = b'"format":%d,' % FORMAT
        assert current in template(project)
        return rehash_bytes(template(project).replace(current, b'"format":' + value + b",", 1))

    return build


def _bom(project: Path) -> bytes:
    return b"\xef\xbb\xbf" + (project / RELEASE).read_bytes()


def _huge_integer(project: Path) -> bytes:
    return (project / RELEASE).read_bytes().replace(b'"rank":0', b'"rank":1' + b"0" * 4999, 1)


def _rehashed(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], bytes]:
    def build(project: Path) -> bytes:
        release = read_release(project)
        change(release)
        return rehash(release)

    return build


def _rule_field(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(release: dict[str, Any]) -> None:
        find_rule(release, "desktop-setup", "desktop-setup-install-config-assistance")[name] = value

    return change


# name -> (builder, message the decide command prints)
REFUSED: dict[str, tuple[Callable[[Path], bytes], str]] = {
    "8a-repeated-key-in-a-rule": (_dup_tier, r"'tier' appears twice"),
    "8b-second-compiled-member": (_second_compiled, r"'compiled' appears twice"),
    "8c-compiled-member-after-the-policy": (_compiled_after_policy, r"'compiled' appears twice"),
    "8c-member-after-the-policy": (_member_after_policy, r"unknown member 'zz'"),
    "8d-nan": (_nan_minimum, r"NaN is not a JSON value"),
    "8b-second-search-member": (_second_search_after, r"'search' appears twice"),
    "8b-second-search-member-first": (_second_search_first, r"'search' appears twice"),
    "8-search-member-in-a-rule": (_search_member_in_a_rule, r"not valid JSON"),
    "8e-byte-order-mark": (_bom, r"byte order mark"),
    "8f-format-true": (_format(b"true"), r"release format true is not one this version reads"),
    "8g-format-float": (
        _format(b"%d.0" % FORMAT),
        rf"release format {FORMAT}\.0 is not one this version reads",
    ),
    "15-integer-of-5000-digits": (_huge_integer, r"more than 4,300 digits"),
    "7-newer-format": (
        _rehashed(lambda r: r["manifest"].__setitem__("format", FORMAT + 1)),
        rf"release format {FORMAT + 1}",
    ),
    "7-no-format": (_rehashed(lambda r: r["manifest"].pop("format")), r"release format none"),
}
# Verified (digest and members hold) but of a shape the compiler never writes: decide refuses.
ODD: dict[str, Callable[[Path], bytes]] = {
    "7-categories-a-string": _rehashed(lambda r: r["compiled"].__setitem__("categories", "none")),
    "18h-rule-of-an-unknown-tier": _rehashed(_rule_field("tier", "gold")),
    "18i-rule-text-a-string": _rehashed(_rule_field("text", "Assistance")),
    "18-rule-provenance-a-list": _rehashed(_rule_field("provenance", [])),
    "18-rule-referrals-unknown": _rehashed(_rule_field("referrals", ["nobody"])),
    "18-plan-tiers-null": _rehashed(lambda r: r["compiled"]["plans"][0].__setitem__("tiers", None)),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_tampered_release_is_refused_by_decide(
    name: str, project: Path, tmp_path: Path, run_cli: Any
) -> None:
    build, message = REFUSED[name]
    forged = tmp_path / "forged.json"
    forged.write_bytes(build(project))
    with pytest.raises(Refused):
        documented_verification(forged.read_bytes())
    result = run_cli(*DECIDE, "--release", str(forged))
    assert result.exit_code == 1, result.output
    assert re.search(r"forged\.json.*" + message, result.output, re.S), result.output
    from support_scope import load_release
    from support_scope.errors import ReleaseError

    with pytest.raises(ReleaseError):
        load_release(forged)


def _in_part(part: str, old: bytes, new: bytes) -> Callable[[Path], bytes]:
    """``old`` replaced by ``new`` once inside the search index or the embedded policy."""

    def build(project: Path) -> bytes:
        raw = template(project)
        start, end = _index_bytes(raw) if part == "index" else (raw.rindex(b',"policy":{'), len(raw))
        at = raw.index(old, start, end)
        return rehash_bytes(raw[:at] + new + raw[at + len(old) :])

    return build


# Damage inside the two parts the fast path parses only when they are read (the index on the
# first search, the policy for diff, check and `Ruleset.policy`): verified (the digest holds,
# each part is one object where it should be), so `decide` answers; reading the part is a
# ReleaseError; `check` refuses the release.
LAZY: dict[str, tuple[str, Callable[[Path], bytes]]] = {
    "index-repeated-key": ("index", _in_part("index", b'"items":', b'"items":0,"items":')),
    "index-nan": ("index", _in_part("index", b'"items":', b'"x":NaN,"items":')),
    "index-not-json": ("index", _in_part("index", b'"items":', b'"x":01,"items":')),
    "index-encoded-surrogate": ("index", _in_part("index", b'"analyzer":"', b'"analyzer":"\xed\xa0\x80')),
    "policy-repeated-key": (
        "policy",
        _in_part("policy", b'"id":"act-premium', b'"id":"x","id":"act-premium'),
    ),
    "policy-encoded-surrogate": ("policy", _in_part("policy", b'"id":"', b'"id":"\xed\xa0\x80')),
}


@pytest.mark.parametrize("name", sorted(LAZY))
def test_damage_inside_a_part_read_later_is_refused_when_it_is_read(
    name: str, project: Path, tmp_path: Path, run_cli: Any
) -> None:
    from support_scope import load_release
    from support_scope.errors import ReleaseError

    part, build = LAZY[name]
    forged = tmp_path / "forged.json"
    forged.write_bytes(build(project))
    with pytest.raises(Refused):
        documented_verification(forged.read_bytes())
    ruleset = load_release(forged)
    assert ruleset.decide(plan="standard", category="desktop-setup", item="desktop-setup-kb-pages")
    words = "search index" if part == "index" else "embedded policy"
    with pytest.raises(ReleaseError, match=rf"forged\.json: its {words} is not valid JSON"):
        if part == "index":
            ruleset.find("installation")
        else:
            ruleset.policy  # noqa: B018 - reading it is the point
    if part == "index":
        result = run_cli("find", "installation", "--release", str(forged))
        assert result.exit_code == 1 and f"its {words} is not valid JSON" in result.output, result.output
    (project / RELEASE).write_bytes(forged.read_bytes())
    result = run_cli("check")
    assert result.exit_code == 1 and re.search(re.escape(RELEASE) + ": ", result.output), result.output


@pytest.mark.parametrize("name", sorted(ODD))
def test_a_release_of_an_odd_shape_is_a_release_error(
    name: str, project: Path, tmp_path: Path, run_cli: Any
) -> None:
    forged = tmp_path / "forged.json"
    forged.write_bytes(ODD[name](project))
    documented_verification(forged.read_bytes())  # integrity holds: only its shape is odd
    result = run_cli(*DECIDE, "--release", str(forged), "--product", "act-premium")
    assert result.exit_code == 1, result.output
    assert "forged.json" in result.output and "Traceback" not in result.output
    result = run_cli("find", "installation", "--plan", "standard", "--release", str(forged))
    assert result.exit_code in (0, 1) and "Traceback" not in result.output


@pytest.mark.parametrize("name", ["7-forged-rule", *sorted(REFUSED), *sorted(ODD)])
def test_check_refuses_what_load_release_refuses_and_a_rehashed_edit(
    name: str, project: Path, run_cli: Any
) -> None:
    """7: the gate reads a release as strictly as load_release, and also compiles its embedded
    policy again: a rule flipped in ``compiled`` and re-hashed by the README's recipe fails."""
    if name == "7-forged-rule":
        release = read_release(project)
        find_rule(release, "desktop-setup", "desktop-setup-install-config-assistance")["tier"] = "standard"
        raw = rehash(release)
        documented_verification(raw)  # a valid digest: only recompiling tells
    else:
        raw = REFUSED[name][0](project) if name in REFUSED else ODD[name](project)
    (project / RELEASE).write_bytes(raw)
    result = run_cli("check")
    assert result.exit_code == 1, result.output
    assert re.search(re.escape(RELEASE) + ": ", result.output), result.output


def test_check_names_a_rehashed_edit_of_the_compiled_rules(project: Path, run_cli: Any) -> None:
    release = read_release(project)
    find_rule(release, "desktop-setup", "desktop-setup-install-config-assistance")["tier"] = "standard"
    (project / RELEASE).write_bytes(rehash(release))
    result = run_cli("check")
    assert result.exit_code == 1
    assert "does not match what its embedded policy compiles to" in result.output, result.output


@pytest.mark.parametrize("device", ["/dev/zero", "fifo"])
def test_a_release_that_is_not_a_regular_file_is_refused_at_once(
    device: str, tmp_path: Path, run_cli: Any
) -> None:
    """18: /dev/zero would be read until memory runs out, a FIFO would wait forever."""
    if device == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no named pipes on this system")
        path = tmp_path / "release.json"
        os.mkfifo(path)
    else:
        path = Path(device)
        if not path.exists():
            pytest.skip("no /dev/zero on this system")
    result = run_cli(*DECIDE, "--release", str(path))
    assert result.exit_code == 1
    assert "not a regular file" in result.output


# --------------------------------------------------------------------------- odd shapes, generated


_ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.text(max_size=3),
    st.lists(st.integers(0, 2), max_size=2),
    st.dictionaries(st.sampled_from(["fr", "en", "id", "x"]), st.text(max_size=2), max_size=2),
)
_PLACES = st.sampled_from(
    ["rule", "category", "plan", "tier", "product", "condition", "fact", "referral", "term"]
)


def _mutate(release: dict[str, Any], place: str, key_index: int, value: Any) -> None:
    compiled = release["compiled"]
    targets: dict[str, dict[str, Any]] = {
        "rule": find_rule(release, "desktop-setup", "desktop-setup-install-config-assistance"),
        "category": next(c for c in compiled["categories"] if c["id"] == "desktop-setup"),
        "plan": compiled["plans"][0],
        "tier": compiled["tiers"][-1],
        "product": compiled["products"][0],
        "condition": compiled["eligibility"]["conditions"][0],
        "fact": compiled["facts"][0],
        "referral": compiled["referrals"][0],
        "term": compiled["general_terms"][0],
    }
    target = targets[place]
    keys = sorted(target)
    target[keys[key_index % len(keys)]] = value


@settings(
    max_examples=150, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
@given(place=_PLACES, key_index=st.integers(0, 20), value=_ODD_VALUES)
def test_decide_on_a_verified_release_of_any_shape_raises_only_its_own_errors(
    place: str, key_index: int, value: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """18: a re-hashed release with any field of any record replaced by any small value: load,
    decide (with and without a context) and find answer, or raise ReleaseError, UnknownIdError
    or InputError; never TypeError, KeyError or AttributeError."""
    from support_scope import load_release
    from support_scope.errors import SupportScopeError

    repository = Path(__file__).resolve().parents[2]
    release = json.loads((repository / RELEASE).read_bytes())
    _mutate(release, place, key_index, value)
    path = tmp_path_factory.mktemp("odd") / "odd.json"
    path.write_bytes(rehash(release))
    try:
        ruleset = load_release(path)
        for item in ("desktop-setup-install-config-assistance", "desktop-setup-kb-pages", None):
            ruleset.decide(plan="standard", category="desktop-setup", item=item, product="act-premium")
            ruleset.decide(
                plan="extended",
                category="desktop-setup",
                item=item,
                context={"active_subscription": True, "supported_platform": False},
            )
        ruleset.find("installation", plan="standard")
    except SupportScopeError:
        pass


# Bytes that move the fast path's cuts: its members' patterns, brackets, quotes, commas.
_FRAGMENTS = [
    _SEARCH,
    b',"search":',
    b',"tiers":[',
    b',"policy":{',
    b',"manifest":',
    b'"x":1,',
    b"{",
    b"}",
    b"[",
    b"]",
    b'"',
    b",",
    b":",
    b"1",
    b"},",
    b'":"',
]


@functools.lru_cache(maxsize=1)
def _fuzz_template() -> tuple[bytes, tuple[int, ...]]:
    """The release with its digest a placeholder, and the places where the fast path cuts."""
    repository = Path(__file__).resolve().parents[2]
    release = json.loads((repository / RELEASE).read_bytes())
    release["manifest"]["digest"] = PLACEHOLDER
    raw = canonical(release) + b"\n"
    start, end = _index_bytes(raw)
    policy = raw.rindex(b',"policy":{')
    return raw, (0, 12, start - 10, start, start + 40, end, end + 10, policy - 20, policy, len(raw) - 3)


@settings(
    max_examples=300, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
@given(
    edits=st.lists(
        st.tuples(st.integers(0, 9), st.integers(-24, 24), st.integers(0, 4), st.sampled_from(_FRAGMENTS)),
        min_size=1,
        max_size=3,
    )
)
def test_the_fast_path_reads_what_the_documented_verification_reads(
    edits: list[tuple[int, int, int, bytes]],
) -> None:
    """Bytes inserted (and some deleted) where the fast path cuts (the search index, the
    manifest, the policy), the digest recomputed over the file's bytes: whatever
    ``load_release_bytes`` accepts, with its index and policy read, is strict JSON of the four
    members, read as the recipe reads it, and the README's recipe accepts it, unless the
    bytes are not canonical (see the test below): then only its digest step refuses it."""
    from support_scope.compile.verify import load_release_bytes
    from support_scope.errors import ReleaseError

    raw, anchors = _fuzz_template()
    for anchor, offset, deleted, fragment in edits:
        at = max(0, min(len(raw) - 2, anchors[anchor] + offset))
        raw = raw[:at] + fragment + raw[at + deleted :]
    raw = rehash_bytes(raw)
    try:
        verified = load_release_bytes(raw, "fuzz.json")
        compiled, policy = verified.whole(), verified.load_policy()
    except ReleaseError:
        return
    release = json.loads(raw.decode("utf-8"), object_pairs_hook=_pairs, parse_constant=_constant)
    assert sorted(release) == ["$schema", "compiled", "manifest", "policy"]
    assert canonical(compiled) == canonical(release["compiled"])
    assert canonical(verified.manifest) == canonical(release["manifest"])
    assert canonical(policy) == canonical(release["policy"])
    if canonical(release) + b"\n" == raw:
        documented_verification(raw)
    else:
        with pytest.raises(Refused, match="digest"):
            documented_verification(raw)


def test_a_release_hashed_over_bytes_that_are_not_canonical(
    project: Path, tmp_path: Path, run_cli: Any
) -> None:
    """Known, and documented in the README: the fast path, as the README's shortcut, hashes the
    file's bytes and does not prove them canonical (that would cost a re-serialisation, 0.7 s
    at 10,000 categories), so keys out of order, a space or another escape, hashed as they are,
    load; the full recipe refuses such a file (its digest is over the canonical form) and so
    does `check` (not the compiler's bytes). Whoever can write that can as easily write the
    canonical file with its digest: no more trust is given."""
    from support_scope import load_release

    rule = b'"item":"desktop-setup-install-config-assistance"'
    for old, new in ((rule, b'"zz":1,' + rule), (b'"tier":"extended"', b'"tier": "extended"')):
        raw = rehash_bytes(template(project).replace(old, new, 1))
        with pytest.raises(Refused, match="digest"):
            documented_verification(raw)
        forged = tmp_path / "forged.json"
        forged.write_bytes(raw)
        assert load_release(forged).decide(
            plan="standard", category="desktop-setup", item="desktop-setup-kb-pages"
        )
        (project / RELEASE).write_bytes(raw)
        result = run_cli("check")
        assert result.exit_code == 1 and "not in the canonical form" in result.output, result.output


def test_the_fast_path_accepts_the_release_as_written(project: Path, run_cli: Any) -> None:
    """The other side: the shipped release loads, and so does one re-hashed by the README's shortcut."""
    result = run_cli(*DECIDE, "--release", RELEASE)
    assert result.exit_code == 0, result.output
    assert PLACEHOLDER not in rehash_bytes(template(project)).decode()


def test_diff_refuses_a_rehashed_edit_of_the_compiled_rules(
    project: Path, tmp_path: Path, run_cli: Any
) -> None:
    """7: the rules flipped in ``compiled`` and the digest recomputed: `diff` compares the embedded
    policy, which was left as it was; it refuses the release instead of saying "no changes"."""
    release = read_release(project)
    find_rule(release, "desktop-setup", "desktop-setup-install-config-assistance")["tier"] = "standard"
    forged = tmp_path / "forged.json"
    forged.write_bytes(rehash(release))
    result = run_cli("diff", str(forged), "policies/act-premium-support-scope.json")
    assert result.exit_code == 1, result.output
    assert (
        "forged.json: its compiled part does not match what its embedded policy compiles to" in result.output
    )
    assert "no changes" not in result.output
