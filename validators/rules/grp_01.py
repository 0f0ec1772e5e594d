"""GRP-01 — FINESS ET and EJ are well formed (check key)."""

from __future__ import annotations

from collections.abc import Iterator

from core.lazy import lazy_module
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.finess import finess_problem, is_valid_finess, normalize_finess
from validators.messages import FIELD_LABELS, essms_label_for_row
from validators.registry import Hit, rule
from validators.table_checks import Failure

# Imported when a dossier's tables are checked, not when the rules are listed.
pa = lazy_module("pandera.pandas")
pd = lazy_module("pandas")

EXPECTED = "9 caractères, préfixe département (2A/2B pour la Corse), clé de contrôle valide"


def _valid_or_blank(series: pd.Series) -> pd.Series:
    return series.map(lambda v: v is None or (isinstance(v, float) and pd.isna(v)) or is_valid_finess(v))


def well_formed(config: ConfigView, columns: frozenset[str]) -> dict[str, list[pa.Check]]:
    """Structures list: each FINESS ET and EJ given is well formed (a blank FINESS ET is
    asked for by the check itself, with what depends on it)."""
    return {
        "finess_et": [pa.Check(lambda d: _valid_or_blank(d["finess_et"]))],
        "finess_ej": [pa.Check(lambda d: _valid_or_blank(d["finess_ej"]))],
    }


@rule("GRP-01", severity="a_corriger", params=(), checks={"structures": well_formed})
def check(data: DossierData, config: ConfigView, failures: list[Failure]) -> Iterator[Hit]:
    """Numéro FINESS invalide

    Chaque FINESS ET et FINESS EJ de la liste des structures, et le FINESS EJ du porteur,
    est bien formé : 9 caractères, département en tête (2A/2B en Corse, 97x outre-mer, 98
    Mayotte) et clé de contrôle (Luhn sur les 9 caractères, 2A lu 21 et 2B lu 22). Un zéro
    initial perdu dans une cellule numérique est rétabli avant le contrôle. Un FINESS ET laissé
    vide est demandé ici (à corriger) : l'ESSMS n'est alors ni exclu ni compté, et les règles
    de taille et de canal ne décident pas sur ce compte incomplet (GRP-03, GRP-04).

    Source : Répertoire FINESS (documentation SNDS de la table des établissements) : 9 caractères, les deux premiers
    donnant le département (2A et 2B en Corse, 97x et 98 outre-mer) ; clé de contrôle au 9e caractère, vérifiée par
    l'algorithme de Luhn avec 2A lu 21 et 2B lu 22 (aucune spécification officielle publiée)

    Action : Corriger le numéro FINESS indiqué (9 caractères, à vérifier dans le répertoire FINESS).

    Exemple : Le FINESS ET « 690012347 » de EHPAD Les Glycines (FINESS 690012347) est invalide : clé de contrôle
    incorrecte.
    """
    reported = []
    for failure in failures:
        cell = failure.row.get(failure.column)
        raw = cell.text if cell else ""
        if not raw and failure.column == "finess_et":
            continue  # a blank FINESS ET: said below, with what depends on it
        reason = finess_problem(normalize_finess(cell.raw) if cell else "")
        label = FIELD_LABELS[failure.column]
        reported.append(failure.location())
        yield Hit(
            message=(
                f"Le {label} « {raw or '(vide)'} » de {essms_label_for_row(data, failure.row)} est invalide : {reason}."
            ),
            expected=EXPECTED,
            found=raw or "(vide)",
            location=failure.location(),
        )
    for essms in data.essms:
        if essms.identified or essms.finess_cell.location in reported:
            continue
        yield Hit(
            message=(
                f"Le FINESS ET de {essms.label} n'est pas renseigné dans la liste des structures : sans lui, "
                "l'ESSMS ne peut être ni compté dans la grappe ni financé. Indiquer son FINESS géographique."
            ),
            expected=EXPECTED,
            found="(vide)",
            location=essms.finess_cell.location,
        )
    if data.form is not None:
        cell = data.form.get("porteur.finess_ej")
        if cell is not None and cell.text:
            reason = finess_problem(normalize_finess(cell.raw))
            if reason:
                yield Hit(
                    message=f"Le FINESS EJ du porteur « {cell.text} » saisi dans le formulaire est invalide : {reason}.",
                    expected=EXPECTED,
                    found=cell.text,
                    location=cell.location,
                )
