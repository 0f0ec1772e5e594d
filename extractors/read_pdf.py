"""PDF → text by page (lines kept, for headings) and tables (pdfplumber), each with its page."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium

from core import file_problems as problems
from core.file_problems import FileProblemError
from core.limits import Limits
from core.models import CellValue, ExtractedDocument, Grid, Location, TextBlock
from extractors.fast_pdf import page_text, scan_page
from extractors.gantt import timeline_in
from extractors.matcher import meaningful_words, word_hits
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
                found = page.find_tables() if ruled else []
                tables = [t.extract() for t in found]
                if not tables and looks_tabular(text):
                    # A spreadsheet printed without gridlines: columns rebuilt from word positions.
                    doc.grids.extend(word_tables(page, page_no, doc.file))
                for t_index, (table, ruled_table) in enumerate(zip(tables, found), start=1):
                    fills = cell_fills(page, ruled_table) if timeline_in(table) else {}
                    rows = [
                        [
                            CellValue(
                                (value.strip() or None) if isinstance(value, str) else value,
                                Location(doc.file, page=page_no, table=t_index, row=r, column=c),
                                fill=fills.get((r, c)),
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


def _colour(value) -> str | None:
    """A PDF fill colour as text, None for none or white."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        value = (value,)
    try:
        components = tuple(round(float(v), 2) for v in value)
    except (TypeError, ValueError):
        return None
    white = {(1.0,), (1.0, 1.0, 1.0), (0.0, 0.0, 0.0, 0.0)}
    if not components or components in white:
        return None
    return "pdf:" + ",".join(f"{v:g}" for v in components)


def cell_fills(page, table) -> dict[tuple[int, int], str]:
    """(row, column) — 1-based — → fill colour of the cells of a ruled table covered for the
    most part by a filled rectangle (the bars of a Gantt chart printed to PDF)."""
    rects = [
        (r["x0"], r["top"], r["x1"], r["bottom"], colour)
        for r in page.rects
        if r.get("fill") and (colour := _colour(r.get("non_stroking_color")))
    ]
    if not rects:
        return {}
    out: dict[tuple[int, int], str] = {}
    for r_index, row in enumerate(table.rows, start=1):
        for c_index, bbox in enumerate(row.cells, start=1):
            if bbox is None:
                continue
            x0, top, x1, bottom = bbox
            area = max((x1 - x0) * (bottom - top), 1e-6)
            for rx0, rtop, rx1, rbottom, colour in rects:
                overlap = max(0.0, min(x1, rx1) - max(x0, rx0)) * max(0.0, min(bottom, rbottom) - max(top, rtop))
                if overlap >= 0.5 * area:
                    out[(r_index, c_index)] = colour
    return out


def looks_tabular(text: str) -> bool:
    """Whether one line of the page reads like the header of one of our tables (cheap
    pre-check before the costlier text-alignment table search): words naming at least three
    fields of one table kind on a single line, making up most of it."""
    if not text:
        return False
    cat = catalogue()
    for line in text.splitlines():
        folded = fold(line)
        if not folded or len(folded) > 300:
            continue
        words = meaningful_words(folded)
        if len(words) < 2:
            continue
        hits = [word_hits(w) for w in words]
        for kind in cat.kinds.values():
            named = _named_fields(kind.name, hits)
            if len(named) < max(kind.min_fields, 3):
                continue
            vocabulary = _kind_words(kind.name)
            # a header line is mostly header words; a sentence that cites three of them is not
            if sum(1 for h in hits if h & vocabulary) >= 0.5 * len(words):
                return True
    return False


def _named_fields(kind: str, hits: list[frozenset[str]]) -> set[str]:
    """Fields of the kind named by a word of their own: a key word of weight ≥ 0.8 (« FINESS »,
    « Catégorie »; not « projet »), one field per word."""
    named: set[str] = set()
    strong = _strong_keys(kind)
    for word_hit in hits:
        for field_name, patterns in strong.items():
            if field_name not in named and word_hit & patterns:
                named.add(field_name)
                break
    return named


@cache
def _strong_keys(kind: str) -> dict[str, frozenset[str]]:
    cat = catalogue()
    return {
        f: frozenset(p for k in cat.meanings[f].keys if k.weight >= 0.8 and len(k.parts) == 1 for p in k.parts)
        for f in cat.kinds[kind].synonyms
    }


@cache
def _kind_words(kind: str) -> frozenset[str]:
    cat = catalogue()
    out: set[str] = set().union(*cat.role_cues.values())
    for f in cat.kinds[kind].synonyms:
        out |= cat.meanings[f].key_patterns | cat.meanings[f].hints
    return frozenset(out)
