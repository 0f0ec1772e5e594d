"""The calls the workspace serves: each call's output folder (reports written by ``esmsnum
run``) and its history database; the database of accounts.

A dossier is only ever found by looking its number up in the call's summary: a number from a
URL never becomes a path before it is known to be one of the call's dossiers (no ``../``).
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.report import DossierReport
from instruction.accounts import open_accounts
from instruction.annotations import Annotations
from instruction.experts import Experts
from instruction.mail import Mailer, MailSettings
from instruction.store import History, default_url
from instruction.teams import TeamStore
from judging.lock import WEB, OutputBusy, OutputLock
from web.settings import WebSettings


class NotFound(Exception):
    """An unknown call or dossier (answered 404)."""


class Busy(Exception):
    """A run holds the call's output folder (French message)."""


@dataclass
class _Cached:
    mtime_ns: int
    size: int
    data: Any


class JsonCache:
    """JSON files read (and parsed: a report into its typed model) again only when they change
    on disk (size and mtime)."""

    def __init__(self, capacity: int = 256) -> None:
        self.capacity = capacity
        self._items: OrderedDict[Path, _Cached] = OrderedDict()
        self._lock = threading.Lock()

    def load(self, path: Path, parse: Callable[[dict[str, Any]], Any] | None = None) -> Any:
        st = path.stat()
        with self._lock:
            hit = self._items.get(path)
            if hit and hit.mtime_ns == st.st_mtime_ns and hit.size == st.st_size:
                self._items.move_to_end(path)
                return hit.data
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise TypeError(f"{path}: not an object")
        if parse is not None:
            data = parse(data)
        with self._lock:
            self._items[path] = _Cached(st.st_mtime_ns, st.st_size, data)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return data


class CallSite:
    """One call: its output folder, its summary, its dossiers' reports, its history."""

    def __init__(self, out_dir: Path, history: History, cache: JsonCache) -> None:
        self.out_dir = out_dir
        self.history = history
        self._cache = cache
        summary = self.summary()
        self.call_id: str = summary["call_id"]
        self._write = threading.Lock()
        self.experts = Experts(history.engine)  # the avis asked of experts
        self.annotations = Annotations(history.engine)  # labels and private annotations

    @property
    def title(self) -> str:
        return str(self.summary().get("call_title") or self.call_id)

    def summary(self) -> dict[str, Any]:
        return self._cache.load(self.out_dir / "summary.json")

    def rows(self) -> dict[str, dict[str, Any]]:
        """The summary's row of every dossier, by number."""
        return {str(d["dossier"]): d for d in self.summary().get("dossiers") or [] if d.get("dossier")}

    def report_dir(self, dossier: str) -> Path:
        row = self.rows().get(dossier)
        if row is None:
            raise NotFound(dossier)
        folder = (self.out_dir / Path(str(row.get("report") or f"{dossier}/report.json")).parent).resolve()
        if not folder.is_relative_to(self.out_dir.resolve()):
            raise NotFound(dossier)
        return folder

    def report(self, dossier: str) -> DossierReport:
        try:
            return self._cache.load(self.report_dir(dossier) / "report.json", DossierReport.load)
        except (OSError, ValueError, TypeError):
            raise NotFound(dossier) from None

    @contextmanager
    def writing(self, wait: float = 10.0):
        """The call's output folder for a change: one writer in this process, and no run
        (``esmsnum analyser`` holds the same lock while it analyses)."""
        deadline = time.monotonic() + wait
        with self._write:
            while True:
                try:
                    lock = OutputLock(self.out_dir, holder=WEB, wait=0)
                    lock.__enter__()
                    break
                except OutputBusy:
                    if time.monotonic() > deadline:
                        raise Busy(
                            "Une analyse de l'appel est en cours : les rapports sont en cours d'écriture. "
                            "Réessayez dans quelques minutes (rien n'a été enregistré)."
                        ) from None
                    time.sleep(0.2)
            try:
                yield
            finally:
                lock.__exit__(None, None, None)


class Workspace:
    """Every call served, by id, and the accounts' database."""

    def __init__(self, settings: WebSettings) -> None:
        self.settings = settings
        self.cache = JsonCache()
        self._histories: dict[str, History] = {}
        self.calls: dict[str, CallSite] = {}
        for out in settings.out_dirs:
            site = CallSite(out, self._history(settings.history_url or default_url(out)), self.cache)
            if site.call_id in self.calls:
                raise ValueError(f"l'appel {site.call_id} est donné deux fois")
            self.calls[site.call_id] = site
        self.accounts = open_accounts(settings.out_dirs[0], settings.history_url)
        self.teams = TeamStore(self.accounts.url, engine=self.accounts.engine)
        self.mailer = Mailer(MailSettings.from_env())

    def _history(self, url: str) -> History:
        if url not in self._histories:
            self._histories[url] = History(url)
        return self._histories[url]

    def call(self, call_id: str) -> CallSite:
        site = self.calls.get(call_id)
        if site is None:
            raise NotFound(call_id)
        return site

    def close(self) -> None:
        for history in self._histories.values():
            history.close()
        self.accounts.close()
