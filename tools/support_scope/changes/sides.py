"""The two sides of a diff: a policy file, a compiled release, or a policy at a git revision.

A side is named the way people name it on the command line:

- ``policies/act-premium-support-scope.json``: a policy file;
- ``releases/act-premium-support-scope/1.0.0.json``: a compiled release (its digest is
  verified, and the policy embedded in it is the side);
- ``v1.0.0:policies/act-premium-support-scope.json``: the file at a git revision, read with
  ``git show`` in the current directory's repository (a policy or a release).

A side that cannot be read is an :class:`InputError` naming it and the reason; it is never
taken for an empty policy.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support_scope.compile.verify import POLICY_FORMATS, verify_compiled, verify_release
from support_scope.errors import InputError, PolicyError, ReleaseError
from support_scope.fileio.jsonfile import parse_json, read_text
from support_scope.model.paths import JsonPath
from support_scope.model.release import is_release


@dataclass(frozen=True)
class Side:
    """One side of a comparison: the policy document, where it came from, and its text.

    ``file`` is the file a change is located in (for ``REV:path``, the path: what a pull
    request shows); ``text`` is that file's text and ``base`` the JSON path of the policy
    inside it (``("policy",)`` in a release, which embeds it), so that a change's JSON path
    gives its line and column.
    """

    label: str
    document: dict[str, Any]
    kind: str  # "policy" or "release"
    text: str = ""
    file: str = ""
    base: JsonPath = ()
    revision: str | None = None
    note: str | None = None  # how the side's places are to be read, when not plainly the file's


# The top-level fields of a policy and their JSON types. An old version may predate a field,
# so only ``id``, ``version`` and ``categories`` must be there; the others are checked when present.
_REQUIRED = ("id", "version", "categories")
_TOP_LEVEL = {
    "id": str,
    "version": str,
    "categories": list,
    "title": dict,
    "languages": list,
    "source": dict,
    "products": list,
    "eligibility": dict,
    "tiers": list,
    "plans": list,
    "facts": list,
    "referrals": list,
    "general_terms": list,
}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    return names.get(type(value), "a number")


def check_shape(document: Any, text: str, label: str) -> None:
    """Raise :class:`PolicyError`, located, unless ``document`` has the top-level shape of a policy.

    Only the top level is checked: validating a large policy takes seconds, and the comparison
    tolerates anything below it.
    """
    if not isinstance(document, dict):
        raise PolicyError(f"{label}:1:1: not a policy: a policy is a JSON object, not {_json_type(document)}")
    missing = [name for name in _REQUIRED if name not in document]
    wrong = [
        name for name, kind in _TOP_LEVEL.items() if name in document and not isinstance(document[name], kind)
    ]
    if not missing and not wrong:
        return
    from support_scope.fileio.locate import locate_all

    path: tuple[str, ...] = () if missing else (wrong[0],)
    if missing:
        reason = f'no "{missing[0]}" field'
    else:
        expected = _json_type(_TOP_LEVEL[wrong[0]]())
        reason = f'"{wrong[0]}" is {_json_type(document[wrong[0]])}, not {expected}'
    line, column = locate_all(text, [path])[path]
    raise PolicyError(
        f"{label}:{line}:{column}: not a policy: {reason} (`support-scope validate` lists every problem)"
    )


def side_from_text(text: str, label: str, file: str | None = None, revision: str | None = None) -> Side:
    """A side from the text of a policy or a release; a release's digest is verified, and its
    compiled rules checked against its embedded policy (what the diff compares): a rule edited
    and re-hashed is refused, never reported as "no changes". A release of an older format,
    which this version cannot compile again, is verified as ``check`` verifies it."""
    document = parse_json(text, label)
    where = file if file is not None else label
    if is_release(document):
        verify_release(document, label, POLICY_FORMATS)
        policy = document["policy"]
        if not isinstance(policy, dict):
            raise ReleaseError(f"{label}: the release's embedded policy is not a JSON object")
        verify_compiled(document, label, text.encode("utf-8"))
        return Side(label, policy, "release", text, where, ("policy",), revision)
    check_shape(document, text, label)
    return Side(label, document, "policy", text, where, (), revision)


def git_show(revision: str, path: str, cwd: Path | None = None) -> str:
    """The text of ``path`` at ``revision`` in the repository of ``cwd`` (``git show REV:path``)."""
    spec = f"{revision}:{path}"
    if revision.startswith("-"):
        # git would read it as an option (``--output=FILE`` writes a file): never pass it on.
        raise InputError(f"{spec}: a git revision does not start with '-'")
    try:
        completed = subprocess.run(
            ["git", "show", "--end-of-options", spec],
            cwd=cwd,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError as e:
        raise InputError(f"{spec}: cannot read a git revision: git is not installed") from e
    if completed.returncode != 0:
        reason = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"{spec}: git cannot show it: {reason[-1] if reason else 'unknown error'}")
    try:
        return completed.stdout.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise PolicyError(f"{spec}: not UTF-8 text") from e


def load_side(spec: str, cwd: Path | None = None) -> Side:
    """Load a side named by a path, or by ``REV:path`` when no such file exists."""
    base = cwd or Path()
    path = base / spec
    if path.exists() or ":" not in spec:
        return side_from_text(read_text(path, spec), spec)
    revision, _, inner = spec.partition(":")
    if not revision or not inner:
        raise InputError(f"{spec}: neither a file nor REV:path")
    return side_from_text(git_show(revision, inner, cwd), spec, inner, revision)
