"""BUD-04 — Ségur bonus only for an ESSMS whose software is Ségur-referenced."""

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


def bonus_only_if_referenced(config: ConfigView, columns: frozenset[str]) -> dict[str, list[pa.Check]]:
    """Per-ESSMS budget: no Ségur bonus (beyond the rounding tolerance) for an ESSMS whose
    software is declared not referenced (the list, else the form; unknown is not refused)."""
    if "bonus_segur" not in columns:
        return {}
    tolerance = config.funding.amount_tolerance.value
    return {
        "bonus_segur": [
            blank_or(
                "bonus_segur",
                lambda d: (d["bonus_segur"] <= tolerance) | (d["referenced"] != False),  # noqa: E712 - elementwise on a pandas column (None is not False)
            )
        ]
    }


@rule(
    "BUD-04",
    severity="a_corriger",
    params=("funding.amount_tolerance",),
    checks={"budget_essms": bonus_only_if_referenced},
)
def check(data: DossierData, config: ConfigView, failures: list[Failure]) -> Iterator[Hit]:
    """Bonus Ségur sans logiciel référencé

    Le bonus « éditeur référencé Ségur » n'est demandé que pour les ESSMS dont le logiciel est
    référencé Ségur (colonne de la liste des structures, à défaut champ du formulaire). Les
    projets uniquement AHI/PJM, exemptés de référencement, ne peuvent pas non plus y prétendre
    sans logiciel référencé.

    Source : CNSA, « Obtenir une aide à l'investissement numérique »
    (https://www.cnsa.fr/grands-chantiers/programme-esms-numerique/obtenir-une-aide-a-linvestissement-numerique) :
    financement complémentaire de 2 500 € par ESSMS (3 000 € à partir du 50e) si l'éditeur est référencé Ségur

    Action : Retirer le bonus Ségur demandé pour cet ESSMS, ou justifier le référencement Ségur de son logiciel.

    Exemple : Le budget demande 2 500 € de bonus Ségur pour EHPAD Les Glycines (FINESS 690012347) alors que son logiciel
    est déclaré non référencé Ségur : le bonus n'est dû qu'aux logiciels référencés.
    """
    for failure in failures:
        yield Hit(
            message=(
                f"Le budget demande {euros(failure.value)} de bonus Ségur pour {essms_label_for_row(data, failure.row)} "
                "alors que son logiciel est déclaré non référencé Ségur : le bonus n'est dû qu'aux logiciels "
                "référencés."
            ),
            expected="0 € (logiciel non référencé)",
            found=euros(failure.value),
            location=failure.location(),
        )
