"""Dossier history: every run, every distinct analysis of a dossier, reviewers' waivers.

SQLite under the output folder by default; any SQLAlchemy URL (PostgreSQL:
``postgresql+psycopg://user:pass@host/db``) when an operator shares it between machines or
calls. Rows are keyed by call id and dossier number, so one database can hold several calls.

An analysis row is written only when what a reviewer reads changes (``digest``): a re-run
with nothing changed adds a run, not a thousand identical analyses.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine

HISTORY_ENV = "ESMSNUM_HISTORY_URL"

metadata = MetaData()

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(200), nullable=False, index=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(20), nullable=False),  # en_cours, terminee
    Column("config_sha256", String(64)),
    Column("esmsnum_version", String(40)),
    Column("stats", JSON),
)

analyses = Table(
    "analyses", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("runs.id"), nullable=False),
    Column("call_id", String(200), nullable=False),
    Column("dossier", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("submission_sha256", String(64), nullable=False),
    Column("config_sha256", String(64)),
    Column("verdict", String(20), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("documents", JSON, nullable=False),  # [[path, sha256], ...]
    Column("findings", JSON, nullable=False),  # compact findings with their fingerprint
)

waivers = Table(
    "waivers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(200), nullable=False),
    Column("dossier", String(200), nullable=False),
    Column("rule", String(20), nullable=False),
    Column("fingerprints", JSON, nullable=False),  # the findings waived, by evidence
    Column("motif", Text, nullable=False),
    Column("author", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

Index("ix_analyses_dossier", analyses.c.call_id, analyses.c.dossier, analyses.c.id)
Index("ix_waivers_dossier", waivers.c.call_id, waivers.c.dossier)


@dataclass(frozen=True)
class Analysis:
    id: int
    run_id: int
    call_id: str
    dossier: str
    created_at: dt.datetime
    submission_sha256: str
    verdict: str
    digest: str
    documents: list
    findings: list[dict[str, Any]]


@dataclass(frozen=True)
class Latest:
    digest: str
    verdict: str
    submission_sha256: str


@dataclass(frozen=True)
class Waiver:
    id: int
    dossier: str
    rule: str
    fingerprints: list[str]
    motif: str
    author: str
    created_at: dt.datetime

    def covers(self, finding: dict[str, Any]) -> bool:
        return finding.get("rule") == self.rule and finding.get("fingerprint") in self.fingerprints

    def to_dict(self) -> dict[str, Any]:
        return {"motif": self.motif, "author": self.author, "date": iso(self.created_at)}


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso(value: dt.datetime) -> str:
    if value.tzinfo is None:  # SQLite gives naive datetimes back
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone().isoformat(timespec="seconds")


def default_url(out_dir: Path) -> str:
    return os.environ.get(HISTORY_ENV) or f"sqlite:///{(out_dir / '.esmsnum' / 'history.sqlite').resolve()}"


class History:
    """Thin access layer over the three tables (SQLAlchemy Core, portable SQL only)."""

    def __init__(self, url: str) -> None:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.url = url
        self.engine: Engine = create_engine(url, future=True)
        metadata.create_all(self.engine)

    @classmethod
    def for_output(cls, out_dir: Path, url: str | None = None) -> "History":
        return cls(url or default_url(out_dir))

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ runs
    def start_run(self, call_id: str, config_sha256: str, version: str) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(insert(runs).values(
                call_id=call_id, started_at=now(), status="en_cours", config_sha256=config_sha256,
                esmsnum_version=version))
            return int(result.inserted_primary_key[0])

    def finish_run(self, run_id: int, stats: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(runs).where(runs.c.id == run_id).values(
                finished_at=now(), status="terminee", stats=stats))

    # ------------------------------------------------------------------ analyses
    def record(self, run_id: int, call_id: str, dossier: str, *, submission_sha256: str, config_sha256: str,
               verdict: str, digest: str, documents: list, findings: list[dict[str, Any]]) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(analyses).values(
                run_id=run_id, call_id=call_id, dossier=dossier, created_at=now(),
                submission_sha256=submission_sha256, config_sha256=config_sha256, verdict=verdict,
                digest=digest, documents=documents, findings=findings))

    def latest(self, call_id: str) -> dict[str, Latest]:
        """Every dossier's latest analysis, without its findings (one query for the call)."""
        ranked = select(
            analyses.c.dossier, analyses.c.digest, analyses.c.verdict, analyses.c.submission_sha256,
            func.row_number().over(partition_by=analyses.c.dossier, order_by=analyses.c.id.desc()).label("rank"),
        ).where(analyses.c.call_id == call_id).subquery()
        with self.engine.connect() as conn:
            rows = conn.execute(select(ranked).where(ranked.c.rank == 1)).mappings()
            return {r["dossier"]: Latest(r["digest"], r["verdict"], r["submission_sha256"]) for r in rows}

    def reference(self, call_id: str, dossier: str, submission_sha256: str) -> Analysis | None:
        """The latest analysis of an earlier, different submission of the dossier."""
        query = (select(analyses).where(analyses.c.call_id == call_id, analyses.c.dossier == dossier,
                                        analyses.c.submission_sha256 != submission_sha256)
                 .order_by(analyses.c.id.desc()).limit(1))
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _analysis(row) if row else None

    def timeline(self, call_id: str | None, dossier: str) -> list[Analysis]:
        query = select(analyses).where(analyses.c.dossier == dossier).order_by(analyses.c.id)
        if call_id:
            query = query.where(analyses.c.call_id == call_id)
        with self.engine.connect() as conn:
            return [_analysis(row) for row in conn.execute(query).mappings()]

    def calls_of(self, dossier: str) -> list[str]:
        with self.engine.connect() as conn:
            return sorted({r[0] for r in conn.execute(select(analyses.c.call_id).where(analyses.c.dossier == dossier))})

    # ------------------------------------------------------------------ waivers
    def add_waiver(self, call_id: str, dossier: str, rule: str, fingerprints: list[str], motif: str,
                   author: str | None = None) -> Waiver:
        author = author or getpass.getuser()
        created = now()
        with self.engine.begin() as conn:
            result = conn.execute(insert(waivers).values(
                call_id=call_id, dossier=dossier, rule=rule, fingerprints=sorted(fingerprints), motif=motif,
                author=author, created_at=created))
        return Waiver(int(result.inserted_primary_key[0]), dossier, rule, sorted(fingerprints), motif, author, created)

    def waivers(self, call_id: str, dossier: str | None = None) -> dict[str, list[Waiver]]:
        query = select(waivers).where(waivers.c.call_id == call_id).order_by(waivers.c.id)
        if dossier:
            query = query.where(waivers.c.dossier == dossier)
        out: dict[str, list[Waiver]] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(query).mappings():
                out.setdefault(row["dossier"], []).append(Waiver(
                    row["id"], row["dossier"], row["rule"], list(row["fingerprints"]), row["motif"], row["author"],
                    row["created_at"]))
        return out


def _analysis(row: Any) -> Analysis:
    return Analysis(row["id"], row["run_id"], row["call_id"], row["dossier"], row["created_at"], row["submission_sha256"],
                    row["verdict"], row["digest"], list(row["documents"]), list(row["findings"]))

