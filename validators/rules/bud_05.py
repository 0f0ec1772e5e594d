"""BUD-05 — equipment aid only for small organismes gestionnaires, within its ceiling."""

from __future__ import annotations

from collections.abc import Iterator

from core.french import euros
from core.lazy import lazy_module
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.messages import essms_label_for_row
from validators.registry import Hit, rule
from validators.table_checks import Failure, blank_or

# Imported when a dossier's tables are checked, not when the rules are listed.
pa = lazy_module("pandera.pandas")


def equipment_conditions(config: ConfigView, columns: frozenset[str]) -> dict[str, list[pa.Check]]:
    """Per-ESSMS budget: equipment aid (beyond the rounding tolerance) only for an ESSMS of a
    small organisme gestionnaire, and within the per-establishment ceiling."""
    if "equipement" not in columns:
        return {}
    tolerance = config.funding.amount_tolerance.value
    ceiling = config.funding.equipment_ceiling.value
    return {
        "equipement": [
            blank_or(
                "equipement",
                lambda d: (d["equipement"] <= tolerance) | (d["small_og"] & (d["equipement"] <= ceiling + tolerance)),
            )
        ]
    }


@rule(
    "BUD-05",
    title="Aide à l'équipement hors conditions",
    severity="a_corriger",
    params=("funding.equipment_ceiling", "funding.small_og_max_sites", "funding.amount_tolerance"),
    checks={"budget_essms": equipment_conditions},
    source=(
        "CNSA, « Obtenir une aide à l'investissement numérique » "
        "(https://www.cnsa.fr/grands-chantiers/programme-esms-numerique/obtenir-une-aide-a-linvestissement-numerique) "
        ": aide à l'équipement des organismes gestionnaires de petite taille (20 000 € par établissement en "
        "2022) ; instruction n° DNS/DGCS/CNSA/2024/15 du 1er février 2024 : au plus 10 000 € par ESSMS ; ARS "
        "Grand Est, « Point d'avancement du programme ESMS Numérique en Grand Est » "
        "(https://www.grand-est.ars.sante.fr/point-davancement-du-programme-esms-numerique-en-grand-est) : "
        "organismes de moins de 15 sites"
    ),
    action="Retirer l'aide à l'équipement demandée, ou la ramener dans les conditions et le plafond de l'appel.",
    example=(
        "Le budget demande 25 000 € d'aide à l'équipement pour IME Le Clos Fleuri (FINESS 380001234) ; le "
        "plafond de l'appel est 20 000 € par établissement."
    ),
)
def check(data: DossierData, config: ConfigView, failures: list[Failure]) -> Iterator[Hit]:
    """L'aide à l'équipement et à l'infrastructure n'est demandée que pour les ESSMS d'un
    organisme gestionnaire de petite taille (moins de sites que le seuil de l'appel, comptés
    dans la liste des structures — lecture [P], le nombre total de sites de l'organisme n'étant
    pas connu) et reste dans le plafond par établissement."""
    ceiling = config.funding.equipment_ceiling.value
    threshold = config.funding.small_og_max_sites.value
    frame = data.budget_frame
    for failure in failures:
        small = bool(frame.df.iloc[failure.index]["small_og"]) if frame is not None else True
        label = essms_label_for_row(data, failure.row)
        if small:
            message = (
                f"Le budget demande {euros(failure.value)} d'aide à l'équipement pour {label} ; le plafond de "
                f"l'appel est {euros(ceiling)} par établissement."
            )
            expected = f"au plus {euros(ceiling)}"
        else:
            message = (
                f"Le budget demande {euros(failure.value)} d'aide à l'équipement pour {label}, dont "
                f"l'organisme gestionnaire compte au moins {threshold} ESSMS dans la grappe : l'aide est "
                "réservée aux organismes gestionnaires de petite taille."
            )
            expected = f"0 € (organisme gestionnaire de {threshold} sites ou plus)"
        yield Hit(message=message, expected=expected, found=euros(failure.value), location=failure.location())
