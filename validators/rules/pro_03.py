"""PRO-03 — change management covers training and the usage targets."""

from __future__ import annotations

from collections.abc import Iterator

from core.models import DocumentKind
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.prose import find_passage, prose_of
from validators.registry import Hit, rule


@rule("PRO-03", severity="alerte", params=("prose.training_words", "prose.usage_words"))
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Conduite du changement sans formation ou cibles d'usage

    Le plan de conduite du changement traite de la formation des professionnels et des
    cibles d'usage (comment elles seront atteintes et mesurées).

    Source : Instruction n° DNS/CNSA/DGCS/2022/34 du 8 février 2022 : l'atteinte des cibles d'usage conditionne le
    versement

    Action : Décrire dans le plan de conduite du changement la formation des professionnels et la façon d'atteindre et
    de mesurer les cibles d'usage.

    Exemple : Le plan de conduite du changement ne traite pas des cibles d'usage : préciser comment elles seront
    atteintes et mesurées.
    """
    prose = prose_of(data.sections(DocumentKind.CONDUITE))
    if prose is None:
        return
    blocks, location = prose
    # each topic with its article contracted after « de » (de + les → des)
    for of_topic, phrases, ask in (
        ("de la formation des professionnels", config.prose.training_words.value, "décrire les formations prévues"),
        ("des cibles d'usage", config.prose.usage_words.value, "préciser comment elles seront atteintes et mesurées"),
    ):
        if find_passage(blocks, phrases) is None:
            yield Hit(
                message=f"Le plan de conduite du changement ne traite pas {of_topic} : {ask}.",
                expected=f"une mention {of_topic}",
                found="aucune mention",
                location=location,
            )
