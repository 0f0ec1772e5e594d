"""The draft letter in the workspace: the generated letter as editable text, the reviewer's
version kept in the history, and a Word document of whichever is current."""

from __future__ import annotations

import io
import re
from typing import Any

from core.report import DossierReport
from reports.letter import letter_content
from reports.letter_docx import letter_docx

_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def letter_text(content: dict[str, Any]) -> str:
    """The generated letter as plain text, paragraph by paragraph (what the reviewer edits):
    the same blocks as ``courrier.docx``."""
    parts = [
        "\n".join(content["sender_lines"]),
        f"Affaire suivie par : {content['followed_by']}\nNos réf. : {content['our_reference']}",
        "\n".join(content["recipient_lines"]),
        content["place_date"],
        f"Objet : {content['subject']}\nRéf. : {content['references']}",
        content["opening"],
        *content["body_before"],
        "\n".join(f"• {item}" for item in content["items"]),
        *content["body_after"],
        content["closing"],
        "\n".join(content["signature_lines"]),
    ]
    return "\n\n".join(part for part in parts if part)


def current_letter(report: DossierReport, edited: str | None) -> str | None:
    """The reviewer's version if any, else the generated one (None: no letter to send)."""
    if edited:
        return edited
    content = letter_content(report)
    return letter_text(content) if content else None


def docx_of(report: DossierReport, edited: str | None) -> bytes | None:
    """The letter as a Word document: the generated one (same as ``courrier.docx``), or the
    reviewer's text, one paragraph per blank-line-separated block."""
    if not edited:
        content = letter_content(report)
        return letter_docx(content) if content else None
    from docx import Document
    from docx.shared import Pt, RGBColor

    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(11)
    document.core_properties.title = f"Courrier — dossier {report.dossier}"
    document.core_properties.language = "fr-FR"
    header = document.sections[0].header.paragraphs[0]
    header.text = "PROJET — à relire et compléter par l'instructeur avant envoi"
    header.runs[0].font.color.rgb = RGBColor(0x8A, 0x4B, 0x00)
    header.runs[0].font.size = Pt(9)
    for block in re.split(r"\n\s*\n", _XML_UNSAFE.sub("", edited.replace("\r\n", "\n"))):
        paragraph = document.add_paragraph()
        lines = block.split("\n")
        for i, line in enumerate(lines):
            run = paragraph.add_run(line)
            if i < len(lines) - 1:
                run.add_break()
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
