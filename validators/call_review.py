"""Rules over the whole call (LOT): they read a small view of every dossier's report once all
are judged, and return the findings to add to the dossiers concerned (the verdicts are
re-decided with them in ``judging.finalize``)."""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from core.config import CallConfig
from core.models import Finding, Location
from extractors.values import parse_date
from validators.config_view import ConfigView, ReadLog
from validators.engine import severity_for
from validators.registry import Hit, all_rules

log = logging.getLogger(__name__)


@dataclass
class Submission:
    """What the call rules see of one dossier: its report."""

    dossier: str
    report: dict[str, Any]

    @property
    def submitted_at(self) -> dt.datetime | None:
        raw = self.report.get("date_depot")
        if not raw:
            return None
        try:
            value = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
            return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        except ValueError:
            day = parse_date(str(raw)).value
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc) if day else None

    @property
    def porteur_ej(self) -> str | None:
        return (self.report.get("porteur") or {}).get("finess_ej")

    @property
    def finess(self) -> dict[str, dict[str, Any]]:
        """Eligible ESSMS of the dossier (an excluded one is not funded: no double funding)."""
        return {e["finess"]: e for e in self.report.get("essms", []) if e.get("finess") and e.get("eligible", True)}

    def location_of(self, finess: str) -> Location | None:
        entry = self.finess.get(finess)
        return Location.from_dict(entry["location"]) if entry and entry.get("location") else None

    def describe_date(self) -> str:
        when = self.submitted_at
        return when.strftime("%d/%m/%Y %H:%M") if when else "date de dépôt inconnue"


CallHits = Iterator[tuple[str, Hit]]  # (dossier, hit)


def run_call_rules(submissions: list[Submission], config: CallConfig,
                   reads: ReadLog | None = None) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for rule in all_rules().values():
        if rule.scope != "call" or not config.rule_setting(rule.id).enabled:
            continue
        severity = severity_for(rule, config)
        try:
            hits = list(rule.check(submissions, ConfigView(config, rule.id, rule.params, reads)))
        except Exception:  # noqa: BLE001 - a call rule bug must not cost the batch
            log.error("call rule %s failed\n%s", rule.id, traceback.format_exc())
            continue
        for dossier, hit in hits:
            out.setdefault(dossier, []).append(Finding(
                rule=rule.id, severity=hit.severity or severity, title=rule.title, message=hit.message,
                expected=hit.expected, found=hit.found, location=hit.location,
            ))
    return out


LOT_FIELDS = ("dossier", "date_depot", "porteur", "essms")


def lot_view(report: dict[str, Any]) -> dict[str, Any]:
    """The little the call rules read of a dossier's report (kept in memory for the whole call)."""
    return {key: report.get(key) for key in LOT_FIELDS}


def review_call(views: list[dict[str, Any]], config: CallConfig,
                reads: ReadLog | None = None) -> dict[str, list[Finding]]:
    """The call rules over every dossier of the call: the findings to add, per dossier."""
    submissions = [Submission(v["dossier"], v) for v in sorted(views, key=lambda v: v["dossier"])]
    return run_call_rules(submissions, config, reads)
