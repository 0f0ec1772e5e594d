"""The instruction workspace as a FastAPI application (``esmsnum web``)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from core.french import count
from judging.lock import os_reason
from web.render import dsfr_available
from web.routes import auth, calls, committee, decisions, dossiers, pieces, teams
from web.routes.common import Forbidden, page
from web.security import CsrfCheck, RequireSession, SecurityHeaders
from web.settings import WebSettings
from web.workspace import Busy, NotFound, Workspace

log = logging.getLogger(__name__)
SESSION_COOKIE = "esmsnum_session"


def create_app(settings: WebSettings) -> FastAPI:
    workspace = Workspace(settings)
    app = FastAPI(title="esmsnum — espace d'instruction", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.workspace = workspace
    app.mount("/static", StaticFiles(directory=settings.static_dir), name="static")
    for router in (
        auth.router,
        calls.router,
        dossiers.router,
        decisions.router,
        pieces.router,
        committee.router,
        teams.router,
    ):
        app.include_router(router)
    _errors(app)
    # Outermost last: session cookie → security headers → session required → CSRF → routes.
    app.add_middleware(CsrfCheck)
    app.add_middleware(RequireSession, workspace=workspace)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=int(settings.session_hours * 3600),
        same_site="lax",
        https_only=settings.https,
    )
    dsfr_available()  # logs once when DSFR is missing
    log.info("espace d'instruction : %s (%s)", count(len(workspace.calls), "appel"), ", ".join(workspace.calls))
    return app


def route_table(routes: list[Any]) -> list[APIRoute]:
    """Every route the application serves, included routers unfolded (what the access test
    walks: a route that forgets its session or role check fails it)."""
    out: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            out.append(route)
        elif hasattr(route, "original_router"):  # FastAPI >= 0.150 keeps included routers as branches
            out.extend(route_table(route.original_router.routes))
    return out


def _error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return page(request, "error.html.j2", status, status_title=title, message=message)


def _not_written(request: Request, reason: str) -> HTMLResponse:
    return _error_page(
        request,
        507 if reason == "disque plein" else 500,
        "Enregistrement impossible",
        f"Le serveur n'a pas pu écrire dans l'espace d'instruction ({reason}). Les fichiers déjà écrits sont "
        "intacts ; votre action a pu être inscrite à l'historique sans que les rapports du dossier soient mis à "
        "jour. Prévenez l'exploitant du serveur, puis rechargez la page du dossier pour vérifier ce qui est "
        "enregistré.",
    )


def _errors(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        return _error_page(
            request,
            404,
            "Page introuvable",
            "Cet appel, ce dossier ou ce fichier n'existe pas dans l'espace d'instruction.",
        )

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden):
        return _error_page(request, 403, "Action non autorisée", exc.message + " Rien n'a été enregistré.")

    @app.exception_handler(Busy)
    async def busy(request: Request, exc: Busy):
        return _error_page(request, 503, "Analyse en cours", str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        return _error_page(request, 400, "Demande invalide", "Le formulaire envoyé est incomplet : rechargez la page.")

    @app.exception_handler(OSError)
    async def not_written(request: Request, exc: OSError):
        """A write refused by the system (disk full, quota, rights) during an action: a French
        page instead of a bare 500; the path is for the operator's log only."""
        log.error("écriture impossible pendant %s %s : %s", request.method, request.url.path, exc)
        return _not_written(request, os_reason(exc))

    @app.exception_handler(OperationalError)
    async def history_not_written(request: Request, exc: OperationalError):
        log.error("base de l'historique indisponible pendant %s %s : %s", request.method, request.url.path, exc)
        disk_full = "disk is full" in str(exc.orig) or getattr(exc.orig, "sqlstate", None) == "53100"
        return _not_written(request, "disque plein" if disk_full else "base de l'historique indisponible")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404:
            return await not_found(request, NotFound(str(exc.detail)))
        if exc.status_code == 405:
            return _error_page(request, 405, "Méthode non autorisée", "Cette adresse ne s'utilise pas ainsi.")
        return _error_page(request, exc.status_code, "Erreur", str(exc.detail))
