"""COH-02 — the owner manages a listed ESSMS, or is a GCSMS of them."""

from __future__ import annotations

from collections.abc import Iterator

from extractors.values import fold
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.finess import normalize_finess
from validators.registry import Hit, rule

GROUPING_WORDS = ("gcsms", "groupement de cooperation", "gcs ")


@rule("COH-02", severity="a_corriger", params=())
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Porteur sans lien avec la grappe

    Le porteur (FINESS EJ du formulaire) est l'organisme gestionnaire d'au moins un ESSMS de
    la liste, ou un groupement de coopération (GCSMS) de ces organismes.

    Source : ARS Grand Est, « Point d'avancement du programme ESMS Numérique en Grand Est »
    (https://www.grand-est.ars.sante.fr/point-davancement-du-programme-esms-numerique-en-grand-est) : les organismes
    gestionnaires et les GCSMS (3° de l'article L.312-7 du CASF) portent les projets

    Action : Justifier le lien entre le porteur et les ESSMS de la grappe (gestionnaire d'au moins un ESSMS, GCSMS ou
    convention de groupement).

    Exemple : Le porteur (FINESS EJ 690000990, « Association Horizon ») ne gère aucun des ESSMS listés et n'est pas un
    GCSMS : préciser le lien entre le porteur et la grappe (convention, mandat).
    """
    if data.form is None or data.structures is None:
        return
    cell = data.form.get("porteur.finess_ej")
    if cell is None or not cell.text:
        return
    porteur = normalize_finess(cell.raw)
    name = str(data.form.raw("porteur.raison_sociale") or "")
    if any(w in f" {fold(name)} " for w in GROUPING_WORDS):
        return
    if "finess_ej" not in data.structures.columns:
        return  # the list does not say who manages what: nothing to compare
    if porteur in {e.finess_ej for e in data.distinct_essms}:
        return
    yield Hit(
        message=(
            f"Le porteur (FINESS EJ {porteur}, « {name or 'raison sociale non renseignée'} ») ne gère aucun des "
            "ESSMS listés et n'est pas un GCSMS : préciser le lien entre le porteur et la grappe "
            "(convention, mandat)."
        ),
        expected="un FINESS EJ gestionnaire d'au moins un ESSMS listé, ou un GCSMS",
        found=f"FINESS EJ {porteur}",
        location=cell.location,
    )
