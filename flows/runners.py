"""Which Prefect task runner runs the dossier tasks.

* ``local`` (default): Prefect's thread pool runs the dossier tasks; each file is parsed in
  the sandbox's worker processes (one per core, or ``--workers``), so CPU-bound parsing
  uses every core while a single process keeps the flow's memory small.
* ``dask``: ``prefect-dask``'s ``DaskTaskRunner``, on a local cluster of worker processes,
  or on an existing scheduler given by its address (``tcp://host:8786``) — the way to use
  several machines. Workers need this project installed, access to the call folder, the
  output folder and the result storage, and ``DASK_DISTRIBUTED__WORKER__DAEMON=False``
  (files are parsed in child processes of the worker).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from core.limits import WORKERS_ENV, parsing_workers

RUNNERS = ("local", "dask")


def default_workers() -> int:
    """One parsing worker per core, or what the operator set (``WORKERS_ENV``)."""
    return parsing_workers()


def task_runner(kind: str = "local", workers: int | None = None, dask_address: str | None = None) -> TaskRunner:
    workers = workers or default_workers()
    if kind == "local":
        # Threads wait on the sandbox processes: twice as many threads keeps every worker busy.
        return ThreadPoolTaskRunner(max_workers=2 * workers)
    if kind == "dask":
        from flows.dask_runner import DossierDaskTaskRunner as DaskTaskRunner

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        import dask

        # Each file is parsed in a sandbox process started by the Dask worker: Dask's
        # workers are daemonic by default, and daemonic processes cannot have children.
        dask.config.set({"distributed.worker.daemon": False})
        os.environ[WORKERS_ENV] = "1"  # inherited by the local cluster's worker processes
        return DaskTaskRunner(
            cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True, "dashboard_address": None}
        )
    raise ValueError(f"exécuteur inconnu : {kind} (attendu : {', '.join(RUNNERS)})")


@contextlib.contextmanager
def shared_api_for_workers(kind: str) -> Iterator[None]:
    """Worker processes must report to the flow's Prefect API. With no server configured
    (local mode), each Dask worker would start its own temporary server and leave it
    running; so start the temporary server here, once, and give its URL to every process."""
    if kind == "local" or os.environ.get("PREFECT_API_URL"):
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

    server = SubprocessASGIServer()
    server.start(timeout=PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
    os.environ["PREFECT_API_URL"] = server.api_url
    try:
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            yield
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        server.stop()
