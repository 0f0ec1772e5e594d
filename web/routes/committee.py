"""The committee's view of a call and its export."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web.committee import committee, committee_xlsx
from web.routes.common import call_site, page

router = APIRouter()


def _data(request: Request, call: str):
    site = call_site(request, call)
    return site, committee(site.summary(), site.history.states(site.call_id), site.report)


@router.get("/appels/{call}/comite")
def committee_page(request: Request, call: str):
    site, data = _data(request, call)
    return page(request, "committee.html.j2", site=site, summary=site.summary(), c=data)


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
