"""A copy of each piece a dossier received, kept beside its report (``OUT/<dossier>/pieces/``):
what the workspace serves (``web.routes.pieces``) and the printable report links to.

Kept when the report is written, from the dossier as deposited (the call folder's entry,
opened again by ``extractors.intake.open_dossier`` with the same limits, zip members
included): a copy already there with the content the report was judged on is kept as it is
(a dossier taken from the cache keeps its pieces), any other is written again atomically, and
whatever the folder holds beyond the report's pieces is removed (a corrected submission leaves
no stale piece). A file over the per-file limit, changed since it was judged or unreadable is
listed in the report with why it was not kept (``PieceCopy.not_kept``).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
from pathlib import Path

from core.config import FileLimits
from core.file_problems import TOO_LARGE, access_error
from core.models import Attachment
from core.report import DocumentEntry, DossierReport, PieceCopy
from extractors.intake import open_dossier, sha256_file
from reports.files import WriteFailed, atomic_path
from reports.piece_copies import PIECES_DIR, safe_names

log = logging.getLogger(__name__)


class _NotKept(Exception):
    """The piece's bytes could not be copied as judged (the French reason)."""


def keep_pieces(report: DossierReport, source: Path, report_dir: Path, limits: FileLimits) -> None:
    """Copy each document of ``report`` from ``source`` (the dossier folder or zip) into
    ``report_dir/pieces`` and record where on each (``DocumentEntry.piece``)."""
    if report_dir.is_symlink():  # a link planted in the shared folder is replaced, never written through
        report_dir.unlink()
    folder = report_dir / PIECES_DIR
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        folder.unlink()
    names = safe_names([d.file for d in report.documents])
    missing = []
    for record in report.documents:
        name = names[record.file]
        size = _same_copy(folder / name, record.sha256)
        if size is None or size > limits.file_limits().max_file_bytes:
            missing.append(record)
        else:
            record.piece = PieceCopy(path=f"{PIECES_DIR}/{name}", size=size)
    if missing:
        try:
            _copy_missing(missing, names, source, folder, limits)
        except WriteFailed:  # the disk takes no more: the run stops and says so (reports.files)
            raise
        except Exception:  # a piece not kept never costs the dossier its report (logged)
            log.error("pièces du dossier %s non conservées", report.dossier, exc_info=True)
            for record in missing:
                if record.piece is None or not record.piece.path:
                    record.piece = PieceCopy(not_kept="erreur interne pendant la copie (voir le journal de l'analyse)")
    kept = {names[d.file] for d in report.documents if d.piece is not None and d.piece.path}
    _remove_others(folder, kept)


def _copy_missing(
    missing: list[DocumentEntry], names: dict[str, str], source: Path, folder: Path, limits: FileLimits
) -> None:
    max_bytes = limits.file_limits().max_file_bytes
    with open_dossier(source, limits.zip_limits()) as dossier:
        received = {a.path: a for a in dossier.attachments}
        for record in missing:
            record.piece = _copy(received.get(record.file), record.sha256, folder / names[record.file], max_bytes)


def _same_copy(path: Path, sha256: str) -> int | None:
    """The size of the copy at ``path`` if it is a regular file holding that content."""
    try:
        if path.is_symlink() or not path.is_file() or sha256_file(path) != sha256:
            return None
        return path.stat().st_size
    except OSError:
        return None


def _copy(attachment: Attachment | None, sha256: str, target: Path, max_bytes: int) -> PieceCopy:
    if attachment is None:
        return PieceCopy(not_kept="fichier absent du dossier déposé au moment d'écrire le rapport")
    if attachment.size > max_bytes:
        message = TOO_LARGE.message(size_mb=f"{attachment.size / 1e6:.1f}", limit_mb=f"{max_bytes / 1e6:.0f}")
        return PieceCopy(size=attachment.size, not_kept=message)
    if attachment.sha256 != sha256:
        return PieceCopy(size=attachment.size, not_kept="fichier modifié depuis son analyse")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_path(target) as tmp:
            _copy_checked(Path(attachment.data_path), tmp, sha256, max_bytes)
    except _NotKept as exc:
        return PieceCopy(size=attachment.size, not_kept=str(exc))
    return PieceCopy(path=f"{PIECES_DIR}/{target.name}", size=target.stat().st_size)


def _copy_checked(source: Path, tmp: Path, sha256: str, max_bytes: int) -> None:
    """``source`` (never through a link) into ``tmp``, its content checked against ``sha256``."""
    digest = hashlib.sha256()
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        reader = os.fdopen(fd, "rb")
    except OSError as exc:
        raise _NotKept(access_error(exc)) from None
    with reader, open(tmp, "wb") as out:
        copied = 0
        while True:
            try:
                chunk = reader.read(1 << 20)
            except OSError as exc:
                raise _NotKept(access_error(exc)) from None
            if not chunk:
                break
            copied += len(chunk)
            if copied > max_bytes:
                raise _NotKept("fichier modifié depuis son analyse")
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != sha256:
        raise _NotKept("fichier modifié depuis son analyse")


def _remove_others(folder: Path, kept: set[str]) -> None:
    """Whatever ``folder`` holds beyond the names kept (the folder itself when nothing is)."""
    if not folder.is_dir() or folder.is_symlink():
        return
    for entry in folder.iterdir():
        if entry.name in kept and entry.is_file() and not entry.is_symlink():
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    if not kept:
        with contextlib.suppress(OSError):
            folder.rmdir()
