"""One run at a time per output folder.

An advisory ``flock`` on ``OUT/.esmsnum/lock``: the kernel releases it when the process
ends, even on ``kill -9``, so a crashed run never leaves a stale lock behind. The file
holds the holder's pid and start time, for the message the second run prints.
"""

from __future__ import annotations

import datetime as dt
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
