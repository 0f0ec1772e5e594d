"""The fast readers (PDFium text, calamine values) against the former ones (pdfplumber for
every page, openpyxl for every cell), on the generated fixtures and the shared real-world
corpus: the same grids (values, their types, their locations), the same text per page, the
same refusals. The few deliberate differences are listed here with their reason.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import shutil
import warnings
import zipfile
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium
import pytest

from conftest import require_corpus
from core.limits import Limits
from core.models import ExtractedDocument
from extractors.fast_pdf import page_text, scan_page
from extractors.fast_xlsx import Unsupported, read_values
from extractors.read_calamine import read_calamine
from extractors.read_pdf import looks_tabular, read_pdf
from extractors.read_xlsx import read_xlsx

SUFFIXES = (".pdf", ".xlsx", ".xlsm")

# openpyxl refuses this workbook's stylesheet (mc:AlternateContent in it, TypeError): the
# fast path, which reads only the number formats, reads its values.
READ_ONLY_BY_FAST_PATH = {"style-alternate-content.xlsx"}
# Corpus PDFs (26 of 52) where some page's text differs. Mostly spaces: PDFium drops a
# space glyph covered by the next one, or places characters a fraction of a point off
# pdfminer, which moves a line or word boundary at the 3 pt tolerance (two-column layouts,
# mixed fonts, rotated pages). A few read other characters: glyphs drawn twice to look bold
# (PDFium keeps one), right-to-left text, CJK fonts without a usable ToUnicode, a form's
# annotation text. The generated dossiers read identically (test above).
TEXT_DIFFERS = {
    "150109DSP-Milw-505-90D.pdf",
    "2023-06-20-PV.pdf",
    "WARN-Report-for-7-1-2015-to-03-25-2016.pdf",
    "chelsea_pdta.pdf",
    "cupertino_usd_4-6-16.pdf",
    "extra-attrs-example.pdf",
    "federal-register-2020-17221.pdf",
    "issue-1054-example.pdf",
    "issue-192-example.pdf",
    "issue-316-example.pdf",
    "issue-336-example.pdf",
    "issue-461-example.pdf",
    "issue-53-example.pdf",
    "issue-598-example.pdf",
    "issue-71-duplicate-chars-2.pdf",
    "issue-71-duplicate-chars.pdf",
    "issue-842-example.pdf",
    "issue-848.pdf",
    "issue-982-example.pdf",
    "nics-background-checks-2015-11-rotated.pdf",
    "nics-background-checks-2015-11.pdf",
    "pdffill-demo.pdf",
    "pr-136-example.pdf",
    "pr-138-example.pdf",
    "pr-88-example.pdf",
    "senate-expenditures.pdf",
}


@pytest.fixture(scope="module")
def generated_files(generated, tmp_path_factory) -> list[Path]:
    """Every PDF and xlsx of the generated calls, the members of their zips included, from
    every other dossier (each call's catalogue writes each layout for several dossiers: the
    half keeps every layout and halves the time of reading each file twice)."""
    out = tmp_path_factory.mktemp("fast-paths")
    files = []
    kept = sorted(p for p in generated.rglob("*") if p.is_file() and _in_sample(p, generated))
    for index, path in enumerate(kept):
        if path.suffix.lower() in SUFFIXES:
            files.append(path)
        elif path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as zf:
                for m_index, member in enumerate(zf.infolist()):
                    suffix = Path(member.filename).suffix.lower()
                    if suffix in SUFFIXES and not member.is_dir():
                        target = out / f"{index}-{m_index}{suffix}"
                        target.write_bytes(zf.read(member))
                        files.append(target)
    return files


def _in_sample(path: Path, generated: Path) -> bool:
    """Files of every other dossier of each call folder (by the dossier's sorted position)."""
    parts = path.relative_to(generated).parts
    if len(parts) < 3 or parts[1] != "dossiers":
        return True  # files outside the dossiers (FINESS extracts, expectations): kept
    return _dossier_order(generated / parts[0] / "dossiers")[parts[2]] % 2 == 0


@functools.cache
def _dossier_order(folder: Path) -> dict[str, int]:
    return {name: i for i, name in enumerate(sorted(p.name for p in folder.iterdir()))}


def corpus_files(suffixes: tuple[str, ...]) -> list[Path]:
    return sorted(p for p in require_corpus().rglob("*") if p.is_file() and p.suffix.lower() in suffixes)


def read(reader, path: Path, fast: bool) -> tuple[ExtractedDocument, str | None]:
    doc = ExtractedDocument(path.name, "-", path.suffix.lstrip("."))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            reader(path, doc, Limits(), fast=fast)
        except Exception as exc:  # noqa: BLE001 - the refusal itself is compared
            return doc, type(exc).__name__
    return doc, None


def grids(doc: ExtractedDocument) -> list:
    return [(g.name, [[(type(c.raw), c.raw, c.location) for c in row] for row in g.rows]) for g in doc.grids]


def texts(doc: ExtractedDocument) -> list:
    return [(t.text, t.location) for t in doc.text]


# --------------------------------------------------------------------------- PDF


def test_pdf_fast_path_gives_the_same_document_on_generated_files(generated_files):
    pdfs = [p for p in generated_files if p.suffix.lower() == ".pdf"]
    assert len(pdfs) >= 30
    for path in pdfs:
        old, old_error = read(read_pdf, path, fast=False)
        new, new_error = read(read_pdf, path, fast=True)
        assert new_error == old_error, path
        assert new.scanned == old.scanned, path
        assert grids(new) == grids(old), path
        assert texts(new) == texts(old), path
        assert new.warnings == old.warnings, path


def _no_space(blocks: list) -> list:
    return [(re.sub(r"\s+", "", text), location) for text, location in blocks]


@pytest.fixture(scope="module")
def corpus_pdfs() -> dict[Path, tuple]:
    """Each corpus PDF read both ways (the costly part, done once)."""
    pdfs = corpus_files((".pdf",))
    assert len(pdfs) >= 50
    return {path: read(read_pdf, path, fast=False) + read(read_pdf, path, fast=True) for path in pdfs}


def by_page(doc: ExtractedDocument) -> dict[int, list[str]]:
    pages: dict[int, list[str]] = {}
    for block in doc.text:
        pages.setdefault(block.location.page, []).append(block.text)
    return pages


def test_pdf_fast_path_on_the_corpus(corpus_pdfs):
    """Same tables, scans and refusals everywhere; the same text except in the listed
    files."""
    for path, (old, old_error, new, new_error) in corpus_pdfs.items():
        assert new_error == old_error, path
        assert new.scanned == old.scanned, path
        assert grids(new) == grids(old), path
        assert texts(new) == texts(old) or path.name in TEXT_DIFFERS, path


def test_pdf_corpus_text_mostly_identical_per_page(corpus_pdfs):
    """Page by page (pages with text): measured 101 of 238 pages line for line and 188
    with the same characters in the same lines once spaces are ignored (pdfplumber's own
    test files: odd spacing, two columns, duplicated glyphs, CJK...)."""
    exact = same_chars = pages = 0
    for old, _, new, _ in corpus_pdfs.values():
        old_pages, new_pages = by_page(old), by_page(new)
        for page in set(old_pages) | set(new_pages):
            a, b = old_pages.get(page, []), new_pages.get(page, [])
            pages += 1
            exact += a == b
            same_chars += [re.sub(r"\s+", "", x) for x in a] == [re.sub(r"\s+", "", x) for x in b]
    assert pages >= 200
    assert exact / pages >= 0.4, (exact, pages)
    assert same_chars / pages >= 0.75, (same_chars, pages)


def test_every_corpus_page_with_a_table_is_sent_to_pdfplumber(corpus_pdfs):
    """Each page where the former path found a table (ruled: "tableau" grids) is flagged
    by the cheap test; some pages are not flagged at all."""
    flagged = pages = 0
    for path, (old, _, _, _) in corpus_pdfs.items():
        table_pages = {int(g.name.split(",")[0].split()[1]) for g in old.grids}
        try:
            document = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError:
            continue
        for page_no, fast_page in enumerate(document, start=1):
            scan = scan_page(fast_page)
            pages += 1
            flagged += scan.may_hold_ruled_table
            if page_no in table_pages:
                assert scan.may_hold_ruled_table or looks_tabular(page_text(fast_page, scan)), (path.name, page_no)
        document.close()
    assert pages >= 200 and flagged < pages


def test_every_generated_page_with_a_table_is_sent_to_pdfplumber(generated_files):
    """Checked with pdfplumber's own table finder on every page of the generated PDFs; and
    the header line of an unruled table reads the same in both texts."""
    for path in [p for p in generated_files if p.suffix.lower() == ".pdf"]:
        try:
            plumber = pdfplumber.open(path)
            document = pdfium.PdfDocument(str(path))
        except Exception:  # noqa: BLE001 - truncated, empty: refused by both readers
            continue
        with plumber:
            for page, fast_page in zip(plumber.pages, document):
                scan = scan_page(fast_page)
                if page.find_tables():
                    assert scan.may_hold_ruled_table, (path.name, page.page_number)
                if looks_tabular(page.extract_text() or ""):
                    assert looks_tabular(page_text(fast_page, scan)), (path.name, page.page_number)
                page.flush_cache()
        document.close()


def test_prose_pages_skip_pdfplumber_layout(generated_files):
    """On the generated dossiers most pages are prose: they must not be flagged."""
    pages = flagged = 0
    for path in [p for p in generated_files if p.suffix.lower() == ".pdf"]:
        try:
            document = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError:
            continue
        for fast_page in document:
            pages += 1
            flagged += scan_page(fast_page).may_hold_ruled_table
        document.close()
    assert pages >= 50 and flagged <= pages // 4


def test_scan_detection_still_works(generated_files):
    scans = 0
    for path in [p for p in generated_files if p.suffix.lower() == ".pdf"]:
        doc, error = read(read_pdf, path, fast=True)
        if doc.scanned:
            scans += 1
            assert not doc.text and error is None
    assert scans >= 2


# --------------------------------------------------------------------------- xlsx


def test_xlsx_fast_path_gives_the_same_grids_on_generated_files(generated_files):
    books = [p for p in generated_files if p.suffix.lower() in (".xlsx", ".xlsm")]
    assert len(books) >= 100
    fast = readable = 0
    for path in books:
        old, old_error = read(read_xlsx, path, fast=False)
        new, new_error = read(read_xlsx, path, fast=True)
        assert new_error == old_error, path
        assert grids(new) == grids(old), path
        assert new.warnings == old.warnings, path
        readable += old_error is None
        try:
            read_values(path, 20_000, 200)
            fast += 1
        except Unsupported:
            pass
        except Exception:  # noqa: BLE001 - damaged or encrypted: openpyxl refuses them as before
            assert old_error, path
    assert fast >= readable * 0.95, (fast, readable)  # the generated workbooks do take the fast path


def test_xlsx_fast_path_on_the_corpus():
    books = corpus_files((".xlsx",))
    assert len(books) >= 150
    for path in books:
        old, old_error = read(read_xlsx, path, fast=False)
        new, new_error = read(read_xlsx, path, fast=True)
        if path.name in READ_ONLY_BY_FAST_PATH:
            assert old_error and not new_error and new.grids
            continue
        assert new_error == old_error, path
        assert grids(new) == grids(old), path
        assert new.warnings == old.warnings, path


def test_xlsx_limits_apply_to_the_fast_path(generated_files):
    book = next(p for p in generated_files if p.suffix.lower() == ".xlsx")
    limits = Limits(max_rows=3, max_columns=2)
    docs = []
    for fast in (False, True):
        doc = ExtractedDocument(book.name, "-", "xlsx")
        read_xlsx(book, doc, limits, fast=fast)
        docs.append(doc)
    assert grids(docs[0]) == grids(docs[1]) and docs[0].warnings == docs[1].warnings
    assert all(len(row) <= 2 for g in docs[1].grids for row in g.rows)


def test_xlsx_values_keep_openpyxl_types(tmp_path):
    """Integers stay int and decimals float (openpyxl decides from the cell's text), a
    date-formatted number is a datetime, a boolean a bool, a formula its cached value."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Budget"
    ws["B3"] = "Montant"
    ws["C3"] = 1500
    ws["D3"] = 1500.5
    ws["E3"] = dt.datetime(2023, 3, 1)
    ws["F3"] = 0.25
    ws["F3"].number_format = "0%"
    ws["G3"] = True
    ws["H3"] = "=C3*2"
    wb.save(tmp_path / "book.xlsx")
    # a cached formula value, as Excel leaves it (openpyxl writes none)
    with zipfile.ZipFile(tmp_path / "book.xlsx") as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = re.sub(r"<f>C3\*2</f><v\s*/>|<f>C3\*2</f><v></v>|<f>C3\*2</f>", "<f>C3*2</f><v>3000</v>", sheet)
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(tmp_path / "cached.xlsx", "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    read_values(tmp_path / "cached.xlsx", 100, 100)  # taken by the fast path, no fallback
    docs = []
    for fast in (False, True):
        doc = ExtractedDocument("cached.xlsx", "-", "xlsx")
        read_xlsx(tmp_path / "cached.xlsx", doc, Limits(), fast=fast)
        docs.append(doc)
    assert grids(docs[1]) == grids(docs[0])
    values = {c.location.cell: c.raw for row in docs[1].grids[0].rows for c in row if c.raw is not None}
    assert values == {
        "B3": "Montant",
        "C3": 1500,
        "D3": 1500.5,
        "E3": dt.datetime(2023, 3, 1),
        "F3": 0.25,
        "G3": True,
        "H3": 3000,
    }
    assert type(values["C3"]) is int and type(values["D3"]) is float and type(values["H3"]) is int


def test_calamine_reads_a_table_away_from_a1_where_it_is(tmp_path):
    """python-calamine yields rows from the top of the sheet but reports ``start`` at the
    first used cell: a table at B3 of an ods or xls file is read at B3."""
    from fixtures.formats.sheets import Sheet, write_sheets_ods, write_sheets_xls

    sheet = Sheet("Feuille")
    sheet.put(3, 2, "Nom")
    sheet.put(3, 3, "Montant")
    sheet.put(4, 2, "A")
    sheet.put(4, 3, 12)
    when = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    (tmp_path / "t.ods").write_bytes(write_sheets_ods([sheet], when=when, author="x"))
    (tmp_path / "t.xls").write_bytes(write_sheets_xls([sheet]))
    for name in ("t.ods", "t.xls"):
        doc = ExtractedDocument(name, "-", name[-3:])
        read_calamine(tmp_path / name, doc, Limits())
        cells = {c.location.cell: c.raw for row in doc.grids[0].rows for c in row if c.raw is not None}
        assert cells == {"B3": "Nom", "C3": "Montant", "B4": "A", "C4": 12}, name


def test_hostile_and_damaged_workbooks_are_refused_as_before(tmp_path, hostile):
    shutil.copy(hostile / "bomb.xlsx", tmp_path / "bomb.xlsx")
    from core.models import Attachment
    from extractors.extract import extract
    from extractors.intake import sha256_file

    path = tmp_path / "bomb.xlsx"
    doc = extract(Attachment("bomb.xlsx", sha256_file(path), path.stat().st_size, str(path)), Limits(isolate=False))
    assert doc.error and "XML" in doc.error
