"""Evidence images: the region of a PDF page a finding is based on, as a small PNG.

Runs on untrusted PDFs, so it is only ever called inside a sandbox worker
(``extractors.sandbox.render_isolated``). Words are found with pdfplumber
(``page.search``), the page is rendered with pypdfium2 and cropped around them, and the
words are outlined in red. Every image is bounded in pixels and bytes.
"""

from __future__ import annotations

import base64
import io
import re
from typing import Any

MAX_WIDTH_PX = 1100  # rendered width of a region
MAX_CROP_HEIGHT_PT = 300.0  # a region never spans more than this height of the page
THUMB_WIDTH_PX = 520  # width of a whole-page thumbnail (scanned documents)
MAX_SCALE = 2.0
MAX_PNG_BYTES = 350_000
MARGIN_PT = 8.0
CONTEXT_LINES = 3  # lines of text kept above and below the words found


def render_regions(path: str, requests: list[dict[str, Any]], max_pages: int = 300) -> list[dict[str, Any] | None]:
    """One PNG (or None) per request.

    A request: ``{"page": 1-based page, "needles": texts to find, tried in order, "row_key": text on
    the same line as the needle (to pick the right one among repeated values) or None,
    "whole_page": bool}``. A result: ``{"png_base64", "page", "width", "height",
    "matched": whether the words were found and outlined}``. Requests that all carry
    ``"image": True`` ask for a thumbnail of a picture file instead (a scan sent as jpeg, png…).
    """
    import pdfplumber
    import pypdfium2 as pdfium

    results: list[dict[str, Any] | None] = [None] * len(requests)
    if requests and all(r.get("image") for r in requests):  # a scan sent as a picture
        thumbnail = image_thumbnail(path)
        return [thumbnail for _ in requests]
    with pdfplumber.open(path) as plumber:
        document = pdfium.PdfDocument(path)
        try:
            count = min(len(plumber.pages), len(document), max_pages)
            for index, request in enumerate(requests):
                page_no = int(request.get("page") or 1)
                if not 1 <= page_no <= count:
                    continue
                try:
                    results[index] = _render_one(plumber.pages[page_no - 1], document[page_no - 1], page_no, request)
                except Exception:  # noqa: BLE001 - one region failing costs only its image
                    results[index] = None
        finally:
            document.close()
    return results


def _render_one(plumber_page, pdfium_page, page_no: int, request: dict[str, Any]) -> dict[str, Any]:
    width, height = float(plumber_page.width), float(plumber_page.height)
    if request.get("whole_page"):
        box, match = (0.0, 0.0, width, height), None
        target_px = THUMB_WIDTH_PX
    else:
        needles = list(request.get("needles") or []) + ([request["needle"]] if request.get("needle") else [])
        match = table_cell(plumber_page, request.get("cell"), needles[0] if needles else None)
        for needle in needles[:8]:
            if match is not None:
                break
            match = find_words(plumber_page, needle, request.get("row_key"))
        box, header = _region(plumber_page, match, width, height)
        target_px = MAX_WIDTH_PX
    if request.get("whole_page"):
        header = None
    x0, top, x1, bottom = box
    scale = min(MAX_SCALE, target_px / max(1.0, x1 - x0))
    image = _render_box(pdfium_page, box, height, width, scale)
    if match is not None:
        _outline(image, match, box, scale)
    if header is not None:
        image = _stack(_render_box(pdfium_page, header, height, width, scale), image)
    data = _png(image)
    return {
        "png_base64": base64.b64encode(data).decode("ascii"),
        "page": page_no,
        "width": image.width,
        "height": image.height,
        "matched": match is not None,
    }


def image_thumbnail(path: str) -> dict[str, Any] | None:
    """A small PNG of a picture file (a scanned page sent as jpeg, png, tiff…)."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = 60_000_000  # a larger picture is refused (decompression bomb)
    with Image.open(path) as source:
        source.seek(0)
        source.draft("RGB", (THUMB_WIDTH_PX * 2, THUMB_WIDTH_PX * 4))  # jpeg: decode at a reduced size
        image = source.convert("RGB")
    if image.width > THUMB_WIDTH_PX:
        image = image.resize((THUMB_WIDTH_PX, max(1, image.height * THUMB_WIDTH_PX // image.width)))
    if image.height > 2 * THUMB_WIDTH_PX:
        image = image.crop((0, 0, image.width, 2 * THUMB_WIDTH_PX))
    data = _png(image)
    return {
        "png_base64": base64.b64encode(data).decode("ascii"),
        "page": 1,
        "width": image.width,
        "height": image.height,
        "matched": False,
    }


def _clean(text: str | None) -> str:
    text = " ".join(str(text or "").replace("…", " ").split())
    return text.strip(" «»\"'")


def _search(page, text: str) -> list[dict[str, Any]]:
    if not text:
        return []
    try:
        return page.search(re.escape(text), regex=True, case=False)
    except Exception:  # noqa: BLE001 - a search failure means no match
        return []


def find_words(page, needle: str | None, row_key: str | None = None) -> dict[str, float] | None:
    """The box of the needle on the page (on the line of ``row_key`` when given), trying the
    whole text, then its first words, then its longest word."""
    text = _clean(needle)
    if not text:
        return None
    words = text.split()
    attempts = [text[:120]]
    if len(words) > 6:
        attempts.append(" ".join(words[:6]))
    longest = max(words, key=len)
    if len(words) > 1 and len(longest) >= 4:
        attempts.append(longest)
    for attempt in attempts:
        matches = _search(page, attempt)
        if not matches:
            continue
        key = _clean(row_key)
        if key and len(matches) > 1:
            for anchor in _search(page, key):
                for m in matches:
                    if m["top"] < anchor["bottom"] + 1 and m["bottom"] > anchor["top"] - 1:
                        return _box(m)
        return _box(matches[0])
    return None


def table_cell(page, cell: list[int] | None, needle: str | None) -> dict[str, float] | None:
    """The box of cell ``[table, row, column]`` (1-based, as numbered by pdfplumber's
    ``extract_tables``), when its text is the needle's: the exact cell, even where the same
    value appears elsewhere on the line."""
    if not cell or not needle or len(cell) != 3:
        return None
    try:
        tables = page.find_tables()
        table_no, row_no, col_no = (int(x) for x in cell)
        bbox = tables[table_no - 1].rows[row_no - 1].cells[col_no - 1]
        if bbox is None:
            return None
        text = page.crop(bbox).extract_text() or ""
    except Exception:  # noqa: BLE001 - numbering differs (a table rebuilt from words): search instead
        return None
    if _clean(needle).lower() not in " ".join(text.split()).lower():
        return None
    x0, top, x1, bottom = (float(v) for v in bbox)
    return {"x0": x0 + 1, "top": top + 1, "x1": x1 - 1, "bottom": bottom - 1}


def _box(match: dict[str, Any]) -> dict[str, float]:
    return {k: float(match[k]) for k in ("x0", "top", "x1", "bottom")}


def _region(
    page, match: dict[str, float] | None, width: float, height: float
) -> tuple[tuple[float, float, float, float], tuple[float, float, float, float] | None]:
    """The crop box (x0, top, x1, bottom) in points: the words with a few lines around them
    (more above than below), the width of their table (or of the page); and the box of the
    table's header row when it does not fit in the crop (shown above it)."""
    if match is None:
        return (0.0, 0.0, width, min(height, MAX_CROP_HEIGHT_PT)), None
    line = max(8.0, (match["bottom"] - match["top"]) * 1.5)
    top = match["top"] - CONTEXT_LINES * line
    bottom = match["bottom"] + CONTEXT_LINES * line
    x0, x1 = MARGIN_PT, width - MARGIN_PT
    header = None
    table = _table_around(page, match)
    if table is not None:
        (t_x0, t_top, t_x1, t_bottom), header_bottom = table
        x0, x1 = max(0.0, t_x0 - MARGIN_PT), min(width, t_x1 + MARGIN_PT)
        bottom = min(bottom, t_bottom + line)  # no blank page below the table
        if bottom - t_top + MARGIN_PT <= MAX_CROP_HEIGHT_PT:
            top = min(top, t_top - MARGIN_PT)  # the whole table above the words, header included
        elif header_bottom is not None and header_bottom < match["top"] - line:
            header = (x0, max(0.0, t_top - 2), x1, min(height, header_bottom + 2))
    top = max(0.0, top)
    bottom = min(height, max(bottom, match["bottom"] + line))
    if bottom - top > MAX_CROP_HEIGHT_PT:  # keep the words and what precedes them
        top = max(0.0, bottom - MAX_CROP_HEIGHT_PT)
    if header is not None and header[3] >= top:
        header = None
    x0 = min(x0, max(0.0, match["x0"] - MARGIN_PT))
    x1 = max(x1, min(width, match["x1"] + MARGIN_PT))
    if header is not None:
        header = (x0, header[1], x1, header[3])
    return (x0, top, x1, bottom), header


def _table_around(page, match: dict[str, float]) -> tuple[tuple[float, float, float, float], float | None] | None:
    """The bbox of the table holding the words, and the bottom of its first (header) row."""
    cx, cy = (match["x0"] + match["x1"]) / 2, (match["top"] + match["bottom"]) / 2
    try:
        tables = page.find_tables()
    except Exception:  # noqa: BLE001
        return None
    for table in tables:
        x0, top, x1, bottom = table.bbox
        if x0 - 1 <= cx <= x1 + 1 and top - 1 <= cy <= bottom + 1:
            try:
                header_bottom = float(table.rows[0].bbox[3])
            except (IndexError, AttributeError, TypeError):
                header_bottom = None
            return (float(x0), float(top), float(x1), float(bottom)), header_bottom
    return None


def _render_box(pdfium_page, box: tuple[float, float, float, float], height: float, width: float, scale: float):
    x0, top, x1, bottom = box
    bitmap = pdfium_page.render(scale=scale, crop=(x0, height - bottom, width - x1, top))
    return bitmap.to_pil().convert("RGB")


def _stack(header, body):
    """The table's header row above the region, with a dashed rule between them (rows cut)."""
    from PIL import Image, ImageDraw

    gap = 10
    out = Image.new("RGB", (max(header.width, body.width), header.height + gap + body.height), "white")
    out.paste(header, (0, 0))
    out.paste(body, (0, header.height + gap))
    draw = ImageDraw.Draw(out)
    y = header.height + gap // 2
    for x in range(0, out.width, 12):
        draw.line([(x, y), (x + 6, y)], fill=(110, 110, 110), width=2)
    return out


def _outline(image, match: dict[str, float], box: tuple[float, float, float, float], scale: float) -> None:
    from PIL import Image, ImageDraw

    x0, top = box[0], box[1]
    rect = [
        (match["x0"] - x0 - 2) * scale,
        (match["top"] - top - 2) * scale,
        (match["x1"] - x0 + 2) * scale,
        (match["bottom"] - top + 2) * scale,
    ]
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.rectangle([0, rect[1], image.width, rect[3]], fill=(255, 236, 140, 70))  # the line
    draw.rectangle(rect, fill=(255, 214, 0, 110))  # the words
    base = image.convert("RGBA")
    base.alpha_composite(overlay)
    ImageDraw.Draw(base).rectangle(rect, outline=(200, 0, 0, 255), width=max(2, round(1.5 * scale)))
    image.paste(base.convert("RGB"))


def _png(image) -> bytes:
    """PNG bytes within ``MAX_PNG_BYTES``: full colour, then 64 colours, then smaller."""
    for attempt in range(4):
        buffer = io.BytesIO()
        candidate = image if attempt == 0 else image.quantize(colors=64)
        candidate.save(buffer, format="PNG", optimize=True)
        data = buffer.getvalue()
        if len(data) <= MAX_PNG_BYTES:
            return data
        if attempt >= 1:
            image = image.resize((max(1, image.width * 3 // 4), max(1, image.height * 3 // 4)))
    return data
