"""The letter as a PDF (fpdf2), the same content and layout as ``courrier.docx``, A4, to send
or archive as it is. A Unicode TrueType font is used where the system has one (DejaVu Sans,
Debian's ``fonts-dejavu-core``); otherwise the PDF core font Helvetica with the few characters
it lacks replaced (€ → EUR, narrow spaces → spaces)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

FONT_DIRS = (
    os.environ.get("ESMSNUM_FONT_DIR", ""),
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/local/share/fonts",
    "/Library/Fonts",
    "C:/Windows/Fonts",
)
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
MARGIN_MM = 22.0
RIGHT_BLOCK_MM = 95.0  # x of the recipient, date and signature blocks
LINE_MM = 5.2


# The characters of a French letter: ASCII, Latin-1, Latin Extended-A and B, the Latin of
# Vietnamese and other names, typographic punctuation and spaces, the euro sign, « № ».
LETTER_CHARACTERS = frozenset(
    chr(c)
    for first, last in (
        (0x20, 0x7E),
        (0xA0, 0x24F),
        (0x1E00, 0x1EFF),
        (0x2000, 0x206F),
        (0x20AC, 0x20AC),
        (0x2116, 0x2122),
    )
    for c in range(first, last + 1)
)


@lru_cache(maxsize=1)
def unicode_font() -> dict[str, Path] | None:
    """Paths of DejaVu Sans (regular and bold), or None when the system has none."""
    for folder in FONT_DIRS:
        if not folder:
            continue
        paths = {style: Path(folder) / name for style, name in FONT_FILES.items()}
        if all(p.is_file() for p in paths.values()):
            return paths
    return None


@lru_cache(maxsize=1)
def letter_font() -> dict[str, Path] | None:
    """DejaVu Sans reduced to ``LETTER_CHARACTERS``, made once per machine in the user's
    cache (fpdf2 parses a font for every document: 70 KB instead of 740 KB saves about a tenth
    of a second per letter); the full fonts when the cache cannot be written."""
    full = unicode_font()
    if full is None:
        return None
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "esmsnum" / "fonts"
    try:
        return {style: _subset(path, cache) for style, path in full.items()}
    except (OSError, ImportError, ValueError):
        return full


def _subset(path: Path, cache: Path) -> Path:
    stat = path.stat()
    target = cache / f"{path.stem}-{stat.st_size}-{int(stat.st_mtime)}-lettre.ttf"
    if target.is_file():
        return target
    from fontTools import subset
    from fontTools.ttLib import TTFont

    cache.mkdir(parents=True, exist_ok=True)
    options = subset.Options()
    options.layout_features = ["*"]
    options.notdef_outline = True
    options.drop_tables = [*options.drop_tables, "FFTM"]  # FontForge's timestamps: nothing to subset
    font = TTFont(str(path))
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(LETTER_CHARACTERS)))
    subsetter.subset(font)
    partial = target.with_suffix(f".{os.getpid()}.tmp")
    font.save(str(partial))
    os.replace(partial, target)  # another process making it at the same time writes the same bytes
    return target


_LATIN1 = str.maketrans(
    {
        "€": "EUR",
        "\u202f": " ",
        "\u2009": " ",
        "’": "'",
        "‘": "'",
        "“": '"',
        "”": '"',
        "—": "-",
        "–": "-",
        "…": "...",
        "œ": "oe",
        "Œ": "OE",
        "\u2022": "-",
    }
)


def letter_pdf(content: dict[str, Any]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(MARGIN_MM, 20, MARGIN_MM)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_title(f"{content['title']} — dossier {content['dossier']}")
    pdf.set_author(content["sender"])
    pdf.set_subject(content["subject"])
    pdf.set_lang("fr-FR")
    pdf.set_creator("esmsnum")
    characters = set("".join(_strings(content)))
    font = letter_font() if characters <= LETTER_CHARACTERS else unicode_font()
    if font:
        for style, path in font.items():
            pdf.add_font("DejaVu", style, str(path))
        family = "DejaVu"

        def fit(text: str) -> str:
            return text
    else:
        family = "Helvetica"

        def fit(text: str) -> str:
            return text.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")

    pdf.add_page()
    width = pdf.w - 2 * MARGIN_MM

    def text(
        value: str,
        *,
        bold: bool = False,
        size: float = 10.5,
        x: float | None = None,
        after: float = 0.0,
        align: str = "L",
    ) -> None:
        pdf.set_font(family, "B" if bold else "", size)
        left = MARGIN_MM if x is None else x
        pdf.set_x(left)
        pdf.multi_cell(pdf.w - MARGIN_MM - left, LINE_MM, fit(value), align=align, new_x="LMARGIN", new_y="NEXT")
        if after:
            pdf.ln(after)

    def labelled(label: str, value: str, *, size: float = 9.5, after: float = 0.0) -> None:
        pdf.set_x(MARGIN_MM)
        pdf.set_font(family, "B", size)
        pdf.write(LINE_MM, fit(f"{label} : "))
        pdf.set_font(family, "", size)
        pdf.write(LINE_MM, fit(value))
        pdf.ln(LINE_MM + after)

    for i, line in enumerate(content["sender_lines"]):
        text(line, bold=i == 0)
    pdf.ln(2)
    labelled("Affaire suivie par", content["followed_by"])
    labelled("Nos réf.", content["our_reference"], after=5)
    text(content["place_date"], x=RIGHT_BLOCK_MM, after=5)
    for i, line in enumerate(content["recipient_lines"]):
        text(line, bold=i == 0, x=RIGHT_BLOCK_MM)
    pdf.ln(8)
    labelled("Objet", content["subject"], size=10.5)
    labelled("Réf.", content["references"], size=10.5, after=5)
    text(content["opening"], after=2)
    for paragraph in content["body_before"]:
        text(paragraph, align="J", after=2)
    for item in content["items"]:
        pdf.set_font(family, "", 10.5)
        pdf.set_x(MARGIN_MM + 3)
        pdf.cell(5, LINE_MM, fit("•") if font else "-")
        pdf.multi_cell(width - 8, LINE_MM, fit(item), align="J", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)
    pdf.ln(1)
    for paragraph in content["body_after"]:
        text(paragraph, align="J", after=2)
    text(content["closing"], align="J", after=10)
    for line in content["signature_lines"]:
        text(line, x=RIGHT_BLOCK_MM)
    return bytes(pdf.output())


def _strings(value: Any) -> list[str]:
    """Every text of the letter's content (nested lists and dicts)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _strings(v)]
    if isinstance(value, list | tuple):
        return [t for v in value for t in _strings(v)]
    return []
