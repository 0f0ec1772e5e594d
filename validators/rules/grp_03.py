"""GRP-03 — minimum size of the grouping."""

from __future__ import annotations

from collections.abc import Iterator

from validators.config_view import ConfigView
from validators.context import DossierData
from validators.reference import reference
from validators.registry import Hit, rule


def corsica_or_overseas(data: DossierData) -> bool:
    """Whether the lower Corsica/overseas minimums apply: every ESSMS whose département is
    known is in Corsica or overseas (a mixed grouping with metropolitan ESSMS is held to the
    general minimum)."""
    departments = [e.department for e in data.eligible_essms if e.department]
    special = reference().corsica_or_overseas
    return bool(departments) and all(d in special for d in departments)


@rule(
    "GRP-03",
    title="Grappe trop petite",
    severity="bloquant",
    params=("grouping.min_essms", "grouping.min_essms_corsica_overseas"),  # + reference/departments.yaml
    source="seeds 000, 003 : au moins 15 ESMS, 8 en Corse et dans les territoires ultramarins",
    action=("Le projet ne peut pas être financé en l'état : la grappe doit réunir au moins le nombre d'ESSMS "
            "éligibles fixé par l'appel."),
    example="La grappe compte 12 ESSMS éligibles distincts ; l'appel exige au moins 15 ESSMS. Le dossier ne peut pas être financé en l'état.",
)
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """La grappe réunit au moins le nombre minimal d'ESSMS distincts fixé par l'appel (15 ;
    8 lorsque tous les ESSMS sont en Corse ou outre-mer). Les doublons ne comptent qu'une
    fois ; les ESSMS non éligibles (GRP-06) sont retirés avant de compter. Sans liste des structures lisible, la règle ne s'applique pas (PIE-01/PIE-02)."""
    if data.structures is None:
        return
    general, island_minimum = config.grouping.min_essms.value, config.grouping.min_essms_corsica_overseas.value
    island = corsica_or_overseas(data)
    minimum = island_minimum if island else general
    count = data.essms_count
    if count >= minimum:
        return
    scope = " (projet en Corse ou outre-mer)" if island else ""
    excluded = data.listed_count - count
    detail = f" ({data.listed_count} listés, dont {excluded} non éligibles : voir GRP-06)" if excluded else ""
    yield Hit(
        message=(
            f"La grappe compte {count} ESSMS éligibles distincts{detail} ; l'appel exige au moins {minimum} "
            f"ESSMS{scope}. Le dossier ne peut pas être financé en l'état."
        ),
        expected=f"au moins {minimum} ESSMS",
        found=f"{count} ESSMS",
        location=data.structures.header_location,
    )
