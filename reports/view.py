"""What the HTML templates show, prepared from the typed report (``core.report.DossierReport``)
and from ``summary.json``: findings grouped by document (most severe first), waived findings
apart, evidence ready to print, links to the rule documentation. Pure data: the templates
escape every string. The call's facts come from the report's snapshot of the call.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from core.file_problems import title_of
from core.french import (
    FORM_LABEL,
    SEVERITY_RANK,
    VERDICT_DOSSIERS,
    VERDICT_LABELS,
    VERDICT_RANK,
    count,
    date_short,
    datetime_short,
    kind_label,
    number,
    percent,
    sentence_case,
    severity_label,
    verdict_label,
)
from core.models import DOSSIER_FILE
from core.models import describe_location as _describe
from core.report import DocumentEntry, DossierReport, FindingEntry, LocationEntry
from reports.deposit import deposit_text, deposit_view
from reports.essms import essms_table
from reports.piece_copies import piece_row
from reports.pieces import pieces_checklist, pieces_summary
from reports.ruledoc import RULES_PAGE, rules_href, to_confirm
from reports.wording import counts_sentence
from validators.registry import action_for

STATUS_LABELS = {"nouveau": "Nouveau", "inchangé": "Inchangé", "inchange": "Inchangé"}
CHANNEL_LABELS = {
    "national": "national (CNSA)",
    "regional": "régional (ARS)",
    "multiregional": "multirégional (ARS, projet sur plusieurs régions)",
}
_BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")


# --------------------------------------------------------------------------- shared helpers


def rule_doc_href(rule_id: str | None, depth: int = 1) -> str | None:
    """Relative link to the rule's section of the output folder's ``regles.html`` from a page
    ``depth`` folders below the output folder (1: a dossier's report, 0: the summary)."""
    return rules_href(rule_id, depth)


@lru_cache(maxsize=1)
def _rules() -> dict[str, Any]:
    try:
        from validators.registry import all_rules

        return all_rules()
    except Exception:  # noqa: BLE001 - a report renders without the catalogue
        return {}


def rule_description(rule_id: str | None) -> str:
    rule = _rules().get(rule_id or "")
    return " ".join(rule.description.split()) if rule else ""


def rule_title(rule_id: str | None) -> str:
    rule = _rules().get(rule_id or "")
    return rule.title if rule else ""


def describe_location(location: LocationEntry | dict[str, Any] | None) -> str:
    """The French wording of a location (« — » for none)."""
    if isinstance(location, LocationEntry):
        return location.describe() or "—"
    return _describe(location) or "—"


def sector_labels() -> dict[str, str]:
    try:
        from validators.reference import reference

        return dict(reference().sectors)
    except Exception:  # noqa: BLE001
        return {}


def channel_label(channel: str | None) -> str:
    return CHANNEL_LABELS.get(channel or "", channel or "—")


# --------------------------------------------------------------------------- dossier report


def _evidence(evidence: Any) -> dict[str, Any] | None:
    """The evidence as the template shows it; anything malformed is dropped."""
    if not isinstance(evidence, dict):
        return None
    kind = evidence.get("kind")
    if kind == "image":
        data = evidence.get("png_base64")
        if not isinstance(data, str) or not _BASE64.match(data):
            return None
        return {
            "kind": "image",
            "src": f"data:image/png;base64,{data}",
            "alt": str(evidence.get("alt") or "Extrait du document"),
            "page": evidence.get("page"),
            "file": evidence.get("file"),
            "width": evidence.get("width"),
            "matched": evidence.get("matched"),
            "whole_page": evidence.get("whole_page"),
        }
    if kind == "rows":
        rows = evidence.get("rows") or []
        highlight = evidence.get("highlight")
        labels = evidence.get("row_labels") or [""] * len(rows)
        body = []
        for i, row in enumerate(rows):
            cells = [
                {
                    "text": str(v) if v is not None else "",
                    "hl": bool(highlight) and highlight[0] == i and highlight[1] == j,
                }
                for j, v in enumerate(row)
            ]
            body.append(
                {
                    "label": labels[i] if i < len(labels) else "",
                    "cells": cells,
                    "hl": bool(highlight) and highlight[0] == i,
                }
            )
        header = evidence.get("header")
        hh = evidence.get("highlight_header")
        return {
            "kind": "rows",
            "file": evidence.get("file"),
            "sheet": evidence.get("sheet"),
            "columns": [str(c) for c in evidence.get("columns") or []],
            "header": [{"text": str(v) if v is not None else "", "hl": hh == j} for j, v in enumerate(header)]
            if header
            else None,
            "header_label": evidence.get("header_label") or "",
            "rows": body,
            "more_left": evidence.get("more_left"),
            "more_right": evidence.get("more_right"),
        }
    if kind == "text":
        lines = [str(line) for line in evidence.get("lines") or []]
        return {
            "kind": "text",
            "file": evidence.get("file"),
            "where": evidence.get("where"),
            "lines": [{"text": t, "hl": i == evidence.get("highlight")} for i, t in enumerate(lines)],
        }
    return None


def finding_view(finding: FindingEntry, number: int | None = None) -> dict[str, Any]:
    rule = finding.rule
    waiver = finding.waiver
    status = finding.status
    return {
        "number": number,
        "rule": rule,
        "title": finding.title or rule_title(rule),
        "severity": finding.severity.value,
        "severity_label": severity_label(finding.severity),
        "message": finding.message or "",
        "expected": finding.expected,
        "found": finding.found,
        "where": describe_location(finding.location),
        "action": finding.action or action_for(rule, finding.severity.value),
        "doc_href": rule_doc_href(rule),
        "description": rule_description(rule),
        "evidence": _evidence(finding.evidence),
        "status": status if status in STATUS_LABELS else None,
        "status_label": STATUS_LABELS.get(status) if status else None,
        "waiver": None
        if waiver is None
        else {"motif": waiver.motif, "author": waiver.author, "date": date_short(waiver.date)},
    }


def _group_title(file: str, records: dict[str, DocumentEntry]) -> tuple[str, str]:
    """(heading, what the file holds) of a group of findings."""
    if file == DOSSIER_FILE:
        return "Ensemble du dossier", "constats qui ne portent pas sur une pièce en particulier"
    record = records.get(file)
    if record is None:
        return file, "fichier du dossier"
    if record.role == "formulaire":
        return file, FORM_LABEL
    kinds = list(dict.fromkeys(kind_label(p.kind) for p in record.parts)) or [kind_label(record.kind)]
    return file, " ; ".join(k for k in kinds if k)


def _document_view(record: DocumentEntry) -> dict[str, Any]:
    """A line of the table of the dossier's files, its kinds in words."""
    kind = sentence_case(FORM_LABEL) if record.role == "formulaire" else sentence_case(kind_label(record.kind))
    return {
        "file": record.file,
        "format": record.format,
        "kind_label": kind,
        "error": record.error,
        "parts": [{"label": sentence_case(kind_label(p.kind)), "where": p.where} for p in record.parts],
        "sha256": record.sha256,
        "piece": piece_row(record),  # the kept copy, linked relatively (``pieces/<name>``)
    }


def _evolution_view(report: DossierReport) -> dict[str, Any] | None:
    """« Évolution depuis l'analyse du 02/03/2025 : 2 constats résolus, 1 nouveau, 3 inchangés »."""
    evolution = report.evolution
    if evolution is None:
        return None
    resolved = [finding_view(f) for f in evolution.resolved]
    sentence = (
        f"Évolution depuis l'analyse du {date_short(evolution.previous_date)} : "
        f"{count(len(resolved), 'constat résolu', 'constats résolus')}, "
        f"{count(evolution.new_count, 'nouveau', 'nouveaux')}, "
        f"{count(evolution.unchanged_count, 'inchangé', 'inchangés')}"
    )
    return {
        "sentence": sentence,
        "date": date_short(evolution.previous_date),
        "previous_verdict": verdict_label(evolution.previous_verdict) if evolution.previous_verdict else None,
        "resolved": resolved,
        "new_count": evolution.new_count,
        "unchanged_count": evolution.unchanged_count,
    }


def _authority(report: DossierReport) -> str | None:
    """The call's authority, unless the call's title already names it."""
    call = report.call_snapshot
    return call.authority if call.authority and call.authority not in call.title else None


def finess_sentence(checked: bool, extract_date: Any, registered: list[bool | None], sample: bool = False) -> str:
    """« chaque numéro vérifié dans le répertoire FINESS (extraction du 11/03/2026) », or that
    they were not looked up; a sample extract (the project's generator) says so."""
    if checked and extract_date:
        what = "échantillon fictif généré par esmsnum, pas le répertoire national, " if sample else ""
        sentence = f"chaque numéro vérifié dans le répertoire FINESS ({what}extraction du {date_short(extract_date)})"
        looked_up = [r for r in registered if r is not None]
        if looked_up:
            sentence += f" : {count(sum(looked_up), 'ESSMS trouvé', 'ESSMS trouvés')} sur {len(looked_up)}"
        return sentence
    return (
        "existence non vérifiée : aucune extraction du répertoire FINESS n'était chargée "
        "(voir « esmsnum finess importer »)"
    )


def report_view(report: DossierReport, letter: dict[str, Any] | None = None) -> dict[str, Any]:
    records = {d.file: d for d in report.documents}
    active = report.active_findings
    ranked = sorted(enumerate(active), key=lambda p: (p[1].severity.rank, p[0]))
    groups: dict[str, dict[str, Any]] = {}
    for _, finding in ranked:
        if finding.file not in groups:
            heading, holds = _group_title(finding.file, records)
            groups[finding.file] = {"heading": heading, "holds": holds, "findings": [], "worst": finding.severity.value}
    number_ = 0
    for file, group in groups.items():  # numbers follow the reading order: group by group
        for _, finding in ranked:
            if finding.file == file:
                number_ += 1
                group["findings"].append(finding_view(finding, number_))
    counts = {s: sum(1 for f in active if f.severity.value == s) for s in SEVERITY_RANK}
    sectors = sector_labels()
    porteur = report.porteur
    pieces = pieces_checklist(report)
    call = report.call_snapshot
    return {
        "groups": list(groups.values()),
        "active_count": len(active),
        "counts": counts,
        "counts_sentence": counts_sentence(counts),
        "essms": essms_table(report),
        "pieces": pieces,
        "pieces_summary": pieces_summary(pieces),
        "deposit": deposit_view(report),
        "rules_page": f"../{RULES_PAGE}",
        "summary_page": "../summary.html",
        "verdict_label": verdict_label(report.verdict),
        "documents": [_document_view(d) for d in report.documents],
        "waived": [finding_view(f) for f in report.waived_findings],
        "evolution": _evolution_view(report),
        "letter": letter,
        "authority": _authority(report),
        "call_title": call.title,
        "call_reference": call.reference,
        "porteur_name": (porteur.raison_sociale if porteur else None) or "non renseigné",
        "porteur_finess": porteur.finess_ej if porteur else None,
        "channel": channel_label(call.channel),
        "sectors": [sectors.get(s, s) for s in report.sectors],
        "date_depot": deposit_text(report),
        "generated": datetime_short(report.generated_at),
        "finess": finess_sentence(
            report.finess_repository.checked,
            report.finess_repository.extract_date,
            [e.registered for e in report.essms],
            report.finess_repository.sample,
        ),
        "waived_sentence": count(len(report.waived_findings), "constat levé", "constats levés"),
    }


# --------------------------------------------------------------------------- call summary

RUN_LABELS = {
    "dossiers": "Dossiers de l'appel",
    "dossiers_analysed": "Dossiers analysés",
    "dossiers_cached": "Dossiers repris de l'analyse précédente (inchangés)",
    "dossiers_failed": "Dossiers en erreur",
    "documents_extracted": "Documents lus",
    "documents_cached": "Documents repris du cache",
    "reports_written": "Rapports écrits",
    "seconds": "Durée",
    "stage_seconds": "Durée par étape",
}
STAGE_LABELS = {
    "intake": "réception des dossiers",
    "analysis": "analyse des dossiers",
    "call_rules": "règles de l'appel",
    "reports": "écriture des rapports",
}
SPLIT_NOTES = {
    "par_essms": (
        "Montants répartis par ESSMS : chaque ESSMS compte dans son département (ou secteur) avec le "
        "financement qu'il demande ; la ligne « non réparti » porte les dépenses communes aux projets "
        "(AMOA, équipement…). Les montants s'additionnent au total de l'appel."
    ),
    "partiel": (
        "Montants répartis par ESSMS pour les dossiers dont le rapport les donne ; la ligne « non réparti » "
        "porte les dépenses communes et les dossiers sans montant par ESSMS. Les montants s'additionnent au "
        "total de l'appel."
    ),
    "comptes": (
        "Décomptes seulement : les rapports ne donnent pas de montant par ESSMS, un montant par département "
        "compterait un dossier dans chacun de ses départements. Les ESSMS s'additionnent ; un dossier "
        "réunissant plusieurs départements compte dans chacun."
    ),
}


def _seconds(value: Any) -> str:
    try:
        return f"{number(float(value), 1)}\u00a0s"
    except (TypeError, ValueError):
        return str(value)


def run_details(run: dict[str, Any]) -> list[tuple[str, str]]:
    """The run's counters in words (the « Détails techniques » block)."""
    out = []
    for key, value in run.items():
        label = RUN_LABELS.get(str(key), str(key).replace("_", " "))
        if isinstance(value, dict):
            text = " ; ".join(
                f"{STAGE_LABELS.get(str(k), str(k).replace('_', ' '))} {_seconds(v)}" for k, v in value.items()
            )
        elif key == "seconds":
            label, text = "Durée", _seconds(value)
        else:
            text = str(value)
        out.append((label, text))
    return out


def _tokens(values: Any) -> str:
    """Space-separated tokens for a data attribute (spaces inside a value become ``_``)."""
    return " ".join(str(v).replace(" ", "_") for v in values or [] if v is not None)


VERDICT_COUNTS = {
    "recevable": ("recevable", "recevables"),
    "a_completer": ("à compléter", "à compléter"),
    "non_recevable": ("non recevable", "non recevables"),
}


def verdict_sentence(by_verdict: dict[str, Any]) -> str:
    """« 6 recevables, 10 à compléter, 1 non recevable »."""
    return ", ".join(count(int(by_verdict.get(v) or 0), *words) for v, words in VERDICT_COUNTS.items())


def _rule_severities(rule: str, dossiers: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    """(severity, label, dossiers) of a rule across the call, most severe first."""
    found: dict[str, int] = {}
    for d in dossiers:
        severity = (d.get("rule_severities") or {}).get(rule)
        if severity:
            found[severity] = found.get(severity, 0) + 1
    return [(s, severity_label(s), n) for s, n in sorted(found.items(), key=lambda kv: SEVERITY_RANK.get(kv[0], 9))]


def _programme_notes(snapshot: dict[str, Any] | None) -> dict[str, Any]:
    """The call's programme year and how many of its values are still to be confirmed."""
    from core.report import CallSnapshot

    if not snapshot:
        return {"programme": None, "to_confirm": 0}
    try:
        call = CallSnapshot.model_validate(snapshot)
    except ValueError:
        return {"programme": None, "to_confirm": 0}
    return {"programme": call.programme, "to_confirm": len(to_confirm(call))}


def summary_view(summary: dict[str, Any]) -> dict[str, Any]:
    totals = summary.get("totals") or {}
    sectors = dict(summary.get("sector_labels") or {}) or sector_labels()
    rule_titles = summary.get("rule_titles") or {}
    dossiers = []
    for d in summary.get("dossiers") or []:
        counts = d.get("counts") or {}
        dossiers.append(
            {
                **d,
                "verdict_label": verdict_label(d.get("verdict")),
                "verdict_rank": VERDICT_RANK.get(d.get("verdict"), 9),
                "data_departments": _tokens(d.get("departments")),
                "data_rules": _tokens(d.get("rules")),
                "data_sectors": _tokens(d.get("sectors")),
                "findings": sum(int(v or 0) for k, v in counts.items() if k != "leves"),
                "waived": int(d.get("waived") or counts.get("leves") or 0),
                "instruction": d.get("instruction") if isinstance(d.get("instruction"), dict) else None,
                "date_depot_label": datetime_short(d.get("date_depot")) if d.get("date_depot") else "—",
                "date_depot_sort": str(d.get("date_depot") or ""),
                "date_depot_day": date_short(d.get("date_depot")) if d.get("date_depot") else "—",
                "rule_badges": [
                    {
                        "rule": rule,
                        "severity": severity,
                        "label": severity_label(severity),
                        "href": rule_doc_href(rule, 0),
                    }
                    for rule, severity in sorted(
                        (d.get("rule_severities") or dict.fromkeys(d.get("rules") or [], "")).items(),
                        key=lambda kv: (SEVERITY_RANK.get(kv[1], 9), kv[0]),
                    )
                ],
            }
        )
    envelope = totals.get("envelope") or {}
    requested = totals.get("amount_requested_recevable") or 0.0
    ratio = None
    if envelope.get("envelope"):
        ratio = round(100.0 * requested / envelope["envelope"], 1)
    run = summary.get("run") if isinstance(summary.get("run"), dict) else None
    changes = summary.get("changes") if isinstance(summary.get("changes"), list) else None
    links = {d.get("dossier"): d.get("report_html") for d in dossiers}
    return {
        "finess": finess_sentence(
            bool((summary.get("finess_repository") or {}).get("checked")),
            (summary.get("finess_repository") or {}).get("extract_date"),
            [],
            bool((summary.get("finess_repository") or {}).get("sample")),
        ),
        "dossiers": dossiers,
        "verdicts": [(v, VERDICT_LABELS[v], (totals.get("by_verdict") or {}).get(v, 0)) for v in VERDICT_LABELS],
        "verdict_columns": [(v, sentence_case(VERDICT_DOSSIERS[v].plural)) for v in VERDICT_LABELS],
        "file_problems": [
            {
                "code": code,
                "title": entry.get("title") or title_of(code),
                "files": entry.get("files", 0),
                "dossiers": entry.get("dossiers", 0),
            }
            for code, entry in (totals.get("by_file_problem") or {}).items()
            if isinstance(entry, dict)
        ],
        "rules": [
            {
                "id": rule,
                "title": rule_titles.get(rule) or rule_title(rule),
                "count": n,
                "href": rule_doc_href(rule, 0),
                "severities": _rule_severities(rule, dossiers),
            }
            for rule, n in (totals.get("by_rule") or {}).items()
        ],
        "departments": [
            {"code": code, **entry}
            for code, entry in (totals.get("by_department") or {}).items()
            if code != "(non réparti)" or (totals.get("split") or "comptes") != "comptes" or entry.get("essms")
        ],
        "split": totals.get("split") or "comptes",
        "split_note": SPLIT_NOTES.get(totals.get("split") or "comptes", SPLIT_NOTES["comptes"]),
        "verdict_sentence": verdict_sentence(totals.get("by_verdict") or {}),
        "sectors": [
            {"code": code, "label": sectors.get(code, code), **entry}
            for code, entry in (totals.get("by_sector") or {}).items()
            if code != "(non réparti)" or (totals.get("split") or "comptes") != "comptes" or entry.get("essms")
        ],
        "department_options": sorted({dep for d in dossiers for dep in d.get("departments") or []}),
        "rule_options": sorted({rule for d in dossiers for rule in d.get("rules") or []}),
        "sector_options": [
            (code, sectors.get(code, code)) for code in sorted({s for d in dossiers for s in d.get("sectors") or []})
        ],
        "envelope_ratio": None if ratio is None else percent(ratio / 100.0),
        "envelope_bar": None if ratio is None else min(100.0, ratio),
        "run": None if run is None else run_details(run),
        "rules_page": RULES_PAGE,
        **_programme_notes(summary.get("call_snapshot")),
        "changes": None
        if changes is None
        else [
            {
                "dossier": c.get("dossier"),
                "href": links.get(c.get("dossier")),
                "before": VERDICT_LABELS.get(c.get("before"), c.get("before") or "—"),
                "after": VERDICT_LABELS.get(c.get("after"), c.get("after") or "—"),
                "after_code": c.get("after"),
                "by_reviewer": c.get("by") == "instructeur",
            }
            for c in changes
            if isinstance(c, dict)
        ],
        "generated": datetime_short(summary.get("generated_at")),
    }
