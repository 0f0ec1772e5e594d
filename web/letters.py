"""The letter in the workspace: its body as editable text (the letterhead, recipient,
references and signature stay the call's), each saved version kept in the history
(``instruction.records``) and carried by the report's instruction, so that the web page,
``courrier.docx``, ``courrier.pdf``, ``report.html`` and ``report.json`` are one letter
(``reports.letter.letter_content``)."""

from __future__ import annotations

from typing import Any

from core.report import DossierReport
from reports.letter import _safe, body_text, letter_content, with_body
from reports.letter_docx import letter_docx
from reports.letter_pdf import letter_pdf


def content_of(report: DossierReport, edited: str | None = None, kind: str | None = None) -> dict[str, Any] | None:
    """The letter as it stands (its current version), in the call's letterhead; ``edited``:
    another body in place of it."""
    content = letter_content(report, kind=kind)
    if content is not None and edited:
        content = with_body(content, edited)
    return _safe(content) if content else None


def letterhead(report: DossierReport) -> dict[str, Any] | None:
    """What the page shows around the editable body (sender, recipient, subject, signature)."""
    return content_of(report)


def current_letter(report: DossierReport, edited: str | None = None) -> str | None:
    """The body the reviewer edits: the current version (None: no letter to send)."""
    content = content_of(report, edited)
    return body_text(content) if content else None


def docx_of(report: DossierReport, edited: str | None = None) -> bytes | None:
    """The letter as it stands as an A4 Word document (the same as ``courrier.docx``)."""
    content = content_of(report, edited)
    return letter_docx(content) if content else None


def pdf_of(report: DossierReport, edited: str | None = None) -> bytes | None:
    """The letter as it stands as an A4 PDF (the same as ``courrier.pdf``)."""
    content = content_of(report, edited)
    return letter_pdf(content) if content else None
