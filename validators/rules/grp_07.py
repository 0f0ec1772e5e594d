"""GRP-07 — minimum number of organismes gestionnaires of every grouping (amorçage 2021, temps 1)."""

from __future__ import annotations

from collections.abc import Iterator

from core import french
from core.models import Severity
from validators.config_view import ConfigView
from validators.context import DossierData, Essms
from validators.grouping import corsica_or_overseas
from validators.registry import Hit, rule


def organisme_of(essms: Essms) -> str | None:
    """The key of an ESSMS's organisme gestionnaire: FINESS EJ, else its name; None when blank."""
    if essms.finess_ej:
        return essms.finess_ej
    cell = essms.row.get("organisme_gestionnaire")
    if cell is not None and cell.text:
        return cell.text.strip().lower()
    return None


def organismes(data: DossierData) -> set[str]:
    """Distinct organismes gestionnaires of the eligible ESSMS: by FINESS EJ, else by name."""
    return {key for e in data.eligible_essms if (key := organisme_of(e)) is not None}


@rule("GRP-07", severity="bloquant", params=("grouping.min_og", "grouping.min_og_corsica_overseas"))
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Trop peu d'organismes gestionnaires

    Quand l'année du programme fixe un nombre minimal d'organismes gestionnaires, la grappe en
    réunit au moins autant, comptés par FINESS EJ (à défaut par nom) parmi les ESSMS éligibles.
    Seule la phase d'amorçage 2021 (temps 1) en fixe un : 3 organismes gestionnaires, 2 en Corse
    et outre-mer. Les textes de l'amorçage l'exigent de toute grappe, quelle que soit la taille de
    ses organismes (ce n'est pas une règle propre aux petits organismes) ; le temps 2 de 2021 et la
    généralisation (2022-2025) n'en fixent pas, et la règle est alors sans objet. Une donnée
    manquante n'est pas un rejet : si la liste n'indique pas l'organisme gestionnaire (ni colonne
    FINESS EJ ni colonne organisme gestionnaire), ou si le minimum n'est atteint qu'avec les ESSMS
    dont l'organisme n'est pas renseigné, l'information manquante est demandée (à corriger) ; le
    constat n'est bloquant que si, même en comptant chacun de ces ESSMS comme un organisme
    distinct, le minimum n'est pas atteint.

    Source : Phase d'amorçage 2021, temps 1 : « grappe de structures composée d'au moins trois organismes gestionnaires
    regroupant au moins quinze ESMS » (ARS Hauts-de-France, appel à projets de février 2021) ; ARS Auvergne-Rhône-Alpes,
    « Le programme ESMS numérique » : grappes comprenant 3 organismes gestionnaires ; 2 en Corse et outre-mer

    Action : Réunir dans la grappe au moins le nombre d'organismes gestionnaires fixé par l'appel.

    Action (à corriger) : Indiquer pour chaque ESSMS son organisme gestionnaire (nom et FINESS EJ) : le nombre
    d'organismes gestionnaires de la grappe en dépend.

    Exemple : La grappe réunit 2 organismes gestionnaires ; l'appel exige au moins 3 organismes gestionnaires distincts.
    """
    table = data.structures
    minimum, island_minimum = config.grouping.min_og.value, config.grouping.min_og_corsica_overseas.value
    if table is None or minimum is None:
        return
    if island_minimum is not None and corsica_or_overseas(data):
        minimum = island_minimum
    if "finess_ej" not in table.columns and "organisme_gestionnaire" not in table.columns:
        yield Hit(
            message=(
                f"La liste des structures n'indique pas l'organisme gestionnaire des ESSMS (ni FINESS EJ ni "
                f"nom) : le nombre d'organismes gestionnaires de la grappe (au moins {minimum} exigés) ne peut "
                "pas être vérifié. Ajouter pour chaque ESSMS son organisme gestionnaire et son FINESS EJ."
            ),
            expected=f"l'organisme gestionnaire de chaque ESSMS (au moins {minimum} organismes)",
            found="aucune colonne d'organisme gestionnaire",
            location=table.header_location,
            severity=Severity.A_CORRIGER,
        )
        return
    known = organismes(data)
    unknown = [e for e in data.eligible_essms if organisme_of(e) is None]
    count = len(known)
    if count >= minimum:
        return
    if count + len(unknown) >= minimum:
        for essms in unknown:
            cell = essms.row.get("finess_ej") or essms.row.get("organisme_gestionnaire")
            yield Hit(
                message=(
                    f"L'organisme gestionnaire de {essms.label} n'est pas indiqué : la grappe réunit "
                    f"{_organismes(count)} {french.word(count, 'connu')} pour {minimum} exigés, le compte dépend de cet "
                    "ESSMS. Indiquer son organisme gestionnaire (nom et FINESS EJ)."
                ),
                expected="le nom et le FINESS EJ de l'organisme gestionnaire",
                found="(vide)",
                location=cell.location if cell is not None else essms.row.location,
                severity=Severity.A_CORRIGER,
            )
        return
    yield Hit(
        message=(
            f"La grappe réunit {_organismes(count)} ; l'appel exige au moins {minimum} "
            "organismes gestionnaires distincts."
        ),
        expected=f"au moins {minimum} organismes gestionnaires",
        found=_organismes(count),
        location=table.header_location,
    )


def _organismes(n: int) -> str:
    """« 1 organisme gestionnaire », « 3 organismes gestionnaires »."""
    return french.count(n, "organisme gestionnaire", "organismes gestionnaires")
