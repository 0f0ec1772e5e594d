"""Rules over the whole call (LOT): they read a small view of every dossier's report once all
are judged, and return the findings to add to the dossiers concerned. The verdicts are
re-decided with them in ``judging.finalize``, after ``apply_call_exclusions`` has taken the
ESSMS that LOT-01 excludes out of the dossier's count, key figures and size rule (GRP-03)."""

from __future__ import annotations

import copy
import datetime as dt
import logging
import re
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from core.config import CallConfig
from core.models import Finding, Location, Severity
from validators.config_view import ConfigView, ReadLog
from validators.deposit import Deposit, parse_deposit
from validators.engine import severity_for
from validators.figures import eligible_total, fund
from validators.grouping import SizeBasis, size_hit
from validators.registry import Hit, all_rules

log = logging.getLogger(__name__)

#: The call rule whose findings of this severity exclude an ESSMS from the dossier (rules.md).
EXCLUDING_RULE, EXCLUDING_SEVERITY = "LOT-01", Severity.A_CORRIGER.value
_FINESS = re.compile(r"FINESS (\w{9})\b")


@dataclass
class Submission:
    """What the call rules see of one dossier: its report."""

    dossier: str
    report: dict[str, Any]

    @property
    def deposit(self) -> Deposit | None:
        deposit, _problem = parse_deposit(self.report.get("date_depot"))
        return deposit

    @property
    def submitted_at(self) -> dt.datetime | None:
        """The deposit moment (Paris time; 00:00 when only the day is known)."""
        deposit = self.deposit
        return deposit.moment if deposit else None

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
        deposit = self.deposit
        return deposit.describe() if deposit else "date de dépôt inconnue"


CallHits = Iterator[tuple[str, Hit]]  # (dossier, hit)


def run_call_rules(
    submissions: list[Submission], config: CallConfig, reads: ReadLog | None = None
) -> dict[str, list[Finding]]:
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
            out.setdefault(dossier, []).append(hit.finding(rule, severity))
    return out


LOT_FIELDS = ("dossier", "date_depot", "porteur", "essms")


def lot_view(report: Any) -> dict[str, Any]:
    """The little the call rules read of a dossier's report (kept in memory for the whole
    call), from the typed report or its JSON."""
    if not isinstance(report, dict):
        report = report.model_dump(mode="json", include=set(LOT_FIELDS))
    return {key: report.get(key) for key in LOT_FIELDS}


def review_call(
    views: list[dict[str, Any]], config: CallConfig, reads: ReadLog | None = None
) -> dict[str, list[Finding]]:
    """The call rules over every dossier of the call: the findings to add, per dossier."""
    submissions = [Submission(v["dossier"], v) for v in sorted(views, key=lambda v: v["dossier"])]
    return run_call_rules(submissions, config, reads)


# --------------------------------------------------------------------------- exclusions


def excluded_by_call(findings: list[dict[str, Any]]) -> set[str]:
    """FINESS ET that the call rules exclude from the dossier: LOT-01 findings *à corriger*
    not waived by a reviewer (a waived one means the reviewer keeps the ESSMS)."""
    out = set()
    for finding in findings:
        if finding.get("rule") != EXCLUDING_RULE or finding.get("severity") != EXCLUDING_SEVERITY:
            continue
        if finding.get("waiver"):
            continue
        if m := _FINESS.search(str(finding.get("found") or "")):
            out.add(m[1])
    return out


def apply_call_exclusions(report: dict[str, Any], findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Judge the dossier on what remains once the call rules have excluded ESSMS (rules.md):
    its ESSMS entries, ``essms_count`` and ``amount_eligible`` are recomputed from the
    dossier's ``basis``, and GRP-03 is re-decided on the remaining count. Returns the findings
    (GRP-03 replaced when re-decided; a re-decided finding carries ``recount: true``).

    Idempotent: it reads only the dossier-level ``basis`` and the findings, so a report that
    went through it once (a waiver recorded later) gives the same result again.
    """
    basis = report.get("basis")
    if not basis:
        return findings
    excluded = excluded_by_call(findings)
    entries = [copy.deepcopy(e) for e in report.get("essms") or []]
    newly: set[str] = set()
    for entry in entries:
        kept = entry.get("exclusion") is None
        entry["call_exclusion"] = EXCLUDING_RULE if entry.get("finess") in excluded else None
        entry["eligible"] = kept and entry["call_exclusion"] is None
        if kept and entry["call_exclusion"]:
            newly.add(entry["finess"])
    report["essms"] = entries
    if basis.get("essms_count") is not None:
        report["essms_count"] = basis["essms_count"] - len(newly)
    funding = [e["funding"] for e in entries if e.get("funding")]
    if funding:
        funded = fund(
            funding, tier_from_rank=basis.get("tier_from_rank"), cap=basis.get("max_essms_counted"), excluded=newly
        )
        for entry in entries:
            if entry.get("funding"):
                entry["funding"]["rank"], entry["amount_eligible"] = funded[entry["finess"]]
        report["amount_eligible"] = (
            eligible_total(funded, basis.get("amoa_eligible") or 0.0) if newly else basis.get("amount_eligible")
        )
    else:
        report["amount_eligible"] = basis.get("amount_eligible")
    return _redecide_size(basis, findings, len(newly))


def _redecide_size(basis: dict[str, Any], findings: list[dict[str, Any]], call_excluded: int) -> list[dict[str, Any]]:
    size, rule = basis.get("size"), basis.get("size_rule") or {}
    if not size or not rule.get("enabled", True):
        return findings
    if not call_excluded and not any(f.get("recount") for f in findings if f.get("rule") == "GRP-03"):
        return findings  # nothing excluded by the call: the dossier's own GRP-03 stands
    kept = [f for f in findings if f.get("rule") != "GRP-03"]
    hit = size_hit(SizeBasis.from_dict(size), call_excluded=call_excluded)
    if hit is None:
        return kept
    severity = hit.severity or Severity(rule.get("severity") or Severity.BLOQUANT.value)
    finding = Finding(
        rule="GRP-03",
        severity=severity,
        title=rule.get("title"),
        message=hit.message,
        expected=hit.expected,
        found=hit.found,
        location=hit.location,
    ).to_dict()
    finding["recount"] = True
    return kept + [finding]
