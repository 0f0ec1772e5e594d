"""REF-03 — each ESSMS is managed, per the FINESS repository, by the organisme the list names."""

from __future__ import annotations

from collections.abc import Iterator

from rapidfuzz import fuzz

from extractors.values import fold
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.finess import is_valid_finess
from validators.messages import repository_label
from validators.registry import Hit, rule

#: Below this similarity (rapidfuzz token_set_ratio, 0–100) two organisme names are different.
SAME_NAME = 80.0


@rule("REF-03", severity="alerte", params=())
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Gestionnaire différent de celui du répertoire FINESS

    Avec une extraction du répertoire FINESS chargée, l'entité juridique qui gère chaque
    ESSMS dans le répertoire est comparée à l'organisme gestionnaire que déclare la liste :
    son FINESS EJ quand la liste le donne, sinon son nom (avec l'extraction des entités
    juridiques). Une liste qui ne dit pas qui gère l'ESSMS n'est pas comparée au porteur : une
    grappe réunit souvent plusieurs organismes, et l'information manquante est demandée par
    GRP-07 là où l'appel fixe un nombre d'organismes.
    Un écart (ESSMS repris par un autre organisme, numéro d'un autre établissement) est une
    alerte qui donne les deux gestionnaires : il ne change pas le verdict. Un ESSMS exclu par
    GRP-06 n'est pas examiné.

    Source : Répertoire FINESS, extractions des établissements et des entités juridiques publiées sur data.gouv.fr :
    l'entité juridique (nofinessej) de chaque établissement

    Action : Préciser l'organisme gestionnaire de l'ESSMS (reprise, transfert d'autorisation) ou corriger la liste des
    structures.

    Exemple : Selon le répertoire FINESS (extraction du 11/03/2026), EHPAD Les Lilas (FINESS 690781234) est géré par
    ASSOCIATION LES AMIS DU VAL (FINESS EJ 690000123), et non par Association Horizon (FINESS EJ 690000990) comme
    l'indique la liste des structures.
    """
    repository = data.repository
    if repository is None or data.structures is None:
        return
    for essms in data.distinct_essms:
        record = essms.registered
        if record is None or not record.finess_ej or not essms.eligible:
            continue  # an ESSMS GRP-06 excludes is not funded: who manages it does not matter
        official = repository.entity(record.finess_ej)
        official_name = (
            f"{official.display_name} (FINESS EJ {record.finess_ej})"
            if official
            else f"le FINESS EJ {record.finess_ej}"
        )
        og_cell = essms.row.get("organisme_gestionnaire")
        og_name = og_cell.text if og_cell is not None else ""
        if essms.finess_ej and is_valid_finess(essms.finess_ej):
            if essms.finess_ej == record.finess_ej:
                continue
            declared = f"{og_name or 'l’organisme déclaré'} (FINESS EJ {essms.finess_ej})"
            cell = essms.row.get("finess_ej")
        elif og_name and official is not None:
            if _same_name(og_name, official.name, official.long_name):
                continue
            declared = og_name
            cell = og_cell
        else:
            continue
        yield Hit(
            message=(
                f"Selon le {repository_label(data)}, {essms.label} est géré par {official_name}, et non par "
                f"{declared} comme l'indique la liste des structures."
            ),
            expected=f"le gestionnaire du répertoire FINESS : {official_name}",
            found=f"gestionnaire déclaré : {declared}",
            location=(cell or essms.finess_cell).location,
        )


def _same_name(declared: str, *official: str) -> bool:
    folded = fold(declared)
    return any(fuzz.token_set_ratio(folded, fold(name)) >= SAME_NAME for name in official if name)
