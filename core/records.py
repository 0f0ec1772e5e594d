"""The records of a call's judgement and instruction, as plain data: analyses, waivers,
their undoing, events and the state of each dossier's instruction.

``instruction.store`` reads and writes them; the run's pipeline (``judging.finalize``) reads the
waivers and the latest analyses without knowing where they are kept. Moments are aware
date-times (UTC in the databases, shown in Europe/Paris by ``core.french``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from core.french import iso


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
    origin: str = "analyse"  # "analyse" (a run), "levee" (recorded by a waiver or its undoing)


@dataclass(frozen=True)
class Latest:
    digest: str
    verdict: str
    submission_sha256: str


@dataclass(frozen=True)
class Waiver:
    """A reviewer's waiver of findings, by fingerprint. ``fingerprints`` are the ones still
    waived (an undone finding is left out); ``recorded`` all it covered when made."""

    id: int
    dossier: str
    rule: str
    fingerprints: list[str]
    motif: str
    author: str
    created_at: dt.datetime
    recorded: tuple[str, ...] = ()

    def covers(self, finding: Any) -> bool:
        """Whether this waiver lifts ``finding`` (a report's finding, typed or as JSON)."""
        if isinstance(finding, dict):
            rule, fingerprint = finding.get("rule"), finding.get("fingerprint")
        else:
            rule, fingerprint = finding.rule, finding.fingerprint
        return rule == self.rule and fingerprint in self.fingerprints

    def to_dict(self) -> dict[str, Any]:
        return {"motif": self.motif, "author": self.author, "date": iso(self.created_at), "id": self.id}


@dataclass(frozen=True)
class Revocation:
    """A waiver undone for one finding."""

    id: int
    waiver_id: int
    dossier: str
    fingerprint: str
    motif: str
    author: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Event:
    id: int
    call_id: str
    dossier: str
    kind: str  # commentaire, statut, attribution, decision, courrier
    author: str
    created_at: dt.datetime
    data: dict[str, Any]


STATUS_DEFAULT = "en_instruction"


@dataclass(frozen=True)
class DossierState:
    """Where the instruction of a dossier stands; ``version`` 0 until its first change."""

    call_id: str
    dossier: str
    version: int = 0
    status: str = STATUS_DEFAULT
    assignee: str | None = None
    decision: str | None = None
    decision_motif: str | None = None
    decision_author: str | None = None
    decision_at: dt.datetime | None = None
    letter: str | None = None
    letter_digest: str | None = None
    letter_author: str | None = None
    letter_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    updated_by: str | None = None
    letter_sent: dt.date | None = None  # the day the letter was sent (the latest « envoi_courrier » event)


class Conflict(Exception):
    """The dossier changed since the version the change was based on (``state`` is current)."""

    def __init__(self, state: DossierState) -> None:
        super().__init__(f"dossier {state.dossier}: version {state.version}")
        self.state = state


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives naive datetimes back: they are UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value
