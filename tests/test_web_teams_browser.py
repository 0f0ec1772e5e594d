"""An expert's avis in Debian's chromium (Playwright), on the session's ``esmsnum web`` server
(tests/conftest.py ``server``): an instructeur asks the expert's avis on a dossier with a
question; the expert, logged in, sees that dossier only, gives a motivated avis; the
instructeur reads it on the dossier page and in its chronology. No SMTP server is configured:
no mail, no error. Screenshots: ``test-output/screenshots/web-avis-*.png``."""

from __future__ import annotations

from test_reports_pipeline import CALL

from conftest import Session

CASE = "PIE-03"


def test_an_instructeur_asks_an_avis_and_the_expert_gives_it(server, browser):
    base, _, cases = server
    numero = cases[CASE]
    eva = Session(browser, base, "eva")
    expert = eva.page
    listing = eva.context.request.get(f"{base}/appels/{CALL}")  # 404 while no avis is asked of her
    before = listing.text().count("<tr data-dossier=") if listing.ok else 0  # asked by the session's other tests
    assert f'<tr data-dossier="{numero}"' not in listing.text()

    marie = Session(browser, base, "marie")
    page = marie.page
    page.goto(f"{base}/appels/{CALL}/dossiers/{numero}")
    page.select_option("#expert", "eva")
    page.fill("#question", "La convention avec l'éditeur est-elle conforme ?")
    page.click("#form-demande-avis button")
    page.wait_for_load_state()
    assert "Avis demandé à eva." in page.locator(".flash").inner_text()
    assert "Avis en attente." in page.locator("article.avis").last.inner_text()
    marie.shot("avis-demande")

    expert.goto(f"{base}/appels/{CALL}")
    assert expert.locator("#dossiers tbody tr[data-dossier]").count() == before + 1, "the dossier asked, nothing else"
    expert.click(f"a:text-is('{numero}')")
    expert.wait_for_load_state()
    assert expert.locator("details.lift").count() == 0 and expert.locator("#decision").count() == 0
    form = expert.locator("form.form-avis").last
    form.locator("label:text-is('Réservé')").click()
    form.locator("textarea[name=motivation]").fill("Conforme, sous réserve de la signature du DPO.")
    form.locator("button").click()
    expert.wait_for_load_state()
    assert "Avis rendu : Réservé." in expert.locator(".flash").inner_text()
    assert expert.locator("form.form-avis").count() == 0, "given once"
    eva.shot("avis-rendu")
    eva.close()

    page.reload()
    answer = page.locator("article.avis").last.text_content()  # the badge is shown in capitals
    assert "Avis réservé" in answer and "sous réserve de la signature du DPO" in answer
    assert "Avis d'expert : Réservé" in page.locator(".timeline").inner_text()
    marie.close()
