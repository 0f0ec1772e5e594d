"""BUD-05 — equipment aid only for small organismes gestionnaires, within its ceiling."""

from __future__ import annotations

from collections.abc import Iterator

from core import french
from core.french import euros
from core.lazy import lazy_module
from core.models import Severity
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.finess import normalize_finess
from validators.messages import essms_label_for_row
from validators.registry import Hit, rule
from validators.table_checks import Failure, blank_or

# Imported when a dossier's tables are checked, not when the rules are listed.
pa = lazy_module("pandera.pandas")


def equipment_conditions(config: ConfigView, columns: frozenset[str]) -> dict[str, list[pa.Check]]:
    """Per-ESSMS budget: equipment aid (beyond the rounding tolerance) only for an ESSMS of a
    small organisme gestionnaire, and within the per-establishment ceiling."""
    if "equipement" not in columns:
        return {}
    tolerance = config.funding.amount_tolerance.value
    ceiling = config.funding.equipment_ceiling.value
    return {
        "equipement": [
            blank_or(
                "equipement",
                lambda d: (d["equipement"] <= tolerance) | (d["small_og"] & (d["equipement"] <= ceiling + tolerance)),
            )
        ]
    }


@rule(
    "BUD-05",
    severity="a_corriger",
    params=("funding.equipment_ceiling", "funding.small_og_max_sites", "funding.amount_tolerance"),
    checks={"budget_essms": equipment_conditions},
)
def check(data: DossierData, config: ConfigView, failures: list[Failure]) -> Iterator[Hit]:
    """Aide à l'équipement hors conditions

    L'aide à l'équipement et à l'infrastructure n'est demandée que pour les ESSMS d'un
    organisme gestionnaire de petite taille (moins de sites que le seuil de l'appel : « les
    organismes gestionnaires qui compteraient moins de 15 sites », appels régionaux 2022 et
    2023) et reste dans le plafond par établissement.

    Les sites de l'organisme gestionnaire se comptent dans le répertoire FINESS : tous les
    établissements (FINESS ET) de son entité juridique (le FINESS EJ de la liste, à défaut celui
    que le répertoire donne à ses ESSMS), et jamais moins que ses ESSMS de la liste. Sans
    extraction FINESS chargée, ou pour une entité que le répertoire ne connaît pas, seuls les
    ESSMS de la liste sont comptés : un organisme qui gère d'autres sites hors de la grappe
    paraîtrait petit. Le dossier n'en est pas refusé (une donnée manquante n'est jamais un
    rejet) : une alerte dit que la taille n'a pas été vérifiée, pour que l'instructeur la
    contrôle dans FINESS avant d'accorder l'aide.

    Source : CNSA, « Obtenir une aide à l'investissement numérique »
    (https://www.cnsa.fr/grands-chantiers/programme-esms-numerique/obtenir-une-aide-a-linvestissement-numerique) : aide
    à l'équipement des organismes gestionnaires de petite taille (20 000 € par établissement en 2022) ; instruction
    n° DNS/DGCS/CNSA/2024/15 du 1er février 2024 : au plus 10 000 € par ESSMS ; ARS Grand Est, « Point d'avancement du
    programme ESMS Numérique en Grand Est »
    (https://www.grand-est.ars.sante.fr/point-davancement-du-programme-esms-numerique-en-grand-est) : organismes de
    moins de 15 sites

    Action : Retirer l'aide à l'équipement demandée, ou la ramener dans les conditions et le plafond de l'appel.

    Action (alerte) : Vérifier dans le répertoire FINESS que l'organisme gestionnaire compte moins de sites que le seuil
    de l'appel avant d'accorder l'aide à l'équipement.

    Exemple : Le budget demande 25 000 € d'aide à l'équipement pour IME Le Clos Fleuri (FINESS 380001234) ; le plafond
    de l'appel est 20 000 € par établissement.
    """
    ceiling = config.funding.equipment_ceiling.value
    threshold = config.funding.small_og_max_sites.value
    frame = data.budget_frame
    failed = {failure.index for failure in failures}
    for failure in failures:
        small = bool(frame.df.iloc[failure.index]["small_og"]) if frame is not None else True
        label = essms_label_for_row(data, failure.row)
        if small:
            message = (
                f"Le budget demande {euros(failure.value)} d'aide à l'équipement pour {label} ; le plafond de "
                f"l'appel est {euros(ceiling)} par établissement."
            )
            expected = f"au plus {euros(ceiling)}"
        else:
            message = (
                f"Le budget demande {euros(failure.value)} d'aide à l'équipement pour {label}, dont "
                f"l'organisme gestionnaire compte {_size_of(data, failure.row, threshold)} : l'aide est "
                "réservée aux organismes gestionnaires de petite taille."
            )
            expected = f"0 € (organisme gestionnaire de {threshold} sites ou plus)"
        yield Hit(message=message, expected=expected, found=euros(failure.value), location=failure.location())
    if data.repository is None and frame is not None:
        yield from _unverified_sizes(data, config, frame, failed)


def _size_of(data: DossierData, row, threshold: int) -> str:
    """« 17 établissements dans le répertoire FINESS (entité juridique 690000017), dont 3 dans la
    grappe » or « au moins 15 ESSMS dans la grappe »."""
    listed = _listed_essms(data, row)
    size = data.og_sizes.get(listed.og_key) if listed is not None else None
    if size is not None and size.registered is not None and size.registered >= size.listed:
        return (
            f"{french.count(size.registered, 'établissement', 'établissements')} dans le répertoire FINESS "
            f"(entité juridique {size.finess_ej}), dont {size.listed} dans la grappe"
        )
    count = size.listed if size is not None else threshold
    return f"{french.count(count, 'ESSMS', 'ESSMS')} dans la grappe (au moins {threshold})"


def _listed_essms(data: DossierData, row):
    cell = row.get("finess_et")
    finess = normalize_finess(cell.raw) if cell else ""
    return data.essms_by_finess().get(finess)


def _unverified_sizes(data: DossierData, config: ConfigView, frame, failed: set[int]) -> Iterator[Hit]:
    """One alerte for the dossier when equipment aid is asked for ESSMS judged small on the
    list alone (no FINESS extract loaded)."""
    tolerance = config.funding.amount_tolerance.value
    threshold = config.funding.small_og_max_sites.value
    asked = []
    for index, row in enumerate(frame.rows):
        amount = frame.df.iloc[index].get("equipement") if "equipement" in frame.df.columns else None
        if index in failed or amount is None or amount != amount or amount <= tolerance:
            continue
        if bool(frame.df.iloc[index]["small_og"]):
            asked.append((row, amount))
    if not asked:
        return
    row, amount = asked[0]
    cell = row.get("equipement")
    others = f" et {french.count(len(asked) - 1, 'autre ESSMS', 'autres ESSMS')}" if len(asked) > 1 else ""
    yield Hit(
        message=(
            f"Le budget demande {euros(amount)} d'aide à l'équipement pour {essms_label_for_row(data, row)}{others} : "
            f"aucune extraction du répertoire FINESS n'était chargée, la taille de l'organisme gestionnaire "
            f"(moins de {threshold} sites) n'est comptée que sur les ESSMS de la grappe. Vérifier dans FINESS "
            "le nombre d'établissements de son entité juridique (« esmsnum finess importer »)."
        ),
        expected=f"un organisme gestionnaire de moins de {threshold} sites selon le répertoire FINESS",
        found="taille non vérifiée (répertoire FINESS non chargé)",
        location=cell.location if cell is not None else row.location,
        severity=Severity.ALERTE,
    )
