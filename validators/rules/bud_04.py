"""BUD-04 — Ségur bonus only for an ESSMS whose software is Ségur-referenced."""

from __future__ import annotations

from collections.abc import Iterator

from core.config import CallConfig
from validators.context import DossierData
from validators.messages import essms_label_for_row, euros
from validators.registry import Hit, rule


@rule(
    "BUD-04",
    title="Bonus Ségur sans logiciel référencé",
    severity="a_corriger",
    params=("eligibility.segur_exempt_sectors",),
    source="seeds 000, 001 : bonus de 2 500 € (3 000 € au-delà du 49e) si l'éditeur est référencé Ségur",
    example=("Le budget demande 2 500 € de bonus Ségur pour EHPAD Les Glycines (FINESS 690012347) alors que son "
             "logiciel est déclaré non référencé Ségur : le bonus n'est dû qu'aux logiciels référencés."),
)
def check(data: DossierData, config: CallConfig) -> Iterator[Hit]:
    """Le bonus « éditeur référencé Ségur » n'est demandé que pour les ESSMS dont le logiciel est
    référencé Ségur (colonne de la liste des structures, à défaut champ du formulaire). Les
    projets uniquement AHI/PJM, exemptés de référencement, ne peuvent pas non plus y prétendre
    sans logiciel référencé."""
    for failure in data.failures.get("BUD-04", []):
        yield Hit(
            message=(f"Le budget demande {euros(failure.value)} de bonus Ségur pour {essms_label_for_row(data, failure.row)} "
                     "alors que son logiciel est déclaré non référencé Ségur : le bonus n'est dû qu'aux logiciels "
                     "référencés."),
            expected="0 € (logiciel non référencé)",
            found=euros(failure.value),
            location=failure.location(),
        )
