"""One walk over every entity of a policy, each with its JSON path: written once, used everywhere.

Validate checks ids and texts along it, the workbook lays out and merges its rows with it, the
tests visit every language map with it. It tolerates documents that fail the schema (validate
sees those): what is not of the expected shape is skipped, never an error.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from support_scope.model.paths import JsonPath

EntityKind = Literal[
    "policy",
    "product",
    "eligibility",
    "condition",
    "tier",
    "grant",
    "plan",
    "fact",
    "referral",
    "request_kind",
    "term",
    "precedence",
    "category",
    "group",
    "note",
    "item",
    "vocabulary",
]

ELIGIBILITY = "eligibility"  # the owner of the eligibility conditions

# The language maps each kind of entity holds, by field name ("billing.text": inside billing).
TEXT_FIELDS: dict[EntityKind, tuple[str, ...]] = {
    "policy": ("title", "source.title", "source.source_note"),
    "product": ("name", "source_note"),
    "eligibility": ("text", "source_note"),
    "condition": ("text", "source_note"),
    "tier": ("label", "source_note"),
    "grant": ("text", "source_note"),
    "plan": ("name", "source_note"),
    "fact": ("description",),
    "referral": ("name",),
    "request_kind": ("name", "description", "source_note"),
    "term": ("text", "billing.text", "source_note"),
    "precedence": ("text", "source_note"),
    "category": ("title", "source_note"),
    "group": ("text", "source_note"),
    "note": ("text", "source_note"),
    "item": ("text", "billing.text", "source_note"),
    "vocabulary": ("note",),
}

# The lists of records directly under the policy, and the kind of their records.
TOP_LEVEL_LISTS: tuple[tuple[str, EntityKind], ...] = (
    ("products", "product"),
    ("tiers", "tier"),
    ("plans", "plan"),
    ("facts", "fact"),
    ("referrals", "referral"),
    ("request_kinds", "request_kind"),
    ("general_terms", "term"),
    ("categories", "category"),
    ("vocabulary", "vocabulary"),  # groups of words for the search (find)
)
# The lists of records inside a category, in the order the walk visits them.
CATEGORY_LISTS: tuple[tuple[str, EntityKind], ...] = (
    ("conditions", "condition"),
    ("groups", "group"),
    ("notes", "note"),
    ("items", "item"),
)


@dataclass(frozen=True, slots=True)
class Entity:
    """A record of the policy: what it is, where it is, and what holds it.

    ``owner`` is the id of the record holding it: the category of a condition, group, note
    or item (``"eligibility"`` for the eligibility conditions), the tier of a grant; None
    otherwise (and when the holder has no id).
    """

    kind: EntityKind
    path: JsonPath
    record: dict[str, Any]
    owner: str | None = None

    @property
    def id(self) -> str | None:
        value = self.record.get("id")
        return value if isinstance(value, str) else None


def records(container: object, key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(position, record) for each object in the list ``container[key]``; nothing when it is not one."""
    value = container.get(key) if isinstance(container, dict) else None
    if isinstance(value, list):
        for index, record in enumerate(value):
            if isinstance(record, dict):
                yield index, record


def entities(document: object) -> Iterator[Entity]:
    """Every entity of ``document``, in document order (a holder before what it holds)."""
    if not isinstance(document, dict):
        return
    yield Entity("policy", (), document)
    for key, kind in TOP_LEVEL_LISTS:
        if key == "categories":
            precedence = document.get("precedence")
            if isinstance(precedence, dict):
                yield Entity("precedence", ("precedence",), precedence)
            eligibility = document.get("eligibility")
            if isinstance(eligibility, dict):
                yield Entity("eligibility", ("eligibility",), eligibility)
                for index, condition in records(eligibility, "conditions"):
                    yield Entity("condition", ("eligibility", "conditions", index), condition, ELIGIBILITY)
        for index, record in records(document, key):
            path: JsonPath = (key, index)
            entity = Entity(kind, path, record)
            yield entity
            if kind == "tier":
                for g_index, grant in records(record, "grants"):
                    yield Entity("grant", (*path, "grants", g_index), grant, entity.id)
            elif kind == "category":
                for sub_key, sub_kind in CATEGORY_LISTS:
                    for s_index, sub in records(record, sub_key):
                        yield Entity(sub_kind, (*path, sub_key, s_index), sub, entity.id)


def language_maps(document: object) -> Iterator[tuple[JsonPath, object, Entity]]:
    """Every human text of the policy: (its path, the language map as found, its entity)."""
    for entity in entities(document):
        for path, language_map in entity_language_maps(entity):
            yield path, language_map, entity


def entity_language_maps(entity: Entity) -> Iterator[tuple[JsonPath, object]]:
    """The human texts of one entity (:data:`TEXT_FIELDS`): (path, the language map as found)."""
    for name in TEXT_FIELDS[entity.kind]:
        holder: object = entity.record
        steps = name.split(".")
        for step in steps[:-1]:
            holder = holder.get(step) if isinstance(holder, dict) else None
        if isinstance(holder, dict) and steps[-1] in holder:
            yield (*entity.path, *steps), holder[steps[-1]]


def entity_at(document: object, path: JsonPath) -> tuple[Entity, JsonPath] | None:
    """The innermost entity holding the value at ``path``, and the rest of the path inside it.

    Follows the path step by step (never a walk over the whole document). None when the path
    does not lead into an entity.
    """
    if not isinstance(document, dict):
        return None
    found: tuple[Entity, JsonPath] = (Entity("policy", (), document), path)
    holder: dict[str, Any] = document
    kinds: dict[str, EntityKind] = dict(TOP_LEVEL_LISTS)
    owner: str | None = None
    position = 0
    if path[:1] == ("precedence",) and isinstance(document.get("precedence"), dict):
        return Entity("precedence", ("precedence",), document["precedence"]), path[1:]
    if path[:1] == ("eligibility",) and isinstance(document.get("eligibility"), dict):
        holder = document["eligibility"]
        found = (Entity("eligibility", ("eligibility",), holder), path[1:])
        kinds, owner, position = {"conditions": "condition"}, ELIGIBILITY, 1
    while position + 1 < len(path):
        key, index = path[position], path[position + 1]
        kind = kinds.get(key) if isinstance(key, str) else None
        entries = holder.get(key) if isinstance(key, str) and kind is not None else None
        if kind is None or not isinstance(index, int) or not isinstance(entries, list):
            break
        if not 0 <= index < len(entries) or not isinstance(entries[index], dict):
            break
        position += 2
        entity = Entity(kind, path[:position], entries[index], owner)
        found = (entity, path[position:])
        holder, owner = entries[index], entity.id
        kinds = dict(CATEGORY_LISTS) if kind == "category" else {"grants": "grant"} if kind == "tier" else {}
    return found
