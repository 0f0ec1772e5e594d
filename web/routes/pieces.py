"""The pieces of a dossier as the run kept them (``OUT/<dossier>/pieces/``, ``judging.keep_pieces``):
one piece, or all of them in a zip, as downloads.

Only a copy the dossier's report records as ``pieces/<name>`` is served, and only from that
folder of the output folder: a path of another shape in report.json (``../``, an absolute
path), a link or anything but a regular file in ``pieces/`` is a 404 (the shared folder may be
edited by anyone). A piece is never shown inline: ``Content-Disposition: attachment``, its
type from its extension (never HTML), ``nosniff``.
"""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from core.report import DossierReport
from reports.piece_copies import PIECES_DIR, stored_name
from web.routes.common import call_site, output_file, report_headers, visible_dossier
from web.workspace import CallSite, NotFound

router = APIRouter()
BASE = "/appels/{call}/dossiers/{dossier}"
CHUNK = 1 << 20

MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xls": "application/vnd.ms-excel",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".doc": "application/msword",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".csv": "text/csv",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".webp": "image/webp",
}
OTHER = "application/octet-stream"
#: Already compressed: stored as they are in the dossier's zip.
_COMPRESSED = {".pdf", ".xlsx", ".docx", ".odt", ".ods", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".zip"}


def media_type(name: str) -> str:
    return MEDIA_TYPES.get(Path(name).suffix.lower(), OTHER)


def attachment_headers(filename: str) -> dict[str, str]:
    """A download (never inline), named in ASCII and in UTF-8 (RFC 6266 / RFC 5987)."""
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in filename)
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
    return report_headers() | {"Content-Disposition": disposition}


def _dossier(request: Request, call: str, dossier: str) -> tuple[CallSite, str, DossierReport]:
    site = call_site(request, call)
    dossier = visible_dossier(request, site, dossier)
    return site, dossier, site.report(dossier)


def _stored(report: DossierReport) -> list[str]:
    """The names of the copies the report records, in its order."""
    return [name for record in report.documents if (name := stored_name(record))]


def _open_piece(folder: Path, name: str) -> BinaryIO:
    """The copy ``folder/name`` opened for reading: a regular file inside ``folder`` reached
    without any link (checked again on the open file), else NotFound."""
    path = output_file(folder, name, folder)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        raise NotFound(name) from None
    handle = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        handle.close()
        raise NotFound(name)
    return handle


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk


@router.get(BASE + "/pieces/{name}")
def piece(request: Request, call: str, dossier: str, name: str):
    site, dossier, report = _dossier(request, call, dossier)
    if name not in _stored(report):
        raise NotFound(name)
    handle = _open_piece(site.report_dir(dossier) / PIECES_DIR, name)
    return StreamingResponse(_chunks(handle), media_type=media_type(name), headers=attachment_headers(name))


class _Sink:
    """What the zip writer writes, taken out chunk by chunk (not seekable: the zip streams)."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.written = 0

    def write(self, data: bytes) -> int:
        self.buffer += data
        self.written += len(data)
        return len(data)

    def tell(self) -> int:
        return self.written

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out = bytes(self.buffer)
        self.buffer.clear()
        return out


def _zip_stream(folder: Path, names: list[str]) -> Iterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(sink, "w") as archive:  # type: ignore[arg-type]
        for name in names:
            try:
                handle = _open_piece(folder, name)
            except NotFound:
                continue  # gone or replaced by a link since the listing: left out
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            compressed = Path(name).suffix.lower() in _COMPRESSED
            info.compress_type = zipfile.ZIP_STORED if compressed else zipfile.ZIP_DEFLATED
            with handle, archive.open(info, "w", force_zip64=True) as member:
                while chunk := handle.read(CHUNK):
                    member.write(chunk)
                    yield sink.take()
        yield sink.take()
    yield sink.take()


@router.get(BASE + "/pieces.zip")
def pieces_zip(request: Request, call: str, dossier: str):
    """Every kept piece of the dossier in one zip, streamed (never held whole in memory)."""
    site, dossier, report = _dossier(request, call, dossier)
    names = _stored(report)
    if not names:
        raise NotFound("pieces.zip")
    folder = site.report_dir(dossier) / PIECES_DIR
    return StreamingResponse(
        _zip_stream(folder, names), media_type="application/zip", headers=attachment_headers(f"{dossier}-pieces.zip")
    )
