"""The dossier page and what an instructeur does on it: lift one finding with a reason and undo
it, comment, change the status, assign, edit and download the letter; a decideur proposes the
decision. Every change names the version of the dossier it was made on: if someone changed the
dossier meanwhile, nothing is recorded and the page shows the dossier as it now is (409)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from core.french import date_long, verdict_label
from core.french import datetime_long as datetime_fr
from core.records import Conflict, DossierState, now
from instruction.accounts import Account
from instruction.letters import SendingError, parse_day, record_sending
from instruction.records import save_letter_version
from instruction.rerender import apply_instruction
from instruction.timeline import dossier_timeline
from instruction.waivers import WaiverError, unwaive_finding, waive_finding
from instruction.workflow import DECIDED, DECISIONS, STATUSES, decision_label, decision_refusal, status_code
from reports.letter import current_kind
from web import notify
from web.decision_view import decision_page
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
    output_file,
    page,
    report_headers,
    visible_dossier,
)
from web.scope import reaches
from web.team_view import dossier_extras, team_comments, team_entries, team_timeline
from web.workspace import CallSite, NotFound

router = APIRouter()
BASE = "/appels/{call}/dossiers/{dossier}"


@dataclass(frozen=True)
class Opened:
    """The dossier a route is asked about (404 for an unknown call or dossier), and what
    every route does with it: show it, go back to it, record a change of its instruction."""

    request: Request
    site: CallSite
    dossier: str

    def url(self, anchor: str = "") -> str:
        return f"/appels/{self.site.call_id}/dossiers/{self.dossier}" + (f"#{anchor}" if anchor else "")

    def back(self, message: str, anchor: str = "") -> Response:
        """Back to the dossier (at ``anchor``) saying ``message``."""
        flash(self.request, message)
        return back_to(self.url(anchor))

    def refuse(self, message: str, anchor: str = "") -> Response:
        """Back to the dossier (at ``anchor``) saying why nothing was recorded."""
        flash(self.request, message, "error")
        return back_to(self.url(anchor))

    def state(self) -> DossierState:
        return self.site.history.state(self.site.call_id, self.dossier)

    def show(self, status_code: int = 200, **extra) -> HTMLResponse:
        site, dossier, history = self.site, self.dossier, self.site.history
        data = dossier_page(
            site.report(dossier),
            self.state(),
            sorted(
                team_timeline(self.request, dossier_timeline(history, site.call_id, dossier))
                + team_entries(self.request, site, dossier),
                key=lambda e: e.when,
            ),
            team_comments(self.request, [e for e in history.events(site.call_id, dossier) if e.kind == "commentaire"]),
            [a for a in assignable(self.request) if reaches(self.request, a.name, site, dossier)],
        )
        return page(
            self.request,
            "dossier.html.j2",
            status_code,
            site=site,
            dossier=dossier,
            d=data,
            statuses=[(code, label) for code, label in STATUSES.items() if code not in DECIDED],
            decisions=list(DECISIONS.items()),
            dec=decision_page(history, data["report"], data["state"]),
            conflict=None,
            team=dossier_extras(self.request, site, dossier),
            **extra,
        )

    def conflict(self, exc: Conflict, what: str) -> HTMLResponse:
        state = exc.state
        who = state.updated_by or "un autre compte"
        when = datetime_fr(state.updated_at) if state.updated_at else "entre-temps"
        message = (
            f"{who} a modifié ce dossier le {when}, pendant que vous le consultiez : votre modification "
            f"({what}) n'a pas été enregistrée. Le dossier est affiché tel qu'il est maintenant ; "
            "refaites votre modification si elle est toujours utile."
        )
        return self.show(409, conflict_message=message)

    def change(
        self,
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
        """Record a change of the instruction and (``rewrite``) the report and summary that
        show it, then go back to the dossier (at ``anchor``) saying ``done``; the conflict page
        if the dossier moved."""
        site = self.site
        with site.writing():
            try:
                site.history.change(
                    site.call_id,
                    self.dossier,
                    expected_version=_version(version),
                    author=account.name,
                    kind=kind,
                    data=data,
                    **fields,
                )
            except Conflict as exc:
                return self.conflict(exc, what)
            if rewrite:
                apply_instruction(site.out_dir, site.report(self.dossier), site.history)
        return self.back(done, anchor)

    def set_field(
        self, account: Account, version: str, what: str, kind: str, field: str, value: str | None, *, done: str
    ) -> Response:
        """Change one field of the dossier's instruction (``status``, ``assignee``): the event
        keeps what it was and what it becomes."""
        before = getattr(self.state(), field)
        return self.change(
            account, version, what, kind, {"before": before, "after": value}, done=done, **{field: value}
        )


def _opened(request: Request, call: str, dossier: str) -> Opened:
    site = call_site(request, call)
    return Opened(request, site, visible_dossier(request, site, dossier))


#: The dossier of the route's path. After the account in a route's parameters: the role is
#: checked first (403), then the dossier looked up (404).
Target = Annotated[Opened, Depends(_opened)]


def _version(value: str) -> int:
    if not value.isdigit():
        raise NotFound("version")
    return int(value)


@router.get(BASE)
def dossier(target: Target):
    return target.show(conflict_message=None)


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

    def apply(self, target: Opened, account: Account, form: WaiverForm) -> Response:
        motif = clip(form.motif, MAX_MOTIF)
        if self.missing_motif and not motif:
            return target.refuse(self.missing_motif, self.refused_anchor)
        site = target.site
        with site.writing():
            try:
                before, after = self.record(
                    site.out_dir,
                    site.report(target.dossier),
                    form.empreinte,
                    motif,
                    account.name,
                    site.history,
                    expected_version=_version(form.version),
                )
            except Conflict as exc:
                return target.conflict(exc, self.what)
            except WaiverError as exc:
                return target.refuse(str(exc), self.refused_anchor)
        return target.back(f"{self.done} Verdict : {verdict_label(before)} → {verdict_label(after)}.", self.done_anchor)


def _waiver_route(path: str, name: str, change: WaiverChange) -> None:
    """The POST route ``BASE + path`` (an instructeur's) that records ``change`` for the finding
    of the form."""

    @router.post(BASE + path, name=name)
    def waiver(account: Instructeur, target: Target, form: Annotated[WaiverForm, Form()]) -> Response:
        return change.apply(target, account, form)


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
def comment(account: Instructeur, target: Target, texte: str = Form("")):
    text = clip(texte, MAX_COMMENT)
    if not text:
        return target.refuse("Le commentaire est vide : rien n'a été enregistré.", "commentaires")
    target.site.history.comment(target.site.call_id, target.dossier, account.name, text)
    return target.back("Commentaire ajouté (visible par l'équipe, jamais par le porteur).", "commentaires")


@router.post(BASE + "/statut")
def set_status(account: Instructeur, target: Target, statut: str = Form(""), version: str = Form("")):
    statut = status_code(statut)
    if statut not in STATUSES:
        return target.refuse("Statut inconnu : rien n'a été enregistré.")
    if statut in DECIDED or target.state().status in DECIDED:
        return target.refuse(
            "Accepté, refusé, classé sans suite : c'est la décision d'un compte « décideur » (formulaire « Décision »), "
            "et un dossier décidé se rouvre par ce même formulaire. Rien n'a été enregistré."
        )
    done = f"Statut : {STATUSES[statut]}."
    return target.set_field(account, version, "changement de statut", "statut", "status", statut, done=done)


@router.post(BASE + "/attribution")
def assign(account: Instructeur, target: Target, instructeur: str = Form(""), version: str = Form("")):
    chosen = instructeur.strip() or None
    if chosen and chosen not in {a.name for a in assignable(target.request)}:
        return target.refuse("Instructeur inconnu ou désactivé : rien n'a été enregistré.")
    if chosen and not reaches(target.request, chosen, target.site, target.dossier):
        return target.refuse(
            f"Ce dossier n'est dans le périmètre d'aucun groupe instructeur de {chosen} : rien n'a été enregistré."
        )
    done = f"Dossier attribué à {chosen}." if chosen else "Attribution retirée."
    response = target.set_field(account, version, "attribution", "attribution", "assignee", chosen, done=done)
    if response.status_code == 303:  # recorded (a conflict is shown as the dossier's page)
        notify.assigned(target.request, target.site, chosen, [target.dossier], account.name)
    return response


@router.post(BASE + "/decision")
def decide(account: Decideur, target: Target, groupe: str = Form(""), motif: str = Form(""), version: str = Form("")):
    motif = clip(motif, MAX_MOTIF)
    code = groupe.strip() or None
    if code is not None and code not in DECISIONS:
        return target.refuse("Groupe inconnu : rien n'a été enregistré.", "decision")
    if code and not motif:
        return target.refuse("Indiquez le motif de la décision proposée : le comité le lira.", "decision")
    if code and (why := decision_refusal(code, target.site.report(target.dossier).verdict.value)):
        return target.refuse(why, "decision")
    return target.change(
        account,
        version,
        "décision proposée",
        "decision",
        {"before": target.state().decision, "after": code, "motif": motif},
        decision=code,
        decision_motif=motif or None,
        decision_author=account.name if code else None,
        decision_at=now() if code else None,
        done=f"Décision proposée : {decision_label(code)}." if code else "Décision proposée retirée.",
        anchor="decision",
    )


@router.post(BASE + "/courrier")
def save_letter(
    account: Instructeur,
    target: Target,
    texte: str = Form(""),
    action: str = Form("enregistrer"),
    version: str = Form(""),
):
    """A new version of the dossier's current letter of record (``reinitialiser``: back to
    the drafted text, itself a version), the report and its letter files written again."""
    site = target.site
    text = None if action == "reinitialiser" else clip(texte.replace("\r\n", "\n"), MAX_LETTER) or None
    with site.writing():
        report = site.report(target.dossier)
        kind = current_kind(report)
        if kind is None:
            return target.refuse("Ce dossier n'a pas de courrier à écrire : rien n'a été enregistré.", "courrier")
        try:
            save_letter_version(site.history, report, kind, text, account.name, expected_version=_version(version))
        except Conflict as exc:
            return target.conflict(exc, "modification du courrier")
        apply_instruction(site.out_dir, report, site.history)
    return target.back(
        "Courrier enregistré (nouvelle version)." if text else "Courrier remis à sa version générée.", "courrier"
    )


@router.post(BASE + "/courrier/envoi")
def letter_sent(account: Instructeur, target: Target, date: str = Form("")):
    """The day the letter was sent: checked, recorded (chronology, re-runs), the letter, the
    report and the summary written again with it."""
    site = target.site
    try:
        day = parse_day(date, iso_ok=True)
        with site.writing():
            record_sending(site.out_dir, site.report(target.dossier), site.history, day, account.name)
    except SendingError as exc:
        return target.refuse(str(exc), "courrier")
    return target.back(f"Date d'envoi du courrier enregistrée : {date_long(day)}.", "courrier")


@router.get(BASE + "/courrier.docx")
def letter_docx(target: Target):
    data = docx_of(target.site.report(target.dossier))
    if data is None:
        raise NotFound("courrier")
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={"Content-Disposition": f'attachment; filename="courrier-{target.dossier}.docx"'},
    )


@router.get(BASE + "/rapport")
def printable_report(target: Target):
    """The static report as ``esmsnum analyser`` wrote it (for printing), with its own policy:
    its style is inline, nothing else is allowed. Its relative links reach the routes beside
    it: « courrier.pdf », « courrier.docx » (the letter as it stands), « ../regles.html »."""
    path = _report_file(target, "report.html")
    return HTMLResponse(path.read_text(encoding="utf-8"), headers=report_headers())


@router.get(BASE + "/courrier.pdf")
def letter_pdf_file(target: Target):
    """The letter's PDF as the analysis wrote it, as a download."""
    path = _report_file(target, "courrier.pdf")
    headers = report_headers() | {"Content-Disposition": f'attachment; filename="courrier-{target.dossier}.pdf"'}
    return Response(path.read_bytes(), media_type="application/pdf", headers=headers)


def _report_file(target: Opened, name: str) -> Path:
    """A file the analysis wrote in the dossier's report folder (never through a link)."""
    return output_file(target.site.report_dir(target.dossier), name, target.site.out_dir)
