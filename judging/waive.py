"""A reviewer waives a finding (``esmsnum lever``): kept in the history, applied at once.

The waiver names the findings it covers by their fingerprint (rule, location, value found),
so it survives later runs while the evidence is the same, and stops applying when the
owner's new submission changes it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core import __version__
from core.config import ConfigError
from core.models import Verdict
from judging.finalize import (
    add_evolution,
    compact_findings,
    finalize_report,
    outcome_of,
)
from judging.history import History
from reports.dossier import write_dossier_reports
from reports.summary import build_summary, write_summary
from validators.engine import load_call


class WaiverError(Exception):
    """Why a waiver cannot be recorded (French, for the reviewer)."""


def waive(out_dir: Path, report: dict[str, Any], rule: str, motif: str, author: str | None,
          history_url: str | None = None) -> str:
    dossier, call_id = report["dossier"], report["call_id"]
    targets = [f for f in report["findings"] if f["rule"] == rule]
    if not targets:
        raise WaiverError(f"Le dernier rapport du dossier {dossier} ne contient aucun constat {rule} : rien à lever.")
    open_targets = [f for f in targets if "waiver" not in f]
    if not open_targets:
        raise WaiverError(f"Les constats {rule} du dossier {dossier} sont déjà levés.")
    if any("fingerprint" not in f for f in open_targets):
        raise WaiverError(f"Le rapport du dossier {dossier} date d'une version antérieure : relancer « esmsnum run ».")
    history = History.for_output(out_dir, history_url)
    try:
        history.add_waiver(call_id, dossier, rule, [f["fingerprint"] for f in open_targets], motif, author)
        waivers = history.waivers(call_id, dossier).get(dossier, [])
        latest = history.latest(call_id).get(dossier)
        sha = report.get("submission_sha256", "")
        final = finalize_report(report, lot=[], waivers=waivers, latest=latest, submission_sha256=sha)
        add_evolution(final.report, history.reference(call_id, dossier, sha))
        write_dossier_reports(final.report, out_dir / dossier)
        run_id = history.start_run(call_id, report.get("versions", {}).get("config_sha256", ""), __version__)
        documents = [[d.get("file"), d.get("sha256")] for d in report.get("documents", [])]
        history.record(run_id, call_id, dossier, submission_sha256=sha,
                       config_sha256=report.get("versions", {}).get("config_sha256", ""),
                       verdict=final.report["verdict"], digest=final.digest, documents=documents,
                       findings=compact_findings(final.report))
        history.finish_run(run_id, {"levee": dossier, "regle": rule})
    finally:
        history.close()
    refresh_summary(out_dir)
    before, after = Verdict(report["verdict"]).label, Verdict(final.report["verdict"]).label
    return (f"{len(open_targets)} constat(s) {rule} levé(s) pour le dossier {dossier}. "
            f"Verdict : {before} → {after}. Rapport : {out_dir / dossier / 'report.html'}")


def refresh_summary(out_dir: Path) -> None:
    """Rebuild the call summary from the reports on disk (after a report changed outside a run)."""
    path = out_dir / "summary.json"
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
        config = load_call(old["call_id"])
    except (OSError, ValueError, KeyError, ConfigError):
        return  # no summary yet (or a call configuration not shipped): the next run writes it
    outcomes = []
    for row in old["dossiers"]:
        report_dir = out_dir / Path(row["report"]).parent
        try:
            report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        outcomes.append(outcome_of(report, report_dir))
    summary = build_summary(config, outcomes, out_dir, old["totals"].get("seconds", 0.0))
    for key in ("run", "changes", "superseded"):
        if key in old:
            summary[key] = old[key]
    write_summary(summary, out_dir)
