"""Accounts of the instruction workspace: argon2 password hashes, login with a growing delay
after failed attempts, deactivation (never a deletion: the timeline keeps the names)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from judging.history import Account, DuplicateAccount, History, now
from judging.instruction import ROLES

NAME = re.compile(r"^[\w.@-]{2,60}$")
MIN_PASSWORD = 10
FREE_ATTEMPTS = 3  # failures before the account waits
MAX_WAIT = dt.timedelta(minutes=15)

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("mot de passe factice pour un compte inconnu")


class AccountError(Exception):
    """Why an account command is refused (French)."""


def check_name(name: str) -> str:
    name = name.strip()
    if not NAME.match(name):
        raise AccountError(
            "Nom de compte invalide : 2 à 60 caractères, lettres, chiffres, « . », « _ », « - » ou « @ »."
        )
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"Mot de passe trop court : au moins {MIN_PASSWORD} caractères.")
    return password


def create_account(history: History, name: str, role: str, password: str) -> Account:
    if role not in ROLES:
        raise AccountError(f"Rôle inconnu : {role} (instructeur, decideur ou lecture).")
    name = check_name(name)
    check_password(password)
    try:
        return history.add_account(name, role, _hasher.hash(password))
    except DuplicateAccount:
        raise AccountError(f"Le compte {name} existe déjà.") from None


def set_active(history: History, name: str, active: bool) -> None:
    account = history.account(name)
    if account is None:
        raise AccountError(f"Aucun compte {name}.")
    history.update_account(name, active=active)
    if not active:
        history.end_sessions(account.id)


def set_password(history: History, name: str, password: str) -> None:
    account = history.account(name)
    if account is None:
        raise AccountError(f"Aucun compte {name}.")
    history.update_account(
        name, password_hash=_hasher.hash(check_password(password)), failed_logins=0, blocked_until=None
    )
    history.end_sessions(account.id)


@dataclass(frozen=True)
class Login:
    account: Account | None  # set when the login succeeded
    message: str | None = None  # why it failed (French, never says whether the name exists)
    wait_seconds: int = 0


def authenticate(history: History, name: str, password: str) -> Login:
    """Check a name and password. After ``FREE_ATTEMPTS`` failures in a row, the account
    waits 5 s, then 10 s, 20 s… (at most 15 min) before the next attempt is even checked."""
    account = history.account(name.strip())
    moment = now()
    if account is None:
        _verify(_DUMMY_HASH, password)  # same work as for a real account
        return Login(None, "Nom de compte ou mot de passe incorrect.")
    if account.blocked_until and account.blocked_until > moment:
        wait = int((account.blocked_until - moment).total_seconds()) + 1
        return Login(None, f"Trop de tentatives échouées : réessayez dans {wait} secondes.", wait)
    if not _verify(account.password_hash, password) or not account.active:
        failures = account.failed_logins + 1
        blocked = None
        if failures >= FREE_ATTEMPTS:
            blocked = moment + min(MAX_WAIT, dt.timedelta(seconds=5 * 2 ** (failures - FREE_ATTEMPTS)))
        history.update_account(account.name, failed_logins=failures, blocked_until=blocked)
        if account.active and blocked is not None:
            wait = int((blocked - moment).total_seconds())
            return Login(
                None,
                f"Nom de compte ou mot de passe incorrect. Trop de tentatives échouées : "
                f"réessayez dans {wait} secondes.",
                wait,
            )
        return Login(None, "Nom de compte ou mot de passe incorrect.")
    history.update_account(account.name, failed_logins=0, blocked_until=None, last_login_at=moment)
    if _hasher.check_needs_rehash(account.password_hash):
        history.update_account(account.name, password_hash=_hasher.hash(password))
    return Login(history.account(account.name))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
