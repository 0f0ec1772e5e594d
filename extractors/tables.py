"""Find the typed tables inside a grid the way a reader does: the header row anywhere, each
header read by its wording and its words, checked against the cells under it.

A grid (a sheet, a csv, a PDF or docx table) may hold title rows, several tables, blank
rows and total rows. The vocabulary is data (``headers.yaml``); the scoring is in
``extractors.matcher``. Nothing is dropped silently: every column no field was found for is
kept on the table (``Table.unmapped``, its cells in ``Row.others``), with the reason; units
stated in a header or on a line above the table are applied to the amounts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from core.models import CellValue, Grid, Location
from extractors.gantt import find_gantts, token
from extractors.matcher import (
    MIN_FIELD_SCORE,
    Profile,
    looks_like_finess,
    profile,
    text_matches,
    weighed,
)
from extractors.table_types import ColumnReading, Row, Table, UnmappedColumn
from extractors.units import Unit, convert, unit_in
from extractors.values import fold, is_blank, parse_date
from extractors.vocabulary import HeaderCatalogue, TableKind, catalogue

__all__ = [
    "HeaderCatalogue",
    "Row",
    "Table",
    "TableKind",
    "UnmappedColumn",
    "catalogue",
    "combine_header_rows",
    "detect_header",
    "find_document_tables",
    "find_tables",
    "is_subtotal",
]

# A header row is looked for on every row of the first SCAN_ROWS rows of a grid; further
# down, only where no table is open (the body rows of a long table are not tried as headers).
SCAN_ROWS = 400
BLANK_ROWS_END_TABLE = 3
SAMPLE_ROWS = 12  # body rows whose cells weigh the header's reading
UNIT_LINES_ABOVE = 6  # lines above a header searched for the unit of the table (not past the previous table)
STRONG_HEADER = 0.85  # a header right under a table's last row (no blank row) must read this well
MIN_HEADER_SHARE = 0.34  # share of a header row's texts that must name fields of the table


@dataclass
class HeaderMatch:
    kind: str
    score: float
    mapping: dict[str, int]  # field → column
    height: int  # 1, or 2 for a two-row header
    texts: list[str]  # folded header text per column (two-row headers joined)
    readings: dict[str, tuple[float, str]] = field(default_factory=dict)  # field → (score, how)
    best_other: dict[int, tuple[str, float]] = field(default_factory=dict)  # column → closest field left out

    @property
    def strong(self) -> bool:
        return bool(self.readings) and min(s for s, _ in self.readings.values()) >= STRONG_HEADER


def _texts(row: list[CellValue]) -> list[str]:
    return [fold(c.text) if isinstance(c.raw, str) else "" for c in row]


def _candidates(
    texts: list[str], kind: TableKind, profiles: list[Profile] | None, lower: list[str] | None = None
) -> list[tuple[float, int, str, str]]:
    """(score, column, field, how) of every reading of the kind's fields at least
    ``MIN_FIELD_SCORE``; a two-row header is read joined (« Montant HT ») and by its lower
    cell alone (« Projet » over « Logiciel actuel »), the better reading kept."""
    best: dict[tuple[int, str], tuple[float, str]] = {}
    for col, text in enumerate(texts):
        own = lower[col] if lower is not None and col < len(lower) and lower[col] != text else ""
        # the lower cell names the column, the upper one qualifies it: « Projet » over
        # « Logiciel cible » is no type de projet
        named = {m.field for m in text_matches(own) if m.kind == kind.name} if own else set()
        column = profiles[col] if profiles is not None and col < len(profiles) else None
        for alternative in (text, own) if own else (text,):
            for match in text_matches(alternative):
                if match.kind != kind.name or (named and match.field not in named):
                    continue
                score = weighed(match, column)
                if score >= MIN_FIELD_SCORE and score > best.get((col, match.field), (0.0, ""))[0]:
                    best[(col, match.field)] = (score, match.how)
    out = [(score, col, field_name, how) for (col, field_name), (score, how) in best.items()]
    out.sort(key=lambda c: (-c[0], c[1]))
    return out


def _assign(candidates: list[tuple[float, int, str, str]]) -> tuple[dict[str, int], dict[str, tuple[float, str]]]:
    """Greedy: the best (score, column, field) first, each field and column used once."""
    mapping: dict[str, int] = {}
    readings: dict[str, tuple[float, str]] = {}
    used: set[int] = set()
    for score, col, field_name, how in candidates:
        if field_name in mapping or col in used:
            continue
        mapping[field_name] = col
        readings[field_name] = (score, how)
        used.add(col)
    return mapping, readings


def _is_header_for(kind: TableKind, assigned: dict[str, int]) -> bool:
    if len(assigned) < kind.min_fields:
        return False
    if any(r not in assigned for r in kind.required):
        return False
    return not kind.one_of or any(f in assigned for f in kind.one_of)


def _best_kind(
    texts: list[str], profiles: list[Profile] | None = None, lower: list[str] | None = None
) -> HeaderMatch | None:
    filled = sum(1 for t in texts if t)
    if filled < 2:
        return None
    cat = catalogue()
    best: HeaderMatch | None = None
    for kind in cat.kinds.values():
        candidates = _candidates(texts, kind, profiles, lower)
        mapping, readings = _assign(candidates)
        if not _is_header_for(kind, mapping) or len(mapping) < MIN_HEADER_SHARE * filled:
            continue  # a line of prose that cites three header words is not a header
        score = sum(s * (0.5 if f in cat.shared_fields else 1.0) for f, (s, _) in readings.items())
        if best is None or score > best.score:
            best = HeaderMatch(kind.name, score, mapping, 1, texts, readings)
    if best is not None:
        used = set(best.mapping.values())
        for score, col, field_name, _ in _candidates(texts, cat.kinds[best.kind], profiles, lower):
            if col not in used and col not in best.best_other:
                best.best_other[col] = (field_name, score)
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
    for u, lo in zip(up, low):
        if u:
            carried = u
        elif lo and carried:
            u = carried
        else:
            carried = "" if not lo else carried
        out.append(u if u == lo or not lo else (lo if not u else f"{u} {lo}"))
    return out


def _profiles(body: list[list[CellValue]], width: int) -> list[Profile]:
    return [profile([row[c].raw for row in body if c < len(row)]) for c in range(width)]


def _match(
    row: list[CellValue], next_row: list[CellValue] | None, body: Callable[[int], list[list[CellValue]]] | None = None
) -> HeaderMatch | None:
    """The header starting at this row, single or two-row, its readings weighed by the
    cells under it: ``body(n)`` gives the rows from the n-th row after this one."""
    if any(looks_like_finess(c.raw) for c in row):
        return None  # a header holds no FINESS: a body row, or a sentence citing one
    texts = _texts(row)
    single = _best_kind(texts)
    double = None
    double_texts: list[str] | None = None
    if (
        next_row is not None
        and sum(1 for t in texts if t) >= 2
        and any(isinstance(c.raw, str) and c.raw.strip() for c in next_row)
    ):
        double_texts = combine_header_rows(row, next_row)
        lower_texts = _texts(next_row)
        double = _best_kind(double_texts, lower=lower_texts)
    if single is None and double is None:
        return None
    if body is not None:  # the cells under the header lower the readings they contradict
        if single is not None:
            under = body(1)
            single = _best_kind(texts, _profiles(under, len(texts))) if under else single
        if double is not None and double_texts is not None:
            under = body(2)
            double = _best_kind(double_texts, _profiles(under, len(double_texts)), lower_texts) if under else double
    if double is not None and (single is None or double.score > single.score + 0.5):
        double.height = 2
        return double
    return single


def detect_header(
    row: list[CellValue], next_row: list[CellValue] | None = None, body: list[list[CellValue]] | None = None
) -> tuple[str, float, dict[str, int], int] | None:
    """The table kind whose header starts at this row: (kind, score, column mapping, number
    of header rows — 1, or 2 for a two-row header). ``body``: the rows under the header
    (after ``next_row``), whose cells weigh the readings."""
    rows = ([next_row] if next_row is not None else []) + list(body or [])
    match = _match(row, next_row, (lambda n: [r for r in rows[n - 1 :] if not _blank(r)]) if body else None)
    return None if match is None else (match.kind, match.score, match.mapping, match.height)


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


def _is_title(row: list[CellValue]) -> bool:
    """A line of text alone on its row (« Répartition de la demande par ESMS »): it titles
    what follows rather than continuing the table above."""
    filled = [c for c in row if not is_blank(c.raw)]
    return len(filled) == 1 and isinstance(filled[0].raw, str)


def _drop_trailing_titles(table: Table, rows: list[list[CellValue]]) -> None:
    """The title lines read at the end of a table belong to the table starting under them."""
    while table.rows and table.rows[-1].position < len(rows) and _is_title(rows[table.rows[-1].position]):
        if table.total_rows and table.total_rows[-1].position > table.rows[-1].position:
            break
        table.rows.pop()


def _blank(row: list[CellValue]) -> bool:
    return all(is_blank(c.raw) for c in row)


def _sample(rows: list[list[CellValue]], start: int) -> list[list[CellValue]]:
    """Up to ``SAMPLE_ROWS`` non-blank rows from ``start``, stopping at two blank rows."""
    out: list[list[CellValue]] = []
    blanks = 0
    for row in rows[start : start + 3 * SAMPLE_ROWS]:
        if _blank(row):
            blanks += 1
            if blanks >= 2:
                break
            continue
        blanks = 0
        if _is_total(_row_label(row)):
            continue  # « Total » in the FINESS column says nothing of the column
        out.append(row)
        if len(out) >= SAMPLE_ROWS:
            break
    return out


# ----------------------------------------------------------------------------- units

_AMOUNT_FIELDS = frozenset(f for f, m in catalogue().meanings.items() if m.role == "amount")


def _table_unit(grid: Grid, above: list[list[CellValue]], preamble: list[list[CellValue]]) -> Unit | None:
    """A unit stated on the lines above the header (nearest first), else on the lines
    above the sheet's first table (« Tous les montants sont en k€ » for the whole sheet), else
    in the sheet's name."""
    for lines in (above, preamble):
        for row in reversed(lines):
            for cell in row:
                unit = unit_in(cell.raw, cell.location) if isinstance(cell.raw, str) else None
                if unit is not None:
                    return unit
    return unit_in(grid.name) if grid.name else None


def _apply_units(table: Table, header_texts: dict[int, str], header_cells: list[CellValue]) -> None:
    """Each amount column's unit (its header's, completed by the table's); a column read as
    TTC whose header or table says HT is the HT amount."""
    for field_name, reading in list(table.readings.items()):
        if field_name not in _AMOUNT_FIELDS or reading.index is None:
            continue
        cell = header_cells[reading.index] if reading.index < len(header_cells) else None
        own = unit_in(header_texts.get(reading.index, ""), cell.location if cell else None)
        unit = own.merged(table.unit) if own else table.unit
        reading.unit = unit
    if table.kind == "budget_lignes":
        ttc = table.readings.get("montant_ttc")
        if ttc is not None and ttc.unit is not None and ttc.unit.basis == "HT" and "montant_ht" not in table.readings:
            table.readings["montant_ht"] = ColumnReading(
                "montant_ht", ttc.header, ttc.score, ttc.how, ttc.index, ttc.unit
            )
            del table.readings["montant_ttc"]
            table.column_index["montant_ht"] = table.column_index.pop("montant_ttc")
            table.columns["montant_ht"] = table.columns.pop("montant_ttc")
            table.notes.append(f"colonne « {ttc.header} » lue comme montant HT ({ttc.unit.explain()})")


# ----------------------------------------------------------------------------- body rows


def _add_body_row(table: Table, row: list[CellValue], position: int) -> None:
    cells = {}
    for field_name, c in table.column_index.items():
        if c < len(row):
            unit = table.unit_of(field_name)
            cells[field_name] = convert(row[c], unit) if unit is not None and unit.scales else row[c]
    mapped = set(table.column_index.values())
    others = {c: cell for c, cell in enumerate(row) if c not in mapped and not is_blank(cell.raw)}
    if all(is_blank(c.raw) for c in cells.values()):
        if others:
            table.left_out.append(row[0].location)
        return
    label = _row_label(row)
    body_row = Row(cells, row[0].location, _is_total(label), label, position, others)
    (table.total_rows if body_row.is_total else table.rows).append(body_row)


def _decimal(score: float) -> str:
    """A score as a reviewer reads it: « 0,88 »."""
    return f"{score:.2f}".replace(".", ",")


def _finish(table: Table) -> None:
    """The columns no field was found for, with their cells converted when a unit is stated
    (again after rows were added: a PDF table continued on the next page)."""
    if table.context is None:
        return
    header_cells, header_texts, match, _ = table.context
    table_unit = table.unit
    table.unmapped = []
    body = table.rows + table.total_rows
    columns = set(header_texts) | {c for r in body for c in r.others}
    mapped = set(table.column_index.values())
    calendar = [c for c in sorted(columns - mapped) if c < len(header_cells) and token(header_cells[c].raw) is not None]
    if table.kind == "planning" and len(calendar) >= 3:
        # the bars of a Gantt chart beside the dates: one note, the dates of the table stand
        first, last = header_cells[calendar[0]], header_cells[calendar[-1]]
        note = (
            f"{len(calendar)} colonnes de calendrier ({first.location.describe()} à "
            f"{last.location.cell or last.location.describe()}) non lues : les dates du tableau font foi"
        )
        if note not in table.notes:
            table.notes.append(note)
        columns -= set(calendar)
    for col in sorted(columns - mapped):
        cells = [r.others[col] for r in sorted(body, key=lambda r: r.position) if col in r.others]
        header = header_texts.get(col, "")
        if not header and not cells:
            continue
        column = profile([c.raw for c in cells])
        guess, guess_score = match.best_other.get(col, (None, 0.0))
        unit = unit_in(header) if header else None
        unit = unit.merged(table_unit) if unit else table_unit
        if not header:
            reason = "colonne sans en-tête"
        elif guess is not None and guess in table.column_index:
            taken = table.readings[guess]
            label = catalogue().meanings[guess].label
            reason = (
                f"« {header} » pourrait désigner « {label} », déjà lu dans la colonne "
                f"« {taken.header} » (confiance {_decimal(taken.score)} contre {_decimal(guess_score)})"
            )
        else:
            reason = "aucun champ de ce tableau ne correspond à cet en-tête"
        if column.holds_amounts and unit is not None and unit.scales:
            converted = {id(c): convert(c, unit) for c in cells}
            for r in body:
                if col in r.others:
                    r.others[col] = converted.get(id(r.others[col]), r.others[col])
        table.unmapped.append(
            UnmappedColumn(
                index=col,
                header=header,
                header_location=header_cells[col].location if col < len(header_cells) else None,
                first=cells[0].location if cells else None,
                last=cells[-1].location if cells else None,
                values=len(cells),
                holds_amounts=column.holds_amounts,
                reason=reason,
                guess=guess,
                guess_score=guess_score,
                unit=unit if column.holds_amounts else None,
            )
        )


def find_tables(grid: Grid, file: str) -> list[Table]:
    """Every recognised table of the grid, in order."""
    tables: list[Table] = []
    current: Table | None = None
    blank_run = 0
    skip = 0
    last_end = 0  # first row after the previous table's header or body
    after_break = False  # the last row read closed a table (its total) or titles the next one
    rows = grid.rows
    for r_index, row in enumerate(rows):
        if skip:
            skip -= 1
            continue
        match = None
        if r_index < SCAN_ROWS or current is None:
            next_row = rows[r_index + 1] if r_index + 1 < len(rows) else None
            match = _match(row, next_row, lambda n, start=r_index: _sample(rows, start + n))
            if match is not None and current is not None and not (blank_run or after_break) and not match.strong:
                match = None  # a body row that reads like a header: only a clear header starts a table here
        if match is not None:
            if current is not None:
                _drop_trailing_titles(current, rows)
            current = _start_table(grid, file, rows, r_index, match, last_end, tables[0].context[3] if tables else None)
            tables.append(current)
            blank_run = 0
            after_break = False
            skip = match.height - 1
            last_end = r_index + match.height
            continue
        if current is None:
            continue
        if _blank(row):
            blank_run += 1
            if blank_run >= BLANK_ROWS_END_TABLE:
                current = None
            continue
        blank_run = 0
        label = _row_label(row)
        after_break = (_is_total(label) and not is_subtotal(label)) or _is_title(row)
        _add_body_row(current, row, r_index)
        last_end = r_index + 1
    for table in tables:
        _finish(table)
    return [t for t in tables if t.rows or t.total_rows]


def _start_table(
    grid: Grid,
    file: str,
    rows: list[list[CellValue]],
    r_index: int,
    match: HeaderMatch,
    last_end: int,
    first_header: int | None,
) -> Table:
    row = rows[r_index]
    lower = rows[r_index + 1] if match.height == 2 else []
    header_cells = (
        row
        if match.height == 1
        else [
            lower[c] if c < len(lower) and not is_blank(lower[c].raw) else row[c]
            for c in range(min(len(row), len(lower)) if lower else len(row))
        ]
    )
    header_texts = _header_texts(row, lower)
    table = Table(
        kind=match.kind,
        file=file,
        grid_name=grid.name,
        header_location=row[0].location,
        columns={f: header_cells[c] for f, c in match.mapping.items() if c < len(header_cells)},
        column_index=dict(match.mapping),
        score=match.score,
        header_rows=match.height,
    )
    for field_name, (score, how) in match.readings.items():
        col = match.mapping[field_name]
        table.readings[field_name] = ColumnReading(field_name, header_texts.get(col, ""), score, how, col)
    first = first_header if first_header is not None else r_index
    preamble = rows[max(0, first - UNIT_LINES_ABOVE) : first] if first < r_index else []
    if first == r_index and last_end == 0 and grid.preamble:
        preamble = [[cell] for cell in grid.preamble]  # a document's table: the paragraphs above it
    table.unit = _table_unit(grid, rows[max(last_end, r_index - UNIT_LINES_ABOVE) : r_index], preamble)
    _apply_units(table, header_texts, header_cells)
    table.context = (header_cells, header_texts, match, r_index)
    return table


def _header_texts(row: list[CellValue], lower: list[CellValue]) -> dict[int, str]:
    """Column → the header as written (a two-row header's texts joined: « Montant HT »)."""
    out: dict[int, str] = {}
    carried = ""
    for c in range(max(len(row), len(lower))):
        up = row[c].text if c < len(row) and isinstance(row[c].raw, str) else ""
        low = lower[c].text if c < len(lower) and isinstance(lower[c].raw, str) else ""
        if up:
            carried = up
        elif low and carried and lower:
            up = carried
        text = up if not low or up == low else (low if not up else f"{up} {low}")
        if text:
            out[c] = text
    return out


def _page_of(grid: Grid) -> int | None:
    """The PDF page of a grid (its cells' page), None for a sheet or a docx table."""
    return next((cell.location.page for row in grid.rows for cell in row), None)


TURNED_MAX_ROWS = 40  # a turned table has a row per field: a longer grid is not tried turned


def find_turned_tables(grid: Grid, file: str) -> list[Table]:
    """Tables written turned (the headers down a column, an entry per column, as some owners
    lay out a budget of a few lines), found by reading the grid with rows and columns
    swapped; every cell keeps its own location (« C4 » stays « C4 »). Only tried on a short
    grid where no table was found the usual way."""
    rows = grid.rows
    if not rows or len(rows) > TURNED_MAX_ROWS:
        return []
    width = max(len(r) for r in rows)
    if width < 3:
        return []
    turned = [
        [rows[r][c] if c < len(rows[r]) else CellValue(None, Location(file)) for r in range(len(rows))]
        for c in range(width)
    ]
    # the title lines above the turned table (a cell alone on its row) say what it holds,
    # its unit among them: read as what is written above it
    titles = [next(c for c in row if not is_blank(c.raw)) for row in rows if sum(not is_blank(c.raw) for c in row) == 1]
    tables = find_tables(Grid(grid.name, turned, preamble=[*grid.preamble, *titles]), file)
    for table in tables:
        table.orientation = "colonnes"
    return tables


def _dated_share(table: Table) -> float:
    """Share of a planning's phases whose start and end dates read as dates."""
    if not table.rows:
        return 0.0
    fine = 0
    for row in table.rows:
        start, end = row.get("date_debut"), row.get("date_fin")
        if start is not None and end is not None:
            fine += parse_date(start.raw).value is not None and parse_date(end.raw).value is not None
    return fine / len(table.rows)


def _turned_or_gantt(grid: Grid, file: str) -> list[Table]:
    """A grid where no table reads the usual way: a turned table, or a Gantt chart. A Gantt
    chart turned reads as a « planning » whose phases are its periods (« S39 ») and whose
    dates are its marks: a turned planning is kept only when its phases have real dates."""
    turned = find_turned_tables(grid, file)
    if turned and all(t.kind != "planning" or _dated_share(t) >= 0.8 for t in turned):
        return turned
    return find_gantts(grid, file) or turned


def _repeats_header(last: Table | None, table: Table, last_page: int | None, page: int | None) -> bool:
    """``table`` continues ``last`` on the next page under the same header (same kind, same
    columns read as the same fields): a word processor repeats a table's header rows on every
    page it spans."""
    return (
        last is not None
        and last.source == "en-têtes"
        and table.source == "en-têtes"
        and page is not None
        and last_page is not None
        and page == last_page + 1
        and table.kind == last.kind
        and table.column_index == last.column_index
        and not last.total_rows
    )


def _join(last: Table, table: Table, grid_name: str | None) -> None:
    offset = 1 + max((r.position for r in last.rows + last.total_rows), default=0)
    for row in table.rows + table.total_rows:
        row.position += offset
        (last.total_rows if row.is_total else last.rows).append(row)
    last.left_out += table.left_out
    if grid_name:
        last.continued_in.append(grid_name)
    _finish(last)


def find_document_tables(grids: list[Grid], file: str) -> list[Table]:
    """Tables of a whole document; a PDF table continued on the next page without its
    header (same number of columns) is joined to the table it continues; a grid without a
    planning table is searched for a Gantt chart (``extractors.gantt``)."""
    tables: list[Table] = []
    last: Table | None = None
    last_width = last_page = None
    for grid in grids:
        found = find_tables(grid, file)
        if not found:
            found = _turned_or_gantt(grid, file)
        elif not any(t.kind == "planning" for t in found):
            found += find_gantts(grid, file)
        page = _page_of(grid)
        width = max((len(r) for r in grid.rows), default=0)
        if found and _repeats_header(last, found[0], last_page, page):
            # a printed table whose header is repeated at the top of each page: one table
            _join(last, found.pop(0), grid.name)
            last_page = page
            if not found:
                continue
        if found:
            tables += found
            last, last_width, last_page = found[-1], width, page
        elif (
            last is not None
            and last.source == "en-têtes"
            and page is not None
            and last_page is not None
            and page == last_page + 1
            and width == last_width
        ):
            for position, row in enumerate(grid.rows):
                _add_body_row(last, row, 100_000 * page + position)
            if grid.name:
                last.continued_in.append(grid.name)
            _finish(last)
            last_page = page
        else:
            last = None
    for table in tables:
        table.context = None  # what the table was read from: not kept with the document
    return tables
