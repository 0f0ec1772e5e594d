"""Whole dossiers judged in worker processes: reading, rules, evidence and report files.

With the local runner, the flow's threads used to wait on the sandbox's processes for each
file and then ran the rules and wrote the reports themselves, all under the one GIL of the
command's process: two workers gave hardly more than one. Here each dossier goes to a worker
process of a pebble ``ProcessPool`` (one per core, or ``--workers``) that judges it end to
end, and the report files of the reports stage are written by the same processes.

The per-file limits stay (``extractors.sandbox.InlineGuard``): a file that overruns its time
ends the worker after naming itself, a file that exceeds the memory cap (the worker's
address space, ``Limits.memory_mb_per_file`` as for the sandbox's processes) makes it fail
the same way, or raises MemoryError, a finding like in the sandbox. The
dossier is then judged again the isolated way (each file in its own bounded process), the
named file marked unreadable without being read a second time: a hostile file costs
bounded time and memory and never loses its dossier. The whole dossier is bounded too
(``seconds_per_file`` for each of its files, plus one).

Workers fork from the forkserver with the readers, the rules, pandas and spaCy's French
model already imported (``flows.worker_preload``), so starting one costs a fork.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pebble import ProcessExpired, ProcessPool

from core.config import CallConfig
from core.file_problems import Reason
from core.limits import Limits, parsing_workers
from core.models import Attachment, ExtractedDocument
from core.report import DossierReport
from extractors.pools import KeptPool
from flows.cache import DocumentCache
from judging.submission import Submission

log = logging.getLogger(__name__)
DOSSIER_WORKERS_ENV = "ESMSNUM_DOSSIER_WORKERS"  # "0": judge in the flow's threads, as before


def enabled() -> bool:
    return os.environ.get(DOSSIER_WORKERS_ENV, "1") != "0"


#: Below this memory cap per file, judge in the flow's threads, each file in the sandbox's
#: lighter processes: a worker holding the rules, pandas and spaCy's model (about 500 MB of
#: address space, on top of which the cap is counted) is not worth its memory on a machine
#: set that low.
WORKER_MIN_MB = 1024


def worth_it(pending: int, limits: Limits) -> bool:
    """Starting the workers costs a forkserver importing everything (seconds of CPU): worth
    it when there are dossiers for every worker, or when they are already running (a warm
    process); one or two corrected dossiers are judged sooner in the flow's threads."""
    if limits.memory_mb_per_file < WORKER_MIN_MB:
        return False
    return _pool.running or pending >= 2 * _workers()


def _workers() -> int:
    return parsing_workers()


# --------------------------------------------------------------------------- in the worker


def _init_worker(memory_mb: int) -> None:
    """Cap the address space as the sandbox caps its workers' (``memory_mb_per_file``)."""
    import warnings

    from extractors.pools import cap_address_space

    warnings.simplefilter("ignore")  # parser warnings about odd styles are noise, not findings
    import flows.worker_preload  # noqa: F401  (already there when forked from the forkserver)

    cap_address_space(memory_mb)


# The forkserver is shared with the sandbox's pool (one per process): whichever starts first,
# both find their modules there.
_pool = KeptPool(preload=["extractors.sandbox", "flows.worker_preload"], max_tasks=1000, initializer=_init_worker)
_configs: dict[bytes, CallConfig] = {}


def _config(packed: bytes) -> CallConfig:
    """The call configuration sent by the flow (cloudpickled: its generic pydantic models do
    not pickle by reference), unpacked once per worker."""
    if packed not in _configs:
        import pickle

        _configs.clear()
        _configs[packed] = pickle.loads(packed)  # bytes from our own parent process
    return _configs[packed]


def _judge(
    path: Path, packed_config: bytes, storage: str | Path, finess: str | None, status_path: str
) -> dict[str, Any]:
    from extractors import sandbox
    from judging.analysis import judge_dossier

    config = _config(packed_config)
    sandbox.read_inline(status_path)
    documents = DocumentCache(storage, sandbox.extract_isolated)
    report = judge_dossier(path, config, documents.extract, finess=finess)
    return {"report": report.to_json(), "extracted": documents.extracted, "cached": documents.cached}


def _write(report: DossierReport, report_dir: Path) -> None:
    from reports.dossier import write_dossier_reports

    write_dossier_reports(report, report_dir)


# --------------------------------------------------------------------------- in the flow


def _get_pool(limits: Limits) -> ProcessPool:
    return _pool.get(workers=_workers(), memory_mb=limits.memory_mb_per_file)


def shutdown() -> None:
    _pool.shutdown()


def warm(limits: Limits) -> None:
    """Start the workers now (a warm process, ``esmsnum suivre``)."""
    pool = _get_pool(limits)
    for future in [pool.schedule(os.getpid) for _ in range(_workers())]:
        future.result(timeout=600)


_packed: dict[int, tuple[CallConfig, bytes]] = {}


def _pack(config: CallConfig) -> bytes:
    """The configuration cloudpickled once per configuration object."""
    cached = _packed.get(id(config))
    if cached is None or cached[0] is not config:
        import cloudpickle

        cached = (config, cloudpickle.dumps(config))
        _packed.clear()
        _packed[id(config)] = cached
    return cached[1]


@dataclass
class Culprit:
    """The file a worker was reading when it died, and why it is unreadable."""

    file: str
    reason: Reason


#: How often a dossier waiting for a worker checks that its pool still runs (seconds).
WATCH_SECONDS = 15.0


class PoolStalled(RuntimeError):
    """A dossier's task was not started by a live pool: the pool is restarted."""


class _InFlight:
    """How many dossiers are scheduled on the pool (to bound the wait of the last queued)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def __enter__(self) -> _InFlight:
        with self._lock:
            self.count += 1
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.count -= 1


_in_flight = _InFlight()


def _result(future, pool: ProcessPool, task_seconds: float) -> Any:
    """The task's result, never a wait for ever: pebble's timeout runs from the task's start,
    so a task a pool never starts (its manager stopped, its workers gone) would be waited on
    without end. A pool that stopped running, or a task still unstarted after every dossier
    queued before it could have used its whole time, raises PoolStalled."""
    waited = 0.0
    while True:
        try:
            return future.result(timeout=WATCH_SECONDS)
        except FutureTimeout:
            if future.done():
                raise  # the task's own time ran out
        waited += WATCH_SECONDS
        if not pool.active or (not future.running() and waited > task_seconds * (_in_flight.count + 1)):
            future.cancel()
            raise PoolStalled(f"task not started after {waited:.0f} s")


def judge(submission: Submission, config: CallConfig, storage: str | Path, finess: str | None = None) -> dict[str, Any]:
    """The dossier task's result (report, documents read, documents from the cache), from a
    worker process; the isolated way when the worker failed. Never raises for a file.
    ``finess``: the FINESS store file the ESSMS are looked up in (as in the flow's threads)."""
    limits = config.limits.file_limits()
    if limits.memory_mb_per_file < WORKER_MIN_MB:
        return judge_isolated(submission, config, storage, finess=finess)
    files = max(1, len(submission.documents))
    fd, status_path = tempfile.mkstemp(prefix="esmsnum-dossier-", suffix=".status")
    os.close(fd)
    try:
        culprit = None
        for attempt in range(2):
            try:
                pool, seconds = _get_pool(limits), limits.seconds_per_file * (files + 1)
                with _in_flight:
                    future = pool.schedule(
                        _judge, args=(submission.path, _pack(config), storage, finess, status_path), timeout=seconds
                    )
                    return _result(future, pool, seconds)
            except (BrokenProcessPool, RuntimeError) as exc:
                log.warning("dossier pool broken (%s), restarting it (attempt %d)", exc, attempt + 1)
                shutdown()
            except FutureTimeout:
                culprit = _culprit(status_path, sandbox_reason("timeout", limits, None))
                break
            except ProcessExpired as exc:
                kind = "timeout" if exc.exitcode == _exit_file_timeout() else "crash"
                culprit = _culprit(status_path, sandbox_reason(kind, limits, exc.exitcode))
                break
            except Exception:  # the result could not come back: judge it here
                log.warning("dossier %s: worker failed, judged in the flow", submission.numero, exc_info=True)
                break
        if culprit:
            log.warning(
                "dossier %s: %s stopped its worker (%s)", submission.numero, culprit.file, culprit.reason.message
            )
        return judge_isolated(submission, config, storage, culprit, finess=finess)
    finally:
        Path(status_path).unlink(missing_ok=True)


class ReportWriter:
    """Report files written by the workers, in parallel, a bounded number in flight (the
    reports wait in memory until a worker takes them); whatever fails there is written in
    this process: a report is never lost."""

    def __init__(self, limits: Limits, in_flight: int | None = None) -> None:
        self.limits = limits
        self.in_flight = in_flight or 4 * _workers()
        self._pending: list[tuple[dict[str, Any], Path, Any]] = []

    def submit(self, report: DossierReport, report_dir: Path) -> None:
        try:
            future = _get_pool(self.limits).schedule(
                _write, args=(report, report_dir), timeout=self.limits.seconds_per_file
            )
        except (BrokenProcessPool, RuntimeError):
            shutdown()
            future = None
        self._pending.append((report, report_dir, future))
        while len(self._pending) > self.in_flight:
            self._settle(*self._pending.pop(0))

    def close(self) -> None:
        while self._pending:
            self._settle(*self._pending.pop(0))

    @staticmethod
    def _settle(report: DossierReport, report_dir: Path, future: Any) -> None:
        from reports.dossier import write_dossier_reports

        try:
            if future is None:
                raise RuntimeError("dossier pool unavailable")
            future.result()
        except Exception:  # never lose a report: write it in this process
            log.warning("report of %s written in the flow", report.dossier, exc_info=True)
            write_dossier_reports(report, report_dir)


def judge_isolated(
    submission: Submission,
    config: CallConfig,
    storage: str | Path,
    culprit: Culprit | None = None,
    finess: str | None = None,
) -> dict[str, Any]:
    """The dossier judged in this process, each file read in the sandbox's bounded processes;
    ``culprit``, the file that ended a worker, is not read again."""
    from extractors.sandbox import extract_isolated, sniff_safely
    from judging.analysis import judge_dossier

    def extract(attachment: Attachment, limits: Limits) -> ExtractedDocument:
        if culprit is not None and attachment.path == culprit.file:
            doc = ExtractedDocument(attachment.path, attachment.sha256, sniff_safely(attachment))
            doc.refuse(culprit.reason)
            return doc
        return extract_isolated(attachment, limits)

    documents = DocumentCache(storage, extract)
    report = judge_dossier(submission.path, config, documents.extract, finess=finess)
    return {"report": report.to_json(), "extracted": documents.extracted, "cached": documents.cached}


def _culprit(status_path: str, reason: Reason) -> Culprit | None:
    try:
        name = Path(status_path).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return Culprit(name, reason) if name else None


def _exit_file_timeout() -> int:
    from extractors.sandbox import EXIT_FILE_TIMEOUT

    return EXIT_FILE_TIMEOUT


def sandbox_reason(kind: str, limits: Limits, exitcode: int | None) -> Reason:
    from extractors.sandbox import crash_reason, timeout_reason

    return timeout_reason(limits) if kind == "timeout" else crash_reason(limits, exitcode)
