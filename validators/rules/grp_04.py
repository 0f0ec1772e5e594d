"""GRP-04 — regional, multi-regional or national channel, by the size of the grouping (per programme year)."""

from __future__ import annotations

from collections.abc import Iterator

from core import french
from core.models import Severity
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.registry import Hit, rule


@rule(
    "GRP-04",
    title="Dossier déposé dans le mauvais appel",
    severity="bloquant",
    params=("channel", "title", "grouping.channel_threshold", "grouping.regional_upper_cap"),
    source=(
        "Instruction n° DNS/CNSA/DGCS/2022/34 du 8 février 2022 et CNSA, « Obtenir une aide à l'investissement "
        "numérique » (cnsa.fr) : de 15 à moins de 50 ESSMS, appel régional de l'ARS ; 50 ou plus, appel national "
        "(2022, 2023). Instruction n° DNS/DGCS/CNSA/2024/15 du 1er février 2024 : l'appel régional prend les "
        "groupements de 15 ESSMS ou plus d'une même région sans plafond, et ceux de moins de 50 ESSMS situés dans "
        "plusieurs régions ; l'appel national, ceux de 50 ESSMS ou plus situés dans plusieurs régions"
    ),
    severity_actions={
        "alerte": (
            "Indiquer le FINESS géographique des ESSMS qui n'en ont pas dans la liste des "
            "structures : le canal de dépôt (régional ou national) en dépend."
        )
    },
    action=(
        "Déposer le projet à l'appel qui correspond à la taille de la grappe (appel régional de l'ARS sous 50"
        " ESSMS, appel national de la CNSA à partir de 50 ESSMS)."
    ),
    example="Le projet réunit 52 ESSMS : à partir de 50 ESSMS, il relève de l'appel à projets national de la CNSA et non de l'appel régional « AAP régional ESMS numérique 2022 — ARS Auvergne-Rhône-Alpes ».",
)
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Le canal dépend de la taille de la grappe et de l'année du programme. Jusqu'en 2023, un
    projet de moins de 50 ESSMS relève de l'appel régional de l'ARS et un projet de 50 ESSMS ou
    plus de l'appel national de la CNSA. À partir de 2024, l'appel régional n'a plus de plafond
    pour une grappe située dans une seule région (paramètre ``grouping.regional_upper_cap``) ;
    un projet multirégional de 50 ESSMS ou plus relève toujours de l'appel national, et l'appel
    national ne prend que les projets de 50 ESSMS ou plus. La répartition entre régions est
    vérifiée par GRP-13. Le seuil est un paramètre de l'année. Sont comptés les ESSMS éligibles
    identifiés par leur FINESS ; quand le canal dépend de lignes sans FINESS, la règle ne décide
    pas (alerte) et le FINESS manquant est demandé (GRP-01)."""
    if data.structures is None:
        return
    threshold = config.grouping.channel_threshold.value
    capped = config.channel == "multiregional" or (
        config.channel == "regional" and config.grouping.regional_upper_cap.value
    )
    count = data.essms_count
    unknown = len(data.unidentified_essms)
    location = data.structures.header_location
    kind = "multirégional" if config.channel == "multiregional" else "régional"
    if capped and count >= threshold:
        yield Hit(
            message=(
                f"Le projet réunit {count} ESSMS : à partir de {threshold} ESSMS, il relève de l'appel à projets "
                f"national de la CNSA et non de l'appel {kind} « {config.title} »."
            ),
            expected=f"moins de {threshold} ESSMS pour un appel {kind}",
            found=f"{count} ESSMS",
            location=location,
        )
    elif capped and count + unknown >= threshold:
        yield Hit(
            message=(
                f"Le projet réunit {count} ESSMS identifiés et {french.count(unknown, 'ligne')} sans FINESS : avec elles, il "
                f"atteindrait {threshold} ESSMS et relèverait de l'appel national. Le canal sera vérifié une fois "
                "les FINESS fournis (voir GRP-01)."
            ),
            expected=f"moins de {threshold} ESSMS pour un appel {kind}",
            found=f"{count} ESSMS identifiés, {french.count(unknown, 'ligne')} sans FINESS",
            location=location,
            severity=Severity.ALERTE,
        )
    elif config.channel == "national" and count + unknown < threshold:
        yield Hit(
            message=(
                f"Le projet réunit {count} ESSMS : en dessous de {threshold} ESSMS, il relève de l'appel à projets "
                f"régional de son ARS et non de l'appel national « {config.title} »."
            ),
            expected=f"au moins {threshold} ESSMS pour l'appel national",
            found=f"{count} ESSMS",
            location=location,
        )
    elif config.channel == "national" and count < threshold:
        yield Hit(
            message=(
                f"Le projet réunit {count} ESSMS identifiés et {french.count(unknown, 'ligne')} sans FINESS : sans elles, il "
                f"serait sous le seuil de {threshold} ESSMS de l'appel national. Le canal sera vérifié une fois "
                "les FINESS fournis (voir GRP-01)."
            ),
            expected=f"au moins {threshold} ESSMS pour l'appel national",
            found=f"{count} ESSMS identifiés, {french.count(unknown, 'ligne')} sans FINESS",
            location=location,
            severity=Severity.ALERTE,
        )
