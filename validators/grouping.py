"""The size of the grouping (GRP-03), decided on what the dossier positively shows.

The count is made once per dossier (``SizeBasis``) and kept in ``report.json`` (``basis``):
the call-level exclusions (LOT-01) are known only once every dossier is judged, and
``judging.finalize`` re-decides GRP-03 on the count that remains, with the same wording.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from core.config import CallConfig
from core.models import Location, Severity
from validators.context import DossierData
from validators.reference import reference
from validators.registry import Hit


def corsica_or_overseas(data: DossierData) -> bool:
    """Whether the lower Corsica/overseas minimums apply: every ESSMS whose département is
    known is in Corsica or overseas (a mixed grouping with metropolitan ESSMS is held to the
    general minimum)."""
    departments = [e.department for e in data.eligible_essms if e.department]
    special = reference().corsica_or_overseas
    return bool(departments) and all(d in special for d in departments)


def minimum_for(data: DossierData, config: CallConfig) -> tuple[int, bool]:
    """(minimum number of ESSMS, whether the Corsica/overseas minimum applies)."""
    island = corsica_or_overseas(data)
    general, island_minimum = config.grouping.min_essms.value, config.grouping.min_essms_corsica_overseas.value
    return (island_minimum if island else general), island


@dataclass(frozen=True)
class SizeBasis:
    """What GRP-03 decides on, as the dossier alone shows it."""

    counted: int  # eligible distinct ESSMS identified by their FINESS ET
    unidentified: int  # rows without FINESS ET, not excluded: perhaps ESSMS of the grouping
    listed: int  # distinct rows of the list
    excluded: dict[str, int]  # rule → ESSMS it excluded (GRP-05, GRP-06)
    minimum: int
    island: bool
    blank_rows: list[str]  # row numbers of the blank FINESS cells, when known
    location: dict[str, Any] | None  # the list's header

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SizeBasis:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__})


def size_basis(data: DossierData, config: CallConfig) -> SizeBasis | None:
    if data.structures is None:
        return None
    minimum, island = minimum_for(data, config)
    excluded: dict[str, int] = {}
    for essms in data.excluded_essms:
        for exclusion in essms.exclusions:
            excluded[exclusion.rule] = excluded.get(exclusion.rule, 0) + 1
    return SizeBasis(
        counted=data.essms_count,
        unidentified=len(data.unidentified_essms),
        listed=data.listed_count,
        excluded=excluded,
        minimum=minimum,
        island=island,
        blank_rows=[e.row_number for e in data.unidentified_essms if e.row_number],
        location=data.structures.header_location.to_dict(),
    )


def size_hit(basis: SizeBasis, call_excluded: int = 0) -> Hit | None:
    """GRP-03 on the count that remains once ``call_excluded`` more ESSMS are excluded
    (LOT-01). Bloquant only when even every row without FINESS would not reach the minimum;
    when they would, an alerte says what is known (the blank cells are GRP-01's)."""
    count = basis.counted - call_excluded
    if count >= basis.minimum:
        return None
    scope = " (projet en Corse ou outre-mer)" if basis.island else ""
    location = Location.from_dict(basis.location) if basis.location else None
    excluded = dict(basis.excluded)
    if call_excluded:
        excluded["LOT-01"] = excluded.get("LOT-01", 0) + call_excluded
    if count + basis.unidentified >= basis.minimum:
        many = basis.unidentified > 1
        rows = (
            f" (ligne{'s' if len(basis.blank_rows) > 1 else ''} {', '.join(basis.blank_rows)})"
            if basis.blank_rows
            else ""
        )
        blank = (
            f"{basis.unidentified} lignes de la liste n'ont pas de FINESS{rows}. Avec elles"
            if many
            else f"une ligne de la liste n'a pas de FINESS{rows}. Avec elle"
        )
        return Hit(
            message=(
                f"La grappe compte {count} ESSMS éligibles identifiés par leur FINESS ; {blank}, elle "
                f"atteindrait le minimum de {basis.minimum} ESSMS{scope} : la taille de la grappe sera vérifiée "
                "une fois le FINESS fourni (voir GRP-01)."
            ),
            expected=f"au moins {basis.minimum} ESSMS identifiés",
            found=f"{count} ESSMS identifiés, {basis.unidentified} ligne{'s' if many else ''} sans FINESS",
            location=location,
            severity=Severity.ALERTE,
        )
    removed = sum(excluded.values())
    detail = ""
    if removed:
        rules = ", ".join(sorted(excluded))
        detail = (
            f" ({basis.listed} listés, dont {removed} exclu{'s' if removed > 1 else ''} du décompte : voir {rules})"
        )
    return Hit(
        message=(
            f"La grappe compte {count} ESSMS éligibles distincts{detail} ; l'appel exige au moins "
            f"{basis.minimum} ESSMS{scope}. Le dossier ne peut pas être financé en l'état."
        ),
        expected=f"au moins {basis.minimum} ESSMS",
        found=f"{count} ESSMS",
        location=location,
    )
