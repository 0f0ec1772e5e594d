"""Rules over the whole call (LOT): they read every dossier's report once all are written,
add their findings to the dossiers concerned and re-decide those verdicts."""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from esmsnum.config import CallConfig
from esmsnum.models import Finding, Location, Severity, Verdict
from extractors.values import parse_date
from validators.engine import severity_for, sort_findings
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
        return Location(**entry["location"]) if entry and entry.get("location") else None

    def describe_date(self) -> str:
        when = self.submitted_at
        return when.strftime("%d/%m/%Y %H:%M") if when else "date de dépôt inconnue"


CallHits = Iterator[tuple[str, Hit]]  # (dossier, hit)


def run_call_rules(submissions: list[Submission], config: CallConfig) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for rule in all_rules().values():
        if rule.scope != "call" or not config.rule_setting(rule.id).enabled:
            continue
        severity = severity_for(rule, config)
        try:
            hits = list(rule.check(submissions, config))
        except Exception:  # noqa: BLE001 - a call rule bug must not cost the batch
            log.error("call rule %s failed\n%s", rule.id, traceback.format_exc())
            continue
        for dossier, hit in hits:
            out.setdefault(dossier, []).append(Finding(
                rule=rule.id, severity=hit.severity or severity, title=rule.title, message=hit.message,
                expected=hit.expected, found=hit.found, location=hit.location,
            ))
    return out


def _as_finding(d: dict[str, Any]) -> Finding:
    location = Location(**d["location"]) if d.get("location") else None
    return Finding(d["rule"], Severity(d["severity"]), d["message"], d.get("expected"), d.get("found"),
                   location, d.get("title"))


def review_call(out_dir: Path, outcomes: list[dict[str, Any]], config: CallConfig) -> list[dict[str, Any]]:
    """Apply the call rules to the written reports; rewrite the reports that change."""
    from reports.dossier import verdict_reason, write_dossier_reports
    from validators.engine import decide

    reports = {}
    for outcome in outcomes:
        path = Path(outcome["report_dir"]) / "report.json"
        try:
            import json

            reports[outcome["dossier"]] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    submissions = [Submission(d, r) for d, r in sorted(reports.items())]
    added = run_call_rules(submissions, config)
    updated = []
    for outcome in outcomes:
        new = added.get(outcome["dossier"])
        if not new:
            updated.append(outcome)
            continue
        report = reports[outcome["dossier"]]
        findings = sort_findings([_as_finding(f) for f in report["findings"]] + new)
        verdict: Verdict = decide(findings)
        report["findings"] = [f.to_dict() for f in findings]
        report["verdict"], report["verdict_label"] = verdict.value, verdict.label
        report["verdict_reason"] = verdict_reason(verdict, findings)
        report["counts"] = {s.value: sum(1 for f in findings if f.severity is s) for s in Severity}
        write_dossier_reports(report, Path(outcome["report_dir"]))
        updated.append({**outcome, "verdict": verdict.value, "counts": report["counts"],
                        "rules": sorted({f.rule for f in findings})})
    return updated
