"""PIE-04 — two candidates for one document type."""

from __future__ import annotations

from collections.abc import Iterator

from validators.config_view import ConfigView
from validators.context import DossierData, choose_table
from validators.registry import Hit, rule

TABLE_LABELS = {
    "structures": "listes des structures",
    "budget_essms": "budgets par ESSMS",
    "budget_lignes": "budgets par poste de dépense",
    "planning": "plannings",
}


@rule("PIE-04", severity="alerte", params=())
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Deux pièces pour un même type

    Quand deux fichiers (ou deux feuilles) portent le même type de tableau, l'analyse en
    retient un — celui qui compte le plus de lignes, puis celui dont le nom désigne la version
    finale ou la plus récente — et le dit, pour que l'instructeur sache quelle version a été
    examinée et demande au besoin le retrait de l'autre.

    Source : Pratique d'instruction : savoir quelle version de la pièce a été examinée

    Action : Indiquer quelle version de la pièce fait foi et retirer l'autre du dossier.

    Exemple : Deux budgets par ESSMS ont été trouvés : Budget_V2.xlsx (feuille Budget, 17 lignes) et
    Budget_V3_final.xlsx (feuille Budget, 17 lignes). Budget_V3_final.xlsx a été retenu : à nombre de lignes égal, son
    nom désigne la version la plus récente ou finale.
    """
    for kind, label in TABLE_LABELS.items():
        candidates = data.classified.tables.get(kind) or []
        places = {(t.file, t.grid_name) for t in candidates}
        if len(places) < 2:
            continue
        chosen, reason = choose_table(candidates)
        described = " et ".join(f"{t.file} ({t.grid_name or 'document'}, {len(t.rows)} lignes)" for t in candidates[:4])
        yield Hit(
            message=f"{len(candidates)} {label} ont été trouvés : {described}. {chosen.file} a été retenu : {reason}.",
            expected="une seule pièce de ce type",
            found=f"{len(candidates)} pièces",
            location=chosen.header_location,
        )
