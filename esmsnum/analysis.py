"""One dossier, end to end, as a plain function: intake → extraction → classification →
rules → verdict → report files. The Prefect flow calls this; so do the tests."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from esmsnum.config import CallConfig
from esmsnum.models import ExtractedDocument, Finding, Location, Severity
from extractors.classify import classify
from extractors.sandbox import extract_isolated
from extractors.form import Form, is_ds_export, is_form_json, read_form_json, read_form_pdf
from extractors.intake import open_dossier
from validators.context import DossierData
from validators.engine import decide, run_rules
from validators.figures import key_figures
from reports.dossier import build_report, write_dossier_reports
from reports.evidence import attach_evidence

log = logging.getLogger(__name__)


@dataclass
class DossierOutcome:
    """What the call summary keeps of a dossier (the full report is on disk)."""

    dossier: str
    verdict: str
    rules: list[str]
    report_dir: str
    essms_count: int | None = None
    amount_requested: float | None = None
    amount_eligible: float | None = None
    porteur: str | None = None
    departments: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    internal_error: bool = False
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def read_dossier(path: Path, config: CallConfig, then: Callable[[DossierData, dict[str, Path]], Any] | None = None) -> Any:
    """Intake and extraction of one dossier, into what the rules read. ``then(data, files)``,
    when given, runs while the dossier's files are still on disk (``files``: attachment path →
    its bytes on disk; a zip's temporary folder is removed on return) and its result is returned."""
    limits = config.limits.file_limits()
    with open_dossier(path, config.limits.zip_limits()) as dossier:
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
            doc = extract_isolated(attachment, limits)
            documents.append(doc)
            if form is None and is_ds_export(attachment.path) and doc.readable:
                form = read_form_pdf(doc)
                roles[attachment.path] = "formulaire"
                doc.text = []  # the form's labels are not prose
        classified = classify(documents)
        for record in classified.records:
            record.role = roles.get(record.file)
        data = DossierData(dossier.numero, config, form, documents, classified, list(dossier.problems))
        if then is None:
            return data
        return then(data, {a.path: Path(a.data_path) for a in dossier.attachments})


def analyse_dossier(path: Path, config: CallConfig, out_dir: Path) -> DossierOutcome:
    """Never raises: a dossier that cannot be analysed still gets a report saying why."""
    started = time.perf_counter()
    numero = path.name[:-4] if path.suffix.lower() == ".zip" else path.name
    report_dir = out_dir / numero
    try:
        def analyse(data: DossierData, files: dict[str, Path]) -> dict[str, Any]:
            findings = run_rules(data, config)
            verdict = decide(findings)
            figures = key_figures(data)
            report = build_report(
                numero=numero, config=config, verdict=verdict, findings=findings,
                records=data.classified.records, data=data, figures=figures,
            )
            attach_evidence(report, data, files, config.limits.file_limits())  # needs the files on disk
            return report

        report = read_dossier(path, config, then=analyse)
        internal_error = False
    except Exception:  # noqa: BLE001 - never lose a dossier
        log.error("dossier %s could not be analysed\n%s", numero, traceback.format_exc())
        report = error_report(numero, path, config)
        internal_error = True
    report["analysis_seconds"] = round(time.perf_counter() - started, 3)
    write_dossier_reports(report, report_dir)
    return DossierOutcome(
        dossier=numero,
        verdict=report["verdict"],
        rules=sorted({f["rule"] for f in report["findings"]}),
        report_dir=str(report_dir),
        essms_count=report["essms_count"],
        amount_requested=report["amount_requested"],
        amount_eligible=report["amount_eligible"],
        porteur=(report.get("porteur") or {}).get("raison_sociale"),
        departments=report.get("departments", []),
        counts=report["counts"],
        internal_error=internal_error,
        seconds=report["analysis_seconds"],
    )


def error_report(numero: str, path: Path, config: CallConfig) -> dict[str, Any]:
    """The report of a dossier whose analysis failed: à compléter, with the reason."""
    findings = [Finding(
        rule="PIE-02", severity=Severity.A_CORRIGER, title="Fichier illisible",
        message=("Le dossier n'a pas pu être analysé automatiquement (erreur interne). "
                 "L'instruire manuellement et signaler le dossier à l'exploitant."),
        expected="un dossier analysable", found="erreur interne de l'analyse",
        location=Location(path.name),
    )]
    return build_report(numero=numero, config=config, verdict=decide(findings), findings=findings,
                        records=[], data=None, figures=None)


def failed_outcome(path: Path, config: CallConfig, out_dir: Path) -> DossierOutcome:
    """Last resort when even the analysis task failed: write the error report."""
    numero = path.name[:-4] if path.suffix.lower() == ".zip" else path.name
    report = error_report(numero, path, config)
    write_dossier_reports(report, out_dir / numero)
    return DossierOutcome(numero, report["verdict"], ["PIE-02"], str(out_dir / numero),
                          counts=report["counts"], internal_error=True)
