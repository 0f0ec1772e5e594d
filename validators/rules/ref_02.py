"""REF-02 — the category the list declares is the one the FINESS repository records."""

from __future__ import annotations

from collections.abc import Iterator

from validators.config_view import ConfigView
from validators.context import DossierData
from validators.eligibility import registered_category
from validators.messages import category_text, declared_category, repository_label
from validators.reference import category_of
from validators.registry import Hit, rule


@rule("REF-02", severity="alerte", params=())
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Catégorie différente de celle du répertoire FINESS

    Avec une extraction du répertoire FINESS chargée, la catégorie d'établissement déclarée
    dans la liste des structures est comparée à celle que le répertoire enregistre pour le
    FINESS ET. C'est la catégorie du répertoire qui décide de l'éligibilité (GRP-06) et du
    secteur. Quand elle rend l'ESSMS inéligible (un centre hospitalier déclaré « EHPAD »), le
    constat d'exclusion de GRP-06 montre les deux catégories et celui-ci n'est pas répété ;
    sinon, l'écart est signalé en alerte et l'ESSMS reste compté selon le répertoire.

    Source : Répertoire FINESS, extraction publiée sur data.gouv.fr : la catégorie d'établissement (categetab)
    enregistrée fait foi pour l'éligibilité ; CNSA, « Réponses aux questions fréquentes sur ESMS numérique » (cnsa.fr,
    mise à jour du 3 février 2023)

    Action : Vérifier la catégorie de l'ESSMS et, si le répertoire FINESS n'est pas à jour, le signaler à l'ARS avec le
    justificatif (autorisation).

    Exemple : La liste indique pour FAM Les Sources (FINESS 380781234) la catégorie « FAM » (catégorie 437) ; le
    répertoire FINESS (extraction du 11/03/2026) l'enregistre comme Etablissement d'accueil médicalisé en tout ou partie
    personnes handicapées (catégorie 448). L'éligibilité et le secteur sont établis d'après le répertoire : l'ESSMS
    reste compté.
    """
    if data.repository is None or data.structures is None:
        return
    for essms in data.distinct_essms:
        record = essms.registered
        if record is None or not essms.category or not essms.eligible:
            continue
        declared = category_of(essms.category)
        official = registered_category(record)
        if official is None or (declared is not None and declared.code == official.code):
            continue
        said = declared_category(essms.category)
        registered = category_text(record.category, record.category_label)
        cell = essms.row.get("categorie") or essms.finess_cell
        yield Hit(
            message=(
                f"La liste indique pour {essms.label} la catégorie {said} ; le {repository_label(data)} "
                f"l'enregistre comme {registered}. L'éligibilité et le secteur sont établis d'après le "
                "répertoire : l'ESSMS reste compté."
            ),
            expected=f"la catégorie du répertoire FINESS : {registered}",
            found=f"catégorie déclarée {said}",
            location=cell.location,
        )
