"""xlsx/xlsm cell values through python-calamine (Rust), with openpyxl's exact results.

openpyxl in read-only mode costs about 7 ms per 1,000 cells (its workbook load alone, a few
ms per file); calamine about 1. ``read_values`` returns, for each worksheet, the rows that
``openpyxl.load_workbook(read_only=True, data_only=True)`` would yield with
``iter_rows(values_only=True)``, or raises ``Unsupported`` when it cannot be sure to:
the caller then reads the file with openpyxl, as before.

What comes from where, so that values and coordinates are the same as openpyxl's:

- the sheets (names, order, parts, chartsheets left out) and the calendar (1900/1904):
  openpyxl's own content-type, workbook and relationship parsers, which are cheap;
- the shape of each sheet: rows from 1 to the ``<dimension>`` the sheet declares, each as
  wide as it declares (openpyxl read-only truncates to it, and pads with ``None``);
- strings (shared, inline, formula results): calamine;
- numbers, dates, booleans and errors: the cell's text in the sheet XML, converted by
  openpyxl's own functions (``1500`` is an int and ``1500.0`` a float, a number styled as a
  date becomes a ``datetime`` by the workbook's number formats and calendar).

``Unsupported`` (fall back to openpyxl) when the sheet has no dimension, rows or cells
without coordinates or out of order, an escaped character (``_x000D_``) or an empty string
(calamine cannot tell them from empty cells), or anything calamine and the XML disagree on.
"""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl.packaging.manifest import Manifest
from openpyxl.packaging.relationship import get_dependents, get_rels_path
from openpyxl.reader.excel import _find_workbook_part, _validate_archive
from openpyxl.styles.numbers import builtin_format_code, is_date_format, is_timedelta_format
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601
from openpyxl.worksheet._reader import _cast_number
from openpyxl.xml.constants import ARC_CONTENT_TYPES, ARC_STYLE, REL_NS
from openpyxl.xml.functions import fromstring
from python_calamine import CalamineWorkbook

from extractors.read_calamine import MAX_CELLS_AT_ONCE, sheet_rows

MAX_SHEET_XML = 64 * 1024 * 1024  # larger sheets are streamed by openpyxl, as before

_NS = rb"(?:[A-Za-z_][\w.\-]*:)?"
_DIMENSION = re.compile(rb"<" + _NS + rb"dimension\b[^>]*?\bref=\"([^\"]*)\"")
_SHEET_DATA = re.compile(rb"<" + _NS + rb"sheetData\b")
_ROW_TAG = re.compile(rb"<" + _NS + rb"row\b([^>]*)>")
_ROW_NUMBER = re.compile(rb"\br=\"(\d+)\"")
_CELL_TAG = re.compile(rb"<" + _NS + rb"c[\s/>]")
# a cell: its attributes, then its cached value (after an optional formula)
_CELL = re.compile(
    rb"<" + _NS + rb"c\b([^>]*?)/?>"
    rb"(?:\s*<" + _NS + rb"f\b[^>]*?(?:/>|>[^<]*</" + _NS + rb"f>))?"
    rb"\s*(<" + _NS + rb"v>[^<]*</" + _NS + rb"v>)?"
)
_VALUE_CLOSE = re.compile(rb"</" + _NS + rb"v>")
_ATTR = re.compile(rb"\b([rst])=\"([^\"]*)\"")
_ESCAPED = re.compile(rb"_x[0-9A-Fa-f]{4}_")
_EMPTY_STRING = re.compile(
    rb"<" + _NS + rb"(?:si|is)\s*/>"
    rb"|<" + _NS + rb"(?:si|is)>\s*<" + _NS + rb"t\b[^>]*?(?:/>|>\s*</" + _NS + rb"t>)\s*</" + _NS + rb"(?:si|is)>"
)
_STRING_TYPES = {b"s", b"str", b"inlineStr"}
_ODD_ATTRIBUTE = re.compile(rb"<" + _NS + rb"c\b[^>]*\b[rst](?:\s+=|=\s+|\s*=\s*')")


class Unsupported(Exception):
    """This workbook needs openpyxl (the reason, for tests and benchmarks)."""


def read_values(path: Path, max_rows: int, max_columns: int) -> list[tuple[str, str, list[tuple], bytes]]:
    """(sheet title, sheet part, rows of values, sheet XML) for each worksheet, the rows as
    openpyxl reads them, up to ``max_rows + 1`` rows of at most ``max_columns`` values (the
    caller's limits)."""
    archive = _validate_archive(path)  # openpyxl's own checks (extension, zip)
    try:
        names = set(archive.namelist())
        if len({name.lower() for name in names}) != len(names):
            raise Unsupported("parts whose names differ only by case")
        manifest = Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES)))
        part = _find_workbook_part(manifest)
        if part.PartName != "/xl/workbook.xml":
            raise Unsupported(f"workbook part {part.PartName}")
        sheets, epoch = _worksheets(archive, part.PartName[1:], names)
        date_styles, timedelta_styles = _date_styles(archive, names)
        if "xl/sharedStrings.xml" in names:
            strings = archive.read("xl/sharedStrings.xml")
            if _ESCAPED.search(strings) or _EMPTY_STRING.search(strings):
                raise Unsupported("shared strings with escapes or empty strings")
        for _, target in sheets:
            if archive.getinfo(target).file_size > MAX_SHEET_XML:
                raise Unsupported(f"{target} is large")
        xml = {target: archive.read(target) for _, target in sheets}
    finally:
        archive.close()
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise Unsupported(f"calamine: {exc!r}") from exc
    try:
        available = set(workbook.sheet_names)
        out = []
        for title, target in sheets:
            if title not in available:
                raise Unsupported(f"calamine has no sheet {title!r}")
            values = workbook.get_sheet_by_name(title)
            data = xml[target]
            rows = _sheet_rows(data, values, epoch, date_styles, timedelta_styles, max_rows + 1, max_columns)
            out.append((title, target, rows, data))
        return out
    finally:
        workbook.close()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _worksheets(archive, workbook_part: str, names: set[str]) -> tuple[list[tuple[str, str]], object]:
    """openpyxl's ``WorkbookParser.find_sheets`` and ``ExcelReader.read_worksheets`` in
    read-only mode: (title, part) of each sheet whose part exists, chartsheets left out,
    and the calendar (``workbookPr date1904``)."""
    root = fromstring(archive.read(workbook_part))
    epoch = CALENDAR_WINDOWS_1900
    sheets: list[tuple[str, str]] = []
    rels = get_dependents(archive, get_rels_path(workbook_part)).to_dict()
    for element in root:
        tag = _local(element.tag)
        if tag == "workbookPr":
            flag = element.get("date1904")
            if flag is not None and flag not in ("false", "f", "0", ""):
                epoch = CALENDAR_MAC_1904
        elif tag == "sheets":
            for sheet in element:
                if _local(sheet.tag) != "sheet":
                    continue
                rel_id = sheet.get(f"{{{REL_NS}}}id")
                name = sheet.get("name")
                if not rel_id:
                    continue  # openpyxl drops it (with a warning)
                if name is None or rel_id not in rels:
                    raise Unsupported("sheet without name or relationship")
                rel = rels[rel_id]
                if rel.target in names and "chartsheet" not in rel.Type:
                    sheets.append((name, rel.target))
    return sheets, epoch


def _date_styles(archive, names: set[str]) -> tuple[set[int], set[int]]:
    """openpyxl's ``Stylesheet._normalise_numbers``: the cell styles (``cellXfs``) whose
    number format is a date or a duration; none without a stylesheet."""
    if ARC_STYLE not in names:
        return set(), set()
    root = fromstring(archive.read(ARC_STYLE))
    custom: dict[int, str] = {}
    xf_formats: list[int] = []
    for element in root:
        tag = _local(element.tag)
        if tag == "numFmts":
            for fmt in element:
                if _local(fmt.tag) == "numFmt":
                    custom[int(fmt.get("numFmtId"))] = fmt.get("formatCode")
        elif tag == "cellXfs":
            xf_formats = [int(xf.get("numFmtId", 0)) for xf in element if _local(xf.tag) == "xf"]
    dates, durations = set(), set()
    for index, format_id in enumerate(xf_formats):
        code = custom[format_id] if format_id in custom else builtin_format_code(format_id)
        if is_date_format(code):
            dates.add(index)
        if is_timedelta_format(code):
            durations.add(index)
    return dates, durations


def _sheet_rows(
    data: bytes, sheet, epoch, date_styles: set[int], timedelta_styles: set[int], row_limit: int, column_limit: int
) -> list[tuple]:
    head_end = _SHEET_DATA.search(data)
    dimension = _DIMENSION.search(data, 0, head_end.start() if head_end else len(data))
    if dimension is None:
        raise Unsupported("no dimension")  # openpyxl then sizes each row by its last cell
    try:
        _, _, max_col, max_row = range_boundaries(dimension.group(1).decode("ascii"))
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise Unsupported("unreadable dimension") from exc
    if not max_col or not max_row:
        raise Unsupported("open dimension")
    if _ESCAPED.search(data) or _EMPTY_STRING.search(data):
        raise Unsupported("escapes or empty inline strings")

    row_numbers = [m.group(1) for m in map(_ROW_NUMBER.search, _ROW_TAG.findall(data))]
    if None in row_numbers:
        raise Unsupported("row without number")
    numbers = [int(n) for n in row_numbers]
    if any(b <= a for a, b in zip(numbers, numbers[1:])):
        raise Unsupported("rows out of order")

    cells = _CELL.findall(data)
    if len(cells) != len(_CELL_TAG.findall(data)) or sum(1 for _, v in cells if v) != len(_VALUE_CLOSE.findall(data)):
        raise Unsupported("cell markup not understood")

    # values openpyxl computes from the cell's text (every type but strings), by row
    own: dict[int, dict[int, object]] = {}
    if _ODD_ATTRIBUTE.search(data):
        raise Unsupported("attribute written with spaces or single quotes")
    for attrs, value in cells:
        if b't="s"' in attrs or b't="inlineStr"' in attrs or b't="str"' in attrs:
            if b' r="' not in attrs and not attrs.startswith(b'r="'):
                raise Unsupported("cell without coordinate")
            continue  # a string: calamine's
        fields = dict(_ATTR.findall(attrs))
        ref = fields.get(b"r")
        if ref is None:
            raise Unsupported("cell without coordinate")
        kind = fields.get(b"t", b"n")
        if kind in _STRING_TYPES:
            continue
        row, column = _coordinate(ref)
        text = value[value.index(b">") + 1 : value.rindex(b"<")] if value else b""
        if b"&" in text:
            raise Unsupported("entity in a value")
        own.setdefault(row, {})[column] = _convert(
            kind, text.decode("utf-8") or None, fields.get(b"s", b"0"), epoch, date_styles, timedelta_styles
        )

    max_row, max_col = min(max_row, row_limit), min(max_col, column_limit)
    if sheet.end is not None and min(sheet.end[0] + 1, max_row) * (sheet.end[1] + 1) > MAX_CELLS_AT_ONCE:
        raise Unsupported("used range too large to copy at once")  # openpyxl streams it
    calamine_rows = sheet_rows(sheet, max_row)  # from A1
    rows: list[tuple] = []
    for r in range(1, max_row + 1):
        values = calamine_rows[r - 1] if r <= len(calamine_rows) else None
        computed = own.get(r, {})
        row = [None] * max_col
        if values:
            for column, value in enumerate(values, start=1):
                if column > max_col:
                    break
                if column in computed:
                    continue
                if not isinstance(value, str):
                    raise Unsupported(f"calamine value {value!r} without a cell at row {r} column {column}")
                if value:
                    row[column - 1] = value
        for column, value in computed.items():
            if column <= max_col:
                row[column - 1] = value
        rows.append(tuple(row))
    return rows


_REF = re.compile(rb"([A-Z]{1,3})([0-9]+)")
_COLUMNS: dict[bytes, int] = {}


def _coordinate(ref: bytes) -> tuple[int, int]:
    match = _REF.fullmatch(ref)
    if match is None:
        raise Unsupported(f"cell reference {ref!r}")
    letters, digits = match.groups()
    column = _COLUMNS.get(letters)
    if column is None:
        column = 0
        for letter in letters:
            column = column * 26 + letter - 64
        _COLUMNS[letters] = column
    return int(digits), column


def _convert(kind: bytes, text: str | None, style: bytes, epoch, date_styles: set[int], timedelta_styles: set[int]):
    """openpyxl's ``WorkSheetParser.parse_cell`` in data-only mode, for non-string cells."""
    if text is None:
        return None
    if kind == b"n":
        value = _cast_number(text)
        style_id = int(style) if style else 0
        if style_id in date_styles:
            try:
                return from_excel(value, epoch, timedelta=style_id in timedelta_styles)
            except (OverflowError, ValueError):
                return "#VALUE!"
        return value
    if kind == b"b":
        return bool(int(text))
    if kind == b"d":
        return from_ISO8601(text)
    return text  # "e": the error as written (#N/A, #DIV/0!...), or an unknown type
