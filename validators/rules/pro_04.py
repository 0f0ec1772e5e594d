"""PRO-04 — deployment strategy mentions the services socles."""

from __future__ import annotations

from collections.abc import Iterator

from core.models import DocumentKind
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.prose import find_passage, prose_of
from validators.registry import Hit, rule


@rule("PRO-04", severity="alerte", params=("prose.services_socles",))
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Stratégie sans interopérabilité avec les services socles

    La stratégie de déploiement mentionne l'interopérabilité du DUI avec au moins un des
    services socles (MSSanté, DMP / Mon espace santé, INS, Pro Santé Connect, e-prescription).

    Source : Agence du numérique en santé (esante.gouv.fr) : services socles du Ségur numérique pour le DUI social et
    médico-social (INS, MSSanté, DMP / Mon espace santé, Pro Santé Connect) ; e-prescription parmi les projets socles de
    l'amorçage (ARS Auvergne-Rhône-Alpes, « Le programme ESMS numérique »)

    Action : Préciser dans la stratégie de déploiement l'interopérabilité avec les services socles (INS, MSSanté, DMP…).

    Exemple : La stratégie de déploiement ne mentionne aucun service socle (MSSanté, DMP, INS, Pro Santé Connect,
    e-prescription) : préciser l'interopérabilité prévue.
    """
    prose = prose_of(data.sections(DocumentKind.STRATEGIE))
    if prose is None:
        return
    blocks, location = prose
    if find_passage(blocks, config.prose.services_socles.value) is not None:
        return
    yield Hit(
        message=(
            "La stratégie de déploiement ne mentionne aucun service socle (MSSanté, DMP, INS, Pro Santé Connect, "
            "e-prescription) : préciser l'interopérabilité prévue."
        ),
        expected="au moins un service socle",
        found="aucun service socle cité",
        location=location,
    )
