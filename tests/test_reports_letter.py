"""The draft letter to the owner of a dossier à compléter (courrier.docx)."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from docx import Document

from core.config import CALLS_DIR, load_call
from core.models import Finding, Location, Severity
from reports.actions import action_for
from reports.dossier import build_report, write_dossier_reports
from reports.letter import date_long, letter_content
from validators.engine import decide, sort_findings


def _findings() -> list[Finding]:
    return sort_findings([
        Finding("BUD-03", Severity.A_CORRIGER, "Le budget demande 8 000 € de forfait MOA pour EHPAD Les Tilleuls.",
                "7 000 €", "8 000 €", Location("Budget.xlsx", sheet="Budget", cell="D12"), "Demande au-delà du forfait"),
        Finding("PLA-02", Severity.A_CORRIGER, "Le planning ne comporte pas de phase « formation ».", "une phase",
                "absente", Location("Planning.xlsx", sheet="Planning", cell="A4"), "Phase clé absente"),
        Finding("PIE-02", Severity.A_CORRIGER, "Le fichier annexe\x0b.pdf n'a pas pu être lu.", "un fichier lisible",
                "fichier endommagé", Location("annexe\x0b.pdf"), "Fichier illisible"),
        Finding("PRO-04", Severity.ALERTE, "La stratégie ne cite pas les services socles.", "MSSanté…", "aucun",
                Location("Projet.docx", paragraph=12), "Stratégie sans interopérabilité"),
    ])


def _report(config, numero="2022-ARA-0700"):
    findings = _findings()
    report = build_report(numero=numero, config=config, verdict=decide(findings), findings=findings,
                          records=[], data=None, figures=None)
    report["porteur"] = {"raison_sociale": "Association Les Tilleuls", "finess_ej": "010000016"}
    report["date_depot"] = "2022-09-11T13:12:27+02:00"
    report["generated_at"] = "2022-10-03T09:30:00+02:00"
    return report


@pytest.fixture(scope="module")
def config():
    return load_call("ars-ara-2022-regional")


def test_letter_lists_every_finding_to_correct_with_reference_and_deadline(tmp_path, config):
    report = _report(config)
    write_dossier_reports(report, tmp_path / "d")
    document = Document(str(tmp_path / "d" / "courrier.docx"))
    text = "\n".join(p.text for p in document.paragraphs)
    reply_days = config.letters.reply_days.value
    deadline = dt.date(2022, 10, 3) + dt.timedelta(days=reply_days)
    assert f"au plus tard le {date_long(deadline)}" in text
    assert f"Date limite de réponse : {date_long(deadline)} ({reply_days} jours)." in text
    assert config.reference in text and "2022-ARA-0700" in text and config.title in text
    assert config.letters.sender.value in text
    assert "Association Les Tilleuls" in text and "demande de pièces complémentaires" in text
    items = [p for p in document.paragraphs if p.style.name == "List Number"]
    to_correct = [f for f in report["findings"] if f["severity"] == "a_corriger"]
    assert len(items) == len(to_correct) == 3
    for finding in to_correct:
        assert any(action_for(finding["rule"]) in p.text and finding["message"].replace("\x0b", "") in p.text
                   for p in items), finding["rule"]
    assert "cellule D12" in text
    assert "services socles" not in text  # an alerte is not asked of the owner
    assert "PROJET" in document.sections[0].header.paragraphs[0].text


def test_reply_deadline_and_sender_come_from_the_call_configuration(tmp_path):
    data = yaml.safe_load((CALLS_DIR / "ars-ara-2022-regional.yaml").read_text(encoding="utf-8"))
    data["letters"]["reply_days"] = {"value": 30, "source": "test : délai de 30 jours"}
    data["letters"]["sender"] = {"value": "ARS Auvergne-Rhône-Alpes — Direction de l'autonomie", "source": "test [P]"}
    path = tmp_path / "call.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    content = letter_content(_report(load_call(path)))
    assert content["reply_days"] == 30 and content["deadline"] == "2022-11-02"
    assert content["sender"] == "ARS Auvergne-Rhône-Alpes — Direction de l'autonomie"


def test_every_shipped_call_sources_its_letter_settings():
    for path in sorted(CALLS_DIR.glob("*.yaml")):
        config = load_call(path)
        assert config.letters is not None, path.name
        assert config.letters.reply_days.value >= 1 and config.letters.reply_days.source
        assert config.letters.sender.value and config.letters.sender.source


def test_no_letter_unless_a_completer(config):
    report = _report(config)
    for verdict in ("recevable", "non_recevable"):
        assert letter_content({**report, "verdict": verdict}) is None
    only_alerts = {**report, "findings": [f for f in report["findings"] if f["severity"] == "alerte"]}
    assert letter_content(only_alerts) is None


def test_an_internal_error_is_not_asked_of_the_owner(tmp_path, config):
    from judging.analysis import error_report

    report = error_report("2022-ARA-0701", tmp_path / "2022-ARA-0701", config)
    assert report["verdict"] == "a_completer"
    assert letter_content(report) is None
    write_dossier_reports(report, tmp_path / "out")
    assert not (tmp_path / "out" / "courrier.docx").exists()
