"""The call summary: ``summary.json`` (contract) and ``summary.html``, built from the rows of the
dossiers' reports and the snapshot of the call configuration of the run (``call_snapshot``,
copied into summary.json): no configuration is read here."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from core import __version__
from core.file_problems import title_of
from core.french import VERDICT_DOSSIERS, VERDICT_LABELS, count, now_paris, number
from core.report import CallSnapshot, DossierReport
from reports.files import atomic_write_json, atomic_write_text
from reports.html import render
from reports.ruledoc import write_rules_page
from reports.view import sector_labels, summary_view

VERDICTS = tuple(VERDICT_LABELS)
SUMMARY_VERSION = "2.0"  # 2.0: the call's snapshot (call_snapshot)


def build_summary(
    snapshot: CallSnapshot, outcomes: list[dict[str, Any]], out_dir: Path, seconds: float
) -> dict[str, Any]:
    dossiers = []
    by_rule: Counter[str] = Counter()
    for outcome in sorted(outcomes, key=lambda o: o["dossier"]):
        by_rule.update(outcome["rules"])
        report_dir = Path(outcome["report_dir"])
        rel = report_dir.relative_to(out_dir) if report_dir.is_relative_to(out_dir) else report_dir
        extras = _report_extras(outcome, report_dir)
        has_pdf = (report_dir / "courrier.pdf").is_file()
        dossiers.append(
            {
                "dossier": outcome["dossier"],
                "verdict": outcome["verdict"],
                "rules": outcome["rules"],
                "essms_count": outcome["essms_count"],
                "amount_requested": outcome["amount_requested"],
                "amount_eligible": outcome["amount_eligible"],
                "porteur": outcome["porteur"],
                "departments": outcome["departments"],
                "counts": outcome["counts"],
                "waived": int(outcome.get("waived") or (outcome.get("counts") or {}).get("leves") or 0),
                "instruction": outcome.get("instruction"),
                "internal_error": outcome["internal_error"],
                "report": (rel / "report.json").as_posix(),
                "report_html": (rel / "report.html").as_posix(),
                "sectors": extras["sectors"],
                "finess_ej": extras["finess_ej"],
                "letter": (rel / "courrier.docx").as_posix() if (report_dir / "courrier.docx").is_file() else None,
                "letter_pdf": (rel / "courrier.pdf").as_posix() if has_pdf else None,
                "letter_kind": extras["letter_kind"],
                "date_depot": extras["date_depot"],
                "rule_severities": extras["rule_severities"],
                "essms_by_department": extras["essms_by_department"],
                "essms_by_sector": extras["essms_by_sector"],
                "file_problems": dict(outcome.get("file_problems") or {}),
            }
        )
    by_verdict = {v: sum(1 for d in dossiers if d["verdict"] == v) for v in VERDICTS}
    requested_recevable = sum(d["amount_requested"] or 0.0 for d in dossiers if d["verdict"] == "recevable")
    from validators.call_figures import envelope_status
    from validators.registry import all_rules

    rules = all_rules()
    return {
        "schema_version": SUMMARY_VERSION,
        "rule_titles": {rule_id: rules[rule_id].title for rule_id in by_rule if rule_id in rules},
        "sector_labels": sector_labels(),
        "call": snapshot.reference,
        "call_id": snapshot.id,
        "call_title": snapshot.title,
        "generated_at": now_paris().isoformat(timespec="seconds"),
        "dossiers": dossiers,
        "totals": {
            "dossiers": len(dossiers),
            "by_verdict": by_verdict,
            "by_rule": dict(sorted(by_rule.items())),
            "amount_requested": round(sum(d["amount_requested"] or 0.0 for d in dossiers), 2),
            "amount_requested_recevable": round(requested_recevable, 2),
            "envelope": envelope_status(snapshot.envelope, snapshot.envelope_source, requested_recevable),
            "by_department": split_by(dossiers, "essms_by_department", "departments"),
            "by_sector": split_by(dossiers, "essms_by_sector", "sectors"),
            "split": split_note(dossiers),
            "by_file_problem": _file_problems(dossiers),
            "internal_errors": sum(1 for d in dossiers if d["internal_error"]),
            "waived": sum(d["waived"] for d in dossiers),
            "seconds": round(seconds, 2),
        },
        "versions": {"esmsnum": __version__, "config_sha256": snapshot.config_sha256},
        "call_snapshot": snapshot.model_dump(mode="json"),
    }


SEVERITY_ORDER = ("bloquant", "a_corriger", "alerte")
EXTRA_KEYS = (
    "sectors",
    "finess_ej",
    "date_depot",
    "rule_severities",
    "essms_by_department",
    "essms_by_sector",
    "letter_kind",
)
UNSPLIT = "(non réparti)"


def summary_extras(report: DossierReport) -> dict[str, Any]:
    """What the summary shows of a dossier beyond the contract's outcome, from its report:
    deposit date, the worst severity of each rule (waived findings left out), its ESSMS per
    département and per sector with the amounts they ask when the report has them."""
    severities: dict[str, str] = {}
    for finding in report.active_findings:
        current = severities.get(finding.rule)
        if current is None or SEVERITY_ORDER.index(finding.severity.value) < SEVERITY_ORDER.index(current):
            severities[finding.rule] = finding.severity.value
    return {
        "sectors": list(report.sectors),
        "finess_ej": report.porteur.finess_ej if report.porteur else None,
        "date_depot": report.date_depot,
        "rule_severities": dict(sorted(severities.items())),
        "essms_by_department": _essms_split(report, "department"),
        "essms_by_sector": _essms_split(report, "sector"),
        "letter_kind": {"a_completer": "complement", "non_recevable": "irrecevabilite"}.get(report.verdict.value),
    }


def _essms_split(report: DossierReport, key: str) -> dict[str, dict[str, Any]]:
    """Per département (or sector) of the ESSMS listed: how many, how many eligible, and the
    amounts asked and eligible of those ESSMS (None when the report has no per-ESSMS amounts)."""
    out: dict[str, dict[str, Any]] = {}
    with_amounts = any(e.amount_requested is not None for e in report.essms)
    for e in report.essms:
        entry = out.setdefault(
            str(getattr(e, key) or UNSPLIT),
            {"essms": 0, "eligible": 0, "amount_requested": None, "amount_eligible": None},
        )
        entry["essms"] += 1
        entry["eligible"] += int(e.counted)
        if with_amounts:
            requested = e.amount_requested or 0.0
            eligible = (e.amount_eligible or 0.0) if e.counted else 0.0
            entry["amount_requested"] = round((entry["amount_requested"] or 0.0) + requested, 2)
            entry["amount_eligible"] = round((entry["amount_eligible"] or 0.0) + eligible, 2)
    return dict(sorted(out.items()))


def _report_extras(outcome: dict[str, Any], report_dir: Path) -> dict[str, Any]:
    """What the summary shows beyond the outcome, from the outcome when it carries it
    (``judging.finalize.outcome_of`` adds ``summary_extras``), else from report.json."""
    if all(key in outcome for key in EXTRA_KEYS):
        return {key: outcome[key] for key in EXTRA_KEYS}
    report = load_report(report_dir / "report.json")
    extras = summary_extras(report) if report is not None else dict.fromkeys(EXTRA_KEYS)
    for key in EXTRA_KEYS:
        if outcome.get(key) is not None:
            extras[key] = outcome[key]
    return extras


def load_report(path: Path) -> DossierReport | None:
    """The typed report of a report.json of any version, or None when it cannot be read."""
    try:
        return DossierReport.load(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def split_by(dossiers: list[dict[str, Any]], split_key: str, fallback_key: str) -> dict[str, dict[str, Any]]:
    """Per département (or sector): the dossiers with at least one ESSMS there (by verdict; a
    dossier spanning several counts in each, so these counts do not add up), the ESSMS there
    (they add up to the ESSMS listed), and the amounts asked and eligible split by ESSMS (they
    add up to the call's total with the « (non réparti) » line: the project's common expenses
    and the dossiers whose report has no per-ESSMS amounts)."""
    out: dict[str, dict[str, Any]] = {}

    def row(key: str) -> dict[str, Any]:
        return out.setdefault(
            key,
            {"dossiers": 0, **dict.fromkeys(VERDICTS, 0), "essms": 0, "amount_requested": 0.0, "amount_eligible": 0.0},
        )

    for d in dossiers:
        split = d.get(split_key) or {}
        attributed_req = attributed_elig = 0.0
        keys = list(split) or [str(v) for v in d.get(fallback_key) or []] or [UNSPLIT]
        for key in keys:
            entry = row(key)
            entry["dossiers"] += 1
            entry[d["verdict"]] = entry.get(d["verdict"], 0) + 1
            part = split.get(key) or {}
            entry["essms"] += int(part.get("essms") or 0)
            if part.get("amount_requested") is not None:
                entry["amount_requested"] = round(entry["amount_requested"] + part["amount_requested"], 2)
                attributed_req += part["amount_requested"]
            if part.get("amount_eligible") is not None:
                entry["amount_eligible"] = round(entry["amount_eligible"] + part["amount_eligible"], 2)
                attributed_elig += part["amount_eligible"]
        rest_req = (d.get("amount_requested") or 0.0) - attributed_req
        rest_elig = (d.get("amount_eligible") or 0.0) - attributed_elig
        if abs(rest_req) >= 0.005 or abs(rest_elig) >= 0.005:
            entry = row(UNSPLIT)
            entry["amount_requested"] = round(entry["amount_requested"] + rest_req, 2)
            entry["amount_eligible"] = round(entry["amount_eligible"] + rest_elig, 2)
    return dict(sorted(out.items(), key=lambda kv: (kv[0] == UNSPLIT, kv[0])))


def _file_problems(dossiers: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Unreadable files by type of problem (``core.file_problems``): how many files, in how
    many dossiers; the most frequent first."""
    out: dict[str, dict[str, Any]] = {}
    for d in dossiers:
        for code, n in (d.get("file_problems") or {}).items():
            entry = out.setdefault(code, {"title": title_of(code), "files": 0, "dossiers": 0})
            entry["files"] += int(n)
            entry["dossiers"] += 1
    return dict(sorted(out.items(), key=lambda item: (-item[1]["files"], item[0])))


def split_note(dossiers: list[dict[str, Any]]) -> str:
    """How the département and sector figures are computed: ``"par_essms"`` when every dossier
    has per-ESSMS amounts, ``"partiel"`` when some do, ``"comptes"`` (counts only) when none."""
    has = [
        any(part.get("amount_requested") is not None for part in (d.get("essms_by_department") or {}).values())
        for d in dossiers
    ]
    if has and all(has):
        return "par_essms"
    return "partiel" if any(has) else "comptes"


def write_summary(summary: dict[str, Any], out_dir: Path) -> None:
    """``summary.json``, ``regles.html`` (the rule documentation the pages link to, with the
    call's values of the run's snapshot), ``summary.html``, ``summary.xlsx`` and ``summary.csv``."""
    from reports.exports import write_exports

    atomic_write_json(out_dir / "summary.json", summary)
    write_rules_page(out_dir, summary_snapshot(summary))
    atomic_write_text(out_dir / "summary.html", render("summary.html.j2", summary=summary, view=summary_view(summary)))
    write_exports(summary, out_dir)


def summary_snapshot(summary: dict[str, Any]) -> CallSnapshot | None:
    """The snapshot of the call configuration a summary was written with (None for a summary
    written before snapshots)."""
    data = summary.get("call_snapshot")
    return CallSnapshot.model_validate(data) if isinstance(data, dict) else None


def format_console(summary: dict[str, Any], out_dir: Path) -> str:
    """The short French batch summary printed at the end of a run."""
    t = summary["totals"]
    v = t["by_verdict"]
    lines = [
        f"Appel : {summary['call_title']} ({summary['call']})",
        f"{count(t['dossiers'], 'dossier analysé', 'dossiers analysés')} en {number(t['seconds'], 1)} s : "
        + ", ".join(VERDICT_DOSSIERS[code].count(v.get(code, 0)) for code in VERDICTS)
        + ".",
    ]
    if t["internal_errors"]:
        lines.append(
            f"Attention : {count(t['internal_errors'], 'dossier', 'dossiers')} en erreur d'analyse (voir leur rapport)."
        )
    lines.append(f"Rapports : {out_dir}/<dossier>/report.html — synthèse : {out_dir / 'summary.html'}")
    return "\n".join(lines)
