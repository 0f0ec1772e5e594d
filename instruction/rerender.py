"""A report written again after the instruction changed what it shows: the waivers in force
(verdict re-decided, the analysis recorded so that the next run compares with it), or the
status, assignee and decision (the analysis unchanged); the call summary rebuilt from the
reports on disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core import __version__
from core.report import DossierReport, Instruction
from instruction.records import instruction_for
from instruction.store import History
from judging.finalize import (
    add_evolution,
    compact_findings,
    finalize_report,
    outcome_of,
)
from reports.dossier import write_dossier_reports
from reports.summary import build_summary, load_report, summary_snapshot, write_summary


def apply_waivers(out_dir: Path, report: DossierReport, history: History) -> tuple[str, str]:
    """Finalize the report again with the waivers in force, write it, record it, rebuild the
    summary. Returns (verdict before, verdict after)."""
    call_id, dossier = report.call_id, report.dossier
    waivers = history.waivers(call_id, dossier).get(dossier, [])
    latest = history.latest(call_id).get(dossier)
    sha = report.submission_sha256
    instruction = instruction_for(history, call_id, dossier)
    final = finalize_report(
        report, lot=[], waivers=waivers, latest=latest, submission_sha256=sha, instruction=instruction
    )
    add_evolution(final.report, history.reference(call_id, dossier, sha))
    write_dossier_reports(final.report, out_dir / dossier)
    config_sha = report.versions.config_sha256
    if final.changed:
        run_id = history.start_run(call_id, config_sha, __version__)
        history.record(
            run_id,
            call_id,
            dossier,
            submission_sha256=sha,
            config_sha256=config_sha,
            verdict=final.report.verdict.value,
            digest=final.digest,
            documents=[[d.file, d.sha256] for d in report.documents],
            findings=compact_findings(final.report),
        )
        history.finish_run(run_id, {"origine": "levee", "dossier": dossier})
    before, after = report.verdict.value, final.report.verdict.value
    refresh_summary(out_dir, {dossier: (before, after)}, only={dossier})
    return before, after


def apply_instruction(out_dir: Path, report: DossierReport, history: History) -> DossierReport:
    """Rewrite the report with the dossier's instruction (status, assignee, decision) and
    rebuild the summary; the analysis itself is unchanged."""
    return apply_instruction_many(out_dir, [report], history)[0]


def apply_instruction_many(out_dir: Path, reports: list[DossierReport], history: History) -> list[DossierReport]:
    """``apply_instruction`` for several dossiers of a call, the summary rebuilt once."""
    written = []
    for report in reports:
        state = instruction_for(history, report.call_id, report.dossier)
        report = report.model_copy(update={"instruction": Instruction.model_validate(state) if state else None})
        write_dossier_reports(report, out_dir / report.dossier)
        written.append(report)
    refresh_summary(out_dir, {}, only={r.dossier for r in written})
    return written


def refresh_summary(
    out_dir: Path, changes: dict[str, tuple[str, str]] | None = None, only: set[str] | None = None
) -> None:
    """Rebuild the call summary from the reports on disk (after a report changed outside a
    run), with the snapshot of the call it was written with. ``changes``: verdicts changed by
    a reviewer (dossier → (before, after)), added to the summary's list of changes since the
    previous analysis. ``only``: the dossiers whose report changed; the others keep their
    summary row (not read again)."""
    try:
        old = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
        rows = list(old["dossiers"])
    except (OSError, ValueError, KeyError, TypeError):
        return  # no summary yet: the next run writes it
    snapshot = summary_snapshot(old)
    outcomes = []
    for row in rows:
        report_dir = out_dir / Path(row["report"]).parent
        if only is not None and row.get("dossier") not in only and "instruction" in row:
            outcomes.append({**row, "report_dir": str(report_dir)})  # the row is what outcome_of gave
            continue
        report = load_report(report_dir / "report.json")
        if report is None:
            continue
        snapshot = snapshot or report.call_snapshot  # a summary written before snapshots
        outcomes.append(outcome_of(report, report_dir))
    if snapshot is None:
        return
    summary = build_summary(snapshot, outcomes, out_dir, old["totals"].get("seconds", 0.0))
    for key in ("generated_at", "run", "changes", "superseded", "finess_repository"):  # the analysis' own moment
        if key in old:
            summary[key] = old[key]
    if changes:
        summary["changes"] = merge_changes(summary.get("changes") or [], changes)
    write_summary(summary, out_dir)


def merge_changes(listed: list[dict[str, Any]], changes: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """The summary's verdict changes with the reviewers' own: a dossier listed once, from its
    verdict at the last analysis to its verdict now; back where it was, it leaves the list."""
    out = [dict(c) for c in listed if isinstance(c, dict)]
    for dossier, (before, after) in changes.items():
        entry = next((c for c in out if c.get("dossier") == dossier), None)
        if entry is None:
            if before != after:
                out.append({"dossier": dossier, "before": before, "after": after, "by": "instructeur"})
            continue
        entry["after"] = after
        entry["by"] = "instructeur"
        if entry.get("before") == after:
            out.remove(entry)
    return out
