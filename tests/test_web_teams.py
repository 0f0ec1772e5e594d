"""Teams in the instruction workspace (FastAPI's test client over a real ``esmsnum run``):

- instructeur groups: a member of « Isère » (département 38) sees the dossiers with an ESSMS in
  Isère and nothing of a Rhône dossier (list, search, page, pieces, zip, report, letter,
  exports, committee: 404, as if it did not exist); an account left out of every group sees no
  dossier; a décideur sees them all;
- experts: an instructeur asks an avis, the expert sees only that dossier, cannot lift, decide
  or change the status (403), gives a motivated avis once; it is on the page and in the
  chronology;
- labels filter the call's list; private annotations are versioned in the chronology and in the
  exports, never in the letter;
- notifications reach a local SMTP server (aiosmtpd) in French; a failing server never blocks
  the action (a note on the page, the password never logged);
- every new form needs its CSRF token.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import socket
import time
from email import message_from_bytes, policy
from html import unescape

import pytest
from fastapi.testclient import TestClient
from test_reports_pipeline import CALL

from conftest import csrf_of, esmsnum, logged_in

PASSWORDS = {
    "isere": "motdepasse-isere",
    "sansgroupe": "motdepasse-sansgroupe",
    "paul": "motdepasse-paul",
    "eva": "motdepasse-eva1",
}
ROLES = {"isere": "instructeur", "sansgroupe": "instructeur", "paul": "decideur", "eva": "expert"}
EMAILS = {"isere": "isere@ars.example", "paul": "paul@ars.example", "eva": "eva@expert.example"}
ISERE = "2022-ARA-0024"  # ESSMS in 26, 38, 69, 73
RHONE = "2022-ARA-0012"  # ESSMS in 01, 42, 69: none in Isère
RHONE_PORTEUR = "Charmilles"


class Inbox:
    """aiosmtpd's handler: every message received."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def wait_for(self, subject: str, count: int = 1):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = [m for m in self.messages if m["Subject"] == subject]
            if len(found) >= count:
                return found[-1]
            time.sleep(0.05)
        raise AssertionError(f"no message « {subject} » in {[m['Subject'] for m in self.messages]}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def smtp():
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture(scope="module")
def served(tmp_path_factory, smtp, workspace_run):
    from core.state import STATE_ENV
    from instruction.accounts import create_account, open_accounts
    from instruction.mail import Mailer, MailSettings
    from instruction.teams import TeamStore
    from web.app import create_app
    from web.settings import WebSettings

    controller, _ = smtp
    out, cases = workspace_run
    root = tmp_path_factory.mktemp("web-teams")
    work = root / "out"
    shutil.copytree(out, work)
    with pytest.MonkeyPatch.context() as patch:
        # accounts and groups of their own: the session's other modules see no group
        patch.setenv(STATE_ENV, str(root / "state"))
        db = open_accounts(work)
        for name, role in ROLES.items():
            create_account(db, name, role, PASSWORDS[name])
        teams = TeamStore(db.url, engine=db.engine)
        teams.create("Isère", None, ["38"])
        teams.add_member("Isère", "isere")
        for name, address in EMAILS.items():
            teams.set_email(name, address)
        db.close()
        app = create_app(WebSettings(out_dirs=[work], secret_key="k" * 48, failed_login_delay=0.01))
    app.state.workspace.mailer = Mailer(
        MailSettings(
            host="127.0.0.1", port=controller.port, security="aucune", sender="esmsnum@ars.example",
            base_url="https://instruction.ars.example",
        )
    )  # fmt: skip
    assert {ISERE, RHONE} <= set(cases.values())
    return app, work


def login(app, name: str) -> TestClient:
    return logged_in(app, name, PASSWORDS[name])


def url(numero: str, tail: str = "") -> str:
    return f"/appels/{CALL}/dossiers/{numero}{tail}"


def post(client: TestClient, numero: str, tail: str, **data):
    token = csrf_of(client.get(url(numero)).text)
    return client.post(url(numero, tail), data={"csrf": token, **data})


def flash_of(response_client: TestClient, numero: str) -> str:
    html = response_client.get(url(numero)).text
    found = re.search(r'class="[^"]*flash[^"]*" role="status">\s*<p>(.*?)</p>', html, re.S)
    return unescape(found.group(1)) if found else ""


def _pieces(work, numero: str) -> list[str]:
    return sorted(p.name for p in (work / numero / "pieces").iterdir()) if (work / numero / "pieces").is_dir() else []


# --------------------------------------------------------------------------- groups


def test_an_isere_instructeur_sees_nothing_of_a_rhone_dossier(served):
    import openpyxl

    app, work = served
    isere = login(app, "isere")
    listing = isere.get(f"/appels/{CALL}").text
    assert f'data-dossier="{ISERE}"' in listing and RHONE not in listing
    assert "1 dossier affiché" in listing
    for q in (RHONE_PORTEUR, RHONE):
        found = isere.get(f"/appels/{CALL}?q={q}").text
        assert "data-dossier=" not in found and "0 dossier affiché" in found
    assert isere.get(url(ISERE)).status_code == 200
    hidden = [url(RHONE), url(RHONE, "/rapport"), url(RHONE, "/courrier.pdf"), url(RHONE, "/courrier.docx")]
    hidden += [url(RHONE, "/pieces.zip")] + [url(RHONE, f"/pieces/{name}") for name in _pieces(work, RHONE)]
    for path in hidden:
        response = isere.get(path)
        assert response.status_code == 404 and "Page introuvable" in response.text, path
    assert _pieces(work, RHONE) and _pieces(work, ISERE), "the run kept the pieces"
    for path in [url(ISERE, "/rapport"), url(ISERE, "/pieces.zip"), url(ISERE, f"/pieces/{_pieces(work, ISERE)[0]}")]:
        assert isere.get(path).status_code == 200, path
    assert isere.get(f"/appels/{CALL}/dossiers/summary.html").status_code == 404, "the static summary lists all"
    token = csrf_of(listing)
    refused = isere.post(url(RHONE, "/commentaires"), data={"csrf": token, "texte": "vu"})
    assert refused.status_code == 404
    bulk = isere.post(
        f"/appels/{CALL}/attribuer", data={"csrf": token, "instructeur": "isere", "dossiers": f"{RHONE}:0"}
    )
    assert bulk.status_code == 303 and app.state.workspace.call(CALL).history.state(CALL, RHONE).assignee is None

    csv_text = isere.get(f"/appels/{CALL}/exports/synthese.csv").content.decode("utf-8-sig")
    numbers = [row[0] for row in csv.reader(io.StringIO(csv_text), delimiter=";")][1:]
    assert numbers == [ISERE]
    workbook = openpyxl.load_workbook(io.BytesIO(isere.get(f"/appels/{CALL}/exports/synthese.xlsx").content))
    assert [r[0].value for r in workbook["Dossiers"].iter_rows(min_row=2)] == [ISERE]
    assert not any(RHONE in str(c.value) for row in workbook["Constats"].iter_rows() for c in row)
    assert workbook["Appel"]["B5"].value == 1, "the call's count is of the scope"
    committee = isere.get(f"/appels/{CALL}/comite")
    assert committee.status_code == 200 and RHONE not in committee.text and RHONE_PORTEUR not in committee.text
    table = openpyxl.load_workbook(io.BytesIO(isere.get(f"/appels/{CALL}/comite.xlsx").content))
    assert not any(RHONE in str(c.value) for ws in table for row in ws.iter_rows() for c in row)

    groups = isere.get("/groupes").text
    assert "Votre périmètre : les dossiers des groupes Isère." in groups and "38" in groups

    paul = login(app, "paul")
    assert RHONE in paul.get(f"/appels/{CALL}").text and paul.get(url(RHONE)).status_code == 200
    html = paul.get(url(RHONE)).text
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    given = paul.post(
        url(RHONE, "/attribution"), data={"csrf": csrf_of(html), "instructeur": "isere", "version": version}
    )
    assert given.status_code == 303 and "périmètre d'aucun groupe instructeur de isere" in flash_of(paul, RHONE)
    bulk = paul.post(
        f"/appels/{CALL}/attribuer",
        data={"csrf": csrf_of(html), "instructeur": "isere", "dossiers": f"{RHONE}:{version}"},
    )
    assert bulk.status_code == 303 and "Hors du périmètre des groupes de isere" in flash_of(paul, ISERE)
    assert app.state.workspace.call(CALL).history.state(CALL, RHONE).assignee is None

    alone = login(app, "sansgroupe")
    assert alone.get(f"/appels/{CALL}").status_code == 404
    assert alone.get(url(ISERE)).status_code == 404
    assert "Aucun appel dans votre périmètre" in alone.get("/").text


# --------------------------------------------------------------------------- experts


def test_an_expert_sees_only_the_dossier_asked_and_gives_one_motivated_avis(served, smtp):
    app, work = served
    _, inbox = smtp
    isere, eva = login(app, "isere"), login(app, "eva")
    assert eva.get(f"/appels/{CALL}").status_code == 404, "nothing asked yet: the call is not theirs"
    question = "Le logiciel cité est-il bien référencé Ségur ?"
    asked = post(isere, ISERE, "/avis/demande", expert="eva", question=question)
    assert asked.status_code == 303 and "Avis demandé à eva." in flash_of(isere, ISERE)
    mail = inbox.wait_for(f"Avis d'expert demandé sur le dossier {ISERE}")
    assert mail["To"] == EMAILS["eva"]
    body = mail.get_content()
    assert f"isere vous demande votre avis d'expert sur le dossier {ISERE}" in body and question in body
    assert f"https://instruction.ars.example/appels/{CALL}/dossiers/{ISERE}" in body

    assert post(isere, ISERE, "/commentaires", texte="Note interne de l'équipe").status_code == 303
    listing = eva.get(f"/appels/{CALL}").text
    assert f'data-dossier="{ISERE}"' in listing and "1 dossier affiché" in listing
    assert "/comite" not in listing and "synthese.xlsx" not in listing
    for path in [url(RHONE), url("2022-ARA-0001"), f"/appels/{CALL}/comite", f"/appels/{CALL}/exports/synthese.csv"]:
        assert eva.get(path).status_code == 404, path
    page = unescape(eva.get(url(ISERE)).text)
    assert question in page and "Rendre mon avis" in page and "Note interne de l'équipe" not in page
    assert "Lever ce constat" not in page and 'id="form-annotations"' not in page and 'id="labels"' not in page
    token = csrf_of(page)
    finding = re.search(r'data-fingerprint="([0-9a-f]+)"', page).group(1)
    for tail, data in [
        ("/lever", {"empreinte": finding, "motif": "x", "version": "0"}),
        ("/decision", {"groupe": "D", "motif": "x", "version": "0"}),
        ("/statut", {"statut": "instruit", "version": "0"}),
        ("/courrier", {"texte": "x", "version": "0"}),
        ("/annotations", {}),
        ("/avis/demande", {"expert": "eva", "question": "x"}),
    ]:
        assert eva.post(url(ISERE, tail), data={"csrf": token, **data}).status_code == 403, tail

    demande = re.search(r'name="demande" value="(\d+)"', page).group(1)
    unmotivated = eva.post(url(ISERE, "/avis"), data={"csrf": token, "demande": demande, "avis": "favorable"})
    assert unmotivated.status_code == 303 and "motivation est obligatoire" in flash_of(eva, ISERE)
    motivation = "Référencé Ségur vague 1, attestation de l'éditeur au dossier."
    given = eva.post(
        url(ISERE, "/avis"), data={"csrf": token, "demande": demande, "avis": "favorable", "motivation": motivation}
    )
    assert given.status_code == 303
    again = eva.post(
        url(ISERE, "/avis"), data={"csrf": token, "demande": demande, "avis": "defavorable", "motivation": "non"}
    )
    assert again.status_code == 303 and "déjà été rendu" in flash_of(eva, ISERE)
    assert isere.post(url(ISERE, "/avis"), data={"csrf": token, "demande": demande}).status_code == 403

    seen = unescape(isere.get(url(ISERE)).text)
    assert "Avis favorable" in seen and motivation in seen and "Avis défavorable" not in seen
    chronology = seen.split('id="chronologie"')[1]
    assert "Avis demandé à eva" in chronology and "Avis d'expert : Favorable" in chronology
    answer = inbox.wait_for(f"Avis d'expert rendu sur le dossier {ISERE}")
    assert answer["To"] == EMAILS["isere"]
    assert "eva a rendu son avis" in answer.get_content() and "Favorable" in answer.get_content()
    assert motivation in answer.get_content()


def test_an_assignment_is_mailed_and_a_failing_server_never_blocks_it(served, smtp, caplog):
    from instruction.mail import Mailer, MailSettings

    app, _ = served
    _, inbox = smtp
    paul = login(app, "paul")
    html = paul.get(url(ISERE)).text
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    done = paul.post(
        url(ISERE, "/attribution"), data={"csrf": csrf_of(html), "instructeur": "isere", "version": version}
    )
    assert done.status_code == 303
    mail = inbox.wait_for(f"Dossier {ISERE} attribué")
    assert (
        mail["To"] == EMAILS["isere"] and f"paul vous a attribué l'instruction du dossier {ISERE}" in mail.get_content()
    )

    workspace = app.state.workspace
    working = workspace.mailer
    secret = "mot-de-passe-smtp-secret"
    workspace.mailer = Mailer(
        MailSettings(host="127.0.0.1", port=_free_port(), security="aucune", user="esmsnum", password=secret)
    )
    assert secret not in repr(workspace.mailer.settings)
    try:
        with caplog.at_level("INFO"):
            moved = post(paul, ISERE, "/avis/demande", expert="eva", question="Et la convention ?")
        assert moved.status_code == 303
        note = flash_of(paul, ISERE)
        assert "Avis demandé à eva." in note and "n'a pas pu être envoyé" in note
        assert "courriel" in caplog.text and secret not in caplog.text
    finally:
        workspace.mailer = working


# --------------------------------------------------------------------------- labels and annotations


def test_labels_filter_the_call_list(served):
    app, _ = served
    paul = login(app, "paul")
    created = post(paul, ISERE, "/labels/nouveau", nom="Convention signée", couleur="green-emeraude")
    assert created.status_code == 303
    page = paul.get(url(ISERE)).text
    label = re.search(r'<option value="(\d+)">Convention signée</option>', page).group(1)
    assert post(paul, ISERE, "/labels", label=label, action="poser").status_code == 303
    listing = paul.get(f"/appels/{CALL}?label={label}").text
    assert re.findall(r'data-dossier="([^"]+)"', listing) == [ISERE]
    assert "fr-tag--green-emeraude" in listing
    assert len(re.findall(r'data-dossier="', paul.get(f"/appels/{CALL}").text)) > 1
    assert post(paul, ISERE, "/labels", label=label, action="retirer").status_code == 303
    assert re.findall(r'data-dossier="([^"]+)"', paul.get(f"/appels/{CALL}?label={label}").text) == []
    chronology = unescape(paul.get(url(ISERE)).text).split('id="chronologie"')[1]
    assert "Label « Convention signée » posé" in chronology and "Label « Convention signée » retiré" in chronology


def test_private_annotations_are_versioned_exported_and_never_in_the_letter(served):
    import openpyxl

    app, work = served
    paul = login(app, "paul")
    page = paul.get(url(ISERE)).text
    fields = dict(re.findall(r'<label class="fr-label" for="champ-(\d+)">([^<]+)', page))
    date_id = next(i for i, text in fields.items() if text.strip() == "Convention signée le")
    box = re.search(r'id="champ-(\d+)" name="champ-\d+" value="oui"', page).group(1)
    assert "Logiciel référencé Ségur vérifié" in page
    wrong = post(paul, ISERE, "/annotations", **{f"champ-{date_id}": "12 mars"})
    assert wrong.status_code == 303 and "Date illisible" in flash_of(paul, ISERE)
    assert (
        post(paul, ISERE, "/annotations", **{f"champ-{date_id}": "2026-03-12", f"champ-{box}": "oui"}).status_code
        == 303
    )
    assert (
        post(paul, ISERE, "/annotations", **{f"champ-{date_id}": "2026-03-15", f"champ-{box}": "oui"}).status_code
        == 303
    )
    chronology = unescape(paul.get(url(ISERE)).text).split('id="chronologie"')[1]
    assert "Annotation privée « Convention signée le » : 12 mars 2026 (avant : —)" in chronology
    assert "Annotation privée « Convention signée le » : 15 mars 2026 (avant : 12 mars 2026)" in chronology
    assert chronology.count("Logiciel référencé Ségur vérifié") == 1, "an unchanged value is no new version"

    csv_text = paul.get(f"/appels/{CALL}/exports/synthese.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(csv_text), delimiter=";"))
    head, row = rows[0], next(r for r in rows if r[0] == ISERE)
    assert row[head.index("Convention signée le")] == "15 mars 2026"
    assert row[head.index("Logiciel référencé Ségur vérifié")] == "Oui"
    sheet = openpyxl.load_workbook(io.BytesIO(paul.get(f"/appels/{CALL}/exports/synthese.xlsx").content))[
        "Annotations privées"
    ]
    values = {r[0].value: [c.value for c in r] for r in sheet.iter_rows(min_row=2)}
    assert "15 mars 2026" in values[ISERE]

    docx = paul.get(url(ISERE, "/courrier.docx"))
    if docx.status_code == 200:
        from docx import Document

        text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
        assert "Convention signée" not in text and "15 mars 2026" not in text
    for name in ("report.json", "report.html"):
        assert "Convention signée le" not in (work / ISERE / name).read_text(encoding="utf-8")
    printed = esmsnum("historique", ISERE, "--sortie", str(work)).stdout  # the reviewer's terminal
    assert "Annotation privée « Convention signée le » : 15 mars 2026 (avant : 12 mars 2026) — par paul" in printed


# --------------------------------------------------------------------------- CSRF


def test_every_new_form_needs_its_csrf_token(served):
    app, _ = served
    paul, eva = login(app, "paul"), login(app, "eva")
    for client, tail in [
        (paul, "/avis/demande"),
        (eva, "/avis"),
        (paul, "/labels/nouveau"),
        (paul, "/labels"),
        (paul, "/annotations"),
        (paul, "/annotations/champ"),
    ]:
        for data in ({}, {"csrf": "faux"}):
            response = client.post(url(ISERE, tail), data={**data, "question": "x", "nom": "Sans jeton"})
            assert response.status_code == 403 and "jeton" in response.text, tail
    assert "Sans jeton" not in paul.get(url(ISERE)).text


# --------------------------------------------------------------------------- command line


def test_groups_and_addresses_are_managed_from_the_command_line_in_french(tmp_path):
    from core.state import STATE_ENV
    from instruction.accounts import create_account, open_accounts

    state, history = tmp_path / "state", f"sqlite:///{tmp_path / 'history.sqlite'}"
    env = {STATE_ENV: str(state)}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(STATE_ENV, str(state))
        db = open_accounts(None, history)
        create_account(db, "marie", "instructeur", "motdepasse-marie")
        create_account(db, "eva", "expert", "motdepasse-eva1")
        db.close()
    where = ["--historique", history]
    created = esmsnum("groupes", "creer", "Isère", "--departement", "38", *where, env=env)
    assert created.returncode == 0, created.stderr
    assert "Groupe « Isère » créé (appels : tous ; départements : 38)." in created.stdout
    assert "sans groupe, ces comptes ne voient plus aucun dossier : marie" in created.stderr
    assert esmsnum("groupes", "creer", "Isère", *where, env=env).returncode == 1
    added = esmsnum("groupes", "ajouter-membre", "Isère", "marie", *where, env=env)
    assert added.returncode == 0 and "Compte marie ajouté au groupe « Isère »." in added.stdout
    unknown = esmsnum("groupes", "ajouter-membre", "Isère", "inconnu", *where, env=env)
    assert unknown.returncode == 1 and "Aucun compte inconnu." in unknown.stderr
    listed = esmsnum("groups", "lister", *where, env=env)  # the English name, a hidden alias
    assert listed.returncode == 0 and "Isère\tappels : tous ; départements : 38\tmembres : marie" in listed.stdout
    helped = esmsnum("--help").stdout
    assert "  groupes " in helped and "  groups " not in helped
    assert "expert" in esmsnum("comptes", "ajouter", "--help").stdout
    wrong = esmsnum("comptes", "courriel", "marie", "pas-une-adresse", *where, env=env)
    assert wrong.returncode == 1 and "Adresse électronique invalide" in wrong.stderr
    right = esmsnum("comptes", "courriel", "marie", "marie@ars.example", *where, env=env)
    assert right.returncode == 0 and "Adresse du compte marie : marie@ars.example." in right.stdout
    removed = esmsnum("groupes", "retirer-membre", "Isère", "marie", *where, env=env)
    assert removed.returncode == 0 and "ne voient plus aucun dossier : marie" in removed.stderr


def test_no_smtp_server_configured_means_no_mail_and_no_error():
    from instruction.mail import Mail, Mailer, MailSettings

    assert MailSettings.from_env({}) is None
    assert Mailer(None).send(Mail("eva@expert.example", "Objet", "Texte")) is None
    settings = MailSettings.from_env(
        {"ESMSNUM_SMTP_HOST": "smtp.ars.example", "ESMSNUM_SMTP_SECURITE": "ssl", "ESMSNUM_SMTP_MOT_DE_PASSE": "secret"}
    )
    assert (settings.port, settings.security, settings.sender) == (465, "ssl", "esmsnum@smtp.ars.example")
    assert "secret" not in repr(settings)
