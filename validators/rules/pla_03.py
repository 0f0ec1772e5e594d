"""PLA-03 — the project ends within the programme window."""

from __future__ import annotations

from collections.abc import Iterator

from core.french import date_short
from core.lazy import lazy_module
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.messages import FIELD_LABELS, row_text
from validators.registry import Hit, rule
from validators.table_checks import Failure

# Imported when a dossier's tables are checked, not when the rules are listed.
pa = lazy_module("pandera.pandas")
pd = lazy_module("pandas")


def within_programme(config: ConfigView, columns: frozenset[str]) -> dict[str, list[pa.Check]]:
    """Planning: no phase starts or ends after the end of the programme window."""
    window_end = config.programme_window.end.value

    def within(column: str) -> pa.Check:
        return pa.Check(lambda d: d[column].map(lambda v: v is None or pd.isna(v) or v <= window_end))

    return {"date_fin": [within("date_fin")], "date_debut": [within("date_debut")]}


@rule("PLA-03", severity="a_corriger", params=("programme_window.end",), checks={"planning": within_programme})
def check(data: DossierData, config: ConfigView, failures: list[Failure]) -> Iterator[Hit]:
    """Projet au-delà de la fin du programme

    Toutes les phases du planning se terminent au plus tard à la fin de la fenêtre du
    programme fixée par l'appel (31/12/2025 pour les appels 2022). Une période (« S2 2025 »)
    est lue à son dernier jour pour une date de fin.

    Source : Programme ESMS numérique 2021-2025 (CNSA, « Le programme ESMS numérique en détail », cnsa.fr) : fenêtre du
    programme

    Action : Ramener la fin du projet dans la fenêtre du programme fixée par l'appel.

    Exemple : La phase « Bilan » se termine le 30/06/2026, après la fin du programme ESMS numérique fixée par l'appel au
    31/12/2025. Ramener le planning dans cette fenêtre.
    """
    end = config.programme_window.end.value
    for failure in failures:
        phase = row_text(failure.row, "phase") or "sans nom"
        verb = "se termine" if failure.column == "date_fin" else "commence"
        yield Hit(
            message=(
                f"La phase « {phase} » {verb} le {date_short(failure.value)}, après la fin du programme "
                f"ESMS numérique fixée par l'appel au {date_short(end)}. Ramener le planning dans cette fenêtre."
            ),
            expected=f"{FIELD_LABELS[failure.column]} au plus tard le {date_short(end)}",
            found=date_short(failure.value),
            location=failure.location(),
        )
