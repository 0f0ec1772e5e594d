"""BUD-07 — total requested equals the online form's montant_demande."""

from __future__ import annotations

from collections.abc import Iterator

from core.french import euros
from extractors.values import parse_amount
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.figures import amount_requested
from validators.registry import Hit, rule


@rule("BUD-07", severity="a_corriger", params=("funding.amount_tolerance",))
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Montant du formulaire différent du budget

    Le montant total demandé dans le formulaire en ligne (montant_demande) est égal au
    financement demandé par le budget détaillé (somme recalculée des postes de dépense, à
    défaut des totaux par ESSMS), à la tolérance d'arrondi de l'appel près.

    Source : dossier-format.md : le formulaire fait foi pour le porteur, les pièces pour le montant demandé

    Action : Mettre en cohérence le montant demandé dans le formulaire en ligne et le budget détaillé.

    Exemple : Le formulaire en ligne demande 222 500 € alors que le budget détaillé totalise 212 500 € de financement
    demandé (écart 10 000 €). Mettre le formulaire et le budget en cohérence.
    """
    if data.form is None:
        return
    cell = data.form.get("montant_demande")
    budget_total = amount_requested(data)
    if cell is None or cell.raw is None or budget_total is None:
        return
    declared = parse_amount(cell.raw)
    if declared.problem:
        yield Hit(
            message=f"Le montant demandé saisi dans le formulaire est illisible : {declared.problem}.",
            expected=euros(budget_total),
            found=cell.text,
            location=cell.location,
        )
        return
    if abs(declared.value - budget_total) > config.funding.amount_tolerance.value:
        yield Hit(
            message=(
                f"Le formulaire en ligne demande {euros(declared.value)} alors que le budget détaillé totalise "
                f"{euros(budget_total)} de financement demandé (écart {euros(declared.value - budget_total)}). "
                "Mettre le formulaire et le budget en cohérence."
            ),
            expected=f"{euros(budget_total)} (budget détaillé)",
            found=euros(declared.value),
            location=cell.location,
        )
