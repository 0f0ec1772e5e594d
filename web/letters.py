"""The letter in the workspace: its body as editable text (the letterhead, recipient,
references and signature stay the call's), the reviewer's version kept in the history and
carried by the report's instruction, so that the web page, ``courrier.docx``,
``courrier.pdf`` and ``report.html`` are one letter (``reports.letter.letter_content``)."""

from __future__ import annotations

from typing import Any

from core.report import DossierReport
from reports.letter import _safe, body_text, letter_content
from reports.letter_docx import letter_docx
from reports.letter_pdf import letter_pdf


def _with(report: DossierReport, edited: str | None) -> DossierReport:
    """The report with ``edited`` as its letter's body (None: the drafted one)."""
    if report.instruction is None:
        if not edited:
            return report
        from core.report import Instruction

        return report.model_copy(update={"instruction": Instruction(status="a_instruire", letter_body=edited)})
    return report.model_copy(update={"instruction": report.instruction.model_copy(update={"letter_body": edited})})


def content_of(report: DossierReport, edited: str | None) -> dict[str, Any] | None:
    """The letter as it stands: the reviewer's body if any, in the call's letterhead."""
    content = letter_content(_with(report, edited))
    return _safe(content) if content else None


def letterhead(report: DossierReport) -> dict[str, Any] | None:
    """What the page shows around the editable body (sender, recipient, subject, signature)."""
    return content_of(report, None)


def current_letter(report: DossierReport, edited: str | None) -> str | None:
    """The body the reviewer edits: their version if any, else the drafted one (None: no
    letter to send)."""
    if edited:
        return edited
    content = content_of(report, None)
    return body_text(content) if content else None


def docx_of(report: DossierReport, edited: str | None) -> bytes | None:
    """The letter as it stands as an A4 Word document (the same as ``courrier.docx``)."""
    content = content_of(report, edited)
    return letter_docx(content) if content else None


def pdf_of(report: DossierReport, edited: str | None) -> bytes | None:
    """The letter as it stands as an A4 PDF (the same as ``courrier.pdf``)."""
    content = content_of(report, edited)
    return letter_pdf(content) if content else None
