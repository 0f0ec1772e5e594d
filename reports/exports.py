"""The call summary as a spreadsheet: ``summary.xlsx`` (a sheet of dossiers with their key
figures and verdict, a sheet of every finding with its location) and ``summary.csv`` (the
dossiers, UTF-8 with BOM and ``;`` as French Excel expects).

Dossier content (names, file names, cell values) is untrusted: in the xlsx every text is
written with ``write_string`` (never a formula); in the csv a text starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'`` (OWASP, CSV
injection). Findings are read from each dossier's report.json one at a time.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from core.french import (
    SEVERITY_FINDINGS,
    SEVERITY_RANK,
    VERDICT_LABELS,
    date_short,
    datetime_short,
    moment,
    sentence_case,
    severity_label,
    verdict_label,
)
from core.report import DossierReport, LocationEntry, Owner
from reports.files import atomic_path, atomic_write_bytes
from reports.spreadsheet import new_workbook, write_cell
from reports.summary import load_report
from validators.registry import action_for

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# Same order as the dossiers table of summary.html, then what the table does not show, then
# the two columns a reviewer fills (decision, comment).
DOSSIER_COLUMNS = [
    ("Dossier", "link"),
    ("Porteur", "text"),
    ("Déposé le", "moment"),
    ("Verdict", "text"),
    ("ESSMS éligibles", "int"),
    ("Montant demandé (€)", "euro"),
    ("Montant éligible (€)", "euro"),
    ("Départements", "text"),
    ("Règles (gravité)", "text"),
    ("Courrier", "link"),
    ("FINESS juridique du porteur", "text"),
    ("Motif du verdict", "text"),
    ("ESSMS listés", "int"),
    ("Secteurs", "text"),
    *((sentence_case(SEVERITY_FINDINGS[s].plural), "int") for s in SEVERITY_RANK),
    ("Constats levés par l'instructeur", "int"),
    ("Statut d'instruction", "text"),
    ("Décision proposée", "text"),
    ("Motif de la décision", "text"),
    ("Décision de l'instructeur", "text"),
    ("Commentaire", "text"),
]
DOSSIER_WIDTHS = [16, 36, 18, 14, 10, 16, 16, 14, 34, 22, 14, 60, 10, 30, 10, 10, 10, 10, 18, 28, 50, 24, 40]
# The HTML order of a finding: found before expected.
FINDING_COLUMNS = [
    "Dossier",
    "Verdict du dossier",
    "Règle",
    "Intitulé",
    "Gravité",
    "Statut",
    "Levé par l'instructeur",
    "Constat",
    "Constaté",
    "Attendu",
    "Emplacement",
    "Fichier",
    "Feuille",
    "Cellule",
    "Page",
    "Détail",
    "Action demandée au porteur",
]
FINDING_WIDTHS = [16, 14, 9, 30, 11, 10, 30, 70, 30, 30, 40, 30, 16, 8, 6, 24, 60]


class Link(str):
    """A relative link to a file of the output folder; its text is ``label`` in the xlsx,
    ``plain`` in the csv (the dossier's number, or the letter's path)."""

    label: str
    plain: str

    def __new__(cls, target: str, label: str, plain: str | None = None) -> Link:
        link = super().__new__(cls, target)
        link.label = label
        link.plain = target if plain is None else plain
        return link


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would read as a formula gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _report(out_dir: Path, dossier: dict[str, Any]) -> DossierReport | None:
    return load_report(out_dir / dossier.get("report", f"{dossier.get('dossier')}/report.json"))


def _rules_text(dossier: dict[str, Any]) -> str:
    severities = dossier.get("rule_severities") or {}
    rules = dossier.get("rules") or []
    return ", ".join(
        f"{rule} ({severity_label(severities[rule]).lower()})" if rule in severities else rule
        for rule in sorted(rules, key=lambda r: (SEVERITY_RANK.get(severities.get(r), 9), r))
    )


def dossier_row(dossier: dict[str, Any], report: DossierReport | None, sectors: dict[str, str]) -> list[Any]:
    """The summary's row of a dossier, completed from its report (None: unreadable)."""
    counts = dossier.get("counts") or (report.counts.model_dump() if report else {})
    porteur = (report.porteur if report else None) or Owner()
    letter = dossier.get("letter_pdf") or dossier.get("letter")
    instruction = dossier.get("instruction") or (
        report.instruction.model_dump() if report and report.instruction else {}
    )
    deposited = dossier.get("date_depot") or (report.date_depot if report else None)
    return [
        Link(dossier.get("report_html") or "", str(dossier.get("dossier")), str(dossier.get("dossier")))
        if dossier.get("report_html")
        else dossier.get("dossier"),
        dossier.get("porteur") or porteur.raison_sociale,
        moment(deposited) if deposited else None,  # a date-time in the xlsx, « 23/05/2022 à 15:53 » in the csv
        verdict_label(dossier.get("verdict")),
        dossier.get("essms_count"),
        dossier.get("amount_requested"),
        dossier.get("amount_eligible"),
        ", ".join(dossier.get("departments") or []),
        _rules_text(dossier),
        Link(letter, "courrier (PDF)" if letter.endswith(".pdf") else "courrier (Word)") if letter else None,
        dossier.get("finess_ej") or porteur.finess_ej,
        report.verdict_reason if report else None,
        report.essms_listed if report else None,
        ", ".join(sectors.get(s, s) for s in dossier.get("sectors") or []),
        counts.get("bloquant", 0),
        counts.get("a_corriger", 0),
        counts.get("alerte", 0),
        dossier.get("waived") or counts.get("leves", 0),
        instruction.get("status_label"),
        instruction.get("decision_label"),
        instruction.get("decision_motif"),
        None,
        None,
    ]


def finding_rows(dossier: dict[str, Any], report: DossierReport | None) -> Iterator[list[Any]]:
    verdict = verdict_label(dossier.get("verdict"))
    for f in report.findings if report else []:
        location = f.location or LocationEntry()
        waiver = f.waiver
        yield [
            dossier.get("dossier"),
            verdict,
            f.rule,
            f.title,
            severity_label(f.severity),
            f.status,
            (f"{date_short(waiver.date)} : {waiver.motif}" if waiver else None),
            f.message,
            f.found,
            f.expected,
            location.describe() if f.location else None,
            f.location.file if f.location else None,
            location.sheet,
            location.cell,
            location.page,
            location.detail,
            f.action or action_for(f.rule, f.severity.value),
        ]


def write_summary_xlsx(summary: dict[str, Any], out_dir: Path, dossier_rows: list[list[Any]] | None = None) -> Path:
    """``dossier_rows``, when given, receives each dossier's row (for the csv, in the same pass)."""
    sectors = summary.get("sector_labels") or {}
    path = out_dir / "summary.xlsx"
    with atomic_path(path) as tmp_path:
        # rows are flushed as written: a large call stays small in memory
        workbook, formats = new_workbook(
            str(tmp_path), f"Synthèse — {summary.get('call_title', '')}", constant_memory=True
        )
        bold, euro, wrap, link = formats.header, formats.euro, formats.wrap, formats.link
        call_sheet = workbook.add_worksheet("Appel")
        dossiers_sheet = workbook.add_worksheet("Dossiers")
        findings_sheet = workbook.add_worksheet("Constats")

        totals = summary.get("totals") or {}
        by_verdict = totals.get("by_verdict") or {}
        envelope = (totals.get("envelope") or {}).get("envelope")
        facts = [
            ("Appel", summary.get("call_title")),
            ("Référence", summary.get("call")),
            ("Configuration", summary.get("call_id")),
            ("Analyse du", moment(summary.get("generated_at"))),
            ("Dossiers", totals.get("dossiers")),
            *[(VERDICT_LABELS[v], by_verdict.get(v, 0)) for v in VERDICT_LABELS],
            ("Montant demandé par les dossiers recevables (€)", totals.get("amount_requested_recevable")),
            ("Enveloppe de l'appel (€)", envelope),
        ]
        call_sheet.set_column(0, 0, 48)
        call_sheet.set_column(1, 1, 60)
        for r, (label, value) in enumerate(facts):
            call_sheet.write_string(r, 0, label, bold)
            write_cell(
                call_sheet, r, 1, value, formats.date if isinstance(value, dt.date) else euro if "€" in label else None
            )

        for c, ((title, _), width) in enumerate(zip(DOSSIER_COLUMNS, DOSSIER_WIDTHS, strict=True)):
            dossiers_sheet.write_string(0, c, title, bold)
            dossiers_sheet.set_column(c, c, width)
        dossiers_sheet.freeze_panes(1, 1)
        for c, (title, width) in enumerate(zip(FINDING_COLUMNS, FINDING_WIDTHS, strict=True)):
            findings_sheet.write_string(0, c, title, bold)
            findings_sheet.set_column(c, c, width)
        findings_sheet.freeze_panes(1, 1)

        f_row = 1
        dossiers = summary.get("dossiers") or []
        for d_row, dossier in enumerate(dossiers, start=1):
            report = _report(out_dir, dossier)  # one report in memory at a time
            row = dossier_row(dossier, report, sectors)
            if dossier_rows is not None:
                dossier_rows.append(row)
            for c, value in enumerate(row):
                if isinstance(value, Link):
                    _write_link(dossiers_sheet, d_row, c, value, link)
                else:
                    kind = DOSSIER_COLUMNS[c][1]
                    fmt = euro if kind == "euro" else formats.date if kind == "moment" else None
                    write_cell(dossiers_sheet, d_row, c, value, fmt)
            for values in finding_rows(dossier, report):
                for c, value in enumerate(values):
                    write_cell(findings_sheet, f_row, c, value, wrap if c == 7 else None)
                f_row += 1
        dossiers_sheet.autofilter(0, 0, max(1, len(dossiers)), len(DOSSIER_COLUMNS) - 1)
        findings_sheet.autofilter(0, 0, max(1, f_row - 1), len(FINDING_COLUMNS) - 1)
        workbook.close()
    return path


def _write_link(sheet: Any, row: int, col: int, link: Link, fmt: Any) -> None:
    """A relative link to a file of the output folder (it follows the folder when copied); its
    target is percent-encoded (a dossier's name is only ever a path, never a scheme)."""
    target = quote(str(link), safe="/")
    if not target or target.startswith("/") or ".." in target.split("/"):
        sheet.write_string(row, col, link.label, fmt)
        return
    sheet.write_url(row, col, f"external:{target}", fmt, string=link.label[:32_000])


def _csv_value(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, Link):
        return str(neutralise(value.plain))
    if kind == "euro" and isinstance(value, (int, float)):
        return f"{value:.2f}".replace(".", ",")
    if kind == "moment" and isinstance(value, dt.date):
        return datetime_short(value)
    if kind == "int" and isinstance(value, (int, float)):
        return str(int(value))
    return str(neutralise(str(value)))


def write_summary_csv(summary: dict[str, Any], out_dir: Path, dossier_rows: list[list[Any]] | None = None) -> Path:
    """One row per dossier; ``;`` separated, UTF-8 with BOM, decimal comma. The rows are
    ``dossier_rows`` when given, else read from the reports."""
    sectors = summary.get("sector_labels") or {}
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([title for title, _ in DOSSIER_COLUMNS])
    if dossier_rows is None:
        dossier_rows = [dossier_row(d, _report(out_dir, d), sectors) for d in summary.get("dossiers") or []]
    for values in dossier_rows:
        writer.writerow([_csv_value(v, kind) for v, (_, kind) in zip(values, DOSSIER_COLUMNS, strict=True)])
    path = out_dir / "summary.csv"
    atomic_write_bytes(path, buffer.getvalue().encode("utf-8-sig"))
    return path


def write_exports(summary: dict[str, Any], out_dir: Path) -> None:
    """``summary.xlsx`` and ``summary.csv`` in one pass over the reports."""
    rows: list[list[Any]] = []
    write_summary_xlsx(summary, out_dir, rows)
    write_summary_csv(summary, out_dir, rows)
