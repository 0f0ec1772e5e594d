"""The committee's table: the recevable dossiers with their eligible amounts and proposed
decision, the running total against the call's envelope, and the balance the 2021 instruction
looked after (seed 004: « équité territoriale », « équilibre entre le secteur des personnes en
situation de handicap et des personnes âgées », « représentation des établissements de
capacités différentes »): départements, PA/PH split of ESSMS and amounts, spread of capacities.

A dossier's eligible amount is split between its départements and sectors in proportion to
its eligible ESSMS (the report does not hold the amount of each ESSMS): the pages say so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.french import VERDICT_LABELS, datetime_long, verdict_label
from core.records import DossierState, Event
from core.report import DossierReport
from instruction.workflow import DECISIONS, decision_label, status_label
from reports.spreadsheet import new_workbook, write_cell

GROUP_ORDER = {"A": 0, None: 1, "B": 2, "C": 3, "D": 4}
VERDICT_ORDER = {"recevable": 0, "a_completer": 1, "non_recevable": 2}
CAPACITY_BINS = [
    (0, 29, "moins de 30 places"),
    (30, 59, "30 à 59 places"),
    (60, 99, "60 à 99 places"),
    (100, None, "100 places ou plus"),
]
UNKNOWN_CAPACITY = "capacité non renseignée"
MAIN_SECTORS = ("personnes_agees", "personnes_handicapees")


def capacity_bin(capacity: int | None) -> str:
    if capacity is None:
        return UNKNOWN_CAPACITY
    for low, high, label in CAPACITY_BINS:
        if capacity >= low and (high is None or capacity <= high):
            return label
    return UNKNOWN_CAPACITY


def committee(
    summary: dict[str, Any],
    states: dict[str, DossierState],
    report_of: Callable[[str], DossierReport],
    envelope: Event | None = None,
) -> dict[str, Any]:
    """Every dossier of the call by verdict and proposed group, the recevable ones with their
    running total against the envelope, and the balance. The envelope is the one the décideur
    entered (``envelope``, the history's event), else the call configuration's; without one,
    nothing is compared to it."""
    configured = (summary.get("totals") or {}).get("envelope") or {}
    sector_names = summary.get("sector_labels") or {}
    rows = []
    for d in summary.get("dossiers") or []:
        state = states.get(d["dossier"])
        recevable = d.get("verdict") == "recevable"
        essms: list[dict[str, Any]] = []
        if recevable:
            try:
                essms = [e.model_dump() for e in report_of(d["dossier"]).essms if e.eligible]
            except Exception:  # noqa: BLE001 - a report gone missing: the row stays, without ESSMS details
                essms = []
        rows.append(
            {
                "dossier": d["dossier"],
                "porteur": d.get("porteur"),
                "verdict": d.get("verdict"),
                "verdict_label": verdict_label(d.get("verdict")),
                "recevable": recevable,
                "departments": list(d.get("departments") or []),
                "sectors": [sector_names.get(s, s) for s in d.get("sectors") or []],
                "essms_count": d.get("essms_count"),
                "amount_requested": d.get("amount_requested"),
                "amount_eligible": d.get("amount_eligible"),
                "decision": state.decision if state else None,
                "decision_label": decision_label(state.decision) if state else None,
                "decision_motif": state.decision_motif if state else None,
                "status_label": status_label(state.status if state else None),
                "assignee": state.assignee if state else None,
                "waived": int(d.get("waived") or (d.get("counts") or {}).get("leves") or 0),
                "essms": essms,
            }
        )
    rows.sort(
        key=lambda r: (
            not r["recevable"],
            GROUP_ORDER.get(r["decision"], 5),
            VERDICT_ORDER.get(r["verdict"], 9),
            r["dossier"],
        )
    )
    if envelope is not None:
        total_envelope = envelope.data.get("after")
        source = (
            f"saisie par {envelope.author} le {datetime_long(envelope.created_at)}"
            if total_envelope is not None
            else None
        )
    else:
        total_envelope, source = configured.get("envelope"), configured.get("envelope_source")
    recevables = [r for r in rows if r["recevable"]]
    running = 0.0
    for r in rows:
        r["running"] = None
        r["over"] = None  # compared only when there is an envelope
        if r["recevable"]:
            running += r["amount_eligible"] or 0.0
            r["running"] = round(running, 2)
            r["over"] = running > total_envelope if total_envelope is not None else None
    proposed = [r for r in recevables if r["decision"] == "A"]
    amount_proposed = round(sum(r["amount_eligible"] or 0.0 for r in proposed), 2)
    amount_all = round(sum(r["amount_eligible"] or 0.0 for r in recevables), 2)
    groups = [*DECISIONS, None]
    return {
        "rows": rows,
        "recevable_count": len(recevables),
        "envelope": total_envelope,
        "envelope_source": source,
        "envelope_entered": envelope is not None and total_envelope is not None,
        "amount_proposed": amount_proposed,
        "amount_recevable": amount_all,
        "proposed_count": len(proposed),
        "balance": None if total_envelope is None else round(total_envelope - amount_proposed, 2),
        "ratio": None if not total_envelope else amount_proposed / total_envelope,  # a fraction (« 50,7 % »)
        "by_group": {code: sum(1 for r in rows if r["decision"] == code) for code in DECISIONS},
        "undecided": sum(1 for r in rows if not r["decision"]),
        "by_verdict": [
            {
                "verdict": v,
                "label": label,
                "groups": {g: sum(1 for r in rows if r["verdict"] == v and r["decision"] == g) for g in groups},
                "total": sum(1 for r in rows if r["verdict"] == v),
            }
            for v, label in VERDICT_LABELS.items()
        ],
        "departments": _departments(recevables, (summary.get("call_snapshot") or {}).get("departments") or []),
        "sectors": _sectors(recevables, sector_names),
        "capacities": _capacities(recevables),
    }


def _share(r: dict[str, Any], key: Callable[[dict[str, Any]], str]) -> dict[str, tuple[int, float]]:
    """The dossier's ESSMS and eligible amount per value of ``key`` (amount pro rata of ESSMS)."""
    essms = r["essms"]
    amount = r["amount_eligible"] or 0.0
    out: dict[str, tuple[int, float]] = {}
    for e in essms:
        k = key(e)
        n, a = out.get(k, (0, 0.0))
        out[k] = (n + 1, a + amount / len(essms))
    return out


def _balance(rows: list[dict[str, Any]], key: Callable[[dict[str, Any]], str]) -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = {}
    for r in rows:
        shares = _share(r, key)
        for k, (n, amount) in shares.items():
            entry = table.setdefault(
                k, {"dossiers": 0, "essms": 0, "amount": 0.0, "dossiers_a": 0, "essms_a": 0, "amount_a": 0.0}
            )
            entry["dossiers"] += 1
            entry["essms"] += n
            entry["amount"] += amount
            if r["decision"] == "A":
                entry["dossiers_a"] += 1
                entry["essms_a"] += n
                entry["amount_a"] += amount
    for entry in table.values():
        entry["amount"] = round(entry["amount"], 2)
        entry["amount_a"] = round(entry["amount_a"], 2)
    return table


def _departments(rows: list[dict[str, Any]], of_call: list[str]) -> list[dict[str, Any]]:
    """Every département of the call (none of its dossiers in one: a line of zeros, what the
    « équité territoriale » looks at), then any other an ESSMS lies in."""
    table = _balance(rows, lambda e: e.get("department") or "non renseigné")
    zero = {"dossiers": 0, "essms": 0, "amount": 0.0, "dossiers_a": 0, "essms_a": 0, "amount_a": 0.0}
    for code in of_call:
        table.setdefault(str(code), dict(zero))
    return [{"label": k, **v} for k, v in sorted(table.items())]


def _sectors(rows: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    table = _balance(rows, lambda e: e.get("sector") or "non_renseigne")
    order = {s: i for i, s in enumerate(MAIN_SECTORS)}
    total_a = sum(v["essms_a"] for v in table.values()) or 0
    total = sum(v["essms"] for v in table.values()) or 0
    out = []
    for k, v in sorted(table.items(), key=lambda kv: (order.get(kv[0], 9), kv[0])):
        out.append(
            {
                "code": k,
                "label": names.get(k, "secteur non renseigné" if k == "non_renseigne" else k),
                **v,
                "share": v["essms"] / total if total else None,
                "share_a": v["essms_a"] / total_a if total_a else None,
            }
        )
    return out


def _capacities(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    table = _balance(rows, lambda e: capacity_bin(e.get("capacity")))
    labels = [label for _, _, label in CAPACITY_BINS] + [UNKNOWN_CAPACITY]
    return [{"label": label, **table[label]} for label in labels if label in table]


def committee_xlsx(call_title: str, reference: str, data: dict[str, Any]) -> bytes:
    """The committee's table and its balance as a workbook; dossier text is written as text
    (never a formula nor a link)."""
    import io

    buffer = io.BytesIO()
    workbook, formats = new_workbook(buffer, f"Comité — {call_title}", in_memory=True)
    bold, euro = formats.header, formats.euro
    sheet = workbook.add_worksheet("Comité")
    compared = data["envelope"] is not None  # no envelope: nothing is « au-delà »
    columns = [
        ("Dossier", 16),
        ("Porteur", 36),
        ("Verdict", 14),
        ("Départements", 14),
        ("Secteurs", 30),
        ("ESSMS éligibles", 10),
        ("Montant demandé (€)", 16),
        ("Montant éligible (€)", 16),
        ("Cumul éligible (€)", 16),
        *([("Au-delà de l'enveloppe", 12)] if compared else []),
        ("Décision proposée", 28),
        ("Motif de la décision", 50),
        ("Statut", 18),
        ("Instructeur", 18),
        ("Constats levés", 10),
    ]
    for c, (title, width) in enumerate(columns):
        sheet.write_string(0, c, title, bold)
        sheet.set_column(c, c, width)
    for r, row in enumerate(data["rows"], start=1):
        values = [
            row["dossier"],
            row["porteur"],
            row["verdict_label"],
            ", ".join(row["departments"]),
            ", ".join(row["sectors"]),
            row["essms_count"],
            row["amount_requested"],
            row["amount_eligible"],
            row["running"],
            *([None if row["over"] is None else "oui" if row["over"] else "non"] if compared else []),
            row["decision_label"] or "non proposée",
            row["decision_motif"],
            row["status_label"],
            row["assignee"],
            row["waived"],
        ]
        for c, value in enumerate(values):
            write_cell(sheet, r, c, value, euro if columns[c][0].endswith("(€)") else None)
    sheet.freeze_panes(1, 1)
    sheet.autofilter(0, 0, max(1, len(data["rows"])), len(columns) - 1)

    balance = workbook.add_worksheet("Équilibre")
    balance.set_column(0, 0, 34)
    balance.set_column(1, 6, 18)
    line = 0
    facts = [
        ("Appel", f"{call_title} ({reference})"),
        ("Enveloppe de l'appel (€)", data["envelope"] if compared else "non renseignée"),
        ("Origine de l'enveloppe", data["envelope_source"]),
        ("Proposé au financement, groupe A (€)", data["amount_proposed"]),
        ("Solde de l'enveloppe après le groupe A (€)", data["balance"]),
        ("Ensemble des dossiers recevables (€)", data["amount_recevable"]),
    ]
    for label, value in facts:
        balance.write_string(line, 0, label, bold)
        write_cell(balance, line, 1, value, euro if "(€)" in label and not isinstance(value, str) else None)
        line += 1
    for title, table in (
        ("Département", data["departments"]),
        ("Secteur", data["sectors"]),
        ("Capacité des ESSMS", data["capacities"]),
    ):
        line += 1
        heads = [
            title,
            "Dossiers recevables",
            "ESSMS",
            "Montant éligible (€)",
            "Dossiers du groupe A",
            "ESSMS du groupe A",
            "Montant du groupe A (€)",
        ]
        for c, head in enumerate(heads):
            balance.write_string(line, c, head, bold)
        for entry in table:
            line += 1
            values = [
                entry["label"],
                entry["dossiers"],
                entry["essms"],
                entry["amount"],
                entry["dossiers_a"],
                entry["essms_a"],
                entry["amount_a"],
            ]
            for c, value in enumerate(values):
                write_cell(balance, line, c, value, euro if heads[c].endswith("(€)") else None)
        line += 1
    balance.write_string(
        line + 1,
        0,
        "Montants répartis entre départements, secteurs et capacités au prorata des ESSMS éligibles de chaque dossier.",
    )
    workbook.close()
    return buffer.getvalue()
