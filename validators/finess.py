"""FINESS identifiers: normalisation, check key and département.

A FINESS number has 9 characters; the first two give the département (``2A``/``2B`` in
Corsica; ``97`` + the 4th character overseas; ``98`` Mayotte) and the 9th is a check key.
The key is a Luhn (mod 10) over the 9 characters with ``2A`` read as ``21`` and ``2B`` as
``22`` (sources.md § FINESS: validated on 33 real numbers; no official specification).
"""

from __future__ import annotations

import re

_SPACES = re.compile(r"[\s.\-_/]+")
_SHAPE = re.compile(r"^(\d{2}|2[AB])\d{7}$")

#: Overseas territories by the 4th character of a number starting with 97.
_OVERSEAS = {"1": "971", "2": "972", "3": "973", "4": "974", "5": "975"}


def normalize_finess(raw: object) -> str:
    """Text as typed or read from a cell → candidate FINESS (upper case, no separators).

    A number cell loses the leading zero of départements 01–09 (``10000016`` for
    ``010000016``): an 8-digit value read from a number is padded back, and so is an
    8-digit text whose padded form has a valid check key (a csv exported from Excel).
    """
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = _SPACES.sub("", str(raw)).upper()
    if len(text) == 8 and text.isdigit():
        # Excel drops the leading zero of départements 01–09, and a csv exported from it
        # keeps the 8 digits as text: restore the zero when that yields a valid number
        # (a number cell always had 9 characters before Excel read it as a number).
        padded = "0" + text
        if isinstance(raw, (int, float)) or luhn_valid(padded):
            text = padded
    return text


def _digits_for_key(finess: str) -> str:
    if finess.startswith("2A"):
        return "21" + finess[2:]
    if finess.startswith("2B"):
        return "22" + finess[2:]
    return finess


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def finess_problem(finess: str) -> str | None:
    """``None`` when well formed, else the French reason."""
    if not finess:
        return "numéro FINESS absent"
    if len(finess) != 9:
        return f"{len(finess)} caractères au lieu de 9"
    if not _SHAPE.match(finess):
        return "caractères non autorisés (9 chiffres attendus, 2A/2B pour la Corse)"
    if not luhn_valid(_digits_for_key(finess)):
        return "clé de contrôle incorrecte"
    return None


def is_valid_finess(finess: str) -> bool:
    return finess_problem(finess) is None


def complete_with_key(first_eight: str) -> str:
    """Append the check key to 8 characters (used by the fixtures generator)."""
    for key in "0123456789":
        candidate = first_eight + key
        if luhn_valid(_digits_for_key(candidate)):
            return candidate
    raise ValueError(f"no check key for {first_eight!r}")


def department_of(finess: str) -> str | None:
    """Département code (``01``, ``2A``, ``971``, ``976``) of a well-shaped FINESS."""
    if len(finess) < 4:
        return None
    if finess.startswith("97"):
        return _OVERSEAS.get(finess[3])
    if finess.startswith("98"):
        return "976"
    head = finess[:2]
    if head in ("2A", "2B") or head.isdigit():
        return head
    return None
