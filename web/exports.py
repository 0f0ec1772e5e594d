"""The call's exports as the workspace serves them: the summary the analysis writes
(``reports.exports``: ``summary.xlsx``, ``summary.csv``) of the dossiers the account sees, with
the team's labels and private annotations added (a sheet « Annotations privées » in the xlsx,
columns at the end of the csv). Written in a private temporary folder, never in the shared
output folder; text stays text (no formula: xlsx cells typed as strings, csv values starting
with a formula sign prefixed with « ' »)."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from instruction.annotations import shown
from reports.exports import FORMULA_TRIGGERS, write_summary_csv, write_summary_xlsx
from web.workspace import CallSite, NotFound

SHEET = "Annotations privées"


def _team_columns(site: CallSite, numbers: list[str]) -> tuple[list[str], dict[str, list[Any]]]:
    """(headers, each dossier's values): its labels, then each annotation field's latest value."""
    store = site.annotations
    fields = store.fields(site.call_id)
    labels = store.dossier_labels(site.call_id)
    values = store.values(site.call_id)
    headers = ["Labels"] + [f.label for f in fields]
    rows: dict[str, list[Any]] = {}
    for number in numbers:
        mine = values.get(number, {})
        row: list[Any] = [", ".join(label.name for label in labels.get(number, [])) or None]
        for f in fields:
            v = mine.get(f.id)
            if v is None or v.value is None:
                row.append(None)
            elif f.kind == "montant":
                row.append(float(v.value))
            else:
                row.append(shown(f.kind, v.value))
        rows[number] = row
    return headers, rows


def _local_summary(site: CallSite, summary: dict[str, Any]) -> dict[str, Any]:
    """``summary`` with each dossier's report named by its checked path (the writer reads them
    from elsewhere than the output folder)."""
    dossiers = []
    for d in summary.get("dossiers") or []:
        try:
            report = site.report_dir(str(d.get("dossier"))) / "report.json"
        except NotFound:
            continue
        dossiers.append({**d, "report": str(report)})
    return {**summary, "dossiers": dossiers}


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}".replace(".", ",")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def summary_export(site: CallSite, summary: dict[str, Any], file: str) -> bytes:
    """``summary.xlsx`` or ``summary.csv`` of ``summary``'s dossiers, with the team's columns."""
    local = _local_summary(site, summary)
    numbers = [str(d.get("dossier")) for d in local["dossiers"]]
    headers, team = _team_columns(site, numbers)
    with tempfile.TemporaryDirectory(prefix="esmsnum-export-") as tmp:
        folder = Path(tmp)
        if file == "summary.csv":
            text = write_summary_csv(local, folder).read_text(encoding="utf-8-sig")
            rows = list(csv.reader(io.StringIO(text), delimiter=";"))
            buffer = io.StringIO()
            writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
            writer.writerow(rows[0] + headers)
            for number, row in zip(numbers, rows[1:]):
                writer.writerow(row + [_csv_text(v) for v in team[number]])
            return buffer.getvalue().encode("utf-8-sig")
        path = write_summary_xlsx(local, folder)
        workbook = load_workbook(path)
        sheet = workbook.create_sheet(SHEET)
        for c, title in enumerate(["Dossier", *headers], start=1):
            cell = sheet.cell(row=1, column=c, value=title)
            cell.data_type = "s"
            sheet.column_dimensions[get_column_letter(c)].width = 18 if c == 1 else 30
        for r, number in enumerate(numbers, start=2):
            for c, value in enumerate([number, *team[number]], start=1):
                cell = sheet.cell(row=r, column=c, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula
                elif isinstance(value, float):
                    cell.number_format = "#,##0.00 €"
        sheet.freeze_panes = "B2"
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()
