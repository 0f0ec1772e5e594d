"""GRP-16 — an ESSMS that ordered the SONS « prestation Ségur » for one DUI is not funded for another."""

from __future__ import annotations

from collections.abc import Iterator

from validators.config_view import ConfigView
from validators.context import DossierData, Essms
from validators.dui import dui_key, is_none_answer, same_dui, software_of
from validators.registry import Hit, rule

COLUMN = "dui_prestation_segur"


def _sons_dui(essms: Essms) -> str | None:
    """The DUI the list says the ESSMS ordered the SONS prestation Ségur for (None: none stated)."""
    cell = essms.row.get(COLUMN)
    text = cell.text.strip() if cell is not None and cell.text else ""
    return None if is_none_answer(text) or not dui_key(text) else text


def excludes(essms: Essms, config) -> str | None:
    """Why the ESSMS is left out of the count and the funding: the list says it ordered the SONS
    prestation Ségur for another DUI than the one its row names."""
    conditions = getattr(config, "conditions", None)
    if conditions is None or not conditions.sons_other_dui_excluded.value:
        return None
    ordered = _sons_dui(essms)
    cell = essms.row.get("logiciel")
    project = cell.text.strip() if cell is not None and cell.text else ""
    if ordered is None or not dui_key(project) or same_dui(dui_key(ordered), dui_key(project)):
        return None
    return (
        f"il a commandé la prestation Ségur du SONS pour le DUI « {ordered} » et le projet lui fait déployer "
        f"« {project} » (pas de double financement)"
    )


@rule("GRP-16", severity="a_corriger", params=("conditions.sons_other_dui_excluded",), excludes=excludes)
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Prestation Ségur (SONS) commandée pour un autre DUI

    Un ESSMS qui a commandé la « prestation Ségur » du système ouvert et non sélectif (SONS)
    pour un DUI — financement versé à l'éditeur pour la mise à niveau de ce DUI — ne peut être
    financé par ESMS numérique pour un autre DUI : ce serait financer deux fois son équipement.
    La liste des structures le dit dans la colonne « DUI de la prestation Ségur (SONS) » (vide,
    « Non » ou « Aucune » : pas de prestation commandée). Quand ce DUI n'est pas celui que le
    projet lui fait déployer (colonne Logiciel), l'ESSMS est retiré du décompte et du
    financement et le dossier est jugé sur ce qui reste (non recevable seulement si la grappe
    restante est trop petite, GRP-03) ; un ESSMS en mise en conformité de ce même DUI reste
    compté. Quand la ligne ne nomme pas son logiciel, la comparaison se fait avec celui du
    formulaire et le constat demande de vérifier, sans exclure. Sans colonne SONS dans la liste,
    la règle ne s'applique pas : l'absence d'information n'est pas un rejet.

    Source : ARS Provence-Alpes-Côte d'Azur, appel à projets ESMS numérique (conditions d'éligibilité) : pas de double
    financement, un ESSMS qui a commandé la « prestation Ségur » du SONS pour un DUI ne peut être financé pour un autre
    DUI ; arrêté du 2 février 2022 (SONS « DUI ESSMS », prestation payée à l'éditeur)

    Action : Retirer du projet l'ESSMS qui a commandé la prestation Ségur du SONS pour un autre DUI (il est exclu du
    financement), ou corriger la liste si la prestation porte sur le DUI du projet.

    Exemple : EHPAD Les Tilleuls (FINESS 010000016) a commandé la prestation Ségur du SONS pour le DUI « Kalisto Soins »
    et le projet lui fait déployer « Sillage DUI » : il est exclu du décompte et du financement (pas de double
    financement). Le dossier est examiné sur les 17 ESSMS restants.
    """
    if not config.conditions.sons_other_dui_excluded.value or data.structures is None:
        return
    if COLUMN not in data.structures.columns:
        return
    remaining = data.essms_count
    for essms in data.distinct_essms:
        ordered = _sons_dui(essms)
        if ordered is None:
            continue
        project, key = software_of(data, essms)
        if not key or same_dui(dui_key(ordered), key):
            continue
        excluded = essms.excluded_by("GRP-16")
        consequence = (
            f"il est exclu du décompte et du financement (pas de double financement). Le dossier est examiné sur "
            f"les {remaining} ESSMS restants."
            if excluded
            else "vérifier quel DUI il déploiera : il ne peut être financé pour un autre DUI que celui de sa "
            "prestation Ségur."
        )
        cell = essms.row.get(COLUMN)
        yield Hit(
            message=(
                f"{essms.label} a commandé la prestation Ségur du SONS pour le DUI « {ordered} » et le projet lui fait "
                f"déployer « {project} » : {consequence}"
            ),
            expected=f"le DUI de sa prestation Ségur (« {ordered} ») ou aucune prestation",
            found=f"« {project} »",
            location=cell.location if cell is not None else essms.row.location,
        )
