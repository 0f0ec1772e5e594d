"""The instruction workspace in-process (FastAPI's test client) over a real ``esmsnum run``
output (the generated dossiers of ``test_reports_pipeline``, one of them hostile):

- every route that shows or changes dossier data needs a session (the route table is walked,
  so a new route cannot forget it), and every POST route declares the role it needs;
- lecture changes nothing, only a decideur proposes a decision; a form without its CSRF token
  is refused; ``../`` or an unknown call is a 404;
- one finding is lifted (not its whole rule) and the lift undone; lifts made with ``esmsnum
  lever`` are the same records; reports, summary, exports and letter show lifted findings and
  decisions; a re-run after a corrected submission keeps what still holds;
- two instructeurs changing the same dossier: the second is told and nothing is lost;
- comments, motifs, dossier data and file names are text, never markup.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from markupsafe import escape
from starlette.routing import Mount
from test_reports_pipeline import CALL, FORMULA, HOSTILE_CASE, IMG, SCRIPT, reports_run

from conftest import ROOT, csrf_of, esmsnum, load_json, logged_in

PASSWORDS = {
    "marie": "motdepasse-marie",
    "ines": "motdepasse-ines",
    "paul": "motdepasse-paul",
    "lea": "motdepasse-lea1",
    "bloque": "motdepasse-bloque",
}
ROLES = {"marie": "instructeur", "ines": "instructeur", "paul": "decideur", "lea": "lecture", "bloque": "lecture"}
PUBLIC = {"/connexion", "/sante"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from instruction.accounts import AccountStore, create_account
    from instruction.store import default_url
    from web.app import create_app
    from web.settings import WebSettings

    out, cases = reports_run()
    root = tmp_path_factory.mktemp("web")
    work = root / "out"
    shutil.copytree(out, work)
    shutil.copytree(out.parent / "fixtures" / CALL / "dossiers", root / "dossiers")
    db = AccountStore(default_url(work))
    for name, role in ROLES.items():
        create_account(db, name, role, PASSWORDS[name])
    db.close()
    app = create_app(WebSettings(out_dirs=[work], secret_key="k" * 48, failed_login_delay=0.01))
    return app, work, cases, root / "dossiers"


def login(app, name: str) -> TestClient:
    return logged_in(app, name, PASSWORDS[name])


def dossier_url(numero: str) -> str:
    return f"/appels/{CALL}/dossiers/{numero}"


def page_state(client: TestClient, numero: str) -> tuple[str, str]:
    """(csrf token, version) of the dossier page."""
    html = client.get(dossier_url(numero)).text
    return csrf_of(html), re.search(r'name="version" value="(\d+)"', html).group(1)


def lift(client: TestClient, numero: str, fingerprint: str, motif: str):
    """Lift one finding from the dossier page as it stands (its csrf token and version)."""
    token, version = page_state(client, numero)
    return client.post(
        dossier_url(numero) + "/lever",
        data={"csrf": token, "version": version, "empreinte": fingerprint, "motif": motif},
    )


def propose(client: TestClient, numero: str, groupe: str, motif: str, **request):
    """Propose a decision from the dossier page as it stands (its csrf token and version)."""
    token, version = page_state(client, numero)
    return client.post(
        dossier_url(numero) + "/decision",
        data={"csrf": token, "version": version, "groupe": groupe, "motif": motif},
        **request,
    )


def current_version(work: Path, numero: str) -> int:
    from instruction.store import History

    db = History.for_output(work)
    try:
        return db.state(CALL, numero).version
    finally:
        db.close()


def report(work: Path, numero: str) -> dict:
    return load_json(work / numero / "report.json")


def _routes(app) -> list[APIRoute]:
    from web.app import route_table

    return route_table(app.routes)


def _path(route: APIRoute, numero: str) -> str:
    return route.path.format(call=CALL, dossier=numero, name="synthese.xlsx")


# --------------------------------------------------------------------------- access


def test_every_data_route_needs_a_session(served):
    app, _, cases, _ = served
    anonymous = TestClient(app, follow_redirects=False)
    walked = 0
    for route in _routes(app):
        if route.path in PUBLIC:
            continue
        for method in route.methods:
            path = _path(route, cases["clean-workbook"])
            data = {"csrf": "x", "version": "0"} if method == "POST" else None
            html = anonymous.request(method, path, data=data, headers={"accept": "text/html"})
            api = anonymous.request(method, path, data=data, headers={"accept": "application/json"})
            if method == "GET":
                assert html.status_code == 303 and html.headers["location"].startswith("/connexion?suite="), path
            else:
                assert html.status_code == 401, (method, path)
            assert api.status_code == 401, (method, path)
            walked += 1
    assert walked >= 15, "the walk saw the routes"
    unknown = [
        r
        for r in app.routes
        if not isinstance(r, Mount) and not hasattr(r, "original_router") and not isinstance(r, APIRoute)
    ]
    assert not unknown, "every route is walked"
    assert [r.path for r in app.routes if isinstance(r, Mount)] == ["/static"], "the only mount is static files"
    assert anonymous.get("/sante").text == "ok"
    assert anonymous.get("/static/app.css").status_code == 200


def test_every_post_route_declares_its_role_and_lecture_changes_nothing(served):
    app, work, cases, _ = served
    numero = cases["GRP-06"]
    before = (work / numero / "report.json").read_bytes()
    lea = login(app, "lea")
    html = lea.get(dossier_url(numero)).text
    token, version = csrf_of(html), str(current_version(work, numero))
    assert "Lever ce constat" not in html and 'id="decision"' not in html, "lecture sees no form that changes"
    for route in _routes(app):
        if "POST" not in route.methods or route.path in {"/connexion", "/deconnexion"}:
            continue
        needed = [getattr(d.call, "needed_role", None) for d in route.dependant.dependencies]
        assert needed and needed[0] in {"instructeur", "decideur", "expert"}, f"{route.path} declares no role"
        fields = {
            "csrf": token,
            "version": version,
            "texte": "x",
            "motif": "x",
            "statut": "instruit",
            "groupe": "D",
            "empreinte": report(work, numero)["findings"][0]["fingerprint"],
            "dossiers": f"{numero}:{version}",
            "instructeur": "marie",
        }
        response = lea.post(_path(route, numero), data=fields)
        assert response.status_code == 403, route.path
        assert "lecture seule" in response.text or "décideur" in response.text or "Seul l&#39;expert" in response.text
    assert (work / numero / "report.json").read_bytes() == before
    refused = propose(login(app, "marie"), numero, "D", "x")
    assert refused.status_code == 403 and "Seul un compte « décideur »" in refused.text


def test_a_form_without_its_csrf_token_is_refused(served):
    app, _, cases, _ = served
    numero = cases["clean-workbook"]
    marie = login(app, "marie")
    url = dossier_url(numero) + "/commentaires"
    assert marie.post(url, data={"texte": "sans jeton"}).status_code == 403
    assert marie.post(url, data={"texte": "mauvais jeton", "csrf": "faux"}).status_code == 403
    assert marie.post(url, json={"texte": "json", "csrf": "x"}).status_code == 415
    assert "jeton" not in marie.get(dossier_url(numero)).text
    login_without_token = TestClient(app, follow_redirects=False).post(
        "/connexion", data={"nom": "marie", "mot_de_passe": PASSWORDS["marie"]}
    )
    assert login_without_token.status_code == 403


def test_unknown_calls_and_dossier_ids_with_dots_are_404(served):
    app, _, cases, _ = served
    marie = login(app, "marie")
    for path in [
        f"/appels/{CALL}/dossiers/..%2F..%2Fsummary.json",
        f"/appels/{CALL}/dossiers/..%2Fsummary.json",
        f"/appels/{CALL}/dossiers/%2E%2E",
        "/appels/inconnu",
        "/appels/..%2F..%2Fetc",
        f"/appels/{CALL}/exports/..%2Fsummary.json",
        f"/appels/{CALL}/exports/summary.json",
        f"/appels/{CALL}/dossiers/{cases['clean-workbook']}%2F..%2F..%2Fsummary.json/rapport",
        f"/appels/{CALL}/dossiers/inconnu/courrier.docx",
    ]:
        response = marie.get(path)
        assert response.status_code == 404, path
        assert "Page introuvable" in response.text and "call_id" not in response.text


def test_login_logout_and_the_delay_after_failed_logins(served):
    app, _, _, _ = served
    client = TestClient(app, follow_redirects=False, headers={"accept": "text/html"})
    token = csrf_of(client.get("/connexion").text)
    for _ in range(2):
        wrong = client.post("/connexion", data={"csrf": token, "nom": "bloque", "mot_de_passe": "faux"})
        assert wrong.status_code == 401 and "Nom de compte ou mot de passe incorrect." in wrong.text
    third = client.post("/connexion", data={"csrf": token, "nom": "bloque", "mot_de_passe": "faux"})
    assert "réessayez dans" in third.text
    right = client.post("/connexion", data={"csrf": token, "nom": "bloque", "mot_de_passe": PASSWORDS["bloque"]})
    assert right.status_code == 401 and "réessayez dans" in right.text, "the right password waits too"

    redirect = client.post(
        "/connexion",
        data={"csrf": token, "nom": "lea", "mot_de_passe": PASSWORDS["lea"], "suite": "https://ailleurs.example/"},
    )
    assert redirect.status_code == 303 and redirect.headers["location"] == "/", "never sent elsewhere"
    cookie = redirect.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert client.get(f"/appels/{CALL}").status_code == 200
    stolen = dict(client.cookies)
    token = csrf_of(client.get(f"/appels/{CALL}").text)
    assert client.post("/deconnexion", data={"csrf": token}).status_code == 303
    replay = TestClient(app, follow_redirects=False, cookies=stolen, headers={"accept": "text/html"})
    assert replay.get(f"/appels/{CALL}").status_code == 303, "a cookie issued before the logout is void"


def test_cookies_are_secure_when_served_over_https(served, monkeypatch):
    from web.app import create_app
    from web.settings import HTTPS_ENV, WebSettings

    _, work, _, _ = served
    monkeypatch.delenv(HTTPS_ENV, raising=False)
    assert WebSettings.build([work], host="127.0.0.1").https is False
    assert WebSettings.build([work], host="0.0.0.0").https is True, "off loopback: Secure cookies"
    secure = create_app(WebSettings(out_dirs=[work], secret_key="s" * 48, https=True))
    client = TestClient(secure, base_url="https://testserver", follow_redirects=False)
    token = csrf_of(client.get("/connexion").text)
    response = client.post("/connexion", data={"csrf": token, "nom": "lea", "mot_de_passe": PASSWORDS["lea"]})
    assert response.status_code == 303 and "; secure" in response.headers["set-cookie"].lower()


def test_the_session_secret_is_kept_0600_outside_the_repository(tmp_path, monkeypatch):
    from core.state import STATE_ENV
    from web.settings import SECRET_ENV, secret_key

    monkeypatch.delenv(SECRET_ENV, raising=False)
    monkeypatch.setenv(STATE_ENV, str(tmp_path / "etat"))
    first = secret_key(tmp_path)
    path = tmp_path / "etat" / "web-secret"
    assert path.stat().st_mode & 0o777 == 0o600 and len(first) >= 32
    assert not (tmp_path / ".esmsnum" / "web-secret").exists(), "never in the output folder"
    assert secret_key(tmp_path) == first


# --------------------------------------------------------------------------- the call


def test_the_call_page_filters_searches_and_sorts(served):
    app, _, cases, _ = served
    lea = login(app, "lea")
    full = lea.get(f"/appels/{CALL}").text
    for numero in cases.values():
        assert numero in full
    rows = lambda html: re.findall(r'<tr data-dossier="([^"]+)"', html)
    recevables = rows(lea.get(f"/appels/{CALL}?verdict=recevable").text)
    assert cases["clean-workbook"] in recevables and cases["GRP-06"] not in recevables
    assert rows(lea.get(f"/appels/{CALL}?q={cases['GRP-06']}").text) == [cases["GRP-06"]]
    by_number = rows(lea.get(f"/appels/{CALL}?tri=dossier&ordre=desc").text)
    assert by_number == sorted(by_number, reverse=True)
    assert rows(lea.get(f"/appels/{CALL}?statut=instruit&q=zzz-introuvable").text) == []


def test_dossiers_are_assigned_in_bulk(served):
    app, work, cases, _ = served
    marie = login(app, "marie")
    html = marie.get(f"/appels/{CALL}").text
    values = re.findall(r'name="dossiers" value="([^"]+)"', html)
    chosen = [v for v in values if v.split(":")[0] in {cases["BUD-03"], cases["GRP-05"]}]
    response = marie.post(
        f"/appels/{CALL}/attribuer", data={"csrf": csrf_of(html), "dossiers": chosen, "instructeur": "ines"}
    )
    assert response.status_code == 303
    mine = re.findall(r'<tr data-dossier="([^"]+)"', marie.get(f"/appels/{CALL}?instructeur=ines").text)
    assert sorted(mine) == sorted([cases["BUD-03"], cases["GRP-05"]])
    assert report(work, cases["GRP-05"])["instruction"]["assignee"] == "ines", "the report shows the assignee"


# --------------------------------------------------------------------------- lifting findings


def test_one_finding_is_lifted_with_its_reason_and_undone(served):
    app, work, cases, _ = served
    numero = cases["GRP-06"]
    findings = [f for f in report(work, numero)["findings"] if f["rule"] == "GRP-06"]
    assert len(findings) >= 2, "the case has several findings of one rule"
    target, other = findings[0], findings[1]
    marie = login(app, "marie")
    lifted = lift(marie, numero, target["fingerprint"], "ESSMS vérifié au FINESS le jour même")
    assert lifted.status_code == 303
    after = {f["fingerprint"]: f for f in report(work, numero)["findings"]}
    assert after[target["fingerprint"]]["waiver"]["motif"] == "ESSMS vérifié au FINESS le jour même"
    assert after[target["fingerprint"]]["waiver"]["author"] == "marie"
    assert "waiver" not in after[other["fingerprint"]], "one finding, not the whole rule"
    row = next(d for d in load_json(work / "summary.json")["dossiers"] if d["dossier"] == numero)
    assert row["waived"] == 1
    page = marie.get(dossier_url(numero)).text
    assert "Levé par marie" in page and "Constat levé : GRP-06" in page

    token, version = page_state(marie, numero)
    undone = marie.post(
        dossier_url(numero) + "/annuler-levee",
        data={"csrf": token, "version": version, "empreinte": target["fingerprint"], "motif": "Levée prématurée"},
    )
    assert undone.status_code == 303
    assert all("waiver" not in f for f in report(work, numero)["findings"])
    page = marie.get(dossier_url(numero)).text
    assert "Levée annulée : GRP-06" in page and "Levée prématurée" in page
    assert "Constat levé : GRP-06" in page, "the undone lift stays in the timeline"


def test_lifting_every_finding_makes_the_dossier_recevable_everywhere(served):
    app, work, cases, _ = served
    numero = cases["PIE-03"]
    assert report(work, numero)["verdict"] == "a_completer"
    marie = login(app, "marie")
    for finding in report(work, numero)["findings"]:
        response = lift(marie, numero, finding["fingerprint"], f"Pièce reçue ({finding['rule']})")
        assert response.status_code == 303
    final = report(work, numero)
    assert final["verdict"] == "recevable" and final["counts"]["leves"] == len(final["findings"])
    assert "levé" in final["verdict_reason"]
    html = (work / numero / "report.html").read_text(encoding="utf-8")
    assert "Aucun constat : toutes les règles" not in html and "Aucun constat restant" in html
    summary = load_json(work / "summary.json")
    change = next(c for c in summary["changes"] if c["dossier"] == numero)
    assert (change["before"], change["after"], change["by"]) == ("a_completer", "recevable", "instructeur")
    summary_html = (work / "summary.html").read_text(encoding="utf-8")
    assert "Aucun verdict n'a changé" not in summary_html and "levé" in summary_html
    assert not (work / numero / "courrier.docx").exists(), "no letter for a recevable dossier"
    import openpyxl

    sheet = openpyxl.load_workbook(work / "summary.xlsx")["Dossiers"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == numero)
    assert row[header.index("Verdict")] == "Recevable"
    assert row[header.index("Constats levés par l'instructeur")] == len(final["findings"])
    page = login(app, "lea").get(f"/appels/{CALL}/comite").text
    assert numero in page


def test_a_lift_made_on_the_command_line_is_the_same_record(served):
    app, work, cases, _ = served
    numero = cases["BUD-03"]
    done = esmsnum(
        "lever", numero, "BUD-03", "--out", str(work), "--motif", "Surcoût justifié", "--par", "Cheffe de pôle"
    )
    assert done.returncode == 0, done.stderr
    marie = login(app, "marie")
    page = marie.get(dossier_url(numero)).text
    assert "Levé par Cheffe de pôle" in page and "Surcoût justifié" in page
    fingerprint = next(f["fingerprint"] for f in report(work, numero)["findings"] if f["rule"] == "BUD-03")
    token, version = page_state(marie, numero)
    marie.post(
        dossier_url(numero) + "/annuler-levee", data={"csrf": token, "version": version, "empreinte": fingerprint}
    )
    assert "waiver" not in next(f for f in report(work, numero)["findings"] if f["rule"] == "BUD-03")
    history = esmsnum("history", numero, "--out", str(work))
    assert "Constat levé : BUD-03" in history.stdout and "par Cheffe de pôle" in history.stdout
    assert "Levée annulée : BUD-03" in history.stdout and "par marie" in history.stdout


# --------------------------------------------------------------------------- instruction


def test_status_decision_and_letter(served):
    app, work, cases, _ = served
    numero = cases[HOSTILE_CASE]  # à compléter: has a letter
    marie = login(app, "marie")
    token, version = page_state(marie, numero)
    assert (
        marie.post(
            dossier_url(numero) + "/statut", data={"csrf": token, "version": version, "statut": "complements_demandes"}
        ).status_code
        == 303
    )
    assert report(work, numero)["instruction"]["status_label"] == "En attente de correction", "an old code, mapped"

    token, version = page_state(marie, numero)
    letter = marie.get(dossier_url(numero)).text
    assert "demande de pièces complémentaires" in letter
    edited = "Madame, Monsieur,\n\nMerci de nous renvoyer le budget corrigé.\n\nL'instructrice"
    assert (
        marie.post(
            dossier_url(numero) + "/courrier",
            data={"csrf": token, "version": version, "texte": edited, "action": "enregistrer"},
        ).status_code
        == 303
    )
    docx = marie.get(dossier_url(numero) + "/courrier.docx")
    assert docx.status_code == 200 and docx.headers["content-type"].startswith("application/vnd.openxmlformats")
    from docx import Document

    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "Merci de nous renvoyer le budget corrigé." in text

    paul = login(app, "paul")
    refused = propose(paul, numero, "A", "Beau projet", follow_redirects=True)
    assert "réservé aux dossiers recevables" in refused.text
    assert propose(paul, numero, "C", "Budget à reprendre").status_code == 303
    instruction = report(work, numero)["instruction"]
    assert instruction["decision"] == "C" and instruction["decision_author"] == "paul"
    row = next(d for d in load_json(work / "summary.json")["dossiers"] if d["dossier"] == numero)
    assert row["instruction"]["decision_label"] == "C — À retravailler"
    timeline = paul.get(dossier_url(numero)).text
    for expected in (
        "Statut : En instruction → En attente de correction",
        "Courrier « Demande de pièces complémentaires » modifié",
        "Décision proposée : C — À retravailler",
        "Budget à reprendre",
    ):
        assert expected in timeline


def test_the_committee_table_and_its_export(served):
    app, work, cases, _ = served
    numero = cases["clean-workbook"]
    paul = login(app, "paul")
    assert propose(paul, numero, "A", "Grappe équilibrée").status_code == 303
    page = paul.get(f"/appels/{CALL}/comite").text
    assert "Proposé au financement (groupe A)" in page and "A — Proposé au financement" in page
    assert "personnes âgées" in page and "Capacités des établissements" in page
    export = paul.get(f"/appels/{CALL}/comite.xlsx")
    assert export.status_code == 200
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(export.content))
    sheet = workbook["Comité"]
    header = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    first = rows[0]
    assert first[0] == numero and first[header.index("Décision proposée")] == "A — Proposé au financement"
    eligible = report(work, numero)["amount_eligible"]
    assert first[header.index("Montant éligible (€)")] == pytest.approx(eligible)
    assert first[header.index("Cumul éligible (€)")] == pytest.approx(eligible)
    assert {r[0] for r in rows} == {d["dossier"] for d in load_json(work / "summary.json")["dossiers"]}, (
        "every dossier of the call"
    )
    balance = [r[0] for r in workbook["Équilibre"].iter_rows(values_only=True) if r[0]]
    assert "Département" in balance and "Secteur" in balance and "Capacité des ESSMS" in balance
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            assert all(cell.data_type != "f" for cell in row)


def test_two_instructeurs_on_one_dossier_nothing_is_lost(served):
    app, work, cases, _ = served
    numero = cases["GRP-05"]
    marie, ines = login(app, "marie"), login(app, "ines")
    token_m, version = page_state(marie, numero)
    token_i, version_i = page_state(ines, numero)
    assert version == version_i
    assert (
        marie.post(
            dossier_url(numero) + "/statut", data={"csrf": token_m, "version": version, "statut": "en_instruction"}
        ).status_code
        == 303
    )
    second = ines.post(
        dossier_url(numero) + "/statut", data={"csrf": token_i, "version": version, "statut": "instruit"}
    )
    assert second.status_code == 409
    told = unescape(second.text)
    assert "marie a modifié ce dossier" in told and "n'a pas été enregistrée" in told
    assert re.search(r'id="statut-actuel">En instruction<', second.text), "the second sees the change"
    fingerprint = report(work, numero)["findings"][0]["fingerprint"]
    late_lift = ines.post(
        dossier_url(numero) + "/lever",
        data={"csrf": token_i, "version": version, "empreinte": fingerprint, "motif": "x"},
    )
    assert late_lift.status_code == 409 and "waiver" not in report(work, numero)["findings"][0]
    assert report(work, numero)["instruction"]["status"] == "en_instruction"


# --------------------------------------------------------------------------- untrusted text


def test_comments_motifs_dossier_data_and_file_names_are_text(served):
    app, work, cases, _ = served
    numero = cases[HOSTILE_CASE]
    marie = login(app, "marie")
    token = csrf_of(marie.get(dossier_url(numero)).text)
    marie.post(dossier_url(numero) + "/commentaires", data={"csrf": token, "texte": f"Voir {SCRIPT} et {IMG}"})
    lift(marie, numero, report(work, numero)["findings"][0]["fingerprint"], f"{IMG} {FORMULA}")
    for html in (
        marie.get(dossier_url(numero)).text,
        marie.get(f"/appels/{CALL}").text,
        marie.get(f"/appels/{CALL}/comite").text,
    ):
        assert SCRIPT not in html and "<img src=x" not in html
        scripts = re.findall(r"<script[^>]*>", html)
        assert all(
            re.fullmatch(r'<script (type="module"|nomodule) src="/static/dsfr/[\w.]+"></script>', x + "</script>")
            for x in scripts
        ), "no script but DSFR's own, from the server"
    page = marie.get(dossier_url(numero)).text
    assert str(escape(SCRIPT)) in page and str(escape(IMG)) in page
    assert str(escape(FORMULA)) in page, "the hostile owner name shows as text"
    assert str(escape(f"{IMG}.pdf")) in page or "=1+2.pdf" in page, "hostile file names show as text"
    csp = marie.get(dossier_url(numero)).headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp


# --------------------------------------------------------------------------- re-run


def test_a_rerun_after_a_corrected_submission_keeps_what_still_holds(served):
    app, work, cases, call_dir = served
    from test_resubmission import _set_cell

    numero, kept = cases["BUD-03"], cases["PIE-03"]
    marie = login(app, "marie")
    finding = next(f for f in report(work, numero)["findings"] if f["rule"] == "BUD-03")
    lift(marie, numero, finding["fingerprint"], "Vu")
    assert report(work, numero)["verdict"] == "recevable"
    loc = finding["location"]
    _set_cell(call_dir / numero / loc["file"], loc["sheet"], loc["cell"], 9000)  # the owner changes the figure
    finess = reports_run()[0].parent / "finess"  # the run is redone as it was first run, with FINESS
    rerun = esmsnum("run", str(call_dir), "--call", CALL, "--out", str(work), "--finess", str(finess))
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    again = next(f for f in report(work, numero)["findings"] if f["rule"] == "BUD-03")
    assert "waiver" not in again, "new evidence: the lift no longer applies"
    assert all("waiver" in f for f in report(work, kept)["findings"]), "unchanged evidence: the lifts hold"
    assert report(work, kept)["verdict"] == "recevable"
    page = marie.get(dossier_url(numero)).text
    assert "Nouvelle analyse (nouveau dépôt)" in page
    assert report(work, cases["clean-workbook"])["instruction"]["decision"] == "A", "decisions survive the run"


def test_accounts_on_the_command_line(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    env_cmd = [str(Path(sys.executable).with_name("esmsnum"))]

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run(
            env_cmd + list(args), input=stdin, check=False, capture_output=True, text=True, cwd=ROOT, timeout=120
        )

    created = run(
        "comptes", "ajouter", "sophie", "--role", "decideur", "--out", str(out), stdin="un-mot-de-passe-sur\n"
    )
    assert created.returncode == 0 and "Compte sophie créé (Décideur)." in created.stdout
    assert (
        run(
            "comptes", "ajouter", "sophie", "--role", "lecture", "--out", str(out), stdin="un-mot-de-passe-sur\n"
        ).returncode
        == 1
    )
    assert (
        "trop court"
        in run("comptes", "ajouter", "jean", "--role", "lecture", "--out", str(out), stdin="court\n").stderr
    )
    assert "option obligatoire manquante : --role" in run("comptes", "ajouter", "jean", "--out", str(out)).stderr
    listed = run("comptes", "lister", "--out", str(out)).stdout
    assert "sophie\tDécideur\tactif\tjamais connecté" in listed
    assert run("comptes", "desactiver", "sophie", "--out", str(out)).returncode == 0
    assert "désactivé" in run("comptes", "lister", "--out", str(out)).stdout
    stored = json.dumps(
        [
            list(r)
            for r in __import__("sqlite3")
            .connect(__import__("instruction.accounts").accounts.accounts_url().removeprefix("sqlite:///"))
            .execute("select name, password_hash from accounts")
        ]
    )
    assert "un-mot-de-passe-sur" not in stored and "$argon2" in stored
    assert not (out / ".esmsnum" / "history.sqlite").exists(), "no account in the shared output folder"
    refused = run("web", str(tmp_path / "nothing"))
    assert refused.returncode == 2 and "summary.json" in refused.stderr


# --------------------------------------------------------------------------- workspace polish (issue 27)


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-dossier="([^"]+)"', html)


def test_the_search_finds_essms_finess_og_and_ignores_case_and_accents(served):
    import unicodedata
    from urllib.parse import quote

    app, work, cases, _ = served
    lea = login(app, "lea")
    numero = cases["clean-workbook"]
    essms = report(work, numero)["essms"]
    named = next(e for e in essms if e.get("name") and any(not c.isascii() for c in e["name"]))
    plain = "".join(c for c in unicodedata.normalize("NFKD", named["name"]) if not unicodedata.combining(c)).upper()
    for query in (plain, named["finess"], essms[0]["og"].lower(), essms[0]["finess_ej"]):
        found = _rows(lea.get(f"/appels/{CALL}?q={quote(query)}").text)
        assert numero in found, query


def test_bulk_assignment_adds_and_never_removes_by_default(served):
    app, work, cases, _ = served
    marie = login(app, "marie")
    first, second = cases["PIE-03"], cases["clean-workbook"]

    def post(values: list[str], **data):
        html = marie.get(f"/appels/{CALL}").text
        chosen = [v for v in re.findall(r'name="dossiers" value="([^"]+)"', html) if v.split(":")[0] in values]
        return marie.post(f"/appels/{CALL}/attribuer", data={"csrf": csrf_of(html), "dossiers": chosen, **data})

    assert 'value="" selected>— Choisir —' in marie.get(f"/appels/{CALL}").text
    post([first], instructeur="ines")
    post([first, second], instructeur="")  # the form's default: nothing removed
    assert report(work, first)["instruction"]["assignee"] == "ines"
    post([first, second], instructeur="marie")
    assert report(work, first)["instruction"]["assignee"] == "ines", "an assignment adds, it does not take away"
    assert report(work, second)["instruction"]["assignee"] == "marie"
    assert "Laissé à son instructeur" in marie.get(f"/appels/{CALL}").text
    post([first], instructeur="marie", remplacer="oui")
    assert report(work, first)["instruction"]["assignee"] == "marie"
    post([first], instructeur="-")
    assert not report(work, first)["instruction"].get("assignee")


def test_a_web_action_keeps_the_time_of_the_analysis(served):
    app, work, cases, _ = served
    numero = cases["GRP-05"]
    before = load_json(work / "summary.json")["generated_at"]
    marie = login(app, "marie")
    token, version = page_state(marie, numero)
    marie.post(dossier_url(numero) + "/statut", data={"csrf": token, "version": version, "statut": "en_instruction"})
    assert report(work, numero)["instruction"]["status"] == "en_instruction"
    assert load_json(work / "summary.json")["generated_at"] == before


def test_the_exports_type_dates_and_amounts_and_keep_finess_as_text(served):
    import datetime as dt

    import openpyxl

    app, work, cases, _ = served
    lea = login(app, "lea")
    xlsx = lea.get(f"/appels/{CALL}/exports/synthese.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content))["Dossiers"]
    heads = [c.value for c in sheet[1]]
    rows = [dict(zip(heads, (c.value for c in r), strict=False)) for r in sheet.iter_rows(min_row=2)]
    numero = cases["clean-workbook"]
    row = next(r for r in rows if r["Dossier"] == numero)
    assert isinstance(row["Déposé le"], dt.datetime)
    assert isinstance(row["Montant demandé (€)"], float | int)
    finess = report(work, numero)["porteur"]["finess_ej"]
    assert row["FINESS juridique du porteur"] == finess and isinstance(finess, str)
    assert isinstance(openpyxl.load_workbook(io.BytesIO(xlsx.content))["Appel"]["B4"].value, dt.datetime)
    csv_text = lea.get(f"/appels/{CALL}/exports/synthese.csv").content.decode("utf-8-sig")
    line = next(x for x in csv_text.splitlines() if x.startswith(numero + ";"))
    assert f";{finess};" in line and re.search(r";\d\d/\d\d/\d{4} à \d\d:\d\d;", line)


def test_the_decideur_enters_the_envelope_and_the_committee_compares_to_it(served):
    from instruction.store import History

    app, work, cases, _ = served
    paul, marie = login(app, "paul"), login(app, "marie")
    url = f"/appels/{CALL}/comite"
    before = paul.get(url).text
    assert "Au-delà de l'enveloppe : non" not in before
    refused = marie.post(url + "/enveloppe", data={"csrf": csrf_of(marie.get(url).text), "montant": "1000"})
    assert refused.status_code == 403
    proposed = sum(
        d["amount_eligible"] or 0
        for d in load_json(work / "summary.json")["dossiers"]
        if d["verdict"] == "recevable" and (report(work, d["dossier"]).get("instruction") or {}).get("decision") == "A"
    )
    assert proposed > 0, "a dossier of group A (test_the_committee_table_and_its_export)"
    envelope = round(proposed / 0.507, 2)
    typed = f"{envelope:,.2f}".replace(",", " ").replace(".", ",") + " €"
    assert paul.post(url + "/enveloppe", data={"csrf": csrf_of(before), "montant": typed}).status_code == 303
    page = paul.get(url).text
    assert "50,7\u00a0%" in page and "saisie par paul" in page and "Solde après le groupe A" in page
    assert 'data-verdict="non_recevable"' in page and 'data-verdict="a_completer"' in page
    departments = re.findall(
        r'<tr><th scope="row">(\d[\dAB])</th>', page.split('id="equilibre-departements"')[1].split("</table>")[0]
    )
    snapshot = load_json(work / "summary.json")["call_snapshot"]["departments"]
    assert set(snapshot) <= set(departments), "every département of the call, zero included"
    history = History.for_output(work)
    try:
        assert history.envelope(CALL).author == "paul" and history.envelope(CALL).data["after"] == envelope
    finally:
        history.close()
    wrong = paul.post(url + "/enveloppe", data={"csrf": csrf_of(page), "montant": "beaucoup"}, follow_redirects=True)
    assert "illisible" in wrong.text
    assert paul.post(url + "/enveloppe", data={"csrf": csrf_of(page), "montant": ""}).status_code == 303
    emptied = paul.get(url).text
    assert "non renseignée" in emptied and "Solde après" not in emptied


def test_the_letters_sending_date_is_checked_recorded_and_shown(served):
    import datetime as dt

    from core.french import now_paris

    app, work, cases, _ = served
    numero = next(
        n
        for n in sorted(cases.values())
        if report(work, n)["verdict"] == "a_completer" and report(work, n).get("deposit")
    )
    deposited = dt.date.fromisoformat(report(work, numero)["deposit"]["moment"][:10])
    marie = login(app, "marie")
    url = dossier_url(numero) + "/courrier/envoi"
    for day, said in (
        (deposited - dt.timedelta(days=1), "précède le dépôt"),
        (now_paris().date() + dt.timedelta(days=2), "dans le futur"),
    ):
        token = csrf_of(marie.get(dossier_url(numero)).text)
        refused = marie.post(url, data={"csrf": token, "date": day.isoformat()}, follow_redirects=True)
        assert said in refused.text and "Courrier envoyé" not in refused.text
    sent = deposited + dt.timedelta(days=5)
    token = csrf_of(marie.get(dossier_url(numero)).text)
    assert marie.post(url, data={"csrf": token, "date": sent.isoformat()}).status_code == 303
    page = marie.get(dossier_url(numero)).text
    assert page.count("Courrier envoyé le") >= 2, "on the letter and in the chronology"
    assert report(work, numero)["instruction"]["letter_sent"] == sent.isoformat()
    assert report(work, numero)["letter_sending_date"] == sent.isoformat()
    lecture = login(app, "lea")
    assert (
        lecture.post(
            url, data={"csrf": csrf_of(lecture.get(dossier_url(numero)).text), "date": sent.isoformat()}
        ).status_code
        == 403
    )


def test_the_dossier_page_lists_its_essms_and_the_printable_reports_links_lead_somewhere(served):
    from urllib.parse import urljoin

    app, work, cases, _ = served
    lea = login(app, "lea")
    numero = next(n for n in sorted(cases.values()) if (work / n / "courrier.pdf").is_file())
    page = lea.get(dossier_url(numero)).text
    essms = report(work, numero)["essms"]
    assert essms and all(f'data-finess="{e["finess"]}"' in page for e in essms), "the ESSMS table"
    required = load_json(work / numero / "report.json")["call_snapshot"]["required_documents"]
    assert required and all(f'data-piece="{kind}"' in page for kind in required), "the pièces exigées checklist"
    url = dossier_url(numero) + "/rapport"
    printable = lea.get(url)
    assert printable.status_code == 200
    links = {h for h in re.findall(r'href="([^"#]+)', printable.text) if not h.startswith(("http", "mailto"))}
    assert {"courrier.pdf", "../regles.html"} <= links
    for href in links:
        response = lea.get(urljoin("http://testserver" + url, href))
        assert response.status_code == 200, href
        assert response.headers["x-content-type-options"] == "nosniff"
    pdf = lea.get(dossier_url(numero) + "/courrier.pdf")
    assert pdf.content.startswith(b"%PDF") and pdf.headers["content-disposition"].startswith("attachment;")
    original = work / numero / "courrier.pdf"
    kept = original.with_name("courrier.kept")
    original.rename(kept)
    original.symlink_to(work / "summary.json")
    try:
        assert lea.get(dossier_url(numero) + "/courrier.pdf").status_code == 404, "a link is never followed"
    finally:
        original.unlink()
        kept.rename(original)


def test_the_letter_edited_in_the_web_is_the_letter_of_record(served):
    import pdfplumber
    from docx import Document

    app, work, cases, _ = served
    numero = next(n for n in sorted(cases.values()) if (work / n / "courrier.pdf").is_file())
    marie = login(app, "marie")
    page = marie.get(dossier_url(numero)).text
    body = unescape(re.search(r'<textarea[^>]*id="texte-courrier"[^>]*>(.*?)</textarea>', page, re.S).group(1))
    assert body.startswith("Madame, Monsieur,") and "Affaire suivie par" not in body, "the body, not the letterhead"
    edited = body.replace("Madame, Monsieur,", "Madame, Monsieur,\n\nNous avons bien reçu votre appel du 3 octobre.", 1)
    token, version = page_state(marie, numero)
    saved = marie.post(dossier_url(numero) + "/courrier", data={"csrf": token, "version": version, "texte": edited})
    assert saved.status_code == 303
    said = "Nous avons bien reçu votre appel du 3 octobre."
    on_disk = Document(str(work / numero / "courrier.docx"))
    web = Document(io.BytesIO(marie.get(dossier_url(numero) + "/courrier.docx").content))
    for document in (on_disk, web):
        text = "\n".join(p.text for p in document.paragraphs)
        assert said in text and "Affaire suivie par" in text, "the call's letterhead around the edited body"
        section = document.sections[0]
        assert (section.page_width, section.page_height) == (7560310, 10692130), "A4"
    with pdfplumber.open(io.BytesIO(marie.get(dossier_url(numero) + "/courrier.pdf").content)) as pdf:
        assert said in " ".join((p.extract_text() or "").replace("\n", " ") for p in pdf.pages)
        assert round(pdf.pages[0].width) == 595 and round(pdf.pages[0].height) == 842, "A4"
    assert said in (work / numero / "report.html").read_text(encoding="utf-8"), "the report shows the same letter"
    assert said in marie.get(dossier_url(numero)).text


def test_a_full_disk_during_an_action_is_a_french_page_and_the_reports_stay_whole(tmp_path, monkeypatch):
    """Issue 24, disk full during a web write: the re-rendering of the reports after a lift
    hits ENOSPC; the reviewer gets a French page (507) saying what happened and what to do,
    never a trace or a path; every file of the dossier is as it was, no temporary file left."""
    import errno
    import tempfile

    from instruction.accounts import AccountStore, create_account
    from instruction.store import default_url
    from web.app import create_app
    from web.settings import WebSettings

    out, cases = reports_run()
    work = tmp_path / "out"
    shutil.copytree(out, work)
    db = AccountStore(default_url(work))
    create_account(db, "marie", "instructeur", PASSWORDS["marie"])
    db.close()
    app = create_app(WebSettings(out_dirs=[work], secret_key="k" * 48, failed_login_delay=0.01))
    numero = cases["GRP-06"]
    before = {p.name: p.read_bytes() for p in (work / numero).iterdir() if p.is_file()}
    fingerprint = report(work, numero)["findings"][0]["fingerprint"]
    marie = login(app, "marie")
    token, version = page_state(marie, numero)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "mkstemp", disk_full)
    refused = marie.post(
        dossier_url(numero) + "/lever",
        data={"csrf": token, "version": version, "empreinte": fingerprint, "motif": "Vérifié au FINESS"},
    )
    monkeypatch.undo()
    assert refused.status_code == 507
    page = unescape(refused.text)
    assert "Enregistrement impossible" in page and "disque plein" in page and "Prévenez l'exploitant" in page
    assert "Traceback" not in page and str(work) not in page and "No space left" not in page
    assert {p.name: p.read_bytes() for p in (work / numero).iterdir() if p.is_file()} == before
    assert not list(work.rglob("*.tmp"))


def test_only_a_decideur_decides_and_a_refused_transition_is_explained(served):
    app, work, cases, _ = served
    numero = cases["GRP-06"]  # non recevable
    url = dossier_url(numero) + "/decision-finale"
    marie = login(app, "marie")
    token, version = page_state(marie, numero)
    data = {"csrf": token, "version": version, "issue": "accepte", "montant": "1000"}
    forbidden = marie.post(url, data=data)
    assert forbidden.status_code == 403 and "Seul un compte « décideur »" in forbidden.text
    paul = login(app, "paul")
    token, version = page_state(paul, numero)
    refused = paul.post(url, data={**data, "csrf": token, "version": version}, follow_redirects=True)
    assert "« Non recevable » ne peut pas être accepté" in unescape(refused.text)
    assert current_version(work, numero) == int(version), "nothing recorded"
    motif = {"csrf": token, "version": version, "issue": "refuse", "motif": "La grappe ne compte pas 15 ESSMS."}
    assert paul.post(url, data=motif).status_code == 303
    instruction = report(work, numero)["instruction"]
    assert instruction["status_label"] == "Refusé" and instruction["final_decision"]["author"] == "paul"
    assert instruction["letter"]["kind"] == "refus" and "R. 421-1" in instruction["letter"]["body"]
    token, version = page_state(paul, numero)
    twice = paul.post(url, data={**motif, "csrf": token, "version": version}, follow_redirects=True)
    assert "rouvrez-le avant de décider de nouveau" in unescape(twice.text)
    status = paul.post(
        dossier_url(numero) + "/statut",
        data={"csrf": token, "version": version, "statut": "en_instruction"},
        follow_redirects=True,
    )
    assert "c'est la décision d'un compte « décideur »" in unescape(status.text)
    row = next(d for d in load_json(work / "summary.json")["dossiers"] if d["dossier"] == numero)
    assert row["instruction"]["status_label"] == "Refusé" and "letters" not in row["instruction"]
