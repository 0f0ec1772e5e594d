"""Bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE and its kin) in names and text of a
dossier: shown, never obeyed. A file named ``facture\u202efdp.exe`` reads « facture exe.pdf »
once the control is obeyed; every renderer (HTML reports, the web workspace, the letters)
writes such a control as a visible mark ``[U+202E]`` instead (Unicode TR 9 lists them)."""

from __future__ import annotations

import re
from typing import Any

#: ALM, LRM, RLM, LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible_controls(text: str) -> str:
    """``text`` with each bidirectional control replaced by its visible code, ``[U+202E]``."""
    return BIDI_CONTROLS.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


def neutralise(value: Any) -> Any:
    """``visible_controls`` through strings, lists and dicts; other values as they are. The type
    of a string is kept (a ``markupsafe.Markup`` stays markup: the marks hold no HTML)."""
    if isinstance(value, str):
        if not BIDI_CONTROLS.search(value):
            return value
        return type(value)(visible_controls(value)) if type(value) is not str else visible_controls(value)
    if isinstance(value, list):
        return [neutralise(v) for v in value]
    if isinstance(value, tuple):
        return tuple(neutralise(v) for v in value)
    if isinstance(value, dict):
        return {k: neutralise(v) for k, v in value.items()}
    return value
