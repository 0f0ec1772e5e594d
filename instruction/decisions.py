"""The décideur's decision on a dossier: accepted (with the amount granted, never above what
the report computed, lower only with a reason), refused (motivated) or classé sans suite
(motivated); and the reopening of a decided dossier. Each is a row of ``decisions`` and an
event of the chronology (author, date), recorded with the dossier's new status in one
transaction on the version the page showed (``Conflict`` otherwise). A transition that is not
allowed is refused with a French message (``DecisionError``); nothing is recorded then.

The notification letter of record follows the decision (``reports.letter.current_kind``)."""

from __future__ import annotations

import re
from typing import Any

from core.french import datetime_long, euros, iso
from core.records import now
from core.report import DossierReport
from instruction.store import History, decisions
from instruction.workflow import DECIDED, STATUSES, can, status_label

REOPEN = "reouverture"


class DecisionError(ValueError):
    """A decision refused (French message): nothing was recorded."""


def amount_ceiling(report: DossierReport) -> float | None:
    """The most a dossier may be granted: the eligible amount the report computed, else the
    amount requested (None: the report computed neither)."""
    if report.amount_eligible is not None:
        return float(report.amount_eligible)
    return float(report.amount_requested) if report.amount_requested is not None else None


def parse_amount(text: str) -> float:
    """« 12 500 », « 12 500,50 € », « 12500.5 » as a number; DecisionError otherwise."""
    value = re.sub(r"[\s\u00a0\u202f€]", "", text or "")
    if re.fullmatch(r"\d+([.,]\d{1,2})?", value) is None:
        raise DecisionError(
            f"Montant accordé invalide : « {(text or '').strip()[:40]} » (attendu par exemple 12 500,00)."
        )
    return float(value.replace(",", "."))


def latest_decision(history: History, call_id: str, dossier: str) -> dict[str, Any] | None:
    """The décideur's decision in force (None: undecided, or reopened since)."""
    rows = history.rows(decisions, call_id, dossier)
    return rows[-1] if rows and rows[-1]["outcome"] != REOPEN else None


def decide(
    history: History,
    report: DossierReport,
    *,
    outcome: str,
    author: str,
    role: str,
    expected_version: int,
    amount: str = "",
    amount_reason: str = "",
    motif: str = "",
) -> str:
    """Record the decision ``outcome`` (accepte, refuse, classe_sans_suite) and return what
    the page says; DecisionError when it is not allowed."""
    if not can(role, "decideur"):
        raise DecisionError("Seul un compte « décideur » peut décider d'un dossier.")
    if outcome not in DECIDED:
        raise DecisionError("Décision inconnue : rien n'a été enregistré.")
    call_id, dossier = report.call_id, report.dossier
    state = history.state(call_id, dossier)
    if state.status in DECIDED:
        done = latest_decision(history, call_id, dossier)
        by = f" par {done['author']} le {datetime_long(done['created_at'])}" if done else ""
        raise DecisionError(
            f"Le dossier est déjà « {status_label(state.status)} »{by} : rouvrez-le avant de décider de nouveau."
        )
    motif, amount_reason = (motif or "").strip(), (amount_reason or "").strip()
    granted = ceiling = None
    if outcome == "accepte":
        if report.verdict.value != "recevable":
            raise DecisionError(
                f"Un dossier « {report.verdict.label} » ne peut pas être accepté : seul un dossier recevable peut "
                "l'être. Levez d'abord les constats qui ne tiennent pas, demandez une correction, ou refusez-le."
            )
        if state.status == "en_attente_correction":
            raise DecisionError(
                "Une demande de correction est en attente de réponse : le dossier ne peut pas être accepté avant "
                "le dépôt corrigé."
            )
        ceiling = amount_ceiling(report)
        if ceiling is None:
            raise DecisionError("Le rapport ne calcule aucun montant demandé ni éligible : rien ne peut être accordé.")
        if not (amount or "").strip():
            raise DecisionError("Indiquez le montant accordé.")
        granted = parse_amount(amount)
        if granted <= 0:
            raise DecisionError("Le montant accordé doit être positif : pour ne rien accorder, refusez le dossier.")
        if granted > ceiling + 0.005:
            raise DecisionError(
                f"Le montant accordé ({euros(granted)}) dépasse le montant éligible calculé par le rapport "
                f"({euros(ceiling)}) : il ne peut pas être plus élevé."
            )
        if granted < ceiling - 0.005 and not amount_reason:
            raise DecisionError(
                f"Le montant accordé ({euros(granted)}) est inférieur au montant éligible ({euros(ceiling)}) : "
                "indiquez-en le motif, il figurera dans la notification."
            )
        if granted >= ceiling - 0.005:
            amount_reason = ""
    elif not motif:
        raise DecisionError(
            f"Indiquez le motif de la décision « {STATUSES[outcome]} » : il figurera dans la notification."
        )
    history.record_change(
        decisions,
        expected_version=expected_version,
        event=(
            "decision_finale",
            {"outcome": outcome, "amount": granted, "amount_reason": amount_reason or None, "motif": motif or None},
        ),
        fields={"status": outcome},
        call_id=call_id,
        dossier=dossier,
        outcome=outcome,
        amount=granted,
        amount_ceiling=ceiling,
        amount_reason=amount_reason or None,
        motif=motif or None,
        author=author,
        created_at=now(),
    )
    said = f"Décision enregistrée : {STATUSES[outcome]}"
    return said + (f", {euros(granted)} accordés." if granted is not None else ".")


def reopen(
    history: History, report: DossierReport, *, motif: str, author: str, role: str, expected_version: int
) -> str:
    """Reopen a decided dossier (back « En instruction »), with a motif."""
    if not can(role, "decideur"):
        raise DecisionError("Seul un compte « décideur » peut rouvrir un dossier.")
    call_id, dossier = report.call_id, report.dossier
    if history.state(call_id, dossier).status not in DECIDED:
        raise DecisionError("Le dossier n'est pas décidé : il n'y a rien à rouvrir.")
    motif = (motif or "").strip()
    if not motif:
        raise DecisionError("Indiquez pourquoi le dossier est rouvert : le motif reste dans la chronologie.")
    history.record_change(
        decisions,
        expected_version=expected_version,
        event=("decision_finale", {"outcome": REOPEN, "motif": motif}),
        fields={"status": "en_instruction"},
        call_id=call_id,
        dossier=dossier,
        outcome=REOPEN,
        motif=motif,
        author=author,
        created_at=now(),
    )
    return "Dossier rouvert : de nouveau « En instruction »."


def decision_entry(row: dict[str, Any]) -> dict[str, Any]:
    """The decision as the report carries it (``core.report.Decision``)."""
    return {
        "outcome": row["outcome"],
        "outcome_label": STATUSES.get(row["outcome"], row["outcome"]),
        "amount": row["amount"],
        "amount_ceiling": row["amount_ceiling"],
        "amount_reason": row["amount_reason"],
        "motif": row["motif"],
        "author": row["author"],
        "date": iso(row["created_at"]),
    }
