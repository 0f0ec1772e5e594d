"""The reports in a real browser (Debian's chromium driven by Playwright, no browser
download): no console error, nothing loaded from outside the file, the summary's filters and
sorting work without a server, the hostile dossier's payloads stay text, cheap accessibility
checks. A full-page screenshot of each page goes to ``test-output/screenshots/``.

``make browser`` installs chromium (apt) where it is missing.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

import pytest
from test_reports_pipeline import FORMULA, HOSTILE_CASE, HOSTILE_FILE, IMG, SCRIPT, reports_run

from conftest import ARGS, CHROMIUM, SCREENSHOTS, load_json, require_chromium

# Contrast of text against its (first opaque) background, WCAG formula; a few selectors only.
CONTRAST_JS = """
(selectors) => {
  const lum = (rgb) => {
    const c = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const parse = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const p = parse(getComputedStyle(e).backgroundColor);
      if (p.length >= 3 && (p.length < 4 || p[3] > 0.5)) { return p.slice(0, 3); }
    }
    return [255, 255, 255];
  };
  const out = [];
  for (const selector of selectors) {
    for (const el of Array.from(document.querySelectorAll(selector)).slice(0, 5)) {
      if (!el.textContent.trim() || !el.offsetParent) { continue; }
      const fg = parse(getComputedStyle(el).color).slice(0, 3);
      const [a, b] = [lum(fg), lum(background(el))];
      out.push([selector, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)]);
    }
  }
  return out;
}
"""


@pytest.fixture(scope="module")
def browser_context():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="esmsnum-chromium-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            args=ARGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
            locale="fr-FR",
            java_script_enabled=True,
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="module")
def run():
    return reports_run()


class Visit:
    """A page opened from disk, with everything it tried to do recorded."""

    def __init__(self, context, path: Path) -> None:
        self.url = path.resolve().as_uri()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page = context.new_page()
        self.page.on(
            "console", lambda m: self.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None
        )
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", self._dialog)
        self.page.goto(self.url, wait_until="load")

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def check(self, name: str) -> None:
        page = self.page
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        assert not self.errors, self.errors
        assert not self.dialogs, f"a script ran: {self.dialogs}"
        outside = [u for u in self.requests if u != self.url and not u.startswith("data:")]
        assert not outside, f"requests leaving the page: {outside}"
        assert page.evaluate("document.documentElement.lang") == "fr"
        assert page.locator("h1").count() == 1
        csp = page.locator('meta[http-equiv="Content-Security-Policy"]').get_attribute("content")
        assert "default-src 'none'" in csp
        images = page.locator("img")
        for i in range(images.count()):
            image = images.nth(i)
            assert (image.get_attribute("alt") or "").strip(), "every image has a text alternative"
            assert image.get_attribute("src").startswith("data:image/png;base64,")
            assert image.evaluate("img => img.complete && img.naturalWidth > 0"), "the image decodes"
        tables = page.locator("table")
        for i in range(tables.count()):
            assert tables.nth(i).locator("th").count() > 0, "every table has header cells"
        headers = page.locator("th")
        for i in range(headers.count()):
            assert headers.nth(i).get_attribute("scope") in ("col", "row"), "every header cell has a scope"
        for selector, ratio in page.evaluate(
            CONTRAST_JS, ["body p", ".sev", ".verdict", "th", "td", "a", "footer", ".sub", "dt", "figcaption"]
        ):
            assert ratio >= 4.5, f"contrast {ratio:.2f} of {selector}"
        page.emulate_media(media="print")
        assert page.evaluate("getComputedStyle(document.querySelector('.toc')).display") == "none"
        page.emulate_media(media="screen")

    def close(self) -> None:
        self.page.close()


def _open(context, path: Path, name: str) -> Visit:
    visit = Visit(context, path)
    visit.check(name)
    return visit


@pytest.mark.parametrize(
    "case, name",
    [
        ("clean-workbook", "report-recevable"),
        ("BUD-03", "report-a-completer-rows"),
        ("GRP-05", "report-a-completer-pdf-image"),
        ("GRP-06", "report-non-recevable"),
    ],
)
def test_dossier_reports_in_chromium(browser_context, run, case, name):
    out, cases = run
    report = load_json(out / cases[case] / "report.json")
    visit = _open(browser_context, out / cases[case] / "report.html", name)
    page = visit.page
    verdict = {"recevable": "Recevable", "a_completer": "À compléter", "non_recevable": "Non recevable"}[
        report["verdict"]
    ]
    assert page.locator(".verdict").inner_text() == verdict
    assert page.get_by_text(report["verdict_reason"], exact=True).is_visible()
    findings = page.locator("article.finding")
    assert findings.count() == len(report["findings"])
    if case == "BUD-03":
        row = page.locator("table.evidence-rows td.hl mark")
        assert row.count() >= 1 and row.first.is_visible()
        assert page.locator("#courrier").is_visible()
        assert "demande de pièces complémentaires" in page.locator("#courrier").inner_text()
        assert page.locator('a[href="courrier.pdf"]').first.is_visible()
        page.locator("section:has(#courrier)").screenshot(path=str(SCREENSHOTS / "report-letter-complement.png"))
    if report["verdict"] == "non_recevable":
        letter = page.locator("section:has(#courrier)")
        assert (
            "notification d'irrecevabilité" in letter.inner_text() and "tribunal administratif" in letter.inner_text()
        )
        letter.screenshot(path=str(SCREENSHOTS / f"{name}-letter.png"))
    if case == "GRP-05":
        image = page.locator("figure.evidence img").first
        assert image.is_visible() and image.evaluate("img => img.naturalHeight") > 20
    if case == "clean-workbook":
        assert page.get_by_text("Aucun constat : toutes les règles").is_visible()
        # a recevable dossier confirmed without opening its files: pieces, ESSMS, deposit window
        pieces = page.locator("#pieces-table tbody tr")
        assert pieces.count() == len(report["call_snapshot"]["required_documents"]) > 0
        assert page.locator("#pieces-table .piece-status.presente").count() == pieces.count()
        assert page.locator("#essms-table tbody tr").count() == report["essms_listed"]
        assert page.locator(".deposit-status").inner_text() == "déposé dans les délais de l'appel"
        assert "Fenêtre de l'appel : du " in page.locator(".deposit").inner_text()
        page.locator("section:has(#pieces-exigees)").screenshot(path=str(SCREENSHOTS / "report-pieces.png"))
        page.locator("section:has(#essms)").screenshot(path=str(SCREENSHOTS / "report-essms.png"))
    for i in range(findings.count()):
        link = findings.nth(i).locator("a.rule-id")
        href = link.get_attribute("href")
        assert href.startswith("../regles.html#"), href  # relative: works from any copy of the folder
    visit.close()


def test_hostile_dossier_payloads_stay_text_in_chromium(browser_context, run):
    out, cases = run
    visit = _open(browser_context, out / cases[HOSTILE_CASE] / "report.html", "report-hostile")
    page = visit.page
    assert page.evaluate("document.scripts.length") == 0
    assert page.locator('img[src="x"]').count() == 0
    for payload in (SCRIPT, IMG, FORMULA):
        assert page.get_by_text(payload).first.is_visible(), payload
    documents = load_json(out / cases[HOSTILE_CASE] / "report.json")["documents"]
    if any(d["file"] == HOSTILE_FILE for d in documents):  # where the filesystem allowed the name
        assert page.get_by_text(HOSTILE_FILE).first.is_visible()
    assert not visit.dialogs
    visit.close()


def _visible_rows(page) -> list:
    return page.locator("#dossiers-table tbody tr:visible")


def test_summary_filters_and_sorts_without_a_server(browser_context, run):
    out, cases = run
    summary = load_json(out / "summary.json")
    visit = _open(browser_context, out / "summary.html", "summary")
    page = visit.page
    total = len(summary["dossiers"])
    assert _visible_rows(page).count() == total
    assert page.locator("#filtres").is_visible()  # shown by the script
    assert page.locator("#dossiers-compte").inner_text() == f"{total} dossiers affichés sur {total}"

    page.select_option("#filtre-verdict", "non_recevable")
    expected = [d["dossier"] for d in summary["dossiers"] if d["verdict"] == "non_recevable"]
    rows = _visible_rows(page)
    assert rows.count() == len(expected) > 0
    assert sorted(rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())) == sorted(expected)

    page.click("#filtre-reset")
    assert _visible_rows(page).count() == total
    page.select_option("#filtre-regle", "BUD-03")
    rows = _visible_rows(page)
    assert [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())] == [cases["BUD-03"]]

    page.click("#filtre-reset")
    department = summary["dossiers"][0]["departments"][0]
    page.select_option("#filtre-departement", department)
    expected = [d["dossier"] for d in summary["dossiers"] if department in d["departments"]]
    assert _visible_rows(page).count() == len(expected)

    page.click("#filtre-reset")
    page.fill("#filtre-texte", cases["GRP-06"])
    rows = _visible_rows(page)
    assert rows.count() == 1 and rows.first.locator("td").first.locator("a").inner_text() == cases["GRP-06"]
    page.fill("#filtre-texte", "")

    header = page.locator("#dossiers-table thead th", has_text="Demandé")
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    amounts = [d["amount_requested"] or 0 for d in summary["dossiers"]]
    sorted_rows = _visible_rows(page)
    cells = [
        float(sorted_rows.nth(i).locator("td").nth(5).get_attribute("data-sort") or 0)
        for i in range(sorted_rows.count())
    ]
    assert cells == sorted(amounts)
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    cells = [
        float(sorted_rows.nth(i).locator("td").nth(5).get_attribute("data-sort") or 0)
        for i in range(sorted_rows.count())
    ]
    assert cells == sorted(amounts, reverse=True)
    assert page.locator('#dossiers-table thead th[aria-sort="ascending"]').count() == 0

    # the hostile owner's name is text, and the page ran only its own script
    assert page.get_by_text(FORMULA).first.is_visible()
    assert page.evaluate("document.scripts.length") == 1
    assert not visit.dialogs
    visit.close()


def test_rules_page_has_an_anchor_per_rule(browser_context, run):
    from validators.registry import all_rules

    out, _ = run
    visit = _open(browser_context, out / "regles.html", "regles")
    for rule_id in all_rules():
        assert visit.page.locator(f"#{rule_id.lower()}").count() == 1, rule_id
    assert "7\u202f000\u00a0€" in visit.page.locator("#bud-03").inner_text()  # the call's forfait, with its source
    visit.close()


def test_summary_sections_in_chromium(browser_context, run):
    out, cases = run
    summary = load_json(out / "summary.json")
    visit = Visit(browser_context, out / "summary.html")
    page = visit.page
    first = page.locator("main > section").first
    assert first.locator("h2").get_attribute("id") == "dossiers"  # the dossiers come first
    row = page.locator("#dossiers-table tbody tr", has=page.locator(f'a:text-is("{cases["BUD-03"]}")'))
    assert row.locator(".rule-badge.a_corriger").inner_text().startswith("BUD-03")
    dossier = next(d for d in summary["dossiers"] if d["dossier"] == cases["BUD-03"])
    from core.french import date_short as date_fr
    from core.french import datetime_short as datetime_fr

    assert row.locator("td").nth(2).get_attribute("title") == datetime_fr(dossier["date_depot"])
    assert row.locator("td").nth(2).inner_text() == date_fr(dossier["date_depot"])
    tech = page.locator("#details-techniques")
    if tech.count():
        assert not page.locator("section:has(#details-techniques) dl").is_visible()  # collapsed
    page.locator("section:has(#dossiers)").screenshot(path=str(SCREENSHOTS / "summary-dossiers.png"))
    visit.close()


def _links(page) -> list[str]:
    return page.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")


def _follow_every_link(context, start: str, root_url: str) -> tuple[int, list[str]]:
    """Open ``start``, then every page and file it links to under ``root_url``; (links
    followed, broken ones). An anchor must name an element of its page."""
    page = context.new_page()
    seen_pages: set[str] = set()
    checked: set[str] = set()
    anchors: dict[str, set[tuple[str, str]]] = {}
    broken: list[str] = []
    todo = [start]
    while todo:
        url = todo.pop()
        base = url.split("#")[0]
        if base in seen_pages:
            continue
        seen_pages.add(base)
        response = page.goto(base, wait_until="load")
        if response is not None and not response.ok:
            broken.append(f"{base} ({response.status})")
            continue
        for link in _links(page):
            if link in checked:
                continue
            checked.add(link)
            if not link.startswith(root_url):
                broken.append(f"{base} -> {link} (hors du dossier)")
                continue
            target, _, anchor = link.partition("#")
            if target.endswith(".html"):
                todo.append(link)
                if anchor:
                    anchors.setdefault(target, set()).add((base, anchor))
            elif target.startswith("file:"):
                if not Path(url2pathname(urlparse(target).path)).is_file():
                    broken.append(f"{base} -> {link} (fichier absent)")
            else:
                response = page.request.get(target)
                if not response.ok:
                    broken.append(f"{base} -> {link} ({response.status})")
    for target, wanted in anchors.items():  # each anchor names an element of its page
        page.goto(target, wait_until="load")
        ids = set(page.evaluate("Array.from(document.querySelectorAll('[id]')).map(e => e.id)"))
        broken += [f"{base} -> {target}#{anchor} (ancre absente)" for base, anchor in wanted if anchor not in ids]
    page.close()
    return len(checked), broken


def test_a_copied_output_folder_keeps_every_link(browser_context, run, tmp_path):
    """A colleague's copy of the output folder, opened from disk and served over HTTP: every
    link of every page (reports, summary, rules, letters, exports) leads somewhere."""
    import functools
    import http.server
    import shutil
    import threading
    import zipfile

    out, _ = run
    copy = tmp_path / "copie d'un collègue" / "appel"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns(".esmsnum"))
    followed, broken = _follow_every_link(browser_context, (copy / "summary.html").as_uri(), copy.as_uri())
    assert followed > 50 and not broken, broken

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(copy))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        root = f"http://127.0.0.1:{server.server_address[1]}/"
        followed, broken = _follow_every_link(browser_context, root + "summary.html", root)
        assert followed > 50 and not broken, broken
    finally:
        server.shutdown()

    # the spreadsheet's links too, relative to the copy
    with zipfile.ZipFile(copy / "summary.xlsx") as archive:
        rels = "".join(archive.read(n).decode("utf-8") for n in archive.namelist() if n.endswith(".rels"))
    targets = re.findall(r'Target="([^"]+)" TargetMode="External"', rels)
    assert targets
    for target in targets:
        assert (copy / unquote(target.replace("\\", "/"))).is_file(), target
