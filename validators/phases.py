"""Which key phase (déploiement, formation, cibles d'usage, …) a planning row is."""

from __future__ import annotations

from core.config import CallConfig
from extractors.tables import Row
from extractors.values import fold


def phase_text(row: Row) -> str:
    parts = [row.get(f).text for f in ("phase", "livrable") if row.get(f) is not None]
    return " " + fold(" ".join(parts)) + " "


def key_phases_of(row: Row, config: CallConfig) -> set[str]:
    text = phase_text(row)
    return {
        label
        for label, words in config.planning.key_phases.value.items()
        if any(f" {fold(w)} " in text or f" {fold(w)}" in text for w in words)
    }
