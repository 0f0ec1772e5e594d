"""LOT-03 — total requested by recevable dossiers versus the call's envelope."""

from __future__ import annotations

from typing import Any

from core.config import CallConfig
from validators.call_review import CallHits, Submission
from validators.registry import rule


def envelope_status(config: CallConfig, requested_recevable: float) -> dict[str, Any]:
    """For the call summary: the envelope, what recevable dossiers request, the balance."""
    envelope = config.history.envelope.value
    return {
        "envelope": envelope,
        "envelope_source": config.history.envelope.source,
        "amount_requested_recevable": round(requested_recevable, 2),
        "balance": None if envelope is None else round(envelope - requested_recevable, 2),
        "exceeded": None if envelope is None else requested_recevable > envelope,
    }


@rule(
    "LOT-03",
    title="Demandes recevables au regard de l'enveloppe",
    severity="alerte",
    params=("history.envelope",),
    source="seeds 003, 004 : enveloppes des appels",
    scope="call",
    example=("Les dossiers recevables demandent 3 912 400 € pour une enveloppe de 3 400 000 € (dépassement de "
             "512 400 €)."),
)
def check(submissions: list[Submission], config: CallConfig) -> CallHits:
    """Le total demandé par les dossiers recevables est comparé à l'enveloppe de l'appel, dans
    la synthèse de l'appel (pas de constat par dossier : le classement des dossiers relève de
    l'instruction)."""
    return iter(())
