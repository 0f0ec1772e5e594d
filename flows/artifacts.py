"""What the operator sees of a run in the Prefect UI: a table of verdicts, and a summary
with the path of every report. Dossier-controlled text (numbers, owner names) is escaped
for Markdown; the table is plain data."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from core.french import VERDICT_DOSSIERS, VERDICT_LABELS

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def md_escape(text: Any) -> str:
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def artifact_key(prefix: str, call_id: str) -> str:
    return prefix + "-" + re.sub(r"[^a-z0-9]+", "-", call_id.lower()).strip("-")


def publish_artifacts(summary: dict[str, Any], out_dir: Path) -> None:
    """Best effort: an API hiccup must not fail a run whose reports are written."""
    try:
        rows = [
            {
                "dossier": d["dossier"],
                "verdict": VERDICT_LABELS.get(d["verdict"], d["verdict"]),
                "bloquants": d["counts"].get("bloquant", 0),
                "a_corriger": d["counts"].get("a_corriger", 0),
                "alertes": d["counts"].get("alerte", 0),
                "regles": ", ".join(d["rules"]),
                "rapport": str(out_dir / d["report_html"]),
            }
            for d in summary["dossiers"]
        ]
        create_table_artifact(
            key=artifact_key("verdicts", summary["call_id"]),
            table=rows,
            description=f"Verdicts des dossiers — {summary['call_title']}",
        )
        create_markdown_artifact(
            key=artifact_key("synthese", summary["call_id"]),
            markdown=summary_markdown(summary, out_dir),
            description=f"Synthèse — {summary['call_title']}",
        )
    except Exception:  # the artifacts are a convenience: never a reason to fail the run
        import logging

        logging.getLogger(__name__).warning("artefacts Prefect non publiés", exc_info=True)


def summary_markdown(summary: dict[str, Any], out_dir: Path) -> str:
    totals = summary["totals"]
    v = totals["by_verdict"]
    run = summary.get("run", {})
    lines = [
        f"# {md_escape(summary['call_title'])}",
        "",
        f"**{totals['dossiers']} dossiers** : "
        + ", ".join(VERDICT_DOSSIERS[code].count(v.get(code, 0)) for code in VERDICT_LABELS)
        + ".",
        "",
        (
            f"Analysés : {run.get('dossiers_analysed', 0)} ; repris du cache : {run.get('dossiers_cached', 0)} ; "
            f"documents relus : {run.get('documents_extracted', 0)}."
        ),
        "",
        f"Synthèse : `{md_escape(out_dir / 'summary.html')}`",
        "",
    ]
    if summary.get("changes"):
        lines += ["## Verdicts modifiés depuis l'analyse précédente", ""]
        lines += [
            f"- {md_escape(c['dossier'])} : {VERDICT_LABELS.get(c['before'], c['before'])} → "
            f"{VERDICT_LABELS.get(c['after'], c['after'])}"
            for c in summary["changes"]
        ]
        lines.append("")
    lines += ["## Rapports", "", "| Dossier | Verdict | Rapport |", "|---|---|---|"]
    lines += [
        f"| {md_escape(d['dossier'])} | {VERDICT_LABELS.get(d['verdict'], d['verdict'])} | "
        f"`{md_escape(out_dir / d['report_html'])}` |"
        for d in summary["dossiers"]
    ]
    return "\n".join(lines) + "\n"
