"""GRP-06 — every ESSMS is eligible in this call; ineligible ones are excluded."""

from __future__ import annotations

from collections.abc import Iterator

from core.models import Severity
from validators.config_view import ConfigView
from validators.context import DossierData, Essms
from validators.eligibility import assess
from validators.messages import category_text, declared_category, repository_label
from validators.reference import category_of
from validators.registry import Hit, rule


def excludes(essms: Essms, config) -> str | None:
    """Why the ESSMS is left out of the count and the funding: its category (the
    repository's when it has one) is not eligible in this call."""
    verdict = essms.eligibility
    if verdict is not None and not verdict.eligible:
        return verdict.reason or "catégorie non éligible"
    return None


@rule(
    "GRP-06",
    severity="a_corriger",
    params=(
        "eligibility.eligible_sectors",
        "eligibility.eligible_categories",
        "eligibility.excluded_categories",
    ),
    excludes=excludes,
)
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """ESSMS non éligible exclu

    Chaque ESSMS appartient à une catégorie éligible à l'appel (article L.312-1 du CASF ; ni
    établissement de santé ni USLD ; pour l'amorçage 2021, seuls les ESSMS PA/PH financés en
    partie par l'Assurance maladie). Un ESSMS non éligible est retiré du décompte et du
    financement, et le dossier est jugé sur ce qui reste (taille, canal, montant éligible). La
    catégorie est lue en code FINESS, en sigle ou en toutes lettres. Une catégorie non
    reconnue est signalée en alerte, sans exclusion. Un FINESS vide n'exclut pas l'ESSMS : il
    est demandé (GRP-01). Avec une extraction du répertoire FINESS chargée, la catégorie est
    celle que le répertoire enregistre pour le FINESS ET (un centre hospitalier déclaré
    « EHPAD » est exclu) ; le constat donne alors les deux catégories (voir REF-02).

    Source : CNSA, « Réponses aux questions fréquentes sur ESMS numérique » (cnsa.fr, mise à jour du 3 février 2023) :
    tous les ESSMS de l'article L.312-1 du CASF dotés d'un FINESS géographique propre (II.B de l'instruction
    n° DGCS/DNS/CNSA/2023/13 du 16 janvier 2023) ; ni USLD ni établissement sans FINESS

    Action : Retirer l'ESSMS non éligible de la liste et du budget, ou justifier son éligibilité (catégorie FINESS,
    FINESS géographique propre).

    Exemple : USLD Les Cèdres (FINESS 690001234) est exclu du décompte et du financement : USLD (catégorie 362) n'est
    pas un ESSMS éligible. Le dossier est examiné sur les 16 ESSMS restants.
    """
    if data.structures is None:
        return
    remaining = data.essms_count
    for essms in data.distinct_essms:
        # the same assessment as the dossier's list (the repository's category when it has one),
        # made through this rule's view of the configuration
        verdict = assess(essms.finess, essms.category, config, essms.registered)
        if verdict.reason is None:
            continue
        cell = essms.row.get("categorie") or essms.finess_cell
        if not verdict.eligible:
            excluded = essms.excluded_by("GRP-06")
            registered = _as_registered(data, essms)
            consequence = (
                f"est exclu du décompte et du financement : {registered}{verdict.reason}. Le dossier est examiné sur "
                f"les {remaining} ESSMS restants."
                if excluded
                else f"n'est peut-être pas éligible : {verdict.reason}. Vérifier son éligibilité."
            )
            yield Hit(
                message=f"{essms.label} {consequence}",
                expected="un ESSMS éligible à l'appel, avec son FINESS géographique",
                found=verdict.reason
                + (
                    f" (selon le répertoire FINESS ; la liste indique {declared_category(essms.category)})"
                    if registered and essms.category
                    else ""
                ),
                location=cell.location,
            )
        elif not verdict.known:
            yield Hit(
                message=(
                    f"La catégorie de {essms.label} n'a pas pu être vérifiée ({verdict.reason}) : "
                    "l'ESSMS est compté, vérifier son éligibilité."
                ),
                expected="une catégorie FINESS (code ou libellé, ex. 500 ou EHPAD)",
                found=verdict.reason,
                location=cell.location,
                severity=Severity.ALERTE,
            )


def _as_registered(data: DossierData, essms: Essms) -> str:
    """« selon le répertoire FINESS (…), ce numéro est celui d'un établissement de catégorie … et non
    « EHPAD » comme l'indique la liste ; » when the repository's category differs from the list's."""
    record = essms.registered
    if record is None:
        return ""
    declared = category_of(essms.category) if essms.category else None
    if declared is not None and declared.code == record.category:
        return ""
    listed = f", et non {declared_category(essms.category)} comme l'indique la liste" if essms.category else ""
    return (
        f"selon le {repository_label(data)}, ce numéro est celui d'un établissement "
        f"« {record.display_name} » de catégorie {category_text(record.category, record.category_label)}"
        f"{listed} ; "
    )
