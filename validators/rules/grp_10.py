"""GRP-10 — declared number of ESSMS equals the number listed."""

from __future__ import annotations

from collections.abc import Iterator

from extractors.values import parse_int
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.registry import Hit, rule


@rule("GRP-10", severity="a_corriger", params=())
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Nombre d'ESSMS déclaré différent de la liste

    Le nombre d'ESSMS déclaré dans le formulaire en ligne (nb_essms_declare) est égal au
    nombre d'ESSMS distincts de la liste des structures (éligibles ou non).

    Source : dossier-format.md : le formulaire fait foi pour le porteur, les pièces pour le contenu

    Action : Mettre en cohérence le nombre d'ESSMS déclaré dans le formulaire en ligne et la liste des structures
    engagées.

    Exemple : Le formulaire déclare 19 ESSMS alors que la liste des structures (Dossier_complet.xlsx, feuille
    Structures, cellule A4) en compte 17.
    """
    if data.form is None or data.structures is None:
        return
    cell = data.form.get("nb_essms_declare")
    if cell is None or cell.raw is None:
        return
    declared = parse_int(cell.raw)
    count = data.listed_count
    if declared.problem:
        yield Hit(
            message=f"Le nombre d'ESSMS déclaré dans le formulaire est illisible : {declared.problem}.",
            expected=f"{count} (nombre d'ESSMS de la liste)",
            found=cell.text,
            location=cell.location,
        )
    elif declared.value != count:
        yield Hit(
            message=(
                f"Le formulaire déclare {declared.value} ESSMS alors que la liste des structures "
                f"({data.structures.where}) en compte {count}."
            ),
            expected=f"{count} ESSMS (liste des structures)",
            found=f"{declared.value} ESSMS déclarés",
            location=cell.location,
        )
