"""Typed locations: the readers fill typed fields, ``Location.describe`` is the one French
wording of every report, letter and export, the letter never shows an internal field name,
evidence reads typed fields, and fingerprints (waivers, history) survive the change."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
import yaml

from core.config import load_call
from core.french import FORM_FIELD_LABELS
from core.limits import Limits
from core.models import (
    DOSSIER_FILE,
    Attachment,
    CellValue,
    ExtractedDocument,
    Grid,
    Location,
    describe_location,
)
from extractors.extract import extract
from extractors.form import read_form_json, read_form_pdf
from extractors.intake import sha256_file
from judging.analysis import analyse_dossiers
from judging.finalize import finding_fingerprint
from reports.evidence import _Index, rows_evidence

CALL = "ars-ara-2022-regional"
CASES = ["clean-pdf-structures", "clean-ds", "BUD-07", "GRP-10"]
CONTRACT_KEYS = {"file", "sheet", "cell", "page"}


@pytest.fixture(scope="module")
def call_dir(tmp_path_factory) -> Path:
    """A few dossiers of the fixtures generator: a printed PDF list, a Démarches simplifiées
    export, form fields that disagree with the attachments."""
    from fixtures.generate import generate

    out = tmp_path_factory.mktemp("locations")
    generate(out, calls=[CALL], only=CASES)
    return out / CALL / "dossiers"


@pytest.fixture(scope="module")
def expected(call_dir) -> dict[str, str]:
    """case id → dossier number."""
    data = json.loads((call_dir.parent / "expected.json").read_text(encoding="utf-8"))
    return {d["case"]: numero for numero, d in data["dossiers"].items()}


@pytest.fixture(scope="module")
def reports(call_dir, tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("locations-out")
    paths = sorted(p for p in call_dir.iterdir() if not p.name.startswith("."))
    return analyse_dossiers(paths, load_call(CALL), out)


def _read(path: Path, rel: str) -> ExtractedDocument:
    attachment = Attachment(rel, sha256_file(path), path.stat().st_size, str(path))
    return extract(attachment, Limits(isolate=False))


# --------------------------------------------------------------------------- describe


@pytest.mark.parametrize(
    ("location", "text"),
    [
        (Location("Budget.xlsx", sheet="Budget", cell="D12"), "Budget.xlsx, feuille Budget, cellule D12"),
        (Location("liste.csv", cell="B7"), "liste.csv, cellule B7"),
        (Location("annexe.pdf", page=3), "annexe.pdf, page 3"),
        (Location("annexe.pdf", page=2, table=1, row=4, column=3), "annexe.pdf, page 2, tableau 1, ligne 4, colonne 3"),
        (Location("annexe.pdf", page=2, table=1, row=0, column=3), "annexe.pdf, page 2, tableau 1, en-tête"),
        (Location("Projet.docx", table=2, row=1, column=5), "Projet.docx, tableau 2, ligne 1, colonne 5"),
        (Location("Projet.docx", paragraph=12), "Projet.docx, paragraphe 12"),
        (Location("dossier.json", field="montant_demande"), "formulaire en ligne, champ « Montant total demandé »"),
        (
            Location("export-12.pdf", page=1, field="porteur.finess_ej"),
            "formulaire en ligne, champ « FINESS juridique du porteur » (export-12.pdf, page 1)",
        ),
        (
            Location("dossier.json", field="porteur.adresse_postale"),
            "formulaire en ligne, champ « porteur, adresse postale »",
        ),
        (Location(DOSSIER_FILE), "ensemble du dossier"),
    ],
)
def test_describe_is_one_french_wording(location, text):
    assert location.describe() == text
    assert describe_location(location) == text
    assert describe_location(location.to_dict()) == text


def test_to_dict_keeps_the_contract_and_round_trips():
    location = Location("annexe.pdf", page=2, table=1, row=4, column=3)
    data = location.to_dict()
    assert set(data) >= CONTRACT_KEYS
    assert {k: data[k] for k in CONTRACT_KEYS} == {"file": "annexe.pdf", "sheet": None, "cell": None, "page": 2}
    assert (data["table"], data["row"], data["column"]) == (1, 4, 3)
    assert data["detail"] == "tableau 1, ligne 4, colonne 3"  # computed, for the readers of earlier reports
    assert Location.from_dict(data) == location
    assert Location.from_dict(json.loads(json.dumps(data))) == location
    assert Location("Budget.xlsx", sheet="Budget", cell="D12").to_dict()["detail"] is None


def test_a_location_written_before_typed_fields_is_still_described():
    legacy = {"file": "Projet.docx", "sheet": None, "cell": None, "page": None, "detail": "paragraphe 3"}
    assert describe_location(legacy) == "Projet.docx, paragraphe 3"
    assert (
        describe_location(
            {"file": "(dossier)", "sheet": None, "cell": None, "page": None, "detail": "ensemble du dossier"}
        )
        == "ensemble du dossier"
    )
    assert describe_location(None) == ""


def test_form_field_labels_are_the_names_the_pdf_export_is_read_by():
    """The catalogue's label of a form key is the first name ``headers.yaml`` reads it by."""
    headers = yaml.safe_load((Path(__file__).resolve().parents[1] / "extractors" / "headers.yaml").read_text("utf-8"))
    for key, synonyms in headers["form_labels"].items():
        assert FORM_FIELD_LABELS[key] == synonyms[0], key


# --------------------------------------------------------------------------- readers


def test_docx_paragraphs_are_numbered(call_dir, expected):
    folder = call_dir / expected["clean-pdf-structures"]
    [docx] = folder.glob("*.docx")
    doc = _read(docx, docx.name)
    assert doc.readable and doc.text
    assert [b.location.paragraph for b in doc.text] == list(range(1, len(doc.text) + 1))
    assert all(b.location == Location(docx.name, paragraph=b.location.paragraph) for b in doc.text)
    assert doc.text[0].location.describe() == f"{docx.name}, paragraphe 1"


def test_pdf_table_cells_have_page_table_row_and_column(call_dir, expected):
    folder = call_dir / expected["clean-pdf-structures"]
    [pdf] = folder.glob("*.pdf")
    doc = _read(pdf, pdf.name)
    assert doc.readable and doc.grids
    cells = [cell for grid in doc.grids for row in grid.rows for cell in row]
    assert all(c.location.page and c.location.table and c.location.column for c in cells)
    for grid in doc.grids:
        for _r, row in enumerate(grid.rows):
            rows = {c.location.row for c in row}
            assert len(rows) == 1  # one row of the grid is one row of the table
            assert [c.location.column for c in row] == list(range(1, len(row) + 1))
    # the structures table is found, its header located by typed fields
    from extractors.tables import find_document_tables

    [table] = [t for t in find_document_tables(doc.grids, doc.file) if t.kind == "structures"]
    assert table.header_location.page == 1 and table.header_location.table == 1
    first = table.rows[0].cells["finess_et"].location
    assert first.row is not None and first.row > (table.header_location.row or 0)


def test_form_values_are_located_by_their_key(call_dir, expected):
    folder = call_dir / expected["BUD-07"]
    form = read_form_json(folder / "dossier.json", "dossier.json")
    cell = form.get("montant_demande")
    assert cell.location == Location("dossier.json", field="montant_demande")


def test_the_pdf_export_of_the_form_locates_its_fields_on_their_page(call_dir, expected, tmp_path):
    with zipfile.ZipFile(call_dir / f"{expected['clean-ds']}.zip") as zf:
        [name] = [n for n in zf.namelist() if n.rsplit("/", 1)[-1].startswith("export-")]
        path = tmp_path / "export.pdf"
        path.write_bytes(zf.read(name))
    form = read_form_pdf(_read(path, name))
    assert form.problem is None and form.values
    for key, cell in form.values.items():
        assert cell.location.field == key and cell.location.page and cell.location.file == name
        assert key not in cell.location.describe()  # named by its label on the form


# --------------------------------------------------------------------------- reports and letter


def test_a_form_finding_names_the_field_by_its_label_in_the_report_and_the_letter(reports, expected):
    report = reports[expected["BUD-07"]]
    [finding] = [f for f in report.to_json()["findings"] if f["rule"] == "BUD-07"]
    assert finding["location"]["field"] == "montant_demande"
    assert finding["location"]["detail"] == "champ « Montant total demandé »"
    from reports.letter import letter_content

    letter = letter_content(report)
    assert any("(formulaire en ligne, champ « Montant total demandé »)" in item for item in letter["items"])


def test_the_letter_never_shows_an_internal_field_name(reports, expected):
    from docx import Document

    from reports.letter import letter_content
    from reports.letter_docx import letter_docx

    for case in ("BUD-07", "GRP-10"):
        content = letter_content(reports[expected[case]])
        document = Document(io.BytesIO(letter_docx(content)))
        text = "\n".join(p.text for p in document.paragraphs)
        assert "formulaire en ligne, champ « " in text, case
        for key in FORM_FIELD_LABELS:
            if "_" in key or "." in key:
                assert key not in text, (case, key)


# --------------------------------------------------------------------------- evidence


def test_evidence_labels_rows_and_columns_of_a_docx_table_from_typed_fields():
    rows = [
        ["FINESS", "Raison sociale", "Montant"],
        ["010000016", "EHPAD Les Tilleuls", "7 000"],
        ["010000024", "SSIAD du Val", "8 000"],
    ]
    grid = Grid(
        "tableau 2",
        [
            [CellValue(v, Location("Projet.docx", table=2, row=r + 1, column=c + 1)) for c, v in enumerate(row)]
            for r, row in enumerate(rows)
        ],
    )
    doc = ExtractedDocument("Projet.docx", "0" * 64, "docx", grids=[grid])
    index = _Index([doc], None)
    hit = index.cell(Location("Projet.docx", table=2, row=3, column=3))
    assert hit == (grid, 2, 2)
    evidence = rows_evidence(index, doc, *hit)
    assert evidence["columns"] == ["1", "2", "3"]
    assert evidence["header_label"] == "1" and evidence["row_labels"] == ["2", "3"]
    assert evidence["highlight"] == [1, 2]


# --------------------------------------------------------------------------- fingerprints


def _fingerprint_before_typed_locations(rule: str, location: dict | None, found: str | None) -> str:
    """The formula of the analyses recorded before typed locations (what waivers name)."""
    basis = [rule, location, found]
    return hashlib.sha256(json.dumps(basis, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:20]


@pytest.mark.parametrize(
    ("location", "legacy"),
    [
        (
            Location("Budget.xlsx", sheet="Budget", cell="D12"),
            {"file": "Budget.xlsx", "sheet": "Budget", "cell": "D12", "page": None, "detail": None},
        ),
        (
            Location("annexe.pdf", page=2, table=1, row=4, column=3),
            {"file": "annexe.pdf", "sheet": None, "cell": None, "page": 2, "detail": "tableau 1, ligne 4, colonne 3"},
        ),
        (
            Location("annexe.pdf", page=2, table=1, row=0, column=2),
            {"file": "annexe.pdf", "sheet": None, "cell": None, "page": 2, "detail": "tableau 1, en-tête"},
        ),
        (
            Location("Projet.docx", paragraph=12),
            {"file": "Projet.docx", "sheet": None, "cell": None, "page": None, "detail": "paragraphe 12"},
        ),
        (
            Location("dossier.json", field="montant_demande"),
            {"file": "dossier.json", "sheet": None, "cell": None, "page": None, "detail": "champ « montant_demande »"},
        ),
        (
            Location("export-1.pdf", page=1, field="montant_demande"),
            {"file": "export-1.pdf", "sheet": None, "cell": None, "page": 1, "detail": None},
        ),
        (
            Location(DOSSIER_FILE),
            {"file": "(dossier)", "sheet": None, "cell": None, "page": None, "detail": "ensemble du dossier"},
        ),
        (
            Location(DOSSIER_FILE, field="porteur.finess_ej"),
            {"file": "(dossier)", "sheet": None, "cell": None, "page": None, "detail": "formulaire en ligne (porteur)"},
        ),
    ],
)
def test_fingerprints_are_those_of_the_analyses_recorded_before(location, legacy):
    """Waivers name findings by fingerprint: a typed location hashes as it did when it was
    written as text, so a waiver recorded earlier still covers its finding."""
    finding = {"rule": "BUD-03", "location": location.to_dict(), "found": "8 000 €"}
    assert finding_fingerprint(finding) == _fingerprint_before_typed_locations("BUD-03", legacy, "8 000 €")
    # the stored report.json dict of an earlier version hashes the same
    assert finding_fingerprint({**finding, "location": legacy}) == finding_fingerprint(finding)
