"""The files of a dossier's report: ``report.json`` (the typed report, ``core.report``, the
contract of report-contract.md extended never broken), ``report.html`` for reviewers and, for a
dossier à compléter or non recevable, the letter to its owner."""

from __future__ import annotations

from pathlib import Path

from core.report import DossierReport, LetterText
from reports.corrections import with_changes
from reports.files import atomic_write_json, atomic_write_text
from reports.html import render
from reports.letter import _safe, letter_content, letter_text, write_letter
from reports.ruledoc import ensure_rules_page
from reports.view import report_view
from validators.registry import action_for


def write_dossier_reports(report: DossierReport, report_dir: Path) -> None:
    """``report.json``, ``report.html`` and the letter (``courrier.docx``, ``courrier.pdf``).
    The rule documentation the report links to (``../regles.html``) is written beside the
    dossiers, with the call's values of the report's snapshot, if it is not there yet."""
    if report_dir.is_symlink():  # a link planted in the shared folder is replaced, never written through
        report_dir.unlink()
    for finding in report.findings:  # every finding says what the owner must do (call findings come late)
        if finding.action is None:
            finding.action = action_for(finding.rule, finding.severity.value)
    report = with_changes(report)  # what a corrected submission changed since the request it answers
    if report.instruction is not None:  # the current letter's text, the same as its files and page
        content = letter_content(report)
        text = LetterText.model_validate(letter_text(_safe(content))) if content else None
        report = report.model_copy(update={"instruction": report.instruction.model_copy(update={"letter": text})})
    atomic_write_json(report_dir / "report.json", report.to_json())
    ensure_rules_page(report_dir.parent, report.call_snapshot)
    letter = write_letter(report, report_dir)
    atomic_write_text(
        report_dir / "report.html", render("report.html.j2", report=report, view=report_view(report, letter))
    )
