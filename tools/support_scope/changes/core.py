"""The machinery of the diff: records matched by id, compared field by field, changes recorded.

:class:`Differ` holds both versions and the changes found so far; :mod:`~support_scope.changes.records`
says what the rules make of each kind of record (products, conditions, tiers...), and
:mod:`~support_scope.changes.matrix` of categories and items. Everything here tolerates the odd
shapes of a document that fails the schema: what is not of the expected shape is skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from support_scope.changes.result import Change
from support_scope.changes.rules import RULES
from support_scope.changes.words import word_diff
from support_scope.model.paths import JsonPath
from support_scope.model.tiers import TierReach

_TEXT_FIELDS = ("text", "title", "name", "label", "description")
_ANNOTATION_FIELDS = ("provenance", "source_note", "legal_review")
RESTRICTING_TERMS = ("not-covered", "call-limit")


def entries(container: Any, key: str) -> list[dict[str, Any]]:
    value = container.get(key) if isinstance(container, dict) else None
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


Entry = tuple[int, dict[str, Any]]  # a record and its position in its list


def index(container: Any, key: str) -> dict[str, Entry]:
    """id -> (position, record) for the records of ``container[key]`` (first one wins on a repeat)."""
    index: dict[str, Entry] = {}
    value = container.get(key) if isinstance(container, dict) else None
    if isinstance(value, list):
        for position, entry in enumerate(value):
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                index.setdefault(entry["id"], (position, entry))
    return index


def french(text: Any) -> str:
    if isinstance(text, dict) and isinstance(text.get("fr"), str):
        return str(text["fr"])
    return ""


def strings(value: Any) -> list[str]:
    return [x for x in value if isinstance(x, str)] if isinstance(value, list) else []


def plans_in_words(names: Iterable[str]) -> str:
    names = sorted(names)
    if not names:
        return "no plan"
    return ("plan " if len(names) == 1 else "plans ") + ", ".join(names)


class Coverage:
    """Which plans have which item in one version of a policy (tier reach, from :mod:`support_scope.model.tiers`)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.tiers = TierReach.of_document(document)
        self.plans = self.tiers.plans  # plan -> the tier it gives

    def plans_for(self, item: dict[str, Any] | None) -> set[str]:
        """The plans whose customers have this item in scope."""
        if item is None or item.get("status") != "included" or not isinstance(item.get("tier"), str):
            return set()
        return set(self.tiers.plans_reaching(item["tier"]))

    def higher(self, a: Any, b: Any) -> bool:
        """True when tier ``a`` includes tier ``b`` (and is not it)."""
        return isinstance(a, str) and isinstance(b, str) and self.tiers.includes(a, b)


@dataclass(frozen=True)
class Match:
    """A record present in both versions, and where it stands in each."""

    id: str
    ids: dict[str, str]
    old: dict[str, Any]
    new: dict[str, Any]
    old_path: JsonPath
    new_path: JsonPath
    where: str  # the label of the record holding the list ("" at the top level)
    label: str  # this record's label in messages: "plan 'pro'", "category 'setup' note 'n1'"


class Fields(dict[str, Any]):
    """A record's fields for a message template; a missing field reads as None."""

    def __missing__(self, key: str) -> None:
        return None


@dataclass(frozen=True)
class Collection:
    """A list of records matched by id (``products``, ``conditions``...) and the rules of its changes.

    A record that appears or disappears is one change: ``added`` or ``removed`` holds its
    (rule, message) pair, or two pairs when ``variant`` tells them apart by the record (the
    first pair when it returns True). Messages are :meth:`str.format` templates over the
    record's fields, with ``id``, ``where`` (the holder's label), ``text`` (the record's French
    text) and ``plans`` (the plans concerned, in words). ``affects`` names those plans:
    ``every`` plan of the new version, the plans ``given`` by the caller, the plan the record
    ``is``, or ``none``; the rule's severity says whether they gain coverage (additive) or
    lose it (breaking). A record kept on both sides goes through ``compare`` (the fields its
    rules handle, listed in ``handled``), then every other field is compared generically.
    """

    key: str
    name: str
    label: str
    added: tuple[tuple[str, str], ...]
    removed: tuple[tuple[str, str], ...]
    handled: tuple[str, ...] = ()
    compare: Callable[[Differ, Match], None] | None = None
    variant: Callable[[dict[str, Any]], bool] | None = None
    affects: str = "none"
    value: str | None = None  # the field reported as old/new when the record comes or goes; None: all of it


class Differ:
    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old, self.new = old, new
        self.old_cov, self.new_cov = Coverage(old), Coverage(new)
        self.old_categories = index(old, "categories")
        self.new_categories = index(new, "categories")
        self.changes: list[Change] = []

    def add(self, rule: str, ids: dict[str, str], message: str, **kwargs: Any) -> None:
        self.changes.append(Change(rule, ids, message, **kwargs))

    def field(self, rule: str, m: Match, name: str, message: str, **kwargs: Any) -> None:
        """A change of field ``name`` of a matched record (unless ``kwargs`` say what old and new were)."""
        kwargs.setdefault("old", m.old.get(name))
        kwargs.setdefault("new", m.new.get(name))
        self.add(rule, m.ids, message, old_path=(*m.old_path, name), new_path=(*m.new_path, name), **kwargs)

    # ---- id-keyed collections

    def collection(
        self,
        spec: Collection,
        old: Any,
        new: Any,
        old_base: JsonPath = (),
        new_base: JsonPath = (),
        scope: dict[str, str] | None = None,
        where: str = "",
        plans: list[str] | None = None,
    ) -> None:
        """Every record of ``spec.key`` in the containers ``old`` and ``new``: new order first, then the removed ones."""
        old_index, new_index = index(old, spec.key), index(new, spec.key)
        scope = scope or {}
        for rid, after in new_index.items():
            before = old_index.get(rid)
            if before is None:
                self.came_or_went(spec, rid, after, True, new_base, scope, where, plans or [])
                continue
            if before[1] == after[1]:
                continue
            ids = {**scope, spec.name: rid}
            m = Match(
                rid,
                ids,
                before[1],
                after[1],
                (*old_base, spec.key, before[0]),
                (*new_base, spec.key, after[0]),
                where,
                spec.label.format(id=rid, where=where),
            )
            if spec.compare is not None:
                spec.compare(self, m)
            self.record(m.old, m.new, m.old_path, m.new_path, ids, spec.handled, m.label)
        for rid, before in old_index.items():
            if rid not in new_index:
                self.came_or_went(spec, rid, before, False, old_base, scope, where, plans or [])

    def came_or_went(
        self,
        spec: Collection,
        rid: str,
        entry: Entry,
        added: bool,
        base: JsonPath,
        scope: dict[str, str],
        where: str,
        given: list[str],
    ) -> None:
        """One change for a record of ``spec`` that only the new (``added``) or the old version has."""
        position, record = entry
        pairs = spec.added if added else spec.removed
        rule, template = pairs[0 if spec.variant is None or spec.variant(record) else 1]
        plans = {"every": sorted(self.new_cov.plans), "given": given, "is": [rid]}.get(spec.affects, [])
        fields = Fields(record)
        fields.update(id=rid, where=where, text=french(record.get("text")), plans=plans_in_words(plans))
        value = record if spec.value is None else record.get(spec.value)
        path = (*base, spec.key, position)
        severity = RULES[rule].severity
        self.add(
            rule,
            {**scope, spec.name: rid},
            template.format_map(fields),
            **({"new_path": path, "new": value} if added else {"old_path": path, "old": value}),
            plans_gaining=plans if severity == "additive" else [],
            plans_losing=plans if severity == "breaking" else [],
        )

    # ---- generic field comparison of two matched records

    def record(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        old_path: JsonPath,
        new_path: JsonPath,
        ids: dict[str, str],
        handled: Iterable[str],
        label: str,
    ) -> None:
        """Texts, annotations, then any field no rule handles (compared with deepdiff)."""
        if old == new:
            return
        skip = {"id", *handled}
        for name in _TEXT_FIELDS:
            if name not in skip:
                self.texts(old.get(name), new.get(name), (*old_path, name), (*new_path, name), ids, label)
        skip.update(_TEXT_FIELDS)
        for name in _ANNOTATION_FIELDS:
            if old.get(name) != new.get(name):
                self.add(
                    "annotation-changed",
                    ids,
                    f"{label}: {name.replace('_', ' ')} changed",
                    old_path=(*old_path, name),
                    new_path=(*new_path, name),
                    old=old.get(name),
                    new=new.get(name),
                )
        skip.update(_ANNOTATION_FIELDS)
        rest_old = {k: v for k, v in old.items() if k not in skip}
        rest_new = {k: v for k, v in new.items() if k not in skip}
        if rest_old != rest_new:
            from deepdiff import DeepDiff

            delta = DeepDiff(rest_old, rest_new, verbose_level=2)
            for name in sorted(set(rest_old) | set(rest_new)):
                if rest_old.get(name) != rest_new.get(name):
                    self.add(
                        "other-field-changed",
                        ids,
                        f"{label}: {name} changed ({deepdiff_summary(delta, name)})",
                        old_path=(*old_path, name),
                        new_path=(*new_path, name),
                        old=rest_old.get(name),
                        new=rest_new.get(name),
                    )

    def texts(
        self, old: Any, new: Any, old_path: JsonPath, new_path: JsonPath, ids: dict[str, str], label: str
    ) -> None:
        if old == new:
            return
        old_map = old if isinstance(old, dict) else {}
        new_map = new if isinstance(new, dict) else {}
        for language in sorted(set(old_map) | set(new_map), key=lambda lang: (lang != "fr", lang)):
            before, after = old_map.get(language), new_map.get(language)
            if before == after:
                continue
            french = language == "fr"
            is_title = french and old_path[-1] == "title" and "category" in ids and "item" not in ids
            rule = "category-retitled" if is_title else "text-changed" if french else "translation-changed"
            what = "French text" if french else f"{language!r} translation"
            if before is None:
                message = f"{label}: {what} added"
            elif after is None:
                message = f"{label}: {what} removed"
            else:
                message = f"{label}: {what} changed"
            self.add(
                rule,
                ids,
                message,
                old_path=(*old_path, language),
                new_path=(*new_path, language),
                old=before,
                new=after,
                words=word_diff(str(before or ""), str(after or "")),
            )


def deepdiff_summary(delta: Any, name: str) -> str:
    """A short account of what deepdiff found under field ``name``."""
    parts: list[str] = []
    for kind, entries in sorted(delta.items()):
        touched = [str(p) for p in entries if str(p).startswith(f"root['{name}']")]
        if touched:
            parts.append(f"{kind.replace('_', ' ')}: {', '.join(sorted(touched)[:3])}")
    return "; ".join(parts) or "changed"
