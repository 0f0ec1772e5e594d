"""Reading real files the way a person does: hidden sheets, rows and columns are not read;
Gantt bars coloured in a workbook or a Word table are read; an ESSMS list pasted in the
candidature (docx, odt, PDF) is used like the list in its own file; report.json explains
each reading. Files are written here with the plain libraries (openpyxl, python-docx,
odfpy, fpdf2), in the shapes owners send."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import docx
import openpyxl
import pytest
from openpyxl.styles import PatternFill

from core.config import load_call
from core.limits import Limits
from core.models import ExtractedDocument
from extractors.classify import classify
from extractors.read_docx import read_docx
from extractors.read_odt import read_odt
from extractors.read_pdf import read_pdf
from extractors.read_xlsx import read_xlsx
from extractors.readings import document_readings
from extractors.tables import find_document_tables
from validators.context import DossierData

FINESS = ["010000016", "690781810", "010000024"]
LIST_HEADERS = [
    "N° FINESS de l'établissement",
    "Dénomination de l'ESSMS",
    "Type d'établissement",
    "Nom du gestionnaire",
]
LIST_ROWS = [
    [FINESS[0], "EHPAD Les Tilleuls", "EHPAD", "Association A"],
    [FINESS[1], "IME Le Clos", "IME", "ADAPEI"],
    [FINESS[2], "SSIAD du Val", "SSIAD", "ADMR"],
]


def read(reader, path: Path, **kwargs) -> ExtractedDocument:
    doc = ExtractedDocument(path.name, "0" * 64, path.suffix.lstrip("."))
    reader(path, doc, Limits(), **kwargs)
    return doc


# --------------------------------------------------------------------------- hidden content


@pytest.fixture(scope="module")
def superseded_budget(tmp_path_factory) -> Path:
    """The first sheet is the hidden, superseded budget; in the visible one a row and a
    column are hidden (an ESSMS withdrawn, a working column)."""
    wb = openpyxl.Workbook()
    old = wb.active
    old.title = "Budget v1"
    old.append(["FINESS ET", "Établissement", "Forfait MOA", "Total"])
    old.append([FINESS[0], "EHPAD Les Tilleuls", 99_000, 99_000])
    old.sheet_state = "hidden"
    ws = wb.create_sheet("Budget")
    ws.append(["FINESS ET", "Établissement", "Forfait MOA", "Calcul intermédiaire", "Total"])
    ws.append([FINESS[0], "EHPAD Les Tilleuls", 7000, 1, 7000])
    ws.append([FINESS[1], "IME Le Clos", 7000, 2, 7000])
    ws.append([FINESS[2], "SSIAD retiré", 7000, 3, 7000])
    ws.row_dimensions[4].hidden = True
    ws.column_dimensions["D"].hidden = True
    path = tmp_path_factory.mktemp("hidden") / "budget.xlsx"
    wb.save(path)
    return path


@pytest.mark.parametrize("fast", [True, False], ids=["calamine", "openpyxl"])
def test_hidden_sheet_rows_and_columns_are_not_read_but_listed(superseded_budget, fast):
    doc = read(read_xlsx, superseded_budget, fast=fast)
    assert [g.name for g in doc.grids] == ["Budget"]
    [table] = find_document_tables(doc.grids, doc.file)
    assert [r.get("finess_et").raw for r in table.rows] == FINESS[:2]
    assert table.rows[1].get("total_essms").location.cell == "E3"  # cells keep their place
    assert not table.unmapped  # the hidden column is not a column of the table
    described = [h.describe() for h in doc.hidden]
    assert described == [
        "feuille masquée « Budget v1 » (8 cellules remplies)",
        "ligne 4 masquée de la feuille « Budget » (5 cellules remplies)",
        "colonne D masquée de la feuille « Budget » (4 cellules remplies)",
    ]


def test_hidden_ods_sheet_is_not_read(tmp_path):
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import Style, TableProperties
    from odf.table import Table

    ods = OpenDocumentSpreadsheet()
    hidden_style = Style(name="hidden", family="table")
    hidden_style.addElement(TableProperties(display="false"))
    ods.automaticstyles.addElement(hidden_style)
    for name, style, rows in (
        ("Ancien", hidden_style, [["FINESS ET", "Raison sociale", "Catégorie"], [FINESS[0], "X", "EHPAD"]]),
        ("Liste", None, [LIST_HEADERS, *LIST_ROWS]),
    ):
        table = Table(name=name, stylename=style) if style else Table(name=name)
        _odf_rows(table, rows)
        ods.spreadsheet.addElement(table)
    path = tmp_path / "liste.ods"
    ods.save(str(path))
    from extractors.read_calamine import read_calamine

    doc = read(read_calamine, path)
    assert [g.name for g in doc.grids] == ["Liste"]
    assert [h.sheet for h in doc.hidden] == ["Ancien"]


# --------------------------------------------------------------------------- Gantt bars in colour


def test_gantt_bars_coloured_in_a_workbook(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Planning"
    ws.append(["Calendrier du projet"])
    ws.append(
        ["Étapes", dt.datetime(2023, 1, 1), dt.datetime(2023, 2, 1), dt.datetime(2023, 3, 1), dt.datetime(2023, 4, 1)]
    )
    ws.append(["Cadrage"])
    ws.append(["Déploiement"])
    bar = PatternFill("solid", fgColor="FF4472C4")
    for cell in ("B3", "C4", "D4", "E4"):
        ws[cell].fill = bar
    ws["A2"].fill = PatternFill("solid", fgColor="FFD9D9D9")  # a header style, not a bar
    path = tmp_path / "planning.xlsx"
    wb.save(path)
    for fast in (True, False):
        doc = read(read_xlsx, path, fast=fast)
        [table] = find_document_tables(doc.grids, doc.file)
        got = {
            r.label: (r.get("date_debut").raw, r.get("date_fin").raw, r.get("date_fin").location.cell)
            for r in table.rows
        }
        assert got == {
            "Cadrage": (dt.date(2023, 1, 1), dt.date(2023, 1, 31), "B3"),
            "Déploiement": (dt.date(2023, 2, 1), dt.date(2023, 4, 30), "E4"),
        }


def test_gantt_bars_shaded_in_a_word_table(tmp_path):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = docx.Document()
    document.add_heading("Planning du projet", 1)
    table = document.add_table(rows=3, cols=5)
    for cell, text in zip(table.rows[0].cells, ["Phase", "T1 2024", "T2 2024", "T3 2024", "T4 2024"]):
        cell.text = text
    table.rows[1].cells[0].text = "Formation"
    table.rows[2].cells[0].text = "Bilan"
    for r, c in ((1, 2), (1, 3), (2, 4)):
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:fill"), "70AD47")
        table.rows[r].cells[c]._tc.get_or_add_tcPr().append(shading)
    path = tmp_path / "planning.docx"
    document.save(path)
    doc = read(read_docx, path)
    [planning] = find_document_tables(doc.grids, doc.file)
    got = {r.label: (r.get("date_debut").raw, r.get("date_fin").raw) for r in planning.rows}
    assert got == {
        "Formation": (dt.date(2024, 4, 1), dt.date(2024, 9, 30)),
        "Bilan": (dt.date(2024, 10, 1), dt.date(2024, 12, 31)),
    }


# --------------------------------------------------------------------------- lists inside prose


def _prose_docx(path: Path) -> None:
    document = docx.Document()
    document.add_heading("Dossier de candidature", 0)
    document.add_heading("1. Gouvernance du projet", 1)
    document.add_paragraph("Le comité de pilotage réunit les directeurs des établissements chaque mois. " * 3)
    document.add_paragraph("Liste des établissements engagés dans le projet :")
    table = document.add_table(rows=1, cols=len(LIST_HEADERS))
    for cell, text in zip(table.rows[0].cells, LIST_HEADERS):
        cell.text = text
    for values in LIST_ROWS:
        for cell, text in zip(table.add_row().cells, values):
            cell.text = text
    document.save(path)


def _prose_odt(path: Path) -> None:
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableColumn
    from odf.text import H, P

    odt = OpenDocumentText()
    odt.text.addElement(H(outlinelevel=1, text="Gouvernance du projet"))
    odt.text.addElement(P(text="Le comité de pilotage se réunit chaque mois."))
    table = Table(name="Liste")
    table.addElement(TableColumn(numbercolumnsrepeated=len(LIST_HEADERS)))
    _odf_rows(table, [LIST_HEADERS, *LIST_ROWS])
    odt.text.addElement(table)
    odt.save(str(path))


def _odf_rows(table, rows: list[list[str]]) -> None:
    """Text rows into an odfpy table (of a spreadsheet or of a text document)."""
    from odf.table import TableCell, TableRow
    from odf.text import P

    for values in rows:
        row = TableRow()
        for value in values:
            cell = TableCell(valuetype="string")
            cell.addElement(P(text=value))
            row.addElement(cell)
        table.addElement(row)


def _prose_pdf(path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, "Gouvernance du projet\nLe comite de pilotage se reunit chaque mois.")
    pdf.ln(4)
    pdf.set_font("helvetica", size=9)
    with pdf.table() as table:
        for values in [LIST_HEADERS, *LIST_ROWS]:
            row = table.row()
            for value in values:
                row.cell(value.replace("’", "'").encode("latin-1", "replace").decode("latin-1"))
    pdf.output(str(path))


@pytest.mark.parametrize(
    ("writer", "reader", "suffix"),
    [(_prose_docx, read_docx, "docx"), (_prose_odt, read_odt, "odt"), (_prose_pdf, read_pdf, "pdf")],
    ids=["docx", "odt", "pdf"],
)
def test_an_essms_list_inside_the_candidature_is_used(tmp_path, writer, reader, suffix):
    path = tmp_path / f"candidature.{suffix}"
    writer(path)
    doc = read(reader, path)
    classified = classify([doc])
    data = DossierData("2022-TEST", load_call("ars-ara-2022-regional"), None, [doc], classified)
    assert data.structures is not None and data.structures.file == path.name
    assert [e.finess for e in data.essms] == FINESS
    assert [e.category for e in data.essms][:2] == ["EHPAD", "IME"]
    kinds = {p.kind.value for r in classified.records for p in r.parts}
    assert {"structures", "gouvernance"} <= kinds


# --------------------------------------------------------------------------- report.json readings


def test_readings_say_what_was_read_as_what_and_what_was_left(superseded_budget):
    doc = read(read_xlsx, superseded_budget)
    doc.tables = find_document_tables(doc.grids, doc.file)
    readings = document_readings([doc], {id(doc.tables[0])})
    [table] = readings["tables"]
    assert table["kind"] == "budget_essms" and table["used"] and table["where"] == "Budget"
    assert table["summary"].startswith(
        "budget.xlsx, feuille Budget : lu comme budget par ESSMS (2 lignes, en-têtes ligne 1)"
    )
    by_field = {c["field"]: c for c in table["columns"]}
    assert by_field["forfait_moa"]["header"] == "Forfait MOA" and by_field["forfait_moa"]["score"] == 1.0
    assert by_field["forfait_moa"]["label"] == "forfait maîtrise d'ouvrage"
    assert by_field["forfait_moa"]["location"]["cell"] == "C1"
    assert [h["sheet"] for h in readings["hidden"]] == ["Budget v1", "Budget", "Budget"]
    assert readings["unread"] == []


def test_report_json_carries_the_readings(superseded_budget, tmp_path):
    import shutil

    from extractors.extract import extract
    from judging.analysis import judge_dossier

    dossier = tmp_path / "2022-ARA-T001"
    dossier.mkdir()
    shutil.copy(superseded_budget, dossier / "budget.xlsx")
    _prose_docx(dossier / "candidature.docx")
    report = judge_dossier(
        dossier, load_call("ars-ara-2022-regional"), extract=lambda a, limits: extract(a, limits)
    ).to_json()
    readings = report["readings"]
    used = {(t["file"], t["kind"]) for t in readings["tables"] if t["used"]}
    assert used == {("budget.xlsx", "budget_essms"), ("candidature.docx", "structures")}
    assert {h["description"] for h in readings["hidden"]} >= {"feuille masquée « Budget v1 » (8 cellules remplies)"}


def test_a_converted_amount_is_quoted_with_what_the_owner_typed():
    from core.models import CellValue, Location
    from extractors.units import Unit, convert, quote

    cell = convert(CellValue("12,5", Location("b.xlsx", sheet="Budget", cell="D4")), Unit(1000.0))
    assert cell.raw == 12500.0
    assert quote(cell) == "12\u202f500\u00a0€ (saisi « 12,5 » en k€)"
