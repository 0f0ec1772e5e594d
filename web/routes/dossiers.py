"""The dossier page and what an instructeur does on it: lift one finding with a reason and undo
it, comment, change the status, assign, edit and download the letter; a decideur proposes the
decision. Every change names the version of the dossier it was made on: if someone changed the
dossier meanwhile, nothing is recorded and the page shows the dossier as it now is (409)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from core.french import date_long, verdict_label
from core.french import datetime_long as datetime_fr
from core.records import Conflict, now
from instruction.accounts import Account
from instruction.letters import SendingError, parse_day, record_sending
from instruction.rerender import apply_instruction
from instruction.timeline import dossier_timeline
from instruction.waivers import WaiverError, unwaive_finding, waive_finding
from instruction.workflow import DECISIONS, STATUSES, decision_label, decision_refusal
from web.dossier_view import dossier_page
from web.letters import docx_of
from web.routes.calls import assignable
from web.routes.common import (
    MAX_COMMENT,
    MAX_LETTER,
    MAX_MOTIF,
    Decideur,
    Instructeur,
    back_to,
    call_site,
    clip,
    flash,
    known_dossier,
    output_file,
    page,
    report_headers,
)
from web.workspace import CallSite, NotFound

router = APIRouter()
BASE = "/appels/{call}/dossiers/{dossier}"


def _site(request: Request, call: str, dossier: str) -> tuple[CallSite, str]:
    site = call_site(request, call)
    return site, known_dossier(site, dossier)


def _url(site: CallSite, dossier: str, anchor: str = "") -> str:
    return f"/appels/{site.call_id}/dossiers/{dossier}" + (f"#{anchor}" if anchor else "")


def _show(request: Request, site: CallSite, dossier: str, status_code: int = 200, **extra) -> HTMLResponse:
    report = site.report(dossier)
    history = site.history
    data = dossier_page(
        report,
        history.state(site.call_id, dossier),
        dossier_timeline(history, site.call_id, dossier),
        [e for e in history.events(site.call_id, dossier) if e.kind == "commentaire"],
        assignable(request),
    )
    return page(
        request,
        "dossier.html.j2",
        status_code,
        site=site,
        dossier=dossier,
        d=data,
        statuses=list(STATUSES.items()),
        decisions=list(DECISIONS.items()),
        conflict=None,
        **extra,
    )


def _conflict(request: Request, site: CallSite, dossier: str, exc: Conflict, what: str) -> HTMLResponse:
    state = exc.state
    who = state.updated_by or "un autre compte"
    when = datetime_fr(state.updated_at) if state.updated_at else "entre-temps"
    message = (
        f"{who} a modifié ce dossier le {when}, pendant que vous le consultiez : votre modification "
        f"({what}) n'a pas été enregistrée. Le dossier est affiché tel qu'il est maintenant ; "
        "refaites votre modification si elle est toujours utile."
    )
    return _show(request, site, dossier, 409, conflict_message=message)


def _version(value: str) -> int:
    if not value.isdigit():
        raise NotFound("version")
    return int(value)


@router.get(BASE)
def dossier(request: Request, call: str, dossier: str):
    site, dossier = _site(request, call, dossier)
    return _show(request, site, dossier, conflict_message=None)


class WaiverForm(BaseModel):
    """The form that lifts a finding or undoes its lift (other fields, the CSRF token, ignored)."""

    empreinte: str = ""  # the finding's fingerprint
    motif: str = ""
    version: str = ""  # the dossier's version the page showed


@dataclass(frozen=True)
class WaiverChange:
    """Lifting a finding or undoing its lift, as the dossier page asks for it."""

    record: Callable[..., tuple[str, str]]  # ``instruction.waivers`` function: (verdict before, after)
    what: str  # named in the conflict page
    refused_anchor: str  # where the page goes back when refused
    done: str  # the message when recorded
    done_anchor: str
    missing_motif: str = ""  # when a reason is required: the message if there is none

    def apply(self, request: Request, site: CallSite, dossier: str, account: Account, form: WaiverForm) -> Response:
        motif = clip(form.motif, MAX_MOTIF)
        if self.missing_motif and not motif:
            flash(request, self.missing_motif, "error")
            return back_to(_url(site, dossier, self.refused_anchor))
        with site.writing():
            try:
                before, after = self.record(
                    site.out_dir,
                    site.report(dossier),
                    form.empreinte,
                    motif,
                    account.name,
                    site.history,
                    expected_version=_version(form.version),
                )
            except Conflict as exc:
                return _conflict(request, site, dossier, exc, self.what)
            except WaiverError as exc:
                flash(request, str(exc), "error")
                return back_to(_url(site, dossier, self.refused_anchor))
        flash(request, f"{self.done} Verdict : {verdict_label(before)} → {verdict_label(after)}.")
        return back_to(_url(site, dossier, self.done_anchor))


def _waiver_route(path: str, name: str, change: WaiverChange) -> None:
    @router.post(BASE + path, name=name)
    def waiver(
        request: Request, account: Instructeur, call: str, dossier: str, form: Annotated[WaiverForm, Form()]
    ) -> Response:
        site, dossier = _site(request, call, dossier)
        return change.apply(request, site, dossier, account, form)


LIFT = WaiverChange(
    waive_finding,
    "levée d'un constat",
    "constats",
    "Constat levé.",
    "leves",
    missing_motif="Indiquez le motif de la levée : il sera lu par les autres instructeurs.",
)
UNLIFT = WaiverChange(
    unwaive_finding, "annulation d'une levée", "leves", "Levée annulée : le constat compte de nouveau.", "constats"
)
_waiver_route("/lever", "lift", LIFT)
_waiver_route("/annuler-levee", "unlift", UNLIFT)


@router.post(BASE + "/commentaires")
def comment(request: Request, account: Instructeur, call: str, dossier: str, texte: str = Form("")):
    site, dossier = _site(request, call, dossier)
    text = clip(texte, MAX_COMMENT)
    if not text:
        flash(request, "Le commentaire est vide : rien n'a été enregistré.", "error")
    else:
        site.history.comment(site.call_id, dossier, account.name, text)
        flash(request, "Commentaire ajouté (visible par l'équipe, jamais par le porteur).")
    return back_to(_url(site, dossier, "commentaires"))


def _change(
    request: Request,
    site: CallSite,
    dossier: str,
    account: Account,
    version: str,
    what: str,
    kind: str,
    data: dict,
    *,
    done: str,
    anchor: str = "",
    rewrite: bool = True,
    **fields,
) -> Response:
    """Record a change of the instruction and (``rewrite``) the report and summary that show
    it, then go back to the dossier (at ``anchor``) saying ``done``; the conflict page if the
    dossier moved."""
    with site.writing():
        try:
            site.history.change(
                site.call_id,
                dossier,
                expected_version=_version(version),
                author=account.name,
                kind=kind,
                data=data,
                **fields,
            )
        except Conflict as exc:
            return _conflict(request, site, dossier, exc, what)
        if rewrite:
            apply_instruction(site.out_dir, site.report(dossier), site.history)
    flash(request, done)
    return back_to(_url(site, dossier, anchor))


@router.post(BASE + "/statut")
def set_status(
    request: Request, account: Instructeur, call: str, dossier: str, statut: str = Form(""), version: str = Form("")
):
    site, dossier = _site(request, call, dossier)
    if statut not in STATUSES:
        flash(request, "Statut inconnu : rien n'a été enregistré.", "error")
        return back_to(_url(site, dossier))
    before = site.history.state(site.call_id, dossier).status
    return _change(
        request,
        site,
        dossier,
        account,
        version,
        "changement de statut",
        "statut",
        {"before": before, "after": statut},
        status=statut,
        done=f"Statut : {STATUSES[statut]}.",
    )


@router.post(BASE + "/attribution")
def assign(
    request: Request,
    account: Instructeur,
    call: str,
    dossier: str,
    instructeur: str = Form(""),
    version: str = Form(""),
):
    site, dossier = _site(request, call, dossier)
    target = instructeur.strip() or None
    if target and target not in {a.name for a in assignable(request)}:
        flash(request, "Instructeur inconnu ou désactivé : rien n'a été enregistré.", "error")
        return back_to(_url(site, dossier))
    before = site.history.state(site.call_id, dossier).assignee
    return _change(
        request,
        site,
        dossier,
        account,
        version,
        "attribution",
        "attribution",
        {"before": before, "after": target},
        assignee=target,
        done=f"Dossier attribué à {target}." if target else "Attribution retirée.",
    )


@router.post(BASE + "/decision")
def decide(
    request: Request,
    account: Decideur,
    call: str,
    dossier: str,
    groupe: str = Form(""),
    motif: str = Form(""),
    version: str = Form(""),
):
    site, dossier = _site(request, call, dossier)
    motif = clip(motif, MAX_MOTIF)
    code = groupe.strip() or None
    if code is not None and code not in DECISIONS:
        flash(request, "Groupe inconnu : rien n'a été enregistré.", "error")
        return back_to(_url(site, dossier, "decision"))
    if code and not motif:
        flash(request, "Indiquez le motif de la décision proposée : le comité le lira.", "error")
        return back_to(_url(site, dossier, "decision"))
    if code and (why := decision_refusal(code, site.report(dossier).verdict.value)):
        flash(request, why, "error")
        return back_to(_url(site, dossier, "decision"))
    before = site.history.state(site.call_id, dossier).decision
    return _change(
        request,
        site,
        dossier,
        account,
        version,
        "décision proposée",
        "decision",
        {"before": before, "after": code, "motif": motif},
        decision=code,
        decision_motif=motif or None,
        decision_author=account.name if code else None,
        decision_at=now() if code else None,
        done=f"Décision proposée : {decision_label(code)}." if code else "Décision proposée retirée.",
        anchor="decision",
    )


@router.post(BASE + "/courrier")
def save_letter(
    request: Request,
    account: Instructeur,
    call: str,
    dossier: str,
    texte: str = Form(""),
    action: str = Form("enregistrer"),
    version: str = Form(""),
):
    site, dossier = _site(request, call, dossier)
    report = site.report(dossier)
    text = None if action == "reinitialiser" else clip(texte.replace("\r\n", "\n"), MAX_LETTER) or None
    return _change(
        request,
        site,
        dossier,
        account,
        version,
        "modification du courrier",
        "courrier",
        {"reset": text is None},
        letter=text,
        letter_digest=report.digest if text else None,
        letter_author=account.name,
        letter_at=now(),
        done="Courrier enregistré." if text else "Courrier remis à sa version générée.",
        anchor="courrier",
    )


@router.post(BASE + "/courrier/envoi")
def letter_sent(request: Request, account: Instructeur, call: str, dossier: str, date: str = Form("")):
    """The day the letter was sent: checked, recorded (chronology, re-runs), the letter, the
    report and the summary written again with it."""
    site, dossier = _site(request, call, dossier)
    try:
        day = parse_day(date, iso_ok=True)
        with site.writing():
            record_sending(site.out_dir, site.report(dossier), site.history, day, account.name)
    except SendingError as exc:
        flash(request, str(exc), "error")
        return back_to(_url(site, dossier, "courrier"))
    flash(request, f"Date d'envoi du courrier enregistrée : {date_long(day)}.")
    return back_to(_url(site, dossier, "courrier"))


@router.get(BASE + "/courrier.docx")
def letter_docx(request: Request, call: str, dossier: str):
    site, dossier = _site(request, call, dossier)
    data = docx_of(site.report(dossier), site.history.state(site.call_id, dossier).letter)
    if data is None:
        raise NotFound("courrier")
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={"Content-Disposition": f'attachment; filename="courrier-{dossier}.docx"'},
    )


@router.get(BASE + "/rapport")
def printable_report(request: Request, call: str, dossier: str):
    """The static report as ``esmsnum analyser`` wrote it (for printing), with its own policy:
    its style is inline, nothing else is allowed. Its relative links reach the routes beside
    it: « courrier.pdf », « courrier.docx » (the letter as it stands), « ../regles.html »."""
    site, dossier = _site(request, call, dossier)
    path = output_file(site.report_dir(dossier), "report.html", site.out_dir)
    return HTMLResponse(path.read_text(encoding="utf-8"), headers=report_headers())


@router.get(BASE + "/courrier.pdf")
def letter_pdf_file(request: Request, call: str, dossier: str):
    """The letter's PDF as the analysis wrote it, as a download."""
    site, dossier = _site(request, call, dossier)
    path = output_file(site.report_dir(dossier), "courrier.pdf", site.out_dir)
    headers = report_headers() | {"Content-Disposition": f'attachment; filename="courrier-{dossier}.pdf"'}
    return Response(path.read_bytes(), media_type="application/pdf", headers=headers)
