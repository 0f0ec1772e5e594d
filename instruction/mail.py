"""E-mail notifications of the workspace through SMTP, when an operator configures it:

- an expert when an avis is asked of them;
- an instructeur when a dossier is assigned to them;
- the person who asked an avis when the expert gives it.

Settings from the environment (docs/operations.md): ``ESMSNUM_SMTP_HOST`` (no host: no mail,
no error), ``ESMSNUM_SMTP_PORT`` (587), ``ESMSNUM_SMTP_SECURITE`` (``starttls``, ``ssl`` or
``aucune``), ``ESMSNUM_SMTP_UTILISATEUR`` and ``ESMSNUM_SMTP_MOT_DE_PASSE`` (login when both are
set), ``ESMSNUM_SMTP_EXPEDITEUR`` (the From address), ``ESMSNUM_WEB_URL`` (the workspace's
address, for the link in each message). The password is only ever handed to the SMTP login:
never logged, never written anywhere.

A message that cannot be sent (server down, refused) never undoes nor blocks the action that
asked for it: ``Mailer.send`` logs why and returns a French note for the page.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

log = logging.getLogger(__name__)

HOST_ENV = "ESMSNUM_SMTP_HOST"
PORT_ENV = "ESMSNUM_SMTP_PORT"
SECURITY_ENV = "ESMSNUM_SMTP_SECURITE"
USER_ENV = "ESMSNUM_SMTP_UTILISATEUR"
PASSWORD_ENV = "ESMSNUM_SMTP_MOT_DE_PASSE"
SENDER_ENV = "ESMSNUM_SMTP_EXPEDITEUR"
URL_ENV = "ESMSNUM_WEB_URL"
SECURITIES = ("starttls", "ssl", "aucune")
TIMEOUT = 10.0
SIGNATURE = "\n\n-- \nEspace d'instruction ESMS numérique (message automatique, ne pas répondre)."


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int = 587
    security: str = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)  # never in a repr, a log, a file
    sender: str = "esmsnum@localhost"
    base_url: str = ""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> MailSettings | None:
        """None when no SMTP server is configured (then no mail is sent)."""
        env = os.environ if environ is None else environ
        host = (env.get(HOST_ENV) or "").strip()
        if not host:
            return None
        security = (env.get(SECURITY_ENV) or "starttls").strip().lower()
        if security not in SECURITIES:
            log.warning("%s=%s inconnu (starttls, ssl ou aucune) : starttls", SECURITY_ENV, security)
            security = "starttls"
        default_port = 465 if security == "ssl" else 587 if security == "starttls" else 25
        try:
            port = int(env.get(PORT_ENV) or default_port)
        except ValueError:
            log.warning("%s illisible : port %s", PORT_ENV, default_port)
            port = default_port
        return cls(
            host=host,
            port=port,
            security=security,
            user=(env.get(USER_ENV) or "").strip() or None,
            password=env.get(PASSWORD_ENV) or None,
            sender=(env.get(SENDER_ENV) or "").strip() or f"esmsnum@{host}",
            base_url=(env.get(URL_ENV) or "").strip().rstrip("/"),
        )


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


class Mailer:
    """Sends the notifications (``settings`` None: sends nothing)."""

    def __init__(self, settings: MailSettings | None) -> None:
        self.settings = settings

    @property
    def enabled(self) -> bool:
        return self.settings is not None

    def link(self, path: str) -> str:
        """The workspace's address of ``path`` (the path alone when ``ESMSNUM_WEB_URL`` is unset)."""
        base = self.settings.base_url if self.settings else ""
        return f"{base}{path}"

    def send(self, mail: Mail | None) -> str | None:
        """Send ``mail``; a French note when it could not be sent (None when sent or not asked)."""
        if self.settings is None or mail is None:
            return None
        s = self.settings
        message = EmailMessage()
        message["From"] = formataddr(("ESMS numérique — espace d'instruction", s.sender))
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Message-ID"] = make_msgid(domain=s.sender.rpartition("@")[2] or None)
        message.set_content(mail.body + SIGNATURE)
        try:
            if s.security == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=TIMEOUT, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT)
            with client:
                if s.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if s.user and s.password:
                    client.login(s.user, s.password)
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            # the reason only: never the settings (the password)
            log.warning("courriel « %s » non envoyé à %s : %s", mail.subject, mail.to, type(exc).__name__)
            return (
                f"Le courriel de notification à {mail.to} n'a pas pu être envoyé (serveur de messagerie indisponible)."
            )
        log.info("courriel « %s » envoyé à %s", mail.subject, mail.to)
        return None


def expert_asked(to: str, *, dossier: str, call_title: str, asked_by: str, question: str, link: str) -> Mail:
    return Mail(
        to,
        f"Avis d'expert demandé sur le dossier {dossier}",
        f"Bonjour,\n\n{asked_by} vous demande votre avis d'expert sur le dossier {dossier} ({call_title}).\n\n"
        f"Question posée :\n« {question} »\n\nPour consulter le dossier et rendre votre avis motivé : {link}",
    )


def assigned(to: str, *, dossiers: list[tuple[str, str]], call_title: str, assigned_by: str) -> Mail:
    """``dossiers``: (number, link) of each dossier assigned."""
    if len(dossiers) == 1:
        ((number, link),) = dossiers
        return Mail(
            to,
            f"Dossier {number} attribué",
            f"Bonjour,\n\n{assigned_by} vous a attribué l'instruction du dossier {number} ({call_title}).\n\n"
            f"Pour l'ouvrir : {link}",
        )
    lines = "\n".join(f"- {number} : {link}" for number, link in dossiers)
    return Mail(
        to,
        f"{len(dossiers)} dossiers attribués",
        f"Bonjour,\n\n{assigned_by} vous a attribué l'instruction de {len(dossiers)} dossiers ({call_title}) :\n"
        f"{lines}",
    )


def avis_given(
    to: str, *, dossier: str, call_title: str, expert: str, avis_label: str, motivation: str, link: str
) -> Mail:
    return Mail(
        to,
        f"Avis d'expert rendu sur le dossier {dossier}",
        f"Bonjour,\n\n{expert} a rendu son avis sur le dossier {dossier} ({call_title}) : {avis_label}.\n\n"
        f"Motivation :\n« {motivation} »\n\nLe dossier : {link}",
    )
