"""Experts' opinions (« avis d'experts », as in Démarches simplifiées): an instructeur or a
décideur asks an expert account a question about a dossier; the expert answers once, with an
avis (favorable, défavorable, réservé) and its motivation (required). Nothing is ever changed
nor deleted afterwards: the request and its answer are the audit (who asked, when, what; who
answered, when, what).

A table of the call's history database (``instruction.store``), created where it lacks. An
expert account sees only the dossiers whose avis was asked of it (``visible``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, Text, insert, select, update
from sqlalchemy.engine import Engine

from core.records import aware, now
from instruction.timeline import Entry

AVIS = {"favorable": "Favorable", "defavorable": "Défavorable", "reserve": "Réservé"}
MAX_QUESTION = 2000
MAX_MOTIVATION = 5000

expert_tables = MetaData()

expert_requests = Table(
    "expert_requests",
    expert_tables,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(200), nullable=False),
    Column("dossier", String(200), nullable=False),
    Column("expert", String(100), nullable=False),
    Column("question", Text, nullable=False),
    Column("requested_by", String(200), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("avis", String(20)),  # null until answered
    Column("motivation", Text),
    Column("answered_at", DateTime(timezone=True)),
)
Index("ix_expert_requests_dossier", expert_requests.c.call_id, expert_requests.c.dossier)
Index("ix_expert_requests_expert", expert_requests.c.expert)


class ExpertError(Exception):
    """Why an avis cannot be asked or given (French)."""


@dataclass(frozen=True)
class Request:
    id: int
    call_id: str
    dossier: str
    expert: str
    question: str
    requested_by: str
    requested_at: dt.datetime
    avis: str | None
    motivation: str | None
    answered_at: dt.datetime | None

    @property
    def avis_label(self) -> str | None:
        return AVIS.get(self.avis) if self.avis else None


class Experts:
    """The avis of one history database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        expert_tables.create_all(engine)

    def ask(self, call_id: str, dossier: str, expert: str, question: str, author: str) -> Request:
        question = (question or "").strip()[:MAX_QUESTION]
        if not question:
            raise ExpertError("Indiquez la question posée à l'expert : rien n'a été enregistré.")
        for r in self.of_dossier(call_id, dossier):
            if r.expert == expert and r.avis is None:
                raise ExpertError(f"Un avis est déjà demandé à {expert} sur ce dossier et pas encore rendu.")
        with self.engine.begin() as conn:
            result = conn.execute(
                insert(expert_requests).values(
                    call_id=call_id,
                    dossier=dossier,
                    expert=expert,
                    question=question,
                    requested_by=author,
                    requested_at=now(),
                )
            )
        return self.get(int(result.inserted_primary_key[0]))

    def answer(self, request_id: int, expert: str, avis: str, motivation: str) -> Request:
        """The expert's avis, once: a second answer (or someone else's) is refused."""
        if avis not in AVIS:
            raise ExpertError("Choisissez l'avis : favorable, défavorable ou réservé.")
        motivation = (motivation or "").strip()[:MAX_MOTIVATION]
        if not motivation:
            raise ExpertError("Motivez votre avis : la motivation est obligatoire.")
        with self.engine.begin() as conn:
            done = conn.execute(
                update(expert_requests)
                .where(
                    expert_requests.c.id == request_id,
                    expert_requests.c.expert == expert,
                    expert_requests.c.avis.is_(None),
                )
                .values(avis=avis, motivation=motivation, answered_at=now())
            )
        if done.rowcount != 1:
            raise ExpertError("Cet avis a déjà été rendu, ou il n'est pas demandé à votre compte : rien n'a changé.")
        return self.get(request_id)

    def get(self, request_id: int) -> Request:
        with self.engine.connect() as conn:
            row = conn.execute(select(expert_requests).where(expert_requests.c.id == request_id)).mappings().first()
        if row is None:
            raise ExpertError("Demande d'avis inconnue.")
        return _request(row)

    def of_dossier(self, call_id: str, dossier: str) -> list[Request]:
        query = (
            select(expert_requests)
            .where(expert_requests.c.call_id == call_id, expert_requests.c.dossier == dossier)
            .order_by(expert_requests.c.id)
        )
        with self.engine.connect() as conn:
            return [_request(r) for r in conn.execute(query).mappings()]

    def of_expert(self, call_id: str, expert: str) -> list[Request]:
        query = (
            select(expert_requests)
            .where(expert_requests.c.call_id == call_id, expert_requests.c.expert == expert)
            .order_by(expert_requests.c.id)
        )
        with self.engine.connect() as conn:
            return [_request(r) for r in conn.execute(query).mappings()]

    def visible(self, call_id: str, expert: str) -> set[str]:
        """The dossiers of the call whose avis was asked of ``expert``."""
        return {r.dossier for r in self.of_expert(call_id, expert)}


def _request(row: Any) -> Request:
    values = dict(row)
    for key in ("requested_at", "answered_at"):
        values[key] = aware(values.get(key))
    return Request(**values)


def avis_entries(experts: Experts, call_id: str, dossier: str, only: str | None = None) -> list[Entry]:
    """The dossier's chronology of its avis: each request, each answer (``only``: of this expert)."""
    out = []
    for r in experts.of_dossier(call_id, dossier):
        if only is not None and r.expert != only:
            continue
        out.append(Entry(r.requested_at, r.requested_by, "avis_demande", f"Avis demandé à {r.expert}", r.question))
        if r.avis and r.answered_at:
            out.append(Entry(r.answered_at, r.expert, "avis", f"Avis d'expert : {r.avis_label}", r.motivation))
    return out
