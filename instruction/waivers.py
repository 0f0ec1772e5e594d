"""Reviewers lift findings (``esmsnum lever`` and the web workspace): kept in the history,
applied at once.

A waiver names the findings it covers by their fingerprint (rule, location, value found), so
it survives later runs while the evidence is the same, and stops applying when the owner's
new submission changes it. One finding or every finding of a rule can be lifted; undoing a
lift is a new record (the waiver stays in the history with its undoing).

After every change the report is written again (``instruction.rerender``).
"""

from __future__ import annotations

from pathlib import Path

from core.french import count, word
from core.models import Verdict
from core.report import DossierReport, FindingEntry
from instruction.rerender import apply_waivers
from instruction.store import History


class WaiverError(Exception):
    """Why a waiver cannot be recorded (French, for the reviewer)."""


def waive(
    out_dir: Path, report: DossierReport, rule: str, motif: str, author: str | None, history_url: str | None = None
) -> str:
    """Lift every open finding of ``rule`` (the command line's ``esmsnum lever``)."""
    dossier = report.dossier
    targets = [f for f in report.findings if f.rule == rule]
    if not targets:
        raise WaiverError(f"Le dernier rapport du dossier {dossier} ne contient aucun constat {rule} : rien à lever.")
    open_targets = [f for f in targets if f.waiver is None]
    if not open_targets:
        raise WaiverError(f"Les constats {rule} du dossier {dossier} sont déjà levés.")
    _check_fingerprints(report, open_targets)
    history = History.for_output(out_dir, history_url)
    try:
        history.add_waiver(report.call_id, dossier, rule, [f.fingerprint for f in open_targets], motif, author)
        before, after = apply_waivers(out_dir, report, history)
    finally:
        history.close()
    return (
        f"{count(len(open_targets), 'constat')} {rule} {word(len(open_targets), 'levé')} pour le dossier {dossier}. "
        f"Verdict : {Verdict(before).label} → {Verdict(after).label}. Rapport : {out_dir / dossier / 'report.html'}"
    )


def waive_finding(
    out_dir: Path,
    report: DossierReport,
    fingerprint: str,
    motif: str,
    author: str,
    history: History,
    expected_version: int | None = None,
) -> tuple[str, str]:
    """Lift one finding, named by its fingerprint. Returns (verdict before, verdict after).
    ``Conflict`` (from the history) when the dossier changed since ``expected_version``."""
    finding = _finding(report, fingerprint)
    if finding.waiver is not None:
        raise WaiverError("Ce constat est déjà levé.")
    if not motif.strip():
        raise WaiverError("Indiquez le motif de la levée : les autres instructeurs le liront.")
    history.add_waiver(
        report.call_id,
        report.dossier,
        finding.rule,
        [fingerprint],
        motif.strip(),
        author,
        expected_version=expected_version,
    )
    return apply_waivers(out_dir, report, history)


def unwaive_finding(
    out_dir: Path,
    report: DossierReport,
    fingerprint: str,
    motif: str,
    author: str,
    history: History,
    expected_version: int | None = None,
) -> tuple[str, str]:
    """Undo the lift of one finding (whether it was lifted alone or with its whole rule)."""
    finding = _finding(report, fingerprint)
    if finding.waiver is None:
        raise WaiverError("Ce constat n'est pas levé : rien à annuler.")
    live = history.waivers(report.call_id, report.dossier).get(report.dossier, [])
    covering = [w for w in live if w.covers(finding)]
    if not covering:
        raise WaiverError("La levée de ce constat a déjà été annulée.")
    first, *others = covering
    history.revoke_waiver(
        report.call_id,
        report.dossier,
        first.id,
        fingerprint,
        motif.strip(),
        author,
        expected_version=expected_version,
    )
    for other in others:  # the same finding lifted twice (by rule, then alone): both undone
        history.revoke_waiver(report.call_id, report.dossier, other.id, fingerprint, motif.strip(), author)
    return apply_waivers(out_dir, report, history)


def _check_fingerprints(report: DossierReport, findings: list[FindingEntry]) -> None:
    if any(not f.fingerprint for f in findings):
        raise WaiverError(
            f"Le rapport du dossier {report.dossier} date d'une version antérieure : relancer « esmsnum analyser »."
        )


def _finding(report: DossierReport, fingerprint: str) -> FindingEntry:
    for finding in report.findings:
        if finding.fingerprint == fingerprint:
            return finding
    raise WaiverError(
        "Ce constat ne figure plus dans le dernier rapport du dossier (une nouvelle analyse a eu lieu) : "
        "rechargez la page."
    )
