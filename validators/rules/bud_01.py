"""BUD-01 — amounts are readable numbers ≥ 0."""

from __future__ import annotations

from collections.abc import Iterator

from core.lazy import lazy_module
from extractors.values import parse_amount
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.messages import FIELD_LABELS, essms_label_for_row
from validators.registry import Hit, rule
from validators.schemas import AMOUNT_COLUMNS, LINE_AMOUNT_COLUMNS
from validators.table_checks import Failure, blank_or

# Imported when a dossier's tables are checked, not when the rules are listed.
pa = lazy_module("pandera.pandas")

EXPECTED = "un montant positif en euros (ex. 12 000,00 €)"


def readable_amounts(config: ConfigView, columns: frozenset[str]) -> dict[str, list[pa.Check]]:
    """Per-ESSMS budget: each amount the owner filled in is read without problem and is ≥ 0."""
    return {
        column: [
            pa.Check(lambda d, c=column: d[f"{c}__problem"].isna()),
            blank_or(column, lambda d, c=column: d[c] >= 0),
        ]
        for column in AMOUNT_COLUMNS
        if column in columns
    }


@rule("BUD-01", severity="a_corriger", params=(), checks={"budget_essms": readable_amounts})
def check(data: DossierData, config: ConfigView, failures: list[Failure]) -> Iterator[Hit]:
    """Montant illisible ou négatif

    Les montants du budget (par ESSMS et par poste de dépense) sont des nombres positifs ou
    nuls. Les montants saisis en texte (« 12 000,00 € », « 12 k€ ») sont lus ; un texte qui
    n'est pas un montant, ou dont les séparateurs sont ambigus, est signalé avec sa cellule.

    Source : Pratique d'instruction : chaque montant du budget doit être un nombre positif

    Action : Saisir dans la cellule indiquée un montant en euros, positif ou nul.

    Exemple : Le forfait de maîtrise d'ouvrage demandé pour EHPAD Les Tilleuls (FINESS 010000016) est illisible : « à
    préciser » n'est pas un montant lisible. Indiquer un montant en euros.
    """
    for failure in failures:
        cell = failure.row.get(failure.column)
        raw = cell.text if cell else ""
        parsed = parse_amount(cell.raw if cell else None)
        reason = parsed.problem or "montant négatif"
        yield Hit(
            message=(
                f"Le {FIELD_LABELS[failure.column]} demandé pour {essms_label_for_row(data, failure.row)} "
                f"est illisible : {reason}. Indiquer un montant en euros."
            ),
            expected=EXPECTED,
            found=raw,
            location=failure.location(),
        )
    lines = data.budget_lines
    if lines is None:
        return
    for row in lines.rows + lines.total_rows:
        for column in LINE_AMOUNT_COLUMNS:
            cell = row.get(column)
            if cell is None:
                continue
            parsed = parse_amount(cell.raw)
            if parsed.problem or (parsed.value is not None and parsed.value < 0):
                yield Hit(
                    message=(
                        f"Le {FIELD_LABELS[column]} du poste « {row.label or 'sans libellé'} » est illisible : "
                        f"{parsed.problem or 'montant négatif'}."
                    ),
                    expected=EXPECTED,
                    found=cell.text,
                    location=cell.location,
                )
