"""Is an ESSMS eligible in this call? (GRP-06) — read from its FINESS category: the one the
national FINESS repository records when the number was looked up there, else the one the
owner wrote in the list."""

from __future__ import annotations

from dataclasses import dataclass

from core.config import CallConfig
from extractors.finess_extract import Establishment
from validators.reference import Category, category_of, reference

#: FINESS aggregate categories (categagretab) of establishments outside article L.312-1 of the
#: CASF: 1xxx health establishments, 2xxx other care and prevention (PMI, centres de santé),
#: 3xxx pharmacies and medical retail. Social and medico-social ones are 4xxx.
NON_ESSMS_AGGREGATES = ("1", "2", "3")


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reason: str | None  # French, when not eligible or not known
    category: Category | None
    known: bool = True  # False when the category could not be recognised


def registered_category(establishment: Establishment) -> Category | None:
    """The category the repository records, as the reference knows it; a category the
    reference does not list is still known to be outside L.312-1 by its aggregate."""
    category = category_of(establishment.category)
    if category is not None:
        return category
    if establishment.aggregate[:1] in NON_ESSMS_AGGREGATES and establishment.category:
        return Category(establishment.category, establishment.category_label or establishment.category, "sanitaire")
    return None


def assess(finess: str, category_text: str, config: CallConfig, registered: Establishment | None = None) -> Eligibility:
    if registered is not None:
        category = registered_category(registered)
        unknown = (
            f"catégorie {registered.category} « {registered.category_label} » du répertoire FINESS non reconnue"
            if registered.category
            else "catégorie absente du répertoire FINESS"
        )
    else:
        category = category_of(category_text) if category_text else None
        unknown = f"catégorie « {category_text} » non reconnue" if category_text else "catégorie non renseignée"
    # A blank FINESS is no reason to exclude: the blank cell is a finding of its own (GRP-01),
    # the owner can fill it in (rules.md, « Missing data is never a rejection »).
    if category is None:
        return Eligibility(True, unknown, None, known=False)
    return judge(category, config)


def judge(category: Category, config: CallConfig) -> Eligibility:
    """Whether the call funds an ESSMS of this category, and why not."""
    rules = config.eligibility
    if category.code in rules.excluded_categories.value:
        return Eligibility(False, f"{category.label} (catégorie {category.code}) n'est pas un ESSMS éligible", category)
    allowed = rules.eligible_categories.value
    if allowed is not None and category.code not in allowed:
        return Eligibility(
            False, f"la catégorie {category.label} ({category.code}) n'est pas éligible à cet appel", category
        )
    if allowed is None and category.sector not in rules.eligible_sectors.value:
        sector = reference().sectors.get(category.sector, category.sector)
        return Eligibility(False, f"le secteur « {sector} » n'est pas éligible à cet appel", category)
    return Eligibility(True, None, category)
