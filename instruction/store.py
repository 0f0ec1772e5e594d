"""The store of a call's records: every run, every distinct analysis of a dossier, reviewers'
waivers and the instruction of each dossier (the record types are ``core.records``).

SQLite under the output folder by default; any SQLAlchemy URL (PostgreSQL:
``postgresql+psycopg://user:pass@host/db``) when an operator shares it between machines or
calls. Rows are keyed by call id and dossier number, so one database can hold several calls.

An analysis row is written only when what a reviewer reads changes (``digest``): a re-run
with nothing changed adds a run, not a thousand identical analyses.

The instruction workspace (``esmsnum web``) adds: the undoing of a
waiver for one finding (``waiver_revocations``, a new row: nothing is ever deleted), an
append-only event log (comments, statuses, assignments, decisions, letters) and each dossier's
current state with a version counter (optimistic concurrency: a change based on an older
version is refused with ``Conflict``). Opening an older database creates the missing tables.
Accounts are kept apart (``instruction.accounts``).
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from core.records import (
    STATUS_DEFAULT,
    Analysis,
    Conflict,
    DossierState,
    Event,
    Latest,
    Revocation,
    Waiver,
    aware,
    now,
)
from core.state import create_private_file
from instruction.workflow import LEGACY_STATUSES, status_code

HISTORY_ENV = "ESMSNUM_HISTORY_URL"

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(200), nullable=False, index=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(20), nullable=False),  # en_cours, terminee, interrompue
    Column("config_sha256", String(64)),
    Column("esmsnum_version", String(40)),
    Column("stats", JSON),
)

analyses = Table(
    "analyses",
    metadata,
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
    "waivers",
    metadata,
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

# ---------------------------------------------------------------- the instruction workspace
# Added after the first release: ``create_all`` creates them in an existing database (the
# tables above are left as they are), so an older history is migrated by opening it.

waiver_revocations = Table(
    "waiver_revocations",
    metadata,  # undoing a waiver is a new row, never a delete
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("waiver_id", Integer, ForeignKey("waivers.id"), nullable=False),
    Column("call_id", String(200), nullable=False),
    Column("dossier", String(200), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("motif", Text, nullable=False),
    Column("author", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

events = Table(
    "events",
    metadata,  # append-only log of the instruction: comments, statuses, decisions…
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(200), nullable=False),
    Column("dossier", String(200), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("author", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("data", JSON, nullable=False),
)

dossier_state = Table(
    "dossier_state",
    metadata,  # the current instruction of a dossier, derived from ``events``
    Column("call_id", String(200), primary_key=True),
    Column("dossier", String(200), primary_key=True),
    Column("version", Integer, nullable=False),  # optimistic concurrency: +1 at every change
    Column("status", String(30), nullable=False),
    Column("assignee", String(100)),
    Column("decision", String(1)),
    Column("decision_motif", Text),
    Column("decision_author", String(200)),
    Column("decision_at", DateTime(timezone=True)),
    Column("letter", Text),
    Column("letter_digest", String(64)),  # the report the edited letter was written against
    Column("letter_author", String(200)),
    Column("letter_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
    Column("updated_by", String(200)),
)

# The instruction's decisions and letters of record (``instruction.decisions``,
# ``instruction.corrections``, ``instruction.records``): new tables, so an older database
# gains them by being opened.

decisions = Table(
    "decisions",
    metadata,  # a décideur's decision, or the reopening of a decided dossier: appended, never changed
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(200), nullable=False),
    Column("dossier", String(200), nullable=False),
    Column("outcome", String(30), nullable=False),  # accepte, refuse, classe_sans_suite, reouverture
    Column("amount", Float),  # the amount granted (accepte)
    Column("amount_ceiling", Float),  # the eligible (else requested) amount the report computed then
    Column("amount_reason", Text),  # why it is lower than the amount the report computed
    Column("motif", Text),
    Column("author", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

correction_requests = Table(
    "correction_requests",
    metadata,  # what the owner is asked to correct, and the submission that answered it
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(200), nullable=False),
    Column("dossier", String(200), nullable=False),
    Column("items", JSON, nullable=False),  # [{"text", "fingerprint", "rule"}, ...]
    Column("free_text", Text),
    Column("deadline", Date, nullable=False),
    Column("author", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("verdict", String(20), nullable=False),  # the report's verdict when it was asked
    Column("submission_sha256", String(64), nullable=False),  # the submission it is about
    Column("findings", JSON, nullable=False),  # the report's active findings then (fingerprint, rule, message)
    Column("answered_at", DateTime(timezone=True)),
    Column("answered_sha256", String(64)),  # the corrected submission
)

letter_versions = Table(
    "letter_versions",
    metadata,  # every saved version of a letter of record (body None: back to the drafted one)
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(200), nullable=False),
    Column("dossier", String(200), nullable=False),
    Column("kind", String(30), nullable=False),  # reports.letter.KINDS
    Column("body", Text),
    Column("author", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("report_digest", String(64)),  # the report the version was written against
)

Index("ix_events_dossier", events.c.call_id, events.c.dossier, events.c.id)
Index("ix_decisions_dossier", decisions.c.call_id, decisions.c.dossier)
Index("ix_corrections_dossier", correction_requests.c.call_id, correction_requests.c.dossier)
Index("ix_letter_versions_dossier", letter_versions.c.call_id, letter_versions.c.dossier)
Index("ix_revocations_dossier", waiver_revocations.c.call_id, waiver_revocations.c.dossier)


SENDING = "envoi_courrier"  # the event of a letter's sending date
CALL_LEVEL = ""  # the « dossier » of an event about the call as a whole (its envelope): no dossier is named so


def default_url(out_dir: Path) -> str:
    return os.environ.get(HISTORY_ENV) or f"sqlite:///{(out_dir / '.esmsnum' / 'history.sqlite').resolve()}"


def split_password(url: str) -> tuple[str, str | None]:
    """``url`` without its password, and the password (None when it holds none). Passwords
    are read by libpq from ``PGPASSWORD`` or ``~/.pgpass``, never carried in a URL that a
    flow run's parameters, a log or a report would keep."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return url, None
    if parsed.password is None:
        return url, None
    return parsed._replace(password=None).render_as_string(hide_password=False), str(parsed.password)


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Wait for a writer instead of failing at once (the web workspace writes from threads)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 15000")
    cursor.close()


def open_database(url: str, tables: MetaData) -> Engine:
    """An engine on ``url`` with ``tables`` created where the database lacks them (the others
    are left as they are: an older database is migrated by opening it)."""
    if url.startswith("sqlite:///"):
        # 0600: the history names reviewers and holds their comments; SQLite gives its
        # journal files the database's mode.
        create_private_file(Path(url.removeprefix("sqlite:///")))
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", sqlite_pragmas)
    tables.create_all(engine)
    return engine


def _recorded(table: Table, call_id: str, dossier: str | None = None):
    """The rows of ``table`` for the call (for one dossier, when given), in the order recorded."""
    query = select(table).where(table.c.call_id == call_id).order_by(table.c.id)
    return query.where(table.c.dossier == dossier) if dossier else query


class History:
    """Thin access layer over the tables (SQLAlchemy Core, portable SQL only)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = open_database(url, metadata)
        self._map_legacy_statuses()

    def _map_legacy_statuses(self) -> None:
        """The statuses of a database written before the decisions (« À instruire »,
        « Compléments demandés », « Instruit ») renamed to today's (``LEGACY_STATUSES``)."""
        with self.engine.begin() as conn:
            for old, new in LEGACY_STATUSES.items():
                conn.execute(update(dossier_state).where(dossier_state.c.status == old).values(status=new))

    @classmethod
    def for_output(cls, out_dir: Path, url: str | None = None) -> History:
        return cls(url or default_url(out_dir))

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ runs
    def start_run(self, call_id: str, config_sha256: str, version: str, out_dir: Path | None = None) -> int:
        """A new run, ``en_cours``. ``out_dir``: the output folder whose lock the caller holds;
        the runs of the call still ``en_cours`` there were stopped midway (a ``kill -9``, a
        power cut: the lock would still be held otherwise) and are marked ``interrompue``."""
        with self.engine.begin() as conn:
            if out_dir is not None:
                self._mark_interrupted(conn, call_id, str(out_dir.resolve()))
            result = conn.execute(
                insert(runs).values(
                    call_id=call_id,
                    started_at=now(),
                    status="en_cours",
                    config_sha256=config_sha256,
                    esmsnum_version=version,
                    stats={"out_dir": str(out_dir.resolve())} if out_dir is not None else None,
                )
            )
            return int(result.inserted_primary_key[0])

    @staticmethod
    def _mark_interrupted(conn: Any, call_id: str, out_dir: str) -> None:
        stale = conn.execute(
            select(runs.c.id, runs.c.stats).where(runs.c.call_id == call_id, runs.c.status == "en_cours")
        ).all()
        ids = [row.id for row in stale if isinstance(row.stats, dict) and row.stats.get("out_dir") == out_dir]
        if ids:
            conn.execute(update(runs).where(runs.c.id.in_(ids)).values(status="interrompue"))

    def run_statuses(self, call_id: str) -> list[str]:
        """The status of each run of the call, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(runs.c.status).where(runs.c.call_id == call_id).order_by(runs.c.id)).all()
        return [row.status for row in rows]

    def finish_run(self, run_id: int, stats: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(finished_at=now(), status="terminee", stats={**stats, **self._run_stats(conn, run_id)})
            )

    # ------------------------------------------------------------------ analyses
    @staticmethod
    def _run_stats(conn: Any, run_id: int) -> dict[str, Any]:
        stats = conn.execute(select(runs.c.stats).where(runs.c.id == run_id)).scalar()
        return {"out_dir": stats["out_dir"]} if isinstance(stats, dict) and "out_dir" in stats else {}

    def record(
        self,
        run_id: int,
        call_id: str,
        dossier: str,
        *,
        submission_sha256: str,
        config_sha256: str,
        verdict: str,
        digest: str,
        documents: list,
        findings: list[dict[str, Any]],
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(analyses).values(
                    run_id=run_id,
                    call_id=call_id,
                    dossier=dossier,
                    created_at=now(),
                    submission_sha256=submission_sha256,
                    config_sha256=config_sha256,
                    verdict=verdict,
                    digest=digest,
                    documents=documents,
                    findings=findings,
                )
            )

    def latest(self, call_id: str) -> dict[str, Latest]:
        """Every dossier's latest analysis, without its findings (one query for the call)."""
        ranked = (
            select(
                analyses.c.dossier,
                analyses.c.digest,
                analyses.c.verdict,
                analyses.c.submission_sha256,
                func.row_number().over(partition_by=analyses.c.dossier, order_by=analyses.c.id.desc()).label("rank"),
            )
            .where(analyses.c.call_id == call_id)
            .subquery()
        )
        with self.engine.connect() as conn:
            rows = conn.execute(select(ranked).where(ranked.c.rank == 1)).mappings()
            return {r["dossier"]: Latest(r["digest"], r["verdict"], r["submission_sha256"]) for r in rows}

    def reference(self, call_id: str, dossier: str, submission_sha256: str) -> Analysis | None:
        """The latest analysis of an earlier, different submission of the dossier."""
        query = (
            select(analyses)
            .where(
                analyses.c.call_id == call_id,
                analyses.c.dossier == dossier,
                analyses.c.submission_sha256 != submission_sha256,
            )
            .order_by(analyses.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _analysis(row) if row else None

    def timeline(self, call_id: str | None, dossier: str) -> list[Analysis]:
        """The dossier's analyses, oldest first; ``origin`` says which were recorded by a waiver."""
        query = (
            select(analyses, runs.c.stats)
            .join(runs, runs.c.id == analyses.c.run_id)
            .where(analyses.c.dossier == dossier)
            .order_by(analyses.c.id)
        )
        if call_id:
            query = query.where(analyses.c.call_id == call_id)
        with self.engine.connect() as conn:
            return [_analysis(row, _origin(row["stats"])) for row in conn.execute(query).mappings()]

    def calls_of(self, dossier: str) -> list[str]:
        with self.engine.connect() as conn:
            return sorted({r[0] for r in conn.execute(select(analyses.c.call_id).where(analyses.c.dossier == dossier))})

    # ------------------------------------------------------------------ waivers
    def add_waiver(
        self,
        call_id: str,
        dossier: str,
        rule: str,
        fingerprints: list[str],
        motif: str,
        author: str | None = None,
        *,
        expected_version: int | None = None,
    ) -> Waiver:
        """Record a waiver. With ``expected_version``, the dossier's version is checked and
        bumped in the same transaction (``Conflict`` when it moved)."""
        author = author or getpass.getuser()
        created = now()
        row_id = self._insert_versioned(
            waivers,
            expected_version,
            call_id=call_id,
            dossier=dossier,
            rule=rule,
            fingerprints=sorted(fingerprints),
            motif=motif,
            author=author,
            created_at=created,
        )
        return Waiver(
            row_id,
            dossier,
            rule,
            sorted(fingerprints),
            motif,
            author,
            created,
            tuple(sorted(fingerprints)),
        )

    def revoke_waiver(
        self,
        call_id: str,
        dossier: str,
        waiver_id: int,
        fingerprint: str,
        motif: str,
        author: str,
        *,
        expected_version: int | None = None,
    ) -> Revocation:
        """Undo the waiver of one finding: a new row, the waiver itself is kept."""
        created = now()
        row_id = self._insert_versioned(
            waiver_revocations,
            expected_version,
            waiver_id=waiver_id,
            call_id=call_id,
            dossier=dossier,
            fingerprint=fingerprint,
            motif=motif,
            author=author,
            created_at=created,
        )
        return Revocation(row_id, waiver_id, dossier, fingerprint, motif, author, created)

    def _insert_versioned(self, table: Table, expected_version: int | None, **values) -> int:
        """Insert a row of ``table`` (a dossier's record: ``call_id``, ``dossier``, ``author``,
        ``created_at``) and return its id; with ``expected_version``, the dossier's version is
        checked and bumped in the same transaction (``Conflict`` when it moved)."""
        call_id, dossier = values["call_id"], values["dossier"]
        if expected_version is not None:
            self._ensure_state(call_id, dossier)
        with self.engine.begin() as conn:
            if expected_version is not None:
                self._bump(conn, call_id, dossier, expected_version, values["author"], values["created_at"])
            result = conn.execute(insert(table).values(**values))
        return int(result.inserted_primary_key[0])

    def record_change(
        self,
        table: Table,
        *,
        expected_version: int,
        event: tuple[str, dict[str, Any]],
        fields: dict[str, Any] | None = None,
        **values: Any,
    ) -> int:
        """Insert a row of ``table`` (``call_id``, ``dossier``, ``author``, ``created_at``),
        change the dossier's state (``fields``) and log ``event`` (kind, data), in one
        transaction, if nobody changed the dossier since ``expected_version`` (else
        ``Conflict``). Returns the row's id."""
        call_id, dossier, author, created = values["call_id"], values["dossier"], values["author"], values["created_at"]
        self._ensure_state(call_id, dossier)
        kind, data = event
        with self.engine.begin() as conn:
            self._bump(conn, call_id, dossier, expected_version, author, created, fields)
            result = conn.execute(insert(table).values(**values))
            row_id = int(result.inserted_primary_key[0])
            conn.execute(
                insert(events).values(
                    call_id=call_id,
                    dossier=dossier,
                    kind=kind,
                    author=author,
                    created_at=created,
                    data=data | {"id": row_id},
                )
            )
        return row_id

    def rows(self, table: Table, call_id: str, dossier: str | None = None) -> list[dict[str, Any]]:
        """The rows of one of the instruction's tables for the call (or one dossier), oldest first."""
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(_recorded(table, call_id, dossier)).mappings()]
        return [{k: aware(v) if isinstance(v, dt.datetime) else v for k, v in r.items()} for r in rows]

    def answer_correction(
        self, request_id: int, call_id: str, dossier: str, sha256: str, author: str, status: str
    ) -> None:
        """The correction request ``request_id`` answered by the submission ``sha256``: marked
        so, the dossier's status set back to ``status`` (when it still waits for the correction:
        a dossier decided meanwhile keeps its decision) and the answer logged, in one
        transaction (the version bumped without a check: a run is not a reviewer's page)."""
        created = now()
        self._ensure_state(call_id, dossier)
        key = (dossier_state.c.call_id == call_id) & (dossier_state.c.dossier == dossier)
        with self.engine.begin() as conn:
            done = conn.execute(
                update(correction_requests)
                .where(correction_requests.c.id == request_id, correction_requests.c.answered_at.is_(None))
                .values(answered_at=created, answered_sha256=sha256)
            )
            if done.rowcount != 1:
                return  # answered by another run meanwhile
            before = status_code(conn.execute(select(dossier_state.c.status).where(key)).scalar())
            if before != "en_attente_correction":  # decided meanwhile (refused, classé sans suite): it stays so
                status = before
            conn.execute(
                update(dossier_state)
                .where(key)
                .values(version=dossier_state.c.version + 1, status=status, updated_at=created, updated_by=author)
            )
            conn.execute(
                insert(events).values(
                    call_id=call_id,
                    dossier=dossier,
                    kind="reponse_correction",
                    author=author,
                    created_at=created,
                    data={"id": request_id, "sha256": sha256, "before": before, "after": status},
                )
            )

    def waivers(
        self, call_id: str, dossier: str | None = None, *, include_revoked: bool = False
    ) -> dict[str, list[Waiver]]:
        """The waivers in force, per dossier (the findings undone are left out of each; a
        waiver whose findings were all undone is left out, unless ``include_revoked``)."""
        query = _recorded(waivers, call_id, dossier)
        revoked: dict[int, set[str]] = {}
        for r in self.revocations(call_id, dossier):
            revoked.setdefault(r.waiver_id, set()).add(r.fingerprint)
        out: dict[str, list[Waiver]] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(query).mappings():
                recorded = list(row["fingerprints"])
                live = [f for f in recorded if f not in revoked.get(row["id"], set())]
                if not live and not include_revoked:
                    continue
                out.setdefault(row["dossier"], []).append(
                    Waiver(
                        row["id"],
                        row["dossier"],
                        row["rule"],
                        live,
                        row["motif"],
                        row["author"],
                        aware(row["created_at"]),
                        tuple(recorded),
                    )
                )
        return out

    def revocations(self, call_id: str, dossier: str | None = None) -> list[Revocation]:
        query = _recorded(waiver_revocations, call_id, dossier)
        with self.engine.connect() as conn:
            return [
                Revocation(
                    r["id"],
                    r["waiver_id"],
                    r["dossier"],
                    r["fingerprint"],
                    r["motif"],
                    r["author"],
                    aware(r["created_at"]),
                )
                for r in conn.execute(query).mappings()
            ]

    # ------------------------------------------------------------------ instruction
    def state(self, call_id: str, dossier: str) -> DossierState:
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(dossier_state).where(dossier_state.c.call_id == call_id, dossier_state.c.dossier == dossier)
                )
                .mappings()
                .first()
            )
        state = _state(row) if row else DossierState(call_id, dossier)
        return replace(state, letter_sent=self.sendings(call_id, dossier).get(dossier))

    def states(self, call_id: str) -> dict[str, DossierState]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(dossier_state).where(dossier_state.c.call_id == call_id)).mappings()
            out = {r["dossier"]: _state(r) for r in rows}
        for dossier, day in self.sendings(call_id).items():
            out[dossier] = replace(out.get(dossier) or DossierState(call_id, dossier), letter_sent=day)
        return out

    def record_sending(self, call_id: str, dossier: str, day: dt.date, author: str, kind: str | None) -> Event:
        """The letter of the dossier was sent on ``day`` (appended: the chronology keeps every
        date given, the latest is the letter's). Checked by the caller
        (``instruction.letters.sending_refusal``)."""
        created = now()
        data = {"date": day.isoformat(), "letter_kind": kind}
        with self.engine.begin() as conn:
            result = conn.execute(
                insert(events).values(
                    call_id=call_id, dossier=dossier, kind=SENDING, author=author, created_at=created, data=data
                )
            )
        return Event(int(result.inserted_primary_key[0]), call_id, dossier, SENDING, author, created, data)

    def sendings(self, call_id: str, dossier: str | None = None) -> dict[str, dt.date]:
        """The latest sending date recorded for each dossier of the call."""
        query = select(events.c.dossier, events.c.data).where(events.c.call_id == call_id, events.c.kind == SENDING)
        if dossier is not None:
            query = query.where(events.c.dossier == dossier)
        out: dict[str, dt.date] = {}
        with self.engine.connect() as conn:
            for r in conn.execute(query.order_by(events.c.id)).mappings():
                try:
                    out[r["dossier"]] = dt.date.fromisoformat(str((r["data"] or {}).get("date")))
                except ValueError:
                    continue
        return out

    def sendings_by_kind(self, call_id: str, dossier: str | None = None) -> dict[tuple[str, str], dt.date]:
        """The latest sending date recorded for each (dossier, letter kind) of the call."""
        query = select(events.c.dossier, events.c.data).where(events.c.call_id == call_id, events.c.kind == SENDING)
        if dossier is not None:
            query = query.where(events.c.dossier == dossier)
        out: dict[tuple[str, str], dt.date] = {}
        with self.engine.connect() as conn:
            for r in conn.execute(query.order_by(events.c.id)).mappings():
                data = r["data"] or {}
                try:
                    out[(r["dossier"], str(data.get("letter_kind") or ""))] = dt.date.fromisoformat(
                        str(data.get("date"))
                    )
                except ValueError:
                    continue
        return out

    def change(
        self,
        call_id: str,
        dossier: str,
        *,
        expected_version: int,
        author: str,
        kind: str,
        data: dict[str, Any],
        **fields: Any,
    ) -> DossierState:
        """Change the instruction of a dossier (status, assignee, decision, letter) and log it,
        if nobody changed the dossier since ``expected_version``; else ``Conflict``."""
        allowed = set(dossier_state.c.keys()) - {"call_id", "dossier", "version", "updated_at", "updated_by"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"unknown fields: {sorted(unknown)}")
        created = now()
        self._ensure_state(call_id, dossier)
        with self.engine.begin() as conn:
            self._bump(conn, call_id, dossier, expected_version, author, created, fields)
            conn.execute(
                insert(events).values(
                    call_id=call_id, dossier=dossier, kind=kind, author=author, created_at=created, data=data
                )
            )
        return self.state(call_id, dossier)

    def comment(self, call_id: str, dossier: str, author: str, text: str) -> Event:
        """An annotation for the team: appended, never a conflict (nothing is overwritten)."""
        created = now()
        with self.engine.begin() as conn:
            result = conn.execute(
                insert(events).values(
                    call_id=call_id,
                    dossier=dossier,
                    kind="commentaire",
                    author=author,
                    created_at=created,
                    data={"text": text},
                )
            )
        return Event(
            int(result.inserted_primary_key[0]), call_id, dossier, "commentaire", author, created, {"text": text}
        )

    def set_envelope(self, call_id: str, amount: float | None, author: str) -> Event:
        """The call's envelope as the décideur enters it for the committee (None: removed),
        logged with the call's events (its audit: who, when, from what to what)."""
        before = self.envelope(call_id)
        data = {"before": before.data.get("after") if before else None, "after": amount}
        created = now()
        with self.engine.begin() as conn:
            result = conn.execute(
                insert(events).values(
                    call_id=call_id, dossier=CALL_LEVEL, kind="enveloppe", author=author, created_at=created, data=data
                )
            )
        return Event(int(result.inserted_primary_key[0]), call_id, CALL_LEVEL, "enveloppe", author, created, data)

    def envelope(self, call_id: str) -> Event | None:
        """The latest envelope entered for the call (``data["after"]``: the amount, None when
        it was removed), or None when none ever was."""
        query = (
            select(events)
            .where(events.c.call_id == call_id, events.c.dossier == CALL_LEVEL, events.c.kind == "enveloppe")
            .order_by(events.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            r = conn.execute(query).mappings().first()
        if r is None:
            return None
        return Event(
            r["id"], r["call_id"], r["dossier"], r["kind"], r["author"], aware(r["created_at"]), dict(r["data"])
        )

    def events(self, call_id: str, dossier: str | None = None) -> list[Event]:
        query = _recorded(events, call_id, dossier)
        with self.engine.connect() as conn:
            return [
                Event(
                    r["id"],
                    r["call_id"],
                    r["dossier"],
                    r["kind"],
                    r["author"],
                    aware(r["created_at"]),
                    dict(r["data"] or {}),
                )
                for r in conn.execute(query).mappings()
            ]

    def _ensure_state(self, call_id: str, dossier: str) -> None:
        """The dossier's state row at version 0, if it has none yet."""
        key = (dossier_state.c.call_id == call_id) & (dossier_state.c.dossier == dossier)
        with self.engine.connect() as conn:
            if conn.execute(select(dossier_state.c.version).where(key)).first() is not None:
                return
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(dossier_state).values(call_id=call_id, dossier=dossier, version=0, status=STATUS_DEFAULT)
                )
        except IntegrityError:
            pass  # created by another writer meanwhile

    def _bump(
        self,
        conn: Any,
        call_id: str,
        dossier: str,
        expected: int,
        author: str,
        when: dt.datetime,
        fields: dict[str, Any] | None = None,
    ) -> None:
        """Version check and increment inside the caller's transaction."""
        key = (dossier_state.c.call_id == call_id) & (dossier_state.c.dossier == dossier)
        values = {"version": dossier_state.c.version + 1, "updated_at": when, "updated_by": author, **(fields or {})}
        result = conn.execute(update(dossier_state).where(key, dossier_state.c.version == expected).values(**values))
        if result.rowcount != 1:
            row = conn.execute(select(dossier_state).where(key)).mappings().first()
            raise Conflict(_state(row) if row else DossierState(call_id, dossier))


def _origin(stats: Any) -> str:
    if isinstance(stats, dict) and ("levee" in stats or stats.get("origine") == "levee"):
        return "levee"
    return "analyse"


def _analysis(row: Any, origin: str = "analyse") -> Analysis:
    return Analysis(
        row["id"],
        row["run_id"],
        row["call_id"],
        row["dossier"],
        aware(row["created_at"]),
        row["submission_sha256"],
        row["verdict"],
        row["digest"],
        list(row["documents"]),
        list(row["findings"]),
        origin,
    )


def _state(row: Any) -> DossierState:
    values = dict(row)
    values["status"] = status_code(values.get("status"))
    for key in ("decision_at", "letter_at", "updated_at"):
        values[key] = aware(values.get(key))
    return DossierState(**values)
