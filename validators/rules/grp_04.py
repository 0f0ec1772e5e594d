"""GRP-04 — regional, multi-regional or national channel, by the size of the grouping and its regions
(per programme year)."""

from __future__ import annotations

from collections.abc import Iterator

from core import french
from core.models import Severity
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.reference import region_of
from validators.registry import Hit, rule


@rule(
    "GRP-04",
    severity="bloquant",
    params=(
        "channel",
        "title",
        "grouping.channel_threshold",
        "grouping.regional_upper_cap",
        "grouping.national_multiregion_required",
    ),
)
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Dossier déposé dans le mauvais appel

    Le canal dépend de la taille de la grappe et de l'année du programme. Jusqu'en 2023, un
    projet de moins de 50 ESSMS relève de l'appel régional de l'ARS et un projet de 50 ESSMS ou
    plus de l'appel national de la CNSA. À partir de 2024, l'appel régional n'a plus de plafond
    pour une grappe située dans une seule région (paramètre ``grouping.regional_upper_cap``) ;
    un projet multirégional de 50 ESSMS ou plus relève toujours de l'appel national, et l'appel
    national ne prend que les projets de 50 ESSMS ou plus. La répartition entre régions est
    vérifiée ensuite : un appel multirégional ne prend que des projets dont les ESSMS sont situés
    dans plusieurs régions, et à partir de 2024 (paramètre
    ``grouping.national_multiregion_required``) l'appel national aussi — un projet de 50 ESSMS ou
    plus d'une seule région relève alors de l'appel régional de son ARS. La région d'un ESSMS est
    celle de son département (répertoire FINESS, numéro FINESS ou colonne Département) ; quand des
    ESSMS n'ont pas de département connu et que les autres sont d'une seule région, la règle ne
    décide pas (alerte). Le seuil est un paramètre de l'année. Sont comptés les ESSMS éligibles
    identifiés par leur FINESS ; quand le canal dépend de lignes sans FINESS, la règle ne décide
    pas (alerte) et le FINESS manquant est demandé (GRP-01).

    Source : Instruction n° DNS/CNSA/DGCS/2022/34 du 8 février 2022 et CNSA, « Obtenir une aide à l'investissement
    numérique » (cnsa.fr) : de 15 à moins de 50 ESSMS, appel régional de l'ARS ; 50 ou plus, appel national (2022,
    2023). Instruction n° DNS/DGCS/CNSA/2024/15 du 1er février 2024 : l'appel régional prend les groupements de 15 ESSMS
    ou plus d'une même région sans plafond, et ceux de moins de 50 ESSMS situés dans plusieurs régions ; l'appel
    national, ceux de 50 ESSMS ou plus situés dans plusieurs régions

    Action : Déposer le projet à l'appel qui correspond à la taille de la grappe (appel régional de l'ARS sous 50 ESSMS,
    appel national de la CNSA à partir de 50 ESSMS).

    Action (alerte) : Indiquer le FINESS géographique des ESSMS qui n'en ont pas dans la liste des structures : le canal
    de dépôt (régional ou national) en dépend.

    Exemple : Le projet réunit 52 ESSMS : à partir de 50 ESSMS, il relève de l'appel à projets national de la CNSA et
    non de l'appel régional « AAP régional ESMS numérique 2022 — ARS Auvergne-Rhône-Alpes ».
    """
    if data.structures is None:
        return
    hits = list(_size_hits(data, config))
    yield from hits or _region_hits(data, config)


def _size_hits(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """The channel by the size of the grouping."""
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


def regions_of(data: DossierData) -> tuple[set[str], int]:
    """(the regions of the counted ESSMS, how many counted ESSMS have no known département)."""
    regions, unknown = set(), 0
    for essms in data.counted_essms:
        region = region_of(essms.department)
        if region is None:
            unknown += 1
        else:
            regions.add(region)
    return regions, unknown


def _region_hits(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """The channel by the regions of the grouping: a multi-regional call, and the national call
    from 2024, take only groupings spread over several regions."""
    if data.structures is None or not data.counted_essms:
        return
    if config.channel == "regional":
        return
    if config.channel == "national" and not config.grouping.national_multiregion_required.value:
        return
    regions, unknown = regions_of(data)
    if len(regions) != 1:
        return
    [region] = regions
    kind = "multirégional" if config.channel == "multiregional" else "national"
    count = len(data.counted_essms)
    location = data.structures.header_location
    if unknown:
        yield Hit(
            message=(
                f"Les ESSMS du projet dont le département est connu sont tous situés en {region} ; "
                f"{french.count(unknown, 'ESSMS')} sans département connu. Un projet d'une seule région ne relève "
                f"pas de l'appel {kind} « {config.title} » : la répartition sera vérifiée une fois le département de "
                "chaque ESSMS connu."
            ),
            expected=f"des ESSMS situés dans plusieurs régions (appel {kind})",
            found=f"{region} seulement, {french.count(unknown, 'ESSMS')} sans département",
            location=location,
            severity=Severity.ALERTE,
        )
        return
    since = "" if config.channel == "multiregional" else "à partir de 2024, "
    yield Hit(
        message=(
            f"Les {count} ESSMS du projet sont tous situés en {region} : {since}un projet d'une seule région relève "
            f"de l'appel régional de son ARS et non de l'appel {kind} « {config.title} »."
        ),
        expected=f"des ESSMS situés dans plusieurs régions (appel {kind})",
        found=f"{count} ESSMS, tous en {region}",
        location=location,
    )
