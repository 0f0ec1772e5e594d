"""Watch mode (``esmsnum suivre``): a warm process re-judges a dossier as soon as its
corrected version lands, complete, in the call folder.

The process runs the call once, then watches the call folder (``watchfiles``: inotify on
Linux). An entry of the call folder (a dossier folder or a ``.zip``) that appears, changes
or disappears is *pending* until it is complete: nothing in it changed for ``settle``
seconds (sizes and modification times of its files) and every zip in it has a readable
central directory (a zip being copied has none yet). Then the call flow runs again in this
process: a new Prefect flow run, where every unchanged dossier comes from the cache and the
new one is judged, its report and the summary rewritten. Entries still pending are left out
of that run (``ignore``): a half-copied zip is never judged, and the dossier's previous
version stands meanwhile.

Warm: the imports, the parsing workers and spaCy's French model are loaded once, after the
first run, in the background; a corrected dossier then costs its own analysis plus the
fingerprints of the call (content hashes of its files) and the flow's bookkeeping.

Stopping: ``stop`` (an event set by SIGINT or SIGTERM in the command) ends the watch after
the run in progress, if any, has written its reports.
"""

from __future__ import annotations

import logging
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config import CallConfig
from core.french import count
from extractors.intake import IGNORED_DIRS, IGNORED_NAMES, dossier_number

log = logging.getLogger(__name__)
PARTIAL_SUFFIXES = (".part", ".partial", ".crdownload", ".tmp", ".download", "~")

Signature = tuple | None  # what changes when an entry's files change; None: the entry is gone


def watched_name(name: str) -> bool:
    """An entry of the call folder that can be a dossier (hidden files, system files and
    temporary names of copies in progress are not)."""
    return not (
        name.startswith((".", "~$"))
        or name in IGNORED_NAMES
        or name in IGNORED_DIRS
        or name.lower().endswith(PARTIAL_SUFFIXES)
    )


def signature(path: Path) -> Signature:
    """Sizes and modification times of an entry's files (None when it does not exist)."""
    try:
        if path.is_dir():
            items = []
            for file in path.rglob("*"):
                try:
                    st = file.stat()
                except OSError:  # removed meanwhile: still changing
                    continue
                if file.is_file():
                    items.append((file.relative_to(path).as_posix(), st.st_size, st.st_mtime_ns))
            return ("dir", tuple(sorted(items)))
        st = path.stat()
        return ("file", st.st_size, st.st_mtime_ns)
    except FileNotFoundError:
        return None


EOCD = b"PK\x05\x06"  # end of central directory record
EOCD_SIZE = 22


def complete_zip(archive: Path) -> bool:
    """The archive ends with its end-of-central-directory record, right after its central
    directory, and opens. A zip is written front to back, that record last: a copy in
    progress has none at its end. (``zipfile`` alone is not enough: it looks for the record
    in the last 64 KB, and finds the one of a workbook stored in a half-copied archive.)"""
    try:
        size = archive.stat().st_size
        with open(archive, "rb") as fh:
            fh.seek(max(0, size - EOCD_SIZE - 65535))
            tail = fh.read()
        at = tail.rfind(EOCD)
        if at < 0 or len(tail) - at < EOCD_SIZE:
            return False
        record = tail[at : at + EOCD_SIZE]
        cd_size = int.from_bytes(record[12:16], "little")
        cd_offset = int.from_bytes(record[16:20], "little")
        comment = int.from_bytes(record[20:22], "little")
        if at + EOCD_SIZE + comment != len(tail):
            return False  # the record found is not the archive's own (not at its end)
        position = size - len(tail) + at
        if cd_offset != 0xFFFFFFFF and cd_offset + cd_size != position:
            return False
        with zipfile.ZipFile(archive) as zf:
            zf.infolist()
        return True
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return False


def readable_zips(path: Path) -> bool:
    """Every zip of the entry is complete (see ``complete_zip``)."""
    if path.is_file():
        return path.suffix.lower() != ".zip" or complete_zip(path)
    return all(complete_zip(p) for p in path.rglob("*") if p.suffix.lower() == ".zip" and p.is_file())


@dataclass
class Pending:
    signature: Signature
    since: float  # when the signature last changed (monotonic)
    announced: bool = False  # "waiting for a complete copy" said once


@dataclass
class Arrivals:
    """Entries of the call folder seen changing, until they are complete."""

    call_dir: Path
    settle: float
    pending: dict[str, Pending] = field(default_factory=dict)

    def touch(self, name: str, now: float) -> None:
        if watched_name(name):
            self.pending[name] = Pending(signature(self.call_dir / name), now)

    def ready(self, now: float) -> tuple[list[str], list[str]]:
        """(entries complete now, entries still incomplete), the complete ones forgotten."""
        done, waiting = [], []
        for name, entry in list(self.pending.items()):
            current = signature(self.call_dir / name)
            if current != entry.signature:
                entry.signature, entry.since = current, now
            if current is None or (now - entry.since >= self.settle and readable_zips(self.call_dir / name)):
                done.append(name)
                del self.pending[name]
            else:
                waiting.append(name)
        return done, waiting


def snapshot(call_dir: Path, out_dir: Path | None = None) -> dict[str, Signature]:
    return {p.name: signature(p) for p in call_dir.iterdir() if watched_name(p.name) and p.resolve() != out_dir}


def warm_up(config: CallConfig, say: Callable[[str], None] | None = None) -> threading.Thread:
    """In the background: the dossier workers (or, without them, the rules' imports, the
    parsing workers and spaCy's French model), so that the first corrected dossier does not
    pay for them."""

    def load() -> None:
        try:
            from flows import workers

            limits = config.limits.file_limits()
            if workers.enabled() and limits.memory_mb_per_file >= workers.WORKER_MIN_MB:
                workers.warm(limits)  # they fork with the rules and spaCy loaded
            else:
                import judging.analysis  # noqa: F401
                from extractors.sandbox import warm_pool
                from validators.prose import french_ratio, people

                warm_pool(limits)
                french_ratio("le projet")  # spaCy's French stop words
                people("Le projet est conduit par la direction.")  # no civility: loads the French model
            if say:
                say(
                    "Processus d'analyse préchargés (lecteurs, règles, modèle de langue) : un dépôt est analysé "
                    "dès sa copie terminée."
                )
        except Exception:  # warming is an optimisation, never a failure
            log.warning("préchargement incomplet", exc_info=True)

    thread = threading.Thread(target=load, name="esmsnum-warm-up", daemon=True)
    thread.start()
    return thread


Say = Callable[[str], None]


class CallWatcher:
    """Runs the call flow at start, then again each time a dossier lands complete."""

    def __init__(
        self,
        call_dir: Path,
        config: CallConfig,
        out_dir: Path,
        *,
        cache: str | None = None,
        history_url: str | None = None,
        workers: int | None = None,
        finess: str | None = None,
        settle: float = 2.0,
        poll: float = 0.5,
        say: Say = print,
    ) -> None:
        """``finess``: the FINESS store file the ESSMS are checked against at every run (as
        ``esmsnum run --finess``; part of each dossier's cache key), or None."""
        self.call_dir, self.config, self.out_dir = call_dir, config, out_dir
        self.cache, self.history_url, self.workers, self.finess = cache, history_url, workers, finess
        self.settle, self.poll, self.say = settle, poll, say
        self.runs = 0

    def run_once(self, ignore: tuple[str, ...], stop: threading.Event) -> dict[str, Any] | None:
        """One flow run over the call (waits while another command holds the output folder)."""
        from flows.call import run_call
        from flows.runners import task_runner
        from judging.lock import OutputBusy, OutputLock

        flow = run_call.with_options(task_runner=task_runner("local", self.workers))
        said_busy = False
        while not stop.is_set():
            try:
                with OutputLock(self.out_dir):
                    summary = flow(
                        self.call_dir,
                        self.config,
                        self.out_dir,
                        cache=self.cache,
                        history_url=self.history_url,
                        finess=self.finess,
                        ignore=ignore,
                    )
                self.runs += 1
                return summary
            except OutputBusy as exc:
                if not said_busy:
                    self.say(f"{exc} Nouvelle tentative dès que possible.")
                    said_busy = True
                stop.wait(max(self.poll, 1.0))
        return None

    def watch(self, stop: threading.Event) -> None:
        """Until ``stop`` is set: the first run, then a run per batch of complete arrivals."""
        import watchfiles

        out = self.out_dir.resolve()
        before = snapshot(self.call_dir, out)
        started = time.perf_counter()
        summary = self.run_once((), stop)
        if summary is None:
            return
        self.say(describe_run(summary, [], time.perf_counter() - started))
        warm_up(self.config, self.say)
        arrivals = Arrivals(self.call_dir, self.settle)
        now = time.monotonic()
        after = snapshot(self.call_dir, out)
        for name in set(before) | set(after):  # dropped while the first run was running
            if before.get(name) != after.get(name):
                arrivals.touch(name, now)
        self.say(
            f"Suivi de {self.call_dir} : un dossier déposé (sous-dossier ou .zip) est analysé dès que sa "
            "copie est terminée. Ctrl+C pour arrêter."
        )
        for changes in watchfiles.watch(
            self.call_dir,
            stop_event=stop,
            rust_timeout=int(self.poll * 1000),
            yield_on_timeout=True,
            debounce=int(self.poll * 1000),
            step=50,
            raise_interrupt=False,
            watch_filter=None,
        ):
            now = time.monotonic()
            for _, raw in changes:
                path = Path(raw)
                if path == out or out in path.parents:
                    continue  # an output folder inside the call folder
                try:
                    name = path.relative_to(self.call_dir).parts[0]
                except (ValueError, IndexError):
                    continue
                arrivals.touch(name, now)
            done, waiting = arrivals.ready(now)
            for name in waiting:
                entry = arrivals.pending[name]
                if not entry.announced and now - entry.since >= self.settle:
                    self.say(
                        f"{name} : copie incomplète (archive illisible pour l'instant), en attente de la fin "
                        "de la copie."
                    )
                    entry.announced = True
            if not done or stop.is_set():
                continue
            started = time.perf_counter()
            new = {
                n
                for n in (dossier_number(Path(name)) for name in done)
                if not (self.out_dir / n / "report.json").exists()
            }
            summary = self.run_once(tuple(sorted(arrivals.pending)), stop)
            if summary is not None:
                self.say(describe_run(summary, done, time.perf_counter() - started, new))


def describe_run(summary: dict[str, Any], arrived: list[str], seconds: float, new: set[str] | None = None) -> str:
    """The French lines printed after each run (``new``: dossiers without a report before it)."""
    from flows.artifacts import VERDICT_LABELS

    clock = time.strftime("%H:%M:%S")
    run = summary.get("run", {})
    verdicts = {d["dossier"]: d["verdict"] for d in summary.get("dossiers", [])}
    lines = []
    if arrived:
        lines.append(
            f"{clock} — dépôt : {', '.join(arrived)} ; dossiers analysés : {run.get('dossiers_analysed', 0)}, "
            f"repris du cache : {run.get('dossiers_cached', 0)} ({_seconds(seconds)})."
        )
    else:
        lines.append(
            f"{clock} — {count(len(verdicts), 'dossier')} : analysés {run.get('dossiers_analysed', 0)}, "
            f"repris du cache {run.get('dossiers_cached', 0)} ({_seconds(seconds)})."
        )
    numbers = {dossier_number(Path(n)) for n in arrived}
    changed = {c["dossier"]: c for c in summary.get("changes", [])}
    for numero in sorted(numbers | set(changed)):
        if numero in changed:
            c = changed[numero]
            lines.append(
                f"  {numero} : {VERDICT_LABELS.get(c['before'], c['before'])} → "
                f"{VERDICT_LABELS.get(c['after'], c['after'])}"
            )
        elif numero in verdicts:
            state = "nouveau dossier" if numero in (new or set()) else "verdict inchangé"
            lines.append(f"  {numero} : {VERDICT_LABELS.get(verdicts[numero], verdicts[numero])} ({state})")
        else:
            lines.append(f"  {numero} : retiré du dossier de l'appel")
    return "\n".join(lines)


def _seconds(value: float) -> str:
    return f"{value:.1f} s".replace(".", ",")
