"""The table of the ESSMS of a dossier as a reviewer checks it: FINESS ET, name, category,
organisme gestionnaire, project type, eligible or excluded and why, and — when the report
carries them (``essms[i].amount_requested`` / ``amount_eligible``) — the funding asked and
eligible per ESSMS, with the lines of the project not tied to one ESSMS (AMOA…) so that the
column adds up to the dossier's total.
"""

from __future__ import annotations

from typing import Any

PROJECT_TYPES = {"acquisition": "Acquisition", "mise_en_conformite": "Mise en conformité", "mixte": "Mixte"}
EXCLUSION_RULES = ("GRP-05", "GRP-06", "LOT-01")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _exclusions(report: dict[str, Any]) -> dict[str, str]:
    """FINESS → the message of the finding that excludes it (GRP-05, GRP-06, LOT-01), for a
    report that does not carry ``excluded_reason`` yet."""
    out: dict[str, str] = {}
    for finding in report.get("findings") or []:
        if finding.get("rule") not in EXCLUSION_RULES or finding.get("waiver"):
            continue
        text = " ".join(str(finding.get(k) or "") for k in ("message", "found"))
        for essms in report.get("essms") or []:
            finess = str(essms.get("finess") or "")
            if finess and finess in text:
                out.setdefault(finess, f"{finding.get('rule')} : {finding.get('message')}")
    return out


def essms_table(report: dict[str, Any]) -> dict[str, Any]:
    """``{rows, has_amounts, total_requested, total_eligible, project_requested,
    project_eligible, eligible_count, listed_count}`` for ``report.html``."""
    entries = [e for e in report.get("essms") or [] if isinstance(e, dict)]
    exclusions = _exclusions(report)
    has_amounts = any(
        _number(e.get("amount_requested")) is not None or _number(e.get("amount_eligible")) is not None for e in entries
    )
    rows = []
    for number, e in enumerate(entries, start=1):
        finess = str(e.get("finess") or "")
        excluded = e.get("excluded_reason") or (None if e.get("eligible", True) else e.get("ineligible_reason"))
        if not excluded and finess in exclusions and e.get("eligible") is False:
            excluded = exclusions[finess]
        eligible = bool(e.get("eligible", True)) and not e.get("excluded_reason")
        rows.append(
            {
                "number": number,
                "finess": finess,
                "name": e.get("name") or "—",
                "category": e.get("category") or "—",
                "department": e.get("department") or "—",
                "og": e.get("og") or None,
                "og_finess": e.get("finess_ej") or None,
                "project_type": PROJECT_TYPES.get(str(e.get("project_type") or ""), e.get("project_type") or "—"),
                "eligible": eligible,
                "status": "Éligible" if eligible else "Exclu",
                "reason": excluded if not eligible else (exclusions.get(finess) if finess in exclusions else None),
                "amount_requested": _number(e.get("amount_requested")),
                "amount_eligible": _number(e.get("amount_eligible")) if eligible else 0.0 if has_amounts else None,
            }
        )
    sum_requested = sum(r["amount_requested"] or 0.0 for r in rows)
    sum_eligible = sum(r["amount_eligible"] or 0.0 for r in rows)
    total_requested = _number(report.get("amount_requested"))
    total_eligible = _number(report.get("amount_eligible"))
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
