"""The call summary: ``summary.json`` (contract) and ``summary.html``."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

from core import __version__
from core.config import CallConfig
from core.file_problems import title_of
from core.labels import VERDICT_DOSSIERS, VERDICT_LABELS
from reports.files import atomic_write_json, atomic_write_text
from reports.html import render
from reports.view import sector_labels, summary_view

VERDICTS = tuple(VERDICT_LABELS)


def build_summary(config: CallConfig, outcomes: list[dict[str, Any]], out_dir: Path, seconds: float) -> dict[str, Any]:
    dossiers = []
    by_rule: Counter[str] = Counter()
    for outcome in sorted(outcomes, key=lambda o: o["dossier"]):
        by_rule.update(outcome["rules"])
        report_dir = Path(outcome["report_dir"])
        rel = report_dir.relative_to(out_dir) if report_dir.is_relative_to(out_dir) else report_dir
        extras = _report_extras(outcome, report_dir)
        dossiers.append({
            "dossier": outcome["dossier"],
            "verdict": outcome["verdict"],
            "rules": outcome["rules"],
            "essms_count": outcome["essms_count"],
            "amount_requested": outcome["amount_requested"],
            "amount_eligible": outcome["amount_eligible"],
            "porteur": outcome["porteur"],
            "departments": outcome["departments"],
            "counts": outcome["counts"],
            "internal_error": outcome["internal_error"],
            "report": (rel / "report.json").as_posix(),
            "report_html": (rel / "report.html").as_posix(),
            "sectors": extras["sectors"],
            "finess_ej": extras["finess_ej"],
            "letter": (rel / "courrier.docx").as_posix() if (report_dir / "courrier.docx").is_file() else None,
            "file_problems": dict(outcome.get("file_problems") or {}),
        })
    by_verdict = {v: sum(1 for d in dossiers if d["verdict"] == v) for v in VERDICTS}
    requested_recevable = sum(d["amount_requested"] or 0.0 for d in dossiers if d["verdict"] == "recevable")
    from validators.registry import all_rules
    from validators.rules.lot_03 import envelope_status

    rules = all_rules()
    return {
        "schema_version": "1.0",
        "rule_titles": {rule_id: rules[rule_id].title for rule_id in by_rule if rule_id in rules},
        "sector_labels": sector_labels(),
        "call": config.reference,
        "call_id": config.id,
        "call_title": config.title,
        "generated_at": dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds"),
        "dossiers": dossiers,
        "totals": {
            "dossiers": len(dossiers),
            "by_verdict": by_verdict,
            "by_rule": dict(sorted(by_rule.items())),
            "amount_requested": round(sum(d["amount_requested"] or 0.0 for d in dossiers), 2),
            "amount_requested_recevable": round(requested_recevable, 2),
            "envelope": envelope_status(config, requested_recevable),
            "by_department": _breakdown(dossiers, "departments"),
            "by_sector": _breakdown(dossiers, "sectors"),
            "by_file_problem": _file_problems(dossiers),
            "internal_errors": sum(1 for d in dossiers if d["internal_error"]),
            "seconds": round(seconds, 2),
        },
        "versions": {"esmsnum": __version__, "config_sha256": config.config_hash},
    }


def _report_extras(outcome: dict[str, Any], report_dir: Path) -> dict[str, Any]:
    """What the summary shows beyond the outcome (sectors, owner's FINESS), from the outcome
    when it carries it, else from the dossier's report.json."""
    extras = {"sectors": outcome.get("sectors"), "finess_ej": outcome.get("finess_ej")}
    if extras["sectors"] is None:
        report = _load_report(report_dir / "report.json") or {}
        extras["sectors"] = list(report.get("sectors") or [])
        extras["finess_ej"] = extras["finess_ej"] or (report.get("porteur") or {}).get("finess_ej")
    return extras


def _load_report(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _breakdown(dossiers: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    """Per département (or sector): dossiers by verdict and the amount they request; a
    dossier spanning several counts in each."""
    out: dict[str, dict[str, Any]] = {}
    for d in dossiers:
        for value in d.get(key) or ["(non renseigné)"]:
            entry = out.setdefault(str(value), {"dossiers": 0, **{v: 0 for v in VERDICTS}, "amount_requested": 0.0})
            entry["dossiers"] += 1
            entry[d["verdict"]] = entry.get(d["verdict"], 0) + 1
            entry["amount_requested"] = round(entry["amount_requested"] + (d.get("amount_requested") or 0.0), 2)
    return dict(sorted(out.items()))


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


def write_summary(summary: dict[str, Any], out_dir: Path) -> None:
    """``summary.json``, ``summary.html``, ``summary.xlsx`` and ``summary.csv``."""
    from reports.exports import write_exports

    atomic_write_json(out_dir / "summary.json", summary)
    atomic_write_text(out_dir / "summary.html", render("summary.html.j2", summary=summary, view=summary_view(summary)))
    write_exports(summary, out_dir)


def format_console(summary: dict[str, Any], out_dir: Path) -> str:
    """The short French batch summary printed at the end of a run."""
    t = summary["totals"]
    v = t["by_verdict"]
    lines = [
        f"Appel : {summary['call_title']} ({summary['call']})",
        f"{t['dossiers']} dossier(s) analysé(s) en {t['seconds']:.1f} s : "
        + ", ".join(VERDICT_DOSSIERS[code].count(v.get(code, 0)) for code in VERDICTS) + ".",
    ]
    if t["internal_errors"]:
        lines.append(f"Attention : {t['internal_errors']} dossier(s) en erreur d'analyse (voir leur rapport).")
    lines.append(f"Rapports : {out_dir}/<dossier>/report.html — synthèse : {out_dir / 'summary.html'}")
    return "\n".join(lines)
