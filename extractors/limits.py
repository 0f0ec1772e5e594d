"""Bounds on what one file may cost. Defaults suit real dossiers; a call may override them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 50 * 1024 * 1024
    max_rows: int = 20_000
    max_columns: int = 200
    max_pages: int = 300
