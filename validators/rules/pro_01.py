"""PRO-01 — each prose section exists and is substantive."""

from __future__ import annotations

from collections.abc import Iterator

from validators.config_view import ConfigView
from validators.context import DossierData
from validators.prose import (
    PROSE_KINDS,
    Passage,
    contains_any,
    find_passage,
    french_ratio,
    prose_of,
    words,
)
from validators.registry import Hit, rule

MIN_FRENCH_RATIO = 0.15


@rule("PRO-01", severity="a_corriger", params=("prose.min_words", "prose.placeholders", "documents.required"))
def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
    """Section de texte insuffisante

    Chaque section exigée (gouvernance, stratégie de déploiement, conduite du changement)
    qui est présente est substantielle : assez longue, rédigée en français, sans texte de
    gabarit (« lorem ipsum », « à compléter », « XXX »). Une section absente relève de PIE-01.
    Chaque constat cite le passage sur lequel il repose.

    Source : CNSA, « Obtenir une aide à l'investissement numérique »
    (https://www.cnsa.fr/grands-chantiers/programme-esms-numerique/obtenir-une-aide-a-linvestissement-numerique) :
    documents types de gouvernance, de stratégie de déploiement et de conduite du changement

    Action : Rédiger la section concernée de façon complète et propre au projet, sans texte de gabarit.

    Exemple : La section « gouvernance du projet » (projet.docx, paragraphe 4) ne compte que 23 mots ; l'appel en attend
    au moins 60 : décrire le comité de pilotage, le chef de projet et les référents.
    """
    minimum = config.prose.min_words.value
    required = set(config.documents.required.value)
    for kind in PROSE_KINDS:
        prose = prose_of(data.sections(kind))
        if kind not in required or prose is None:
            continue
        blocks, location = prose
        text = "\n".join(b.text for b in blocks)
        count = len(words(text))
        template = find_passage(blocks, config.prose.placeholders.value)
        if template is not None:
            placeholder = contains_any(template.text, config.prose.placeholders.value)
            yield Hit(
                message=(
                    f"La section « {kind.label} » contient un texte de gabarit non rempli (« {placeholder} ») : "
                    f"« {template.quote()} ». Rédiger cette partie."
                ),
                expected="un texte propre au projet",
                found=template.quote(),
                location=template.block.location,
            )
        if count < minimum:
            yield Hit(
                message=(
                    f"La section « {kind.label} » ({location.describe() if location else 'emplacement inconnu'}) "
                    f"ne compte que {count} mots ; l'appel en attend au moins {minimum}."
                ),
                expected=f"au moins {minimum} mots",
                found=f"{count} mots",
                location=location,
            )
        elif french_ratio(text) < MIN_FRENCH_RATIO:
            yield Hit(
                message=f"La section « {kind.label} » ne semble pas rédigée en français.",
                expected="un texte en français",
                found=Passage(text, blocks[0]).quote(),
                location=location,
            )
