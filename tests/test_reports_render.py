"""report.html and summary.html from report dicts: the optional fields of the history
(evolution, waiver, status, run, changes) render when present and are not required; every
string is escaped; findings are grouped by document, most severe first."""

from __future__ import annotations

import html
import re

import pytest
from markupsafe import escape

from conftest import report_of
from core.config import load_call
from core.models import Finding, Location, Severity
from core.report import DossierReport
from judging.report import snapshot
from reports.dossier import write_dossier_reports
from reports.summary import build_summary, write_summary
from validators.engine import sort_findings

XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def config():
    return load_call("ars-ara-2022-regional")


def _report(config, findings: list[Finding], numero: str = "2022-ARA-0500") -> dict:
    """The report as report.json holds it (the tests change it as a reader of the file would)."""
    findings = sort_findings(findings)
    return report_of(numero, config, findings).to_json()


def _write(report: dict, folder) -> None:
    write_dossier_reports(DossierReport.load(report), folder)


def _findings() -> list[Finding]:
    return [
        Finding(
            "PLA-04",
            Severity.ALERTE,
            "Les cibles d'usage précèdent le déploiement.",
            "après",
            "avant",
            Location("Planning.xlsx", sheet="Planning", cell="B7"),
            "Phases dans un ordre inhabituel",
        ),
        Finding(
            "BUD-03",
            Severity.A_CORRIGER,
            "Le budget demande 8 000 € pour EHPAD Les Tilleuls.",
            "7 000 €",
            "8 000 €",
            Location("Budget.xlsx", sheet="Budget", cell="D12"),
            "Demande au-delà du forfait de l'appel",
        ),
        Finding(
            "GRP-01",
            Severity.A_CORRIGER,
            f"FINESS invalide pour {XSS}.",
            "9 caractères",
            "12345",
            Location("Structures.xlsx", sheet="Liste", cell="A5"),
            "Numéro FINESS invalide",
        ),
        Finding(
            "BUD-02",
            Severity.A_CORRIGER,
            "Total faux.",
            "104 300 €",
            "107 800 €",
            Location("Budget.xlsx", sheet="Budget", cell="C18"),
            "Total différent de la somme des lignes",
        ),
    ]


def _has(page: str, text: str) -> bool:
    """``text`` is in the page once entities are decoded (Jinja escapes quotes in values)."""
    return text in html.unescape(page)


def _html(tmp_path, report) -> str:
    _write(report, tmp_path / report["dossier"])
    return (tmp_path / report["dossier"] / "report.html").read_text(encoding="utf-8")


def test_findings_are_grouped_by_document_most_severe_first(tmp_path, config):
    report = _report(config, _findings())
    page = _html(tmp_path, report)
    groups = re.findall(r'<h3 id="groupe-\d+">([^<]+?) <span', page)
    # groups ordered by their most severe finding (ties: catalogue order), the alerte last
    assert groups == ["Structures.xlsx", "Budget.xlsx", "Planning.xlsx"]
    budget = page[page.index("Budget.xlsx <span") : page.index("Planning.xlsx <span")]
    assert "BUD-02" in budget and "BUD-03" in budget and "GRP-01" not in budget
    assert "À faire par le porteur" in page and "Ramener la demande" in page
    assert str(escape(XSS)) in page and XSS not in page


def test_history_fields_are_optional_and_rendered_when_present(tmp_path, config):
    plain = _html(tmp_path, _report(config, _findings(), "2022-ARA-0501"))
    assert "Évolution depuis" not in plain and "Levé par l'instructeur" not in plain

    report = _report(config, _findings(), "2022-ARA-0502")
    report["findings"][0]["status"] = "nouveau"
    report["findings"][1]["status"] = "inchangé"
    report["findings"][2]["waiver"] = {
        "motif": f"Pièce reçue par courriel {XSS}",
        "author": "M. Martin",
        "date": "2025-03-02T10:15:00+01:00",
    }
    report["evolution"] = {
        "previous_date": "2025-02-20T09:00:00+01:00",
        "previous_verdict": "non_recevable",
        "resolved": [
            {
                "rule": "GRP-03",
                "severity": "bloquant",
                "message": f"Grappe trop petite {XSS}",
                "location": {"file": "Structures.xlsx", "sheet": "Liste", "cell": "A4", "page": None, "detail": None},
            }
        ],
        "new_count": 1,
        "unchanged_count": 2,
    }
    page = _html(tmp_path, report)
    assert _has(page, "Évolution depuis l'analyse du 20/02/2025 : 1 constat résolu, 1 nouveau, 2 inchangés.")
    assert "Grappe trop petite" in page and "Verdict précédent : Non recevable" in page
    waived = page[page.index('id="leves"') :]
    assert _has(waived, "Levé par l'instructeur le 02/03/2025 : Pièce reçue par courriel")
    assert waived.index(report["findings"][2]["rule"]) > 0
    constats = page[page.index('id="constats"') : page.index('id="leves"')]
    assert not _has(constats, report["findings"][2]["message"])  # a waived finding is shown apart
    assert f"Constats ({len(report['findings']) - 1})" in page
    assert '<span class="status nouveau">Nouveau</span>' in page
    assert '<span class="status inchange">Inchangé</span>' in page
    assert XSS not in page


def test_letter_leaves_out_waived_findings(tmp_path, config):
    report = _report(config, _findings(), "2022-ARA-0503")
    report["findings"][0]["waiver"] = {"motif": "vu", "author": "A", "date": "2025-03-02"}
    _html(tmp_path, report)
    from docx import Document

    text = "\n".join(p.text for p in Document(str(tmp_path / "2022-ARA-0503" / "courrier.docx")).paragraphs)
    waived = report["findings"][0]["message"]
    assert waived not in text
    from reports.wording import owner_fact

    assert owner_fact(waived) not in text
    for finding in report["findings"][1:]:
        if finding["severity"] == "a_corriger":
            assert owner_fact(finding["message"]) in " ".join(text.split()) or owner_fact(finding["message"])[
                1:
            ] in " ".join(text.split())


def test_a_report_without_findings_or_data_renders(tmp_path, config):
    page = _html(tmp_path, _report(config, [], "2022-ARA-0504"))
    assert "Aucun constat" in page and "Recevable" in page
    assert not (tmp_path / "2022-ARA-0504" / "courrier.docx").exists()


def test_a_report_redecided_by_the_call_rules_keeps_its_evidence_and_rewrites_its_letter(tmp_path, config):
    from core.models import Finding, Severity
    from judging.finalize import finalize_report

    report = _report(config, _findings(), "2022-ARA-0505")
    report["findings"][0]["evidence"] = {"kind": "text", "file": "x.docx", "lines": ["un passage"], "highlight": 0}
    _write(report, tmp_path / "2022-ARA-0505")
    assert (tmp_path / "2022-ARA-0505" / "courrier.docx").is_file()
    # the call rules add a bloquant finding: the verdict gets worse, the evidence stays
    lot = Finding("LOT-01", Severity.BLOQUANT, "ESSMS déjà présent dans le dossier 2022-ARA-0001.", title="Doublon")
    typed = finalize_report(
        DossierReport.load(report), lot=[lot], waivers=[], latest=None, submission_sha256="x"
    ).report
    write_dossier_reports(typed, tmp_path / "2022-ARA-0505")
    final = typed.to_json()
    assert final["verdict"] == "non_recevable"
    kept = next(f for f in final["findings"] if f.get("evidence"))
    assert kept["evidence"]["lines"] == ["un passage"]
    assert all(f["action"] for f in final["findings"])
    from docx import Document

    # the request for documents became a notice of irrecevabilité giving the new reason
    text = "\n".join(p.text for p in Document(str(tmp_path / "2022-ARA-0505" / "courrier.docx")).paragraphs)
    assert "notification d'irrecevabilité" in text and "ESSMS déjà présent dans le dossier 2022-ARA-0001" in text
    assert "demande de pièces complémentaires" not in text


def test_summary_renders_run_and_changes_when_present(tmp_path, config):
    outcomes = []
    for numero, findings in (("2022-ARA-0601", _findings()), ("2022-ARA-0602", [])):
        report = _report(config, findings, numero)
        report["departments"], report["sectors"] = ["01", "69"], ["personnes_agees"]
        report["porteur"] = {"raison_sociale": XSS, "finess_ej": "010000016"}
        _write(report, tmp_path / numero)
        outcomes.append(
            {
                "dossier": numero,
                "verdict": report["verdict"],
                "rules": sorted({f["rule"] for f in report["findings"]}),
                "report_dir": str(tmp_path / numero),
                "essms_count": 17,
                "amount_requested": 1000.0,
                "amount_eligible": 900.0,
                "porteur": XSS,
                "departments": ["01", "69"],
                "counts": report["counts"],
                "internal_error": False,
            }
        )
    summary = build_summary(snapshot(config), outcomes, tmp_path, 1.0)
    assert summary["dossiers"][0]["sectors"] == ["personnes_agees"]
    assert summary["totals"]["by_department"]["69"]["dossiers"] == 2
    assert summary["totals"]["by_sector"]["personnes_agees"]["a_completer"] == 1
    write_summary(summary, tmp_path)
    page = (tmp_path / "summary.html").read_text(encoding="utf-8")
    assert "Exécution" not in page and "Changements de verdict" not in page
    summary["run"] = {"dossiers_cached": 1, "dossiers_analysed": 1, "documents_extracted": 3}
    summary["changes"] = [{"dossier": "2022-ARA-0601", "before": "recevable", "after": "a_completer"}]
    write_summary(summary, tmp_path)
    page = (tmp_path / "summary.html").read_text(encoding="utf-8")
    assert _has(page, "Dossiers repris de l'analyse précédente (inchangés)") and "Documents lus" in page
    changes = page[page.index('id="changements"') : page.index('id="regles"')]
    assert "2022-ARA-0601" in changes and "Recevable" in changes and "À compléter" in changes
    assert "personnes âgées" in page and XSS not in page
    assert 'data-departments="01 69"' in page and 'data-sectors="personnes_agees"' in page
