"""REF-01 — every FINESS ET of the list is in the national FINESS repository."""

from __future__ import annotations

from collections.abc import Iterator

from extractors.finess_extract import LegalEntity
from validators.config_view import ConfigView
from validators.context import DossierData, Essms
from validators.finess import department_of, is_valid_finess
from validators.finess_repository import FinessRepository
from validators.messages import repository_label
from validators.registry import Hit, rule


@rule("REF-01", severity="a_corriger", params=())
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """FINESS absent du répertoire national

    Avec une extraction du répertoire FINESS chargée, chaque FINESS ET de la liste des
    structures dont la clé est valide (GRP-01 traite les autres) est cherché dans le répertoire
    national. Un numéro absent est un numéro erroné (une faute de frappe qui garde une clé
    valide, le FINESS juridique saisi à la place du géographique), un établissement fermé ou
    pas encore enregistré : le constat propose les établissements du répertoire les plus
    proches par le nom et la commune (même département, même gestionnaire). L'ESSMS reste
    compté : c'est au porteur de corriger ou de justifier le numéro. Sans extraction chargée,
    la règle ne s'applique pas et le rapport indique que l'existence n'a pas été vérifiée.

    Source : Répertoire FINESS, extraction publiée sur data.gouv.fr (Licence Ouverte) : un numéro à la clé valide peut
    désigner un établissement fermé ou ne pas exister

    Action : Corriger le FINESS géographique (ET) de l'ESSMS d'après le répertoire FINESS (un des établissements
    proposés, le cas échéant), ou justifier le numéro (établissement en cours d'enregistrement).

    Exemple : Le FINESS ET « 690781234 » de EHPAD Les Glycines (FINESS 690781234) est introuvable dans le répertoire
    FINESS (extraction du 11/03/2026) : numéro erroné, établissement fermé ou pas encore enregistré. Établissements les
    plus proches par le nom et la commune : EHPAD LES GLYCINES (FINESS 690781242, 69100 VILLEURBANNE).
    """
    repository = data.repository
    if repository is None or data.structures is None:
        return
    for essms in data.distinct_essms:
        if not essms.finess or not is_valid_finess(essms.finess) or essms.registered is not None:
            continue
        entity = repository.entity(essms.finess)
        cause = _cause(essms, entity)
        suggestions = _suggestions(essms, repository, entity)
        proposal = (
            f" Établissements les plus proches par le nom et la commune : {' ; '.join(suggestions)}."
            if suggestions
            else " Aucun établissement de nom proche dans le même département."
        )
        yield Hit(
            message=(
                f"Le FINESS ET « {essms.finess} » de {essms.label} est introuvable dans le "
                f"{repository_label(data)} : {cause}.{proposal}"
            ),
            expected="un FINESS ET enregistré dans le répertoire FINESS",
            found=f"{essms.finess} absent du répertoire ({repository.label})",
            location=essms.finess_cell.location,
        )


def _cause(essms: Essms, entity: LegalEntity | None) -> str:
    """Why the number may be unknown, as precisely as the repository tells."""
    if entity is not None or essms.finess == essms.finess_ej:
        name = f" « {entity.display_name} »" if entity is not None else ""
        return (
            f"ce numéro est celui de l'entité juridique{name} (FINESS EJ), pas d'un établissement ; indiquer le "
            "FINESS géographique (ET) de l'ESSMS"
        )
    return "numéro erroné, établissement fermé ou pas encore enregistré"


def _suggestions(essms: Essms, repository: FinessRepository, entity: LegalEntity | None) -> list[str]:
    """Closest establishments by name and commune: in the number's département (and the one
    the list gives), and among those of the ESSMS's manager (the list's EJ, or the legal
    entity whose number was typed)."""
    departments = {d for d in (department_of(essms.finess), essms.department) if d}
    managers = {m for m in (essms.finess_ej,) if m and is_valid_finess(m)}
    if entity is not None:
        managers.add(entity.finess_ej)
    found = repository.suggestions(essms.name, departments, managers)
    return [s.describe() for s in found if s.establishment.finess != essms.finess]
