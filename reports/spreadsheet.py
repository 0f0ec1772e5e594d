"""Workbooks for reviewers (the call's summary.xlsx, the committee's table): dossier text is
untrusted, so every workbook is opened with xlsxwriter's conversions off (a text is never a
formula, a link or a number) and every cell is written by type; the formats are the same in
every workbook."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import xlsxwriter

from core.french import PARIS

SAFE_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
MAX_CELL_CHARS = 32_000  # a cell holds at most 32 767 characters


@dataclass
class Formats:
    header: Any
    euro: Any
    wrap: Any
    link: Any
    date: Any


def new_workbook(target: Any, title: str, **options: Any) -> tuple[Any, Formats]:
    """A workbook writing to ``target`` (a file name, or a ``BytesIO`` with ``in_memory``),
    French, with the shared formats."""
    workbook = xlsxwriter.Workbook(target, {**options, **SAFE_OPTIONS})
    workbook.set_properties({"title": title, "language": "fr-FR"})
    formats = Formats(
        header=workbook.add_format(
            {"bold": True, "bg_color": "#EFEFEF", "border": 1, "text_wrap": True, "valign": "top"}
        ),
        euro=workbook.add_format({"num_format": '#,##0.00 "€"'}),
        wrap=workbook.add_format({"text_wrap": True, "valign": "top"}),
        link=workbook.add_format({"font_color": "#0B4EA2", "underline": 1}),
        date=workbook.add_format({"num_format": "dd/mm/yyyy hh:mm"}),
    )
    return workbook, formats


def write_cell(sheet: Any, row: int, col: int, value: Any, fmt: Any = None) -> None:
    """Numbers as numbers, dates as dates (the day and time in Paris: a spreadsheet has no
    time zone), everything else as a string (never a formula nor a link): an identifier such
    as a FINESS number is a string, its leading zero kept."""
    if value is None or value == "":
        return
    if isinstance(value, dt.datetime):
        local = value.astimezone(PARIS) if value.tzinfo else value
        sheet.write_datetime(row, col, local.replace(tzinfo=None), fmt)
    elif isinstance(value, dt.date):
        sheet.write_datetime(row, col, dt.datetime(value.year, value.month, value.day), fmt)
    elif isinstance(value, bool):
        sheet.write_string(row, col, "oui" if value else "non", fmt)
    elif isinstance(value, (int, float)):
        sheet.write_number(row, col, value, fmt)
    else:
        sheet.write_string(row, col, str(value)[:MAX_CELL_CHARS], fmt)
