"""The GraphQL API v2 of Démarches simplifiées over HTTP: a bearer token, bounded retries.

The endpoint comes from ``DS_API_URL`` (default: the public one), the token from
``DS_API_TOKEN``. The token is read from the environment when a client is made and kept in
the HTTP client's headers only: it is never logged, written to a file or put in a message
(``DsError`` messages name the endpoint, never the token).

Robustness (docs/teleservice.md): HTTP 429 waits what ``Retry-After`` says, at most
``MAX_WAIT`` seconds a time; a network failure or a 5xx answer is retried with the same
request (the same page cursor) a bounded number of times; 401/403 is a token problem, said
in French; GraphQL ``errors`` are raised with their message.
"""

from __future__ import annotations

import email.utils
import logging
import os
import time
from typing import Any

import httpx

PUBLIC_ENDPOINT = "https://www.demarches-simplifiees.fr/api/v2/graphql"
URL_ENV = "DS_API_URL"
TOKEN_ENV = "DS_API_TOKEN"

MAX_ATTEMPTS = 5  # per request: the first try and four retries
MAX_WAIT = 60.0  # seconds, the longest wait a Retry-After may impose
BACKOFF = 1.0  # seconds before the first retry of a network failure, doubled each time
TIMEOUT = httpx.Timeout(60.0, connect=15.0)

log = logging.getLogger(__name__)
sleep = time.sleep  # the tests replace it to see the waits without waiting


class DsError(Exception):
    """A failure of the téléservice, in French. ``exit_code``: the command's exit code."""

    exit_code = 1


class TokenError(DsError):
    """The token is missing, invalid, expired, or has no access to the démarche."""

    exit_code = 3


def endpoint() -> str:
    return os.environ.get(URL_ENV) or PUBLIC_ENDPOINT


def token_from_env() -> str:
    token = (os.environ.get(TOKEN_ENV) or "").strip()
    if not token:
        raise TokenError(
            f"Jeton d'API Démarches simplifiées absent : définissez la variable d'environnement {TOKEN_ENV} "
            "(docs/teleservice.md, « Obtenir un jeton »). Le jeton n'est jamais enregistré par esmsnum."
        )
    return token


def check_endpoint(url: str) -> None:
    """The token travels only over TLS, or to this machine (a test server)."""
    parsed = httpx.URL(url)
    local = parsed.host in ("127.0.0.1", "localhost", "::1")
    if parsed.scheme != "https" and not (parsed.scheme == "http" and local):
        raise TokenError(
            f"Point d'accès refusé ({URL_ENV}) : « {url} » n'est pas une adresse https ; "
            "le jeton ne part jamais en clair."
        )


def retry_after(value: str | None) -> float:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), bounded."""
    if not value:
        return BACKOFF
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return BACKOFF
        seconds = when.timestamp() - time.time()
    return max(0.0, min(seconds, MAX_WAIT))


class DsClient:
    """One session with the API (and the downloads of its attachments)."""

    def __init__(self, url: str | None = None, token: str | None = None) -> None:
        self.url = url or endpoint()
        check_endpoint(self.url)
        secret = token if token is not None else token_from_env()
        self.http = httpx.Client(
            timeout=TIMEOUT,
            headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
            follow_redirects=False,
        )
        # Attachments are fetched without the token: their URLs are signed by the API, and a
        # storage host never needs the bearer.
        self.files = httpx.Client(timeout=TIMEOUT, follow_redirects=True)
        self.requests = 0

    def close(self) -> None:
        self.http.close()
        self.files.close()

    def __enter__(self) -> DsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ GraphQL
    def execute(self, document: str, variables: dict[str, Any], operation: str) -> dict[str, Any]:
        """The ``data`` of one GraphQL request; retried on 429, 5xx and network failures."""
        body = {"query": document, "variables": variables, "operationName": operation}
        response = self._send(lambda: self.http.post(self.url, json=body), what=f"requête {operation}")
        if response.status_code in (401, 403):
            raise TokenError(
                f"Jeton d'API refusé par {self.url} (HTTP {response.status_code}) : jeton invalide, expiré "
                f"ou sans accès à cette démarche. Vérifiez {TOKEN_ENV} (docs/teleservice.md)."
            )
        if response.status_code == 429:
            raise DsError(
                f"Démarches simplifiées limite le nombre de requêtes (HTTP 429) et demande encore d'attendre après "
                f"{MAX_ATTEMPTS} essais : relancez la commande plus tard, elle reprend là où elle s'est arrêtée."
            )
        if response.status_code >= 400:
            raise DsError(f"Démarches simplifiées a répondu HTTP {response.status_code} à la requête {operation}.")
        try:
            payload = response.json()
        except ValueError as exc:
            raise DsError(f"Réponse illisible de {self.url} (JSON attendu) à la requête {operation}.") from exc
        errors = payload.get("errors") or []
        if errors:
            messages = "; ".join(str(e.get("message", e)) for e in errors[:5])
            if any(_permission_error(e) for e in errors if isinstance(e, dict)):
                raise TokenError(f"Accès refusé par Démarches simplifiées : {messages}. Vérifiez {TOKEN_ENV}.")
            if any(isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "timeout" for e in errors):
                raise DsError(
                    f"Démarches simplifiées a dépassé son temps de réponse ({operation}) : relancez avec moins "
                    "de dossiers par page (--par-page)."
                )
            raise DsError(f"Démarches simplifiées a refusé la requête {operation} : {messages}")
        data = payload.get("data")
        if not isinstance(data, dict):
            raise DsError(f"Réponse sans données de {self.url} à la requête {operation}.")
        return data

    # ------------------------------------------------------------------ files
    def stream(self, url: str) -> httpx.Response:
        """An attachment's download, opened (the caller reads it within its bounds and closes it)."""
        return self._send(lambda: self.files.send(self.files.build_request("GET", url), stream=True), "téléchargement")

    # ------------------------------------------------------------------ retries
    def _send(self, send: Any, what: str) -> httpx.Response:
        delay = BACKOFF
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self.requests += 1
            try:
                response = send()
            except httpx.TransportError as exc:
                if attempt == MAX_ATTEMPTS:
                    raise DsError(
                        f"Démarches simplifiées injoignable ({self.url}) après {MAX_ATTEMPTS} essais : "
                        f"{type(exc).__name__}. Relancez la commande : elle reprend là où elle s'est arrêtée."
                    ) from exc
                log.warning("%s : échec réseau (%s), nouvel essai dans %.0f s", what, type(exc).__name__, delay)
                sleep(delay)
                delay = min(delay * 2, MAX_WAIT)
                continue
            if response.status_code == 429 or response.status_code >= 500:
                if attempt == MAX_ATTEMPTS:
                    return response
                wait = retry_after(response.headers.get("Retry-After")) if response.status_code == 429 else delay
                response.close()
                log.warning("%s : HTTP %s, nouvel essai dans %.0f s", what, response.status_code, wait)
                sleep(wait)
                delay = min(delay * 2, MAX_WAIT)
                continue
            return response
        raise AssertionError("unreachable")


def _permission_error(error: dict[str, Any]) -> bool:
    """An error of the API's « unauthorized » code (``extensions.code``), or its wording."""
    if (error.get("extensions") or {}).get("code") == "unauthorized":
        return True
    lowered = str(error.get("message", "")).lower()
    return "permission" in lowered or "hidden due to" in lowered or "token" in lowered or "jeton" in lowered
