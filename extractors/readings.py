"""How each document was read, for ``report.json`` ``readings``: which table of which file
was read as what, the column mapping with each header's score, the units, and what was
left unread and why (columns no field was found for, rows, hidden sheets, rows and
columns, grids without a recognised table)."""

from __future__ import annotations

import re
from typing import Any

from core.french import count
from core.models import ExtractedDocument, Location
from extractors.table_types import Table, span
from extractors.values import is_blank
from extractors.vocabulary import catalogue


def table_reading(table: Table, used: bool) -> dict[str, Any]:
    cat = catalogue()
    kind = cat.kinds[table.kind]
    columns = []
    for field_name, reading in sorted(table.readings.items(), key=lambda kv: (kv[1].index is None, kv[1].index or 0)):
        header_cell = table.columns.get(field_name)
        columns.append(
            {
                **reading.to_dict(),
                "label": cat.meanings[field_name].label,
                "location": header_cell.location.to_dict() if header_cell is not None else None,
            }
        )
    body = table.rows + table.total_rows
    first = min(body, key=lambda r: r.position).location if body else None
    last = table.last_location
    return {
        "file": table.file,
        "where": table.grid_name,
        "kind": table.kind,
        "kind_label": kind.label,
        "document_kind": kind.document,
        "read_from": table.source,
        "orientation": table.orientation,
        "used": used,
        "header": table.header_location.to_dict(),
        "header_where": table.header_location.describe(),
        "header_rows": table.header_rows,
        "score": round(table.score, 2),
        "rows": len(table.rows),
        "total_rows": len(table.total_rows),
        "cells": span(first, last),
        "unit": table.unit.to_dict() if table.unit else None,
        "columns": columns,
        "unmapped_columns": [c.to_dict() for c in table.unmapped],
        "rows_left_out": [loc.to_dict() for loc in table.left_out],
        "continued_in": list(table.continued_in),
        "notes": list(table.notes),
        "summary": summary(table, used),
    }


def _header_words(header: Location, orientation: str = "lignes") -> str:
    """« en-têtes ligne 17, à partir de la colonne A » (a spreadsheet), « en-têtes colonne B,
    à partir de la ligne 4 » (a turned table), « en-têtes : page 2, tableau 1 » (a document's
    table); never a bare cell name (« en-tête A1 »)."""
    found = re.fullmatch(r"([A-Z]+)(\d+)", header.cell or "")
    if found and orientation == "colonnes":
        letters, digits = found.groups()
        return f"en-têtes colonne {letters}" + (f", à partir de la ligne {digits}" if digits != "1" else "")
    if found:
        letters, digits = found.groups()
        return f"en-têtes ligne {digits}" + (f", à partir de la colonne {letters}" if letters != "A" else "")
    parts = [f"page {header.page}" if header.page else "", header.detail or ""]
    at = ", ".join(x for x in parts if x and x != "en-tête").replace(", en-tête", "")
    return f"en-têtes : {at}" if at else "en-têtes ligne 1"


def summary(table: Table, used: bool) -> str:
    """French, one sentence: « budget.xlsx, feuille Budget : lu comme budget par ESSMS (12
    lignes, en-tête ligne 3) ; montants en k€ ; 1 colonne de montants non reconnue »."""
    kind = catalogue().kinds[table.kind].label
    where = table.file + (f", {_where(table.grid_name)}" if table.grid_name else "")
    header = table.header_location
    entries = count(len(table.rows), "colonne" if table.orientation == "colonnes" else "ligne")
    head = f"{where} : lu comme {kind} ({entries}, {_header_words(header, table.orientation)})"
    parts = [head]
    if table.continued_in:
        parts.append("poursuivi : " + ", ".join(table.continued_in))
    if table.source == "calendrier":
        parts.append("diagramme de Gantt")
    if table.orientation == "colonnes":
        parts.append("tableau en colonnes : en-têtes dans la première colonne, une entrée par colonne")
    units = {r.unit.label for r in table.readings.values() if r.unit is not None}
    if units:
        parts.append("montants " + ", ".join(sorted(units)))
    amounts = len(table.amount_columns_unread)
    folded = [c for c in table.unmapped if c.read_as is not None]
    others = len(table.unmapped) - amounts - len(folded)
    for column in folded:
        parts.append(f"colonne « {column.header} » lue comme partie du {_field_label(column.read_as)}")
    line = "ligne" if table.orientation == "colonnes" else "colonne"  # a turned table's fields are rows
    if amounts:
        parts.append(
            f"{amounts} {line}{'s' if amounts > 1 else ''} de montants non reconnue{'s' if amounts > 1 else ''}"
        )
    if others:
        parts.append(
            f"{others} autre{'s' if others > 1 else ''} {line}{'s' if others > 1 else ''} non lue{'s' if others > 1 else ''}"
        )
    if not used:
        parts.append("non retenu (un autre tableau du même type est utilisé)")
    return " ; ".join(parts)


def _field_label(field_name: str) -> str:
    return catalogue().meanings[field_name].label


def _where(grid_name: str) -> str:
    return grid_name if grid_name.startswith(("page ", "tableau ")) else f"feuille {grid_name}"


def document_readings(documents: list[ExtractedDocument], used: set[int]) -> dict[str, Any]:
    """``readings`` of report.json: the tables read (``used``: ids of the tables the rules
    rely on), the hidden content left unread, and the grids where no table was recognised."""
    tables: list[dict[str, Any]] = []
    hidden: list[dict[str, Any]] = []
    unread: list[dict[str, Any]] = []
    for doc in documents:
        found = doc.tables or []
        for table in found:
            tables.append(table_reading(table, id(table) in used))
        for content in doc.hidden:
            hidden.append({"file": doc.file, **content.to_dict()})
        read_grids = {t.grid_name for t in found} | {name for t in found for name in t.continued_in}
        for grid in doc.grids:
            if grid.name in read_grids:
                continue
            filled = sum(1 for row in grid.rows for c in row if not is_blank(c.raw))
            if filled:
                first = next((c.location for row in grid.rows for c in row if not is_blank(c.raw)), Location(doc.file))
                unread.append(
                    {
                        "file": doc.file,
                        "where": grid.name,
                        "values": filled,
                        "location": first.to_dict(),
                        "reason": "aucun tableau attendu (structures, budget, planning) n'y a été reconnu",
                    }
                )
    return {"tables": tables, "hidden": hidden, "unread": unread}


def recognitions(readings: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """``documents[].tables`` of report.json: per file, how each of its tables was
    recognised (``core.report.TableRecognition``), from the ``readings`` of the tables."""
    out: dict[str, list[dict[str, Any]]] = {}
    for t in readings.get("tables", []):
        units = sorted({c["unit"]["label"] for c in t.get("columns", []) if c.get("unit")})
        out.setdefault(t["file"], []).append(
            {
                "kind": t["kind"],
                "kind_label": t["kind_label"],
                "where": _where(t["where"]) if t.get("where") else None,
                "orientation": t.get("orientation", "lignes"),
                "read_from": t.get("read_from", "en-têtes"),
                "header": t.get("header_where"),
                "columns": [
                    {"field": c["field"], "label": c["label"], "header": c.get("header") or ""}
                    for c in t.get("columns", [])
                ],
                "unit": ", ".join(units) or None,
                "rows": t.get("rows", 0),
                "used": t.get("used", False),
                "summary": t.get("summary", ""),
            }
        )
    return out
