"""One attachment → an ``ExtractedDocument``: pick the reader from the real format, turn
every failure into a reason of the catalogue of file problems (``core.file_problems``,
PIE-02) instead of an exception."""

from __future__ import annotations

import zipfile
from pathlib import Path

from core import file_problems as problems
from core.file_problems import FileProblemError, Reason
from core.limits import Limits
from core.models import Attachment, ExtractedDocument
from extractors.read_calamine import read_calamine
from extractors.read_csv import read_csv
from extractors.read_docx import read_docx
from extractors.read_odt import read_odt
from extractors.read_pdf import read_pdf
from extractors.read_xlsx import read_xlsx
from extractors.sniff import FORMAT_LABELS, sniff
from extractors.xmlguard import check_zip_xml

READERS = {
    "xlsx": read_xlsx,
    "pdf": read_pdf,
    "docx": read_docx,
    "csv": read_csv,
    "xls": read_calamine,
    "ods": read_calamine,
    "odt": read_odt,
}
ZIP_BASED = {"xlsx", "docx", "ods", "odt"}

#: Formats that are recognised but carry nothing to extract (listed as "autre").
PASSIVE = {"json", "text"}
IMAGES = {"png", "jpeg", "gif", "tiff"}


def extract(attachment: Attachment, limits: Limits | None = None) -> ExtractedDocument:
    limits = limits or Limits()
    path = Path(attachment.data_path)
    if attachment.size > limits.max_file_bytes:
        doc = ExtractedDocument(attachment.path, attachment.sha256, "trop-volumineux")
        doc.refuse(
            problems.TOO_LARGE.reason(
                size_mb=f"{attachment.size / 1e6:.1f}", limit_mb=f"{limits.max_file_bytes / 1e6:.0f}"
            )
        )
        return doc
    fmt = sniff(path, attachment.path)
    doc = ExtractedDocument(attachment.path, attachment.sha256, fmt)
    if fmt in PASSIVE:
        return doc
    if fmt in IMAGES:
        doc.scanned = True  # a photo or a scan: nothing to extract without OCR
        return doc
    reader = READERS.get(fmt)
    if reader is None:
        doc.refuse(unsupported_reason(fmt))
        return doc
    try:
        if fmt in ZIP_BASED:
            check_zip_xml(path)
        reader(path, doc, limits)
    except Exception as exc:  # noqa: BLE001 - any parser failure is a finding, never a crash
        doc.refuse(explain_failure(fmt, exc, limits))
    return doc


def unsupported_reason(fmt: str) -> Reason:
    """Why a file of a format without reader is refused."""
    if fmt == "empty":
        return problems.EMPTY.reason()
    if fmt == "ole-encrypted":
        return problems.PASSWORD.reason()
    if fmt == "zip-corrupt":
        return problems.DAMAGED.reason(what="fichier", note=" (archive illisible)")
    return problems.UNSUPPORTED.reason(format=FORMAT_LABELS.get(fmt, fmt))


def explain_failure(fmt: str, exc: BaseException, limits: Limits) -> Reason:
    """Parser exception → a French reason a reviewer can forward to the owner."""
    label = FORMAT_LABELS.get(fmt, fmt)
    if isinstance(exc, FileProblemError):
        return exc.reason
    chain = _exception_chain(exc)
    if any(isinstance(e, MemoryError) for e in chain):
        return memory_reason(limits)
    text = " ".join(f"{type(e).__name__} {e}" for e in chain).lower()
    if any(type(e).__module__.startswith("defusedxml") for e in chain):
        return problems.HOSTILE_XML.reason(format=label)
    if "password" in text or "encrypt" in text:
        return problems.PASSWORD.reason()
    if isinstance(exc, (zipfile.BadZipFile, EOFError)) or "truncated" in text:
        return problems.DAMAGED.reason(what=label, note="")
    return problems.UNREADABLE.reason(format=label, error=type(exc).__name__)


def memory_reason(limits: Limits) -> Reason:
    return problems.MEMORY.reason(limit_mb=limits.memory_mb_per_file)


def _exception_chain(exc: BaseException) -> list[BaseException]:
    """The exception, its causes and the exceptions wrapped in its args (pdfplumber wraps)."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo and len(seen) < 10:
        current = todo.pop()
        if current in seen:
            continue
        seen.append(current)
        todo += [e for e in (current.__cause__, current.__context__) if e is not None]
        todo += [a for a in current.args if isinstance(a, BaseException)]
    return seen
