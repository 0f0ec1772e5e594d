"""PDF → text by page (lines kept, for headings) and tables (pdfplumber), each with its page."""

from __future__ import annotations

from pathlib import Path

import pdfplumber

from esmsnum.models import CellValue, ExtractedDocument, Grid, Location, TextBlock
from extractors.limits import Limits
from extractors.pdf_words import word_tables
from extractors.tables import catalogue
from extractors.values import fold

MIN_CHARS_PER_PAGE = 20  # below this, a page with images is a scan, not a text document


def read_pdf(path: Path, doc: ExtractedDocument, limits: Limits) -> None:
    with pdfplumber.open(path) as pdf:
        pages = pdf.pages
        if not pages:
            raise EmptyDocument("le PDF ne contient aucune page")
        if len(pages) > limits.max_pages:
            doc.warnings.append(f"lecture limitée aux {limits.max_pages} premières pages sur {len(pages)}")
        chars = images = 0
        for page_no, page in enumerate(pages[: limits.max_pages], start=1):
            text = page.extract_text() or ""
            chars += len(text.strip())
            images += len(page.images)
            for line in text.splitlines():
                if line.strip():
                    doc.text.append(TextBlock(line.strip(), Location(doc.file, page=page_no)))
            tables = page.extract_tables()
            if not tables and looks_tabular(text):
                # A spreadsheet printed without gridlines: columns rebuilt from word positions.
                doc.grids.extend(word_tables(page, page_no, doc.file))
            for t_index, table in enumerate(tables, start=1):
                rows = [
                    [
                        CellValue(
                            (value.strip() or None) if isinstance(value, str) else value,
                            Location(doc.file, page=page_no, detail=f"tableau {t_index}, ligne {r}, colonne {c}"),
                        )
                        for c, value in enumerate(row, start=1)
                    ]
                    for r, row in enumerate(table, start=1)
                ]
                doc.grids.append(Grid(f"page {page_no}, tableau {t_index}", rows))
            page.flush_cache()
        read = min(len(pages), limits.max_pages)
        if chars < MIN_CHARS_PER_PAGE * read:
            if images:
                doc.scanned = True  # pages are pictures: a scan or a photo printed to PDF
            elif chars == 0:
                raise EmptyDocument("le PDF ne contient aucun texte lisible (pages blanches)")


class EmptyDocument(Exception):
    """A file that holds nothing to read (French message)."""


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
