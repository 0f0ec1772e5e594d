"""PLA-03 — the project ends within the programme window."""

from __future__ import annotations

from collections.abc import Iterator

from core.config import CallConfig
from extractors.values import format_date
from validators.context import DossierData
from validators.messages import FIELD_LABELS, row_text
from validators.registry import Hit, rule


@rule(
    "PLA-03",
    title="Projet au-delà de la fin du programme",
    severity="a_corriger",
    params=("programme_window.end",),
    source="Programme ESMS numérique 2021-2025 (seeds 000, 001) : fenêtre de l'appel",
    example="La phase « Bilan » se termine le 30/06/2026, après la fin du programme ESMS numérique fixée par l'appel au 31/12/2025. Ramener le planning dans cette fenêtre.",
)
def check(data: DossierData, config: CallConfig) -> Iterator[Hit]:
    """Toutes les phases du planning se terminent au plus tard à la fin de la fenêtre du
    programme fixée par l'appel (31/12/2025 pour les appels 2022). Une période (« S2 2025 »)
    est lue à son dernier jour pour une date de fin."""
    end = config.programme_window.end.value
    for failure in data.failures.get("PLA-03", []):
        phase = row_text(failure.row, "phase") or "sans nom"
        verb = "se termine" if failure.column == "date_fin" else "commence"
        yield Hit(
            message=(
                f"La phase « {phase} » {verb} le {format_date(failure.value)}, après la fin du programme "
                f"ESMS numérique fixée par l'appel au {format_date(end)}. Ramener le planning dans cette fenêtre."
            ),
            expected=f"{FIELD_LABELS[failure.column]} au plus tard le {format_date(end)}",
            found=format_date(failure.value),
            location=failure.location(),
        )
