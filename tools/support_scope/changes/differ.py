"""Compare two versions of a policy, each change classified by its effect on coverage.

Records are matched by their stable ids, never by position: moving a category or an item is
an editorial change, not a removal plus an addition. Each change carries a rule id (listed in
:data:`~support_scope.changes.rules.RULES`), a severity, and a message naming the plans whose
customers gain or lose coverage. Texts are compared word by word.

Everything here is pure: no I/O, no printing. :func:`diff_documents` takes two parsed documents.
"""

from __future__ import annotations

from typing import Any

from support_scope.changes import matrix, records
from support_scope.changes.core import Differ, strings
from support_scope.changes.result import Diff
from support_scope.fileio.jsonfile import paused_gc
from support_scope.model.vocab import DEFAULT_PRECEDENCE


def diff_documents(old: dict[str, Any], new: dict[str, Any]) -> Diff:
    """Every change from policy ``old`` to policy ``new``, matched by id, classified by rule."""
    differ = Differ(old, new)
    with paused_gc():
        _document(differ)
    return Diff(
        old_id=old.get("id") if isinstance(old.get("id"), str) else None,
        new_id=new.get("id") if isinstance(new.get("id"), str) else None,
        old_version=old.get("version") if isinstance(old.get("version"), str) else None,
        new_version=new.get("version") if isinstance(new.get("version"), str) else None,
        changes=differ.changes,
    )


def _document(d: Differ) -> None:
    old, new = d.old, d.new
    if old.get("id") != new.get("id"):
        d.add(
            "policy-id-changed",
            {"policy": str(new.get("id"))},
            f"the policy's id changed from {old.get('id')!r} to {new.get('id')!r}",
            old_path=("id",),
            new_path=("id",),
            old=old.get("id"),
            new=new.get("id"),
        )
    d.texts(old.get("title"), new.get("title"), ("title",), ("title",), {}, "policy title")
    _languages(d)
    if old.get("source") != new.get("source"):
        d.add(
            "annotation-changed",
            {},
            "the source document reference changed",
            old_path=("source",),
            new_path=("source",),
            old=old.get("source"),
            new=new.get("source"),
        )
    d.collection(records.PRODUCTS, old, new)
    _eligibility(d)
    d.collection(records.TIERS, old, new)
    d.collection(records.PLANS, old, new)
    d.collection(records.FACTS, old, new)
    d.collection(records.REFERRALS, old, new)
    d.collection(records.REQUEST_KINDS, old, new)
    d.collection(records.GENERAL_TERMS, old, new)
    _precedence(d)
    matrix.categories(d)
    d.collection(records.VOCABULARY, old, new)


def _precedence(d: Differ) -> None:
    """The order of the steps (a policy without one follows the default order), then its words."""
    old, new = d.old.get("precedence"), d.new.get("precedence")
    if old == new:
        return
    before = _order(old)
    after = _order(new)
    if before != after:
        d.add(
            "precedence-changed",
            {"precedence": "order"},
            f"the precedence is now {' > '.join(after)} (was {' > '.join(before)})",
            old_path=("precedence", "order") if isinstance(old, dict) else (),
            new_path=("precedence", "order") if isinstance(new, dict) else (),
            old=before,
            new=after,
            plans_losing=sorted(d.new_cov.plans),
            legal=True,
        )
    if isinstance(old, dict) != isinstance(new, dict):
        if before == after:
            d.add(
                "precedence-stated",
                {"precedence": "order"},
                "the precedence is now stated in the policy"
                if isinstance(new, dict)
                else "the precedence is no longer stated in the policy",
                old_path=("precedence",) if isinstance(old, dict) else (),
                new_path=("precedence",) if isinstance(new, dict) else (),
                old=old,
                new=new,
            )
        return
    if isinstance(old, dict) and isinstance(new, dict):
        d.record(
            old, new, ("precedence",), ("precedence",), {"precedence": "order"}, ("order",), "the precedence"
        )


def _order(precedence: object) -> list[str]:
    if isinstance(precedence, dict) and isinstance(precedence.get("order"), list):
        return [str(step) for step in precedence["order"]]
    return list(DEFAULT_PRECEDENCE)


def _languages(d: Differ) -> None:
    before, after = strings(d.old.get("languages")), strings(d.new.get("languages"))
    for language in after:
        if language not in before:
            d.add(
                "language-added",
                {"language": language},
                f"the document now declares the language {language!r}",
                new_path=("languages",),
                new=language,
            )
    for language in before:
        if language not in after:
            d.add(
                "language-removed",
                {"language": language},
                f"the document no longer declares the language {language!r}",
                old_path=("languages",),
                old=language,
            )


def _eligibility(d: Differ) -> None:
    old, new = d.old.get("eligibility"), d.new.get("eligibility")
    if old == new or not isinstance(old, dict) or not isinstance(new, dict):
        return
    where = "every request (eligibility)"
    d.record(old, new, ("eligibility",), ("eligibility",), {}, ("conditions",), "eligibility")
    d.collection(records.CONDITIONS, old, new, ("eligibility",), ("eligibility",), {}, where)
