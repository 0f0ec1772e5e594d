"""Instructeur groups (« groupes instructeurs », as in Démarches simplifiées): a group is a name,
the calls it covers and the départements it covers (each possibly « tous »); an account belongs
to groups and sees only the dossiers of their scope. Also each account's e-mail address (for
the notifications of ``instruction.mail``).

Kept with the accounts (``instruction.accounts``: the private state folder, or the server
database), in tables of their own created where they lack.

Who sees what (``scope_of``):

- while no group exists at all, every account sees every call served (the databases and the
  demo of the releases before groups keep working as they did);
- once a group exists, an instructeur or lecture account sees only the dossiers of its groups:
  a call covered by one of them, with at least one ESSMS in one of its départements (a dossier
  without a known département only by a group of « tous » départements); an account in no group
  sees no dossier;
- a décideur sees every call (the committee arbitrates the whole call and its envelope);
- an expert sees only the dossiers whose avis was asked of them (``instruction.experts``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    delete,
    insert,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from core.records import aware, now
from instruction.store import open_database

ALL = "tous"
GROUP_NAME = re.compile(r"^[\w .'’()-]{2,80}$")
EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")

team_tables = MetaData()

instructor_groups = Table(
    "instructor_groups",
    team_tables,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("calls", JSON),  # null: every call
    Column("departements", JSON),  # null: every département
    Column("created_at", DateTime(timezone=True), nullable=False),
)

group_members = Table(
    "group_members",
    team_tables,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("group_id", Integer, ForeignKey("instructor_groups.id"), nullable=False),
    Column("account", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("group_id", "account", name="uq_group_member"),
)

account_emails = Table(
    "account_emails",
    team_tables,
    Column("account", String(100), primary_key=True),
    Column("email", String(254), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


class TeamError(Exception):
    """Why a group command is refused (French)."""


def departement_code(value: Any) -> str:
    """« 1 » and « 01 » are the same département; « 2a » is « 2A »."""
    code = str(value or "").strip().upper()
    return code.zfill(2) if code.isdigit() and len(code) < 2 else code


@dataclass(frozen=True)
class Group:
    id: int
    name: str
    calls: tuple[str, ...] | None  # None: every call
    departements: tuple[str, ...] | None  # None: every département
    created_at: dt.datetime
    members: tuple[str, ...] = ()

    def covers_call(self, call_id: str) -> bool:
        return self.calls is None or call_id in self.calls

    def covers(self, call_id: str, departements: Iterable[str]) -> bool:
        if not self.covers_call(call_id):
            return False
        if self.departements is None:
            return True
        return any(departement_code(d) in self.departements for d in departements)

    def describe(self) -> str:
        """« appels : tous ; départements : 38, 73 » (French, for the CLI and the web)."""
        calls = "tous" if self.calls is None else ", ".join(self.calls)
        deps = "tous" if self.departements is None else ", ".join(self.departements)
        return f"appels : {calls} ; départements : {deps}"


@dataclass(frozen=True)
class Scope:
    """What an account sees. ``everything``: every call and dossier; else the groups'."""

    everything: bool
    groups: tuple[Group, ...] = ()

    def call(self, call_id: str) -> bool:
        return self.everything or any(g.covers_call(call_id) for g in self.groups)

    def dossier(self, call_id: str, departements: Iterable[str]) -> bool:
        departements = list(departements)
        return self.everything or any(g.covers(call_id, departements) for g in self.groups)


class TeamStore:
    """The groups, their members and the accounts' e-mail addresses (SQLAlchemy Core)."""

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        self.url = url
        self.engine: Engine = engine if engine is not None else open_database(url, team_tables)
        if engine is not None:
            team_tables.create_all(engine)

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ groups
    def create(self, name: str, calls: list[str] | None, departements: list[str] | None) -> Group:
        name = name.strip()
        if not GROUP_NAME.match(name):
            raise TeamError("Nom de groupe invalide : 2 à 80 caractères, lettres, chiffres, espaces, « - », « ' ».")
        calls = _all_or(calls)
        departements = _all_or([departement_code(d) for d in departements] if departements is not None else None)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(instructor_groups).values(
                        name=name, calls=calls, departements=departements, created_at=now()
                    )
                )
        except IntegrityError:
            raise TeamError(f"Le groupe « {name} » existe déjà.") from None
        return self._get(name)

    def delete(self, name: str) -> None:
        group = self._get(name)
        with self.engine.begin() as conn:
            conn.execute(delete(group_members).where(group_members.c.group_id == group.id))
            conn.execute(delete(instructor_groups).where(instructor_groups.c.id == group.id))

    def add_member(self, name: str, account: str) -> Group:
        group = self._get(name)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(group_members).values(group_id=group.id, account=account, created_at=now()))
        except IntegrityError:
            raise TeamError(f"Le compte {account} est déjà membre du groupe « {group.name} ».") from None
        return self._get(name)

    def remove_member(self, name: str, account: str) -> Group:
        group = self._get(name)
        with self.engine.begin() as conn:
            done = conn.execute(
                delete(group_members).where(group_members.c.group_id == group.id, group_members.c.account == account)
            )
        if done.rowcount != 1:
            raise TeamError(f"Le compte {account} n'est pas membre du groupe « {group.name} ».")
        return self._get(name)

    def all(self) -> list[Group]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(instructor_groups).order_by(instructor_groups.c.name)).mappings().all()
            members: dict[int, list[str]] = {}
            for m in conn.execute(select(group_members).order_by(group_members.c.account)).mappings():
                members.setdefault(m["group_id"], []).append(m["account"])
        return [_group(r, members.get(r["id"], [])) for r in rows]

    def groups_of(self, account: str) -> list[Group]:
        return [g for g in self.all() if account in g.members]

    def _get(self, name: str) -> Group:
        for group in self.all():
            if group.name == name.strip():
                return group
        raise TeamError(f"Aucun groupe « {name} ». Les groupes : esmsnum groupes lister.")

    # ------------------------------------------------------------------ e-mail addresses
    def set_email(self, account: str, email: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(account_emails).where(account_emails.c.account == account))
            if email:
                email = email.strip()
                if not EMAIL.match(email) or len(email) > 254:
                    raise TeamError(f"Adresse électronique invalide : {email}")
                conn.execute(insert(account_emails).values(account=account, email=email, updated_at=now()))

    def email(self, account: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(account_emails.c.email).where(account_emails.c.account == account)).scalar()


def _all_or(values: list[str] | None) -> list[str] | None:
    """None (every one) when ``values`` is None, empty or names « tous »."""
    if values is None:
        return None
    cleaned = sorted({v.strip() for v in values if v and v.strip()})
    if not cleaned or any(v.casefold() == ALL for v in cleaned):
        return None
    return cleaned


def _group(row: Any, members: list[str]) -> Group:
    calls = row["calls"]
    deps = row["departements"]
    return Group(
        row["id"],
        row["name"],
        tuple(calls) if calls is not None else None,
        tuple(deps) if deps is not None else None,
        aware(row["created_at"]),
        tuple(members),
    )


def scope_of(role: str, name: str, teams: TeamStore) -> Scope:
    """What the account ``name`` of ``role`` sees (experts: ``instruction.experts``)."""
    if role == "expert":
        return Scope(False)  # only the dossiers asked of them: ``instruction.experts``
    if role == "decideur":
        return Scope(True)
    groups = teams.all()
    if not groups:
        return Scope(True)  # no group exists: the behaviour before groups
    return Scope(False, tuple(g for g in groups if name in g.members))
