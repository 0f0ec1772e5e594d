"""A report written again after the instruction changed what it shows: the waivers in force
(verdict re-decided, the analysis recorded so that the next run compares with it), or the
status, assignee and decision (the analysis unchanged); the call summary rebuilt from the
reports on disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core import __version__
from core.config import ConfigError
from instruction.store import History
from instruction.workflow import instruction_of
from judging.finalize import (
    add_evolution,
    compact_findings,
    finalize_report,
    outcome_of,
)
from reports.dossier import write_dossier_reports
from reports.summary import build_summary, write_summary
from validators.engine import load_call


def apply_waivers(out_dir: Path, report: dict[str, Any], history: History) -> tuple[str, str]:
    """Finalize the report again with the waivers in force, write it, record it, rebuild the
    summary. Returns (verdict before, verdict after)."""
    call_id, dossier = report["call_id"], report["dossier"]
    waivers = history.waivers(call_id, dossier).get(dossier, [])
    latest = history.latest(call_id).get(dossier)
    sha = report.get("submission_sha256", "")
    instruction = instruction_of(history.state(call_id, dossier))
    final = finalize_report(
        report, lot=[], waivers=waivers, latest=latest, submission_sha256=sha, instruction=instruction
    )
    add_evolution(final.report, history.reference(call_id, dossier, sha))
    write_dossier_reports(final.report, out_dir / dossier)
    config_sha = report.get("versions", {}).get("config_sha256", "")
    if final.changed:
        run_id = history.start_run(call_id, config_sha, __version__)
        documents = [[d.get("file"), d.get("sha256")] for d in report.get("documents", [])]
        history.record(
            run_id,
            call_id,
            dossier,
            submission_sha256=sha,
            config_sha256=config_sha,
            verdict=final.report["verdict"],
            digest=final.digest,
            documents=documents,
            findings=compact_findings(final.report),
        )
        history.finish_run(run_id, {"origine": "levee", "dossier": dossier})
    before, after = report["verdict"], final.report["verdict"]
    refresh_summary(out_dir, {dossier: (before, after)}, only={dossier})
    return before, after


def apply_instruction(out_dir: Path, report: dict[str, Any], history: History) -> dict[str, Any]:
    """Rewrite the report with the dossier's instruction (status, assignee, decision) and
    rebuild the summary; the analysis itself is unchanged."""
    return apply_instruction_many(out_dir, [report], history)[0]


def apply_instruction_many(out_dir: Path, reports: list[dict[str, Any]], history: History) -> list[dict[str, Any]]:
    """``apply_instruction`` for several dossiers of a call, the summary rebuilt once."""
    written = []
    for report in reports:
        report = dict(report)
        instruction = instruction_of(history.state(report["call_id"], report["dossier"]))
        report.pop("instruction", None)
        if instruction:
            report["instruction"] = instruction
        write_dossier_reports(report, out_dir / report["dossier"])
        written.append(report)
    refresh_summary(out_dir, {}, only={r["dossier"] for r in written})
    return written


def refresh_summary(
    out_dir: Path, changes: dict[str, tuple[str, str]] | None = None, only: set[str] | None = None
) -> None:
    """Rebuild the call summary from the reports on disk (after a report changed outside a
    run). ``changes``: verdicts changed by a reviewer (dossier → (before, after)), added to
    the summary's list of changes since the previous analysis. ``only``: the dossiers whose
    report changed; the others keep their summary row (not read again)."""
    path = out_dir / "summary.json"
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
        config = load_call(old["call_id"])
    except (OSError, ValueError, KeyError, ConfigError):
        return  # no summary yet (or a call configuration not shipped): the next run writes it
    outcomes = []
    for row in old["dossiers"]:
        report_dir = out_dir / Path(row["report"]).parent
        if only is not None and row.get("dossier") not in only and "instruction" in row:
            outcomes.append({**row, "report_dir": str(report_dir)})  # the row is what outcome_of gave
            continue
        try:
            report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        outcomes.append(outcome_of(report, report_dir))
    summary = build_summary(config, outcomes, out_dir, old["totals"].get("seconds", 0.0))
    for key in ("run", "changes", "superseded"):
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
