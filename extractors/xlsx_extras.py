"""What the values of an xlsx do not say: hidden sheets, rows and columns, and the fill
colours of cells (the bars of a Gantt chart), read from the package's XML.

Neither calamine nor read-only openpyxl expose them; the parts are small (workbook,
styles) or already read (the sheet XML of the fast path), and scanned with regular
expressions only (the zip's XML was checked by ``xmlguard`` before any reader runs).
"""

from __future__ import annotations

import html
import re
import zipfile
from pathlib import Path

from openpyxl.utils import get_column_letter

_NS = rb"(?:[A-Za-z_][\w.\-]*:)?"
_SHEET_TAG = re.compile(rb"<" + _NS + rb"sheet\b([^>]*)>")
_ATTR = re.compile(rb"([\w:]+)\s*=\s*\"([^\"]*)\"")
_ROW_TAG = re.compile(rb"<" + _NS + rb"row\b([^>]*)>")
_COL_TAG = re.compile(rb"<" + _NS + rb"col\b([^>]*)>")
_CELL_TAG = re.compile(rb"<" + _NS + rb"c\b([^>]*?)/?>")
_CELL_REF = re.compile(rb"([A-Z]{1,3})(\d+)")
_TRUE = {b"1", b"true"}
MAX_STYLES_XML = 8 * 1024 * 1024


def _attrs(blob: bytes) -> dict[bytes, bytes]:
    return {name.split(b":")[-1]: value for name, value in _ATTR.findall(blob)}


def _read(path: Path, member: str) -> bytes | None:
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo(member)
            if info.file_size > MAX_STYLES_XML:
                return None
            return zf.read(member)
    except (KeyError, zipfile.BadZipFile, OSError):
        return None


def sheet_states(path: Path) -> dict[str, str]:
    """Sheet name → ``visible``, ``hidden`` or ``veryHidden`` (``xl/workbook.xml``); empty
    when the workbook part is elsewhere or unreadable (every sheet is then read)."""
    data = _read(path, "xl/workbook.xml")
    if not data:
        return {}
    states = {}
    for blob in _SHEET_TAG.findall(data):
        attrs = _attrs(blob)
        name = attrs.get(b"name")
        if name is not None:
            states[html.unescape(name.decode("utf-8", "replace"))] = attrs.get(b"state", b"visible").decode(
                "ascii", "replace"
            )
    return states


def hidden_rows_and_columns(data: bytes) -> tuple[set[int], set[int]]:
    """1-based numbers of the hidden rows and columns of a sheet's XML."""
    if b"hidden" not in data:
        return set(), set()
    rows: set[int] = set()
    columns: set[int] = set()
    for blob in _COL_TAG.findall(data):
        attrs = _attrs(blob)
        if attrs.get(b"hidden") in _TRUE:
            try:
                first, last = int(attrs[b"min"]), int(attrs[b"max"])
            except (KeyError, ValueError):
                continue
            columns.update(range(first, min(last, 16_384) + 1))
    for blob in _ROW_TAG.findall(data):
        if b"hidden" not in blob:
            continue
        attrs = _attrs(blob)
        if attrs.get(b"hidden") in _TRUE and attrs.get(b"r", b"").isdigit():
            rows.add(int(attrs[b"r"]))
    return rows, columns


_FILL = re.compile(rb"<" + _NS + rb"fill\b[^>]*>(.*?)</" + _NS + rb"fill>|<" + _NS + rb"fill\b[^>]*/>", re.DOTALL)
_PATTERN = re.compile(rb"<" + _NS + rb"patternFill\b([^>]*)/?>(.*?)(?:</" + _NS + rb"patternFill>|$)", re.DOTALL)
_GRADIENT = re.compile(rb"<" + _NS + rb"gradientFill\b")
_FG = re.compile(rb"<" + _NS + rb"fgColor\b([^>]*)/?>")
_BG = re.compile(rb"<" + _NS + rb"bgColor\b([^>]*)/?>")
_SECTION = re.compile(rb"<" + _NS + rb"(fills|cellXfs)\b[^>]*>(.*?)</" + _NS + rb"\1>", re.DOTALL)
_XF = re.compile(rb"<" + _NS + rb"xf\b([^>]*)/?>")
_WHITE = {"FFFFFFFF", "00FFFFFF", "FFFFFF", "theme:0", "indexed:9", "indexed:64", "indexed:65"}


def _colour(blob: bytes) -> str | None:
    attrs = _attrs(blob)
    if b"rgb" in attrs:
        return attrs[b"rgb"].decode("ascii", "replace").upper()
    if b"theme" in attrs:
        tint = attrs.get(b"tint", b"0").decode("ascii", "replace")
        return f"theme:{attrs[b'theme'].decode('ascii', 'replace')}" + ("" if tint in ("0", "0.0") else f":{tint}")
    if b"indexed" in attrs:
        return f"indexed:{attrs[b'indexed'].decode('ascii', 'replace')}"
    return None


def _fill_colour(body: bytes) -> str | None:
    """The visible colour of a ``<fill>``: a solid or patterned fill's colour, None for no
    fill or white."""
    if _GRADIENT.search(body):
        return "gradient"
    pattern = _PATTERN.search(body)
    if pattern is None:
        return None
    kind = _attrs(pattern.group(1)).get(b"patternType", b"none")
    if kind == b"none":
        return None
    fg = _FG.search(pattern.group(2) or b"")
    bg = _BG.search(pattern.group(2) or b"")
    colour = _colour(fg.group(1)) if fg else None
    if colour is None and bg:
        colour = _colour(bg.group(1))
    colour = colour or "indexed:64"
    return None if colour in _WHITE and kind == b"solid" else colour


def filled_styles(path: Path) -> dict[int, str]:
    """Cell style index (``s`` of a cell) → its fill colour, for the styles with a visible
    fill; empty when the workbook has none (then no sheet is scanned)."""
    data = _read(path, "xl/styles.xml")
    if not data:
        return {}
    sections = dict(_SECTION.findall(data))
    fills = [_fill_colour(m.group(1) or b"") for m in _FILL.finditer(sections.get(b"fills", b""))]
    out = {}
    for index, blob in enumerate(_XF.findall(sections.get(b"cellXfs", b""))):
        attrs = _attrs(blob)
        try:
            fill_id = int(attrs.get(b"fillId", b"0"))
        except ValueError:
            continue
        if attrs.get(b"applyFill", b"1") in (b"0", b"false"):
            continue
        if 0 <= fill_id < len(fills) and fills[fill_id]:
            out[index] = fills[fill_id]
    return out


def cell_fills(data: bytes, styles: dict[int, str]) -> dict[str, str]:
    """Cell reference (``B7``) → fill colour, for the cells of a sheet's XML whose style
    has a visible fill."""
    if not styles:
        return {}
    wanted = {str(i).encode() for i in styles}
    out = {}
    for blob in _CELL_TAG.findall(data):
        if b" s=" not in blob and not blob.startswith(b"s="):
            continue
        attrs = _attrs(blob)
        style = attrs.get(b"s")
        if style in wanted and b"r" in attrs:
            out[attrs[b"r"].decode("ascii", "replace")] = styles[int(style)]
    return out


def describe_rows(numbers: list[int]) -> str:
    """French: « ligne 4 », « lignes 4 à 6 », « lignes 4, 9 à 11 »."""
    return _describe(numbers, "ligne", str)


def describe_columns(numbers: list[int]) -> str:
    return _describe(numbers, "colonne", get_column_letter)


def _describe(numbers: list[int], noun: str, name) -> str:
    numbers = sorted(set(numbers))
    runs: list[tuple[int, int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    parts = [name(a) if a == b else f"{name(a)} à {name(b)}" for a, b in runs[:8]]
    more = f" et {len(runs) - 8} autres plages" if len(runs) > 8 else ""
    plural = "s" if len(numbers) > 1 else ""
    return f"{noun}{plural} {', '.join(parts)}{more}"
