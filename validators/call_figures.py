"""Figures of the whole call, shown in the call summary (not rules: no finding, no verdict).

The envelope comparison (numbered LOT-03 in the domain's catalogue) serves the summary: the
ranking of the dossiers within the envelope is the reviewers' business, so it never becomes a
finding on a dossier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CallFigure:
    """How docs/rules.md documents a figure of the call summary."""

    id: str  # the summary cites it, e.g. « (LOT-03) »
    title: str
    description: str  # French
    params: tuple[str, ...]
    source: str


ENVELOPE = CallFigure(
    id="LOT-03",
    title="Demandes recevables au regard de l'enveloppe",
    description=(
        "Le total demandé par les dossiers recevables est comparé à l'enveloppe de l'appel, dans la "
        "synthèse de l'appel : enveloppe, total demandé, solde disponible ou dépassement. Ce n'est pas "
        "une règle : aucun constat n'est porté sur les dossiers, le classement des dossiers au regard de "
        "l'enveloppe relève de l'instruction. Sans enveloppe dans la configuration de l'appel, la "
        "synthèse le dit."
    ),
    params=("history.envelope",),
    source=(
        "Enveloppe fixée par l'autorité de chaque appel (ARS ou CNSA) sur les crédits délégués par l'instruction "
        "de l'année (2024 : 71,5 M€ pour les appels régionaux et 15,2 M€ pour l'appel national, instruction "
        "n° DNS/DGCS/CNSA/2024/15 du 1er février 2024)"
    ),
)

CALL_FIGURES = (ENVELOPE,)


def envelope_status(envelope: float | None, source: str, requested_recevable: float) -> dict[str, Any]:
    """For the call summary: the envelope, what recevable dossiers request, the balance."""
    return {
        "envelope": envelope,
        "envelope_source": source,
        "amount_requested_recevable": round(requested_recevable, 2),
        "balance": None if envelope is None else round(envelope - requested_recevable, 2),
        "exceeded": None if envelope is None else requested_recevable > envelope,
    }
