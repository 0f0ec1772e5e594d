"""PIE-06 — an amount column of a budget that no expected field names."""

from __future__ import annotations

from collections.abc import Iterator

from validators.config_view import ConfigView
from validators.context import DossierData
from validators.registry import Hit, rule

WHAT = {"budget_essms": "du budget par ESSMS", "budget_lignes": "du budget par poste de dépense"}


@rule("PIE-06", severity="alerte", params=())
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Colonne de montants non reconnue

    Chaque colonne de montants d'un budget retenu dont l'en-tête ne désigne aucun champ
    attendu est signalée, avec son en-tête, ses cellules et la raison (aucun champ ne
    correspond, ou le champ le plus proche est déjà lu dans une autre colonne). Avant cela,
    les colonnes qui réconcilient le total de chaque ESSMS avec ses forfaits sont lues comme
    partie de ces forfaits (et le rapport le dit) : elles ne sont pas signalées ici.

    Source : Pratique d'instruction : aucune colonne d'un budget n'est écartée sans le dire ; un montant non compris
    peut changer un total ou un plafond

    Action : Préciser ce que contient la colonne (forfait de maîtrise d'ouvrage, forfait éditeur, bonus Ségur,
    équipement…), par exemple en renommant son en-tête.

    Exemple : La colonne « Reprise de données (€) » du budget par ESSMS (Budget.xlsx, feuille Budget, cellule F4 ;
    montants F5:F21) contient des montants qu'aucun champ attendu ne désigne : ils n'ont pas été pris en compte (aucun
    champ de ce tableau ne correspond à cet en-tête).
    """
    for table in (data.budget_essms, data.budget_lines):
        if table is None:
            continue
        for column in table.amount_columns_unread:
            header = f"« {column.header} »" if column.header else "sans en-tête"
            location = column.header_location or column.first
            where = location.describe() if location is not None else table.file
            cells = f" ; montants {column.cells}" if column.cells else ""
            yield Hit(
                message=(
                    f"La colonne {header} {WHAT[table.kind]} ({where}{cells}) contient des montants qu'aucun champ "
                    f"attendu ne désigne : ils n'ont pas été pris en compte ({column.reason})."
                ),
                expected="un en-tête qui désigne un forfait ou un montant attendu",
                found=column.header or "colonne sans en-tête",
                location=location,
            )
