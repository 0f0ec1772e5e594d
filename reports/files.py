"""Atomic writes: a report on disk is always complete (write to a temp file, then rename).

The files are for sharing (a colleague opens the output folder on a shared drive): they get
the mode any file created by this process would get (``0666`` less the umask), not the
``0600`` of ``tempfile.mkstemp``.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_UMASK_LOCK = threading.Lock()


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
