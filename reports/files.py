"""Atomic writes: a report on disk is always complete (write to a temp file, then rename).

The files are for sharing (a colleague opens the output folder on a shared drive): they get
the mode any file created by this process would get (``0666`` less the umask), not the
``0600`` of ``tempfile.mkstemp``.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.file_problems import access_error

_UMASK_LOCK = threading.Lock()


class WriteFailed(OSError):
    """A file of the output folder could not be written (disk full, quota, rights); the file
    that was there, if any, is intact. ``str()`` is the French message for the operator."""

    def __init__(self, path: Path, error: OSError) -> None:
        super().__init__(error.errno, str(error), str(path))
        self.path = path
        self.message = (
            f"impossible d'écrire {path} ({access_error(error)}) ; le fichier précédent, s'il existait, est intact"
        )

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):  # raised in a worker process, shown by the parent: picklable as it is
        return (_write_failed, (str(self.path), self.errno, self.strerror, self.message))


def _write_failed(path: str, number: int, text: str, message: str) -> WriteFailed:
    failed = WriteFailed(Path(path), OSError(number, text))
    failed.message = message
    return failed


#: errno values of a disk that takes no more: full, over quota, read-only
_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}


def write_failure(exc: BaseException) -> str | None:
    """The French message of a run stopped because the output folder (reports, history,
    cache) could not be written, or None for any other error: what could not be written,
    that what is written is complete, what to do."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, WriteFailed):
            what = str(seen)
            break
        if isinstance(seen, OSError) and seen.errno in _DISK_ERRNOS:
            where = f" {seen.filename}" if seen.filename else ""
            what = f"impossible d'écrire{where} ({access_error(seen)})"
            break
        if "database or disk is full" in str(seen):
            what = "impossible d'écrire dans la base d'historique (disque plein)"
            break
        seen = seen.__cause__ or seen.__context__
    else:
        return None
    return (
        f"Analyse interrompue : {what}. Les rapports déjà écrits sont complets (écriture atomique) ; libérer de "
        "la place (ou corriger les droits) sur le disque du dossier de sortie, puis relancer la même commande : "
        "elle reprend ce qui manque."
    )


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Any OSError of a write becomes a ``WriteFailed`` naming ``path``."""
    try:
        yield
    except WriteFailed:
        raise
    except OSError as exc:
        raise WriteFailed(path, exc) from exc


def current_umask() -> int:
    """The process umask, read without changing it where the kernel tells it
    (``/proc/self/status``, Linux 4.7+); elsewhere set and restored at once under a lock."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def shareable_mode() -> int:
    """The mode of a new regular file: ``0666`` less the umask (``0644`` under umask 022)."""
    return 0o666 & ~current_umask()


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed onto it when the block ends without error
    (removed otherwise), with the mode of a regular new file. For writers that want a file
    name (xlsxwriter, fpdf2)."""
    with _writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            yield Path(tmp)
            os.chmod(tmp, shareable_mode())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    with _writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fchmod(fh.fileno(), shareable_mode())
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def atomic_write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    atomic_write_bytes(path, text.encode(encoding))


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def remove_stale_temporaries(out_dir: Path) -> int:
    """Temp files left by a run killed mid-write (the reports themselves are intact)."""
    removed = 0
    for tmp in out_dir.glob("*/.*.tmp"):
        if tmp.parent.is_symlink() or tmp.is_symlink():  # never through a link planted in the folder
            continue
        tmp.unlink(missing_ok=True)
        removed += 1
    for tmp in out_dir.glob(".*.tmp"):
        tmp.unlink(missing_ok=True)
        removed += 1
    return removed
