"""One dossier, end to end, as a plain function: intake → extraction → classification →
rules → verdict → report files. The Prefect flow calls this; so do the tests."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from core.config import CallConfig
from core.limits import Limits
from core.models import Attachment, ExtractedDocument, Finding, Location, Severity
from core.report import DossierReport, FileProblemEntry
from extractors.classify import classify
from extractors.ds_export import exports_in, inner_ids, row_for
from extractors.form import (
    Form,
    is_ds_export,
    is_form_json,
    merge_forms,
    read_form_json,
    read_form_pdf,
    read_form_row,
)
from extractors.intake import DossierInput, IntakeProblem, dossier_number, open_dossier
from extractors.sandbox import extract_isolated
from judging.finalize import finalize_report
from judging.keep_pieces import keep_pieces
from judging.report import build_report
from reports.dossier import write_dossier_reports
from reports.evidence import attach_evidence
from validators.context import DossierData
from validators.engine import decide, run_rules
from validators.figures import key_figures
from validators.finess_repository import FinessRepository

log = logging.getLogger(__name__)


Extract = Callable[[Attachment, Limits], ExtractedDocument]


def read_dossier(
    dossier: DossierInput,
    config: CallConfig,
    extract: Extract = extract_isolated,
    repository: FinessRepository | None = None,
) -> DossierData:
    """Extraction of one opened dossier, into what the rules read (``repository``: the FINESS
    repository the REF rules look the numbers up in, when an extract is loaded). The form is
    the dossier's own (``dossier.json``, else the PDF export), completed by its row of the
    démarche's spreadsheet export when the call folder holds one (``extractors.ds_export``)."""
    limits = config.limits.file_limits()
    form: Form | None = None
    documents: list[ExtractedDocument] = []
    roles: dict[str, str] = {}
    json_forms = sorted((a for a in dossier.attachments if is_form_json(a.path)), key=lambda a: a.path.count("/"))
    if json_forms:
        form = read_form_json(Path(json_forms[0].data_path), json_forms[0].path)
    for attachment in dossier.attachments:
        if json_forms and attachment is json_forms[0]:
            documents.append(ExtractedDocument(attachment.path, attachment.sha256, "json"))
            roles[attachment.path] = "formulaire"
            continue
        doc = extract(attachment, limits)
        documents.append(doc)
        if form is None and is_ds_export(attachment.path) and doc.readable:
            form = read_form_pdf(doc)
            roles[attachment.path] = "formulaire"
            doc.text = []  # the form's labels are not prose
    row = row_for(dossier.source, exports_in(dossier.source.parent), inner_ids([a.path for a in dossier.attachments]))
    form = merge_forms(form, read_form_row(row) if row is not None else None)
    classified = classify(documents)
    for record in classified.records:
        record.role = roles.get(record.file)
    return DossierData(
        dossier.numero, config, form, documents, classified, list(dossier.problems), repository=repository
    )


def judge_dossier(
    path: Path, config: CallConfig, extract: Extract = extract_isolated, finess: str | Path | None = None
) -> DossierReport:
    """The report as the dossier alone decides it (no call-level rule, no waiver): what
    the flow caches. ``finess``: the imported FINESS extract (store file) to check the ESSMS
    against, or ``None`` (existence not checked). Never raises: a dossier that cannot be
    analysed gets a report saying why."""
    started = time.perf_counter()
    numero = dossier_number(path)
    try:
        with open_dossier(path, config.limits.zip_limits()) as dossier, _repository(finess) as repository:
            if dossier.unread is not None:  # nothing read: no rule runs, nothing to ask the owner
                report = unread_report(numero, dossier.unread, config)
                report.analysis_seconds = round(time.perf_counter() - started, 3)
                return report
            data = read_dossier(dossier, config, extract, repository)
            findings = run_rules(data, config)
            report = build_report(
                numero=numero,
                config=config,
                verdict=decide(findings),
                findings=findings,
                records=data.classified.records,
                data=data,
                figures=key_figures(data),
            )
            files = {a.path: Path(a.data_path) for a in dossier.attachments}
            attach_evidence(report, data, files, config.limits.file_limits())  # needs the files on disk
        report.internal_error = False
    except Exception:  # noqa: BLE001 - never lose a dossier
        log.error("dossier %s could not be analysed\n%s", numero, traceback.format_exc())
        report = error_report(numero, path, config)
    report.analysis_seconds = round(time.perf_counter() - started, 3)
    return report


def _repository(finess: str | Path | None) -> AbstractContextManager[FinessRepository | None]:
    """The repository opened for one dossier (closed after it), or nothing."""
    return FinessRepository.open(finess) if finess else nullcontext()


def analyse_dossier(path: Path, config: CallConfig, out_dir: Path, finess: str | Path | None = None) -> DossierReport:
    """One dossier alone, end to end, without cache or history: judge, then write its
    reports. Returns the final report."""
    base = judge_dossier(path, config, finess=finess)
    final = finalize_report(base, lot=[], waivers=[], latest=None, submission_sha256="")
    keep_pieces(final.report, path, out_dir / base.dossier, config.limits)
    write_dossier_reports(final.report, out_dir / base.dossier)
    return final.report


def analyse_dossiers(
    paths: list[Path], config: CallConfig, out_dir: Path, finess: str | Path | None = None
) -> dict[str, DossierReport]:
    """Several dossiers with the call-level rules, without Prefect, cache or history (the
    reference the flow is measured and tested against). Returns the final reports."""
    from validators.call_review import lot_view, review_call

    sources = {dossier_number(p): p for p in paths}
    bases = {b.dossier: b for b in (judge_dossier(p, config, finess=finess) for p in paths)}
    lot = review_call([lot_view(b) for b in bases.values()], config)
    reports = {}
    for numero, base in bases.items():
        final = finalize_report(base, lot=lot.get(numero, []), waivers=[], latest=None, submission_sha256="")
        keep_pieces(final.report, sources[numero], out_dir / numero, config.limits)
        write_dossier_reports(final.report, out_dir / numero)
        reports[numero] = final.report
    return reports


def unread_report(numero: str, problem: IntakeProblem, config: CallConfig) -> DossierReport:
    """The report of a dossier this process could not read at all (a folder or zip it may not
    open, a link it does not follow): for the operator, à compléter until it is read, with no
    letter to the owner (``reports.letter``: process-side problems are never written to them)."""
    findings = [
        Finding(
            rule="PIE-02",
            severity=Severity.A_CORRIGER,
            title="Dossier illisible par le traitement",
            message=(
                f"Le dossier {problem.file} n'a pas pu être lu par le traitement : {problem.reason.message}. "
                "Aucune pièce n'a été lue : aucun courrier n'est adressé au porteur."
            ),
            expected="un dossier lisible par le traitement",
            found=problem.reason.message,
            location=Location(problem.file),
        )
    ]
    report = build_report(
        numero=numero, config=config, verdict=decide(findings), findings=findings, records=[], data=None, figures=None
    )
    report.file_problems = [
        FileProblemEntry(
            file=problem.file,
            problem=problem.reason.code,
            title=problem.reason.problem.title,
            message=problem.reason.message,
        )
    ]
    report.internal_error = True
    return report


def error_report(numero: str, path: Path, config: CallConfig) -> DossierReport:
    """The report of a dossier whose analysis failed: à compléter, with the reason."""
    findings = [
        Finding(
            rule="PIE-02",
            severity=Severity.A_CORRIGER,
            title="Fichier illisible",
            message=(
                "Le dossier n'a pas pu être analysé automatiquement (erreur interne). "
                "L'instruire manuellement et signaler le dossier à l'exploitant."
            ),
            expected="un dossier analysable",
            found="erreur interne de l'analyse",
            location=Location(path.name),
        )
    ]
    report = build_report(
        numero=numero, config=config, verdict=decide(findings), findings=findings, records=[], data=None, figures=None
    )
    report.internal_error = True
    return report
