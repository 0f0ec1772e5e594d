"""The vocabulary of the instruction of a dossier: statuses, the committee's groups (seed 004),
roles of accounts, and what a report keeps of a dossier's instruction."""

from __future__ import annotations

from typing import Any

from core.french import iso
from core.records import DossierState

# Where the instruction of a dossier stands (the habits of Démarches simplifiées).
STATUSES = {
    "a_instruire": "À instruire",
    "en_instruction": "En instruction",
    "complements_demandes": "Compléments demandés",
    "instruit": "Instruit",
}

# The four groups of projects of the 2021 instruction (seed 004: « La phase d'analyse des
# dossiers a permis de déterminer 4 groupes de projets »).
DECISIONS = {
    "A": "Proposé au financement",
    "B": "Recevable, non proposé",
    "C": "À retravailler",
    "D": "Non recevable",
}
DECISIONS_FOR_RECEVABLE = ("A", "B")  # a dossier must be recevable to be in these groups

ROLES = {
    "instructeur": "Instructeur",
    "decideur": "Décideur",
    "lecture": "Lecture seule",
    "expert": "Expert",  # sees only the dossiers whose avis is asked of it, gives that avis (instruction.experts)
}
ROLE_RANK = {"lecture": 0, "instructeur": 1, "decideur": 2}


def can(role: str, needed: str) -> bool:
    """A decideur can do what an instructeur can; lecture and expert change nothing of the
    instruction (an expert only gives the avis asked of it)."""
    return ROLE_RANK.get(role, -1) >= ROLE_RANK[needed]


def decision_label(code: str | None) -> str | None:
    return f"{code} — {DECISIONS[code]}" if code in DECISIONS else None


def decision_refusal(code: str, verdict: str) -> str | None:
    """Why a group cannot be given to a dossier of this verdict (French), or None."""
    if code in DECISIONS_FOR_RECEVABLE and verdict != "recevable":
        return (
            f"Le groupe {decision_label(code)} est réservé aux dossiers recevables : ce dossier est "
            f"« {_verdict_label(verdict)} ». Levez d'abord les constats qui ne tiennent pas, ou choisissez "
            "le groupe C ou D."
        )
    return None


def _verdict_label(verdict: str) -> str:
    return {"recevable": "Recevable", "a_completer": "À compléter", "non_recevable": "Non recevable"}.get(
        verdict, verdict
    )


def instruction_of(state: DossierState | None) -> dict[str, Any] | None:
    """What the report, the summary and the exports show of the instruction (None before any)."""
    if state is None or (state.version == 0 and state.letter_sent is None):
        return None
    return {
        "status": state.status,
        "status_label": STATUSES.get(state.status, state.status),
        "assignee": state.assignee,
        "decision": state.decision,
        "decision_label": decision_label(state.decision),
        "decision_motif": state.decision_motif,
        "decision_author": state.decision_author,
        "decision_date": iso(state.decision_at) if state.decision_at else None,
        "letter_sent": state.letter_sent,
        "letter_body": state.letter,
    }
