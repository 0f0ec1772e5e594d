"""French prose: people named (spaCy fr_core_news_sm), French or not, placeholders."""

from validators.prose import contains_any, french_ratio, people


def test_people_are_found_with_or_without_a_civility():
    assert people("Mme Claire Dubois, cheffe de projet, anime le comité.") == ["Mme Claire Dubois"]
    # no civility: spaCy's French model finds the person
    assert any("Jean Martin" in p for p in people("Le projet est piloté par Jean Martin depuis janvier."))
    assert people("Un chef de projet sera recruté en 2023.") == []


def test_french_is_told_from_english():
    french = "Le comité de pilotage se réunit chaque mois avec les directeurs des établissements de la grappe."
    english = "The steering committee meets every month with the directors of the facilities of the group."
    assert french_ratio(french) > 0.3 > 0.1 > french_ratio(english)


def test_phrases_match_without_accents_or_case():
    assert contains_any("Interopérabilité avec la MSSANTE et le DMP", ["MSSanté"]) == "MSSanté"
    assert contains_any("Texte À COMPLÉTER par le porteur", ["a completer"]) == "a completer"
    assert contains_any("aucune mention", ["DMP"]) is None
