"""GRP-07 — minimum number of organismes gestionnaires (where the call sets one)."""

from __future__ import annotations

from collections.abc import Iterator

from validators.config_view import ConfigView
from validators.context import DossierData
from validators.registry import Hit, rule
from validators.rules.grp_03 import corsica_or_overseas


def organismes(data: DossierData) -> set[str]:
    """Distinct organismes gestionnaires of the eligible ESSMS: by FINESS EJ, else by name."""
    keys = set()
    for essms in data.eligible_essms:
        if essms.finess_ej:
            keys.add(essms.finess_ej)
        else:
            cell = essms.row.get("organisme_gestionnaire")
            if cell is not None and cell.text:
                keys.add(cell.text.strip().lower())
    return keys


@rule(
    "GRP-07",
    title="Trop peu d'organismes gestionnaires",
    severity="bloquant",
    params=("grouping.min_og", "grouping.min_og_corsica_overseas"),
    source="seed 004 : amorçage 2021 ARA, grappes d'au moins 3 organismes gestionnaires (2 outre-mer et en Corse)",
    action="Réunir dans la grappe au moins le nombre d'organismes gestionnaires fixé par l'appel.",
    example=("La grappe réunit 2 organismes gestionnaires ; l'appel exige au moins 3 organismes gestionnaires "
             "distincts."),
)
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Quand l'appel fixe un nombre minimal d'organismes gestionnaires (amorçage 2021 en ARA :
    3, ou 2 en Corse et outre-mer), la grappe en réunit au moins autant, comptés par FINESS
    EJ (à défaut par nom) parmi les ESSMS éligibles."""
    minimum, island_minimum = config.grouping.min_og.value, config.grouping.min_og_corsica_overseas.value
    if data.structures is None or minimum is None:
        return
    if island_minimum is not None and corsica_or_overseas(data):
        minimum = island_minimum
    count = len(organismes(data))
    if count < minimum:
        yield Hit(
            message=(f"La grappe réunit {count} organisme(s) gestionnaire(s) ; l'appel exige au moins {minimum} "
                     "organismes gestionnaires distincts."),
            expected=f"au moins {minimum} organismes gestionnaires",
            found=f"{count} organisme(s) gestionnaire(s)",
            location=data.structures.header_location,
        )
