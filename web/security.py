"""Security of the workspace, as plain ASGI middlewares so that no route can forget them:

- ``SecurityHeaders``: a Content-Security-Policy that forbids anything from elsewhere (DSFR is
  served from this origin), no framing, no sniffing, no caching of dossier pages;
- ``RequireSession``: every path but the login page, static files and the health check needs
  a valid session of an active account (else a redirect to the login page, or 401);
- ``CsrfCheck``: every POST carries the session's CSRF token in its form (else 403).

Roles are checked by each route (``web.routes.common.role``): lecture changes nothing, only a
decideur sets a decision.
"""

from __future__ import annotations

import hmac
import secrets
import urllib.parse
from collections.abc import Iterable
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PUBLIC_PREFIXES = ("/static/",)
PUBLIC_PATHS = {"/connexion", "/sante", "/favicon.ico"}
MAX_FORM_BYTES = 256 * 1024
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def csrf_token(session: dict[str, Any]) -> str:
    """The session's token (created on first use): put in every form."""
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {k.lower() for k, _ in headers}
                defaults = [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
                ]
                if not scope["path"].startswith("/static/"):
                    defaults.append((b"cache-control", b"no-store"))
                headers += [(k, v) for k, v in defaults if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_headers)


class RequireSession:
    """``scope["state"]["account"]`` is the logged-in account on every non-public path."""

    def __init__(self, app: ASGIApp, workspace: Any) -> None:
        self.app = app
        self.workspace = workspace

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        session = scope.get("session") or {}
        account = self._account(session)
        if account is None:
            if session.get("uid") is not None:
                session.clear()  # a deactivated account, or a session ended by a logout
            await self._refuse(scope, receive, send)
            return
        scope.setdefault("state", {})["account"] = account
        await self.app(scope, receive, send)

    def _account(self, session: dict[str, Any]) -> Any:
        uid = session.get("uid")
        if not isinstance(uid, int):
            return None
        account = self.workspace.accounts.get_by_id(uid)
        if account is None or not account.active or account.session_epoch != session.get("epoch"):
            return None
        return account

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        if scope["method"] in {"GET", "HEAD"} and "text/html" in headers.get("accept", ""):
            target = scope["path"] + (
                "?" + scope["query_string"].decode("latin-1") if scope.get("query_string") else ""
            )
            response: Response = RedirectResponse("/connexion?" + urllib.parse.urlencode({"suite": target}), 303)
        else:
            response = PlainTextResponse(
                "Connexion requise.", 401, headers={"WWW-Authenticate": 'FormLogin realm="esmsnum"'}
            )
        await response(scope, receive, send)


class CsrfCheck:
    """POST bodies must be forms (urlencoded) carrying ``csrf`` equal to the session's token.
    The body is read here (at most ``MAX_FORM_BYTES``) and handed on unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        content_type = Headers(scope=scope).get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            await PlainTextResponse("Formulaire attendu.", 415)(scope, receive, send)
            return
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_FORM_BYTES:
                await PlainTextResponse("Formulaire trop volumineux.", 413)(scope, receive, send)
                return
        expected = (scope.get("session") or {}).get("csrf")
        sent = _field(urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True), "csrf")
        if not expected or not sent or not hmac.compare_digest(str(expected), sent):
            await _csrf_refused(scope, receive, send)
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _field(pairs: Iterable[tuple[str, str]], name: str) -> str | None:
    for key, value in pairs:
        if key == name:
            return value
    return None


async def _csrf_refused(scope: Scope, receive: Receive, send: Send) -> None:
    from web.render import render_page

    html = render_page(
        None,
        "error.html.j2",
        status_title="Formulaire refusé",
        message=(
            "Ce formulaire a expiré ou ne vient pas de l'espace d'instruction (jeton de sécurité "
            "absent ou invalide). Rechargez la page et recommencez : rien n'a été enregistré."
        ),
    )
    from starlette.responses import HTMLResponse

    await HTMLResponse(html, 403)(scope, receive, send)
