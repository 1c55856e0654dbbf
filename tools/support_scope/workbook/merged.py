"""The merged policy, copy on write.

It starts as a shallow copy of the current policy: it shares every category, item, condition
and term with it, and an entity is copied (made the merged document's own) only when the merge
changes it, with the containers on its way. A 10,000-category policy is some 230 MB of Python
objects; a full copy of it was the largest part of an import's memory, for the 1% of it a
review changes.
"""

from __future__ import annotations

import copy
from typing import Any

from support_scope.model.walk import ELIGIBILITY, entities
from support_scope.workbook.layout import (
    EDITABLE,
    SHEET_CATEGORIES,
    SHEET_CONDITIONS,
    SHEET_MATRIX,
    SHEET_TERMS,
    SHEET_VOCABULARY,
    condition_key,
)

# Per sheet: row key -> (entity, the id of what holds it)
Entities = dict[str, dict[str, tuple[dict[str, Any], str | None]]]
_SHEET_OF = {
    "category": SHEET_CATEGORIES,
    "item": SHEET_MATRIX,
    "condition": SHEET_CONDITIONS,
    "term": SHEET_TERMS,
    "vocabulary": SHEET_VOCABULARY,
}


def sheet_entities(document: dict[str, Any]) -> Entities:
    """Per sheet: row key -> (entity, holder id) of every entity ``document`` shows in the workbook."""
    result: Entities = {name: {} for name in EDITABLE}
    for entity in entities(document):
        sheet = _SHEET_OF.get(entity.kind)
        if sheet is None or entity.id is None:
            continue
        key = condition_key(str(entity.owner), entity.id) if entity.kind == "condition" else entity.id
        result[sheet][key] = (entity.record, entity.owner)
    return result


def _position(entries: list[Any], entity: Any) -> int:
    """Where ``entity`` itself (not an equal one) stands in ``entries``."""
    return next(index for index, entry in enumerate(entries) if entry is entity)


class MergedDocument:
    """The policy being merged: :attr:`document` shares what is untouched with the current policy."""

    def __init__(self, current: dict[str, Any], current_entities: Entities) -> None:
        self.document = dict(current)
        for key in ("categories", "general_terms", "vocabulary"):
            if key in current:
                self.document[key] = list(current[key])
        self.entities = {name: dict(found) for name, found in current_entities.items()}
        self._owned: set[int] = set()  # ids of the merged document's own (copied or new) containers
        self._category_at = {category["id"]: i for i, category in enumerate(self.document["categories"])}

    def own(self, entity: dict[str, Any]) -> None:
        """Record a new entity as the merged document's own."""
        self._owned.add(id(entity))

    def category(self, category_id: str) -> dict[str, Any]:
        """The merged category, its own: its fields copied, its item and condition lists new
        (the items and conditions in them still shared until they change)."""
        category, _ = self.entities[SHEET_CATEGORIES][category_id]
        if id(category) in self._owned:
            return category
        fresh = {
            key: list(value) if key in ("items", "conditions") else copy.deepcopy(value)
            for key, value in category.items()
        }
        self.document["categories"][self._category_at[category_id]] = fresh
        self.entities[SHEET_CATEGORIES][category_id] = (fresh, None)
        self._owned.add(id(fresh))
        return fresh

    def writable(self, name: str, key: str) -> dict[str, Any]:
        """The merged entity ``key`` of sheet ``name``, copied into the merged document if shared."""
        if name == SHEET_CATEGORIES:
            return self.category(key)
        entity, container = self.entities[name][key]
        if id(entity) in self._owned:
            return entity
        fresh = copy.deepcopy(entity)
        if name == SHEET_MATRIX:
            entries = self.category(str(container))["items"]
        elif name == SHEET_CONDITIONS and container == ELIGIBILITY:
            eligibility = self.document["eligibility"]
            if id(eligibility) not in self._owned:
                eligibility = self.document["eligibility"] = dict(eligibility)
                eligibility["conditions"] = list(eligibility["conditions"])
                self._owned.add(id(eligibility))
            entries = eligibility["conditions"]
        elif name == SHEET_CONDITIONS:
            entries = self.category(str(container))["conditions"]
        elif name == SHEET_VOCABULARY:
            entries = self.document["vocabulary"]
        else:
            entries = self.document["general_terms"]
        entries[_position(entries, entity)] = fresh
        self.entities[name][key] = (fresh, container)
        self._owned.add(id(fresh))
        return fresh

    def delete(self, name: str, key: str) -> None:
        entity, container = self.entities[name][key]
        if name == SHEET_MATRIX:
            category = self.category(str(container))
            category["items"] = [item for item in category["items"] if item is not entity]
        elif name == SHEET_TERMS:
            self.document["general_terms"] = [
                term for term in self.document["general_terms"] if term is not entity
            ]
        del self.entities[name][key]
