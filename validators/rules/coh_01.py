"""COH-01 — the ESSMS of the budget are exactly those of the list."""

from __future__ import annotations

from collections.abc import Iterator

from validators.config_view import ConfigView
from validators.context import DossierData
from validators.finess import normalize_finess
from validators.messages import essms_label_for_row
from validators.registry import Hit, rule


@rule("COH-01", severity="a_corriger", params=())
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """ESSMS du budget différents de la liste

    Les ESSMS du budget par ESSMS sont exactement ceux de la liste des structures,
    comparés par FINESS ET : un ESSMS listé sans ligne de budget, ou une ligne de budget
    pour un ESSMS absent de la liste, est signalé.

    Source : Pratique d'instruction : cohérence entre le budget et la liste des structures (par FINESS ET)

    Action : Mettre en cohérence les ESSMS du budget et ceux de la liste des structures engagées (mêmes FINESS
    géographiques).

    Exemple : SSIAD du Pays Voironnais (FINESS 380004567) figure dans la liste des structures mais n'a pas de ligne dans
    le budget par ESSMS (Budget_V3_final.xlsx, feuille Financement ESSMS, cellule A3).
    """
    if data.structures is None or data.budget_essms is None:
        return
    listed = data.essms_by_finess()
    budget_rows = {}
    for row in data.budget_essms.rows:
        cell = row.get("finess_et")
        finess = normalize_finess(cell.raw) if cell else ""
        if finess:
            budget_rows.setdefault(finess, row)
    for finess, essms in listed.items():
        if finess not in budget_rows:
            yield Hit(
                message=(
                    f"{essms.label} figure dans la liste des structures mais n'a pas de ligne dans le budget par ESSMS "
                    f"({data.budget_essms.where})."
                ),
                expected="une ligne de budget pour chaque ESSMS de la liste",
                found="aucune ligne de budget",
                location=essms.finess_cell.location,
            )
    for finess, row in budget_rows.items():
        if finess not in listed:
            yield Hit(
                message=(
                    f"Le budget demande un financement pour {essms_label_for_row(data, row)}, qui ne figure pas dans "
                    f"la liste des structures ({data.structures.where})."
                ),
                expected="uniquement des ESSMS de la liste des structures",
                found=f"FINESS {finess} absent de la liste",
                location=row.get("finess_et").location,
            )
