"""The letters to the owner (courrier.docx, courrier.pdf): a request for documents for a
dossier à compléter, a notice of irrecevabilité for a dossier non recevable; A4, French
administrative layout, one sentence per point in the owner's words, the deadline counted from
the sending date."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import yaml
from docx import Document

from conftest import report_of, typed
from core.config import CALLS_DIR, load_call
from core.french import date_long
from core.models import Finding, Location, Severity
from core.report import FindingEntry
from reports import dossier, letter
from validators.engine import sort_findings
from validators.registry import action_for

A4_EMU = (7560310, 10692130)  # 21 × 29,7 cm in EMU (360 000 per cm), as python-docx rounds them
TODAY = dt.date(2022, 10, 3)


def _findings() -> list[Finding]:
    return sort_findings(
        [
            Finding(
                "BUD-03",
                Severity.A_CORRIGER,
                "Le budget demande 8 000 € de forfait MOA pour EHPAD Les Tilleuls.",
                "7 000 €",
                "8 000 €",
                Location("Budget.xlsx", sheet="Budget", cell="D12"),
                "Demande au-delà du forfait",
            ),
            Finding(
                "BUD-07",
                Severity.A_CORRIGER,
                "Le formulaire en ligne demande 638 800 € alors que le budget détaillé "
                "totalise 628 800 € (écart 10 000 €). Mettre le formulaire et le budget en cohérence.",
                "628 800 €",
                "638 800 €",
                Location("dossier.json", field="montant_demande"),
                "Montant différent",
            ),
            Finding(
                "PIE-02",
                Severity.A_CORRIGER,
                "Le fichier annexe\x0b.pdf n'a pas pu être lu.",
                "un fichier lisible",
                "fichier endommagé",
                Location("annexe\x0b.pdf"),
                "Fichier illisible",
            ),
            Finding(
                "PRO-04",
                Severity.ALERTE,
                "La stratégie ne cite pas les services socles.",
                "MSSanté…",
                "aucun",
                Location("Projet.docx", paragraph=12),
                "Stratégie sans interopérabilité",
            ),
        ]
    )


def write_dossier_reports(report, folder) -> None:
    dossier.write_dossier_reports(typed(report), folder)


def letter_content(report, **kwargs):
    return letter.letter_content(typed(report), **kwargs)


def _report(config, numero="2022-ARA-0700", findings=None):
    """A report as report.json holds it, with the owner and deposit of a real form."""
    findings = findings or _findings()
    report = report_of(numero, config, findings).to_json()
    report["porteur"] = {
        "raison_sociale": "Association Les Tilleuls",
        "finess_ej": "010000016",
        "contact": {"nom": "Claire Martin", "email": "claire.martin@tilleuls.fr", "telephone": None},
        "adresse": ["12 rue des Lilas", "01000 Bourg-en-Bresse"],
    }
    report["date_depot"] = "2022-09-11T13:12:27+02:00"
    report["deposit"] = {"moment": report["date_depot"], "precision": "minute", "form": "iso"}
    report["generated_at"] = "2022-09-20T09:30:00+02:00"
    for finding in report["findings"]:
        finding["action"] = action_for(finding["rule"])
    return report


@pytest.fixture(scope="module")
def config():
    return load_call("ars-ara-2022-regional")


def _docx_text(path) -> tuple[Document, str]:
    document = Document(str(path))
    return document, "\n".join(p.text for p in document.paragraphs)


def test_request_is_a4_addressed_and_lists_each_point_once(tmp_path, config):
    report = _report(config)
    report["letter_sending_date"] = TODAY.isoformat()
    write_dossier_reports(report, tmp_path / "d")
    document, text = _docx_text(tmp_path / "d" / "courrier.docx")
    section = document.sections[0]
    assert (section.page_width, section.page_height) == A4_EMU
    reply_days = config.letters.reply_days.value
    deadline = TODAY + dt.timedelta(days=reply_days)
    # the deadline counts from the sending date, stated once
    assert text.count(date_long(deadline)) == 1
    assert f"au plus tard le {date_long(deadline)}, soit {reply_days} jours après la date du présent courrier" in text
    assert f"Le {date_long(TODAY)}" in text
    # layout: sender, followed by, our reference, recipient with contact and address, subject, references
    for line in (
        config.letters.sender.value,
        "Affaire suivie par : ",
        "Nos réf. : AAP-2022-ARA-REG3 — dossier n° 2022-ARA-0700",
        "Association Les Tilleuls",
        "À l'attention de Claire Martin",
        "12 rue des Lilas",
        "01000 Bourg-en-Bresse",
        "Objet : ",
        "demande de pièces complémentaires",
        "Réf. : Dossier n° 2022-ARA-0700 déposé le 11 septembre 2022",
    ):
        assert line in text, line
    items = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    to_correct = [f for f in report["findings"] if f["severity"] == "a_corriger"]
    assert len(items) == len(to_correct) == 3
    for finding in to_correct:
        action = action_for(finding["rule"]).rstrip(".")
        assert sum(item.startswith(action) for item in items) == 1, finding["rule"]
    bud07 = next(i for i in items if i.startswith(action_for("BUD-07").rstrip(".")))
    assert "Mettre le formulaire et le budget en cohérence" not in bud07  # the rule's own instruction is not repeated
    assert "champ « Montant total demandé »" in bud07 and "montant_demande" not in text  # never an internal name
    assert "cellule D12" in text
    assert "services socles" not in text  # an alerte is not asked of the owner
    assert "PROJET" not in text and not document.sections[0].header.paragraphs[0].text  # sent as it is
    assert all(item.count(". ") == 0 for item in items), "one sentence per point"


def test_the_pdf_holds_the_same_letter_on_a4(tmp_path, config):
    report = _report(config)
    write_dossier_reports(report, tmp_path / "d")
    data = (tmp_path / "d" / "courrier.pdf").read_bytes()
    assert data.startswith(b"%PDF")
    import pypdfium2

    pdf = pypdfium2.PdfDocument(io.BytesIO(data))
    width, height = pdf[0].get_size()
    assert round(width / 72 * 25.4) == 210 and round(height / 72 * 25.4) == 297
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "Association Les Tilleuls" in " ".join(text.split())
    assert "8 000 €" in text.replace("\u202f", " ").replace("\xa0", " ")


def test_the_pdf_prints_every_character_of_the_letter(config):
    """The letter's font is reduced to the characters of French letters; a name written with
    others (Greek, Cyrillic) is printed with the whole font, never as empty boxes."""
    import pypdfium2

    from reports.letter_pdf import letter_pdf

    content = letter_content(_report(config), today=TODAY)
    text = {}
    for name in ("Association Les Tilleuls", "Association Ωmega Лотос"):
        content["recipient_lines"] = [name, *content["recipient_lines"][1:]]
        pdf = pypdfium2.PdfDocument(io.BytesIO(letter_pdf(content)))
        text[name] = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert all(name in " ".join(printed.split()) for name, printed in text.items())


def test_sending_date_moves_the_deadline(config):
    report = _report(config)
    first = letter_content({**report, "letter_sending_date": "2022-10-03"})
    later = letter_content({**report, "letter_sending_date": "2022-10-10"})
    assert dt.date.fromisoformat(later["deadline"]) - dt.date.fromisoformat(first["deadline"]) == dt.timedelta(days=7)
    # without a sending date: the day the letter is written, never the analysis date
    assert letter_content(report, today=dt.date(2022, 11, 2))["date"] == "2022-11-02"


def test_reply_deadline_and_sender_come_from_the_call_configuration(tmp_path):
    data = yaml.safe_load((CALLS_DIR / "ars-ara-2022-regional.yaml").read_text(encoding="utf-8"))
    data["letters"]["reply_days"] = {"value": 30, "source": "test : délai de 30 jours"}
    data["letters"]["sender"] = {"value": "ARS Auvergne-Rhône-Alpes — Direction de l'autonomie", "source": "test [P]"}
    data["letters"]["followed_by"] = {"value": "Pôle ESMS numérique, esms-numerique@exemple.fr", "source": "test"}
    data["letters"]["place"] = {"value": "Lyon", "source": "test"}
    path = tmp_path / "call.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    content = letter_content(_report(load_call(path)), today=TODAY)
    assert content["reply_days"] == 30 and content["deadline"] == "2022-11-02"
    assert content["sender"] == "ARS Auvergne-Rhône-Alpes — Direction de l'autonomie"
    assert content["followed_by"] == "Pôle ESMS numérique, esms-numerique@exemple.fr"
    assert content["place_date"] == f"Lyon, le {date_long(TODAY)}"


def test_every_shipped_call_sources_its_letter_settings():
    for path in sorted(CALLS_DIR.glob("*.yaml")):
        config = load_call(path)
        assert config.letters is not None, path.name
        assert config.letters.reply_days.value >= 1 and config.letters.reply_days.source
        assert config.letters.sender.value and config.letters.sender.source


def test_a_non_recevable_dossier_gets_a_notice_with_each_reason_and_its_basis(tmp_path, config):
    findings = sort_findings(
        [
            Finding(
                "GRP-03",
                Severity.BLOQUANT,
                "La grappe compte 12 ESSMS éligibles distincts (16 listés, dont 4 exclus du décompte : voir "
                "GRP-06) ; l'appel exige au moins 15 ESSMS. Le dossier ne peut pas être financé en l'état.",
                "au moins 15 ESSMS",
                "12 ESSMS",
                Location("Structures.xlsx", sheet="Liste", cell="A1"),
                "Grappe trop petite",
            ),
            *_findings(),
        ]
    )
    report = _report(config, findings=findings)
    assert report["verdict"] == "non_recevable"
    write_dossier_reports(report, tmp_path / "d")
    document, text = _docx_text(tmp_path / "d" / "courrier.docx")
    assert "notification d'irrecevabilité" in text and "irrecevable" in text
    items = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert len(items) == 1  # the blocking finding only
    assert "12 ESSMS" in items[0] and "Base réglementaire : cahier des charges de l'appel à projets" in items[0]
    assert "dont 4 exclus du décompte)" in items[0] and "GRP-06" not in text and "Fondement" not in text
    assert "au moins 15 ESSMS" in items[0] and not re.search(r"\bESMS\b(?! numérique)", text), "ESSMS, never ESMS"
    assert "seed" not in text.lower() and "sources.md" not in text
    assert "tribunal administratif" in text and "deux mois" in text
    assert (tmp_path / "d" / "courrier.pdf").is_file()


def test_no_letter_for_a_recevable_dossier_or_nothing_to_write(tmp_path, config):
    report = _report(config)
    assert letter_content({**report, "verdict": "recevable"}) is None
    assert letter_content({**report, "verdict": "non_recevable"}) is None  # no blocking finding to give as reason
    only_alerts = {**report, "findings": [f for f in report["findings"] if f["severity"] == "alerte"]}
    assert letter_content(only_alerts) is None
    write_dossier_reports(report, tmp_path / "d")
    assert (tmp_path / "d" / "courrier.pdf").is_file()
    write_dossier_reports({**report, "verdict": "recevable"}, tmp_path / "d")
    assert not (tmp_path / "d" / "courrier.pdf").exists() and not (tmp_path / "d" / "courrier.docx").exists()


def test_an_internal_error_is_not_asked_of_the_owner(tmp_path, config):
    from judging.analysis import error_report

    report = error_report("2022-ARA-0701", tmp_path / "2022-ARA-0701", config)
    assert report.verdict == "a_completer"
    assert letter_content(report) is None
    write_dossier_reports(report, tmp_path / "out")
    assert not (tmp_path / "out" / "courrier.docx").exists()


def test_request_sentence_drops_the_rules_own_instruction():
    finding = {
        "rule": "PLA-03",
        "message": "La phase « Bilan » se termine le 30/06/2026, après la fin du programme "
        "au 31/12/2025. Ramener le planning dans cette fenêtre.",
        "location": {"file": "Planning.xlsx", "sheet": "Planning", "cell": "C12"},
    }
    text = letter.request_sentence(FindingEntry.model_validate({"severity": "a_corriger", **finding}))
    assert text == (
        f"{action_for('PLA-03').rstrip('.')} : la phase « Bilan » se termine le 30/06/2026, après la fin "
        "du programme au 31/12/2025 (Planning.xlsx, feuille Planning, cellule C12)."
    )


def test_a_table_of_one_cell_is_found_by_its_page_alone():
    from core.models import CellValue, Grid

    box = Grid("page 1, tableau 1", [[CellValue("12 ESSMS", Location("projet.pdf", page=1, table=1, row=1, column=1))]])
    assert box.rows[0][0].location.describe() == "projet.pdf, page 1"
    table = Grid(
        "page 1, tableau 2",
        [[CellValue(x, Location("projet.pdf", page=1, table=2, row=1, column=c)) for c, x in ((1, "a"), (2, "b"))]],
    )
    assert table.rows[0][1].location.describe() == "projet.pdf, page 1, tableau 2, ligne 1, colonne 2"
