"""The Prefect flow of a call. Thin on purpose: every step is a plain, tested function.

1. fingerprint every dossier (content hashes) and look its key up in the result store;
2. submit a task per dossier not found (``analyser-dossier``); inside it, each document is
   looked up in the same result store by its own content key: an unchanged document is not
   re-read (``flows.cache.DocumentCache``);
3. call-level rules (LOT) over a small view of every dossier;
4. per dossier: LOT findings, reviewers' waivers and evolution since the previous analysis
   (``judging.finalize``); the report is rewritten only when what a reviewer reads changed;
   the history database records each new analysis;
5. summary, exports and Prefect artifacts.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.context import FlowRunContext
from prefect.futures import as_completed
from prefect.states import Failed
from prefect.task_runners import ThreadPoolTaskRunner

import flows.settings  # noqa: F401  (must run before prefect is imported)
from core import __version__
from core.config import CallConfig
from core.report import DossierReport
from flows.artifacts import publish_artifacts
from flows.cache import (
    SERIALIZER,
    DocumentCache,
    Lookup,
    dossier_key,
    key_from_parameter,
    storage_setting,
)
from flows.progress import Progress
from instruction.corrections import answer_corrections
from instruction.records import instruction_records
from instruction.store import History
from instruction.workflow import instruction_of
from judging.finalize import (
    add_evolution,
    compact_findings,
    finalize_report,
    outcome_of,
)
from judging.hashindex import HashIndex, Rendered
from judging.keep_pieces import keep_pieces
from judging.report import snapshot
from judging.submission import Submission, choose_submissions
from reports.files import remove_stale_temporaries, write_failure
from reports.summary import build_summary, write_summary
from validators.call_review import lot_view, review_call
from validators.finess_repository import read_info


@task(
    name="analyser-dossier",
    task_run_name="dossier-{submission.numero}",
    cache_key_fn=key_from_parameter,
    persist_result=True,
    cache_result_in_memory=False,
    result_serializer=SERIALIZER,
)
def analyse_dossier_task(
    submission: Submission,
    config: CallConfig,
    key: str,
    storage: str | Path,
    finess: str | None = None,
    in_workers: bool = False,
) -> dict[str, Any]:
    """The dossier's own judgement; its documents come from the document cache when unchanged;
    ``finess``: the FINESS store file the ESSMS are looked up in; ``in_workers``: judged end
    to end in a worker process of this machine (``flows.workers``)."""
    if in_workers:
        from flows import workers

        return workers.judge(submission, config, storage, finess)
    from extractors.sandbox import extract_isolated
    from judging.analysis import judge_dossier

    documents = DocumentCache(storage, extract_isolated)
    report = judge_dossier(submission.path, config, documents.extract, finess=finess)
    return {"report": report.to_json(), "extracted": documents.extracted, "cached": documents.cached}


@flow(name="esmsnum-appel", flow_run_name="{config.id}", validate_parameters=False, persist_result=False)
def run_call(
    call_dir: Path,
    config: CallConfig,
    out_dir: Path,
    cache: str | None = None,
    history_url: str | None = None,
    finess: str | None = None,
    ignore: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Analyse every dossier of the call folder; write the reports, the summary and the history.
    ``finess``: the imported FINESS extract (store file) to check the ESSMS against (see
    ``validators.finess_repository.resolve_store``), or ``None``: existence not checked;
    ``ignore``: entries of the call folder left out of this run (still being copied).
    A disk that takes no more (full, quota, read-only) ends the run in a Failed state with
    the French message of what could not be written (``reports.files.write_failure``), not
    a traceback; reports already written are complete (atomic writes)."""
    try:
        return _run_call(call_dir, config, out_dir, cache, history_url, finess, ignore)
    except Exception as exc:
        message = write_failure(exc)
        if message is None:
            raise
        return Failed(message=message)


def _run_call(
    call_dir: Path,
    config: CallConfig,
    out_dir: Path,
    cache: str | None,
    history_url: str | None,
    finess: str | None,
    ignore: tuple[str, ...],
) -> dict[str, Any]:
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out_dir)
    storage = storage_setting(out_dir, cache)
    lookup = Lookup(storage)
    history = History.for_output(out_dir, history_url)
    run_id = history.start_run(config.id, config.config_hash, __version__, out_dir)
    stats: Counter[str] = Counter()

    stages: dict[str, float] = {}
    mark = time.perf_counter()
    index = HashIndex.for_call(call_dir)
    submissions, superseded = choose_submissions(call_dir, config.limits.zip_limits(), ignore, index)
    index.save()
    stats["files_hashed"], stats["files_known"] = index.hashed, index.reused
    rendered = Rendered.for_output(out_dir)
    repository = read_info(Path(finess)) if finess else None
    fingerprint = repository.fingerprint if repository else ""
    keys = {s.numero: dossier_key(s, config, fingerprint) for s in submissions}
    stages["intake"], mark = time.perf_counter() - mark, time.perf_counter()
    progress = Progress(len(submissions), config.id)
    views: dict[str, dict[str, Any]] = {}
    fallback: dict[str, dict[str, Any]] = {}  # reports of dossiers whose task failed
    pending = []
    for submission in submissions:
        hit = lookup.get(keys[submission.numero])
        if hit is None:
            pending.append(submission)
            continue
        stats["dossiers_cached"] += 1
        views[submission.numero] = lot_view(hit["report"])
        progress.advance(error=hit["report"].get("internal_error", False))

    # Readers, rules and spaCy only where a dossier is judged: a run whose dossiers all come
    # from the cache never imports them, nor does this process when workers judge them.
    in_workers = _use_dossier_workers(storage, len(pending), config)
    if pending and not in_workers and _tasks_run_here():
        from validators.prose import preload_in_background

        preload_in_background()
    analyse = analyse_dossier_task.with_options(result_storage=storage)
    futures = {analyse.submit(s, config, keys[s.numero], storage, finess, in_workers): s for s in pending}
    for future in as_completed(list(futures)):
        submission = futures.pop(future)
        try:
            result = future.result()
        except Exception:  # noqa: BLE001 - the task itself failed: the dossier still gets a report
            from judging.analysis import error_report

            report = error_report(submission.numero, submission.path, config).to_json()
            result = {"report": report, "extracted": [], "cached": []}
            fallback[submission.numero] = result["report"]
        stats["dossiers_analysed"] += 1
        stats["documents_extracted"] += len(result["extracted"])
        stats["documents_cached"] += len(result["cached"])
        views[submission.numero] = lot_view(result["report"])
        progress.advance(error=result["report"].get("internal_error", False))
    progress.finish()
    stages["analysis"], mark = time.perf_counter() - mark, time.perf_counter()

    lot = review_call(list(views.values()), config)
    del views
    stages["call_rules"], mark = time.perf_counter() - mark, time.perf_counter()
    latest = history.latest(config.id)
    waivers = history.waivers(config.id)
    # a corrected submission (its sha256 changed) answers the dossier's open correction request
    answer_corrections(history, config.id, {s.numero: s.sha256 for s in submissions})
    states = history.states(config.id)  # the reviewers' instruction, shown by the reports
    records = instruction_records(history, config.id)  # decisions, correction requests, letters of record
    outcomes, changes = [], []
    writer = _report_writer(config, in_workers)
    for submission in submissions:
        numero = submission.numero
        stored = fallback.get(numero) or _cached_report(lookup, keys[numero])
        base = DossierReport.load(stored) if stored else _judge_again(submission, config, finess)
        final = finalize_report(
            base,
            lot=lot.get(numero, []),
            waivers=waivers.get(numero, []),
            latest=latest.get(numero),
            submission_sha256=submission.sha256,
            instruction=instruction_of(states.get(numero), records.get(numero)),
        )
        report_dir = out_dir / numero
        if final.changed or not rendered.current() or _digest_on_disk(report_dir) != final.digest:
            add_evolution(final.report, history.reference(config.id, numero, submission.sha256))
            keep_pieces(final.report, submission.path, report_dir, config.limits)
            writer.submit(final.report, report_dir)
            stats["reports_written"] += 1
        if final.changed:
            history.record(
                run_id,
                config.id,
                numero,
                submission_sha256=submission.sha256,
                config_sha256=config.config_hash,
                verdict=final.report.verdict.value,
                digest=final.digest,
                documents=[list(d) for d in submission.documents],
                findings=compact_findings(final.report),
            )
            verdict = final.report.verdict.value
            if final.previous_verdict is not None and final.previous_verdict != verdict:
                changes.append({"dossier": numero, "before": final.previous_verdict, "after": verdict})
        outcomes.append(outcome_of(final.report, report_dir))
    writer.close()
    rendered.save()

    stats["dossiers"] = len(submissions)
    stages["reports"], mark = time.perf_counter() - mark, time.perf_counter()
    summary = build_summary(snapshot(config), outcomes, out_dir, time.perf_counter() - started)
    summary["run"] = {
        key: stats.get(key, 0)
        for key in (
            "dossiers",
            "dossiers_cached",
            "dossiers_analysed",
            "documents_extracted",
            "documents_cached",
            "reports_written",
            "files_hashed",
            "files_known",
        )
    }
    summary["changes"] = changes
    summary["superseded"] = superseded
    summary["finess_repository"] = repository.report_entry() if repository else {"checked": False, "extract_date": None}
    summary["run"]["stage_seconds"] = {k: round(v, 3) for k, v in stages.items()}
    write_summary(summary, out_dir)
    history.finish_run(run_id, summary["run"])
    history.close()
    publish_artifacts(summary, out_dir)
    return summary


def _use_dossier_workers(storage: str | Path, pending: int, config: CallConfig) -> bool:
    """Whole dossiers in worker processes: with the local runner (the tasks run in this
    process's threads), a local result store (a storage block would be loaded through the
    Prefect API by each worker) and enough dossiers to judge (``flows.workers.worth_it``)."""
    from flows import workers

    return (
        workers.enabled()
        and isinstance(storage, Path)
        and _tasks_run_here()
        and workers.worth_it(pending, config.limits.file_limits())
    )


class _InlineWriter:
    """Report files written here, one dossier after the other."""

    def submit(self, report: DossierReport, report_dir: Path) -> None:
        from reports.dossier import write_dossier_reports  # the renderers, only when a report is written

        write_dossier_reports(report, report_dir)

    def close(self) -> None:
        pass


def _report_writer(config: CallConfig, in_workers: bool):
    if not in_workers:
        return _InlineWriter()
    from flows.workers import ReportWriter

    return ReportWriter(config.limits.file_limits())


def _tasks_run_here() -> bool:
    """True when the dossier tasks run in threads of this process (the local runner)."""
    context = FlowRunContext.get()
    return context is not None and isinstance(context.task_runner, ThreadPoolTaskRunner)


def _judge_again(submission: Submission, config: CallConfig, finess: str | None) -> DossierReport:
    """A dossier whose result the store could not give back (written but unreadable)."""
    from judging.analysis import judge_dossier

    return judge_dossier(submission.path, config, finess=finess)


def _cached_report(lookup: Lookup, key: str) -> dict[str, Any] | None:
    result = lookup.get(key)
    return result["report"] if result else None


def _digest_on_disk(report_dir: Path) -> str | None:
    try:
        return json.loads((report_dir / "report.json").read_text(encoding="utf-8")).get("digest")
    except (OSError, ValueError, AttributeError):
        return None
