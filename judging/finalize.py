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

from core.french import count, iso
from core.models import DOSSIER_FILE, Finding, Location, Severity
from core.records import Analysis, Latest, Waiver
from core.report import Counts, DossierReport, Evolution, FindingEntry, Owner
from judging.report import verdict_reason
from reports.summary import summary_extras
from validators.call_review import apply_call_exclusions
from validators.engine import decide
from validators.registry import action_for, all_rules


def finding_fingerprint(finding: FindingEntry | dict[str, Any]) -> str:
    """A finding's identity across runs: its rule, where it points and what was found.

    The message wording is left out on purpose (a reworded message is the same finding);
    a changed cell value or a moved cell is new evidence, hence a new finding.
    """
    if isinstance(finding, FindingEntry):
        location = finding.location.model_dump() if finding.location else None
        if location is not None and all(location.get(k) is None for k in _TYPED_KEYS) and location.get("detail"):
            location = {
                k: location[k] for k in ("file", "sheet", "cell", "page", "detail")
            }  # written before typed locations
        basis = [finding.rule, location_identity(location), finding.found]
    else:
        basis = [finding.get("rule"), location_identity(finding.get("location")), finding.get("found")]
    return hashlib.sha256(json.dumps(basis, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:20]


_TYPED_KEYS = ("table", "row", "column", "paragraph", "field")


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


def as_finding(f: FindingEntry) -> Finding:
    location = f.location.typed() if f.location else None
    return Finding(f.rule, f.severity, f.message, f.expected, f.found, location, f.title)


@dataclass
class FinalReport:
    report: DossierReport
    digest: str
    changed: bool  # differs from the latest recorded analysis of this dossier
    previous_verdict: str | None


def finalize_report(
    base: DossierReport,
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
    order = {rid: i for i, rid in enumerate(all_rules())}
    data = base.model_dump(exclude={"evolution", "instruction"})
    findings = data["findings"] + [f.to_dict() for f in lot]
    _mark(findings, waivers)
    # the ESSMS the call rules exclude (LOT-01) leave the count, the figures and GRP-03
    findings = apply_call_exclusions(data, findings)
    _mark([f for f in findings if "fingerprint" not in f or not f["fingerprint"]], waivers)
    findings.sort(key=_sort_key(order))
    data["findings"] = findings
    data["submission_sha256"] = submission_sha256
    data["instruction"] = instruction
    report = DossierReport.model_validate(data)
    active = [as_finding(f) for f in report.active_findings]
    verdict = decide(active)
    waived = len(report.waived_findings)
    report.verdict, report.verdict_label = verdict, verdict.label
    report.verdict_reason = verdict_reason(verdict, active) + waived_sentence(waived)
    report.counts = Counts(**{s.value: sum(1 for f in active if f.severity is s) for s in Severity}, leves=waived)
    digest = report_digest(report)
    report.digest = digest
    changed = latest is None or latest.digest != digest
    return FinalReport(report, digest, changed, latest.verdict if latest else None)


SUMMARY_EXCLUDES = {"letter": True, "letters": True, "letter_body": True, "correction": {"findings_before", "changes"}}


def waived_sentence(waived: int) -> str:
    """What the verdict's reason adds when the reviewers lifted findings."""
    if not waived:
        return ""
    return f" {count(waived, 'constat levé', 'constats levés')} par l'instructeur."


def _sort_key(order: dict[str, int]):
    return lambda d: (Severity(d["severity"]).rank, order.get(d["rule"], 999))


def _mark(findings: list[dict[str, Any]], waivers: list[Waiver]) -> None:
    """Each finding's fingerprint, its owner's action and the reviewer's waiver covering it."""
    for f in findings:
        f["fingerprint"] = finding_fingerprint(f)
        if not f.get("action"):
            f["action"] = action_for(f.get("rule"), f.get("severity"))
        f.pop("waiver", None)
        f.pop("status", None)
        waiver = next((w for w in waivers if w.covers(f)), None)
        if waiver:
            f["waiver"] = waiver.to_dict()


def add_evolution(report: DossierReport, reference: Analysis | None) -> None:
    """What changed since the analysis of the owner's previous submission (``reference``):
    resolved findings, new ones, unchanged ones; each finding gets its status."""
    if reference is None:
        report.evolution = None
        return
    now = {f.fingerprint for f in report.findings}
    before = {f["fingerprint"] for f in reference.findings}
    for f in report.findings:
        f.status = "inchangé" if f.fingerprint in before else "nouveau"
    report.evolution = Evolution(
        previous_date=iso(reference.created_at),
        previous_verdict=reference.verdict,
        resolved=[f for f in reference.findings if f["fingerprint"] not in now],
        new_count=len(now - before),
        unchanged_count=len(now & before),
    )


def report_digest(report: DossierReport) -> str:
    """What a reviewer reads, without the run's own timestamps and timings."""
    volatile = {"generated_at", "analysis_seconds", "evolution", "digest", "documents", "instruction"}
    basis = report.model_dump(mode="json", exclude=volatile)
    for finding in basis["findings"]:
        finding.pop("status", None)
    basis["documents"] = [d.model_dump(mode="json", exclude={"read_seconds", "piece"}) for d in report.documents]
    return hashlib.sha256(json.dumps(basis, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def compact_findings(report: DossierReport) -> list[dict[str, Any]]:
    """What the history keeps of each finding (enough to list what was resolved)."""
    keep = {"rule", "severity", "title", "message", "expected", "found", "location", "fingerprint", "waiver"}
    return [f.model_dump(mode="json", include=keep, exclude_none=True) for f in report.findings]


def outcome_of(report: DossierReport, report_dir: Any) -> dict[str, Any]:
    """The row the call summary keeps of a dossier (the full report stays on disk)."""
    porteur = report.porteur or Owner()
    return {
        "dossier": report.dossier,
        "verdict": report.verdict.value,
        "rules": sorted({f.rule for f in report.active_findings}),
        "report_dir": str(report_dir),
        "essms_count": report.essms_count,
        "amount_requested": report.amount_requested,
        "amount_eligible": report.amount_eligible,
        "porteur": porteur.raison_sociale,
        "finess_ej": porteur.finess_ej,
        "sectors": list(report.sectors),
        "departments": list(report.departments),
        "counts": report.counts.model_dump(),
        "waived": report.counts.leves,
        # the instruction without the letters' texts and the findings a correction request
        # was made on: the report keeps them, the summary row stays short
        "instruction": report.instruction.model_dump(mode="json", exclude=SUMMARY_EXCLUDES)
        if report.instruction
        else None,
        "file_problems": dict(Counter(p.problem for p in report.file_problems if p.problem)),
        "internal_error": report.internal_error,
        "seconds": report.analysis_seconds,
        **summary_extras(report),  # deposit date, severity per rule, ESSMS per département (the summary)
    }
