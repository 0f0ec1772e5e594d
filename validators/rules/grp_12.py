"""GRP-12 — a cap on the ESSMS counted, where the call sets one."""

from __future__ import annotations

from collections.abc import Iterator

from validators.config_view import ConfigView
from validators.context import DossierData
from validators.registry import Hit, rule


@rule("GRP-12", severity="alerte", params=("grouping.max_essms_counted",))
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Plus d'ESSMS que le plafond de l'appel

    Quand l'appel plafonne le nombre d'ESSMS comptés (amorçage 2021 : 30), un dossier qui
    en présente davantage est signalé : le financement ne portera que sur le plafond.

    Source : Phase d'amorçage 2021, temps 1 : au plus 30 ESMS comptés par projet (airmes.eu, widip.fr, résumés publics
    des appels de février 2021)

    Action : Indiquer les ESSMS retenus pour le financement, dans la limite du plafond de l'appel.

    Exemple : La grappe compte 34 ESSMS éligibles ; l'appel n'en compte que 30 au plus : le financement sera calculé sur
    30 ESSMS, à choisir avec le porteur.
    """
    cap = config.grouping.max_essms_counted.value
    if data.structures is None or cap is None or data.essms_count <= cap:
        return
    yield Hit(
        message=(
            f"La grappe compte {data.essms_count} ESSMS éligibles ; l'appel n'en compte que {cap} au plus : "
            f"le financement sera calculé sur {cap} ESSMS, à choisir avec le porteur (le montant éligible du "
            f"rapport compte les {cap} premiers ESSMS retenus, dans l'ordre du budget)."
        ),
        expected=f"au plus {cap} ESSMS comptés",
        found=f"{data.essms_count} ESSMS",
        location=data.structures.header_location,
    )
