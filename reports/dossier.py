"""The per-dossier report: ``report.json`` (the contract of report-contract.md, extended
never broken) and ``report.html`` for reviewers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from core import __version__
from core.config import CallConfig
from core.models import DocumentRecord, Finding, Severity, Verdict
from reports.files import atomic_write_json, atomic_write_text
from reports.actions import action_for
from reports.html import render
from reports.letter import write_letter
from reports.view import report_view

SCHEMA_VERSION = "1.0"


def verdict_reason(verdict: Verdict, findings: list[Finding]) -> str:
    """One French sentence: the verdict and what decides it."""
    if verdict is Verdict.RECEVABLE:
        alerts = sum(1 for f in findings if f.severity is Severity.ALERTE)
        tail = f" ; {alerts} alerte(s) à examiner" if alerts else ""
        return f"Recevable : aucun constat bloquant ni à corriger{tail}."
    decisive = Severity.BLOQUANT if verdict is Verdict.NON_RECEVABLE else Severity.A_CORRIGER
    decisive_findings = [f for f in findings if f.severity is decisive]
    rules = []
    for f in decisive_findings:
        label = f"{f.rule} {f.title}" if f.title else f.rule
        if label not in rules:
            rules.append(label)
    noun = "constat bloquant" if decisive is Severity.BLOQUANT else "constat à corriger"
    plural = "s" if len(decisive_findings) > 1 else ""
    noun = noun.replace("constat", f"constat{plural}") if plural else noun
    return f"{verdict.label} : {len(decisive_findings)} {noun} ({' ; '.join(rules)})."


def build_report(
    *, numero: str, config: CallConfig, verdict: Verdict, findings: list[Finding],
    records: list[DocumentRecord], data: Any, figures: Any,
) -> dict[str, Any]:
    counts = {s.value: sum(1 for f in findings if f.severity is s) for s in Severity}
    porteur = None
    essms_count = essms_listed = None
    departments: list[str] = []
    sectors: list[str] = []  # keys of reference/finess_categories.yaml ``sectors``
    date_depot = None
    essms: list[dict[str, Any]] = []
    if data is not None:
        if data.form is not None:
            porteur = {
                "raison_sociale": _text(data.form.raw("porteur.raison_sociale")),
                "finess_ej": _text(data.form.raw("porteur.finess_ej")),
            }
            date_depot = _text(data.form.raw("date_depot"))
        per_essms = figures.per_essms if figures else {}
        essms = [
            {"finess": e.finess, "name": e.name, "finess_ej": e.finess_ej, "eligible": e.eligible,
             "location": e.finess_cell.location.to_dict(), "department": e.department,
             "category": _category(e), "sector": e.sector,
             "exclusion": {"rule": e.exclusions[0].rule, "reason": e.exclusions[0].reason} if e.exclusions else None,
             "call_exclusion": None,
             **per_essms.get(e.finess, {"amount_asked": None, "amount_eligible": None})}
            for e in data.distinct_essms if e.finess
        ]
        if data.structures is not None:
            essms_count = data.essms_count
            essms_listed = data.listed_count
            departments = sorted({e.department for e in data.distinct_essms if e.department})
            sectors = sorted({e.sector for e in data.eligible_essms if e.sector})  # what the call funds
    return {
        "schema_version": SCHEMA_VERSION,
        "dossier": numero,
        "call": config.reference,
        "call_id": config.id,
        "call_title": config.title,
        "channel": config.channel,
        "verdict": verdict.value,
        "verdict_label": verdict.label,
        "verdict_reason": verdict_reason(verdict, findings),
        "findings": [{**f.to_dict(), "action": action_for(f.rule, f.severity.value)} for f in findings],
        "documents": [r.to_dict() for r in records],
        "essms_count": essms_count,
        "essms_listed": essms_listed,
        "amount_requested": figures.amount_requested if figures else None,
        "amount_eligible": figures.amount_eligible if figures else None,
        "porteur": porteur,
        "date_depot": date_depot,
        "departments": departments,
        "sectors": sectors,
        "essms": essms,
        "basis": figures.basis if figures else None,
        "authority": config.authority,
        "letter_settings": letter_settings(config),
        "counts": counts,
        "generated_at": dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds"),
        "versions": {"esmsnum": __version__, "config_sha256": config.config_hash},
    }


def letter_settings(config: CallConfig) -> dict[str, Any]:
    """What the draft letter needs of the call configuration (``letters``)."""
    letters = config.letter_settings()
    return {
        "sender": letters.sender.value, "sender_source": letters.sender.source,
        "reply_days": letters.reply_days.value, "reply_days_source": letters.reply_days.source,
    }


def _category(essms: Any) -> str | None:
    category = essms.eligibility.category if essms.eligibility else None
    return f"{category.label} ({category.code})" if category else (essms.category or None)


def _text(value: Any) -> str | None:
    return None if value is None else str(value).strip()


def _with_actions(report: dict[str, Any]) -> None:
    """Every finding says what the owner must do (call-level findings are added late)."""
    for finding in report.get("findings") or []:
        finding.setdefault("action", action_for(finding.get("rule"), finding.get("severity")))


def write_dossier_reports(report: dict[str, Any], report_dir: Path) -> None:
    """``report.json``, ``report.html`` and, for a dossier à compléter, ``courrier.docx``."""
    _with_actions(report)
    atomic_write_json(report_dir / "report.json", report)
    letter = write_letter(report, report_dir)
    atomic_write_text(report_dir / "report.html", render("report.html.j2", report=report, view=report_view(report, letter)))
