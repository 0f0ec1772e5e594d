"""From a dossier's cached judgement to the report a reviewer reads.

The dossier-level result that Prefect caches is the report as the dossier alone decides it.
Three things are added at every run, because they do not depend on the dossier's files:
the call-level (LOT) findings, the reviewers' waivers, and the evolution since the owner's
previous submission. ``digest`` covers what a reviewer reads (not the evolution, which
follows from it), so an unchanged report is not rewritten.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from core.models import DOSSIER_FILE, Finding, Location, Severity
from core.records import Analysis, Latest, Waiver, iso
from reports.dossier import verdict_reason
from reports.summary import summary_extras
from validators.call_review import apply_call_exclusions
from validators.engine import decide
from validators.registry import action_for, all_rules


def finding_fingerprint(finding: dict[str, Any]) -> str:
    """A finding's identity across runs: its rule, where it points and what was found.

    The message wording is left out on purpose (a reworded message is the same finding);
    a changed cell value or a moved cell is new evidence, hence a new finding.
    """
    basis = [finding.get("rule"), location_identity(finding.get("location")), finding.get("found")]
    return hashlib.sha256(json.dumps(basis, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:20]


def location_identity(location: dict[str, Any] | None) -> dict[str, Any] | None:
    """Where a finding points, in the shape fingerprints have hashed since the first
    recorded analyses: ``file``, ``sheet``, ``cell``, ``page`` and a ``detail`` naming the
    table cell, paragraph or form field as it was then written. Waivers and the history
    name findings by fingerprint: keeping this shape keeps them attached to the same
    findings. Never shown to anyone (``Location.describe`` is the wording)."""
    if not isinstance(location, dict):
        return location
    if "paragraph" not in location:  # already in that shape (written before typed locations)
        return {k: location.get(k) for k in ("file", "sheet", "cell", "page", "detail")}
    loc = Location.from_dict(location)
    detail = None
    if loc.whole_dossier:
        detail = "ensemble du dossier"
    elif loc.file == DOSSIER_FILE and loc.field == "porteur.finess_ej":
        detail = "formulaire en ligne (porteur)"  # LOT-02: the owner, for the dossier as a whole
    elif loc.field is not None:
        detail = None if loc.page is not None else f"champ « {loc.field} »"
    elif loc.table is not None and loc.row == 0:
        detail = f"tableau {loc.table}, en-tête"
    elif loc.table is not None:
        detail = f"tableau {loc.table}, ligne {loc.row}, colonne {loc.column}"
    elif loc.paragraph is not None:
        detail = f"paragraphe {loc.paragraph}"
    return {"file": loc.file, "sheet": loc.sheet, "cell": loc.cell, "page": loc.page, "detail": detail}


def as_finding(d: dict[str, Any]) -> Finding:
    location = Location.from_dict(d["location"]) if d.get("location") else None
    return Finding(
        d["rule"], Severity(d["severity"]), d["message"], d.get("expected"), d.get("found"), location, d.get("title")
    )


def _sort_key(order: dict[str, int]):
    return lambda d: (Severity(d["severity"]).rank, order.get(d["rule"], 999))


@dataclass
class FinalReport:
    report: dict[str, Any]
    digest: str
    changed: bool  # differs from the latest recorded analysis of this dossier
    previous_verdict: str | None


def finalize_report(
    base: dict[str, Any],
    *,
    lot: list[Finding],
    waivers: list[Waiver],
    latest: Latest | None,
    submission_sha256: str,
    instruction: dict[str, Any] | None = None,
) -> FinalReport:
    """The report with the call's findings and the waivers, its verdict re-decided.

    ``latest`` is what the history holds of the dossier's latest analysis; the evolution is
    added by ``add_evolution`` only when the report is written. ``instruction`` (status,
    assignee, proposed decision: ``instruction.workflow.instruction_of``) is shown by the report
    but is not part of its digest: it is the reviewers' work, not the analysis.
    """
    report = dict(base)
    order = {rid: i for i, rid in enumerate(all_rules())}
    findings = [dict(f) for f in base["findings"]] + [f.to_dict() for f in lot]
    _mark(findings, waivers)
    # the ESSMS the call rules exclude (LOT-01) leave the count, the figures and GRP-03
    findings = apply_call_exclusions(report, findings)
    _mark([f for f in findings if "fingerprint" not in f], waivers)
    findings.sort(key=_sort_key(order))
    active = [as_finding(f) for f in findings if "waiver" not in f]
    verdict = decide(active)
    report.pop("evolution", None)
    report["findings"] = findings
    report["verdict"], report["verdict_label"] = verdict.value, verdict.label
    waived = sum(1 for f in findings if "waiver" in f)
    report["verdict_reason"] = verdict_reason(verdict, active) + waived_sentence(waived)
    report["counts"] = {s.value: sum(1 for f in active if f.severity is s) for s in Severity}
    report["counts"]["leves"] = waived
    report.pop("instruction", None)
    if instruction:
        report["instruction"] = instruction
    report["submission_sha256"] = submission_sha256
    digest = report_digest(report)
    report["digest"] = digest
    changed = latest is None or latest.digest != digest
    return FinalReport(report, digest, changed, latest.verdict if latest else None)


def waived_sentence(waived: int) -> str:
    """What the verdict's reason adds when the reviewers lifted findings."""
    if not waived:
        return ""
    return (
        f" {waived} constat levé par l'instructeur." if waived == 1 else f" {waived} constats levés par l'instructeur."
    )


def _mark(findings: list[dict[str, Any]], waivers: list[Waiver]) -> None:
    """Each finding's fingerprint, its owner's action and the reviewer's waiver covering it."""
    for f in findings:
        f["fingerprint"] = finding_fingerprint(f)
        f.setdefault("action", action_for(f.get("rule"), f.get("severity")))
        f.pop("waiver", None)
        f.pop("status", None)
        waiver = next((w for w in waivers if w.covers(f)), None)
        if waiver:
            f["waiver"] = waiver.to_dict()


def add_evolution(report: dict[str, Any], reference: Analysis | None) -> None:
    """What changed since the analysis of the owner's previous submission (``reference``):
    resolved findings, new ones, unchanged ones; each finding gets its status."""
    if reference is None:
        report["evolution"] = None
        return
    findings = report["findings"]
    now = {f["fingerprint"] for f in findings}
    before = {f["fingerprint"] for f in reference.findings}
    for f in findings:
        f["status"] = "inchangé" if f["fingerprint"] in before else "nouveau"
    report["evolution"] = {
        "previous_date": iso(reference.created_at),
        "previous_verdict": reference.verdict,
        "resolved": [f for f in reference.findings if f["fingerprint"] not in now],
        "new_count": len(now - before),
        "unchanged_count": len(now & before),
    }


def report_digest(report: dict[str, Any]) -> str:
    """What a reviewer reads, without the run's own timestamps and timings."""
    volatile = {"generated_at", "analysis_seconds", "evolution", "digest", "documents", "instruction"}
    basis = {k: v for k, v in report.items() if k not in volatile}
    basis["documents"] = [{k: v for k, v in d.items() if k != "read_seconds"} for d in report.get("documents", [])]
    return hashlib.sha256(json.dumps(basis, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def compact_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    """What the history keeps of each finding (enough to list what was resolved)."""
    keep = ("rule", "severity", "title", "message", "expected", "found", "location", "fingerprint")
    return [
        {k: f.get(k) for k in keep} | ({"waiver": f["waiver"]} if "waiver" in f else {}) for f in report["findings"]
    ]


def outcome_of(report: dict[str, Any], report_dir: Any) -> dict[str, Any]:
    """The row the call summary keeps of a dossier (the full report stays on disk)."""
    return {
        "dossier": report["dossier"],
        "verdict": report["verdict"],
        "rules": sorted({f["rule"] for f in report["findings"] if "waiver" not in f}),
        "report_dir": str(report_dir),
        "essms_count": report.get("essms_count"),
        "amount_requested": report.get("amount_requested"),
        "amount_eligible": report.get("amount_eligible"),
        "porteur": (report.get("porteur") or {}).get("raison_sociale"),
        "finess_ej": (report.get("porteur") or {}).get("finess_ej"),
        "sectors": list(report.get("sectors") or []),
        "departments": report.get("departments", []),
        "counts": report["counts"],
        "waived": int((report.get("counts") or {}).get("leves") or 0),
        "instruction": report.get("instruction"),
        "file_problems": dict(
            Counter(
                p.get("problem") for p in report.get("file_problems") or [] if isinstance(p, dict) and p.get("problem")
            )
        ),
        "internal_error": bool(report.get("internal_error")),
        "seconds": report.get("analysis_seconds", 0.0),
        **summary_extras(report),  # deposit date, severity per rule, ESSMS per département (the summary)
    }
