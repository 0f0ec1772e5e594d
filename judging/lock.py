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
import socket
import time
from pathlib import Path


class OutputBusy(Exception):
    """Another run holds the output folder (the message is French, for the operator)."""


#: Seconds a command waits for the lock before saying who holds it: a change saved from the
#: web workspace holds it for a moment only.
WAIT_SECONDS = 5.0
WEB = "web"  # the holder written by the web workspace while it saves a change


class OutputLock:
    """``holder``: what takes the lock (``analyse``, or ``web``), written for the message of
    whoever finds it taken; ``wait``: seconds to wait for it before ``OutputBusy``."""

    def __init__(self, out_dir: Path, holder: str = "analyse", wait: float = WAIT_SECONDS) -> None:
        self.path = out_dir / ".esmsnum" / "lock"
        self.holder = holder
        self.wait = wait
        self._fd: int | None = None

    def __enter__(self) -> OutputLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() < deadline:
                    time.sleep(0.1)
                    continue
                message = busy_message(self.path.parent.parent, _read_holder(fd), self.wait)
                os.close(fd)
                raise OutputBusy(message) from None
        os.ftruncate(fd, 0)
        os.write(
            fd,
            json.dumps(
                {
                    "holder": self.holder,
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                }
            ).encode(),
        )
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _read_holder(fd: int) -> dict:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _named_process(data: dict) -> str:
    """« processus 1234 » only when that process can be seen running on this machine: a pid
    written on another machine (a shared folder) or by a process gone is not named."""
    pid = data.get("pid")
    if not isinstance(pid, int) or data.get("host") != socket.gethostname():
        return ""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return ""
    except PermissionError:
        pass  # running, under another account
    return f", processus {pid}"


def busy_message(out_dir: Path, data: dict, wait: float) -> str:
    """What holds the output folder, in French, as far as it can be told."""
    from core.french import datetime_long

    since = ""
    if data.get("started_at"):
        try:
            since = f" depuis le {datetime_long(dt.datetime.fromisoformat(data['started_at']))}"
        except (TypeError, ValueError):
            since = ""
    host = f" sur la machine {data['host']}" if data.get("host") and data.get("host") != socket.gethostname() else ""
    waited = f"Attendu {wait:.0f} s : " if wait >= 1 else ""
    if data.get("holder") == WEB:
        return (
            f"{waited}l'espace d'instruction (esmsnum web) enregistre une modification dans le dossier de sortie "
            f"{out_dir}{since}{_named_process(data)}. Relancer dans un instant."
        )
    if data.get("pid") or data.get("holder"):
        return (
            f"{waited}Une analyse est déjà en cours sur le dossier de sortie {out_dir}{since}{host}"
            f"{_named_process(data)}. Attendre sa fin, ou choisir un autre dossier de sortie (--sortie)."
        )
    return (
        f"{waited}Le dossier de sortie {out_dir} est verrouillé par un autre programme, qui ne s'est pas nommé. "
        "Attendre sa fin, ou choisir un autre dossier de sortie (--sortie)."
    )


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
        raise OutputUnusable(f"--sortie désigne un fichier, pas un dossier : {out_dir}")
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
