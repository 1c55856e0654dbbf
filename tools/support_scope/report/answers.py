"""Decisions and matches in words, for a support agent, in French or English."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from support_scope.consume.values import Decision, FindAnswer, Match, ReleaseInfo

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
        "rests": "Repose sur les lignes",
        "rests_one": "Repose sur la ligne",
        "if": "SI",
        "if_facts": "les faits à demander le confirment",
        "check": "À vérifier (le contexte ne le dit pas)",
        "unless": "sauf si",
        "facts": "faits",
        "refer": "Orienter vers",
        "offer": "Peut être proposé",
        "billing": "Facturation",
        "tier": "niveau",
        "no_match": "Aucun élément ne correspond à",
        "matches": "résultat(s) pour",
        "always": "Pour toute demande, à vérifier",
        "answered": "Réponse de la politique",
        "words": "Mots trouvés",
        "same": "Même ligne dans",
        "grant": "Garantie du niveau",
        "term": "Condition générale",
    },
    "en": {
        "source": "Source",
        "review": "review",
        "row": "row",
        "via": "referred to by",
        "rests": "Rests on lines",
        "rests_one": "Rests on line",
        "if": "IF",
        "if_facts": "the facts to ask confirm it",
        "check": "Left to check (the context does not say)",
        "unless": "unless",
        "facts": "facts",
        "refer": "Refer to",
        "offer": "May be offered",
        "billing": "Billing",
        "tier": "tier",
        "no_match": "No item matches",
        "matches": "match(es) for",
        "always": "For every request, check",
        "answered": "Answered by policy",
        "words": "Matched words",
        "same": "Same line in",
        "grant": "Grant of the tier",
        "term": "General term",
    },
}


CAVEATS = {
    "fr": {
        "legal-review": "Lecture à confirmer par un juriste ({id})",
        "resolution-rule": "Règle du conseiller",
        "scope-note": "Portée de la catégorie",
        "call-limit": "Limite d'appel",
        "self-service": "Libre-service",
    },
    "en": {
        "legal-review": "Reading for a lawyer to confirm ({id})",
        "resolution-rule": "Advisor's rule",
        "scope-note": "Category scope",
        "call-limit": "Call limit",
        "self-service": "Self-service",
    },
}


def headline(decision: Decision, lang: str) -> str:
    """The first line: the verdict (``INCLUS SI …`` when an open fact could change it) and the reason."""
    labels = LABELS[lang]
    colon = colon_for(lang)
    verdict = VERDICTS[lang][decision.outcome]
    if decision.conditional:
        facts = ", ".join(decision.pending_facts)
        verdict += f" {labels['if']} {labels['if_facts']} ({facts})"
    return f"{verdict}{colon} {decision.reason.in_language(lang)}"


def colon_for(lang: str) -> str:
    """French typography puts a space before a colon."""
    return " :" if lang == "fr" else ":"


def answered_by(release: ReleaseInfo, lang: str) -> str:
    """The line naming the release that answered."""
    return f"{LABELS[lang]['answered']}{colon_for(lang)} {release.policy_id} {release.policy_version} ({release.source})"


def decision_lines(
    decision: Decision, lang: str, indent: str = "", eligibility: bool = True, caveats: bool = True
) -> list[str]:
    """The lines an agent reads: verdict, reason, source, what is left to check, referral, offers, caveats.

    ``eligibility=False`` leaves out the eligibility conditions left to check (the same for
    every request; ``find`` states them once); ``caveats=False`` the caveats (``find`` lists
    lines to choose from, the decision on the chosen one shows them).
    """
    labels = LABELS[lang]
    colon = colon_for(lang)
    citation = decision.citation
    lines = [f"{indent}{headline(decision, lang)}"]
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
    if decision.cites:
        separator = " ;" if lang == "fr" else ";"
        rests = labels["rests_one" if len(decision.cites) == 1 else "rests"]
        source += f"{separator} {rests} {', '.join(map(str, decision.cites))}"
    lines.append(source)
    # find states the checks every match shares (eligibility, the general terms) once, above.
    pending = [c for c in decision.pending if eligibility or c.scope not in ("eligibility", "term")]
    if pending:
        lines.append(f"{indent}  {labels['check']}{colon}")
        for check in pending:
            unless = f"{labels['unless']}{colon} " if check.scope in ("term", "note") else ""
            lines.append(
                f"{indent}    - {unless}{check.text.in_language(lang)} [{labels['facts']}: {', '.join(check.missing)}]"
            )
    if decision.referrals and decision.outcome != "excluded":  # an exclusion's reason names them
        names = ", ".join(r.name.in_language(lang) for r in decision.referrals)
        lines.append(f"{indent}  {labels['refer']}{colon} {names}")
    for offer in decision.offers:
        lines.append(
            f"{indent}  {labels['offer']}{colon} {offer.billing.text.in_language(lang)} [{offer.id}]"
        )
    if decision.billing is not None and not decision.offers:
        lines.append(f"{indent}  {labels['billing']}{colon} {decision.billing.text.in_language(lang)}")
    for caveat in decision.caveats if caveats else ():
        if caveat.kind == "self-service":
            continue  # the reason says it already
        label = CAVEATS[lang][caveat.kind].format(id=caveat.id)
        lines.append(f"{indent}  ⚠ {label}{colon} {caveat.text.in_language(lang)}")
    return lines


_HIGHLIGHT, _RESET = "\x1b[1;33m", "\x1b[0m"


def highlight(text: str, words: Iterable[str], color: bool) -> str:
    """``text`` with ``words`` (whole words, as written) in bold yellow when ``color``."""
    if not color or not words:
        return text
    pattern = re.compile(
        r"(?<![^\W_])(" + "|".join(map(re.escape, sorted(words, key=len, reverse=True))) + r")(?![^\W_])"
    )
    return pattern.sub(lambda m: f"{_HIGHLIGHT}{m.group(1)}{_RESET}", text)


def find_lines(answer: FindAnswer, lang: str, color: bool = False) -> list[str]:
    """The answers of a search, best first, each with why it matched and, with a plan, its decision."""
    labels = LABELS[lang]
    colon = colon_for(lang)
    matches = answer.matches
    if not matches:
        return [f"{labels['no_match']} « {answer.query} ».", answered_by(answer.release, lang)]
    lines = [f"{len(matches)} {labels['matches']} « {answer.query} »{colon}"]
    shared = {
        c.id: c
        for m in matches
        if m.decision
        for c in m.decision.pending
        if c.scope in ("eligibility", "term")
    }
    if shared:
        # The same for every request (of its kind): said once, not under each match.
        lines.append(f"{labels['always']}{colon}")
        for check in shared.values():
            unless = f"{labels['unless']}{colon} " if check.scope == "term" else ""
            lines.append(f"  - {unless}{check.text.in_language(lang)} [{', '.join(check.missing)}]")
    for rank, match in enumerate(matches, 1):
        text = match.text.in_language(lang)
        lines += ["", f"{rank}. {highlight(text, _shown(match, text), color)}"]
        lines.append(f"   {_where(match, answer, lang)} · score {match.score:.2f}")
        if not color and match.matched:
            lines.append(f"   {labels['words']}{colon} {', '.join(_shown(match, text) or match.matched)}")
        if match.decision is not None:
            rendered = decision_lines(match.decision, lang, indent="   ", eligibility=False, caveats=False)
            # The category, text and source are already on the lines above.
            lines.extend(rendered[:1] + rendered[3:])
        elif match.outcome is not None and match.reason is not None:
            lines.append(f"   {VERDICTS[lang][match.outcome]}{colon} {match.reason.in_language(lang)}")
        elif match.referrals:
            names = ", ".join(r.name.in_language(lang) for r in match.referrals)
            lines.append(f"   {labels['refer']}{colon} {names}")
        if match.same:
            others = ", ".join(
                other.category if other.kind == "item" and other.category else other.ref
                for other in match.same
            )
            lines.append(f"   {labels['same']}{colon} {others}")
    lines += ["", answered_by(answer.release, lang)]
    return lines


def _shown(match: Match, text: str) -> list[str]:
    """The matched words that the text shown holds (the others are in the other language)."""
    return [
        word for word in match.matched if re.search(r"(?<![^\W_])" + re.escape(word) + r"(?![^\W_])", text)
    ]


def _where(match: Match, answer: FindAnswer, lang: str) -> str:
    """Where the line stands: its category and id (a grant: its tier; a term: general), its status."""
    labels = LABELS[lang]
    if match.kind == "item":
        status = STATUSES[lang][match.status or "included"]
        if match.tier is not None:
            label = answer.tier_labels.get(match.tier)
            status += f", {labels['tier']} {label.in_language(lang) if label else match.tier}"
        via = f", {labels['via']} {match.via}" if match.via else ""
        title = match.category_title.in_language(lang) if match.category_title else match.category
        return f"{title} › {match.id} ({status}{via})"
    if match.kind == "grant":
        label = answer.tier_labels.get(match.tier or "")
        tier = label.in_language(lang) if label else match.tier
        return f"{labels['grant']} {tier} › {match.id}"
    return f"{labels['term']} › {match.id}"
