"""The private state folder: what must never sit in the shared output folder.

The session key of the web workspace, the accounts database and the result cache live in
``ESMSNUM_STATE_DIR``, else ``$XDG_STATE_HOME/esmsnum``, else ``~/.local/state/esmsnum``:
a folder of the operator's account, created 0700 (its mode is brought back to 0700 when it
was opened wider). The output folder holds only what reviewers may read.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from pathlib import Path

STATE_ENV = "ESMSNUM_STATE_DIR"
log = logging.getLogger(__name__)


def state_dir() -> Path:
    """The private state folder, created 0700."""
    value = os.environ.get(STATE_ENV)
    if value:
        path = Path(value).expanduser()
    else:
        base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        path = Path(base).expanduser() / "esmsnum"
    path = path.resolve()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    private(path, 0o700)
    return path


def private(path: Path, mode: int) -> None:
    """Bring ``path``'s permissions back to ``mode`` (0700 for a folder, 0600 for a file)
    when group or others have any right on it."""
    try:
        current = stat.S_IMODE(path.stat().st_mode)
        if current & 0o077:
            os.chmod(path, mode)
            log.warning("droits de %s ramenés à %s", path, oct(mode)[2:].rjust(4, "0"))
    except OSError:
        pass


def create_private_file(path: Path) -> None:
    """Create ``path`` empty and 0600 if absent; an existing one is brought back to 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        private(path, 0o600)


def out_key(out_dir: Path) -> str:
    """A short name for an output folder inside the state folder (its resolved path hashed)."""
    return hashlib.sha256(str(out_dir.resolve()).encode()).hexdigest()[:16]
