"""The dossier page's data: the report's findings (open, then lifted) with what a lift or its
undoing needs, the instruction, the letter, the comments and the timeline."""

from __future__ import annotations

from typing import Any

from core.records import DossierState, Event
from core.report import DossierReport
from instruction.accounts import Account
from instruction.timeline import Entry
from instruction.workflow import STATUSES, decision_label
from reports.piece_copies import piece_rows
from reports.pieces import pieces_checklist, pieces_summary
from reports.view import SEVERITY_RANK, finding_view, report_view
from web.letters import current_letter, letterhead


def findings(report: DossierReport) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(open findings, most severe first; lifted findings), each with its fingerprint."""
    open_, lifted = [], []
    ranked = sorted(enumerate(report.findings), key=lambda p: (p[1].severity.rank, p[0]))
    for _, f in ranked:
        view = finding_view(f) | {"fingerprint": f.fingerprint, "location": f.location}
        (lifted if f.waiver is not None else open_).append(view)
    for number, view in enumerate(open_, start=1):
        view["number"] = number
    return open_, lifted


def dossier_page(
    report: DossierReport, state: DossierState, timeline: list[Entry], comments: list[Event], assignees: list[Account]
) -> dict[str, Any]:
    open_, lifted = findings(report)
    letter = current_letter(report)
    counts = {s: sum(1 for f in open_ if f["severity"] == s) for s in SEVERITY_RANK}
    return {
        "report": report,
        "summary": report_view(report),
        "open": open_,
        "lifted": lifted,
        "counts": counts,
        "state": state,
        "status_label": STATUSES.get(state.status, state.status),
        "decision_label": decision_label(state.decision),
        "timeline": list(reversed(timeline)),  # newest first
        "comments": list(reversed(comments)),
        "assignees": assignees,
        "pieces": (pieces := pieces_checklist(report)),
        "pieces_summary": pieces_summary(pieces) if pieces else None,
        "kept": piece_rows(report, base=""),  # the copies kept by the run, linked by name (web.routes.pieces)
        "letter": letter,
        "letterhead": letterhead(report) if letter else None,
        "letter_edited": bool(letter and letterhead(report).get("edited")),
        "instruction": report.instruction,
    }
