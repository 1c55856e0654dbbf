"""The release fast path's structure check, against generated JSON (this package's internals).

``_one_object`` decides, without parsing, whether the bytes after ``"policy":`` are exactly one
object: what lets ``load_release`` refuse a member after the policy without paying for parsing
it. It must say yes to every canonical object and no to an object followed by anything.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support_scope.compile.verify import _one_object

_TEXT = st.text(alphabet=st.sampled_from(list('ab{}[]",:\\\n/\u00e9\u2028')), max_size=6)
_JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5), _TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_TEXT, inner, max_size=3)),
    max_leaves=12,
)
_OBJECTS = st.dictionaries(_TEXT, _JSON, max_size=4)


def _canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(document=_OBJECTS, key=_TEXT, extra=_JSON)
def test_one_object_and_nothing_after_it(document: dict[str, Any], key: str, extra: Any) -> None:
    raw = _canonical(document)
    assert _one_object(raw)
    assert not _one_object(raw + b"," + _canonical(key) + b":" + _canonical(extra))
    assert not _one_object(raw + _canonical(extra))


@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(document=_OBJECTS, cut=st.integers(1, 10_000))
def test_a_cut_object_is_never_taken_for_one(document: dict[str, Any], cut: int) -> None:
    raw = _canonical(document)
    if cut < len(raw):
        assert not _one_object(raw[:cut])


def test_one_object_within_a_larger_buffer_and_its_escapes() -> None:
    """The fast path checks the policy where it stands in the file (``start``, ``end``): an
    escaped quote or backslash is text, an escaped last brace is no end."""
    body = b'{"a":"\\"}","b":["\\\\",{"c":"]"}]}'
    assert json.loads(body) == {"a": '"}', "b": ["\\", {"c": "]"}]}
    framed = b'xx,"policy":' + body + b"}\n"
    start, end = len(b'xx,"policy":'), len(framed) - 2
    assert _one_object(framed, start, end)
    assert not _one_object(framed, start, end - 1)
    trailing = b'xx,"policy":' + body + b',"compiled":{}}\n'
    assert not _one_object(trailing, start, len(trailing) - 2)
    assert not _one_object(b'{"a":"x\\}', 0, None)  # its last brace is escaped
    assert not _one_object(b"{", 0, None) and not _one_object(b"", 0, None)


def test_the_fast_path_hashing_beside_the_parse_gives_the_same_verdicts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Large releases are hashed in a thread while the head is parsed; the verdicts are those of
    hashing inline (here the threshold is lowered so that the shipped release takes that path)."""
    from pathlib import Path

    from support_scope.compile import verify
    from support_scope.errors import ReleaseError

    release = sorted(
        (Path(__file__).resolve().parents[2] / "releases" / "act-premium-support-scope").glob("*.json")
    )[-1]
    raw = release.read_bytes()
    monkeypatch.setattr(verify, "_THREADED_HASHING", 0)
    verified = verify.load_release_bytes(raw, "release.json")
    assert verified.manifest["policy_version"] == release.stem
    assert verified.load_policy()["version"] == release.stem
    flipped = raw.replace(b'"tier":"extended"', b'"tier":"standard"', 1)
    with pytest.raises(ReleaseError, match="digest mismatch"):
        verify.load_release_bytes(flipped, "release.json")
