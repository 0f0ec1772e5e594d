"""Reports through the real pipeline: generated dossiers, one of them made hostile
(``<script>``, ``<img onerror>`` and ``=HYPERLINK(...)`` in its cells, its owner's name and
its file names), run with ``esmsnum run``; the HTML escapes them, the exports neutralise
them, the letter and the evidence are written.

``reports_run()`` builds the run once per test session; ``tests/test_browser.py`` opens the
same files in chromium.
"""

from __future__ import annotations

import atexit
import csv
import functools
import io
import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from markupsafe import escape

from conftest import esmsnum, import_finess, load_json

CALL = "ars-ara-2022-regional"
CASES = ("clean-workbook", "BUD-02", "BUD-03", "GRP-05", "GRP-06", "PIE-03")
HOSTILE_CASE = "BUD-02"  # its budget rows next to the flagged total carry the payloads
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("http://evil","x")'
HOSTILE_FILE = f"{IMG}.pdf"
FORMULA_FILE = "=1+2.pdf"


def _xml_text(text: str) -> str:
    """A string as the fixtures' xlsx writer stores it inline (escaped, non-ASCII as &#N;)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "".join(c if ord(c) < 128 else f"&#{ord(c)};" for c in escaped)


def _rename_in_workbook(path: Path, renames: dict[str, str]) -> int:
    """Replace inline strings in every sheet of an xlsx (cached formula values kept)."""
    import zipfile

    buffer = io.BytesIO()
    replaced = 0
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                text = data.decode("utf-8")
                for old, new in renames.items():
                    for form in {f"<t>{_xml_text(old)}</t>", f"<t>{old}</t>"}:
                        replaced += text.count(form)
                        text = text.replace(form, f"<t>{_xml_text(new)}</t>")
                data = text.encode("utf-8")
            target.writestr(item, data)
    path.write_bytes(buffer.getvalue())
    return replaced


def _make_hostile(dossier: Path) -> dict[str, str]:
    """Payloads in the dossier's cells, owner's name and file names; returns what was replaced."""
    import openpyxl

    workbook_path = dossier / "Dossier_complet.xlsx"
    workbook = openpyxl.load_workbook(workbook_path, read_only=True)
    sheet = workbook["Financement ESSMS"]
    rows = [r for r in sheet.iter_rows(values_only=True) if r and r[0]]
    workbook.close()
    total = next(i for i, r in enumerate(rows) if str(r[0]).lower().startswith("total"))
    names = {str(rows[total - 1][1]): SCRIPT, str(rows[total - 2][1]): IMG, str(rows[total - 3][1]): FORMULA}
    assert _rename_in_workbook(workbook_path, names) >= 6, "the payloads must replace names in the list and budget"
    form = json.loads((dossier / "dossier.json").read_text(encoding="utf-8"))
    form["porteur"]["raison_sociale"] = FORMULA
    (dossier / "dossier.json").write_text(json.dumps(form, ensure_ascii=False, indent=2), encoding="utf-8")
    try:
        (dossier / HOSTILE_FILE).write_bytes(b"%PDF-1.4 not really a pdf")
    except OSError:  # a filesystem that refuses the name: the other payloads remain
        pass
    (dossier / FORMULA_FILE).write_bytes(b"%PDF-1.4 not really a pdf either")
    return names


@functools.lru_cache(maxsize=1)
def reports_run() -> tuple[Path, dict[str, str]]:
    """(out dir, case id → dossier number) of one ``esmsnum run`` over the test dossiers."""
    from fixtures.generate import generate

    root = Path(tempfile.mkdtemp(prefix="esmsnum-reports-"))
    atexit.register(shutil.rmtree, root, True)
    expected = generate(root / "fixtures", calls=[CALL], only=list(CASES))[CALL]
    cases = {item["case"]: numero for numero, item in expected["dossiers"].items()}
    _make_hostile(root / "fixtures" / CALL / "dossiers" / cases[HOSTILE_CASE])
    out = root / "out"
    finess = import_finess(root / "fixtures" / CALL, root / "finess")  # as a reviewer runs it: ESSMS checked in FINESS
    proc = esmsnum(
        "run", str(root / "fixtures" / CALL / "dossiers"), "--call", CALL, "--out", str(out), "--finess", str(finess)
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, cases


@pytest.fixture(scope="module")
def run() -> tuple[Path, dict[str, str]]:
    return reports_run()


def _report(run, case: str) -> dict:
    out, cases = run
    return load_json(out / cases[case] / "report.json")


def _html(run, case: str) -> str:
    out, cases = run
    return (out / cases[case] / "report.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- safety


def test_payloads_are_text_in_the_dossier_report(run):
    page = _html(run, HOSTILE_CASE)
    assert SCRIPT not in page and "<img src=x" not in page
    assert str(escape(SCRIPT)) in page  # shown, as text, in the evidence rows
    assert str(escape(IMG)) in page
    assert str(escape(FORMULA)) in page
    # the only <script> and <img> elements are ours: none in a report, only data: images
    assert "<script" not in page
    assert all(src.startswith("data:image/png;base64,") for src in re.findall(r'<img[^>]*\bsrc="([^"]*)"', page))


def test_payloads_are_text_in_the_summary(run):
    out, _ = run
    page = (out / "summary.html").read_text(encoding="utf-8")
    assert "<img src=x" not in page and SCRIPT not in page
    assert page.count("<script") == 1  # the table script, allowed by its hash only
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+'", page)
    assert str(escape(FORMULA)) in page  # the owner's name, escaped


def test_every_page_forbids_remote_loads(run):
    out, cases = run
    pages = [out / "summary.html"] + [out / numero / "report.html" for numero in cases.values()]
    for path in pages:
        page = path.read_text(encoding="utf-8")
        assert '<html lang="fr">' in page
        assert "default-src 'none'" in page and "img-src data:" in page
        assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", page), path
        assert "@import" not in page and "url(" not in page


# --------------------------------------------------------------------------- exports


def test_xlsx_stores_dossier_text_as_strings_never_formulas(run):
    import openpyxl

    out, cases = run
    workbook = openpyxl.load_workbook(out / "summary.xlsx")  # formulas would come back as "=…" of type "f"
    assert workbook.sheetnames == ["Appel", "Dossiers", "Constats"]
    dossiers = workbook["Dossiers"]
    header = [c.value for c in dossiers[1]]
    numbers = [r[0].value for r in dossiers.iter_rows(min_row=2)]
    assert set(numbers) == set(cases.values())
    hostile = next(r for r in dossiers.iter_rows(min_row=2) if r[0].value == cases[HOSTILE_CASE])
    porteur = hostile[header.index("Porteur")]
    assert porteur.value == FORMULA and porteur.data_type == "s"
    assert hostile[header.index("Verdict")].value == "À compléter"
    assert isinstance(hostile[header.index("Montant demandé (€)")].value, (int, float))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
    findings = workbook["Constats"]
    f_header = [c.value for c in findings[1]]
    files = [r[f_header.index("Fichier")].value for r in findings.iter_rows(min_row=2)]
    assert FORMULA_FILE in files
    report = _report(run, "BUD-03")
    rows = [r for r in findings.iter_rows(min_row=2, values_only=True) if r[0] == cases["BUD-03"]]
    assert len(rows) == len(report["findings"])
    bud = next(r for r in rows if r[f_header.index("Règle")] == "BUD-03")
    assert bud[f_header.index("Cellule")] and bud[f_header.index("Action demandée au porteur")]


def test_csv_is_french_excel_ready_and_neutralised(run):
    out, cases = run
    raw = (out / "summary.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header = rows[0]
    assert header[:4] == ["Dossier", "Porteur", "Déposé le", "Verdict"]  # the order of summary.html
    by_dossier = {r[0]: r for r in rows[1:]}
    assert set(by_dossier) == set(cases.values())
    hostile = by_dossier[cases[HOSTILE_CASE]]
    assert hostile[header.index("Porteur")] == "'" + FORMULA
    amount = hostile[header.index("Montant demandé (€)")]
    assert re.fullmatch(r"\d+,\d\d", amount)
    for row in rows[1:]:
        for value in row:
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


# --------------------------------------------------------------------------- letter, evidence


def test_each_dossier_gets_the_letter_its_verdict_calls_for(run):
    from docx import Document

    out, cases = run
    assert not (out / cases["clean-workbook"] / "courrier.docx").exists()  # recevable: no letter
    # an ESSMS outside the region is excluded and the owner asked to remove it (GRP-05, à corriger)
    assert _report(run, "GRP-05")["verdict"] == "a_completer"
    assert (out / cases["GRP-05"] / "courrier.docx").is_file()
    report = _report(run, "BUD-03")
    assert report["verdict"] == "a_completer"
    assert (out / cases["BUD-03"] / "courrier.docx").is_file() and (out / cases["BUD-03"] / "courrier.pdf").is_file()
    page = _html(run, "BUD-03")
    assert "Courrier au porteur : demande de pièces complémentaires" in page and 'href="courrier.pdf"' in page
    refused = _report(run, "GRP-06")  # too few eligible ESSMS once the USLD is excluded
    assert refused["verdict"] == "non_recevable"
    text = "\n".join(p.text for p in Document(str(out / cases["GRP-06"] / "courrier.docx")).paragraphs)
    assert "notification d'irrecevabilité" in text and "Base réglementaire : " in text
    summary = load_json(out / "summary.json")
    letters = {d["dossier"]: (d["letter"], d["letter_pdf"]) for d in summary["dossiers"]}
    assert letters[cases["BUD-03"]] == (f"{cases['BUD-03']}/courrier.docx", f"{cases['BUD-03']}/courrier.pdf")
    assert letters[cases["clean-workbook"]] == (None, None)


def test_hostile_letter_keeps_the_payloads_as_text(run):
    from docx import Document

    out, cases = run
    document = Document(str(out / cases[HOSTILE_CASE] / "courrier.docx"))
    text = "\n".join(p.text for p in document.paragraphs)
    assert FORMULA in text  # the owner, named as written
    assert HOSTILE_FILE in text or FORMULA_FILE in text  # the unreadable files to send again


def test_table_findings_carry_rows_and_pdf_findings_an_image(run):
    import base64

    bud = next(f for f in _report(run, "BUD-03")["findings"] if f["rule"] == "BUD-03")
    evidence = bud["evidence"]
    assert evidence["kind"] == "rows"
    r, c = evidence["highlight"]
    cell = bud["location"]["cell"]
    assert evidence["row_labels"][r] == re.sub(r"^[A-Z]+", "", cell)
    assert evidence["columns"][c] == re.sub(r"\d+$", "", cell)
    grp = next(f for f in _report(run, "GRP-05")["findings"] if f["rule"] == "GRP-05")
    assert grp["location"]["page"], "the fixture's list of structures is a PDF"
    image = grp["evidence"]
    assert image["kind"] == "image" and image["matched"]
    png = base64.b64decode(image["png_base64"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) < 400_000


def test_report_shows_the_finding_from_verdict_to_cell(run):
    page = _html(run, "BUD-03")
    report = _report(run, "BUD-03")
    finding = next(f for f in report["findings"] if f["rule"] == "BUD-03")
    assert str(escape(report["verdict_reason"])) in page
    assert 'class="rule-id" href="../regles.html#bud-03"' in page
    assert "À faire par le porteur" in page and str(escape(finding["action"])) in page
    assert f"cellule {finding['location']['cell']}" in page
    assert '<td class="hl"><mark>' in page
