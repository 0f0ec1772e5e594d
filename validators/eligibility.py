"""Is an ESSMS eligible in this call? (GRP-06) — read from its FINESS category.

The category is read as a reviewer reads it: a FINESS code (``500``), a label or an acronym
(``EHPAD``), the acronym in brackets (``… (SAMSAH)``), or the category written in full words
(« Service d'accompagnement médico-social pour adultes handicapés »), recognised by the
initials of its meaningful words, or by a close spelling of a known wording (rapidfuzz).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from core.config import CallConfig
from extractors.values import fold
from validators.reference import Category, category_of, reference

#: Words left out of an acronym (« Établissement d'hébergement pour personnes âgées
#: dépendantes » → EHPAD). « à » is tried both ways: SSIAD keeps it, SAAD drops it.
ACRONYM_STOP_WORDS = frozenset({"d", "de", "du", "des", "l", "la", "le", "les", "pour", "et", "ou", "par", "en",
                                "aux", "au", "un", "une", "sur"})
#: Fewer words than this are too few to read as an acronym (« Mas » is a farmhouse).
MIN_ACRONYM_WORDS = 3
#: A wording this close to a known full wording of a category is that category (typos, plurals).
FUZZY_CUTOFF = 90
#: Only full wordings are compared fuzzily: an acronym differs from another by one letter.
MIN_FUZZY_LENGTH = 12


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reason: str | None  # French, when not eligible or not known
    category: Category | None
    known: bool = True  # False when the category could not be recognised


@lru_cache(maxsize=1)
def _acronyms() -> dict[str, str]:
    """Folded short aliases (acronyms) → category code."""
    return {alias: code for alias, code in reference().aliases.items() if " " not in alias and len(alias) <= 7}


@lru_cache(maxsize=1)
def _wordings() -> dict[str, str]:
    """Folded full wordings → category code."""
    return {alias: code for alias, code in reference().aliases.items() if len(alias) >= MIN_FUZZY_LENGTH}


def _initials(words: list[str], drop_a: bool) -> str:
    stop = ACRONYM_STOP_WORDS | ({"a"} if drop_a else set())
    return "".join(w[0] for w in words if w not in stop and not w.isdigit())


def recognise_category(text: str | int | None) -> Category | None:
    """The FINESS category a cell names, or None when it cannot be told."""
    found = category_of(text)
    if found is not None or text is None:
        return found
    raw = str(text)
    categories = reference().categories
    for inside in re.findall(r"\(([^()]{2,12})\)", raw):  # « Service … (SAMSAH) »
        code = _acronyms().get(fold(inside))
        if code:
            return categories[code]
    words = fold(raw).split()
    if len(words) >= MIN_ACRONYM_WORDS:
        for drop_a in (False, True):
            code = _acronyms().get(_initials(words, drop_a))
            if code:
                return categories[code]
    folded = " ".join(words)
    if len(folded) >= MIN_FUZZY_LENGTH:
        match = process.extractOne(folded, list(_wordings()), scorer=fuzz.token_sort_ratio, score_cutoff=FUZZY_CUTOFF)
        if match:
            return categories[_wordings()[match[0]]]
    return None


def assess(finess: str, category_text: str, config: CallConfig) -> Eligibility:
    """The eligibility of a listed ESSMS from its category. A blank FINESS is not a reason to
    exclude: the blank cell is a finding of its own (GRP-01), the owner can fill it in."""
    rules = config.eligibility
    category = recognise_category(category_text) if category_text else None
    if category is None:
        reason = (f"catégorie « {category_text} » non reconnue" if category_text else "catégorie non renseignée")
        return Eligibility(True, reason, None, known=False)
    if category.code in rules.excluded_categories.value:
        return Eligibility(False, f"{category.label} (catégorie {category.code}) n'est pas un ESSMS éligible", category)
    allowed = rules.eligible_categories.value
    if allowed is not None and category.code not in allowed:
        return Eligibility(False, f"la catégorie {category.label} ({category.code}) n'est pas éligible à cet appel", category)
    if allowed is None and category.sector not in rules.eligible_sectors.value:
        sector = reference().sectors.get(category.sector, category.sector)
        return Eligibility(False, f"le secteur « {sector} » n'est pas éligible à cet appel", category)
    return Eligibility(True, None, category)
