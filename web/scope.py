"""What the logged-in account may see (``instruction.teams.scope_of``; experts: the dossiers
whose avis was asked of them). Every lookup of a call or a dossier goes through here
(``web.routes.common.call_site`` and ``visible_dossier``): out of scope is a 404, exactly as an
unknown call or dossier (its existence is never revealed)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from instruction.teams import Scope, scope_of
from web.workspace import CallSite, Workspace


def _workspace(request: Request) -> Workspace:
    return request.app.state.workspace


def account_scope(request: Request) -> Scope:
    """The account's scope, computed once per request."""
    cached = getattr(request.state, "scope", None)
    if cached is None:
        account = request.state.account
        cached = scope_of(account.role, account.name, _workspace(request).teams)
        request.state.scope = cached
    return cached


def is_expert(request: Request) -> bool:
    account = getattr(request.state, "account", None)
    return bool(account and account.role == "expert")


def call_visible(request: Request, site: CallSite) -> bool:
    if is_expert(request):
        return bool(site.experts.visible(site.call_id, request.state.account.name))
    return account_scope(request).call(site.call_id)


def whole_call(request: Request, site: CallSite) -> bool:
    """The account sees every dossier of the call (the static summary pages list them all)."""
    return not is_expert(request) and account_scope(request).everything


def visible_numbers(request: Request, site: CallSite) -> set[str] | None:
    """The call's dossiers the account sees (None: all of them)."""
    if is_expert(request):
        return site.experts.visible(site.call_id, request.state.account.name)
    scope = account_scope(request)
    if scope.everything:
        return None
    return {n for n, row in site.rows().items() if scope.dossier(site.call_id, row.get("departments") or [])}


def dossier_visible(request: Request, site: CallSite, dossier: str) -> bool:
    numbers = visible_numbers(request, site)
    return numbers is None or dossier in numbers


def scoped_summary(request: Request, site: CallSite) -> dict[str, Any]:
    """The call's summary with only the dossiers the account sees."""
    summary = site.summary()
    numbers = visible_numbers(request, site)
    if numbers is None:
        return summary
    dossiers = [d for d in summary.get("dossiers") or [] if str(d.get("dossier")) in numbers]
    totals = dict(summary.get("totals") or {})
    by_verdict: dict[str, int] = {}
    for d in dossiers:
        by_verdict[str(d.get("verdict"))] = by_verdict.get(str(d.get("verdict")), 0) + 1
    totals.update(  # the call's figures would tell how many dossiers lie outside the scope
        dossiers=len(dossiers),
        by_verdict=by_verdict,
        amount_requested_recevable=sum(
            float(d.get("amount_requested") or 0) for d in dossiers if d.get("verdict") == "recevable"
        ),
    )
    return {**summary, "dossiers": dossiers, "totals": totals}


def reaches(request: Request, name: str, site: CallSite, dossier: str) -> bool:
    """The account ``name`` (an instructeur or décideur to assign) sees the dossier: an
    assignment never gives a dossier to someone who cannot open it."""
    account = _workspace(request).accounts.get(name)
    if account is None:
        return False
    scope = scope_of(account.role, account.name, _workspace(request).teams)
    row = site.rows().get(dossier) or {}
    return scope.dossier(site.call_id, row.get("departments") or [])
