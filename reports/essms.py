"""The table of the ESSMS of a dossier as a reviewer checks it: FINESS ET, name, category,
organisme gestionnaire, project type, eligible or excluded and why, and — when the report
carries them (``essms[i].amount_requested`` / ``amount_eligible``) — the funding asked and
eligible per ESSMS, with the lines of the project not tied to one ESSMS (AMOA…) so that the
column adds up to the dossier's total.
"""

from __future__ import annotations

from typing import Any

from core.report import DossierReport

PROJECT_TYPES = {"acquisition": "Acquisition", "mise_en_conformite": "Mise en conformité", "mixte": "Mixte"}
EXCLUSION_RULES = ("GRP-05", "GRP-06", "LOT-01")


def _exclusions(report: DossierReport) -> dict[str, str]:
    """FINESS → the message of the finding that excludes it (GRP-05, GRP-06, LOT-01), for a
    report that does not carry ``excluded_reason`` yet."""
    out: dict[str, str] = {}
    for finding in report.active_findings:
        if finding.rule not in EXCLUSION_RULES:
            continue
        text = f"{finding.message} {finding.found or ''}"
        for essms in report.essms:
            if essms.finess and essms.finess in text:
                out.setdefault(essms.finess, f"{finding.rule} : {finding.message}")
    return out


def essms_table(report: DossierReport) -> dict[str, Any]:
    """``{rows, has_amounts, total_requested, total_eligible, project_requested,
    project_eligible, eligible_count, listed_count}`` for ``report.html``."""
    exclusions = _exclusions(report)
    has_amounts = any(e.amount_requested is not None or e.amount_eligible is not None for e in report.essms)
    rows = []
    for number, e in enumerate(report.essms, start=1):
        excluded = e.excluded_reason or (None if e.eligible else e.ineligible_reason)
        if not excluded and e.finess in exclusions and not e.eligible:
            excluded = exclusions[e.finess]
        eligible = e.counted
        rows.append(
            {
                "number": number,
                "finess": e.finess,
                "name": e.name or "—",
                "category": e.category or "—",
                "department": e.department or "—",
                "og": e.og or None,
                "og_finess": e.finess_ej or None,
                "project_type": PROJECT_TYPES.get(str(e.project_type or ""), e.project_type or "—"),
                "eligible": eligible,
                "status": "Éligible" if eligible else "Exclu",
                "reason": excluded if not eligible else exclusions.get(e.finess),
                "amount_requested": e.amount_requested,
                "amount_eligible": e.amount_eligible if eligible else 0.0 if has_amounts else None,
            }
        )
    sum_requested = sum(r["amount_requested"] or 0.0 for r in rows)
    sum_eligible = sum(r["amount_eligible"] or 0.0 for r in rows)
    total_requested, total_eligible = report.amount_requested, report.amount_eligible
    project_requested = project_eligible = None
    if has_amounts:
        if total_requested is not None and abs(total_requested - sum_requested) >= 0.5:
            project_requested = round(total_requested - sum_requested, 2)
        if total_eligible is not None and abs(total_eligible - sum_eligible) >= 0.5:
            project_eligible = round(total_eligible - sum_eligible, 2)
    return {
        "rows": rows,
        "has_amounts": has_amounts,
        "total_requested": total_requested if total_requested is not None else (sum_requested if has_amounts else None),
        "total_eligible": total_eligible if total_eligible is not None else (sum_eligible if has_amounts else None),
        "project_requested": project_requested,
        "project_eligible": project_eligible,
        "eligible_count": sum(1 for r in rows if r["eligible"]),
        "listed_count": len(rows),
    }
