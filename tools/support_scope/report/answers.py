"""Decisions and matches in words, for a support agent, in French or English."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from support_scope.consume.values import Decision, FindAnswer, ReleaseInfo

# What a support agent reads, per outcome and language.
VERDICTS = {
    "fr": {
        "included": "INCLUS",
        "upgrade": "NIVEAU SUPÉRIEUR REQUIS",
        "excluded": "NON INCLUS",
        "ineligible": "NON ÉLIGIBLE",
        "unlisted": "NON RÉPERTORIÉ",
    },
    "en": {
        "included": "INCLUDED",
        "upgrade": "UPGRADE NEEDED",
        "excluded": "EXCLUDED",
        "ineligible": "INELIGIBLE",
        "unlisted": "UNLISTED",
    },
}
STATUSES = {
    "fr": {"included": "inclus", "excluded": "non inclus"},
    "en": {"included": "included", "excluded": "excluded"},
}
LABELS = {
    "fr": {
        "source": "Source",
        "review": "relecture",
        "row": "ligne",
        "via": "par renvoi de",
        "check": "À vérifier (le contexte ne le dit pas)",
        "facts": "faits",
        "refer": "Orienter vers",
        "billing": "Facturation",
        "tier": "niveau",
        "no_match": "Aucun élément ne correspond à",
        "matches": "résultat(s) pour",
        "always": "Pour toute demande, à vérifier",
        "answered": "Réponse de la politique",
    },
    "en": {
        "source": "Source",
        "review": "review",
        "row": "row",
        "via": "referred to by",
        "check": "Left to check (the context does not say)",
        "facts": "facts",
        "refer": "Refer to",
        "billing": "Billing",
        "tier": "tier",
        "no_match": "No item matches",
        "matches": "match(es) for",
        "always": "For every request, check",
        "answered": "Answered by policy",
    },
}


def colon_for(lang: str) -> str:
    """French typography puts a space before a colon."""
    return " :" if lang == "fr" else ":"


def answered_by(release: ReleaseInfo, lang: str) -> str:
    """The line naming the release that answered."""
    return f"{LABELS[lang]['answered']}{colon_for(lang)} {release.policy_id} {release.policy_version} ({release.source})"


def decision_lines(decision: Decision, lang: str, indent: str = "", eligibility: bool = True) -> list[str]:
    """The lines an agent reads: verdict, reason, source, what is left to check, referral, billing.

    ``eligibility=False`` leaves out the eligibility conditions left to check (the same for
    every request; ``find`` states them once).
    """
    labels = LABELS[lang]
    colon = colon_for(lang)
    citation = decision.citation
    lines = [f"{indent}{VERDICTS[lang][decision.outcome]}{colon} {decision.reason.in_language(lang)}"]
    where = f"{citation.category_title.in_language(lang)}"
    if citation.text is not None:
        where += f" › {citation.text.in_language(lang)}"
    lines.append(f"{indent}  {where}")
    review = citation.provenance.review
    if review is not None:
        where = f"{labels['review']} {review.workbook}, {review.sheet} {labels['row']} {review.row}, {review.date}"
    else:
        where = f"p. {citation.provenance.page}, l. {citation.provenance.line}"
    source = f"{indent}  {labels['source']}{colon} {where}"
    if citation.via:
        source += f" ({labels['via']} {citation.via})"
    lines.append(source)
    # The reason already names unmet conditions; and once a request is ineligible or excluded,
    # what is left to check cannot change the answer: listing it would only distract.
    pending = [c for c in decision.pending if eligibility or c.scope != "eligibility"]
    if pending and decision.outcome not in ("ineligible", "excluded"):
        lines.append(f"{indent}  {labels['check']}{colon}")
        for check in pending:
            lines.append(
                f"{indent}    - {check.text.in_language(lang)} [{labels['facts']}: {', '.join(check.missing)}]"
            )
    if decision.referrals and decision.outcome != "excluded":  # an exclusion's reason names them
        names = ", ".join(r.name.in_language(lang) for r in decision.referrals)
        lines.append(f"{indent}  {labels['refer']}{colon} {names}")
    if decision.billing is not None:
        lines.append(f"{indent}  {labels['billing']}{colon} {decision.billing.text.in_language(lang)}")
    return lines


def find_lines(answer: FindAnswer, lang: str) -> list[str]:
    """The matches of a search, grouped by category, each with its decision when a plan was given."""
    labels = LABELS[lang]
    colon = colon_for(lang)
    matches = answer.matches
    if not matches:
        return [f"{labels['no_match']} « {answer.query} ».", answered_by(answer.release, lang)]
    lines = [f"{len(matches)} {labels['matches']} « {answer.query} »{colon}"]
    eligibility = {
        c.id: c for m in matches if m.decision for c in m.decision.pending if c.scope == "eligibility"
    }
    if eligibility:
        # The same for every request: said once, not under each match.
        lines.append(f"{labels['always']}{colon}")
        lines.extend(f"  - {c.text.in_language(lang)} [{', '.join(c.missing)}]" for c in eligibility.values())
    current = None
    for match in matches:
        if match.category != current:
            current = match.category
            lines.append("")
            lines.append(f"{match.category_title.in_language(lang)} [{match.category}]")
        status = STATUSES[lang][match.status]
        if match.tier is not None:
            label = answer.tier_labels.get(match.tier)
            status += f", {labels['tier']} {label.in_language(lang) if label else match.tier}"
        lines.append(f"  - {match.text.in_language(lang)}")
        via = f", {labels['via']} {match.via}" if match.via else ""
        lines.append(f"    {match.item} ({status}{via})")
        if match.decision is not None:
            rendered = decision_lines(match.decision, lang, indent="    ", eligibility=False)
            # The category, text and source are already on the lines above.
            lines.extend(rendered[:1] + rendered[3:])
        elif match.referrals:
            names = ", ".join(r.name.in_language(lang) for r in match.referrals)
            lines.append(f"    {labels['refer']}{colon} {names}")
    lines += ["", answered_by(answer.release, lang)]
    return lines
