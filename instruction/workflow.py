"""The vocabulary of the instruction of a dossier: statuses, the committee's groups (seed 004),
roles of accounts, and what a report keeps of a dossier's instruction."""

from __future__ import annotations

from typing import Any

from core.french import iso
from core.records import DossierState

# Where the instruction of a dossier stands (the states of Démarches simplifiées): a dossier
# is instructed, may wait for its owner's correction, then is decided by a décideur
# (``instruction.decisions``).
STATUSES = {
    "en_instruction": "En instruction",
    "en_attente_correction": "En attente de correction",
    "accepte": "Accepté",
    "refuse": "Refusé",
    "classe_sans_suite": "Classé sans suite",
}
# The statuses of databases written before the decisions, read as the new ones.
LEGACY_STATUSES = {
    "a_instruire": "en_instruction",
    "instruit": "en_instruction",
    "complements_demandes": "en_attente_correction",
}
# The statuses only a décideur's decision gives (``instruction.decisions``).
DECIDED = ("accepte", "refuse", "classe_sans_suite")
# The letter of record that notifies each decision (``reports.letter.KINDS``).
NOTIFICATION_KIND = {"accepte": "acceptation", "refuse": "refus", "classe_sans_suite": "classement"}


def status_code(code: str | None) -> str:
    """The status of ``code`` as today's vocabulary names it (an older database's mapped)."""
    if not code:
        return "en_instruction"
    return LEGACY_STATUSES.get(code, code)


def status_label(code: str | None) -> str:
    code = status_code(code)
    return STATUSES.get(code, code)


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


def instruction_of(state: DossierState | None, extra: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """What the report, the summary and the exports show of the instruction (None before any).
    ``extra``: the decision, correction request and letters of record of the dossier
    (``instruction.records.instruction_records``)."""
    if state is None or (state.version == 0 and state.letter_sent is None and not extra):
        return None
    return (extra or {}) | {
        "status": status_code(state.status),
        "status_label": status_label(state.status),
        "assignee": state.assignee,
        "decision": state.decision,
        "decision_label": decision_label(state.decision),
        "decision_motif": state.decision_motif,
        "decision_author": state.decision_author,
        "decision_date": iso(state.decision_at) if state.decision_at else None,
        "letter_sent": state.letter_sent,
        "letter_body": state.letter,
    }
