"""A category of ESSMS as owners write it, matched to the FINESS nomenclature's labels.

Owners write the acronym (``SAMSAH``), the label in full (« Service d'accompagnement
médico-social pour adultes handicapés »), the label with its acronym (« Foyer d'accueil
médicalisé (FAM) »), or the name of the ESSMS starting with its category (« EHPAD Les
Tilleuls »). The reference data (``reference/finess_categories.yaml``) gives the labels and
the usual aliases; this module finds the one a text means, by:

1. the text or an acronym in it (in parentheses, or a word) being an alias;
2. the initials of the label in full being an alias (« Service d'Accompagnement
   Médico-Social pour Adultes Handicapés » → SAMSAH), with and without the « à » of
   « à domicile »;
3. the words of a label in full (rapidfuzz ``token_set_ratio`` ≥ 90 against the long
   aliases, the most specific alias winning a tie: « non médicalisé » is not « médicalisé »).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from extractors.values import fold

_STOP = frozenset({"d", "de", "du", "des", "la", "le", "les", "l", "pour", "et", "en", "par", "aux", "au", "un", "une"})
_PARENTHESES = re.compile(r"\(([^)]{2,12})\)")
LABEL_RATIO = 90
MIN_LONG_ALIAS = 12


@dataclass(frozen=True)
class CategoryMatch:
    code: str
    how: str  # "alias", "sigle", "initiales", "libellé"
    score: float


def initials(folded: str, keep_a: bool) -> str:
    """Initials of the meaningful words (hyphenated words count as two, « médico-social »)."""
    words = [w for w in folded.split() if w not in _STOP and (keep_a or w != "a")]
    return "".join(w[0] for w in words if w and not w.isdigit())


def match_category(text: str, aliases: dict[str, str]) -> CategoryMatch | None:
    """The category code a text names, given the reference's folded aliases (alias → code)."""
    folded = fold(text)
    if not folded:
        return None
    if folded in aliases:
        return CategoryMatch(aliases[folded], "alias", 1.0)
    for inner in _PARENTHESES.findall(text):
        key = fold(inner)
        if key in aliases:
            return CategoryMatch(aliases[key], "sigle", 0.95)
    words = folded.split()
    # an acronym among other words counts when written as one (in capitals): « Le Mas des
    # Oliviers » is a name, « MAS Les Oliviers » a maison d'accueil spécialisée
    written = {fold(w) for w in re.findall(r"\b[A-ZÉÈ]{2,7}\b", text)}
    acronyms = {aliases[w] for w in words if w in aliases and len(w) <= 7 and (len(words) == 1 or w in written)}
    if len(acronyms) == 1 and len(words) <= 12:
        return CategoryMatch(acronyms.pop(), "sigle", 0.9)
    if len(words) >= 3:
        for keep_a in (True, False):
            code = aliases.get(initials(folded, keep_a))
            if code is not None:
                return CategoryMatch(code, "initiales", 0.9)
    long_aliases = [a for a in aliases if len(a) >= MIN_LONG_ALIAS]
    if len(folded) >= MIN_LONG_ALIAS and long_aliases:
        found = process.extract(folded, long_aliases, scorer=fuzz.token_set_ratio, score_cutoff=LABEL_RATIO, limit=8)
        found = [m for m in found if _covers(words, m[0])]
        if found:
            best = max(found, key=lambda m: (m[1], len(m[0])))
            return CategoryMatch(aliases[best[0]], "libellé", best[1] / 100)
    return None


def _covers(words: list[str], alias: str) -> bool:
    """Whether the text says (nearly) every meaningful word of the alias: « Service de
    soins » is too vague to be the « service de soins infirmiers à domicile »."""
    needed = [w for w in alias.split() if w not in _STOP and w != "a"]
    said = sum(1 for w in needed if w in words or any(fuzz.ratio(w, x) >= 85 for x in words if len(x) >= 5))
    return bool(needed) and said >= 0.85 * len(needed)
