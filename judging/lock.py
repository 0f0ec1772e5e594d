"""One run at a time per output folder.

An advisory ``flock`` on ``OUT/.esmsnum/lock``: the kernel releases it when the process
ends, even on ``kill -9``, so a crashed run never leaves a stale lock behind. The file
holds the holder's pid and start time, for the message the second run prints.

Before that, ``usable_output`` checks the output folder (a file in its place, a folder that
cannot be created or written to): the command line and the local server's analysis process
refuse it with the same French message.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
from pathlib import Path


class OutputBusy(Exception):
    """Another run holds the output folder (the message is French, for the operator)."""


class OutputLock:
    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / ".esmsnum" / "lock"
        self._fd: int | None = None

    def __enter__(self) -> OutputLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise OutputBusy(
                f"Une analyse est déjà en cours sur le dossier de sortie {self.path.parent.parent} "
                f"({holder}). Attendre sa fin, ou choisir un autre dossier de sortie (--out)."
            ) from None
        os.ftruncate(fd, 0)
        os.write(
            fd,
            json.dumps(
                {"pid": os.getpid(), "started_at": dt.datetime.now().astimezone().isoformat(timespec="seconds")}
            ).encode(),
        )
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _read_holder(fd: int) -> str:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"processus {data.get('pid', '?')}, démarrée le {data.get('started_at', '?')}"
    except (OSError, ValueError):
        return "processus inconnu"


class OutputUnusable(Exception):
    """The output folder cannot be used (the message is French, for the operator)."""


OS_REASONS = {
    errno.EACCES: "accès refusé (droits)",
    errno.EPERM: "opération non permise (droits)",
    errno.ENOENT: "chemin introuvable",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.ENOSPC: "disque plein",
    errno.EEXIST: "existe déjà",
    errno.ENAMETOOLONG: "nom trop long",
}


def os_reason(exc: OSError) -> str:
    """Why the system refused, in French."""
    return OS_REASONS.get(exc.errno or 0, f"erreur système {exc.errno}" if exc.errno else "erreur système")


def outside_call(call_dir: Path, out_dir: Path) -> None:
    """The output folder may be neither the call folder nor inside it: its report folders
    would be read as dossiers at the next run (``OutputUnusable``, a usage error)."""
    calls, out = call_dir.expanduser().resolve(), out_dir.expanduser().resolve()
    if out == calls or out.is_relative_to(calls):
        raise OutputUnusable(
            f"le dossier de sortie {out_dir} est dans le dossier d'appel {call_dir} : ses rapports y seraient lus "
            "comme des dossiers ; choisir un dossier de sortie hors du dossier d'appel."
        )


def usable_output(out_dir: Path, *, create: bool = True) -> Path:
    """The output folder, checked before anything runs (created when ``create``), resolved:
    a file in its place, a folder that cannot be created or written to raise
    ``OutputUnusable`` (the command line and the local server's analysis process say it
    as a usage error)."""
    out_dir = out_dir.expanduser()
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputUnusable(f"--out désigne un fichier, pas un dossier : {out_dir}")
    if not out_dir.exists():
        if not create:
            raise OutputUnusable(f"Dossier de sortie introuvable : {out_dir}")
        parent = next((p for p in out_dir.parents if p.exists()), None)
        if parent is not None and not parent.is_dir():
            raise OutputUnusable(f"Impossible de créer le dossier de sortie {out_dir} : {parent} est un fichier.")
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputUnusable(f"Impossible de créer le dossier de sortie {out_dir} : {os_reason(exc)}.") from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise OutputUnusable(f"Dossier de sortie non modifiable (droits d'écriture) : {out_dir}")
    return out_dir.resolve()
