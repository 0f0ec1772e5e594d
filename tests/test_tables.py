"""Header detection: below title rows, by synonyms, reordered, with totals; kinds told apart."""

from core.models import CellValue, ExtractedDocument, Grid, Location
from extractors.classify import classify
from extractors.tables import detect_header, find_tables


def grid(rows, name="Feuille1"):
    return Grid(
        name,
        [
            [CellValue(v, Location("f.xlsx", sheet=name, cell=f"{chr(65 + c)}{r + 1}")) for c, v in enumerate(row)]
            for r, row in enumerate(rows)
        ],
    )


def test_header_found_below_title_rows_with_synonyms_and_reordered_columns():
    g = grid(
        [
            ["Projet DUI — Grappe Isère Nord", None, None],
            [None, None, None],
            ["Annexe 3 : liste des structures", None, None],
            ["Nom de l'établissement", "Places autorisées", "N° FINESS établissement", "Catégorie FINESS"],
            ["EHPAD Les Tilleuls", 80, "010000016", "500"],
            ["IME Le Clos", 40, "690781810", "183"],
        ]
    )
    [table] = find_tables(g, "f.xlsx")
    assert table.kind == "structures"
    assert table.header_location.cell == "A4"
    assert table.rows[0].get("finess_et").raw == "010000016"
    assert table.rows[0].get("finess_et").location.cell == "C5"
    assert table.rows[1].get("capacite").raw == 40


def test_headers_match_without_accents_case_and_with_a_typo():
    kind, _, mapping, _ = detect_header(
        grid([["finess etablissement", "RAISON SOCIALE", "Categorie", "Capacite"]]).rows[0]
    )
    assert kind == "structures" and set(mapping) >= {"finess_et", "raison_sociale", "categorie", "capacite"}
    kind, _, mapping, _ = detect_header(grid([["Phase", "Date de début", "Date de fiin"]]).rows[0])
    assert kind == "planning" and {"date_debut", "date_fin"} <= set(mapping)


def test_budget_per_essms_is_not_mistaken_for_the_structures_list():
    g = grid(
        [
            ["FINESS ET", "Raison sociale", "Type de projet", "Forfait MOA", "Forfait éditeur", "Bonus Ségur", "Total"],
            ["010000016", "EHPAD A", "Acquisition", 7000, 12000, 2500, 21500],
            ["Total", None, None, 7000, 12000, 2500, 21500],
        ]
    )
    [table] = find_tables(g, "f.xlsx")
    assert table.kind == "budget_essms"
    assert len(table.rows) == 1 and len(table.total_rows) == 1
    assert table.total_rows[0].get("forfait_moa").location.cell == "D3"


def test_several_tables_in_one_sheet_and_blank_rows():
    g = grid(
        [
            ["Poste de dépense", "Montant TTC", "Financement demandé"],
            ["Maîtrise d'ouvrage", 10000, 7000],
            [None, None, None],
            ["Formation", 3000, 0],
            ["Total", 13000, 7000],
            [None, None, None],
            ["Phase", "Début", "Fin"],
            ["Cadrage", "01/10/2022", "31/12/2022"],
        ]
    )
    tables = find_tables(g, "f.xlsx")
    assert [t.kind for t in tables] == ["budget_lignes", "planning"]
    assert len(tables[0].rows) == 2 and tables[0].total_rows[0].label == "Total"
    assert tables[1].rows[0].get("phase").raw == "Cadrage"


def test_a_workbook_holds_several_kinds_and_prose_is_classified_by_headings():
    from core.models import TextBlock

    doc = ExtractedDocument(
        "dossier.xlsx",
        "0" * 64,
        "xlsx",
        grids=[
            grid([["FINESS ET", "Raison sociale", "Capacité"], ["010000016", "EHPAD", 10]], "Structures"),
            grid([["Phase", "Date de début", "Date de fin"], ["Cadrage", "01/10/2022", "31/12/2022"]], "Planning"),
        ],
    )
    prose = ExtractedDocument(
        "projet.pdf",
        "1" * 64,
        "pdf",
        text=[
            TextBlock("1. Gouvernance du projet", Location("projet.pdf", page=1)),
            TextBlock("Le comité de pilotage se réunit chaque mois.", Location("projet.pdf", page=1)),
            TextBlock("II - Stratégie de déploiement envisagée", Location("projet.pdf", page=2)),
            TextBlock("Trois vagues de déploiement.", Location("projet.pdf", page=2)),
            TextBlock("Plan de conduite du changement", Location("projet.pdf", page=3)),
            TextBlock("Formation des professionnels.", Location("projet.pdf", page=3)),
        ],
    )
    result = classify([doc, prose])
    kinds = {r.file: [p.kind.value for p in r.parts] for r in result.records}
    assert kinds["dossier.xlsx"] == ["structures", "planning"]
    assert kinds["projet.pdf"] == ["gouvernance", "strategie_deploiement", "conduite_changement"]
    [gov] = result.sections[result.records[1].parts[0].kind]
    assert gov.blocks[0].location.page == 1


def test_an_unnamed_column_that_reconciles_the_totals_becomes_the_missing_forfait():
    """No header names the vendor's forfait; the one amount column left reconciles each total:
    it is read as that forfait, and the checks see the forfait's column."""
    from validators.reconcile import reconcile_essms_totals

    rows = [
        ["FINESS ET", "Nom", "Forfait MOA", "Lot 2 (€)", "Bonus Ségur", "Total"],
        ["010001246", "EHPAD A", 7000, 12000, 2500, 21500],
        ["010001253", "EHPAD B", 7000, 9000, 2500, 18500],
        ["010001261", "SSIAD C", 6500, 11000, 2500, 20000],
    ]
    [table] = find_tables(grid(rows), "budget.xlsx")
    assert "forfait_editeur" not in table.columns
    [done] = reconcile_essms_totals(table, tolerance=1.0)
    assert done.field == "forfait_editeur" and "forfait_editeur" in table.columns
    assert [r.get("forfait_editeur").raw for r in table.rows] == [12000, 9000, 11000]
    assert reconcile_essms_totals(table, tolerance=1.0) == []  # once only


# --------------------------------------------------------------------------- issue #29


def test_a_turned_table_is_read_with_rows_and_columns_swapped_each_value_at_its_cell():
    from extractors.tables import find_document_tables

    g = grid(
        [
            ["Budget prévisionnel de l'action", None, None, None],
            ["Montants en milliers d'euros", None, None, None],
            ["Nature des charges prévues", "Maîtrise d'ouvrage", "Formation", "Total"],
            ["Montant total des charges", 120, 15, 135],
            ["Montant demandé à l'ARS", 100, 0, 100],
        ]
    )
    assert find_tables(g, "f.xlsx") == []  # no header row: nothing read the usual way
    [table] = find_document_tables([g], "f.xlsx")
    assert (table.kind, table.orientation) == ("budget_lignes", "colonnes")
    assert [r.get("poste").raw for r in table.rows] == ["Maîtrise d'ouvrage", "Formation"]
    moa = table.rows[0]
    assert moa.get("montant_ttc").raw == 120_000  # the unit said above the table applies
    assert moa.get("montant_ttc").location.cell == "B4"
    assert moa.get("financement_demande").location.cell == "B5"
    assert [r.label for r in table.total_rows] == ["Total"]


def test_a_gantt_chart_is_not_read_as_a_turned_planning():
    from extractors.tables import find_document_tables

    weeks = [f"S{n}" for n in range(39, 52)]
    g = grid(
        [
            ["Étapes", *weeks],
            ["Cadrage", 1, 1, 1, None, None, None, None, None, None, None, None, None, None],
            ["Paramétrage", None, None, None, 1, 1, 1, 1, None, None, None, None, None, None],
            ["Déploiement", None, None, None, None, None, None, None, 1, 1, 1, 1, 1, 1],
        ]
    )
    tables = find_document_tables([g], "f.xlsx")
    assert all(t.orientation == "lignes" for t in tables)


def _page_grid(page: int, rows: list[list]) -> Grid:
    return Grid(
        f"page {page}, tableau 1",
        [
            [CellValue(v, Location("c.pdf", page=page, table=1, row=r + 1, column=c + 1)) for c, v in enumerate(row)]
            for r, row in enumerate(rows)
        ],
    )


def test_a_printed_table_whose_header_repeats_on_the_next_page_is_one_table():
    from extractors.tables import find_document_tables

    header = ["N° FINESS (site)", "Nom de l'ESMS bénéficiaire", "Catégorie de l'ESMS"]
    first = _page_grid(3, [header, ["010000016", "EHPAD Les Tilleuls", "EHPAD"], ["690781810", "IME Le Clos", "IME"]])
    second = _page_grid(4, [header, ["380000026", "MAS Les Cèdres", "MAS"]])
    [table] = find_document_tables([first, second], "c.pdf")
    assert [r.get("finess_et").raw for r in table.rows] == ["010000016", "690781810", "380000026"]
    assert table.continued_in == ["page 4, tableau 1"]
    assert table.rows[2].get("finess_et").location.page == 4


def test_the_unit_said_in_the_paragraph_above_a_document_table_applies_to_it(tmp_path):
    import docx

    from core.limits import Limits
    from extractors.read_docx import read_docx
    from extractors.tables import find_document_tables

    document = docx.Document()
    document.add_paragraph("Budget prévisionnel de l'action")
    document.add_paragraph("Montants en milliers d'euros")
    table = document.add_table(rows=2, cols=3)
    for j, text in enumerate(["Poste de dépense", "Coût total TTC", "Montant sollicité"]):
        table.rows[0].cells[j].text = text
    for j, text in enumerate(["Maîtrise d'ouvrage", "120", "100"]):
        table.rows[1].cells[j].text = text
    path = tmp_path / "budget.docx"
    document.save(path)
    doc = ExtractedDocument("budget.docx", "0" * 64, "docx")
    read_docx(path, doc, Limits())
    [found] = find_document_tables(doc.grids, "budget.docx")
    assert found.kind == "budget_lignes"
    assert found.rows[0].get("montant_ttc").raw == 120_000


def test_dates_written_with_the_month_in_words():
    import datetime as dt

    from extractors.values import parse_date

    assert parse_date("1er mars 2025").value == dt.date(2025, 3, 1)
    assert parse_date("15 avril 2025").value == dt.date(2025, 4, 15)
    assert parse_date("lundi 3 févr. 2025").value == dt.date(2025, 2, 3)
    assert parse_date("31 février 2025").value is None  # an impossible date is said, not guessed
    assert parse_date("12 pommes 2025").value is None
