"""What the HTML templates show, prepared from ``report.json`` / ``summary.json``: findings
grouped by document (most severe first), waived findings apart, evidence ready to print,
links to the rule documentation. Pure data: the templates escape every string.

Every field the lead's history adds (``evolution``, ``waiver``, ``status``, ``run``,
``changes``) is optional here: a report without them renders as before.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from core.file_problems import title_of
from core.labels import (
    FORM_LABEL,
    SEVERITY_RANK,
    VERDICT_DOSSIERS,
    VERDICT_LABELS,
    VERDICT_RANK,
    kind_label,
    sentence_case,
    severity_label,
    verdict_label,
)
from core.models import DOSSIER_FILE
from core.models import describe_location as _describe
from reports.dates import date_fr as _date_fr
from reports.dates import datetime_fr
from reports.deposit import call_facts, deposit_view
from reports.essms import essms_table
from reports.pieces import pieces_checklist, pieces_summary
from reports.ruledoc import RULES_PAGE, rules_href
from reports.wording import count, counts_sentence
from validators.registry import action_for

STATUS_LABELS = {"nouveau": "Nouveau", "inchangé": "Inchangé", "inchange": "Inchangé"}
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


def date_fr(value: Any, with_time: bool = False) -> str:
    """``12/03/2025`` (``12/03/2025 à 14:05`` with the time), in Europe/Paris."""
    return datetime_fr(value) if with_time else _date_fr(value)


def describe_location(location: dict[str, Any] | None) -> str:
    return _describe(location) or "—"


def sector_labels() -> dict[str, str]:
    try:
        from validators.reference import reference

        return dict(reference().sectors)
    except Exception:  # noqa: BLE001
        return {}


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


def finding_view(finding: dict[str, Any], number: int | None = None) -> dict[str, Any]:
    rule = finding.get("rule")
    waiver = finding.get("waiver") if isinstance(finding.get("waiver"), dict) else None
    status = finding.get("status")
    return {
        "number": number,
        "rule": rule,
        "title": finding.get("title") or rule_title(rule),
        "severity": finding.get("severity"),
        "severity_label": severity_label(finding.get("severity")),
        "message": finding.get("message") or "",
        "expected": finding.get("expected"),
        "found": finding.get("found"),
        "where": describe_location(finding.get("location")) or "—",
        "action": finding.get("action") or action_for(rule),
        "doc_href": rule_doc_href(rule),
        "description": rule_description(rule),
        "evidence": _evidence(finding.get("evidence")),
        "status": status if status in STATUS_LABELS else None,
        "status_label": STATUS_LABELS.get(status) if status else None,
        "waiver": None
        if waiver is None
        else {
            "motif": str(waiver.get("motif") or ""),
            "author": str(waiver.get("author") or ""),
            "date": date_fr(waiver.get("date")),
        },
    }


def _group_title(file: str | None, records: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """(heading, what the file holds) of a group of findings."""
    if not file or file == DOSSIER_FILE:
        return "Ensemble du dossier", "constats qui ne portent pas sur une pièce en particulier"
    record = records.get(file)
    if record is None:
        return file, "fichier du dossier"
    if record.get("role") == "formulaire":
        return file, FORM_LABEL
    kinds = [kind_label(p.get("kind")) for p in record.get("parts") or []]
    kinds = list(dict.fromkeys(k for k in kinds if k)) or [kind_label(record.get("kind"))]
    return file, " ; ".join(k for k in kinds if k)


def _document_view(record: dict[str, Any]) -> dict[str, Any]:
    """A line of the table of the dossier's files, its kinds in words."""
    kind = (
        sentence_case(FORM_LABEL)
        if record.get("role") == "formulaire"
        else sentence_case(kind_label(record.get("kind")))
    )
    parts = [
        {"label": sentence_case(kind_label(p.get("kind"))), "where": p.get("where")}
        for p in record.get("parts") or []
        if isinstance(p, dict)
    ]
    return {
        "file": record.get("file"),
        "format": record.get("format"),
        "kind_label": kind,
        "error": record.get("error"),
        "parts": parts,
        "sha256": str(record.get("sha256") or ""),
    }


_count = count


def _evolution_sentence(evolution: dict[str, Any]) -> str:
    """« Évolution depuis l'analyse du 02/03/2025 : 2 constats résolus, 1 nouveau, 3 inchangés »."""
    resolved = len([f for f in evolution.get("resolved") or [] if isinstance(f, dict)])
    new = int(evolution.get("new_count") or 0)
    unchanged = int(evolution.get("unchanged_count") or 0)
    return (
        f"Évolution depuis l'analyse du {date_fr(evolution.get('previous_date'))} : "
        f"{_count(resolved, 'constat résolu', 'constats résolus')}, {_count(new, 'nouveau', 'nouveaux')}, "
        f"{_count(unchanged, 'inchangé', 'inchangés')}"
    )


def _authority(report: dict[str, Any]) -> str | None:
    """The call's authority, unless the call's title already names it."""
    authority = report.get("authority")
    return authority if authority and authority not in str(report.get("call_title") or "") else None


def finess_sentence(report: dict[str, Any]) -> str:
    """« chaque numéro vérifié dans le répertoire FINESS (extraction du 11/03/2026) », or that
    they were not looked up."""
    repository = report.get("finess_repository") or {}
    if repository.get("checked") and repository.get("extract_date"):
        sentence = (
            f"chaque numéro vérifié dans le répertoire FINESS (extraction du {date_fr(repository['extract_date'])})"
        )
        looked_up = [e.get("registered") for e in report.get("essms") or [] if e.get("registered") is not None]
        if looked_up:
            sentence += f" : {sum(looked_up)} ESSMS trouvé(s) sur {len(looked_up)}"
        return sentence
    return (
        "existence non vérifiée : aucune extraction du répertoire FINESS n'était chargée "
        "(voir « esmsnum finess importer »)"
    )


def report_view(report: dict[str, Any], letter: dict[str, Any] | None = None) -> dict[str, Any]:
    records = {d.get("file"): d for d in report.get("documents") or []}
    active, waived = [], []
    for finding in report.get("findings") or []:
        (waived if isinstance(finding.get("waiver"), dict) else active).append(finding)
    groups: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    number = 0
    ranked = sorted(enumerate(active), key=lambda p: (SEVERITY_RANK.get(p[1].get("severity"), 9), p[0]))
    for _, finding in ranked:
        file = (finding.get("location") or {}).get("file") or DOSSIER_FILE
        if file not in groups:
            heading, holds = _group_title(file, records)
            groups[file] = {"heading": heading, "holds": holds, "findings": [], "worst": finding.get("severity")}
            order.append(file)
    for file in order:  # numbers follow the reading order: group by group
        for _, finding in ranked:
            if ((finding.get("location") or {}).get("file") or DOSSIER_FILE) == file:
                number += 1
                groups[file]["findings"].append(finding_view(finding, number))
    counts = {s: sum(1 for f in active if f.get("severity") == s) for s in SEVERITY_RANK}
    records_list = [d for d in report.get("documents") or [] if isinstance(d, dict)]
    evolution = report.get("evolution") if isinstance(report.get("evolution"), dict) else None
    sectors = sector_labels()
    porteur = report.get("porteur") or {}
    known = {**call_facts(report.get("call_id")), **{k: v for k, v in report.items() if v is not None}}
    pieces = pieces_checklist(known)
    return {
        "groups": [groups[f] for f in order],
        "active_count": len(active),
        "counts": counts,
        "counts_sentence": counts_sentence(counts),
        "essms": essms_table(report),
        "pieces": pieces,
        "pieces_summary": pieces_summary(pieces),
        "deposit": deposit_view(known),
        "rules_page": f"../{RULES_PAGE}",
        "summary_page": "../summary.html",
        "verdict_label": verdict_label(report.get("verdict")),
        "documents": [_document_view(d) for d in records_list],
        "waived": [finding_view(f) for f in waived],
        "evolution": None
        if evolution is None
        else {
            "sentence": _evolution_sentence(evolution),
            "date": date_fr(evolution.get("previous_date")),
            "previous_verdict": verdict_label(evolution.get("previous_verdict")) or None,
            "resolved": [finding_view(f) for f in evolution.get("resolved") or [] if isinstance(f, dict)],
            "new_count": int(evolution.get("new_count") or 0),
            "unchanged_count": int(evolution.get("unchanged_count") or 0),
        },
        "letter": letter,
        "authority": _authority(report),
        "porteur_name": porteur.get("raison_sociale") or "non renseigné",
        "porteur_finess": porteur.get("finess_ej"),
        "channel": "national (CNSA, 50 ESSMS ou plus)"
        if report.get("channel") == "national"
        else "régional (ARS, moins de 50 ESSMS)",
        "sectors": [sectors.get(s, s) for s in report.get("sectors") or []],
        "date_depot": _deposit_text(report),
        "generated": date_fr(report.get("generated_at"), with_time=True),
        "finess": finess_sentence(report),
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
    "seconds": "Durée (s)",
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
        return f"{float(value):.1f}".replace(".", ",") + " s"
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
                "date_depot_label": date_fr(d.get("date_depot"), with_time=True) if d.get("date_depot") else "—",
                "date_depot_sort": str(d.get("date_depot") or ""),
                "date_depot_day": date_fr(d.get("date_depot")) if d.get("date_depot") else "—",
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
        "finess": finess_sentence(summary),
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
        "envelope_ratio": ratio,
        "envelope_bar": None if ratio is None else min(100.0, ratio),
        "run": None if run is None else run_details(run),
        "rules_page": RULES_PAGE,
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
        "generated": date_fr(summary.get("generated_at"), with_time=True),
    }


def _deposit_text(report: dict[str, Any]) -> str | None:
    """The deposit as DEP-01 read it (« 30 septembre 2023 entre 23:00 et 23:59 »), else the date."""
    deposit = report.get("deposit")
    if isinstance(deposit, dict) and deposit.get("description"):
        return str(deposit["description"])
    return date_fr(report.get("date_depot"), with_time=True) if report.get("date_depot") else None
