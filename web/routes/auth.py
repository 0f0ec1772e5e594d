"""Login, logout, the home page (the calls served) and the health check."""

from __future__ import annotations

import asyncio
import urllib.parse

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, RedirectResponse

from instruction.accounts import authenticate
from web.routes.common import back_to, current_account, page, workspace
from web.scope import call_visible
from web.security import csrf_token

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only a path of this site (never ``//elsewhere`` nor a full URL)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parsed = urllib.parse.urlsplit(target)
    return target if not parsed.scheme and not parsed.netloc else "/"


@router.get("/connexion", name="login")
def login_form(request: Request, suite: str = "/"):
    return page(request, "login.html.j2", suite=_safe_next(suite), error=None, name="")


@router.post("/connexion")
async def login(request: Request, nom: str = Form(""), mot_de_passe: str = Form(""), suite: str = Form("/")):
    ws = workspace(request)
    result = await run_in_threadpool(authenticate, ws.accounts, nom[:100], mot_de_passe[:500])
    if result.account is None:
        await asyncio.sleep(ws.settings.failed_login_delay)  # every failure costs time
        return page(request, "login.html.j2", 401, suite=_safe_next(suite), error=result.message, name=nom[:100])
    request.session.clear()  # a new session (and token) at every login
    request.session.update({"uid": result.account.id, "epoch": result.account.session_epoch})
    csrf_token(request.session)
    return back_to(_safe_next(suite))


@router.post("/deconnexion")
def logout(request: Request):
    account = current_account(request)
    workspace(request).accounts.end_sessions(account.id)  # the cookie is void everywhere
    request.session.clear()
    return RedirectResponse("/connexion", 303)


@router.get("/sante", response_class=PlainTextResponse)
def health():
    return "ok"


@router.get("/")
def home(request: Request):
    calls = [c for c in workspace(request).calls.values() if call_visible(request, c)]  # the account's scope
    if len(calls) == 1:
        return back_to(f"/appels/{calls[0].call_id}")
    return page(request, "home.html.j2")
