"""What every route uses: the page renderer (account, CSRF token, flash message), the role
check, the call and dossier lookups (404 for anything unknown)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from instruction.accounts import Account
from instruction.workflow import ROLES, can
from web.render import render_page
from web.scope import call_visible, dossier_visible, is_expert
from web.security import csrf_token
from web.workspace import CallSite, NotFound, Workspace

MAX_COMMENT = 5000
MAX_MOTIF = 2000
MAX_LETTER = 20000


class Forbidden(Exception):
    """The account's role does not allow this (answered 403 with a French page)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def workspace(request: Request) -> Workspace:
    return request.app.state.workspace


def current_account(request: Request) -> Account:
    return request.state.account  # set by web.security.RequireSession


NEEDED = {
    "instructeur": "Votre compte est en lecture seule : il ne peut rien modifier.",
    "decideur": "Seul un compte « décideur » peut proposer la décision sur un dossier.",
    "expert": "Seul l'expert à qui l'avis est demandé peut le rendre.",
}


def role(needed: str) -> Any:
    """Dependency: the logged-in account, if its role allows ``needed`` (else 403)."""

    def check(request: Request) -> Account:
        account = current_account(request)
        if not (account.role == "expert" if needed == "expert" else can(account.role, needed)):
            raise Forbidden(NEEDED.get(needed, "Action non autorisée pour votre rôle."))
        return account

    check.needed_role = needed  # read by the test that walks the routes
    return Depends(check)


Instructeur = Annotated[Account, role("instructeur")]  # an account that may change a dossier
Decideur = Annotated[Account, role("decideur")]  # an account that may propose the decision
Expert = Annotated[Account, role("expert")]  # an expert account (gives the avis asked of it)


def call_site(request: Request, call: str) -> CallSite:
    """The call of the path, if the account sees it (else 404, as an unknown call)."""
    site = workspace(request).call(call)
    if getattr(request.state, "account", None) is not None and not call_visible(request, site):
        raise NotFound(call)
    return site


def known_dossier(site: CallSite, dossier: str) -> str:
    if dossier not in site.rows():
        raise NotFound(dossier)
    return dossier


def visible_dossier(request: Request, site: CallSite, dossier: str) -> str:
    """A dossier of the call the account sees (else 404: out of scope is never told apart from
    unknown)."""
    known_dossier(site, dossier)
    if not dossier_visible(request, site, dossier):
        raise NotFound(dossier)
    return dossier


def not_for_experts(request: Request) -> None:
    """The call-wide pages (committee, exports) are not for an expert account."""
    if is_expert(request):
        raise NotFound("expert")


def flash(request: Request, text: str, kind: str = "success") -> None:
    request.session["flash"] = {"kind": kind, "text": text}


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    account = getattr(request.state, "account", None)
    message = request.session.pop("flash", None)
    calls = [c for c in workspace(request).calls.values() if call_visible(request, c)] if account else []
    html = render_page(
        request,
        template,
        account=account,
        role_label=ROLES.get(account.role) if account else None,
        csrf=csrf_token(request.session),
        flash=message,
        calls=calls,
        can_edit=bool(account and can(account.role, "instructeur")),
        can_decide=bool(account and can(account.role, "decideur")),
        is_expert=bool(account and account.role == "expert"),
        **context,
    )
    return HTMLResponse(html, status_code)


def back_to(url: str) -> RedirectResponse:
    return RedirectResponse(url, 303)


def clip(text: str | None, limit: int) -> str:
    return (text or "").strip()[:limit]


REPORT_POLICY = (  # the static pages as ``esmsnum analyser`` wrote them: their style is inline, nothing else
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def output_file(folder: Path, name: str, root: Path) -> Path:
    """``folder/name`` inside the output folder ``root``, a regular file reached without any
    link (a link in the shared folder is never followed); else NotFound."""
    path = folder / name
    if path.is_symlink() or folder.is_symlink() or not path.is_file():
        raise NotFound(name)
    if not path.resolve().is_relative_to(root.resolve()):
        raise NotFound(name)
    return path


def report_headers() -> dict[str, str]:
    return {"Content-Security-Policy": REPORT_POLICY, "X-Content-Type-Options": "nosniff"}


def serve_call_page(site: CallSite, name: str) -> HTMLResponse:
    """The call's summary or rules page as the analysis wrote it (the reports link to them)."""
    path = output_file(site.out_dir, name, site.out_dir)
    return HTMLResponse(path.read_text(encoding="utf-8"), headers=report_headers())
