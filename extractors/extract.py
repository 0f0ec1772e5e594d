"""One attachment → an ``ExtractedDocument``: pick the reader from the real format, turn
every failure into a French reason (PIE-02) instead of an exception."""

from __future__ import annotations

import zipfile
from pathlib import Path

from core.models import Attachment, ExtractedDocument
from core.limits import Limits
from extractors.read_calamine import read_calamine
from extractors.read_csv import read_csv
from extractors.read_docx import read_docx
from extractors.read_odt import read_odt
from extractors.read_pdf import EmptyDocument, read_pdf
from extractors.read_xlsx import read_xlsx
from extractors.sniff import FORMAT_LABELS, sniff
from extractors.xmlguard import HostileXml, check_zip_xml

READERS = {
    "xlsx": read_xlsx, "pdf": read_pdf, "docx": read_docx, "csv": read_csv,
    "xls": read_calamine, "ods": read_calamine, "odt": read_odt,
}
ZIP_BASED = {"xlsx", "docx", "ods", "odt"}

#: Formats that are recognised but carry nothing to extract (listed as "autre").
PASSIVE = {"json", "text"}
IMAGES = {"png", "jpeg", "gif", "tiff"}


def extract(attachment: Attachment, limits: Limits | None = None) -> ExtractedDocument:
    limits = limits or Limits()
    path = Path(attachment.data_path)
    if attachment.size > limits.max_file_bytes:
        return ExtractedDocument(
            attachment.path, attachment.sha256, "trop-volumineux",
            error=(f"fichier de {attachment.size / 1e6:.1f} Mo, au-delà de la limite de "
                   f"{limits.max_file_bytes / 1e6:.0f} Mo par fichier"),
        )
    fmt = sniff(path, attachment.path)
    doc = ExtractedDocument(attachment.path, attachment.sha256, fmt)
    if fmt in PASSIVE:
        return doc
    if fmt in IMAGES:
        doc.scanned = True  # a photo or a scan: nothing to extract without OCR
        return doc
    reader = READERS.get(fmt)
    if reader is None:
        doc.error = _unsupported_reason(fmt)
        return doc
    try:
        if fmt in ZIP_BASED:
            check_zip_xml(path)
        reader(path, doc, limits)
    except Exception as exc:  # noqa: BLE001 - any parser failure is a finding, never a crash
        doc.grids.clear()
        doc.text.clear()
        doc.error = explain_failure(fmt, exc)
    return doc


def _unsupported_reason(fmt: str) -> str:
    if fmt == "empty":
        return "le fichier est vide (0 octet)"
    if fmt == "ole-encrypted":
        return "document protégé par mot de passe : fournir une version sans mot de passe"
    if fmt == "zip-corrupt":
        return "fichier endommagé ou tronqué (archive illisible) : le déposer à nouveau"
    label = FORMAT_LABELS.get(fmt, fmt)
    return f"format non pris en charge ({label}) : fournir un fichier xlsx, csv, docx ou PDF"


def explain_failure(fmt: str, exc: BaseException) -> str:
    """Parser exception → a French reason a reviewer can forward to the owner."""
    name = type(exc).__name__
    label = FORMAT_LABELS.get(fmt, fmt)
    if isinstance(exc, (EmptyDocument, HostileXml)):
        return str(exc)
    chain = _exception_chain(exc)
    if any(isinstance(e, MemoryError) for e in chain):
        return ("lecture interrompue : le fichier demande plus de mémoire que la limite par fichier "
                "(fichier anormalement volumineux ou piégé)")
    text = " ".join(f"{type(e).__name__} {e}" for e in chain).lower()
    if any(type(e).__module__.startswith("defusedxml") for e in chain):
        return (f"{label} refusé : il contient des constructions XML piégées (entités, DTD ou références "
                "externes) qui ne sont jamais interprétées")
    if "password" in text or "encrypt" in text:
        return "document protégé par mot de passe : fournir une version sans mot de passe"
    if isinstance(exc, (zipfile.BadZipFile, EOFError)) or "truncated" in text.lower():
        return f"{label} endommagé ou tronqué : le déposer à nouveau"
    return f"{label} illisible ({name}) : le fichier semble endommagé ; le déposer à nouveau"


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
