"""Tables of a spreadsheet printed to PDF without gridlines, rebuilt from word positions.

pdfplumber's text strategy cuts such pages at every alignment change ("Financement dema" |
"ndé", "127" | "300,00" | "EUR"). Here the header line is found first (a line whose
phrases are the headers of one of our tables); its phrases define the columns; each later
line's phrases go to a column by their left edge, or by their right edge for numbers (Excel
aligns numbers to the right of their column, text to the left).
"""

from __future__ import annotations

import re
import statistics

from core.models import CellValue, Grid, Location
from extractors.tables import detect_header

LINE_TOLERANCE = 2.5  # points between the tops of words of one line
_NUMERIC = re.compile(r"^[\s\d.,+\-()%€]*(eur|euros|k€|€)?\s*$", re.IGNORECASE)


def _lines(words: list[dict]) -> list[list[dict]]:
    lines: list[list[dict]] = []
    for word in sorted(words, key=lambda w: (round(w["top"], 1), w["x0"])):
        if lines and abs(word["top"] - lines[-1][0]["top"]) <= LINE_TOLERANCE:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: w["x0"]) for line in lines]


def _gap_threshold(lines: list[list[dict]]) -> float:
    """Wider than a space, narrower than a column gap: a space is about a quarter of the
    font size, columns are rarely closer than one font size."""
    heights = [w["bottom"] - w["top"] for line in lines for w in line]
    size = statistics.median(heights) if heights else 9.0
    return max(3.5, 0.6 * size)


def _phrases(line: list[dict], threshold: float) -> list[dict]:
    """Words joined into phrases where they are closer than a column gap."""
    phrases: list[dict] = []
    for word in line:
        if phrases and word["x0"] - phrases[-1]["x1"] <= threshold:
            last = phrases[-1]
            last["text"] += " " + word["text"]
            last["x1"] = word["x1"]
        else:
            phrases.append({"text": word["text"], "x0": word["x0"], "x1": word["x1"]})
    return phrases


def _column_of(phrase: dict, starts: list[float]) -> int:
    anchor = phrase["x1"] - 0.5 if _NUMERIC.match(phrase["text"]) else phrase["x0"] + 0.5
    index = 0
    for i, start in enumerate(starts):
        if anchor >= start - 2:
            index = i
    return index


def word_tables(page, page_no: int, file: str) -> list[Grid]:
    """The tables found on the page from word positions (one grid per header line)."""
    lines = _lines(page.extract_words(x_tolerance=1.5, y_tolerance=2, keep_blank_chars=False))
    threshold = _gap_threshold(lines)
    grids: list[Grid] = []
    starts: list[float] | None = None
    rows: list[list[CellValue]] = []
    table_no = 0
    for line in lines:
        phrases = _phrases(line, threshold)
        loc = Location(file, page=page_no)
        candidate = [CellValue(p["text"], loc) for p in phrases]
        if len(phrases) >= 2 and detect_header(candidate) is not None:
            if starts is not None and rows:
                grids.append(Grid(f"page {page_no}, tableau {table_no}", rows))
            table_no += 1
            starts = [p["x0"] for p in phrases]
            rows = [
                [
                    CellValue(p["text"], Location(file, page=page_no, table=table_no, row=0, column=c + 1))
                    for c, p in enumerate(phrases)
                ]
            ]
            continue
        if starts is None:
            continue
        cells: list[str | None] = [None] * len(starts)
        for phrase in phrases:
            column = _column_of(phrase, starts)
            cells[column] = phrase["text"] if cells[column] is None else f"{cells[column]} {phrase['text']}"
        line_no = len(rows)
        rows.append(
            [
                CellValue(value, Location(file, page=page_no, table=table_no, row=line_no, column=c + 1))
                for c, value in enumerate(cells)
            ]
        )
    if starts is not None and rows:
        grids.append(Grid(f"page {page_no}, tableau {table_no}", rows))
    return grids
