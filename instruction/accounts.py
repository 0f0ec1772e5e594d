"""Accounts of the instruction workspace: argon2 password hashes, login with a growing delay
after failed attempts, deactivation (never a deletion: the timeline keeps the names), and the
session epoch that voids every cookie issued before a logout.

Kept in their own database (``AccountStore``), apart from the records of the calls: the
history of a call can be shared with its reports, the accounts never. By default a SQLite file
of the private state folder (``core.state``: ``accounts.sqlite``, 0600 in a 0700 folder); in
server mode (a PostgreSQL history) the tables of that server database. Accounts found in the
history of an output folder by an earlier release are moved once (``open_accounts``)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from core.french import count
from core.records import aware, now
from core.state import state_dir
from instruction.store import HISTORY_ENV, default_url, open_database
from instruction.workflow import ROLES

NAME = re.compile(r"^[\w.@-]{2,60}$")
MIN_PASSWORD = 10
FREE_ATTEMPTS = 3  # failures before the account waits
MAX_WAIT = dt.timedelta(minutes=15)

ACCOUNTS_FILE = "accounts.sqlite"
log = logging.getLogger(__name__)
_hasher = PasswordHasher()
# argon2 takes 64 MiB for each hash: at most one per core at a time, the other logins queue
# (40 parallel logins would otherwise take 2.5 GB).
HASHING = threading.BoundedSemaphore(max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2))


def _hash(password: str) -> str:
    with HASHING:
        return _hasher.hash(password)


_DUMMY_HASH = _hash("mot de passe factice pour un compte inconnu")


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


# Failed attempts by name tried (an account or not), counted atomically.
login_attempts = Table(
    "login_attempts",
    account_tables,
    Column("name", String(200), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("blocked_until", DateTime(timezone=True)),
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
        self.migrated: str | None = None  # what ``open_accounts`` moved from an older history

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

    def reserve_attempt(self, name: str, moment: dt.datetime) -> int | dt.datetime:
        """Count an attempt on ``name`` before its password is checked: the attempt's number
        since the last success, or the moment until which ``name`` waits (not counted). From
        the ``FREE_ATTEMPTS``-th on, the wait a failure earns is set in the same transaction,
        so a parallel attempt finds it (SQLite serialises writers; PostgreSQL's row lock
        makes the second update re-read the row)."""
        name = name[:200]
        with self.engine.begin() as conn:
            found = conn.execute(
                update(login_attempts)
                .where(login_attempts.c.name == name)
                .where((login_attempts.c.blocked_until.is_(None)) | (login_attempts.c.blocked_until <= moment))
                .values(failures=login_attempts.c.failures + 1)
                .returning(login_attempts.c.failures)
            ).first()
            if found is None:
                row = conn.execute(select(login_attempts).where(login_attempts.c.name == name)).mappings().first()
                if row is not None:
                    return aware(row["blocked_until"]) or moment
                try:
                    with conn.begin_nested():
                        conn.execute(insert(login_attempts).values(name=name, failures=1))
                except IntegrityError:  # a parallel first attempt inserted it: count this one
                    return self.reserve_attempt(name, moment)
                failures = 1
            else:
                failures = found[0]
            if failures >= FREE_ATTEMPTS:
                conn.execute(
                    update(login_attempts)
                    .where(login_attempts.c.name == name)
                    .values(blocked_until=moment + _wait_after(failures))
                )
        return failures

    def clear_attempts(self, name: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(login_attempts).where(login_attempts.c.name == name[:200]).values(failures=0, blocked_until=None)
            )

    def attempts(self, name: str) -> int:
        with self.engine.connect() as conn:
            row = conn.execute(select(login_attempts.c.failures).where(login_attempts.c.name == name)).first()
        return row[0] if row else 0

    def end_sessions(self, account_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(accounts).where(accounts.c.id == account_id).values(session_epoch=accounts.c.session_epoch + 1)
            )


def accounts_url(history_url: str | None = None) -> str:
    """A server database given for the history (PostgreSQL, ``--history`` or
    ``ESMSNUM_HISTORY_URL``) also holds the accounts; otherwise the private state folder."""
    url = history_url or os.environ.get(HISTORY_ENV)
    if url and not url.startswith("sqlite"):
        return url
    return f"sqlite:///{state_dir() / ACCOUNTS_FILE}"


def open_accounts(out_dir: Path | None, history_url: str | None = None) -> AccountStore:
    """The accounts' store; accounts an earlier release kept in the history of ``out_dir``
    (``OUT/.esmsnum/history.sqlite``, shared with the reports) are moved into it once:
    copied (a name already there is kept as it is), then removed from the shared file.
    ``AccountStore.migrated`` says so in French (None when nothing was moved)."""
    store = AccountStore(accounts_url(history_url))
    old = default_url(out_dir.resolve()) if out_dir is not None else history_url
    if old and old.startswith("sqlite:///") and old != store.url:
        store.migrated = _move_accounts(Path(old.removeprefix("sqlite:///")), store)
        if store.migrated:
            log.warning(store.migrated)
    return store


def _move_accounts(path: Path, store: AccountStore) -> str | None:
    if not path.is_file():
        return None
    engine = create_engine(f"sqlite:///{path}", future=True)
    try:
        if "accounts" not in inspect(engine).get_table_names():
            return None
        with engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(select(accounts)).mappings()]
        moved = 0
        for row in rows:
            row.pop("id", None)
            with store.engine.begin() as conn:
                if conn.execute(select(accounts.c.id).where(accounts.c.name == row["name"])).first() is None:
                    conn.execute(insert(accounts).values(**row))
                    moved += 1
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE accounts"))
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM"))
    finally:
        engine.dispose()
    return (
        f"{count(moved, 'compte repris', 'comptes repris')} de l'historique du dossier de sortie ({path}) dans le "
        f"dossier d'état privé ; {'il a été retiré' if moved <= 1 else 'ils ont été retirés'} de l'historique "
        f"partagé ({count(len(rows) - moved, 'déjà présent', 'déjà présents')})."
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
        raise AccountError(f"Rôle inconnu : {role} (instructeur, decideur, lecture ou expert).")
    name = check_name(name)
    check_password(password)
    return accounts.add(name, role, _hash(password))


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
    accounts.update(name, password_hash=_hash(check_password(password)), failed_logins=0, blocked_until=None)
    accounts.end_sessions(account.id)


@dataclass(frozen=True)
class Login:
    account: Account | None  # set when the login succeeded
    message: str | None = None  # why it failed (French, never says whether the name exists)
    wait_seconds: int = 0


LOCKED = "Nom de compte ou mot de passe incorrect, ou trop de tentatives échouées : réessayez dans {wait} secondes."
WRONG = "Nom de compte ou mot de passe incorrect."


def authenticate(accounts: AccountStore, name: str, password: str) -> Login:
    """Check a name and password. After ``FREE_ATTEMPTS`` failures in a row, the name
    waits 5 s, then 10 s, 20 s… (at most 15 min) before the next attempt is even checked.

    The counter is kept per name tried, whether an account has it or not (``login_attempts``),
    so the answers never tell whether the account exists. Each attempt is counted *before*
    its password is checked, in one atomic update that also sets the wait the attempt would
    earn by failing: parallel attempts cannot share one free attempt (a success clears both)."""
    name = name.strip()
    moment = now()
    reserved = accounts.reserve_attempt(name, moment)
    if isinstance(reserved, dt.datetime):  # still waiting: not even checked
        wait = int((reserved - moment).total_seconds()) + 1
        return Login(None, LOCKED.format(wait=wait), wait)
    account = accounts.get(name)
    valid = _verify(account.password_hash if account else _DUMMY_HASH, password)
    if account is None or not valid or not account.active:
        if reserved >= FREE_ATTEMPTS:
            wait = int(_wait_after(reserved).total_seconds())
            return Login(None, LOCKED.format(wait=wait), wait)
        return Login(None, WRONG)
    accounts.clear_attempts(name)
    accounts.update(account.name, failed_logins=0, blocked_until=None, last_login_at=moment)
    if _hasher.check_needs_rehash(account.password_hash):
        accounts.update(account.name, password_hash=_hash(password))
    return Login(accounts.get(account.name))


def _wait_after(failures: int) -> dt.timedelta:
    return min(MAX_WAIT, dt.timedelta(seconds=5 * 2 ** min(failures - FREE_ATTEMPTS, 20)))


def _verify(password_hash: str, password: str) -> bool:
    try:
        with HASHING:
            return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
