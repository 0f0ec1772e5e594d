"""Which files must be read to know their content: an index of what was already hashed.

A call folder is fingerprinted by content (``judging.submission``), which means reading every
byte of every file at every run. The index remembers, for each file (and each zip, whose
members are hashed while streamed), its ``(size, mtime_ns, inode, ctime_ns)`` and the
content key found then; a file whose four are unchanged is not read again (the change time
also moves when the file's permissions do: a file unreadable once is read again once readable). Anything else (a new file,
another size, a touched or replaced file, an entry the index cannot vouch for) is read and
hashed as before: the index only saves reading, the key is still the content's sha256.

The index lives in the private state folder (``core.state``: ``index/<call folder's key>.json``,
0600), never beside the dossiers; it is plain JSON (data only, nothing executed when read),
bounded by the call folder's own entries (entries no longer seen are dropped when written).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from core.state import out_key, state_dir

log = logging.getLogger(__name__)
VERSION = 1


def _signature(path: Path) -> list[int] | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]


def _state_file(kind: str, folder: Path) -> Path:
    """``<private state folder>/<kind>/<folder's key>.json`` (``kind`` created 0700 if need be)."""
    parent = state_dir() / kind
    parent.mkdir(mode=0o700, exist_ok=True)
    return parent / f"{out_key(folder)}.json"


def _read(path: Path | None) -> Any:
    """The JSON data in ``path``; None when there is none or it cannot be read."""
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write(path: Path | None, data: Any, failure: str) -> None:
    """Written atomically, 0600; a failure is logged (``failure``, with the path) and costs
    the work again next time, never the run."""
    if path is None:
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, separators=(",", ":"))
        os.replace(tmp, path)
    except OSError:
        log.warning("%s : %s", failure, path, exc_info=True)
        tmp.unlink(missing_ok=True)


class HashIndex:
    """``(path, size, mtime_ns, inode, ctime_ns)`` → content key, for one call folder."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._old: dict[str, list[Any]] = {}
        self._new: dict[str, list[Any]] = {}
        self.hashed = 0  # files (or zips) read to know their content
        self.reused = 0  # known unchanged: not read
        data = _read(path)
        if isinstance(data, dict) and data.get("version") == VERSION and isinstance(data.get("files"), dict):
            self._old = data["files"]

    @classmethod
    def for_call(cls, call_dir: Path) -> HashIndex:
        return cls(_state_file("index", call_dir))

    def value(self, path: Path, compute):
        """The key ``compute(path)`` gave for this file when it was last seen unchanged, else
        ``compute(path)`` now (recorded unless it is None)."""
        name = str(path)
        signature = _signature(path)
        known = self._old.get(name)
        if signature is not None and known is not None and known[0] == signature:
            with self._lock:
                self.reused += 1
                self._new[name] = known
            return known[1]
        result = compute(path)
        after = _signature(path)
        with self._lock:
            self.hashed += 1
            if result is not None and signature is not None and after == signature:  # not changed while read
                self._new[name] = [signature, result]
        return result

    def save(self) -> None:
        """Written atomically, 0600; a failure costs a re-read next time, never the run."""
        _write(self.path, {"version": VERSION, "files": self._new}, "index des empreintes non enregistré")


class Rendered:
    """Which version of the renderer (the sources of ``reports/`` and ``core/``) wrote the report
    files of an output folder: when it changed, every report is rendered again once; otherwise
    a report whose digest on disk is unchanged is kept. In the private state folder
    (``rendered/<output's key>.json``, 0600), plain JSON; saved at the end of a run, so that a
    run stopped midway renders again what it may not have reached."""

    def __init__(self, path: Path | None) -> None:
        from core.versions import code_version

        self.path = path
        self.version = code_version(("core", "reports"))
        data = _read(path)
        self.same = isinstance(data, dict) and data.get("renderer") == self.version

    @classmethod
    def for_output(cls, out_dir: Path) -> Rendered:
        return cls(_state_file("rendered", out_dir))

    def current(self) -> bool:
        """The reports on disk were written by this renderer."""
        return self.same

    def save(self) -> None:
        _write(self.path, {"renderer": self.version}, "version du rendu non enregistrée")
