"""Is an ESSMS eligible in this call? (GRP-06) — read from its FINESS category."""

from __future__ import annotations

from dataclasses import dataclass

from core.config import CallConfig
from validators.reference import Category, category_of, reference


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reason: str | None  # French, when not eligible or not known
    category: Category | None
    known: bool = True  # False when the category could not be recognised


def assess(finess: str, category_text: str, config: CallConfig) -> Eligibility:
    rules = config.eligibility
    category = category_of(category_text) if category_text else None
    if not finess:
        return Eligibility(False, "l'établissement n'a pas de FINESS géographique propre", category)
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
