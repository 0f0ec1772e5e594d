"""GRP-13 — a multi-regional or national call takes groupings spread over several regions (from 2024)."""

from __future__ import annotations

from collections.abc import Iterator

from core import french
from core.models import Severity
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.reference import region_of
from validators.registry import Hit, rule


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


@rule(
    "GRP-13",
    title="Grappe d'une seule région dans un appel multirégional ou national",
    severity="bloquant",
    params=("channel", "title", "grouping.national_multiregion_required"),
    source=(
        "Instruction n° DNS/DGCS/CNSA/2024/15 du 1er février 2024 (calendrier et canaux de la campagne 2024) : "
        "l'appel régional prend les groupements de 15 ESSMS ou plus situés dans une même région, et ceux de moins "
        "de 50 ESSMS situés dans plusieurs régions (projets multirégionaux, date limite propre) ; l'appel national "
        "prend les groupements de 50 ESSMS ou plus situés dans plusieurs régions"
    ),
    severity_actions={
        "alerte": (
            "Indiquer le FINESS géographique ou le département de chaque ESSMS : la répartition de la grappe entre "
            "régions décide de l'appel où la déposer."
        )
    },
    action=(
        "Déposer le projet à l'appel régional de l'ARS de la région où sont situés ses ESSMS : un projet d'une "
        "seule région ne relève ni de l'appel multirégional ni, à partir de 2024, de l'appel national."
    ),
    example=(
        "Les 62 ESSMS du projet sont tous situés en Auvergne-Rhône-Alpes : à partir de 2024, un projet d'une seule "
        "région relève de l'appel régional de son ARS (sans plafond d'ESSMS) et non de l'appel national « AAP "
        "national ESMS numérique 2024 — CNSA »."
    ),
)
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Un appel multirégional ne prend que des projets dont les ESSMS sont situés dans plusieurs
    régions ; à partir de 2024 (paramètre ``grouping.national_multiregion_required`` de l'année),
    l'appel national aussi : un projet de 50 ESSMS ou plus situés dans une seule région relève
    de l'appel régional de son ARS, qui n'a plus de plafond. La région d'un ESSMS est celle de
    son département (répertoire FINESS, numéro FINESS ou colonne Département). Sans objet pour
    un appel régional (GRP-05 y vérifie la région) et pour l'appel national avant 2024. Quand des
    ESSMS n'ont pas de département connu et que les autres sont d'une seule région, la règle ne
    décide pas (alerte)."""
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
