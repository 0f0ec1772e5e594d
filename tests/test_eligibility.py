"""Categories read as a reviewer reads them (GRP-06): code, acronym, acronym in brackets, or
the category written in full words — recognised by the initials of its meaningful words or a
close spelling of a known wording (``extractors.categories``), not by adding each owner's wording
to the reference."""

from __future__ import annotations

import pytest

from core.config import load_call
from extractors.values import fold
from validators.eligibility import assess
from validators.reference import category_of, reference


@pytest.mark.parametrize(
    "text, code",
    [
        ("Service d'accompagnement médico-social pour adultes handicapés", "445"),  # SAMSAH
        ("Service d’Accompagnement Médico-Social pour Adultes Handicapés (SAMSAH)", "445"),
        ("Institut médico-éducatif", "183"),
        ("Centre d'action médico-sociale précoce", "190"),
        ("Service polyvalent d'aide et de soins à domicile", "209"),
        ("Etablissement d'hebergement pour personne agee dependante", "500"),  # singular, no accents
        ("Établissement d'hébergement pour personnes âgées dépendantes", "500"),
        ("Etablissement d'hébergement pour personnes âgées dépendantes (EHPAD)", "500"),
        ("Unité de soins de longue durée", "362"),
        ("Maison d'enfants à caractère social", "177"),
        ("Service de soins infirmiers à domicile", "354"),
        ("Service d'éducation spéciale et de soins à domicile", "182"),
        ("Foyer d'accueil médicalisé pour adultes handicapés", "437"),
        ("Etablissement d'accueil médicalisé en tout ou partie pour personnes handicapées", "448"),
        ("Etablissement d'accueil non médicalisé pour personnes handicapées", "449"),
        ("Institut thérapeutique, éducatif et pédagogique", "186"),
    ],
)
def test_categories_in_full_words(text, code):
    found = category_of(text)
    assert found is not None and found.code == code


def test_a_vague_category_is_not_guessed():
    assert category_of("Service de soins") is None
    assert category_of("Établissement d'accueil") is None


def test_the_matcher_does_not_need_the_wording_in_the_reference():
    # the SAMSAH's full wording is not an alias of the reference: the matcher finds it
    wording = "Service d'accompagnement médico-social pour adultes handicapés"
    assert fold(wording) not in reference().aliases
    assert category_of(wording).code == "445"


@pytest.mark.parametrize("text", ["Plateforme de répit", "Le Mas des Oliviers", "Accueil de jour", "Divers"])
def test_unknown_wordings_stay_unknown(text):
    assert category_of(text) is None


def test_a_category_in_full_words_is_eligible_and_a_blank_finess_does_not_exclude():
    config = load_call("ars-ara-2022-regional")
    verdict = assess("", "Service d'accompagnement médico-social pour adultes handicapés", config)
    assert verdict.eligible and verdict.known and verdict.reason is None
    assert not assess("690000000", "Unité de soins de longue durée", config).eligible
