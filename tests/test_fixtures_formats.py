"""Tests of the format and layout fixtures (``fixtures.formats``), not of the pipeline.

Each dossier must be what its case claims, checked on the bytes with the plain libraries
(olefile, zipfile, openpyxl, odfpy XML, pdfplumber, Pillow), and the generation must be
reproducible byte for byte. Whether the pipeline reads them is the corpus' business.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import olefile
import openpyxl
import pdfplumber
import pytest
from PIL import Image

from fixtures.formats import CALL_ID, FOLDER, generate_formats
from fixtures.formats.cases import AMBIGUOUS_AMOUNT, CASES, IMPOSSIBLE_DATE, TYPOS

SEED = 7
ROOT = Path(__file__).resolve().parents[1]
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
KEYS = {"case", "verdict", "rules", "description"}
VERDICTS = {"recevable", "a_completer", "non_recevable"}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("formats")
    return out, generate_formats(out, seed=SEED)


@pytest.fixture(scope="module")
def expected(run) -> dict:
    return run[1][FOLDER]


@pytest.fixture(scope="module")
def by_case(run, expected) -> dict[str, Path]:
    """case id → dossier folder."""
    out, _ = run
    return {item["case"]: out / FOLDER / "dossiers" / numero for numero, item in expected["dossiers"].items()}


def files(folder: Path) -> dict[str, Path]:
    return {p.name: p for p in sorted(folder.iterdir())}


def one(folder: Path, suffix: str) -> Path:
    found = [p for p in folder.iterdir() if p.name.lower().endswith(suffix)]
    assert len(found) == 1, (folder.name, suffix, [p.name for p in folder.iterdir()])
    return found[0]


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def sheet_values(path: Path, title: str | None = None) -> list[list]:
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb[title] if title else wb.worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def blank(row: list) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


# --------------------------------------------------------------------------- generation


def test_generation_is_deterministic(run, tmp_path):
    """Same seed, same bytes, even from another process with another string-hash seed (no
    set order, clock or random salt leaks into a file)."""
    out, results = run
    code = (
        "import sys; from pathlib import Path; from fixtures.formats import generate_formats; "
        f"generate_formats(Path(sys.argv[1]), seed={SEED})"
    )
    env = dict(os.environ, PYTHONHASHSEED="4242", PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, env=env, cwd=ROOT, timeout=300)
    first, second = tree(out / FOLDER), tree(tmp_path / FOLDER)
    assert sorted(first) == sorted(second)
    for name in first:
        assert first[name] == second[name], name


def test_another_seed_gives_other_dossiers(run, tmp_path):
    out, _ = run
    generate_formats(tmp_path, seed=SEED + 1)
    name = "dossiers/2022-ARA-F001/dossier.json"
    assert (out / FOLDER / name).read_bytes() != (tmp_path / FOLDER / name).read_bytes()


def test_expected_json_is_complete(run, expected):
    out, results = run
    assert list(results) == [FOLDER]
    on_disk = json.loads((out / FOLDER / "expected.json").read_text(encoding="utf-8"))
    assert on_disk == expected
    assert expected["call"] == CALL_ID
    numbers = sorted(expected["dossiers"])
    assert numbers == [f"2022-ARA-F{i:03d}" for i in range(1, len(CASES) + 1)]
    assert sorted(p.name for p in (out / FOLDER / "dossiers").iterdir()) == numbers
    assert [item["case"] for item in expected["dossiers"].values()] == [c.id for c in CASES]
    for numero, item in expected["dossiers"].items():
        assert set(item) == KEYS, numero
        assert item["verdict"] in VERDICTS
        assert item["rules"] == sorted(set(item["rules"]))
        assert item["description"] and "{" not in item["description"]
        # PIE-04 alone is an alert: the verdict follows the rules
        blocking = [r for r in item["rules"] if r != "PIE-04"]
        assert item["verdict"] == ("a_completer" if blocking else "recevable"), numero
        assert (out / FOLDER / "dossiers" / numero / "dossier.json").is_file()


def test_every_variant_of_the_brief_is_there(expected):
    cases = {item["case"]: (item["verdict"], item["rules"]) for item in expected["dossiers"].values()}
    reported = {
        "val-ambiguous-amount": ["BUD-01"],
        "val-impossible-date": ["PLA-01"],
        "pie-scanned-budget": ["PIE-01", "PIE-03"],
        "pie-photo-planning": ["PIE-01", "PIE-03"],
        "pie-two-budgets": ["PIE-04"],
        "pie-encrypted-annex": ["PIE-02"],
        "pie-empty-annex": ["PIE-02"],
        "pie-zero-page-pdf": ["PIE-02"],
        "pie-truncated-pdf": ["PIE-02"],
    }
    for case, rules in reported.items():
        assert cases[case][1] == rules, case
    clean = [c for c, (v, r) in cases.items() if r == []]
    assert len(clean) >= 25
    assert all(cases[c][0] == "recevable" for c in clean)
    assert 20 <= len(cases) <= 40


def test_clean_dossiers_hold_every_piece(by_case, expected):
    """A clean dossier keeps the form and four kinds of content (structures, budget,
    planning, prose), whatever their format."""
    for item in expected["dossiers"].values():
        folder = by_case[item["case"]]
        names = set(files(folder))
        assert "dossier.json" in names
        form = json.loads((folder / "dossier.json").read_text(encoding="utf-8"))
        assert form["numero"] == folder.name
        assert len(names) >= 3, (folder.name, names)


# --------------------------------------------------------------------------- formats


def test_xls_is_a_biff8_workbook(by_case):
    path = one(by_case["fmt-xls-structures"], ".xls")
    data = path.read_bytes()
    assert data.startswith(OLE_MAGIC)
    with olefile.OleFileIO(io.BytesIO(data)) as ole:
        assert ole.exists("Workbook")
        assert not ole.exists("EncryptedPackage")


def _odf(path: Path, kind: str) -> str:
    with zipfile.ZipFile(path) as zf:
        first = zf.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert zf.read("mimetype") == f"application/vnd.oasis.opendocument.{kind}".encode()
        return zf.read("content.xml").decode("utf-8")


def test_ods_files_are_opendocument_spreadsheets(by_case):
    budget = _odf(one(by_case["fmt-ods-budget"], ".ods"), "spreadsheet")
    assert budget.count("<table:table ") == 2
    assert 'table:formula="of:=SUM([.' in budget  # totals are formulas with cached values
    planning = _odf(one(by_case["fmt-ods-planning"], ".ods"), "spreadsheet")
    assert 'office:value-type="date"' in planning


def test_odt_has_three_level_one_headings(by_case):
    content = _odf(one(by_case["fmt-odt-prose"], ".odt"), "text")
    headings = re.findall(r'<text:h [^>]*text:outline-level="1"[^>]*>([^<]+)</text:h>', content)
    assert len(headings) == 3
    assert not list(by_case["fmt-odt-prose"].glob("*.docx"))


def test_csv_encodings_and_separators(by_case):
    cp1252 = one(by_case["fmt-csv-cp1252-semicolon"], ".csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        cp1252.decode("utf-8")
    text = cp1252.decode("cp1252")
    assert "FINESS" in text and ";" in text.splitlines()[-1]

    for path in by_case["fmt-csv-utf8-comma"].glob("*.csv"):
        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=","))
        amounts = [v for r in rows for v in r if v.endswith("\u00a0€")]
        assert amounts and all("," in v for v in amounts)  # quoted: they hold the decimal comma
        assert '"' in data.decode("utf-8-sig")

    tsv = one(by_case["fmt-tsv-planning"], ".txt").read_bytes()
    rows = list(csv.reader(io.StringIO(tsv.decode("cp1252")), delimiter="\t"))
    widths = {len(r) for r in rows}
    assert len(widths) == 1 and widths.pop() >= 5
    assert any("," in v for r in rows for v in r)  # commas inside the cells: tabs separate


def test_xlsm_is_a_macro_enabled_package(by_case):
    folder = by_case["fmt-xlsm"]
    path = one(folder, ".xlsm")
    with zipfile.ZipFile(path) as zf:
        assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in zf.read("[Content_Types].xml").decode()
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == ["Structures", "Budget", "Financement ESSMS", "Planning"]
    assert not [p for p in folder.iterdir() if p.suffix == ".xlsx"]


def test_pdf_table_runs_over_two_pages_with_one_header(by_case):
    path = one(by_case["fmt-pdf-two-pages"], ".pdf")
    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages) == 2
        first, second = (p.extract_tables() for p in pdf.pages)
        assert len(first) == 1 and len(second) == 1
        assert len(first[0][0]) == len(second[0][0])  # same columns
        header = first[0][0]
        assert any("FINESS" in (h or "") for h in header)
        assert not any("FINESS" in (c or "") for row in second[0] for c in row)  # no header repeated
        assert len(second[0]) >= 3


def test_unruled_pdf_has_no_line_but_aligned_headers(by_case):
    path = one(by_case["fmt-pdf-unruled"], ".pdf")
    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages) == 2
        for page in pdf.pages:
            assert not page.lines and not page.rects and not page.curves
            assert page.extract_tables() == []  # nothing for the line strategy
        text = pdf.pages[1].extract_text()
        header = next(line for line in text.splitlines() if "FINESS" in line)
        assert sum(w in header for w in ("MOA", "diteur", "gur", "Total", "FINESS")) >= 3


def test_wrong_extension_is_a_pdf(by_case):
    path = by_case["fmt-wrong-extension"] / "Liste des ESSMS engagés.xlsx"
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    with pdfplumber.open(path) as pdf:
        assert pdf.pages[0].extract_tables()


# --------------------------------------------------------------------------- layouts


def test_header_on_row_6(by_case):
    folder = by_case["lay-header-row-6"]
    rows = sheet_values(folder / "Liste des ESSMS engagés.xlsx")
    header = next(i for i, r in enumerate(rows, start=1) if any(isinstance(v, str) and "FINESS" in v for v in r))
    assert header == 6
    assert not blank(rows[0]) and blank(rows[1]) and not blank(rows[2]) and blank(rows[4])


def test_two_row_headers_are_merged_cells(by_case):
    path = by_case["lay-two-row-headers"] / "Budget prévisionnel.xlsx"
    wb = openpyxl.load_workbook(path)
    lines, essms = wb["Budget"], wb["Forfaits par ESSMS"]
    horizontal = [r for r in lines.merged_cells.ranges if r.min_row == r.max_row]
    assert {lines.cell(r.min_row, r.min_col).value for r in horizontal} == {"Montant", "Financement"}
    row = horizontal[0].min_row + 1
    assert {lines.cell(row, c).value for c in range(1, 8)} >= {"HT", "TTC", "Demandé", "Autofinancement"}
    horizontal = [r for r in essms.merged_cells.ranges if r.min_row == r.max_row]
    assert len(horizontal) == 1 and essms.cell(horizontal[0].min_row, horizontal[0].min_col).value == "Forfaits"
    assert horizontal[0].max_col - horizontal[0].min_col == 2
    vertical = [r for r in essms.merged_cells.ranges if r.min_col == r.max_col]
    assert len(vertical) == 4


def test_merged_organisme_cells(by_case):
    wb = openpyxl.load_workbook(by_case["lay-merged-og"] / "Liste des ESSMS engagés.xlsx")
    ws = wb.active
    vertical = [r for r in ws.merged_cells.ranges if r.min_col == r.max_col and r.max_row > r.min_row]
    assert len(vertical) >= 2
    assert len({r.min_col for r in vertical}) == 2  # organisme name and FINESS EJ


def _table_rows(rows: list[list], marker: str) -> list[list]:
    """Rows from the header holding ``marker`` to the last non-blank row."""
    start = next(i for i, r in enumerate(rows) if any(isinstance(v, str) and marker in v for v in r))
    body = rows[start + 1 :]
    while body and blank(body[-1]):
        body.pop()
    return body


def test_blank_rows_are_single(by_case):
    folder = by_case["lay-blank-rows"]
    for path, title, marker in (
        ("Liste des ESSMS engagés.xlsx", None, "FINESS"),
        ("Budget prévisionnel.xlsx", "Financement par ESSMS", "FINESS"),
    ):
        body = _table_rows(sheet_values(folder / path, title), marker)
        blanks = [i for i, r in enumerate(body) if blank(r)]
        assert len(blanks) >= 2, path
        assert all(b + 1 not in blanks for b in blanks)  # never two blank rows in a row


def test_subtotals_sum_their_group(by_case):
    rows = sheet_values(by_case["lay-subtotals"] / "Budget prévisionnel.xlsx", "Financement par ESSMS")
    body = _table_rows(rows, "FINESS")
    label_col = next(i for i, v in enumerate(body[-1]) if isinstance(v, str))
    amounts = [i for i, v in enumerate(body[-1]) if isinstance(v, (int, float))]
    group, subtotals = [], []
    for row in body:
        label = row[label_col]
        if isinstance(label, str) and label.startswith("Sous-total OG"):
            for i in amounts:
                assert row[i] == sum(r[i] or 0 for r in group)
            subtotals.append(row)
            group = []
        elif label == "Total":
            for i in amounts:
                assert row[i] == sum(r[i] for r in subtotals)
        else:
            group.append(row)
    assert len(subtotals) >= 2 and [r[label_col] for r in subtotals][:2] == ["Sous-total OG 1", "Sous-total OG 2"]


def test_two_tables_two_blank_rows_apart(by_case):
    wb = openpyxl.load_workbook(by_case["lay-two-tables-gap-2"] / "Budget prévisionnel.xlsx", data_only=True)
    assert wb.sheetnames == ["Budget"]
    rows = [list(r) for r in wb["Budget"].iter_rows(values_only=True)]
    total = next(i for i, r in enumerate(rows) if any(isinstance(v, str) and v.lower().startswith("total") for v in r))
    following = rows[total + 1 :]
    gap = next(i for i, r in enumerate(following) if not blank(r))
    assert gap == 2


def test_one_workbook_one_sheet_per_piece(by_case):
    folder = by_case["lay-one-workbook"]
    assert [p.name for p in folder.iterdir() if p.suffix == ".xlsx"] == ["Dossier de candidature.xlsx"]
    wb = openpyxl.load_workbook(folder / "Dossier de candidature.xlsx", read_only=True)
    assert wb.sheetnames == ["Liste des ESSMS", "Budget", "Planning"]


def test_header_typos_and_case(by_case):
    folder = by_case["lay-header-typos"]
    texts = set()
    for path in folder.glob("*.xlsx"):
        wb = openpyxl.load_workbook(path, read_only=True)
        for ws in wb.worksheets:
            texts |= {v for r in ws.iter_rows(values_only=True) for v in r if isinstance(v, str)}
    assert set(TYPOS.values()) <= texts
    structures = sheet_values(by_case["lay-header-case"] / "Liste des ESSMS engagés.xlsx")
    header = next(r for r in structures if "FINESS ETABLISSEMENT" in r)
    words = [v for v in header if isinstance(v, str)]
    assert all(v == v.upper() and v.isascii() for v in words)


# --------------------------------------------------------------------------- values


def _column(rows: list[list], marker: str) -> int:
    header = next(r for r in rows if any(isinstance(v, str) and v == marker for v in r))
    return header.index(marker)


def test_amounts_typed_as_text(by_case):
    folder = by_case["val-amounts-text"]
    wb = openpyxl.load_workbook(folder / "Budget prévisionnel.xlsx", data_only=True)
    texts = [v for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for v in r if isinstance(v, str)]
    assert any(re.fullmatch(r"\d{1,3}( \d{3})*,00 €", t) for t in texts)
    assert any(re.fullmatch(r"\d{1,3}(\.\d{3})+,00", t) for t in texts)
    assert any(re.fullmatch(r"\d+(,\d)? k€", t) for t in texts)
    assert any(re.fullmatch(r"\d+ EUR", t) for t in texts)


def _planning(folder: Path) -> list[list]:
    return sheet_values(folder / "Planning prévisionnel.xlsx")


def _dates(rows: list[list]) -> list:
    header_index = next(i for i, r in enumerate(rows) if sum(isinstance(v, str) for v in r) >= 3)
    body = [r for r in rows[header_index + 1 :] if not blank(r)]
    return body


def test_serial_and_period_dates(by_case):
    rows = _planning(by_case["val-dates-serial"])
    body = _dates(rows)
    serials = [v for r in body for v in r if isinstance(v, int)]
    assert len(serials) == 16 and all(44000 < v < 46100 for v in serials)

    rows = _planning(by_case["val-dates-periods"])
    cells = [v for r in _dates(rows) for v in r if isinstance(v, str)]
    assert any(
        re.fullmatch(r"(janv\.|févr\.|mars|avr\.|mai|juin|juil\.|août|sept\.|oct\.|nov\.|déc\.) 20\d\d", v)
        for v in cells
    )
    assert any(re.fullmatch(r"T[1-4] 20\d\d", v) for v in cells)
    assert any(re.fullmatch(r"S[12] 20\d\d", v) for v in cells)
    assert not any(re.fullmatch(r"S2 2026|[TS]\d 202[6-9]", v) for v in cells)


def test_finess_numbers_lost_their_leading_zero(by_case):
    rows = sheet_values(by_case["val-finess-number"] / "Liste des ESSMS engagés.xlsx")
    numbers = [v for r in rows for v in r if isinstance(v, int) and v > 9_999_999]
    short = [v for v in numbers if v < 100_000_000]
    assert len(short) >= 4 and {str(v)[0] for v in short} <= {"1", "7"}


def test_csv_finess_numbers_have_eight_digits(by_case):
    data = one(by_case["val-finess-csv-8-digits"], ".csv").read_bytes().decode("cp1252")
    rows = list(csv.reader(io.StringIO(data), delimiter=";"))
    header = next(r for r in rows if "FINESS ET" in r)
    column = header.index("FINESS ET")
    values = [r[column] for r in rows[rows.index(header) + 1 :] if len(r) > column and r[column]]
    short = [v for v in values if len(v) == 8]
    assert len(short) >= 4 and all(v.isdigit() and v[0] in "17" for v in short)
    assert all(len(v) in (8, 9) for v in values)


def test_segur_marks(by_case):
    rows = sheet_values(by_case["val-segur-marks"] / "Liste des ESSMS engagés.xlsx")
    values = {v for r in rows for v in r if isinstance(v, str)}
    assert {"X", "✓", "oui"} <= values and "Oui" not in values


def test_reported_values(by_case):
    wb = openpyxl.load_workbook(by_case["val-ambiguous-amount"] / "Budget prévisionnel.xlsx", data_only=True)
    texts = [v for r in wb["Financement par ESSMS"].iter_rows(values_only=True) for v in r]
    assert texts.count(AMBIGUOUS_AMOUNT) == 1
    cells = [v for r in _planning(by_case["val-impossible-date"]) for v in r]
    assert cells.count(IMPOSSIBLE_DATE) == 1


# --------------------------------------------------------------------------- pieces


def _no_text_pages(path: Path) -> int:
    with pdfplumber.open(path) as pdf:
        assert pdf.pages
        for page in pdf.pages:
            assert (page.extract_text() or "").strip() == ""
            assert not page.chars
            assert len(page.images) == 1
        return len(pdf.pages)


def test_scans_have_no_text_layer(by_case):
    folder = by_case["pie-scanned-budget"]
    assert _no_text_pages(one(folder, ".pdf")) == 2
    assert not any("Budget" in p.name for p in folder.glob("*.xlsx"))
    letter = by_case["pie-scanned-letter"] / "Lettre d'engagement signée.pdf"
    assert _no_text_pages(letter) == 1


def test_photo_is_a_jpeg(by_case):
    folder = by_case["pie-photo-planning"]
    path = one(folder, ".jpg")
    assert path.read_bytes()[:3] == b"\xff\xd8\xff"
    with Image.open(path) as image:
        assert image.format == "JPEG" and image.mode == "RGB"
    assert not [p for p in folder.iterdir() if "lanning" in p.name and p != path]


def test_two_budget_versions_with_the_same_rows(by_case):
    folder = by_case["pie-two-budgets"]
    v2, v3 = folder / "Budget_V2.xlsx", folder / "Budget_V3_final.xlsx"
    for title in ("Budget", "Financement par ESSMS"):
        a = [r for r in sheet_values(v2, title) if sum(v is not None for v in r) > 1]
        b = [r for r in sheet_values(v3, title) if sum(v is not None for v in r) > 1]
        assert a == b, title


def test_encrypted_annex_is_an_ole_encrypted_package(by_case):
    path = one(by_case["pie-encrypted-annex"], "(protégé).xlsx")
    data = path.read_bytes()
    assert data.startswith(OLE_MAGIC)
    with olefile.OleFileIO(io.BytesIO(data)) as ole:
        assert ole.exists("EncryptedPackage") and ole.exists("EncryptionInfo")
    import msoffcrypto

    office = msoffcrypto.OfficeFile(io.BytesIO(data))
    assert office.is_encrypted()


def test_broken_annexes(by_case):
    assert (by_case["pie-empty-annex"] / "Convention de groupement signée.pdf").stat().st_size == 0

    zero = by_case["pie-zero-page-pdf"] / "Délibération du conseil d'administration.pdf"
    with pdfplumber.open(zero) as pdf:
        assert len(pdf.pages) == 0

    cut = (by_case["pie-truncated-pdf"] / "Convention de groupement signée.pdf").read_bytes()
    assert cut.startswith(b"%PDF-") and b"%%EOF" not in cut and b"startxref" not in cut
    with pytest.raises(Exception), pdfplumber.open(io.BytesIO(cut)) as pdf:
        [page.extract_text() for page in pdf.pages]
