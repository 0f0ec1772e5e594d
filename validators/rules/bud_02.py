"""BUD-02 — totals equal the sum of their lines."""

from __future__ import annotations

from collections.abc import Iterator

from core.french import euros
from core.lazy import lazy_module
from extractors.tables import Row, Table, is_subtotal
from extractors.values import parse_amount
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.messages import FIELD_LABELS, essms_label_for_row
from validators.registry import Hit, rule
from validators.schemas import AMOUNT_COLUMNS, FORFAIT_COLUMNS, LINE_AMOUNT_COLUMNS
from validators.table_checks import Failure, blank_or

# Imported when a dossier's tables are checked, not when the rules are listed.
pa = lazy_module("pandera.pandas")


def essms_totals(config: ConfigView, columns: frozenset[str]) -> dict[str, list[pa.Check]]:
    """Per-ESSMS budget: each row's total is the sum of its forfaits (rows with an unreadable
    forfait are left to BUD-01)."""
    parts = [c for c in FORFAIT_COLUMNS if c in columns]
    if "total_essms" not in columns or not parts:
        return {}
    tolerance = config.funding.amount_tolerance.value
    return {
        "total_essms": [
            blank_or(
                "total_essms",
                lambda d: (
                    d[[f"{c}__problem" for c in parts]].notna().any(axis=1)
                    | ((d[parts].fillna(0).sum(axis=1) - d["total_essms"]).abs() <= tolerance)
                ),
            )
        ]
    }


@rule("BUD-02", severity="a_corriger", params=("funding.amount_tolerance",), checks={"budget_essms": essms_totals})
def check(data: DossierData, config: ConfigView, failures: list[Failure]) -> Iterator[Hit]:
    """Total différent de la somme des lignes

    Chaque total du budget est égal à la somme de ses lignes, recalculée : total par ESSMS
    (somme des forfaits de la ligne) et lignes « Total » des tableaux (somme de la colonne ; un
    « Sous-total » somme les lignes depuis le sous-total précédent).
    Un total écrit qui diffère de plus de la tolérance de l'appel révèle une formule périmée
    ou une erreur de saisie.

    Source : documents.md § Budget : les formules sont fréquentes ; recalculer les sommes

    Action : Corriger le total ou les lignes du budget pour que chaque total soit égal à la somme de ses lignes.

    Exemple : La ligne « Total » du financement par ESSMS indique 115 500 € de forfait de maîtrise d'ouvrage, mais la
    somme des 17 lignes est 119 000 € (écart -3 500 €). Corriger le total ou les lignes.
    """
    tolerance = config.funding.amount_tolerance.value
    for failure in failures:
        row = failure.row
        parts = sum(parse_amount(row.get(c).raw).value or 0.0 for c in FORFAIT_COLUMNS if row.get(c) is not None)
        yield Hit(
            message=(
                f"Le total indiqué pour {essms_label_for_row(data, row)} ({euros(failure.value)}) "
                f"n'est pas la somme de ses forfaits ({euros(parts)})."
            ),
            expected=euros(parts),
            found=euros(failure.value),
            location=failure.location(),
        )
    if data.budget_essms is not None:
        yield from _column_totals(data.budget_essms, AMOUNT_COLUMNS, tolerance, "du financement par ESSMS")
    if data.budget_lines is not None:
        yield from _column_totals(data.budget_lines, LINE_AMOUNT_COLUMNS, tolerance, "des postes de dépense")


def _column_totals(table: Table, columns: tuple[str, ...], tolerance: float, what: str) -> Iterator[Hit]:
    for total_row in table.total_rows:
        for column in columns:
            cell = total_row.get(column)
            if cell is None or column not in table.columns:
                continue
            written = parse_amount(cell.raw).value
            if written is None:
                continue
            lines = [
                parse_amount(r.get(column).raw).value
                for r in _summed_rows(table, total_row)
                if r.get(column) is not None
            ]
            computed = sum(v for v in lines if v is not None)
            if abs(computed - written) > tolerance:
                yield Hit(
                    message=(
                        f"La ligne « {total_row.label} » {what} indique {euros(written)} de "
                        f"{FIELD_LABELS[column]}, mais la somme des {len(lines)} lignes est {euros(computed)} "
                        f"(écart {euros(written - computed)}). Corriger le total ou les lignes."
                    ),
                    expected=euros(computed),
                    found=euros(written),
                    location=cell.location,
                )


def _summed_rows(table: Table, total_row: Row) -> list[Row]:
    """A subtotal sums the rows since the previous subtotal; a total sums every line."""
    if not is_subtotal(total_row.label):
        return table.rows
    previous = max(
        (t.position for t in table.total_rows if t.position < total_row.position and is_subtotal(t.label)),
        default=-1,
    )
    return [r for r in table.rows if previous < r.position < total_row.position]
