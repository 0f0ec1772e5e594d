"""The call's dossiers as the call page lists them: the summary's rows with each dossier's
instruction (status, assignee, proposed decision), filtered, searched and sorted on the server."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.french import VERDICT_LABELS
from core.records import DossierState
from core.report import DossierReport
from instruction.workflow import DECISIONS, STATUSES, decision_label, status_code, status_label

VERDICT_ORDER = {"non_recevable": 0, "a_completer": 1, "recevable": 2}
SORTS = {
    "dossier": "Numéro de dossier",
    "porteur": "Porteur",
    "verdict": "Verdict",
    "montant": "Montant éligible",
    "statut": "Statut",
    "instructeur": "Instructeur",
    "decision": "Décision proposée",
}


@dataclass(frozen=True)
class Filters:
    q: str = ""
    verdict: str = ""
    statut: str = ""
    decision: str = ""
    instructeur: str = ""
    departement: str = ""
    label: str = ""  # a label's id (instruction.annotations)
    tri: str = "dossier"
    ordre: str = "asc"

    @classmethod
    def of(cls, params: dict[str, str]) -> Filters:
        values = {k: str(params.get(k) or "").strip()[:100] for k in cls.__dataclass_fields__}
        if values["tri"] not in SORTS:
            values["tri"] = "dossier"
        if values["ordre"] not in {"asc", "desc"}:
            values["ordre"] = "asc"
        return cls(**values)

    @property
    def active(self) -> bool:
        return any((self.q, self.verdict, self.statut, self.decision, self.instructeur, self.departement, self.label))


def fold(text: Any) -> str:
    """Lower case without accents, apostrophes and hyphens as spaces, for the search box
    (« Saint-Étienne » is found by « saint etienne »)."""
    decomposed = unicodedata.normalize("NFKD", str(text or ""))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(plain.translate(_SEPARATORS).split())


_SEPARATORS = str.maketrans(dict.fromkeys("-'’‐–—_/,;()", " "))


def search_text(report: DossierReport | None) -> str:
    """What the search box finds a dossier by, beyond its summary row: the porteur (name,
    FINESS EJ, SIRET, address and so its commune), and each ESSMS (name, FINESS ET and EJ,
    organisme gestionnaire)."""
    if report is None:
        return ""
    parts: list[str] = []
    if report.porteur:
        owner = report.porteur
        parts += [owner.raison_sociale or "", owner.finess_ej or "", owner.siret or "", *(owner.adresse or [])]
    for e in report.essms:
        parts += [e.name or "", e.finess, e.finess_ej or "", e.og or ""]
    return " ".join(p for p in parts if p)


def dossier_rows(
    summary: dict[str, Any],
    states: dict[str, DossierState],
    report_of: Callable[[str], DossierReport] | None = None,
) -> list[dict[str, Any]]:
    """The call page's rows; ``report_of`` (a dossier's report) adds what the search finds."""
    rows = []
    for d in summary.get("dossiers") or []:
        state = states.get(d.get("dossier"))
        report = None
        if report_of is not None:
            try:
                report = report_of(str(d.get("dossier")))
            except Exception:  # noqa: BLE001 - a report gone missing: the row stays, found by its summary only
                report = None
        counts = d.get("counts") or {}
        rows.append(
            {
                "dossier": d.get("dossier"),
                "porteur": d.get("porteur"),
                "verdict": d.get("verdict"),
                "verdict_label": VERDICT_LABELS.get(d.get("verdict"), d.get("verdict")),
                "waived": int(d.get("waived") or counts.get("leves") or 0),
                "essms_count": d.get("essms_count"),
                "amount_requested": d.get("amount_requested"),
                "amount_eligible": d.get("amount_eligible"),
                "departments": list(d.get("departments") or []),
                "rules": list(d.get("rules") or []),
                "status": status_code(state.status if state else None),
                "status_label": status_label(state.status if state else None),
                "assignee": state.assignee if state else None,
                "decision": state.decision if state else None,
                "decision_label": decision_label(state.decision) if state else None,
                "version": state.version if state else 0,
                "search": fold(
                    " ".join(
                        [str(d.get("dossier")), str(d.get("porteur") or ""), str(d.get("finess_ej") or "")]
                        + list(d.get("departments") or [])
                        + list(d.get("rules") or [])
                        + [str(state.assignee or "") if state else "", search_text(report)]
                    )
                ),
            }
        )
    return rows


def apply(rows: list[dict[str, Any]], f: Filters, me: str) -> list[dict[str, Any]]:
    out = rows
    if f.q:
        needle = fold(f.q)
        out = [r for r in out if needle in r["search"]]
    if f.verdict:
        out = [r for r in out if r["verdict"] == f.verdict]
    if f.statut:
        out = [r for r in out if r["status"] == f.statut]
    if f.decision == "aucune":
        out = [r for r in out if not r["decision"]]
    elif f.decision:
        out = [r for r in out if r["decision"] == f.decision]
    if f.instructeur == "aucun":
        out = [r for r in out if not r["assignee"]]
    elif f.instructeur == "moi":
        out = [r for r in out if r["assignee"] == me]
    elif f.instructeur:
        out = [r for r in out if r["assignee"] == f.instructeur]
    if f.departement:
        out = [r for r in out if f.departement in r["departments"]]
    if f.label:
        out = [r for r in out if f.label in {str(label.id) for label in r.get("labels") or []}]
    return sorted(out, key=_sort_key(f.tri), reverse=f.ordre == "desc")


def _sort_key(tri: str):
    def key(r: dict[str, Any]) -> tuple:
        if tri == "porteur":
            return (fold(r["porteur"]), r["dossier"])
        if tri == "verdict":
            return (VERDICT_ORDER.get(r["verdict"], 9), r["dossier"])
        if tri == "montant":
            return (r["amount_eligible"] if r["amount_eligible"] is not None else -1.0, r["dossier"])
        if tri == "statut":
            return (list(STATUSES).index(r["status"]) if r["status"] in STATUSES else 9, r["dossier"])
        if tri == "instructeur":
            return (fold(r["assignee"] or "~"), r["dossier"])
        if tri == "decision":
            return (r["decision"] or "Z", r["dossier"])
        return (str(r["dossier"]),)

    return key


def options(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What the filter lists offer."""
    return {
        "verdicts": list(VERDICT_LABELS.items()),
        "statuses": list(STATUSES.items()),
        "decisions": list(DECISIONS.items()),
        "departments": sorted({d for r in rows for d in r["departments"]}),
        "assignees": sorted({r["assignee"] for r in rows if r["assignee"]}),
        "sorts": list(SORTS.items()),
    }


def counters(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Headline figures of the call page."""
    return {
        "total": len(rows),
        "by_verdict": {v: sum(1 for r in rows if r["verdict"] == v) for v in VERDICT_LABELS},
        "by_status": {s: sum(1 for r in rows if r["status"] == s) for s in STATUSES},
        "decided": sum(1 for r in rows if r["decision"]),
        "waived": sum(r["waived"] for r in rows),
    }
