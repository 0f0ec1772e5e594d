"""GRP-05 — every ESSMS in the call's region (regional calls)."""

from __future__ import annotations

from collections.abc import Iterator

from validators.config_view import ConfigView
from validators.context import REPOSITORY, DossierData, Essms
from validators.registry import Hit, rule


def excludes(essms: Essms, config) -> str | None:
    """Why the ESSMS is left out of the count and the funding: it is outside the region of
    this regional call."""
    region = config.region
    if (
        config.channel != "regional"
        or region is None
        or essms.department is None
        or essms.department in region.departments.value
    ):
        return None
    return f"il est situé dans le département {essms.department}, hors de la région {region.name.value}"


@rule("GRP-05", severity="a_corriger", params=("region.name", "region.departments"), excludes=excludes)
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """ESSMS hors de la région de l'appel

    Dans un appel régional, chaque ESSMS est situé dans un département de la région de
    l'appel ; le département est celui du répertoire FINESS quand une extraction est chargée et
    connaît le numéro, sinon il est lu dans le FINESS ET (à défaut, dans la colonne
    Département). Un ESSMS hors de la région est retiré du décompte et du financement, et le
    dossier est jugé sur ce qui reste : il ne devient non recevable que si la grappe restante
    est trop petite (GRP-03). Ne s'applique pas aux appels sans région : l'appel national et
    l'appel multirégional, qui prend par définition des ESSMS de plusieurs régions (voir GRP-04).

    Source : Instruction n° DNS/CNSA/DGCS/2022/34 du 8 février 2022 et instructions suivantes : les appels régionaux
    sont portés par l'ARS de la région ; les projets sur plusieurs régions relèvent de l'appel multirégional ou national
    (instruction n° DNS/DGCS/CNSA/2024/15 du 1er février 2024)

    Action : Retirer de la liste et du budget l'ESSMS situé hors de la région de l'appel (il est exclu du financement de
    ce projet), ou justifier son rattachement à la région.

    Exemple : EHPAD Les Lilas (FINESS 750001234) est situé dans le département 75, hors de la région
    Auvergne-Rhône-Alpes : il est exclu du décompte et du financement de ce projet régional. Le dossier est examiné sur
    les 16 ESSMS restants.
    """
    if config.region is None or data.structures is None:
        return
    departments = set(config.region.departments.value)
    region = config.region.name.value
    remaining = data.essms_count
    for essms in data.distinct_essms:
        if essms.department is None or essms.department in departments:
            continue
        source = " (selon le répertoire FINESS)" if essms.department_source == REPOSITORY else ""
        excluded = essms.excluded_by("GRP-05")
        consequence = (
            f"il est exclu du décompte et du financement de ce projet régional. Le dossier est examiné "
            f"sur les {remaining} ESSMS restants."
            if excluded
            else "vérifier qu'il peut faire partie de ce projet régional."
        )
        yield Hit(
            message=f"{essms.label} est situé dans le département {essms.department}{source}, hors de la région {region} : "
            + consequence,
            expected=f"un département de la région {region} ({', '.join(sorted(departments))})",
            found=f"département {essms.department}",
            location=essms.finess_cell.location,
        )
