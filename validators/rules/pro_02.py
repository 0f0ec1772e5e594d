"""PRO-02 — governance names a project lead and a steering committee."""

from __future__ import annotations

from collections.abc import Iterator

from core.models import DocumentKind
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.prose import Passage, find_passage, iter_passages, people, prose_of
from validators.registry import Hit, rule


@rule("PRO-02", severity="a_corriger", params=("prose.lead_words", "prose.committee_words"))
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Gouvernance sans chef de projet ou comité de pilotage

    La section de gouvernance nomme un chef de projet (une personne, reconnue par l'analyse
    du français, dans l'un des passages qui mentionnent le chef de projet ou juste à côté) et décrit un comité de
    pilotage. Chaque constat cite le passage examiné.

    Source : CNSA, « Obtenir une aide à l'investissement numérique »
    (https://www.cnsa.fr/grands-chantiers/programme-esms-numerique/obtenir-une-aide-a-linvestissement-numerique) :
    document type « gouvernance du projet »

    Action : Nommer le chef de projet et décrire le comité de pilotage (composition, rythme des réunions).

    Exemple : La gouvernance mentionne un chef de projet sans le nommer : « Un chef de projet sera recruté pour piloter
    le déploiement. » (projet.docx, paragraphe 3). Indiquer son nom et sa fonction.
    """
    prose = prose_of(data.sections(DocumentKind.GOUVERNANCE))
    if prose is None:
        return
    blocks, location = prose
    mentions = list(iter_passages(blocks, config.prose.lead_words.value))
    lead = mentions[0] if mentions else None
    if lead is None:
        yield Hit(
            message="La gouvernance ne désigne pas de chef de projet : indiquer qui pilote le projet (nom et fonction).",
            expected="un chef de projet nommé",
            found="aucune mention d'un chef de projet",
            location=location,
        )
    else:
        if not any(people(_around(blocks, mention)) for mention in mentions):
            yield Hit(
                message=(
                    f"La gouvernance mentionne un chef de projet sans le nommer : « {lead.quote()} » "
                    f"({lead.block.location.describe()}). Indiquer son nom et sa fonction."
                ),
                expected="le nom du chef de projet",
                found=lead.quote(),
                location=lead.block.location,
            )
    if find_passage(blocks, config.prose.committee_words.value) is None:
        yield Hit(
            message=(
                "La gouvernance ne décrit pas de comité de pilotage : préciser sa composition et le rythme de "
                "ses réunions."
            ),
            expected="un comité de pilotage",
            found="aucune mention d'un comité de pilotage",
            location=location,
        )


def _around(blocks, passage: Passage) -> str:
    """The passage and its neighbours: a name often sits in the next sentence or line."""
    index = blocks.index(passage.block)
    return "\n".join(b.text for b in blocks[max(0, index - 1) : index + 2])
