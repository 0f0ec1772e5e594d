"""What a corrected submission changed since the correction request it answers
(``instruction.corrections``): each finding active when the request was made is fixed (gone:
neither its fingerprint nor its rule remains) or still there; the active findings of neither
are new; the verdict before and after. Computed from the typed report alone whenever it is
written, so that report.json, report.html and the web page say the same."""

from __future__ import annotations

from core.report import CorrectionChange, CorrectionItem, DossierReport


def correction_changes(report: DossierReport) -> CorrectionChange | None:
    """The changes of the report's answered correction request (None: no request answered)."""
    request = report.instruction.correction if report.instruction else None
    if request is None or request.answered_at is None:
        return None
    before = list(request.findings_before)
    active = report.active_findings
    fps = {f.fingerprint for f in active if f.fingerprint}
    rules = {f.rule for f in active}
    fixed, remaining = [], []
    for f in before:
        item = CorrectionItem(text=str(f.get("message") or ""), rule=f.get("rule"), fingerprint=f.get("fingerprint"))
        (remaining if f.get("fingerprint") in fps or f.get("rule") in rules else fixed).append(item)
    old_fps = {f.get("fingerprint") for f in before}
    old_rules = {f.get("rule") for f in before}
    new = [
        CorrectionItem(text=f.message, rule=f.rule, fingerprint=f.fingerprint)
        for f in active
        if f.fingerprint not in old_fps and f.rule not in old_rules
    ]
    return CorrectionChange(
        verdict_before=request.verdict_before or "",
        verdict_after=report.verdict.value,
        fixed=fixed,
        remaining=remaining,
        new=new,
    )


def with_changes(report: DossierReport) -> DossierReport:
    """The report with its answered correction request's changes filled in."""
    changes = correction_changes(report)
    if changes is None:
        return report
    request = report.instruction.correction.model_copy(update={"changes": changes})
    return report.model_copy(update={"instruction": report.instruction.model_copy(update={"correction": request})})
