"""Parse each file in a worker process with bounded wall time, memory and output size.

A hostile or broken file (a decompression bomb, a PDF that hangs the parser, a sheet of a
million rows) costs at most ``Limits.seconds_per_file`` seconds and
``Limits.memory_mb_per_file`` MB of one worker, and yields a reason of the catalogue of
file problems (``core.file_problems``, PIE-02) instead of a crashed or hung batch. Workers come from a pebble ``ProcessPool`` (forkserver start,
libraries preloaded); a worker that times out or dies is replaced by the pool.

Inside a process that judges whole dossiers (``flows.workers``), files are read in that
process instead, under an ``InlineGuard``: the same per-file time limit is kept by a
watchdog that ends the process (after naming the file being read), the memory limit by the
process's own address-space cap; the parent then judges the dossier again the isolated way,
with the named file marked unreadable.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

from pebble import ProcessExpired, ProcessPool

from core import file_problems as problems
from core.limits import Limits, parsing_workers
from core.models import Attachment, ExtractedDocument
from extractors.extract import explain_failure, extract, memory_reason
from extractors.pools import KeptPool, cap_address_space
from extractors.sniff import sniff
from extractors.tables import find_document_tables

log = logging.getLogger(__name__)


def _limit_memory(memory_mb: int) -> None:
    """Worker initializer: ``memory_mb`` more MB than the worker maps when it starts."""
    import warnings

    warnings.simplefilter("ignore")  # parser warnings about odd styles are noise, not findings
    cap_address_space(memory_mb)


def output_size(doc: ExtractedDocument) -> int:
    return sum(len(row) for grid in doc.grids for row in grid.rows) + len(doc.text)


def _extract_bounded(attachment: Attachment, limits: Limits) -> ExtractedDocument:
    """Runs in the worker; ``seconds`` is the parsing time, not the time spent queued."""
    started = time.perf_counter()
    try:
        doc = extract(attachment, limits)
    except MemoryError:
        doc = ExtractedDocument(attachment.path, attachment.sha256, "?", seconds=time.perf_counter() - started)
        doc.refuse(memory_reason(limits))
        return doc
    size = output_size(doc)
    if size > limits.max_output_cells:
        refused = ExtractedDocument(attachment.path, attachment.sha256, doc.format)
        refused.refuse(problems.TOO_MUCH_CONTENT.reason(count=size, limit=limits.max_output_cells))
        return refused
    if doc.readable:
        # Finding the tables tries every text cell against the header catalogue: CPU work
        # per document, done here so that it runs on every core, under the same limits.
        doc.tables = find_document_tables(doc.grids, doc.file)
    doc.seconds = time.perf_counter() - started
    return doc


def timeout_reason(limits: Limits) -> problems.Reason:
    return problems.TIMEOUT.reason(seconds=f"{limits.seconds_per_file:.0f}")


def crash_reason(limits: Limits, exitcode: int | None) -> problems.Reason:
    # Under an address-space limit, native parsers often die on a failed allocation
    # (SIGSEGV, SIGABRT) rather than raise MemoryError: say both possible causes.
    if exitcode in (-9, 137):
        return memory_reason(limits)
    return problems.READER_CRASHED.reason(exit_code=exitcode, limit_mb=limits.memory_mb_per_file)


#: Exit code of a dossier worker whose watchdog saw a file overrun its time.
EXIT_FILE_TIMEOUT = 75


class InlineGuard:
    """Per-file limits for files read in the current process (a dossier worker).

    Before each file, its name is written to ``status_path``; a watchdog thread ends the
    process with ``EXIT_FILE_TIMEOUT`` if the file is still being read after its time limit
    (native parsers cannot be interrupted otherwise). A process that dies while reading (the
    address-space cap) leaves the name there too: the parent knows which file to blame."""

    def __init__(self, status_path: str) -> None:
        self.status_path = status_path
        self._fd: int | None = None
        self._fd_path = ""
        self._deadline: float | None = None
        self._cv = threading.Condition()
        threading.Thread(target=self._watch, name="esmsnum-file-watchdog", daemon=True).start()

    def run(self, label: str, seconds: float, fn, *args):
        self._record(label)
        with self._cv:
            self._deadline = time.monotonic() + seconds
            self._cv.notify()
        try:
            return fn(*args)
        finally:
            with self._cv:
                self._deadline = None
                self._cv.notify()
            self._record("")

    def _record(self, label: str) -> None:
        # One open file per status path, rewritten in place: a few microseconds per file read.
        if self._fd is None or self._fd_path != self.status_path:
            if self._fd is not None:
                os.close(self._fd)
            self._fd, self._fd_path = os.open(self.status_path, os.O_WRONLY | os.O_CREAT, 0o600), self.status_path
        data = label.encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)

    def _watch(self) -> None:
        with self._cv:
            while True:
                if self._deadline is None:
                    self._cv.wait()
                elif time.monotonic() >= self._deadline:
                    os._exit(EXIT_FILE_TIMEOUT)
                else:
                    self._cv.wait(self._deadline - time.monotonic())


_inline: InlineGuard | None = None


def read_inline(status_path: str) -> None:
    """From now on, this process reads files itself under an ``InlineGuard`` (dossier workers)."""
    global _inline
    if _inline is None:
        _inline = InlineGuard(status_path)
    _inline.status_path = status_path


_pool = KeptPool(preload=["extractors.sandbox"], max_tasks=200, initializer=_limit_memory)


def _get_pool(limits: Limits) -> ProcessPool:
    return _pool.get(workers=parsing_workers(), memory_mb=limits.memory_mb_per_file)


def warm_pool(limits: Limits | None = None) -> None:
    """Start the parsing workers now (the forkserver imports the readers once, then each
    worker forks from it), so that the first file of a warm process does not wait for them."""
    limits = limits or Limits()
    if limits.isolate:
        _get_pool(limits).schedule(os.getpid).result(timeout=300)


def shutdown() -> None:
    _pool.shutdown()


atexit.register(shutdown)


def extract_isolated(attachment: Attachment, limits: Limits | None = None) -> ExtractedDocument:
    """``extract`` in a bounded worker; never raises."""
    started = time.perf_counter()
    doc = _extract_guarded(attachment, limits or Limits())
    if not doc.seconds:  # a worker failure: count the wall time spent waiting for it
        doc.seconds = time.perf_counter() - started
    return doc


def _extract_guarded(attachment: Attachment, limits: Limits) -> ExtractedDocument:
    if not limits.isolate:
        return _extract_bounded(attachment, limits)
    if _inline is not None:
        return _inline.run(attachment.path, limits.seconds_per_file, _extract_bounded, attachment, limits)
    for attempt in range(2):
        try:
            future = _get_pool(limits).schedule(
                _extract_bounded, args=(attachment, limits), timeout=limits.seconds_per_file
            )
            return _outcome(future, attachment, limits)
        except (BrokenProcessPool, RuntimeError):
            # The pool itself broke (not the file): start a fresh one and try again.
            log.warning("extraction pool broken, restarting it (attempt %d)", attempt + 1)
            shutdown()
    log.error("extraction pool unavailable: reading %s without isolation", attachment.path)
    return _extract_bounded(attachment, limits)


def _outcome(future, attachment: Attachment, limits: Limits) -> ExtractedDocument:
    try:
        return future.result()
    except FutureTimeout:
        reason = timeout_reason(limits)
    except ProcessExpired as exc:
        reason = crash_reason(limits, exc.exitcode)
    except MemoryError:
        reason = memory_reason(limits)
    except BrokenProcessPool:
        raise
    except Exception as exc:  # noqa: BLE001 - anything else is still a finding
        reason = explain_failure(sniff_safely(attachment), exc, limits)
    doc = ExtractedDocument(attachment.path, attachment.sha256, sniff_safely(attachment))
    doc.refuse(reason)
    return doc


def sniff_safely(attachment: Attachment) -> str:
    try:
        from pathlib import Path

        return sniff(Path(attachment.data_path), attachment.path)
    except OSError:
        return "?"


def render_isolated(data_path: str, requests: list[dict], limits: Limits | None = None) -> list[dict | None]:
    """``extractors.render.render_regions`` (evidence images of an untrusted PDF) in a
    bounded worker of the same pool; never raises: a failure yields no image."""
    from extractors.render import render_regions

    limits = limits or Limits()
    nothing: list[dict | None] = [None] * len(requests)
    if not requests:
        return nothing
    try:
        if not limits.isolate:
            return render_regions(data_path, requests, limits.max_pages)
        if _inline is not None:
            result = _inline.run("", limits.seconds_per_file, render_regions, data_path, requests, limits.max_pages)
            return result if isinstance(result, list) and len(result) == len(requests) else nothing
        future = _get_pool(limits).schedule(
            render_regions, args=(data_path, requests, limits.max_pages), timeout=limits.seconds_per_file
        )
        result = future.result()
        return result if isinstance(result, list) and len(result) == len(requests) else nothing
    except (BrokenProcessPool, RuntimeError):
        log.warning("rendering pool broken while rendering %s: no evidence image", data_path)
        shutdown()
        return nothing
    except Exception:  # timeout, dead worker, parser error: no image
        log.warning("evidence rendering failed for %s", data_path, exc_info=True)
        return nothing
