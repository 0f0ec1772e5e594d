"""Evidence of findings: table rows around a cell, a PNG of the PDF region (rendered in the
sandbox), and never an exception."""

from __future__ import annotations

import base64
import io
from types import SimpleNamespace

import pytest

from conftest import a_report
from core.limits import Limits
from core.models import CellValue, ExtractedDocument, Grid, Location
from extractors.render import MAX_PNG_BYTES, MAX_WIDTH_PX, render_regions
from extractors.sandbox import render_isolated
from reports.evidence import attach_evidence


def _grid(file: str, sheet: str, rows: list[list[object]]) -> Grid:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return Grid(
        sheet,
        [
            [CellValue(v, Location(file, sheet=sheet, cell=f"{letters[c]}{r + 1}")) for c, v in enumerate(row)]
            for r, row in enumerate(rows)
        ],
    )


def _data(*documents: ExtractedDocument):
    return SimpleNamespace(documents=list(documents), classified=SimpleNamespace(tables={}))


@pytest.fixture(scope="module")
def tall_pdf(tmp_path_factory):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=9)
    pdf.cell(0, 8, "Structures engagées dans le projet", new_x="LMARGIN", new_y="NEXT")
    with pdf.table(col_widths=(30, 60, 30)) as table:
        row = table.row()
        for text in ("FINESS ET", "Raison sociale", "Forfait MOA"):
            row.cell(text)
        for i in range(40):
            row = table.row()
            for text in (f"{690000000 + i}", f"EHPAD numéro {i}", "7000" if i != 35 else "8000"):
                row.cell(text)
    path = tmp_path_factory.mktemp("pdf") / "structures.pdf"
    pdf.output(str(path))
    return path


def _png(result):
    from PIL import Image

    data = base64.b64decode(result["png_base64"])
    assert data.startswith(b"\x89PNG") and len(data) <= MAX_PNG_BYTES
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_budget_cell_gets_the_rows_around_it_with_the_header():
    rows = [["Budget par ESSMS", None, None], ["FINESS ET", "Raison sociale", "Forfait MOA"]]
    rows += [[f"69000000{i}", f"EHPAD {i}", 7000.0] for i in range(8)]
    rows[7][2] = 8000.0  # the cell of the finding: C8
    doc = ExtractedDocument("Budget.xlsx", "0" * 64, "xlsx", grids=[_grid("Budget.xlsx", "Budget", rows)])
    finding = {
        "rule": "BUD-03",
        "severity": "a_corriger",
        "message": "8 000 € au lieu de 7 000 €",
        "location": {"file": "Budget.xlsx", "sheet": "Budget", "cell": "C8", "page": None, "detail": None},
    }
    report = a_report(dossier="X", findings=[finding])
    attach_evidence(report, _data(doc), {}, Limits(isolate=False))
    evidence = report.findings[0].evidence
    assert evidence["kind"] == "rows" and evidence["sheet"] == "Budget"
    assert evidence["header"] == ["Budget par ESSMS", "", ""]  # no recognised table: the first row
    r, c = evidence["highlight"]
    assert evidence["rows"][r][c] == "8000" and evidence["row_labels"][r] == "8" and evidence["columns"][c] == "C"
    assert len(evidence["rows"]) == 5  # two rows above, two below


def test_pdf_finding_gets_a_png_of_its_region_rendered_in_the_sandbox(tall_pdf):
    requests = [
        {"page": 1, "needles": ["8000"], "row_key": "690000035"},
        {"page": 1, "whole_page": True},
        {"page": 9, "needles": ["8000"]},
    ]
    results = render_isolated(str(tall_pdf), requests, Limits())
    region, thumbnail, missing = results
    assert region["matched"] and region["page"] == 1
    image = _png(region)
    assert image.width <= MAX_WIDTH_PX and image.height <= 700
    assert thumbnail["width"] <= 600 and not thumbnail["matched"]
    _png(thumbnail)
    assert missing is None  # no page 9


def test_words_not_found_still_show_the_top_of_the_page(tall_pdf):
    (result,) = render_regions(str(tall_pdf), [{"page": 1, "needles": ["introuvable ici"]}])
    assert not result["matched"]
    _png(result)


def test_rendering_a_broken_file_yields_no_image(tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 broken")
    assert render_isolated(str(broken), [{"page": 1, "needles": ["x"]}], Limits()) == [None]
    assert render_isolated(str(tmp_path / "absent.pdf"), [{"page": 1}], Limits(isolate=False)) == [None]


def test_attach_evidence_never_raises():
    odd = [
        {"rule": "GRP-01", "severity": "a_corriger", "message": "?"},
        {"rule": "X", "severity": "alerte", "message": "?", "location": None},
        {"rule": "Y", "severity": "alerte", "message": "?", "location": {"file": "absent.xlsx", "cell": "A1"}},
        {"rule": "Z", "severity": "alerte", "message": "?", "location": {"file": "a.pdf", "page": 99}},
    ]
    report = a_report(dossier="X", findings=odd)
    attach_evidence(report, None, {}, None)
    attach_evidence(
        report, _data(ExtractedDocument("a.pdf", "0" * 64, "pdf", scanned=True)), {"a.pdf": "/nonexistent"}, None
    )
    attach_evidence(None, None, {}, None)  # not even a report
    assert all(f.evidence is None for f in report.findings)


def test_a_scan_sent_as_a_picture_gets_a_thumbnail(tmp_path):
    from PIL import Image

    scan = tmp_path / "liste.png"
    Image.new("RGB", (1700, 2300), "white").save(scan)
    doc = ExtractedDocument("liste.png", "0" * 64, "png", scanned=True)
    finding = {
        "rule": "PIE-03",
        "severity": "a_corriger",
        "message": "scan",
        "location": {"file": "liste.png", "sheet": None, "cell": None, "page": None, "detail": None},
    }
    report = a_report(dossier="X", findings=[finding])
    attach_evidence(report, _data(doc), {"liste.png": scan}, Limits())
    evidence = report.findings[0].evidence
    assert evidence["kind"] == "image" and "image scannée" in evidence["alt"]
    image = _png(evidence)
    assert image.width <= 600
