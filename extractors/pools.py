"""A pebble ``ProcessPool`` on the forkserver, kept while its settings hold: the file
readers' pool (``extractors.sandbox``) and the dossier workers' (``flows.workers``)."""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Callable

from pebble import ProcessPool


class KeptPool:
    """Started on first use; started again when its workers' number or memory cap changes,
    or when it has stopped. ``preload``: the modules the forkserver imports once, for every
    worker forked from it (one forkserver per process: list the modules of every pool)."""

    def __init__(self, *, preload: list[str], max_tasks: int, initializer: Callable[[int], None]) -> None:
        self._preload = preload
        self._max_tasks = max_tasks
        self._initializer = initializer  # called in each worker with the memory cap, in MB
        self._lock = threading.Lock()
        self._pool: ProcessPool | None = None
        self._key: tuple[int, int] | None = None

    @property
    def running(self) -> bool:
        with self._lock:
            return self._pool is not None and self._pool.active

    def get(self, *, workers: int, memory_mb: int) -> ProcessPool:
        key = (memory_mb, workers)
        with self._lock:
            if self._pool is None or self._key != key or not self._pool.active:
                if self._pool is not None:
                    self._pool.stop()
                forget_unimportable_main()
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(self._preload)
                self._pool = ProcessPool(
                    max_workers=workers,
                    max_tasks=self._max_tasks,
                    initializer=self._initializer,
                    initargs=(memory_mb,),
                    context=context,
                )
                self._key = key
            return self._pool

    def shutdown(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.stop()
                self._pool.join(timeout=5)
                self._pool = None


def cap_address_space(memory_mb: int) -> None:
    """Cap this process's address space at what it maps now plus ``memory_mb`` MB (the kernel
    refuses allocations beyond). The cap counts what a file costs, not the libraries the
    worker was forked with: the forkserver is shared by the pools, and whichever started it
    chose what is preloaded (spaCy's model among them), so a cap on the whole address space
    would refuse the same file in one run and read it in another."""
    import resource

    limit = (mapped_bytes() or 0) + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def mapped_bytes() -> int | None:
    """The process's current address space (``VmSize``), None where /proc does not tell."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def forget_unimportable_main() -> None:
    """Workers re-import ``__main__`` from its file; a script read from standard input
    (``python - <<EOF``) has a ``__file__`` of ``<stdin>`` that cannot be re-imported and
    would break every worker. The workers never need it: drop the attribute."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if path and not os.path.exists(path):
        del main.__file__
