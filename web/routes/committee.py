"""The committee's view of a call and its export."""

from __future__ import annotations

import re

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from core.french import euros
from web.committee import committee, committee_xlsx
from web.routes.common import Decideur, back_to, call_site, clip, flash, not_for_experts, page
from web.scope import scoped_summary

router = APIRouter()


def _data(request: Request, call: str):
    site = call_site(request, call)
    not_for_experts(request)
    history = site.history
    summary = scoped_summary(request, site)  # an instructeur's committee view: the dossiers of their groups
    return site, committee(summary, history.states(site.call_id), site.report, history.envelope(site.call_id))


@router.get("/appels/{call}/comite")
def committee_page(request: Request, call: str):
    site, data = _data(request, call)
    return page(request, "committee.html.j2", site=site, summary=scoped_summary(request, site), c=data)


MAX_ENVELOPE = 1e12  # euros: beyond, a typing error


def parse_amount(text: str) -> float | None:
    """An amount as a French user types it: « 1 500 000 », « 1 500 000,50 € », « 1500000.5 »;
    None for an empty field. ValueError when it is no amount."""
    plain = "".join(text.replace("€", "").split()).replace("\u202f", "").replace("\u00a0", "")
    if not plain:
        return None
    if plain.count(",") == 1 and "." not in plain:
        plain = plain.replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d{1,2})?", plain):
        raise ValueError(text)
    amount = float(plain)
    if amount > MAX_ENVELOPE:
        raise ValueError(text)
    return amount


@router.post("/appels/{call}/comite/enveloppe")
def set_envelope(request: Request, account: Decideur, call: str, montant: str = Form("")):
    site = call_site(request, call)
    try:
        amount = parse_amount(clip(montant, 40))
    except ValueError:
        flash(request, "Montant de l'enveloppe illisible (exemple : 1 500 000) : rien n'a été enregistré.", "error")
        return back_to(f"/appels/{site.call_id}/comite#enveloppe")
    site.history.set_envelope(site.call_id, amount, account.name)
    flash(request, f"Enveloppe de l'appel : {euros(amount)}." if amount is not None else "Enveloppe retirée.")
    return back_to(f"/appels/{site.call_id}/comite#enveloppe")


@router.get("/appels/{call}/comite.xlsx")
def committee_export(request: Request, call: str):
    site, data = _data(request, call)
    summary = site.summary()
    body = committee_xlsx(str(summary.get("call_title") or site.call_id), str(summary.get("call") or ""), data)
    return Response(
        body,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="comite-{site.call_id}.xlsx"'},
    )
