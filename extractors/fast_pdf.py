"""PDF page text and page contents through pypdfium2 (PDFium, C++): about 5 ms a page of
2,000 characters on the generated dossiers, where pdfplumber (pdfminer, pure Python) costs
60-100 ms, for the pages that hold no table.

``page_text`` rebuilds the text of a page the way ``pdfplumber``'s ``extract_text()`` does
with its defaults (characters clustered into lines by their top within 3 pt, sorted left to
right, words split at whitespace or at gaps wider than 3 pt, words joined by one space,
ligatures expanded), from the positions PDFium gives for each character, so that
downstream code (headings, ``Label : valeur`` lines of the online form export, prose
rules) reads the lines it read before. The generated dossiers read identically; other PDFs
may differ in a few spaces or characters (a glyph drawn twice, a character a fraction of a
point off pdfminer's position): ``tests/test_fast_paths.py`` lists them.

``scan_page`` walks the page objects (form XObjects included) once: images (scan
detection), the direction of text objects, and the painted paths, from which
``may_hold_ruled_table`` decides, conservatively, whether pdfplumber's ruling-line table
finder could find a table there: it needs at least two horizontal and two vertical edges,
which only path objects (lines, rectangles, curves) provide.
"""

from __future__ import annotations

import ctypes
import itertools
from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfplumber.utils.text import LIGATURES

X_TOLERANCE = 3.0  # pdfplumber's defaults for extract_text()
Y_TOLERANCE = 3.0
THIN = 3.0  # a path thinner than this (pt) draws one edge, as pdfplumber's edge_min_length
MAX_OBJECTS = 200_000  # page objects walked per page (form XObjects included)
MAX_FORM_DEPTH = 12

_V, _I, _F = ctypes.c_void_p, ctypes.c_int, ctypes.c_float


def _fast(fn, restype, *argtypes):
    """The same C function with plain pointer arguments: ctypes then skips its per-call
    type conversions (the calls are made once per character)."""
    return ctypes.CFUNCTYPE(restype, *argtypes)(ctypes.cast(fn, _V).value)


_count_chars = _fast(pdfium_c.FPDFText_CountChars, _I, _V)
_unicode = _fast(pdfium_c.FPDFText_GetUnicode, ctypes.c_uint, _V, _I)
_is_generated = _fast(pdfium_c.FPDFText_IsGenerated, _I, _V, _I)
_loose_box = _fast(pdfium_c.FPDFText_GetLooseCharBox, _I, _V, _I, _V)
_char_box = _fast(pdfium_c.FPDFText_GetCharBox, _I, _V, _I, _V, _V, _V, _V)
_char_origin = _fast(pdfium_c.FPDFText_GetCharOrigin, _I, _V, _I, _V, _V)
_text_object = _fast(pdfium_c.FPDFText_GetTextObject, _V, _V, _I)
_count_objects = _fast(pdfium_c.FPDFPage_CountObjects, _I, _V)
_get_object = _fast(pdfium_c.FPDFPage_GetObject, _V, _V, _I)
_form_count = _fast(pdfium_c.FPDFFormObj_CountObjects, _I, _V)
_form_object = _fast(pdfium_c.FPDFFormObj_GetObject, _V, _V, ctypes.c_ulong)
_object_type = _fast(pdfium_c.FPDFPageObj_GetType, _I, _V)
_object_bounds = _fast(pdfium_c.FPDFPageObj_GetBounds, _I, _V, _V, _V, _V, _V)
_object_matrix = _fast(pdfium_c.FPDFPageObj_GetMatrix, _I, _V, _V)
_text_font = _fast(pdfium_c.FPDFTextObj_GetFont, _V, _V)
_font_size = _fast(pdfium_c.FPDFTextObj_GetFontSize, _I, _V, _V)
_font_ascent = _fast(pdfium_c.FPDFFont_GetAscent, _I, _V, _F, _V)
_font_descent = _fast(pdfium_c.FPDFFont_GetDescent, _I, _V, _F, _V)

_TEXT, _PATH, _IMAGE, _FORM = (
    pdfium_c.FPDF_PAGEOBJ_TEXT,
    pdfium_c.FPDF_PAGEOBJ_PATH,
    pdfium_c.FPDF_PAGEOBJ_IMAGE,
    pdfium_c.FPDF_PAGEOBJ_FORM,
)
_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _handle(obj) -> int:
    return ctypes.cast(obj, _V).value or 0


def _compose(m: tuple, n: tuple) -> tuple:
    """m then n (PDF row-vector convention: p' = p × m × n)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


# How the boxes of a text object's characters are made (pdfminer's box: from the font's
# descent, one font size high, one advance wide, in the object's text space):
ALIGNED = 0  # horizontal in the page's own space: PDFium's loose box, moved to pdfminer's
QUARTER = 1  # turned a quarter: the glyph box along the line, pdfminer's box across it
OTHER = 2  # any other angle: the glyph box


@dataclass
class PageScan:
    """What the page objects say, before any text is read."""

    images: int = 0
    horizontal: int = 0  # path objects that may give pdfplumber a horizontal edge
    vertical: int = 0
    # text object → (upright in pdfminer's sense, ALIGNED|QUARTER|OTHER, geometry): for
    # ALIGNED the offsets (top, bottom) from PDFium's loose box to pdfminer's, for QUARTER
    # (c, d, y0, y1), the span (y0, y1) across the line in text space and its direction
    texts: dict[int, tuple[bool, int, tuple]] = field(default_factory=dict)
    complete: bool = True  # False when the walk stopped at MAX_OBJECTS or MAX_FORM_DEPTH

    @property
    def may_hold_ruled_table(self) -> bool:
        return not self.complete or (self.horizontal >= 2 and self.vertical >= 2)

    def uniform(self) -> tuple[bool, int, tuple] | None:
        """What every text object shares, when all are upright, horizontal and offset alike
        (within 0.2 pt: an offset common to all characters changes nothing): then
        characters need no look-up of their text object."""
        shifts = []
        for upright, mode, geometry in self.texts.values():
            if not upright or mode != ALIGNED:
                return None
            shifts.append(geometry)
        if shifts:
            tops, bottoms = [t for t, _ in shifts], [b for _, b in shifts]
            if max(tops) - min(tops) > 0.2 or max(bottoms) - min(bottoms) > 0.2:
                return None
        return (True, ALIGNED, (0.0, 0.0))


def scan_page(page: pdfium.PdfPage) -> PageScan:
    scan = PageScan()
    rotation = page.get_rotation() % 360
    matrix = pdfium_c.FS_MATRIX()
    m_addr = ctypes.addressof(matrix)
    value = _F()
    f_addr = ctypes.addressof(value)
    box = (_F * 4)()
    addrs = [ctypes.addressof(box) + 4 * i for i in range(4)]  # left, bottom, right, top
    budget = [MAX_OBJECTS]

    def walk(objects, form: tuple, depth: int) -> None:
        for obj in objects:
            budget[0] -= 1
            if budget[0] < 0:
                scan.complete = False
                return
            kind = _object_type(obj)
            if kind == _TEXT:
                _object_matrix(obj, m_addr)
                a, b, c, d, _, _ = _compose((matrix.a, matrix.b, matrix.c, matrix.d, 0.0, 0.0), form)
                scale = max(abs(a), abs(b), abs(c), abs(d)) * 1e-6
                metrics = _font_metrics(obj, f_addr, value)
                if abs(b) <= scale and abs(c) <= scale:
                    mode = ALIGNED
                    geometry = _aligned_offsets(metrics, a, d) if metrics else (0.0, 0.0)
                elif abs(a) <= scale and abs(d) <= scale and metrics:
                    mode = QUARTER
                    size, _, descent = metrics
                    y0 = descent / 1000 * size
                    geometry = (c, d, y0, y0 + size)
                else:
                    mode, geometry = OTHER, ()
                if rotation in (90, 270):  # pdfminer applies the page rotation to every object
                    a, b, c, d = b, -a, d, -c
                elif rotation == 180:
                    a, b, c, d = -a, -b, -c, -d
                scan.texts[obj] = (a * d > 0 and b * c <= 0, mode, geometry)
            elif kind == _PATH:
                _object_bounds(obj, *addrs)
                left, bottom, right, top = box
                if form != _IDENTITY:
                    if form[1] or form[2]:  # rotated or skewed form: its paths may go any way
                        scan.horizontal += 2
                        scan.vertical += 2
                        continue
                    corners = [_apply(form, x, y) for x in (left, right) for y in (bottom, top)]
                    left, right = min(p[0] for p in corners), max(p[0] for p in corners)
                    bottom, top = min(p[1] for p in corners), max(p[1] for p in corners)
                width, height = right - left, top - bottom
                # a thin path is one edge; a dot may join others; anything else may be a
                # rectangle (a one-cell table for pdfplumber) or a polyline of both kinds
                if height < THIN <= width:
                    scan.horizontal += 1
                elif width < THIN <= height:
                    scan.vertical += 1
                else:
                    scan.horizontal += 2
                    scan.vertical += 2
            elif kind == _IMAGE:
                scan.images += 1
            elif kind == _FORM:
                if depth >= MAX_FORM_DEPTH:
                    scan.complete = False
                    continue
                _object_matrix(obj, m_addr)
                inner = _compose((matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f), form)
                walk((_form_object(obj, i) for i in range(max(_form_count(obj), 0))), inner, depth + 1)

    raw = _handle(page.raw)
    walk((_get_object(raw, i) for i in range(max(_count_objects(raw), 0))), _IDENTITY, 0)
    return scan


def _font_metrics(obj: int, f_addr: int, value) -> tuple[float, float, float] | None:
    """(font size, ascent, descent) of a text object, ascent and descent per 1000 em."""
    font = _text_font(obj)
    if not font or not _font_size(obj, f_addr):
        return None
    size = value.value
    if not _font_ascent(font, 1000.0, f_addr):
        return None
    ascent = value.value
    if not _font_descent(font, 1000.0, f_addr):
        return None
    return size, ascent, value.value


def _aligned_offsets(metrics: tuple[float, float, float], a: float, d: float) -> tuple[float, float]:
    """How far pdfminer's box of a character (bottom at the font's descent, one font size
    high) lies from PDFium's loose box (ascent to descent scaled to one font size), as
    (top, bottom) offsets upwards."""
    size, ascent, descent = metrics
    if ascent == descent:
        return (0.0, 0.0)
    ours_top = ascent * a * size / (ascent - descent)
    ours_bottom = descent * a * size / (ascent - descent)
    theirs_bottom = descent / 1000 * size * d
    return (theirs_bottom + size * d - ours_top, theirs_bottom - ours_bottom)


def _apply(m: tuple, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return (a * x + c * y + e, b * x + d * y + f)


# --------------------------------------------------------------------------- text


def _page_chars(page: pdfium.PdfPage, scan: PageScan) -> list[tuple]:
    """The page's characters in content order as (top, bottom, x0, x1, text, upright), in
    pdfplumber's page space (origin top-left, page rotation applied). The spaces and line
    breaks PDFium adds are dropped: as pdfplumber, words end at a space character of the
    PDF or at a gap wider than 3 pt."""
    textpage = page.get_textpage()
    try:
        raw = _handle(textpage.raw)
        count = _count_chars(raw)
        if count <= 0:
            return []
        text = textpage.get_text_range(0, count)
        if len(text) != count:  # surrogate pairs: read the characters one by one
            text = "".join(chr(_unicode(raw, i) or 0xFFFD) for i in range(count))
        rotation = page.get_rotation() % 360
        rect = pdfium_c.FS_RECTF()  # left, top, right, bottom
        r_addr = ctypes.addressof(rect)
        doubles = (ctypes.c_double * 4)()
        d_addrs = [ctypes.addressof(doubles) + 8 * i for i in range(4)]  # left, right, bottom, top
        uniform = scan.uniform()
        texts = scan.texts
        unknown = (True, OTHER, ())
        origin = (ctypes.c_double * 2)()
        o_addrs = [ctypes.addressof(origin), ctypes.addressof(origin) + 8]
        chars: list[tuple] = []
        append = chars.append
        if uniform is not None and rotation == 0:
            # the common case (every text object horizontal, one font offset, no page
            # rotation): one call per character
            for i in range(count):
                ch = text[i]
                if (ch == " " or ch == "\r" or ch == "\n") and _is_generated(raw, i):
                    continue  # PDFium's own word and line breaks: pdfplumber has none
                if ch == "\ufffe":  # PDFium's mark for a hyphen that ends a line
                    ch = "-"
                if _loose_box(raw, i, r_addr):
                    append((-rect.top, -rect.bottom, rect.left, rect.right, ch, True))
                else:
                    _char_box(raw, i, *d_addrs)
                    left, right, bottom, top = doubles
                    append((-top, -bottom, left, right, ch, True))
            return chars
        for i in range(count):
            ch = text[i]
            if (ch == " " or ch == "\r" or ch == "\n") and _is_generated(raw, i):
                continue
            if ch == "\ufffe":
                ch = "-"
            upright, mode, geometry = uniform or texts.get(_text_object(raw, i), unknown)
            if mode == ALIGNED and _loose_box(raw, i, r_addr):
                left, right = rect.left, rect.right
                bottom, top = rect.bottom + geometry[1], rect.top + geometry[0]
            else:
                _char_box(raw, i, *d_addrs)
                left, right, bottom, top = doubles
                if mode == QUARTER:  # across the line: pdfminer's span from the baseline
                    c, d, y0, y1 = geometry
                    _char_origin(raw, i, o_addrs[0], o_addrs[1])
                    ox, oy = origin
                    if abs(c) > abs(d):
                        left, right = sorted((ox + c * y0, ox + c * y1))
                    else:
                        bottom, top = sorted((oy + d * y0, oy + d * y1))
            if rotation == 0:
                x0, x1, y0, y1 = left, right, bottom, top
            elif rotation == 90:
                x0, x1, y0, y1 = bottom, top, -right, -left
            elif rotation == 180:
                x0, x1, y0, y1 = -right, -left, -top, -bottom
            else:
                x0, x1, y0, y1 = -top, -bottom, left, right
            append((-y1, -y0, x0, x1, ch, upright))
        return chars
    finally:
        textpage.close()


def _cluster_ids(values, tolerance: float) -> dict[float, int]:
    """pdfplumber's ``make_cluster_dict``: sorted distinct values chained within tolerance."""
    ids: dict[float, int] = {}
    current, last = -1, None
    for value in sorted(set(values)):
        if last is None or value > last + tolerance:
            current += 1
        ids[value] = current
        last = value
    return ids


def _words(chars: list[tuple], upright: bool) -> list[tuple[float, str]]:
    """(top, text) of the words of a run of characters of one direction, in pdfplumber's
    order (``WordExtractor.iter_extract_tuples``): characters clustered into lines, each
    line sorted along the text (a stable sort on both keys at once is the same), a word
    ends at a blank, at a gap wider than the tolerance or at a step across the line."""
    words: list[tuple[float, str]] = []
    if upright:
        ids = _cluster_ids([c[0] for c in chars], Y_TOLERANCE)
        ordered = sorted(chars, key=lambda c: (ids[c[0]], c[2]))
        along, across, line_of = 2, 0, 0  # x0 along the line; top across it; lines by top
    else:  # vertical text: lines are columns (by x0), characters go top to bottom
        ids = _cluster_ids([c[2] for c in chars], X_TOLERANCE)
        ordered = sorted(chars, key=lambda c: (ids[c[2]], c[0], c[1]))
        along, across, line_of = 0, 2, 2
    end = along + 1  # x1 after x0, bottom after top
    current: list[tuple] = []
    line = None
    for char in ordered:
        char_line = ids[char[line_of]]
        if current and (char_line != line or char[4].isspace()):
            words.append(_merge(current))
            current = []
        line = char_line
        if char[4].isspace():
            continue
        if current:
            prev = current[-1]
            if (
                char[along] < prev[along]
                or char[along] > prev[end] + X_TOLERANCE
                or abs(char[across] - prev[across]) > Y_TOLERANCE
            ):
                words.append(_merge(current))
                current = []
        current.append(char)
    if current:
        words.append(_merge(current))
    return words


_EXPAND = str.maketrans(LIGATURES)


def _merge(chars: list[tuple]) -> tuple[float, str]:
    return (min(c[0] for c in chars), "".join([c[4] for c in chars]).translate(_EXPAND))


def chars_to_text(chars: list[tuple]) -> str:
    """pdfplumber's ``extract_text()`` (layout off, default tolerances) on such characters."""
    words: list[tuple[float, str]] = []
    for upright, run in itertools.groupby(chars, key=lambda c: c[5]):
        words += _words(list(run), upright)
    ids = _cluster_ids((w[0] for w in words), Y_TOLERANCE)
    return "\n".join(" ".join(w[1] for w in line) for _, line in itertools.groupby(words, key=lambda w: ids[w[0]]))


def page_text(page: pdfium.PdfPage, scan: PageScan | None = None) -> str:
    return chars_to_text(_page_chars(page, scan or scan_page(page)))
