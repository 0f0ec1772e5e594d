"""The décideur's decision on a dossier (accept with the amount granted, refuse, classer sans
suite) and its reopening; the instructeur's correction request. Each names the dossier's
version the page showed (409 with the dossier as it now is when someone changed it); a
transition not allowed is refused with its French reason and nothing is recorded. The report,
the letters of record and the summary are written again with the change."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from core.records import Conflict
from instruction.corrections import CorrectionError, request_correction
from instruction.decisions import DecisionError, decide, reopen
from instruction.rerender import apply_instruction
from instruction.workflow import DECIDED
from web.routes.common import MAX_MOTIF, Decideur, Instructeur, clip
from web.routes.dossiers import BASE, Target, _version

router = APIRouter()
MAX_POINTS = 50


@router.post(BASE + "/decision-finale")
def final_decision(
    account: Decideur,
    target: Target,
    issue: str = Form(""),
    montant: str = Form(""),
    motif_montant: str = Form(""),
    motif: str = Form(""),
    version: str = Form(""),
) -> Response:
    """Accept (amount granted, its reason when lower), refuse or classer sans suite."""
    site = target.site
    if issue not in DECIDED:
        return target.refuse("Choisissez la décision : acceptation, refus ou classement sans suite.", "decision-finale")
    with site.writing():
        report = site.report(target.dossier)
        try:
            done = decide(
                site.history,
                report,
                outcome=issue,
                amount=clip(montant, 40),
                amount_reason=clip(motif_montant, MAX_MOTIF),
                motif=clip(motif, MAX_MOTIF),
                author=account.name,
                role=account.role,
                expected_version=_version(version),
            )
        except Conflict as exc:
            return target.conflict(exc, "décision")
        except DecisionError as exc:
            return target.refuse(str(exc), "decision-finale")
        apply_instruction(site.out_dir, report, site.history)
    return target.back(done + " La notification est prête dans « Courrier au porteur ».", "decision-finale")


@router.post(BASE + "/reouverture")
def reopen_dossier(account: Decideur, target: Target, motif: str = Form(""), version: str = Form("")) -> Response:
    site = target.site
    with site.writing():
        report = site.report(target.dossier)
        try:
            done = reopen(
                site.history,
                report,
                motif=clip(motif, MAX_MOTIF),
                author=account.name,
                role=account.role,
                expected_version=_version(version),
            )
        except Conflict as exc:
            return target.conflict(exc, "réouverture")
        except DecisionError as exc:
            return target.refuse(str(exc), "decision-finale")
        apply_instruction(site.out_dir, report, site.history)
    return target.back(done, "decision-finale")


@router.post(BASE + "/demande-correction")
async def correction_request(account: Instructeur, target: Target, request: Request) -> Response:
    """The points kept (``point-N`` with its ``regle-N`` and ``empreinte-N``; a point left
    empty or unticked in ``garder-N`` is removed), the free text and the reply deadline."""
    form = await request.form()
    items = []
    for n in range(MAX_POINTS):
        text = form.get(f"point-{n}")
        if text is None:
            continue
        if form.get(f"garder-{n}") is None:
            continue
        items.append(
            {
                "text": clip(str(text), MAX_MOTIF),
                "rule": clip(str(form.get(f"regle-{n}") or ""), 20) or None,
                "fingerprint": clip(str(form.get(f"empreinte-{n}") or ""), 64) or None,
            }
        )
    site = target.site
    with site.writing():
        report = site.report(target.dossier)
        try:
            request_correction(
                site.history,
                report,
                items=items,
                free_text=clip(str(form.get("texte_libre") or ""), MAX_MOTIF),
                deadline=str(form.get("date_limite") or ""),
                author=account.name,
                expected_version=_version(str(form.get("version") or "")),
            )
        except Conflict as exc:
            return target.conflict(exc, "demande de correction")
        except CorrectionError as exc:
            return target.refuse(str(exc), "demande-correction")
        apply_instruction(site.out_dir, report, site.history)
    return target.back(
        "Correction demandée : le dossier est « En attente de correction », la demande de compléments est prête "
        "dans « Courrier au porteur ».",
        "demande-correction",
    )
