"""The typed report of one dossier (``core.report.DossierReport``), built from what the rules
read: findings, documents, the owner, the deposit as DEP-01 read it, the ESSMS with their
eligibility and amounts, how each table was read, and the snapshot of the call configuration
(``validators.snapshot``) that every renderer shows instead of reading the configuration."""

from __future__ import annotations

from typing import Any

from core import __version__
from core.config import CallConfig
from core.file_problems import title_of
from core.french import SEVERITY_FINDINGS, now_paris
from core.models import DocumentRecord, Finding, Severity, Verdict
from core.report import CallSnapshot, DossierReport
from extractors.readings import document_readings, recognitions
from validators.deposit import parse_deposit
from validators.registry import action_for
from validators.snapshot import call_snapshot


def verdict_reason(verdict: Verdict, findings: list[Finding]) -> str:
    """One French sentence: the verdict and what decides it."""
    if verdict is Verdict.RECEVABLE:
        alerts = sum(1 for f in findings if f.severity is Severity.ALERTE)
        tail = f" ; {SEVERITY_FINDINGS['alerte'].count(alerts)} à examiner" if alerts else ""
        return f"{verdict.label} : aucun constat bloquant ni à corriger{tail}."
    decisive = Severity.BLOQUANT if verdict is Verdict.NON_RECEVABLE else Severity.A_CORRIGER
    decisive_findings = [f for f in findings if f.severity is decisive]
    rules = []
    for f in decisive_findings:
        label = f"{f.rule} {f.title}" if f.title else f.rule
        if label not in rules:
            rules.append(label)
    count = SEVERITY_FINDINGS[decisive.value].count(len(decisive_findings))
    return f"{verdict.label} : {count} ({' ; '.join(rules)})."


def build_report(
    *,
    numero: str,
    config: CallConfig,
    verdict: Verdict,
    findings: list[Finding],
    records: list[DocumentRecord],
    data: Any,
    figures: Any,
) -> DossierReport:
    """The typed report of a dossier as the dossier alone decides it, with the snapshot of the
    call configuration it was judged against."""
    counts = {s.value: sum(1 for f in findings if f.severity is s) for s in Severity}
    porteur = None
    essms_count = essms_listed = None
    departments: list[str] = []
    sectors: list[str] = []  # keys of reference/finess_categories.yaml ``sectors``
    date_depot = None
    deposit: dict[str, Any] | None = None
    essms: list[dict[str, Any]] = []
    repository = getattr(data, "repository", None)
    readings = _readings(data)
    if data is not None:
        if data.form is not None:
            porteur = owner_of(data.form)
            date_depot, deposit = _deposit(data.form.raw("date_depot"))
        per_essms = figures.per_essms if figures else {}
        essms = [
            {
                "finess": e.finess,
                "name": e.name,
                "finess_ej": e.finess_ej,
                "og": _og_name(e),
                "eligible": e.eligible,
                "ineligible_reason": _ineligible_reason(e),
                "project_type": e.project_type,
                "location": e.finess_cell.location.to_dict(),
                "department": e.department,
                "category": _category(e),
                "sector": e.sector,
                "capacity": _capacity(e),
                "registered": (e.registered is not None) if repository is not None else None,
                "exclusion": {"rule": e.exclusions[0].rule, "reason": e.exclusions[0].reason} if e.exclusions else None,
                "excluded_reason": e.exclusions[0].reason if e.exclusions else None,
                "call_exclusion": None,
                **_amounts(per_essms.get(e.finess)),
            }
            for e in data.distinct_essms
            if e.finess
        ]
        if data.structures is not None:
            essms_count = data.essms_count
            essms_listed = data.listed_count
            departments = sorted({e.department for e in data.distinct_essms if e.department})
            sectors = sorted({e.sector for e in data.eligible_essms if e.sector})  # what the call funds
    return DossierReport.model_validate(
        {
            "dossier": numero,
            "call": config.reference,
            "call_id": config.id,
            "verdict": verdict.value,
            "verdict_label": verdict.label,
            "verdict_reason": verdict_reason(verdict, findings),
            "findings": [{**f.to_dict(), "action": action_for(f.rule, f.severity.value)} for f in findings],
            "documents": _documents(records, readings),
            "essms_count": essms_count,
            "essms_listed": essms_listed,
            "amount_requested": figures.amount_requested if figures else None,
            "amount_eligible": figures.amount_eligible if figures else None,
            "porteur": porteur,
            "date_depot": date_depot,
            "deposit": deposit,
            "departments": departments,
            "sectors": sectors,
            "essms": essms,
            "file_problems": file_problems(data) if data is not None else [],
            "finess_repository": (
                repository.info.report_entry() if repository is not None else {"checked": False, "extract_date": None}
            ),
            "readings": readings,
            "basis": figures.basis if figures else None,
            "counts": counts,
            "generated_at": now_paris(),
            "versions": {"esmsnum": __version__, "config_sha256": config.config_hash},
            "call_snapshot": snapshot(config),
        }
    )


def file_problems(data: Any) -> list[dict[str, Any]]:
    """Every file of the dossier that could not be read, with the code of its problem in the
    catalogue (``core.file_problems``): refused at intake, the online form, unreadable
    documents. The call summary counts them by type."""

    def entry(file: str, code: str | None, message: str | None) -> dict[str, Any]:
        return {"file": file, "problem": code, "title": title_of(code), "message": message}

    out = [entry(p.file, p.reason.code, p.reason.message) for p in data.intake_problems]
    if data.form is not None and data.form.problem is not None:
        out.append(entry(data.form.source, data.form.problem.code, data.form.problem.message))
    out += [entry(d.file, d.problem, d.error) for d in data.documents if not d.readable]
    return out


OWNER_ADDRESS_KEYS = ("porteur.adresse", "porteur.adresse_postale")
OWNER_ADDRESS_PARTS = ("ligne1", "ligne2", "ligne", "voie", "complement", "code_postal", "commune", "ville")


def owner_of(form: Any) -> dict[str, Any]:
    """The owner as the form gives it: name, FINESS juridique, SIRET, contact and, when the
    form has one, the postal address (``porteur.adresse`` as one text, or its parts)."""
    contact = {key: _text(form.raw(f"porteur.contact.{key}")) for key in ("nom", "email", "telephone")}
    address: list[str] = []
    for key in OWNER_ADDRESS_KEYS:
        value = _text(form.raw(key))
        if value:
            address = [line.strip() for line in value.replace("\r", "").split("\n") if line.strip()]
            break
    if not address:
        parts = {part: _text(form.raw(f"porteur.adresse.{part}")) for part in OWNER_ADDRESS_PARTS}
        street = [parts[p] for p in ("ligne1", "ligne", "voie", "ligne2", "complement") if parts.get(p)]
        town = " ".join(p for p in (parts.get("code_postal"), parts.get("commune") or parts.get("ville")) if p)
        address = street + ([town] if town else [])
    return {
        "raison_sociale": _text(form.raw("porteur.raison_sociale")),
        "finess_ej": _text(form.raw("porteur.finess_ej")),
        "siret": _text(form.raw("porteur.siret")),
        "contact": contact if any(contact.values()) else None,
        "adresse": address or None,
    }


def _og_name(essms: Any) -> str | None:
    cell = essms.row.get("organisme_gestionnaire") if getattr(essms, "row", None) is not None else None
    return _text(cell.text) if cell is not None and cell.text else None


def _ineligible_reason(essms: Any) -> str | None:
    eligibility = getattr(essms, "eligibility", None)
    return eligibility.reason if eligibility is not None and not eligibility.eligible else None


def _documents(records: list, readings: dict[str, Any]) -> list[dict[str, Any]]:
    """``documents`` of report.json, each with how its tables were recognised."""
    tables = recognitions(readings)
    return [{**r.to_dict(), "tables": tables.get(r.file, [])} for r in records]


def _readings(data: Any) -> dict[str, Any]:
    """How each document was read (tables, column mapping with scores, units, what was left
    unread and why): ``extractors.readings``."""
    if data is None:
        return {"tables": [], "hidden": [], "unread": []}
    used = {id(t) for t in (data.structures, data.budget_essms, data.budget_lines, data.planning) if t is not None}
    return document_readings(data.documents, used)


def _category(essms: Any) -> str | None:
    category = essms.eligibility.category if essms.eligibility else None
    return f"{category.label} ({category.code})" if category else (essms.category or None)


def _capacity(essms: Any) -> int | None:
    """Places of the ESSMS as listed (the committee looks at the spread of capacities)."""
    from extractors.values import parse_int

    cell = essms.row.get("capacite") if essms.row is not None else None
    value = parse_int(cell.raw).value if cell is not None else None
    return value if value is not None and value >= 0 else None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value).strip() or None


def _amounts(entry: dict[str, Any] | None) -> dict[str, Any]:
    """An ESSMS's funding asked and eligible (``validators.figures``), under the names the
    report's ESSMS table reads (``amount_requested``) and the contract's (``amount_asked``)."""
    entry = entry or {"amount_asked": None, "amount_eligible": None}
    return {**entry, "amount_requested": entry.get("amount_asked")}


def _deposit(raw: Any) -> tuple[str | None, dict[str, Any] | None]:
    """``date_depot`` as DEP-01 read it (ISO 8601 with offset, or the day alone) and the parsed
    deposit (precision, form, description); the raw text when it cannot be read."""
    deposit, _problem = parse_deposit(raw)
    if deposit is None:
        return _text(raw), None
    moment = deposit.day.isoformat() if deposit.day_only else deposit.moment.isoformat()
    return moment, {**deposit.to_dict(), "raw": _text(raw)}


_SNAPSHOTS: dict[int, tuple[CallConfig, CallSnapshot]] = {}


def snapshot(config: CallConfig) -> CallSnapshot:
    """The call's snapshot, built once per configuration object (a configuration is frozen;
    the object is kept with its snapshot so that its id is not reused)."""
    hit = _SNAPSHOTS.get(id(config))
    if hit is None:
        if len(_SNAPSHOTS) >= 8:
            _SNAPSHOTS.pop(next(iter(_SNAPSHOTS)))
        hit = _SNAPSHOTS[id(config)] = (config, call_snapshot(config))
    return hit[1]
