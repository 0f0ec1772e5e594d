"""Detect a file's real format from its bytes, never from its name alone."""

from __future__ import annotations

import zipfile
from pathlib import Path

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_OOXML = "EncryptedPackage".encode("utf-16-le")

#: Formats a reader exists for.
SUPPORTED = {"xlsx", "pdf", "docx", "csv", "json"}


def sniff(path: Path, name: str) -> str:
    """One of: xlsx, docx, ods, odt, pdf, xls, doc, ole-encrypted, zip, png, jpeg, gif,
    tiff, json, csv, text, empty, unknown."""
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if not head:
        return "empty"
    if head.lstrip()[:5] == b"%PDF-" or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _sniff_zip(path)
    if head.startswith(_OLE):
        with open(path, "rb") as fh:
            body = fh.read(2_000_000)
        if _ENCRYPTED_OOXML in body:
            return "ole-encrypted"
        lowered = name.lower()
        if lowered.endswith((".doc", ".dot")):
            return "doc"
        return "xls"
    if head.startswith(b"\x89PNG"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    return _sniff_text(head, name)


def _sniff_zip(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "mimetype" in names:
                mimetype = zf.read("mimetype")[:100]
                if b"spreadsheet" in mimetype:
                    return "ods"
                if b"text" in mimetype:
                    return "odt"
            if "xl/workbook.xml" in names or any(n.startswith("xl/") for n in names):
                return "xlsx"
            if "word/document.xml" in names:
                return "docx"
            return "zip"
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return "zip-corrupt"


def _sniff_text(head: bytes, name: str) -> str:
    if b"\x00" in head:
        return "unknown"
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = head.decode("cp1252")
        except UnicodeDecodeError:
            return "unknown"
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")) and name.lower().endswith(".json"):
        return "json"
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if lines and any(sep in lines[0] for sep in (";", ",", "\t")):
        return "csv"
    return "text"


FORMAT_LABELS = {
    "xlsx": "classeur Excel (.xlsx)",
    "docx": "document Word (.docx)",
    "ods": "classeur OpenDocument (.ods)",
    "odt": "document OpenDocument (.odt)",
    "pdf": "PDF",
    "xls": "classeur Excel ancien format (.xls)",
    "doc": "document Word ancien format (.doc)",
    "ole-encrypted": "document Office protégé par mot de passe",
    "zip": "archive zip",
    "zip-corrupt": "archive zip ou fichier Office endommagé",
    "png": "image PNG",
    "jpeg": "image JPEG",
    "gif": "image GIF",
    "tiff": "image TIFF",
    "json": "JSON",
    "csv": "CSV",
    "text": "texte",
    "empty": "fichier vide",
    "unknown": "format inconnu",
}
