"""Accounts of the instruction workspace: argon2 password hashes, login with a growing delay
after failed attempts, deactivation (never a deletion: the timeline keeps the names), and the
session epoch that voids every cookie issued before a logout.

Kept in their own table set (``AccountStore``), apart from the records of the calls: the
history of a call can be shared with its reports, the accounts never."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table, Text, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from core.records import aware, now
from instruction.store import open_database
from instruction.workflow import ROLES

NAME = re.compile(r"^[\w.@-]{2,60}$")
MIN_PASSWORD = 10
FREE_ATTEMPTS = 3  # failures before the account waits
MAX_WAIT = dt.timedelta(minutes=15)

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("mot de passe factice pour un compte inconnu")


class AccountError(Exception):
    """Why an account command is refused (French)."""


account_tables = MetaData()

accounts = Table(
    "accounts",
    account_tables,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("failed_logins", Integer, nullable=False),
    Column("blocked_until", DateTime(timezone=True)),
    Column("session_epoch", Integer, nullable=False),  # +1 at logout: every cookie issued before is void
    Column("last_login_at", DateTime(timezone=True)),
)


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    role: str
    password_hash: str
    active: bool
    created_at: dt.datetime
    failed_logins: int
    blocked_until: dt.datetime | None
    session_epoch: int
    last_login_at: dt.datetime | None


class AccountStore:
    """The accounts' table (SQLAlchemy Core)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = open_database(url, account_tables)

    def close(self) -> None:
        self.engine.dispose()

    def add(self, name: str, role: str, password_hash: str) -> Account:
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(accounts).values(
                        name=name,
                        role=role,
                        password_hash=password_hash,
                        active=True,
                        created_at=now(),
                        failed_logins=0,
                        session_epoch=0,
                    )
                )
        except IntegrityError:
            raise AccountError(f"Le compte {name} existe déjà.") from None
        account = self.get(name)
        assert account is not None
        return account

    def get(self, name: str) -> Account | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(accounts).where(accounts.c.name == name)).mappings().first()
        return _account(row) if row else None

    def get_by_id(self, account_id: int) -> Account | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(accounts).where(accounts.c.id == account_id)).mappings().first()
        return _account(row) if row else None

    def all(self) -> list[Account]:
        with self.engine.connect() as conn:
            return [_account(r) for r in conn.execute(select(accounts).order_by(accounts.c.name)).mappings()]

    def update(self, name: str, **fields: Any) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(update(accounts).where(accounts.c.name == name).values(**fields))
        return result.rowcount == 1

    def end_sessions(self, account_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(accounts).where(accounts.c.id == account_id).values(session_epoch=accounts.c.session_epoch + 1)
            )


def _account(row: Any) -> Account:
    values = dict(row)
    for key in ("created_at", "blocked_until", "last_login_at"):
        values[key] = aware(values.get(key))
    values["active"] = bool(values["active"])
    return Account(**values)


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


def create_account(accounts: AccountStore, name: str, role: str, password: str) -> Account:
    if role not in ROLES:
        raise AccountError(f"Rôle inconnu : {role} (instructeur, decideur ou lecture).")
    name = check_name(name)
    check_password(password)
    return accounts.add(name, role, _hasher.hash(password))


def set_active(accounts: AccountStore, name: str, active: bool) -> None:
    account = accounts.get(name)
    if account is None:
        raise AccountError(f"Aucun compte {name}.")
    accounts.update(name, active=active)
    if not active:
        accounts.end_sessions(account.id)


def set_password(accounts: AccountStore, name: str, password: str) -> None:
    account = accounts.get(name)
    if account is None:
        raise AccountError(f"Aucun compte {name}.")
    accounts.update(name, password_hash=_hasher.hash(check_password(password)), failed_logins=0, blocked_until=None)
    accounts.end_sessions(account.id)


@dataclass(frozen=True)
class Login:
    account: Account | None  # set when the login succeeded
    message: str | None = None  # why it failed (French, never says whether the name exists)
    wait_seconds: int = 0


def authenticate(accounts: AccountStore, name: str, password: str) -> Login:
    """Check a name and password. After ``FREE_ATTEMPTS`` failures in a row, the account
    waits 5 s, then 10 s, 20 s… (at most 15 min) before the next attempt is even checked."""
    account = accounts.get(name.strip())
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
        accounts.update(account.name, failed_logins=failures, blocked_until=blocked)
        if account.active and blocked is not None:
            wait = int((blocked - moment).total_seconds())
            return Login(
                None,
                f"Nom de compte ou mot de passe incorrect. Trop de tentatives échouées : "
                f"réessayez dans {wait} secondes.",
                wait,
            )
        return Login(None, "Nom de compte ou mot de passe incorrect.")
    accounts.update(account.name, failed_logins=0, blocked_until=None, last_login_at=moment)
    if _hasher.check_needs_rehash(account.password_hash):
        accounts.update(account.name, password_hash=_hasher.hash(password))
    return Login(accounts.get(account.name))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
