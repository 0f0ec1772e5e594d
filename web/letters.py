"""The draft letter in the workspace: the generated letter as editable text, the reviewer's
version kept in the history, and a Word document of whichever is current."""

from __future__ import annotations

import io
import re
from typing import Any

from reports.letter import letter_content, letter_docx

_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def letter_text(content: dict[str, Any]) -> str:
    """The generated letter as plain text, paragraph by paragraph (what the reviewer edits)."""
    parts = [
        content["sender"],
        content["owner"] + (f"\nFINESS juridique {content['owner_finess']}" if content.get("owner_finess") else ""),
        content["place_date"],
        f"Objet : {content['subject']}",
        f"Référence de l'appel : {content['reference']} — dossier n° {content['dossier']}",
        content["opening"],
        content["intro"],
        content["request"],
        "\n".join(
            f"{i['number']}. {i['action']} {i['message']}" + (f" (emplacement : {i['where']})" if i["where"] else "")
            for i in content["items"]
        ),
        f"Date limite de réponse : {content['deadline_label']} ({content['reply_days']} jours).",
        content["how"],
        content["closing"],
        content["signature"] + "\n" + content["signatory"],
    ]
    return "\n\n".join(parts)


def current_letter(report: dict[str, Any], edited: str | None) -> str | None:
    """The reviewer's version if any, else the generated one (None: no letter to send)."""
    if edited:
        return edited
    content = letter_content(report)
    return letter_text(content) if content else None


def docx_of(report: dict[str, Any], edited: str | None) -> bytes | None:
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
    document.core_properties.title = f"Courrier — dossier {report.get('dossier', '')}"
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
