"""What makes an output folder usable as it is by colleagues: file modes that honour the
umask, French dates in Europe/Paris, département figures that add up, exports with links and
the HTML's column order."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import stat

import openpyxl
import pytest

from conftest import forfait_finding, report_of, typed
from core.config import load_call
from core.french import date_long
from core.french import date_short as date_fr
from core.french import datetime_short as datetime_fr
from core.models import Finding, Location, Severity
from judging.finalize import outcome_of
from judging.report import snapshot
from reports.dossier import write_dossier_reports
from reports.files import atomic_path, atomic_write_bytes
from reports.summary import build_summary, write_summary


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


def test_written_files_honour_the_umask(tmp_path, umask_027):
    atomic_write_bytes(tmp_path / "a.html", b"x")
    with atomic_path(tmp_path / "b.xlsx") as tmp:
        tmp.write_bytes(b"y")
    for name in ("a.html", "b.xlsx"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o640, name


def test_dates_are_french_in_paris_time():
    assert datetime_fr("2026-11-29T07:01:41+00:00") == "29/11/2026 à 08:01"
    assert datetime_fr("2026-07-01T22:30:00Z") == "02/07/2026 à 00:30"  # summer time, next day in Paris
    assert date_fr("2022-09-30") == "30/09/2022" and datetime_fr("2022-09-30") == "30/09/2022"
    assert date_long("2025-03-01") == "1er mars 2025" and date_long("2025-04-15") == "15 avril 2025"
    assert date_fr(None) == "—" and datetime_fr("pas une date") == "pas une date"


def _essms(finess, department, sector, requested, eligible=True):
    return {
        "finess": finess,
        "name": f"ESSMS {finess}",
        "finess_ej": "010000016",
        "eligible": eligible,
        "department": department,
        "sector": sector,
        "category": "EHPAD (500)",
        "location": None,
        "amount_requested": requested,
        "amount_eligible": requested if eligible else 0.0,
    }


def _call_output(tmp_path, amounts=True):
    """Two dossiers over three départements, written as a run would (report, outcome, summary)."""
    config = load_call("ars-ara-2022-regional")
    out = tmp_path / "sortie"
    outcomes = []
    plans = {
        "2022-ARA-0001": (
            [],
            [("010000016", "01", "personnes_agees", 10000.0), ("690000001", "69", "personnes_agees", 9000.0)],
            25000.0,
        ),
        "2022-ARA-0002": (
            [
                Finding(
                    "LOT-01",
                    Severity.ALERTE,
                    "ESSMS aussi dans un autre dossier.",
                    None,
                    None,
                    Location("(dossier)"),
                    "Doublon",
                ),
                forfait_finding("D46"),
            ],
            [("010000024", "01", "domicile", 7000.0), ("070000001", "07", "personnes_handicapees", 8000.0)],
            15000.0,
        ),
    }
    for numero, (findings, essms, total) in plans.items():
        report = report_of(numero, config, findings).to_json()
        report["essms"] = [
            _essms(*e) if amounts else {**_essms(*e), "amount_requested": None, "amount_eligible": None} for e in essms
        ]
        report["departments"] = sorted({e[1] for e in essms})
        report["amount_requested"] = report["amount_eligible"] = total
        report["date_depot"] = "2022-09-20T18:09:14+02:00"
        report["deposit"] = {"moment": report["date_depot"], "precision": "minute", "form": "iso"}
        report["porteur"] = {"raison_sociale": f"Porteur {numero}", "finess_ej": "010000016"}
        write_dossier_reports(typed(report), out / numero)
        outcomes.append(outcome_of(typed(report), out / numero))
    summary = build_summary(snapshot(config), outcomes, out, 1.0)
    summary["generated_at"] = "2026-11-29T07:01:41+00:00"
    write_summary(summary, out)
    return out, summary


def test_department_amounts_add_up_to_the_call_total(tmp_path):
    out, summary = _call_output(tmp_path)
    by_department = summary["totals"]["by_department"]
    assert summary["totals"]["split"] == "par_essms"
    assert (
        sum(d["amount_requested"] for d in by_department.values()) == summary["totals"]["amount_requested"] == 40000.0
    )
    assert by_department["01"]["amount_requested"] == 17000.0 and by_department["01"]["essms"] == 2
    assert by_department["(non réparti)"]["amount_requested"] == 6000.0 + 0.0  # the project's common expenses
    assert sum(d["essms"] for d in by_department.values()) == 4
    page = (out / "summary.html").read_text(encoding="utf-8")
    assert "Montants répartis par ESSMS" in page


def test_without_per_essms_amounts_the_summary_shows_counts_only_and_says_so(tmp_path):
    out, summary = _call_output(tmp_path, amounts=False)
    assert summary["totals"]["split"] == "comptes"
    page = (out / "summary.html").read_text(encoding="utf-8")
    assert "Décomptes seulement" in page
    section = page[page.index('id="departements"') : page.index('id="secteurs"')]
    assert "Demandé" not in section and "(non réparti)" not in section


def test_summary_puts_the_dossiers_first_and_the_internals_away(tmp_path):
    out, summary = _call_output(tmp_path)
    summary["run"] = {"dossiers": 2, "reports_written": 2, "stage_seconds": {"intake": 0.031, "analysis": 4.2}}
    write_summary(summary, out)
    page = (out / "summary.html").read_text(encoding="utf-8")
    main = page[page.index("<main>") :]
    assert main.index('id="dossiers"') < main.index('id="totaux"') < main.index('id="departements"')
    tech = main[main.index('id="details-techniques"') :]
    assert "<details>" in tech and "Rapports écrits" in tech and "réception des dossiers 0,0\u00a0s" in tech
    assert "reports_written" not in page and "stage_seconds" not in page and "{&#39;intake" not in page
    assert "20/09/2022 à 18:09" in page and ">20/09/2022<" in page  # deposit date column (time in its title)
    assert "BUD-03 · à corriger" in page and "LOT-01 · alerte" in page  # severity shown per rule
    assert 'href="regles.html#bud-03"' in page and (out / "regles.html").is_file()


def test_xlsx_links_dates_and_column_order(tmp_path):
    out, summary = _call_output(tmp_path)
    workbook = openpyxl.load_workbook(out / "summary.xlsx")
    sheet = workbook["Dossiers"]
    headers = [c.value for c in sheet[1]]
    page = (out / "summary.html").read_text(encoding="utf-8")
    html = [
        re.sub(r"<[^>]+>", "", h).strip()
        for h in re.findall(r"<th scope=\"col\"[^>]*>(.*?)</th>", page[page.index('id="dossiers-table"') :])[:10]
    ]
    assert html == [
        "Dossier",
        "Porteur",
        "Déposé le",
        "Verdict",
        "ESSMS",
        "Demandé",
        "Éligible",
        "Départements",
        "Règles (gravité)",
        "Courrier",
    ]
    assert headers[:10] == [
        "Dossier",
        "Porteur",
        "Déposé le",
        "Verdict",
        "ESSMS éligibles",
        "Montant demandé (€)",
        "Montant éligible (€)",
        "Départements",
        "Règles (gravité)",
        "Courrier",
    ]
    assert headers[-2:] == ["Décision de l'instructeur", "Commentaire"]
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    second = rows["2022-ARA-0002"]
    assert second[0].hyperlink.target.replace("\\", "/") == "2022-ARA-0002/report.html"
    assert second[9].hyperlink.target.replace("\\", "/") == "2022-ARA-0002/courrier.pdf"
    # a date the spreadsheet sorts and filters, in Paris time, shown as a French date
    assert second[2].value.replace(second=0) == dt.datetime(2022, 9, 20, 18, 9)
    assert second[2].number_format.startswith("dd/mm/yyyy")
    assert second[-1].value is None and second[-2].value is None
    call = {r[0].value: r[1].value for r in workbook["Appel"].iter_rows()}
    assert call["Analyse du"].replace(second=0) == dt.datetime(2026, 11, 29, 8, 1)
    findings = [c.value for c in workbook["Constats"][1]]
    assert findings.index("Constaté") < findings.index("Attendu")


def test_report_links_are_relative(tmp_path):
    out, _ = _call_output(tmp_path)
    page = (out / "2022-ARA-0002" / "report.html").read_text(encoding="utf-8")
    hrefs = set(re.findall(r'href="([^"#][^"]*)"', page))
    assert hrefs and all(not h.startswith(("file:", "/", "http")) for h in hrefs), hrefs
    assert "../regles.html#bud-03" in page and "../summary.html" in page
    assert (
        json.loads((out / "summary.json").read_text(encoding="utf-8"))["dossiers"][1]["letter_pdf"]
        == "2022-ARA-0002/courrier.pdf"
    )
