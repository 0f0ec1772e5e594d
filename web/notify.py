"""The workspace's e-mail notifications (``instruction.mail``): who is told, at which address
(``esmsnum comptes courriel``), with the link to the dossier. A message that cannot be sent
adds a note to the page's message; the action itself is already recorded."""

from __future__ import annotations

from fastapi import Request

from instruction import mail
from web.workspace import CallSite, Workspace


def _workspace(request: Request) -> Workspace:
    return request.app.state.workspace


def _link(request: Request, site: CallSite, dossier: str) -> str:
    return _workspace(request).mailer.link(f"/appels/{site.call_id}/dossiers/{dossier}")


def _send(request: Request, account: str, build) -> str | None:
    ws = _workspace(request)
    if not ws.mailer.enabled:
        return None
    address = ws.teams.email(account)
    if not address:
        return None
    return ws.mailer.send(build(address))


def add_note(request: Request, note: str | None) -> None:
    """Append ``note`` (a mail not sent) to the page's message."""
    if not note:
        return
    current = request.session.get("flash") or {"kind": "success", "text": ""}
    request.session["flash"] = {"kind": "warning", "text": f"{current['text']} {note}".strip()}


def expert_asked(request: Request, site: CallSite, dossier: str, expert: str, by: str, question: str) -> None:
    add_note(
        request,
        _send(
            request,
            expert,
            lambda to: mail.expert_asked(
                to,
                dossier=dossier,
                call_title=site.title,
                asked_by=by,
                question=question,
                link=_link(request, site, dossier),
            ),
        ),
    )


def avis_given(
    request: Request, site: CallSite, dossier: str, requester: str, expert: str, avis: str, motivation: str
) -> None:
    add_note(
        request,
        _send(
            request,
            requester,
            lambda to: mail.avis_given(
                to,
                dossier=dossier,
                call_title=site.title,
                expert=expert,
                avis_label=avis,
                motivation=motivation,
                link=_link(request, site, dossier),
            ),
        ),
    )


def assigned(request: Request, site: CallSite, assignee: str | None, dossiers: list[str], by: str) -> None:
    """Tell ``assignee`` (not when they assigned themselves)."""
    if not assignee or assignee == by or not dossiers:
        return
    add_note(
        request,
        _send(
            request,
            assignee,
            lambda to: mail.assigned(
                to,
                dossiers=[(d, _link(request, site, d)) for d in dossiers],
                call_title=site.title,
                assigned_by=by,
            ),
        ),
    )
