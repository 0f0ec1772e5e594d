"""GRP-02 — no ESSMS listed twice."""

from __future__ import annotations

from collections.abc import Iterator

from core.lazy import lazy_module
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.messages import essms_label_for_row, where
from validators.registry import Hit, rule
from validators.table_checks import Failure, blank_or

# Imported when a dossier's tables are checked, not when the rules are listed.
pa = lazy_module("pandera.pandas")


def listed_once(config: ConfigView, columns: frozenset[str]) -> dict[str, list[pa.Check]]:
    """Structures list: every FINESS ET after its first occurrence is a duplicate."""
    return {"finess_et": [blank_or("finess_et", lambda d: ~d["finess_et"].duplicated(keep="first"))]}


@rule("GRP-02", severity="a_corriger", params=(), checks={"structures": listed_once})
def check(data: DossierData, config: ConfigView, failures: list[Failure]) -> Iterator[Hit]:
    """ESSMS en double

    Aucun ESSMS (même FINESS ET) n'apparaît deux fois dans la liste des structures. Le
    doublon n'est compté qu'une fois pour la taille de la grappe.

    Source : Pratique d'instruction : un ESSMS ne compte qu'une fois dans la grappe

    Action : Supprimer le doublon de la liste des structures engagées.

    Exemple : IME Le Clos Fleuri (FINESS 380001234) figure plusieurs fois dans la liste des structures (première
    occurrence : PJ-structures.xlsx, feuille Structures, cellule A6). Supprimer le doublon.
    """
    first_seen = {}
    for essms in data.essms:
        first_seen.setdefault(essms.finess, essms)
    for failure in failures:
        finess = failure.value
        first = first_seen.get(finess)
        yield Hit(
            message=(
                f"{essms_label_for_row(data, failure.row)} figure plusieurs fois dans la liste des structures "
                f"(première occurrence : {where(first.finess_cell.location if first else None)}). "
                "Supprimer le doublon."
            ),
            expected="chaque FINESS ET une seule fois",
            found=f"FINESS {finess} répété",
            location=failure.location(),
        )
