"""Server mode: the call flow as a Prefect deployment, served by ``esmsnum serve``.

A deployment's parameters come from the API as JSON, so this flow takes strings only, loads
the call configuration itself and runs the body of ``run_call`` in its own flow run: the
dossier tasks, the artifacts (``verdicts-…``, ``synthese-…``) and the logs all hang off the
one flow run the operator triggered. One run per output folder, as with ``esmsnum run``.

Trigger a run (paths as the serving machine sees them)::

    prefect deployment run 'esmsnum-appel-deploiement/esmsnum' \\
        --param call_dir=/data/appel/dossiers --param call=ars-ara-2022-regional \\
        --param out_dir=/data/rapports
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow

import flows.settings  # noqa: F401  (must run before prefect is imported)
from flows.call import run_call
from flows.runners import task_runner
from judging.lock import OutputBusy, OutputLock
from validators.engine import load_call
from validators.finess_repository import resolve_store

FLOW_NAME = "esmsnum-appel-deploiement"
DEFAULT_DEPLOYMENT = "esmsnum"


class CallFolderError(Exception):
    """The call folder given to a deployment run is unusable (message in French)."""


@flow(name=FLOW_NAME, flow_run_name="{call}", task_runner=task_runner("local"), persist_result=False)
def run_call_deployment(
    call_dir: str,
    call: str,
    out_dir: str,
    cache: str | None = None,
    history_url: str | None = None,
    finess: str | None = None,
) -> dict[str, Any]:
    """Analyse every dossier of CALL_DIR for the call CALL (id or YAML path); reports under OUT_DIR.
    ``finess``: as ``esmsnum run --finess`` (default: the call's extract, else the latest imported)."""
    from extractors.intake import discover_dossiers

    config = load_call(call)
    store = resolve_store(finess, config.finess_extract.value if config.finess_extract else None)
    folder = Path(call_dir).expanduser().resolve()
    if not folder.is_dir():
        raise CallFolderError(f"Dossier d'appel introuvable : {folder}")
    if not discover_dossiers(folder):
        raise CallFolderError(f"Aucun dossier (sous-dossier ou .zip) dans {folder}")
    out = Path(out_dir).expanduser().resolve()
    try:
        with OutputLock(out):
            # The body of run_call, inside this flow run (not a subflow): one run to look at.
            summary = run_call.fn(
                folder, config, out, cache=cache, history_url=history_url, finess=str(store.path) if store else None
            )
    except OutputBusy as exc:
        raise RuntimeError(str(exc)) from exc
    return {"call_id": summary["call_id"], "out_dir": str(out), "totals": summary["totals"], "run": summary["run"]}


def serve(name: str = DEFAULT_DEPLOYMENT, limit: int | None = None) -> None:
    """Register the deployment and run its flow runs in subprocesses until interrupted."""
    from prefect.deployments.runner import EntrypointType

    run_call_deployment.serve(
        name=name, limit=limit, entrypoint_type=EntrypointType.MODULE_PATH, print_starting_message=True
    )
