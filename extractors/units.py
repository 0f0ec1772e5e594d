"""Units of amounts said once for a column or a table: ``(k€)``, ``en milliers d'euros``,
``HT``, ``TTC``.

An owner writes « Montant (k€) » in a header, or « Montants en milliers d'euros » on a line
above the table, and then ``12,5`` in the cells. The unit is applied to the values (12 500 €)
and kept on the cell (``CellValue.written``, ``CellValue.unit``) and on the table, so that a
finding quotes what the owner wrote.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from core.french import euros
from core.models import CellValue, Location
from extractors.values import is_blank, parse_amount

_KILO = re.compile(
    r"(?<![a-z])k\s?(?:€|eur\b|euros?\b)|(?<![a-z])keur\b|milliers?\s+d\W{0,2}\s?euros?|en\s+milliers\b"
    r"|\(\s*k\s*\)|\(\s*x\s*1\s?000\s*(?:€|eur\w*)?\s*\)|€\s*k\b"
)
_MEGA = re.compile(r"(?<![a-z])m\s?€|(?<![a-z])meur\b|millions?\s+d\W{0,2}\s?euros?|en\s+millions\b")
_HT = re.compile(r"(?<![a-z])h\.?\s?t\.?(?![a-z])|hors[\s\-]+tax")
_TTC = re.compile(r"(?<![a-z])t\.?\s?t\.?\s?c\.?(?![a-z])|toutes[\s\-]+taxes")
_OWN_UNIT = re.compile(r"(?:€|\beur\b|\beuros?\b|\bk\b|\bkeur\b)", re.IGNORECASE)


@dataclass(frozen=True)
class Unit:
    """How the amounts of a column are written: ``multiplier`` to euros (1000 for k€) and
    the tax basis (``HT``, ``TTC`` or None), with where and how the owner said it."""

    multiplier: float = 1.0
    basis: str | None = None
    said: str = ""  # the owner's words (« Montants en milliers d'euros »)
    location: Location | None = None

    @property
    def label(self) -> str:
        """``k€``, ``k€ HT``, ``€ TTC``."""
        money = {1.0: "€", 1000.0: "k€", 1_000_000.0: "M€"}.get(self.multiplier, f"× {self.multiplier:g} €")
        return f"{money} {self.basis}" if self.basis else money

    @property
    def scales(self) -> bool:
        return self.multiplier != 1.0

    def merged(self, outer: Unit | None) -> Unit:
        """This column's unit completed by the table's (a header says HT, the line above k€)."""
        if outer is None:
            return self
        multiplier = self.multiplier if self.scales else outer.multiplier
        basis = self.basis or outer.basis
        said = self.said if self.scales or not outer.scales else f"{self.said} ; {outer.said}".strip(" ;")
        return Unit(multiplier, basis, said, self.location if self.scales or not outer.scales else outer.location)

    def explain(self) -> str:
        """French, for the report: « montants en k€ (× 1 000), indiqué par « … » »."""
        parts = []
        if self.scales:
            parts.append(
                f"montants en {self.label.split()[0]} : valeurs multipliées par {self.multiplier:,.0f}".replace(
                    ",", "\u202f"
                )
            )
        if self.basis:
            parts.append(f"montants {self.basis}")
        where = f" ({self.location.describe()})" if self.location else ""
        return " ; ".join(parts) + (f", indiqué par « {self.said} »{where}" if self.said else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "multiplier": self.multiplier,
            "basis": self.basis,
            "said": self.said,
            "location": self.location.to_dict() if self.location else None,
        }


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower().replace("\u00a0", " ")


def unit_in(text: Any, location: Location | None = None) -> Unit | None:
    """The unit a header or a note states, or None."""
    if not isinstance(text, str) or not text.strip() or len(text) > 300:
        return None
    plain = _plain(text)
    multiplier = 1000.0 if _KILO.search(plain) else 1_000_000.0 if _MEGA.search(plain) else 1.0
    basis = "TTC" if _TTC.search(plain) else "HT" if _HT.search(plain) else None
    if multiplier == 1.0 and basis is None:
        return None
    return Unit(multiplier, basis, text.strip(), location)


def convert(cell: CellValue, unit: Unit | None) -> CellValue:
    """The cell in euros: a number or a readable amount times the unit's multiplier; a text
    that states its own unit (``12 k€``, ``12 000 €``) or cannot be read is left as written
    (the amount rules report what cannot be read)."""
    if unit is None or not unit.scales or cell.written is not None or is_blank(cell.raw) or isinstance(cell.raw, bool):
        return cell
    if isinstance(cell.raw, (int, float)):
        value = float(cell.raw)
    else:
        text = str(cell.raw)
        if _OWN_UNIT.search(text):
            return cell
        parsed = parse_amount(text)
        if not parsed.ok or parsed.value is None:
            return cell
        value = parsed.value
    return CellValue(
        round(value * unit.multiplier, 2), cell.location, written=cell.raw, unit=unit.label, fill=cell.fill
    )


def quote(cell: CellValue) -> str:
    """French: ``12 500 €`` or, for a converted value, ``12 500 € (saisi « 12,5 » en k€)``."""
    amount = parse_amount(cell.raw)
    shown = euros(amount.value) if amount.ok and amount.value is not None else cell.text
    if cell.written is None:
        return shown
    return f"{shown} (saisi « {cell.written} » en {cell.unit})"
