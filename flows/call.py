"""The Prefect flow of a call: one task per dossier. Thin on purpose: the work is in
``esmsnum.analysis.analyse_dossier`` (plain, tested without Prefect)."""

from __future__ import annotations

import flows.settings  # noqa: F401  (must run before prefect is imported)

import time
from pathlib import Path
from typing import Any

from prefect import flow, task, unmapped
from prefect.cache_policies import NO_CACHE

from esmsnum.analysis import analyse_dossier, failed_outcome
from esmsnum.config import CallConfig
from extractors.intake import discover_dossiers
from reports.summary import build_summary, write_summary
from validators.call_review import review_call


@task(name="analyser-dossier", task_run_name="dossier-{dossier_path.name}", cache_policy=NO_CACHE, persist_result=False)
def analyse_dossier_task(dossier_path: Path, config: CallConfig, out_dir: Path) -> dict[str, Any]:
    return analyse_dossier(dossier_path, config, out_dir).to_dict()


@task(name="revue-appel", cache_policy=NO_CACHE, persist_result=False)
def review_call_task(out_dir: Path, outcomes: list[dict[str, Any]], config: CallConfig) -> list[dict[str, Any]]:
    return review_call(out_dir, outcomes, config)


@flow(name="esmsnum-appel", flow_run_name="{config.id}", validate_parameters=False, persist_result=False)
def run_call(call_dir: Path, config: CallConfig, out_dir: Path) -> dict[str, Any]:
    """Analyse every dossier of the call folder and write the reports and the summary."""
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    dossiers = discover_dossiers(call_dir)
    futures = analyse_dossier_task.map(dossiers, unmapped(config), unmapped(out_dir))
    outcomes = []
    for path, future in zip(dossiers, futures):
        result = future.result(raise_on_failure=False)
        if isinstance(result, BaseException) or not isinstance(result, dict):
            result = failed_outcome(path, config, out_dir).to_dict()
        outcomes.append(result)
    outcomes = review_call_task(out_dir, outcomes, config)
    summary = build_summary(config, outcomes, out_dir, time.perf_counter() - started)
    write_summary(summary, out_dir)
    return summary
