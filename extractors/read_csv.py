"""csv → one grid; UTF-8 or cp1252, separator `;`, `,` or tab detected from the content."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl.utils import get_column_letter

from core import file_problems as problems
from core.french import number
from core.limits import Limits
from core.models import CellValue, ExtractedDocument, Grid, Location


def decode_text(data: bytes) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def detect_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:30])
    try:
        return csv.Sniffer().sniff(sample, delimiters=";,\t").delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in (";", "\t", ",")}
        return max(counts, key=counts.get)


def read_csv(path: Path, doc: ExtractedDocument, limits: Limits) -> None:
    text, _encoding = decode_text(path.read_bytes())
    delimiter = detect_delimiter(text)
    rows: list[list[CellValue]] = []
    for r_index, values in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        if r_index > limits.max_rows:
            doc.warnings.append(problems.ROWS_TRUNCATED.message(limit=number(limits.max_rows), where=""))
            break
        rows.append(
            [
                CellValue(v if v.strip() else None, Location(doc.file, cell=f"{get_column_letter(c)}{r_index}"))
                for c, v in enumerate(values[: limits.max_columns], start=1)
            ]
        )
    doc.grids.append(Grid(None, rows))
