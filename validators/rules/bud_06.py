"""BUD-06 — AMOA within its per-project ceilings."""

from __future__ import annotations

from collections.abc import Iterator

from core.french import euros
from extractors.values import parse_amount
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.figures import amoa_ceilings, amoa_kind
from validators.registry import Hit, rule


@rule(
    "BUD-06",
    severity="a_corriger",
    params=("funding.amoa_procurement_ceiling", "funding.amoa_steering_ceiling", "funding.amount_tolerance"),
)
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """AMOA au-delà des plafonds du projet

    Le financement demandé pour l'assistance à maîtrise d'ouvrage reste dans les plafonds par
    projet : accompagnement à la procédure de marché (centrale d'achat de la CNSA) et pilotage
    du projet de DUI. Les postes sont reconnus à leur libellé (« AMOA », « assistance à maîtrise
    d'ouvrage » ; « marché », « achat », « procédure » pour la procédure de marché) et sommés
    par nature.

    Source : CNSA, « Obtenir une aide à l'investissement numérique »
    (https://www.cnsa.fr/grands-chantiers/programme-esms-numerique/obtenir-une-aide-a-linvestissement-numerique) :
    15 000 € par projet (accompagnement à la procédure de marché de la centrale d'achat mandatée par la CNSA), 100 000 €
    par projet (pilotage du projet de DUI)

    Action : Ramener les dépenses d'AMOA dans les plafonds par projet fixés par l'appel.

    Exemple : Le budget demande 120 000 € d'AMOA pour le pilotage du projet (poste « AMOA pilotage du projet ») ; le
    plafond de l'appel est 100 000 € par projet.
    """
    lines = data.budget_lines
    if lines is None or "financement_demande" not in lines.columns:
        return
    ceilings = amoa_ceilings(config)
    labels = {"procedure": "la procédure de marché", "pilotage": "le pilotage du projet"}
    totals: dict[str, float] = {}
    where = {}
    for row in lines.rows:
        kind = amoa_kind(row.label)
        cell = row.get("financement_demande")
        if kind is None or cell is None:
            continue
        value = parse_amount(cell.raw).value or 0.0
        totals[kind] = totals.get(kind, 0.0) + value
        where.setdefault(kind, (cell, row.label))
    for kind, total in totals.items():
        if total > ceilings[kind] + config.funding.amount_tolerance.value:
            cell, label = where[kind]
            yield Hit(
                message=(
                    f"Le budget demande {euros(total)} d'AMOA pour {labels[kind]} (poste « {label} ») ; le "
                    f"plafond de l'appel est {euros(ceilings[kind])} par projet."
                ),
                expected=f"au plus {euros(ceilings[kind])}",
                found=euros(total),
                location=cell.location,
            )
