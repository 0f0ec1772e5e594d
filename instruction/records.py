"""The letters of record of a dossier (one per kind: demande de compléments, irrecevabilité,
notification d'acceptation, de refus, de classement sans suite), each saved version kept with
its author and date; and what the report carries of the instruction beyond the dossier's
state (``instruction_records``: the decision, the latest correction request, the letters of
record with their sending dates), which ``instruction.workflow.instruction_of`` adds."""

from __future__ import annotations

from typing import Any

from core.french import iso
from core.records import now
from core.report import DossierReport
from instruction.corrections import request_entry
from instruction.decisions import REOPEN, decision_entry
from instruction.store import History, correction_requests, decisions, letter_versions
from instruction.workflow import instruction_of


class LetterError(ValueError):
    """A letter version refused (French message)."""


def save_letter_version(
    history: History,
    report: DossierReport,
    kind: str,
    body: str | None,
    author: str,
    *,
    expected_version: int,
) -> int:
    """A new version of the letter of ``kind`` (``body`` None: back to the drafted text)."""
    from reports.letter import LETTER_KINDS  # the renderers: imported when a letter is saved

    if kind not in LETTER_KINDS:
        raise LetterError("Courrier inconnu : rien n'a été enregistré.")
    return history.record_change(
        letter_versions,
        expected_version=expected_version,
        event=("courrier", {"letter_kind": kind, "reset": body is None}),
        call_id=report.call_id,
        dossier=report.dossier,
        kind=kind,
        body=body,
        author=author,
        created_at=now(),
        report_digest=report.digest,
    )


def letter_history(history: History, call_id: str, dossier: str, kind: str) -> list[dict[str, Any]]:
    """The saved versions of the letter of ``kind``, newest first (``number``: 1 the oldest)."""
    rows = [r for r in history.rows(letter_versions, call_id, dossier) if r["kind"] == kind]
    for number, row in enumerate(rows, start=1):
        row["number"] = number
    return list(reversed(rows))


def instruction_records(history: History, call_id: str, dossier: str | None = None) -> dict[str, dict[str, Any]]:
    """Per dossier of the call (or the one ``dossier``): ``final_decision``, ``correction``
    and ``letters`` as ``core.report.Instruction`` holds them (dossiers with none left out)."""
    out: dict[str, dict[str, Any]] = {}
    for row in history.rows(decisions, call_id, dossier):
        entry = out.setdefault(row["dossier"], {})
        entry["final_decision"] = None if row["outcome"] == REOPEN else decision_entry(row)
    for row in history.rows(correction_requests, call_id, dossier):
        out.setdefault(row["dossier"], {})["correction"] = request_entry(row)
    letters: dict[str, dict[str, dict[str, Any]]] = {}
    for row in history.rows(letter_versions, call_id, dossier):
        record = letters.setdefault(row["dossier"], {}).setdefault(row["kind"], {"kind": row["kind"], "version": 0})
        record |= {"body": row["body"], "author": row["author"], "saved_at": iso(row["created_at"])}
        record["version"] += 1
    sendings = history.sendings_by_kind(call_id, dossier)
    if not letters and not sendings:
        return out
    from reports.letter import LETTER_KINDS  # only where there are letters of record

    for (numero, kind), day in sendings.items():
        if kind in LETTER_KINDS:
            letters.setdefault(numero, {}).setdefault(kind, {"kind": kind, "version": 0})["sent"] = day
    for numero, kinds in letters.items():
        out.setdefault(numero, {})["letters"] = [
            record | {"title": LETTER_KINDS[kind][0]} for kind, record in kinds.items() if kind in LETTER_KINDS
        ]
    return out


def instruction_for(history: History, call_id: str, dossier: str) -> dict[str, Any] | None:
    """What the report carries of the dossier's instruction (``instruction_of``, with its records)."""
    return instruction_of(history.state(call_id, dossier), instruction_records(history, call_id, dossier).get(dossier))
