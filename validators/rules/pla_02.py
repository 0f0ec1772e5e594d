"""PLA-02 — the key phases are in the planning."""

from __future__ import annotations

from collections.abc import Iterator

from validators.config_view import ConfigView
from validators.context import DossierData
from validators.phases import key_phases_of
from validators.registry import Hit, rule


@rule("PLA-02", severity="a_corriger", params=("planning.key_phases",))
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Phase clé absente du planning

    Le planning comporte les phases clés fixées par l'appel (par défaut : déploiement,
    formation, atteinte des cibles d'usage), reconnues aux mots de leur intitulé ou de leur
    livrable.

    Source : Instruction n° DNS/CNSA/DGCS/2022/34 du 8 février 2022 : l'atteinte des cibles d'usage conditionne le
    versement ; document type « planning du projet » (CNSA, « Obtenir une aide à l'investissement numérique »
    (https://www.cnsa.fr/grands-chantiers/programme-esms-numerique/obtenir-une-aide-a-linvestissement-numerique))

    Action : Ajouter au planning la phase clé manquante, avec ses dates.

    Exemple : Le planning ne comporte pas de phase « cibles d'usage » (aucune des 7 phases ne la mentionne) : ajouter
    cette phase avec ses dates.
    """
    table = data.planning
    if table is None:
        return
    found: set[str] = set()
    for row in table.rows:
        found |= key_phases_of(row, config)
    for label in config.planning.key_phases.value:
        if label not in found:
            yield Hit(
                message=(
                    f"Le planning ne comporte pas de phase « {label} » (aucune des {len(table.rows)} phases ne "
                    "la mentionne) : ajouter cette phase avec ses dates."
                ),
                expected=f"une phase « {label} »",
                found="phase absente",
                location=table.header_location,
            )
