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

from core.models import CellValue, Grid, Location
from extractors.values import fold, is_blank

HEADERS_FILE = Path(__file__).with_name("headers.yaml")
# A header row is looked for on every row of the first SCAN_ROWS rows of a grid; further
# down, only where no table is open (the body rows of a long table are not tried as headers).
SCAN_ROWS = 400
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
        return 0.9 - 0.2 * (len(header) - len(synonym)) / max(len(header), 1)
    if len(synonym) >= 6 and abs(len(header) - len(synonym)) <= 3:
        matcher = difflib.SequenceMatcher(None, header, synonym)
        if matcher.real_quick_ratio() >= 0.88 and matcher.quick_ratio() >= 0.88 and matcher.ratio() >= 0.88:
            return 0.8
    return 0.0


@lru_cache(maxsize=1)
def _synonym_index() -> tuple[tuple[str, str, str, str], ...]:
    """(kind, field, synonym, its first word) for every synonym of the catalogue."""
    return tuple((kind.name, field_name, synonym, synonym.split(" ", 1)[0])
                 for kind in catalogue().kinds.values()
                 for field_name, synonyms in kind.synonyms.items()
                 for synonym in synonyms if synonym)


def _close_lengths(a: int, b: int) -> bool:
    """Whether ``header_score``'s spelling match can hold for texts of these lengths (its
    length test, and difflib's ``real_quick_ratio`` bound 2·min / (a + b) ≥ 0.88)."""
    return b >= 6 and abs(a - b) <= 3 and 2 * min(a, b) >= 0.88 * (a + b)


@lru_cache(maxsize=50_000)
def _column_matches(header: str) -> tuple[tuple[str, str, float], ...]:
    """(kind, field, score) for every field of every kind this header text may name.

    Every text cell of the first rows of every grid is tried, most of them body cells
    (names, communes): ``header_score`` only runs on the synonyms that can score, those
    whose first word is a word of the header or whose length is close enough for a
    spelling match. Same scores as trying them all."""
    if not header or len(header) > 80:
        return ()
    words = set(header.split(" "))
    size = len(header)
    best: dict[tuple[str, str], float] = {}
    for kind_name, field_name, synonym, first_word in _synonym_index():
        if first_word not in words and not _close_lengths(size, len(synonym)):
            continue
        score = header_score(header, synonym)
        if score > best.get((kind_name, field_name), 0.0):
            best[(kind_name, field_name)] = score
    return tuple((kind_name, field_name, score) for (kind_name, field_name), score in best.items())


@dataclass
class Row:
    cells: dict[str, CellValue]
    location: Location  # first cell of the row
    is_total: bool = False
    label: str = ""  # first text of the row (for totals)
    position: int = 0  # order in the grid (subtotals sum the rows since the previous one)

    def get(self, field_name: str) -> CellValue | None:
        return self.cells.get(field_name)


@dataclass
class Table:
    kind: str
    file: str
    grid_name: str | None
    header_location: Location
    columns: dict[str, CellValue]  # field → header cell
    column_index: dict[str, int] = field(default_factory=dict)  # field → column in the grid
    rows: list[Row] = field(default_factory=list)
    total_rows: list[Row] = field(default_factory=list)
    score: float = 0.0
    header_rows: int = 1

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


def _texts(row: list[CellValue]) -> list[str]:
    return [fold(c.text) if isinstance(c.raw, str) else "" for c in row]


def _best_kind(texts: list[str]) -> tuple[str, float, dict[str, int]] | None:
    if sum(1 for t in texts if t) < 2:
        return None
    cat = catalogue()
    best: tuple[str, float, dict[str, int]] | None = None
    for kind in cat.kinds.values():
        score, assigned = _match_row(texts, kind, cat.shared_fields)
        if _is_header_for(kind, assigned) and (best is None or score > best[1]):
            best = (kind.name, score, assigned)
    return best


def combine_header_rows(upper: list[CellValue], lower: list[CellValue]) -> list[str]:
    """Texts of a two-row header: ``Montant`` over ``HT`` | ``TTC`` → ``montant ht``, ``montant ttc``.

    A merged upper cell is either filled by the reader (xlsx) or empty to the right of its
    text (csv, PDF): the last upper text is carried over the lower cells under it.
    """
    up, low = _texts(upper), _texts(lower)
    width = max(len(up), len(low))
    up += [""] * (width - len(up))
    low += [""] * (width - len(low))
    out, carried = [], ""
    for u, l in zip(up, low):
        if u:
            carried = u
        elif l and carried:
            u = carried
        else:
            carried = "" if not l else carried
        out.append(u if u == l or not l else (l if not u else f"{u} {l}"))
    return out


def detect_header(row: list[CellValue], next_row: list[CellValue] | None = None) -> tuple[str, float, dict[str, int], int] | None:
    """The table kind whose header starts at this row: (kind, score, column mapping, number
    of header rows — 1, or 2 for a two-row header)."""
    single = _best_kind(_texts(row))
    double = None
    upper_texts = sum(1 for t in _texts(row) if t)
    if next_row is not None and upper_texts >= 2 and any(isinstance(c.raw, str) and c.raw.strip() for c in next_row):
        double = _best_kind(combine_header_rows(row, next_row))
    if double is not None and (single is None or double[1] > single[1] + 0.5):
        return (*double, 2)
    if single is not None:
        return (*single, 1)
    return None


def _row_label(row: list[CellValue]) -> str:
    for cell in row:
        if isinstance(cell.raw, str) and cell.raw.strip():
            return cell.raw.strip()
    return ""


def _is_total(label: str) -> bool:
    folded = fold(label)
    return any(folded == w or folded.startswith(w + " ") for w in catalogue().total_words)


def is_subtotal(label: str) -> bool:
    folded = fold(label)
    return folded.startswith(("sous total", "subtotal"))


def _add_body_row(table: Table, row: list[CellValue], position: int) -> None:
    cells = {f: row[c] for f, c in table.column_index.items() if c < len(row)}
    if all(is_blank(c.raw) for c in cells.values()):
        return
    label = _row_label(row)
    body_row = Row(cells, row[0].location, _is_total(label), label, position)
    (table.total_rows if body_row.is_total else table.rows).append(body_row)


def find_tables(grid: Grid, file: str) -> list[Table]:
    """Every recognised table of the grid, in order."""
    tables: list[Table] = []
    current: Table | None = None
    blank_run = 0
    skip = 0
    for r_index, row in enumerate(grid.rows):
        if skip:
            skip -= 1
            continue
        header = None
        if r_index < SCAN_ROWS or current is None:
            next_row = grid.rows[r_index + 1] if r_index + 1 < len(grid.rows) else None
            header = detect_header(row, next_row)
        if header is not None:
            kind, score, mapping, height = header
            lower = grid.rows[r_index + 1] if height == 2 else []
            header_cells = row if height == 1 else [
                lower[c] if c < len(lower) and not is_blank(lower[c].raw) else row[c]
                for c in range(min(len(row), len(lower)) if lower else len(row))
            ]
            current = Table(
                kind=kind, file=file, grid_name=grid.name, header_location=row[0].location,
                columns={f: header_cells[c] for f, c in mapping.items() if c < len(header_cells)},
                column_index=dict(mapping), score=score, header_rows=height,
            )
            tables.append(current)
            blank_run = 0
            skip = height - 1
            continue
        if current is None:
            continue
        if all(is_blank(c.raw) for c in row):
            blank_run += 1
            if blank_run >= BLANK_ROWS_END_TABLE:
                current = None
            continue
        blank_run = 0
        _add_body_row(current, row, r_index)
    return [t for t in tables if t.rows or t.total_rows]


def _page_of(grid: Grid) -> int | None:
    """The PDF page of a grid (its cells' page), None for a sheet or a docx table."""
    return next((cell.location.page for row in grid.rows for cell in row), None)


def find_document_tables(grids: list[Grid], file: str) -> list[Table]:
    """Tables of a whole document; a PDF table continued on the next page without its
    header (same number of columns) is joined to the table it continues."""
    tables: list[Table] = []
    last: Table | None = None
    last_width = last_page = None
    for grid in grids:
        found = find_tables(grid, file)
        page = _page_of(grid)
        width = max((len(r) for r in grid.rows), default=0)
        if found:
            tables += found
            last, last_width, last_page = found[-1], width, page
        elif (last is not None and page is not None and last_page is not None and page == last_page + 1
              and width == last_width):
            for position, row in enumerate(grid.rows):
                _add_body_row(last, row, 100_000 * page + position)
            last_page = page
        else:
            last = None
    return tables
