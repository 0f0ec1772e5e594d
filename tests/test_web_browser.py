"""The instruction workspace in Debian's chromium (Playwright), served by ``esmsnum web`` as
an operator starts it, over the output of a real ``esmsnum run``; accounts created with
``esmsnum comptes ajouter``. A reviewer logs in, filters the call, opens a dossier, lifts a
finding and undoes it, comments, changes the status; a decideur proposes a decision, a
lecture account is refused; the committee's table is exported; two sessions change one
dossier. No console error, no request leaves the server's origin. Screenshots go to
``test-output/screenshots/web-*.png``.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from test_reports_pipeline import CALL

from conftest import ROOT, SCREENSHOTS, Session
from conftest import WEB_PASSWORDS as PASSWORDS


def _dossier(session: Session, numero: str) -> None:
    session.page.goto(f"{session.base}/appels/{CALL}/dossiers/{numero}")


def test_an_instructeur_goes_through_a_call(server, browser):
    base, _, cases = server
    marie = Session(browser, base, "marie")
    page = marie.page
    assert page.url.endswith(f"/appels/{CALL}")
    marie.shot("appel")
    page.select_option("#verdict", "non_recevable")
    page.click("#filtrer")
    page.wait_for_load_state()
    shown = page.locator("#dossiers tbody tr[data-dossier]")
    assert shown.count() >= 1
    assert all(shown.nth(i).locator(".verdict").inner_text() == "Non recevable" for i in range(shown.count()))
    marie.shot("appel-filtre")

    numero = cases["GRP-06"]
    page.click(f"a:text-is('{numero}')")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == f"Dossier {numero}"
    first = page.locator("article.finding[data-rule='GRP-06']").first
    fingerprint = first.get_attribute("data-fingerprint")
    open_before = page.locator("article.finding:not(.waived)").count()
    first.locator("details.lift summary").click()
    first.locator("textarea[name=motif]").fill("ESSMS vérifié au répertoire FINESS")
    first.locator("button:text-is('Lever ce constat')").click()
    page.wait_for_load_state()
    assert "Constat levé" in page.locator(".flash").inner_text()
    lifted = page.locator(f"article.finding.waived[data-fingerprint='{fingerprint}']")
    assert "ESSMS vérifié au répertoire FINESS" in lifted.locator(".motif").inner_text()
    assert page.locator("article.finding:not(.waived)").count() == open_before - 1, "one finding, not the rule"
    marie.shot("dossier-constat-leve")

    lifted.locator("details.unlift summary").click()
    lifted.locator("input[name=motif]").fill("Levée prématurée")
    lifted.locator("button:text-is('Annuler la levée')").click()
    page.wait_for_load_state()
    assert page.locator("article.finding.waived").count() == 0
    assert page.locator("article.finding:not(.waived)").count() == open_before

    page.fill("#texte-commentaire", "Porteur à rappeler <b>lundi</b>")
    page.click("#form-commentaire button")
    page.wait_for_load_state()
    assert page.locator(".comment-text").first.inner_text() == "Porteur à rappeler <b>lundi</b>"
    page.select_option("#statut", "en_attente_correction")
    page.click("#form-statut button")
    page.wait_for_load_state()
    assert page.locator("#statut-actuel").inner_text() == "En attente de correction"
    timeline = page.locator(".timeline").inner_text()
    for expected in (
        "Constat levé : GRP-06",
        "Levée annulée : GRP-06",
        "Commentaire",
        "Statut : En instruction → En attente de correction",
    ):
        assert expected in timeline
    assert "marie" in timeline
    marie.shot("dossier")
    page.click("text=Se déconnecter")
    page.wait_for_load_state()
    assert "/connexion" in page.url
    marie.close()


def test_a_decideur_decides_and_lecture_is_refused(server, browser):
    base, _, cases = server
    numero = cases["clean-workbook"]
    paul = Session(browser, base, "paul")
    _dossier(paul, numero)
    paul.page.click("label[for=groupe-A]")  # DSFR draws the radio over its label
    assert paul.page.is_checked("#groupe-A")
    paul.page.fill("#motif-decision", "Grappe équilibrée, budget conforme")
    paul.page.click("#decision button[type=submit]")
    paul.page.wait_for_load_state()
    assert paul.page.locator("#decision-actuelle").inner_text() == "A — Proposé au financement"
    paul.shot("dossier-decision")
    paul.close()

    lea = Session(browser, base, "lea")
    _dossier(lea, numero)
    assert lea.page.locator("#decision").count() == 0 and lea.page.locator("details.lift").count() == 0
    token = lea.page.locator("input[name=csrf]").first.get_attribute("value")
    forged = lea.page.request.post(
        f"{base}/appels/{CALL}/dossiers/{numero}/decision",
        form={"csrf": token, "version": "99", "groupe": "D", "motif": "forcé"},
    )
    assert forged.status == 403 and "décideur" in forged.text()
    lea.page.goto(f"{base}/appels/{CALL}/dossiers/{numero}")
    assert lea.page.locator("#decision-actuelle").inner_text() == "A — Proposé au financement"
    lea.shot("dossier-lecture")
    lea.close()


def test_the_committee_view_and_its_export(server, browser):
    base, _, cases = server
    paul = Session(browser, base, "paul")
    paul.page.goto(f"{base}/appels/{CALL}/comite")
    assert "Tableau du comité" in paul.page.locator("h1").inner_text()
    assert paul.page.locator("#tableau-comite tbody tr").count() >= 1
    assert paul.page.locator("#equilibre-secteurs").count() == 1
    paul.shot("comite")
    with paul.page.expect_download() as download:
        paul.page.click("#export-comite")
    path = download.value.path()
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(Path(path).read_bytes()))
    rows = list(workbook["Comité"].iter_rows(min_row=2, values_only=True))
    assert rows and rows[0][0] == cases["clean-workbook"], "the dossier proposed (group A) comes first"
    paul.close()


def test_two_sessions_change_one_dossier(server, browser):
    base, _, cases = server
    numero = cases["GRP-05"]
    marie, ines = Session(browser, base, "marie"), Session(browser, base, "ines")
    _dossier(marie, numero)
    _dossier(ines, numero)
    marie.page.select_option("#statut", "en_attente_correction")
    marie.page.click("#form-statut button")
    marie.page.wait_for_load_state()
    ines.page.select_option("#statut", "en_instruction")
    ines.page.click("#form-statut button")
    ines.page.wait_for_load_state()
    alert = ines.page.locator(".conflict").inner_text()
    assert "marie a modifié ce dossier" in alert and "n'a pas été enregistrée" in alert
    assert ines.page.locator("#statut-actuel").inner_text() == "En attente de correction", (
        "the second sees the first one's change"
    )
    ines.shot("conflit")
    ines.errors.remove("error: Failed to load resource: the server responded with a status of 409 (Conflict)")
    marie.close()
    ines.close()


def test_on_a_phone_the_menu_opens_and_logs_out(server, browser):
    """At 375 px DSFR hides the header's links and menu: its JavaScript (vendored with its
    stylesheet) opens them from the « Menu » button, logout included."""
    base, _, _ = server
    if not (ROOT / "web" / "static" / "dsfr" / "dsfr.module.min.js").is_file():
        pytest.skip("DSFR absent (make web-assets): the pages keep their plain style, with no menu to open")
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="fr-FR", is_mobile=True)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(base + "/connexion")
        page.fill("#nom", "lea")
        page.fill("#mot_de_passe", PASSWORDS["lea"])
        page.click("#connexion button[type=submit]")
        page.wait_for_load_state()
        menu = page.locator("#menu-principal")
        logout = menu.locator("button:text-is('Se déconnecter')")
        assert not page.locator(".fr-header__tools-links").is_visible(), "below 992 px the links are in the menu"
        assert not menu.locator(".fr-nav__link").first.is_visible()
        page.click("#bouton-menu")
        logout.wait_for(state="visible", timeout=5000)
        assert menu.locator(".fr-nav__link").first.is_visible(), "the call's pages are in the menu"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "web-menu-375.png"))
        logout.click()
        page.wait_for_load_state()
        assert "/connexion" in page.url
        assert not errors, errors
    finally:
        context.close()
