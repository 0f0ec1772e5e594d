"""Find the typed tables inside a grid: header row anywhere, headers matched by synonyms.

A grid (a sheet, a csv, a PDF or docx table) may hold title rows, several tables, blank
rows and total rows. The header catalogue is data (``headers.yaml``).
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from esmsnum.models import CellValue, Grid, Location
from extractors.values import fold, is_blank

HEADERS_FILE = Path(__file__).with_name("headers.yaml")
SCAN_ROWS = 400  # header rows are searched in the first rows of a grid
BLANK_ROWS_END_TABLE = 3


@dataclass(frozen=True)
class TableKind:
    name: str
    document: str
    min_fields: int
    required: tuple[str, ...]
    one_of: tuple[str, ...]
    synonyms: dict[str, tuple[str, ...]]  # field → folded synonyms


@dataclass(frozen=True)
class HeaderCatalogue:
    kinds: dict[str, TableKind]
    shared_fields: frozenset[str]
    total_words: tuple[str, ...]
    form_labels: dict[str, tuple[str, ...]]


@lru_cache(maxsize=1)
def catalogue() -> HeaderCatalogue:
    data = yaml.safe_load(HEADERS_FILE.read_text(encoding="utf-8"))
    kinds = {}
    for name, spec in data["tables"].items():
        kinds[name] = TableKind(
            name=name,
            document=spec["document"],
            min_fields=spec["min_fields"],
            required=tuple(spec["required"]),
            one_of=tuple(spec.get("one_of", ())),
            synonyms={f: tuple(fold(s) for s in syns) for f, syns in spec["fields"].items()},
        )
    counts = Counter(f for k in kinds.values() for f in k.synonyms)
    return HeaderCatalogue(
        kinds=kinds,
        shared_fields=frozenset(f for f, n in counts.items() if n > 1),
        total_words=tuple(fold(w) for w in data["total_row_words"]),
        form_labels={k: tuple(fold(s) for s in v) for k, v in data["form_labels"].items()},
    )


def header_score(header: str, synonym: str) -> float:
    """1.0 exact, 0.9 synonym as whole words inside the header, 0.8 close spelling."""
    if not header or not synonym:
        return 0.0
    if header == synonym:
        return 1.0
    if len(synonym) >= 3 and f" {synonym} " in f" {header} ":
        return 0.9 - 0.01 * (len(header) - len(synonym)) / max(len(header), 1)
    if len(synonym) >= 6 and abs(len(header) - len(synonym)) <= 3:
        matcher = difflib.SequenceMatcher(None, header, synonym)
        if matcher.real_quick_ratio() >= 0.88 and matcher.quick_ratio() >= 0.88 and matcher.ratio() >= 0.88:
            return 0.8
    return 0.0


@lru_cache(maxsize=50_000)
def _column_matches(header: str) -> tuple[tuple[str, str, float], ...]:
    """(kind, field, score) for every field of every kind this header text may name."""
    if not header or len(header) > 80:
        return ()
    found = []
    for kind in catalogue().kinds.values():
        for field_name, synonyms in kind.synonyms.items():
            best = max(header_score(header, s) for s in synonyms)
            if best > 0:
                found.append((kind.name, field_name, best))
    return tuple(found)


@dataclass
class Row:
    cells: dict[str, CellValue]
    location: Location  # first cell of the row
    is_total: bool = False
    label: str = ""  # first text of the row (for totals)

    def get(self, field_name: str) -> CellValue | None:
        return self.cells.get(field_name)


@dataclass
class Table:
    kind: str
    file: str
    grid_name: str | None
    header_location: Location
    columns: dict[str, CellValue]  # field → header cell
    rows: list[Row] = field(default_factory=list)
    total_rows: list[Row] = field(default_factory=list)
    score: float = 0.0

    @property
    def where(self) -> str:
        return self.header_location.describe()


def _match_row(texts: list[str], kind: TableKind, shared: frozenset[str]) -> tuple[float, dict[str, int]]:
    candidates = [
        (score, col, field_name)
        for col, header in enumerate(texts)
        for kind_name, field_name, score in _column_matches(header)
        if kind_name == kind.name
    ]
    candidates.sort(key=lambda c: (-c[0], c[1]))
    assigned: dict[str, int] = {}
    used_cols: set[int] = set()
    score = 0.0
    for best, col, field_name in candidates:
        if field_name in assigned or col in used_cols:
            continue
        assigned[field_name] = col
        used_cols.add(col)
        score += best * (0.5 if field_name in shared else 1.0)
    return score, assigned


def _is_header_for(kind: TableKind, assigned: dict[str, int]) -> bool:
    if len(assigned) < kind.min_fields:
        return False
    if any(r not in assigned for r in kind.required):
        return False
    return not kind.one_of or any(f in assigned for f in kind.one_of)


def detect_header(row: list[CellValue]) -> tuple[str, float, dict[str, int]] | None:
    """The table kind whose header this row is, with its score and column mapping."""
    texts = [fold(c.text) if isinstance(c.raw, str) else "" for c in row]
    if sum(1 for t in texts if t) < 2:
        return None
    cat = catalogue()
    best: tuple[str, float, dict[str, int]] | None = None
    for kind in cat.kinds.values():
        score, assigned = _match_row(texts, kind, cat.shared_fields)
        if _is_header_for(kind, assigned) and (best is None or score > best[1]):
            best = (kind.name, score, assigned)
    return best


def _row_label(row: list[CellValue]) -> str:
    for cell in row:
        if isinstance(cell.raw, str) and cell.raw.strip():
            return cell.raw.strip()
    return ""


def _is_total(label: str) -> bool:
    folded = fold(label)
    return any(folded == w or folded.startswith(w + " ") for w in catalogue().total_words)


def find_tables(grid: Grid, file: str) -> list[Table]:
    """Every recognised table of the grid, in order."""
    tables: list[Table] = []
    current: Table | None = None
    mapping: dict[str, int] = {}
    blank_run = 0
    for r_index, row in enumerate(grid.rows):
        header = detect_header(row) if r_index < SCAN_ROWS or current is None else None
        if header is not None:
            kind, score, mapping = header
            current = Table(
                kind=kind, file=file, grid_name=grid.name, header_location=row[0].location,
                columns={f: row[c] for f, c in mapping.items()}, score=score,
            )
            tables.append(current)
            blank_run = 0
            continue
        if current is None:
            continue
        if all(is_blank(c.raw) for c in row):
            blank_run += 1
            if blank_run >= BLANK_ROWS_END_TABLE:
                current = None
            continue
        blank_run = 0
        cells = {f: row[c] for f, c in mapping.items() if c < len(row)}
        if all(is_blank(c.raw) for c in cells.values()):
            continue
        label = _row_label(row)
        current_row = Row(cells, row[0].location, _is_total(label), label)
        (current.total_rows if current_row.is_total else current.rows).append(current_row)
    return [t for t in tables if t.rows or t.total_rows]
