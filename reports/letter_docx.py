"""The letter as an editable Word document (python-docx), A4, French administrative layout:
sender block top left, « Affaire suivie par » and « Nos réf. », place and date and the
recipient on the right, subject and references, body, signature. Every text is written as
text (never a field nor a link)."""

from __future__ import annotations

import io
from typing import Any

A4_WIDTH_CM, A4_HEIGHT_CM = 21.0, 29.7
MARGIN_CM = 2.2
RIGHT_BLOCK_CM = 9.5  # left indent of the recipient, date and signature blocks


def letter_docx(content: dict[str, Any]) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(A4_WIDTH_CM), Cm(A4_HEIGHT_CM)
    section.left_margin = section.right_margin = Cm(MARGIN_CM)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
    normal = document.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(11)
    normal.paragraph_format.space_after = Pt(6)
    core = document.core_properties
    core.title = f"{content['title']} — dossier {content['dossier']}"
    core.subject = content["subject"]
    core.language = "fr-FR"
    core.author = content["sender"]

    def paragraph(
        text: str = "",
        *,
        bold: bool = False,
        indent: bool = False,
        align=None,
        space_after: float = 6,
        size: float | None = None,
    ):
        p = document.add_paragraph()
        if indent:
            p.paragraph_format.left_indent = Cm(RIGHT_BLOCK_CM)
        if align is not None:
            p.alignment = align
        p.paragraph_format.space_after = Pt(space_after)
        if text:
            run = p.add_run(text)
            run.bold = bold
            if size:
                run.font.size = Pt(size)
        return p

    def labelled(label: str, text: str, *, size: float | None = None, space_after: float = 0):
        p = paragraph(space_after=space_after)
        head = p.add_run(f"{label} : ")
        head.bold = True
        body = p.add_run(text)
        if size:
            head.font.size = body.font.size = Pt(size)
        return p

    for i, line in enumerate(content["sender_lines"]):
        paragraph(line, bold=i == 0, space_after=0)
    paragraph(space_after=4)
    labelled("Affaire suivie par", content["followed_by"], size=9.5)
    labelled("Nos réf.", content["our_reference"], size=9.5, space_after=12)

    paragraph(content["place_date"], indent=True, space_after=12)
    for i, line in enumerate(content["recipient_lines"]):
        paragraph(line, bold=i == 0, indent=True, space_after=0)
    paragraph(space_after=12)

    labelled("Objet", content["subject"])
    labelled("Réf.", content["references"], space_after=12)

    paragraph(content["opening"])
    for text in content["body_before"]:
        paragraph(text).alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    for item in content["items"]:
        p = document.add_paragraph(item, style="List Bullet")
        p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        p.paragraph_format.space_after = Pt(4)
    for text in content["body_after"]:
        paragraph(text).alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    paragraph(content["closing"], space_after=24).alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    for line in content["signature_lines"]:
        paragraph(line, indent=True, space_after=0)

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
