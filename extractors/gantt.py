"""Gantt charts (placeholder until written)."""
from __future__ import annotations


def find_gantts(grid, file):
    return []
