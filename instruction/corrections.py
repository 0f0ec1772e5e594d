"""A request for corrections to a dossier's owner, and the corrected submission answering it.

The instructeur's request lists what the owner must fix (drafted from the report's active
findings an owner can fix, each editable or removable, plus free text) with a reply deadline;
it puts the dossier « En attente de correction » and is what the « demande de compléments »
letter of record and the Démarches simplifiées correction message (``teleservice.push``) say.

A later run that finds a different submission of the dossier (its sha256 changed: the owner
deposited again) answers the open request: marked answered, the dossier back « En
instruction »; the report then shows what changed since the request (``correction_changes``):
the points fixed, those still there and the new ones (by fingerprint, else by rule), the verdict
before and after (``reports.corrections``, applied whenever the report is written)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.french import date_long, iso, now_paris
from core.records import now
from core.report import DossierReport
from instruction.store import History, correction_requests
from instruction.workflow import DECIDED
from reports.corrections import correction_changes  # noqa: F401 - what a corrected submission changed

ANSWERED_BY = "esmsnum (dépôt corrigé)"
MAX_ITEMS = 50
MAX_ITEM = 2000


class CorrectionError(ValueError):
    """A correction request refused (French message): nothing was recorded."""


def proposed_items(report: DossierReport) -> list[dict[str, Any]]:
    """The points the request starts from: one per active finding an owner can fix."""
    from reports.letter import request_sentence, requested_findings  # the renderers: only when asked

    return [
        {"text": request_sentence(f), "rule": f.rule, "fingerprint": f.fingerprint} for f in requested_findings(report)
    ]


def latest_request(history: History, call_id: str, dossier: str) -> dict[str, Any] | None:
    rows = history.rows(correction_requests, call_id, dossier)
    return rows[-1] if rows else None


def open_request(history: History, call_id: str, dossier: str) -> dict[str, Any] | None:
    """The request still waiting for the owner's corrected submission, if any."""
    row = latest_request(history, call_id, dossier)
    return row if row and row["answered_at"] is None else None


def parse_deadline(text: str) -> dt.date:
    value = (text or "").strip()
    for form in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value, form).date()
        except ValueError:
            continue
    raise CorrectionError(f"Date limite de réponse invalide : « {value[:40]} » (attendu JJ/MM/AAAA).")


def request_correction(
    history: History,
    report: DossierReport,
    *,
    items: list[dict[str, Any]],
    free_text: str,
    deadline: str,
    author: str,
    expected_version: int,
    today: dt.date | None = None,
) -> int:
    """Record the request (``items``: text, rule, fingerprint of each point kept), put the
    dossier « En attente de correction »; the request's id. CorrectionError when refused."""
    call_id, dossier = report.call_id, report.dossier
    state = history.state(call_id, dossier)
    if state.status in DECIDED:
        raise CorrectionError("Le dossier est décidé : rouvrez-le avant de demander une correction.")
    if state.status == "en_attente_correction" or open_request(history, call_id, dossier):
        raise CorrectionError("Une demande de correction attend déjà la réponse du porteur.")
    day = parse_deadline(deadline)
    today = today or now_paris().date()
    if day < today:
        raise CorrectionError(
            f"La date limite de réponse du {date_long(day)} est passée : indiquez une date à partir du "
            f"{date_long(today)}."
        )
    kept = [
        {
            "text": " ".join(str(i.get("text") or "").split())[:MAX_ITEM],
            "rule": i.get("rule"),
            "fingerprint": i.get("fingerprint"),
        }
        for i in items[:MAX_ITEMS]
    ]
    kept = [i for i in kept if i["text"]]
    free_text = (free_text or "").strip()
    if not kept and not free_text:
        raise CorrectionError(
            "La demande ne contient aucun point à corriger : gardez au moins un point ou écrivez-en un."
        )
    snapshot = [{"fingerprint": f.fingerprint, "rule": f.rule, "message": f.message} for f in report.active_findings]
    return history.record_change(
        correction_requests,
        expected_version=expected_version,
        event=("demande_correction", {"deadline": day.isoformat(), "points": len(kept) + (1 if free_text else 0)}),
        fields={"status": "en_attente_correction"},
        call_id=call_id,
        dossier=dossier,
        items=kept,
        free_text=free_text or None,
        deadline=day,
        author=author,
        created_at=now(),
        verdict=report.verdict.value,
        submission_sha256=report.submission_sha256,
        findings=snapshot,
    )


def answer_corrections(history: History, call_id: str, submissions: dict[str, str]) -> list[str]:
    """The dossiers (number → submission sha256 of this run) whose open request the
    submission answers (a different one from the request's): marked answered, back « En
    instruction ». Returns the dossiers answered."""
    answered = []
    for row in history.rows(correction_requests, call_id):
        sha = submissions.get(row["dossier"])
        if row["answered_at"] is not None or not sha or sha == row["submission_sha256"]:
            continue
        history.answer_correction(row["id"], call_id, row["dossier"], sha, ANSWERED_BY, "en_instruction")
        answered.append(row["dossier"])
    return answered


def request_entry(row: dict[str, Any]) -> dict[str, Any]:
    """The request as the report carries it (``core.report.CorrectionRequest``)."""
    return {
        "id": row["id"],
        "items": row["items"],
        "free_text": row["free_text"],
        "deadline": row["deadline"],
        "author": row["author"],
        "requested_at": iso(row["created_at"]),
        "answered_at": iso(row["answered_at"]) if row["answered_at"] else None,
        "verdict_before": row["verdict"],
        "findings_before": row["findings"],
    }
