"""The instruction's states and decisions (issue 27, items 2 and 3), on a history database of
their own: statuses of older databases mapped, the décideur's decision and its refusals
(amount never above the report's, lower only with a reason; a non recevable dossier never
accepted; no second decision without reopening), the correction request and the corrected
submission that answers it (linked, with what changed), the letters of record by kind with
their versions, their sending dates and the notification's legal wording."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import insert

from conftest import a_report, forfait_finding, report_of
from core.config import load_call
from core.records import Conflict
from core.report import Instruction
from instruction.corrections import CorrectionError, answer_corrections, open_request, request_correction
from instruction.decisions import DecisionError, decide, parse_amount, reopen
from instruction.records import instruction_for, letter_history, save_letter_version
from instruction.store import History, dossier_state
from instruction.timeline import dossier_timeline
from instruction.workflow import status_label
from reports.corrections import with_changes
from reports.letter import body_text, current_kind, letter_content, write_letter

CALL = "ars-ara-2022-regional"


@pytest.fixture
def history(tmp_path):
    db = History(f"sqlite:///{tmp_path / 'history.sqlite'}")
    yield db
    db.close()


def recevable(**fields):
    return a_report(dossier="D1", amount_requested=12000.0, amount_eligible=10000.0, **fields)


def instructed(report, history):
    """The report as the workspace writes it: with the dossier's instruction."""
    state = instruction_for(history, report.call_id, report.dossier)
    return with_changes(report.model_copy(update={"instruction": Instruction.model_validate(state) if state else None}))


def version(history, report) -> int:
    return history.state(report.call_id, report.dossier).version


def test_statuses_of_an_older_database_are_read_as_the_new_ones(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    db = History(url)
    with db.engine.begin() as conn:
        for dossier, old in (("A", "a_instruire"), ("B", "complements_demandes"), ("C", "instruit")):
            conn.execute(insert(dossier_state).values(call_id="appel", dossier=dossier, version=3, status=old))
    db.close()
    reopened = History(url)
    try:
        states = reopened.states("appel")
        assert {d: s.status for d, s in states.items()} == {
            "A": "en_instruction",
            "B": "en_attente_correction",
            "C": "en_instruction",
        }
        assert status_label("complements_demandes") == "En attente de correction"
        assert [status_label(s) for s in ("en_instruction", "accepte", "refuse", "classe_sans_suite")] == [
            "En instruction",
            "Accepté",
            "Refusé",
            "Classé sans suite",
        ]
    finally:
        reopened.close()


def test_the_decision_is_the_decideurs_within_the_reports_amount(history):
    report = recevable()
    kwargs = {"author": "paul", "role": "decideur"}
    with pytest.raises(DecisionError, match="Seul un compte « décideur »"):
        decide(
            history, report, outcome="accepte", amount="9000", author="marie", role="instructeur", expected_version=0
        )
    with pytest.raises(DecisionError, match="dépasse le montant éligible"):
        decide(history, report, outcome="accepte", amount="10 000,01", expected_version=0, **kwargs)
    with pytest.raises(DecisionError, match="indiquez-en le motif"):
        decide(history, report, outcome="accepte", amount="8 000", expected_version=0, **kwargs)
    with pytest.raises(DecisionError, match="Montant accordé invalide"):
        parse_amount("huit mille")
    with pytest.raises(DecisionError, match="Indiquez le motif"):
        decide(history, report, outcome="refuse", expected_version=0, **kwargs)
    assert version(history, report) == 0, "nothing recorded by a refusal"

    done = decide(
        history,
        report,
        outcome="accepte",
        amount="8 000,50 €",
        amount_reason="Le volet formation est déjà financé.",
        expected_version=0,
        **kwargs,
    )
    assert "8\u202f000,50\u00a0€" in done
    state = history.state("appel", "D1")
    assert state.status == "accepte" and state.version == 1
    with pytest.raises(DecisionError, match="déjà « Accepté » par paul"):
        decide(history, report, outcome="refuse", motif="x", expected_version=1, **kwargs)
    with pytest.raises(Conflict):
        reopen(history, report, motif="Erreur de montant", expected_version=0, **kwargs)
    with pytest.raises(DecisionError, match="Indiquez pourquoi"):
        reopen(history, report, motif=" ", expected_version=1, **kwargs)
    reopen(history, report, motif="Erreur de montant", expected_version=1, **kwargs)
    assert history.state("appel", "D1").status == "en_instruction"
    assert instructed(report, history).instruction.final_decision is None, "reopened: no decision in force"
    decide(history, report, outcome="accepte", amount="10000", amount_reason="ignored", expected_version=2, **kwargs)
    decision = instructed(report, history).instruction.final_decision
    assert (decision.amount, decision.amount_ceiling, decision.amount_reason) == (10000.0, 10000.0, None)

    titles = [e.title for e in dossier_timeline(history, "appel", "D1")]
    assert "Décision : Accepté, 8\u202f000,50\u00a0€ accordés" in titles
    assert "Dossier rouvert : de nouveau « En instruction »" in titles
    assert all(e.author == "paul" for e in dossier_timeline(history, "appel", "D1"))


def test_a_non_recevable_dossier_is_never_accepted(history):
    report = a_report(dossier="D2", verdict="non_recevable", amount_eligible=5000.0)
    with pytest.raises(DecisionError, match="« Non recevable » ne peut pas être accepté"):
        decide(history, report, outcome="accepte", amount="5000", author="paul", role="decideur", expected_version=0)
    decide(
        history,
        report,
        outcome="classe_sans_suite",
        motif="Dossier retiré par le porteur.",
        author="paul",
        role="decideur",
        expected_version=0,
    )
    assert history.state("appel", "D2").status == "classe_sans_suite"


def test_the_notifications_follow_the_decision_with_their_legal_wording(history, tmp_path):
    import pdfplumber
    from docx import Document

    report = recevable()
    decide(
        history,
        report,
        outcome="accepte",
        amount="7500",
        amount_reason="Deux ESSMS déjà équipés.",
        author="paul",
        role="decideur",
        expected_version=0,
    )
    accepted = instructed(report, history)
    assert current_kind(accepted) == "acceptation"
    content = letter_content(accepted)
    text = body_text(content)
    assert content["title"] == "Notification d'acceptation"
    assert "un financement de 7\u202f500\u00a0€ vous est accordé" in text and "Deux ESSMS déjà équipés." in text
    assert "Base réglementaire : cahier des charges de l'appel à projets" in text

    reopen(history, report, motif="Revu en comité", author="paul", role="decideur", expected_version=1)
    decide(
        history,
        report,
        outcome="refuse",
        motif="Le projet ne couvre pas le volet interopérabilité.",
        author="paul",
        role="decideur",
        expected_version=2,
    )
    refused = instructed(report, history)
    folder = tmp_path / "D1"
    folder.mkdir()
    written = write_letter(refused, folder)
    text = body_text(written)
    assert written["kind"] == "refus" and "Le projet ne couvre pas le volet interopérabilité." in text
    assert "recours gracieux auprès du directeur général de l'agence régionale de santé" in text
    assert "tribunal administratif compétent" in text and "deux mois" in text and "R. 421-1" in text
    with pdfplumber.open(folder / "courrier.pdf") as pdf:
        page = pdf.pages[0]
        assert (round(page.width), round(page.height)) == (595, 842)
        assert "R. 421-1" in " ".join((p.extract_text() or "").replace("\n", " ") for p in pdf.pages)
    document = Document(str(folder / "courrier.docx"))
    assert (document.sections[0].page_width, document.sections[0].page_height) == (7560310, 10692130)
    assert "ARS" in document.paragraphs[0].text, "the call's letterhead"


def test_letters_of_record_keep_every_version_by_kind(history, tmp_path):
    report = recevable()
    decide(history, report, outcome="accepte", amount="10000", author="paul", role="decideur", expected_version=0)
    drafted = body_text(letter_content(instructed(report, history)))
    first = drafted.replace("Madame, Monsieur,", "Madame, Monsieur,\n\nSuite à notre échange téléphonique.", 1)
    save_letter_version(history, report, "acceptation", first, "marie", expected_version=1)
    second = first.replace("échange téléphonique", "réunion du 3 décembre")
    save_letter_version(history, report, "acceptation", second, "ines", expected_version=2)
    with pytest.raises(Conflict):
        save_letter_version(history, report, "acceptation", "x", "marie", expected_version=2)
    versions = letter_history(history, "appel", "D1", "acceptation")
    assert [(v["number"], v["author"]) for v in versions] == [(2, "ines"), (1, "marie")]
    current = instructed(report, history)
    record = next(r for r in current.instruction.letters if r.kind == "acceptation")
    assert record.version == 2 and record.author == "ines"
    assert "réunion du 3 décembre" in body_text(letter_content(current))
    folder = tmp_path / "D1"
    folder.mkdir()
    write_letter(current, folder)
    assert {p.name for p in folder.iterdir()} == {"courrier.pdf", "courrier.docx"}

    history.record_sending("appel", "D1", dt.date(2026, 12, 2), "marie", "acceptation")
    sent = instructed(report, history)
    assert next(r for r in sent.instruction.letters if r.kind == "acceptation").sent == dt.date(2026, 12, 2)
    assert letter_content(sent)["place_date"].endswith("2 décembre 2026")
    titles = [e.title for e in dossier_timeline(history, "appel", "D1")]
    assert "Courrier « Notification d'acceptation » modifié" in titles
    assert "Courrier envoyé le 2 décembre 2026 : « Notification d'acceptation »" in titles


def test_a_correction_request_then_the_corrected_submission(history):
    from teleservice.push import correction_body, corrections_from_workspace

    config = load_call(CALL)
    report = report_of("2022-ARA-0900", config, [forfait_finding("D46")])
    report = report.model_copy(update={"submission_sha256": "a" * 64})
    today = dt.date(2026, 12, 7)
    base = {"author": "marie", "today": today}
    items = [{"text": "Ramener le forfait à 7 000 €.", "rule": "BUD-03", "fingerprint": report.findings[0].fingerprint}]
    with pytest.raises(CorrectionError, match="est passée"):
        request_correction(
            history, report, items=items, free_text="", deadline="2026-12-06", expected_version=0, **base
        )
    with pytest.raises(CorrectionError, match="aucun point"):
        request_correction(
            history, report, items=[{"text": " "}], free_text="", deadline="2026-12-20", expected_version=0, **base
        )
    request_correction(
        history,
        report,
        items=items,
        free_text="Joindre le devis signé.",
        deadline="2026-12-20",
        expected_version=0,
        **base,
    )
    assert history.state(CALL, report.dossier).status == "en_attente_correction"
    with pytest.raises(CorrectionError, match="attend déjà"):
        request_correction(
            history, report, items=items, free_text="", deadline="2026-12-20", expected_version=1, **base
        )

    waiting = instructed(report, history)
    letter = letter_content(waiting)
    assert letter["kind"] == "complement" and letter["deadline"] == "2026-12-20"
    assert letter["items"] == ["Ramener le forfait à 7 000 €.", "Joindre le devis signé."]
    correction = corrections_from_workspace(history, CALL)[report.dossier]
    assert correction.author == "marie" and correction.deadline == dt.date(2026, 12, 20)
    message = correction_body(report, correction)
    assert "au plus tard le 20 décembre 2026" in message and "- Joindre le devis signé." in message

    assert answer_corrections(history, CALL, {report.dossier: "a" * 64}) == [], "the same submission answers nothing"
    assert answer_corrections(history, CALL, {report.dossier: "b" * 64}) == [report.dossier]
    assert open_request(history, CALL, report.dossier) is None
    assert history.state(CALL, report.dossier).status == "en_instruction"
    assert "Dépôt corrigé reçu" in dossier_timeline(history, CALL, report.dossier)[-1].title

    corrected = report_of("2022-ARA-0900", config, []).model_copy(update={"submission_sha256": "b" * 64})
    changes = instructed(corrected, history).instruction.correction.changes
    assert (changes.verdict_before, changes.verdict_after) == ("a_completer", "recevable")
    assert [i.rule for i in changes.fixed] == ["BUD-03"] and changes.remaining == [] and changes.new == []
    still = instructed(report.model_copy(update={"submission_sha256": "b" * 64}), history)
    assert [i.rule for i in still.instruction.correction.changes.remaining] == ["BUD-03"]
    assert current_kind(still) == "complement", "answered: the verdict's letter again"


def test_the_docx_paragraphs_are_the_reports_letter(history, tmp_path):
    from docx import Document

    report = recevable()
    decide(
        history,
        report,
        outcome="classe_sans_suite",
        motif="Projet abandonné.",
        author="paul",
        role="decideur",
        expected_version=0,
    )
    current = instructed(report, history)
    folder = tmp_path / "D1"
    folder.mkdir()
    content = write_letter(current, folder)
    paragraphs = [p.text for p in Document(io.BytesIO((folder / "courrier.docx").read_bytes())).paragraphs if p.text]
    for block in body_text(content).split("\n\n"):
        for line in block.split("\n"):
            assert line.removeprefix("• ") in paragraphs


def test_the_letter_edited_before_the_letters_of_record_is_kept(history):
    """A database of the single letter: its edited body (``dossier_state.letter``) and a
    sending date recorded with its kind stay the verdict's letter."""
    report = report_of("2022-ARA-0900", load_call(CALL), [forfait_finding("D46")])
    edited = "Madame, Monsieur,\n\nMerci de corriger le budget.\n\nSalutations."
    history.change(CALL, report.dossier, expected_version=0, author="marie", kind="courrier", data={}, letter=edited)
    history.record_sending(CALL, report.dossier, dt.date(2022, 12, 1), "marie", "complement")
    content = letter_content(instructed(report, history))
    assert content["kind"] == "complement" and body_text(content) == edited
    assert content["place_date"].endswith("1er décembre 2022")


def test_a_dossier_decided_while_waiting_keeps_its_decision_when_the_correction_arrives(history):
    report = report_of("2022-ARA-0900", load_call(CALL), [forfait_finding("D46")])
    report = report.model_copy(update={"submission_sha256": "a" * 64})
    items = [{"text": "Ramener le forfait à 7 000 €.", "rule": "BUD-03"}]
    request_correction(
        history, report, items=items, free_text="", deadline="2099-01-01", author="marie", expected_version=0
    )
    decide(
        history,
        report,
        outcome="classe_sans_suite",
        motif="Pas de réponse du porteur.",
        author="paul",
        role="decideur",
        expected_version=1,
    )
    assert answer_corrections(history, CALL, {report.dossier: "b" * 64}) == [report.dossier]
    assert history.state(CALL, report.dossier).status == "classe_sans_suite"
    assert (
        dossier_timeline(history, CALL, report.dossier)[-1].title
        == "Dépôt corrigé reçu : la demande de correction est répondue"
    )


def test_an_older_database_gains_the_new_tables_by_being_opened(tmp_path):
    from sqlalchemy import inspect

    from instruction.store import correction_requests, decisions, letter_versions

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    db = History(url)
    for table in (decisions, correction_requests, letter_versions):
        table.drop(db.engine)
    assert "decisions" not in inspect(db.engine).get_table_names()
    db.close()
    reopened = History(url)
    try:
        assert {"decisions", "correction_requests", "letter_versions"} <= set(
            inspect(reopened.engine).get_table_names()
        )
        report = recevable()
        decide(
            reopened,
            report,
            outcome="refuse",
            motif="Hors périmètre.",
            author="paul",
            role="decideur",
            expected_version=0,
        )
        assert reopened.state("appel", "D1").status == "refuse"
    finally:
        reopened.close()
