"""prefect-dask's ``DaskTaskRunner``, submitting each task as an impure Dask task.

``PrefectDaskClient.submit`` is called with ``pure=True``: Dask then tokenizes every
submission — the task object (cloudpickled), its parameters and Prefect's serialized
settings — to name it, about 80 ms of the flow process's CPU per dossier here
(``bench/profile.py --runner dask``), while the name is unique anyway (each submission
carries a new task run id). ``pure=False`` names it with a random key instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prefect_dask import DaskTaskRunner
from prefect_dask.task_runners import PrefectDaskFuture


class DossierDaskTaskRunner(DaskTaskRunner):
    def submit(
        self,
        task: Any,
        parameters: dict[str, Any],
        wait_for: Iterable[PrefectDaskFuture] | None = None,
        dependencies: dict[str, set[Any]] | None = None,
    ) -> PrefectDaskFuture:
        if not self._started:
            raise RuntimeError("The task runner must be started before submitting work.")
        parameters = self._optimize_futures(parameters)
        wait_for = self._optimize_futures(wait_for) if wait_for else None
        future = self.client.submit(
            task, parameters=parameters, wait_for=wait_for, dependencies=dependencies, return_type="state", pure=False
        )
        return PrefectDaskFuture(wrapped_future=future, task_run_id=future.task_run_id)
