"""PDF → text by page (lines kept, for headings) and tables (pdfplumber), each with its page."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium

from core import file_problems as problems
from core.file_problems import FileProblemError
from core.limits import Limits
from core.models import CellValue, ExtractedDocument, Grid, Location, TextBlock
from extractors.fast_pdf import page_text, scan_page
from extractors.pdf_words import word_tables
from extractors.tables import catalogue
from extractors.values import fold

MIN_CHARS_PER_PAGE = 20  # below this, a page with images is a scan, not a text document


def read_pdf(path: Path, doc: ExtractedDocument, limits: Limits, *, fast: bool = True) -> None:
    """Text of every page, tables of the pages that may hold one.

    pdfplumber opens the file (its page count and its refusals — password, damaged file,
    no page — are the reference) and reads the tables. With ``fast`` (the default) the
    text and the page contents come from PDFium (``fast_pdf``): pdfplumber's costly
    layout analysis then runs only on the pages with ruling lines or with a line that
    reads like a table header. ``fast=False`` is the former path, pdfplumber for every
    page (kept for comparison: bench/extraction.py, tests/test_fast_paths.py).
    """
    with pdfplumber.open(path) as pdf:
        pages = pdf.pages
        if not pages:
            raise FileProblemError(problems.NO_PAGE.reason())
        if len(pages) > limits.max_pages:
            doc.warnings.append(problems.PAGES_TRUNCATED.message(limit=limits.max_pages, count=len(pages)))
        fast_pdf = open_fast(path, len(pages)) if fast else None
        chars = images = 0
        try:
            for page_no, page in enumerate(pages[: limits.max_pages], start=1):
                text, page_images, ruled = _page_contents(page, fast_pdf, page_no)
                chars += len(text.strip())
                images += page_images
                for line in text.splitlines():
                    if line.strip():
                        doc.text.append(TextBlock(line.strip(), Location(doc.file, page=page_no)))
                tables = page.extract_tables() if ruled else []
                if not tables and looks_tabular(text):
                    # A spreadsheet printed without gridlines: columns rebuilt from word positions.
                    doc.grids.extend(word_tables(page, page_no, doc.file))
                for t_index, table in enumerate(tables, start=1):
                    rows = [
                        [
                            CellValue(
                                (value.strip() or None) if isinstance(value, str) else value,
                                Location(doc.file, page=page_no, table=t_index, row=r, column=c),
                            )
                            for c, value in enumerate(row, start=1)
                        ]
                        for r, row in enumerate(table, start=1)
                    ]
                    doc.grids.append(Grid(f"page {page_no}, tableau {t_index}", rows))
                page.flush_cache()
        finally:
            if fast_pdf is not None:
                fast_pdf.close()
        read = min(len(pages), limits.max_pages)
        if chars < MIN_CHARS_PER_PAGE * read:
            if images:
                doc.scanned = True  # pages are pictures: a scan or a photo printed to PDF
            elif chars == 0:
                raise FileProblemError(problems.BLANK_PAGES.reason())


def open_fast(path: Path, page_count: int):
    """The PDF opened by PDFium, or None when PDFium cannot open it or counts other pages
    than pdfplumber (a damaged page tree each repairs its own way): then every page is
    read by pdfplumber, as before."""
    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError:
        return None
    if len(document) != page_count:
        document.close()
        return None
    return document


def _page_contents(page, fast_pdf, page_no: int) -> tuple[str, int, bool]:
    """(text, images, whether pdfplumber's table finder must run) of one page."""
    if fast_pdf is not None:
        fast_page = None
        try:
            fast_page = fast_pdf[page_no - 1]
            scan = scan_page(fast_page)
            return page_text(fast_page, scan), scan.images, scan.may_hold_ruled_table
        except pdfium.PdfiumError:
            pass  # this page only: read by pdfplumber
        finally:
            if fast_page is not None:
                fast_page.close()
    return page.extract_text() or "", len(page.images), True


def looks_tabular(text: str) -> bool:
    """Whether one line of the page reads like the header of one of our tables (cheap
    pre-check before the costlier text-alignment table search): at least three of a table's
    header names on a single line, making up most of it."""
    if not text:
        return False
    kinds = catalogue().kinds.values()
    for line in text.splitlines():
        folded = f" {fold(line)} "
        if len(folded) > 300:
            continue
        for kind in kinds:
            matched = [
                max((s for s in synonyms if len(s) >= 3 and f" {s} " in folded), key=len, default="")
                for synonyms in kind.synonyms.values()
            ]
            matched = [m for m in matched if m]
            # a header line is mostly header names; a sentence that cites three of them is not
            covered = sum(len(m) for m in matched) / max(len(folded.strip()), 1)
            if len(matched) >= max(kind.min_fields, 3) and covered >= 0.5:
                return True
    return False
