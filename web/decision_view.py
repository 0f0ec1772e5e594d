"""What the dossier page shows of the instruction's decisions, correction requests and
letters of record (``web/templates/_decision.html.j2``, ``_correction.html.j2``,
``_letter_versions.html.j2``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.french import now_paris
from core.records import DossierState
from core.report import DossierReport
from instruction.corrections import open_request, proposed_items
from instruction.decisions import amount_ceiling
from instruction.records import letter_history
from instruction.store import History
from instruction.workflow import DECIDED, STATUSES
from reports.letter import LETTER_KINDS, current_kind

OUTCOMES = [(code, STATUSES[code]) for code in DECIDED]


def decision_page(history: History, report: DossierReport, state: DossierState) -> dict[str, Any]:
    instruction = report.instruction
    kind = current_kind(report)
    versions = letter_history(history, report.call_id, report.dossier, kind) if kind else []
    request = open_request(history, report.call_id, report.dossier)
    latest = instruction.correction if instruction else None
    record = next((r for r in instruction.letters if r.kind == kind), None) if instruction and kind else None
    return {
        "decided": state.status in DECIDED,
        "decision": instruction.final_decision if instruction else None,
        "outcomes": OUTCOMES,
        "ceiling": amount_ceiling(report),
        "recevable": report.verdict.value == "recevable",
        "waiting": state.status == "en_attente_correction",
        "request": request,
        "latest_request": latest,
        "proposed": proposed_items(report),
        "default_deadline": (now_paris().date() + dt.timedelta(days=report.call_snapshot.letters.reply_days or 15)),
        "today": now_paris().date(),
        "letter_kind": kind,
        "letter_title": LETTER_KINDS[kind][0] if kind else None,
        "letter_versions": versions,
        "letter_record": record,
        "letter_stale": bool(versions and versions[0]["body"] and versions[0]["report_digest"] != report.digest),
    }
