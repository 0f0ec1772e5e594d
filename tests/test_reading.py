"""Reading tables the way a person does: headers worded as owners word them (none of them in
``extractors/headers.yaml``), the cells under a header deciding what it means, units said
once, nothing dropped silently.

The wordings below were written from the domain documents and from how French forms are
worded, not from the vocabulary: ``test_unseen_wordings_stay_out_of_the_vocabulary`` fails
if one of them is copied into it (the matcher must find them by their words).
"""

from __future__ import annotations

import pytest
import yaml
from openpyxl.utils import get_column_letter

from core.models import CellValue, Grid, Location
from extractors.tables import find_document_tables, find_tables
from extractors.values import fold
from extractors.vocabulary import HEADERS_FILE

FINESS = ["010000016", "690781810", "010000024", "010000032"]


def grid(rows, name="Feuille1", file="f.xlsx"):
    return Grid(
        name,
        [
            [
                CellValue(v, Location(file, sheet=name, cell=f"{get_column_letter(c + 1)}{r + 1}"))
                for c, v in enumerate(row)
            ]
            for r, row in enumerate(rows)
        ],
    )


def table_of(headers: list[str], body: list[list], title: str | None = None):
    rows = ([[title], []] if title else []) + [headers] + body
    tables = find_tables(grid(rows), "f.xlsx")
    assert tables, f"no table found under {headers}"
    return tables[0]


# --------------------------------------------------------------------------- the cases
# (kind, headers → expected field, body rows). Each wording is absent from headers.yaml.

STRUCTURES_A = {
    "N° FINESS de l'établissement": "finess_et",
    "Dénomination de l'ESSMS": "raison_sociale",
    "Type d'établissement": "categorie",
    "Nombre de places installées": "capacite",
    "FINESS juridique de l'organisme": "finess_ej",
    "Nom du gestionnaire": "organisme_gestionnaire",
    "Éditeur du logiciel": "editeur",
    "Nom du logiciel actuel": "logiciel",
    "Logiciel référencé Ségur (oui/non)": "referencement_segur",
    "Public accueilli": "secteur",
    "Nature de l'opération": "type_projet",
}
STRUCTURES_A_BODY = [
    [
        FINESS[0],
        "EHPAD Les Tilleuls",
        "EHPAD",
        80,
        "010000008",
        "Association Les Tilleuls",
        "Berger-Levrault",
        "Logiciel A",
        "Oui",
        "Personnes âgées",
        "Acquisition",
    ],
    [
        FINESS[1],
        "IME Le Clos",
        "IME",
        40,
        "690000008",
        "ADAPEI",
        "Editeur B",
        "Logiciel B",
        "Non",
        "Personnes handicapées",
        "Mise en conformité",
    ],
]

STRUCTURES_B = {
    "Code FINESS géographique": "finess_et",
    "Etablissement ou service": "raison_sociale",
    "Catégorie d'ESSMS (code FINESS)": "categorie",
    "Capacité totale (lits et places)": "capacite",
    "Association gestionnaire": "organisme_gestionnaire",
    "Fournisseur de la solution": "editeur",
    "Solution logicielle retenue": "logiciel",
    "Dpt": "departement",
    "Acquisition ou montée de version": "type_projet",
}
STRUCTURES_B_BODY = [
    [FINESS[0], "SSIAD du Val", "354", 30, "ADMR", "Editeur C", "Logiciel C", "01", "Acquisition"],
    [FINESS[2], "SAMSAH Horizon", "445", 25, "APF", "Editeur C", "Logiciel C", "01", "Acquisition"],
]

BUDGET_ESSMS_A = {
    "N° FINESS": "finess_et",
    "Nom de l'ESSMS": "raison_sociale",
    "Maîtrise d'ouvrage interne (k€)": "forfait_moa",
    "Part éditeur": "forfait_editeur",
    "Majoration Ségur (k€)": "bonus_segur",
    "Aide matériel informatique": "equipement",
    "Montant total sollicité": "total_essms",
}
BUDGET_ESSMS_A_BODY = [
    [FINESS[0], "EHPAD Les Tilleuls", 7, 9.5, 2.5, 0, 19],
    [FINESS[1], "IME Le Clos", 7, 9.5, 2.5, 0, 19],
]

BUDGET_ESSMS_B = {
    "Identifiant FINESS ET": "finess_et",
    "Coût du logiciel DUI (€)": "forfait_editeur",
    "Bonus pour logiciel référencé Ségur": "bonus_segur",
    "Accompagnement MOA": "forfait_moa",
    "Total de l'aide par établissement": "total_essms",
}
BUDGET_ESSMS_B_BODY = [[FINESS[0], 12000, 2500, 7000, 21500], [FINESS[1], 12000, 2500, 7000, 21500]]

BUDGET_ESSMS_C = {
    "FINESS de la structure": "finess_et",
    "Prestations de l'éditeur": "forfait_editeur",
    "Complément référencement": "bonus_segur",
    "Somme demandée": "total_essms",
}
BUDGET_ESSMS_C_BODY = [[FINESS[0], 9500, 2500, 12000], [FINESS[1], 9500, 2500, 12000]]

BUDGET_LINES_A = {
    "Libellé de la dépense": "poste",
    "Coût prévisionnel HT": "montant_ht",
    "Coût prévisionnel TTC": "montant_ttc",
    "Montant sollicité au titre d'ESMS numérique": "financement_demande",
    "Cofinancement (conseil départemental)": "autres_financements",
    "Apport en fonds propres": "autofinancement",
}
BUDGET_LINES_A_BODY = [["Chef de projet", 10000, 12000, 7000, 3000, 2000], ["Formation", 2500, 3000, 2000, 0, 1000]]

BUDGET_LINES_B = {
    "Désignation": "poste",
    "Budget prévisionnel": "montant_ttc",
    "Subvention sollicitée": "financement_demande",
    "Reste à charge (fonds propres)": "autofinancement",
}
BUDGET_LINES_B_BODY = [["Paramétrage", 8000, 6000, 2000], ["Matériel", 4000, 3000, 1000]]

PLANNING_A = {
    "Intitulé de l'étape": "phase",
    "Démarrage prévu": "date_debut",
    "Fin prévisionnelle": "date_fin",
    "Pilote de l'action": "responsable",
    "Livrables attendus": "livrable",
    "ESSMS concernés par la vague": "perimetre",
}
PLANNING_A_BODY = [
    ["Cadrage", "01/10/2022", "31/12/2022", "Chef de projet", "Note de cadrage", "Tous"],
    ["Déploiement", "01/01/2023", "30/06/2023", "Référents", "PV de recette", "Vague 1"],
]

PLANNING_B = {
    "Action": "phase",
    "Date prévisionnelle de lancement": "date_debut",
    "Date d'échéance prévue": "date_fin",
    "Responsable de l'action": "responsable",
    "Périmètre de déploiement": "perimetre",
}
PLANNING_B_BODY = [["Formation des équipes", "sept. 2023", "déc. 2023", "Cadre de santé", "Vague 2"]]

CASES = [
    ("structures", STRUCTURES_A, STRUCTURES_A_BODY),
    ("structures", STRUCTURES_B, STRUCTURES_B_BODY),
    ("budget_essms", BUDGET_ESSMS_A, BUDGET_ESSMS_A_BODY),
    ("budget_essms", BUDGET_ESSMS_B, BUDGET_ESSMS_B_BODY),
    ("budget_essms", BUDGET_ESSMS_C, BUDGET_ESSMS_C_BODY),
    ("budget_lignes", BUDGET_LINES_A, BUDGET_LINES_A_BODY),
    ("budget_lignes", BUDGET_LINES_B, BUDGET_LINES_B_BODY),
    ("planning", PLANNING_A, PLANNING_A_BODY),
    ("planning", PLANNING_B, PLANNING_B_BODY),
]
UNSEEN = [header for _, headers, _ in CASES for header in headers]


def test_at_least_forty_unseen_wordings():
    assert len(set(UNSEEN)) >= 40


def test_unseen_wordings_stay_out_of_the_vocabulary():
    """The matcher must find these by their words: none may be copied into the synonyms."""
    data = yaml.safe_load(HEADERS_FILE.read_text(encoding="utf-8"))
    synonyms = {fold(s) for kind in data["tables"].values() for syns in kind["fields"].values() for s in syns}
    copied = [h for h in UNSEEN if fold(h) in synonyms]
    assert not copied, f"wordings of the unseen test copied into headers.yaml: {copied}"


@pytest.mark.parametrize(("kind", "headers", "body"), CASES, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(CASES)])
def test_unseen_headers_are_read_by_their_words(kind, headers, body):
    table = table_of(list(headers), body)
    assert table.kind == kind
    read = {field: table.readings[field].header for field in table.column_index}
    expected = {field: header for header, field in headers.items()}
    assert read == expected
    assert not table.unmapped
    for reading in table.readings.values():
        assert 0.6 <= reading.score <= 1.0


# --------------------------------------------------------------------------- the cells decide


def test_editeur_over_amounts_is_the_vendor_forfait_and_over_names_the_vendor():
    budget = table_of(
        ["FINESS ET", "Établissement", "Type de projet", "Forfait MOA", "Éditeur", "Bonus Ségur", "Total"],
        [
            [FINESS[0], "SSIAD de Cournon-d'Auvergne", "Acquisition", 7000, 9600, 2500, 19100],
            [FINESS[1], "EHPAD Les Tilleuls", "Acquisition", 7000, 9600, 2500, 19100],
        ],
    )
    assert budget.kind == "budget_essms"
    assert budget.readings["forfait_editeur"].header == "Éditeur"
    assert budget.rows[0].get("forfait_editeur").raw == 9600
    assert not budget.unmapped
    listing = table_of(
        ["FINESS ET", "Raison sociale", "Catégorie", "Éditeur"],
        [[FINESS[0], "EHPAD Les Tilleuls", "EHPAD", "Berger-Levrault"], [FINESS[1], "IME Le Clos", "IME", "Editeur B"]],
    )
    assert listing.kind == "structures"
    assert listing.readings["editeur"].header == "Éditeur"


def test_a_header_contradicted_by_its_cells_is_listed_not_read():
    """« Logiciel » over amounts in an ESSMS list is not the software's name: left unread,
    listed as a column of amounts."""
    table = table_of(
        ["FINESS ET", "Raison sociale", "Catégorie", "Coût logiciel"],
        [[FINESS[0], "EHPAD A", "EHPAD", 12000], [FINESS[1], "IME B", "IME", 9000]],
    )
    assert table.kind == "structures"
    assert "logiciel" not in table.column_index
    [column] = table.unmapped
    assert column.header == "Coût logiciel" and column.holds_amounts and column.cells == "D2:D3"


# --------------------------------------------------------------------------- units


def test_thousands_said_above_the_table_are_applied_and_kept():
    g = grid(
        [
            ["Plan de financement par établissement"],
            ["Montants exprimés en milliers d'euros"],
            ["FINESS ET", "Raison sociale", "Forfait MOA", "Forfait éditeur", "Total"],
            [FINESS[0], "EHPAD A", 7, "9,5", 16.5],
            ["Total", None, 7, "9,5", 16.5],
        ]
    )
    [table] = find_tables(g, "f.xlsx")
    row = table.rows[0]
    assert row.get("forfait_moa").raw == 7000 and row.get("forfait_editeur").raw == 9500
    assert row.get("forfait_editeur").written == "9,5" and row.get("forfait_editeur").unit == "k€"
    assert table.total_rows[0].get("total_essms").raw == 16500
    assert table.unit.multiplier == 1000 and table.unit.location.cell == "A2"
    assert row.get("finess_et").raw == FINESS[0]  # identifiers are not amounts


def test_thousands_in_a_header_apply_to_its_column_only():
    table = table_of(
        ["FINESS ET", "Raison sociale", "Forfait MOA (k€)", "Forfait éditeur (€)", "Total (€)"],
        [[FINESS[0], "EHPAD A", 7, 9500, 16500]],
    )
    row = table.rows[0]
    assert row.get("forfait_moa").raw == 7000 and row.get("forfait_editeur").raw == 9500
    assert table.unit_of("forfait_moa").label == "k€" and table.unit_of("forfait_editeur") is None


def test_an_amount_in_ttc_column_said_ht_is_the_ht_amount():
    g = grid(
        [
            ["Budget prévisionnel (montants HT)"],
            ["Poste de dépense", "Montant", "Financement demandé"],
            ["Formation", 1000, 800],
        ]
    )
    [table] = find_tables(g, "f.xlsx")
    assert "montant_ht" in table.column_index and "montant_ttc" not in table.column_index
    assert any("HT" in note for note in table.notes)


def test_a_cell_that_states_its_own_unit_is_not_scaled_again():
    table = table_of(
        ["FINESS ET", "Raison sociale", "Forfait MOA (k€)", "Total"], [[FINESS[0], "EHPAD A", "7 000 €", 7000]]
    )
    assert table.rows[0].get("forfait_moa").raw == "7 000 €"


# --------------------------------------------------------------------------- nothing dropped


def test_unread_amount_columns_are_listed_with_their_cells():
    table = table_of(
        ["FINESS ET", "Raison sociale", "Forfait MOA", "Frais de déplacement", "Total", None],
        [
            [FINESS[0], "EHPAD A", 7000, 500, 7500, 3],
            [FINESS[1], "IME B", 7000, 600, 7600, None],
            ["Total", None, 14000, 1100, 15100, None],
        ],
    )
    by_header = {c.header: c for c in table.unmapped}
    frais = by_header["Frais de déplacement"]
    assert frais.holds_amounts and frais.values == 3 and frais.cells == "D2:D4"
    assert frais.reason
    assert table.rows[0].others[frais.index].raw == 500
    assert table.total_rows[0].others[frais.index].raw == 1100
    blank = by_header[""]
    assert blank.reason == "colonne sans en-tête" and blank.values == 1


def test_a_field_read_twice_keeps_the_better_header_and_says_why_for_the_other():
    table = table_of(
        ["FINESS ET", "Raison sociale", "Forfait MOA", "Total", "Total général"],
        [[FINESS[0], "EHPAD A", 7000, 7000, 7000]],
    )
    [other] = table.unmapped
    assert other.header == "Total général" and "déjà lu" in other.reason


# --------------------------------------------------------------------------- Gantt charts


def _gantt(rows, fills=None, name="Planning"):
    fills = fills or {}
    return Grid(
        name,
        [
            [
                CellValue(
                    v,
                    Location("p.xlsx", sheet=name, cell=f"{get_column_letter(c + 1)}{r + 1}"),
                    fill=fills.get(f"{get_column_letter(c + 1)}{r + 1}"),
                )
                for c, v in enumerate(row)
            ]
            for r, row in enumerate(rows)
        ],
    )


def _phases(table):
    return {
        r.label: (
            r.get("date_debut").raw.isoformat(),
            r.get("date_fin").raw.isoformat(),
            r.get("date_debut").location.cell,
            r.get("date_fin").location.cell,
        )
        for r in table.rows
    }


def test_gantt_by_month_with_marks():
    g = _gantt(
        [
            ["Calendrier prévisionnel"],
            [],
            ["Étape", "janv. 2023", "févr. 2023", "mars 2023", "avr. 2023", "mai 2023"],
            ["Cadrage", "x", "x"],
            ["Paramétrage", None, "X", "X", "X"],
            ["Lot 2"],
            ["Cibles d'usage", None, None, None, None, "■"],
        ]
    )
    [table] = find_document_tables([g], "p.xlsx")
    assert table.kind == "planning" and table.source == "calendrier"
    assert _phases(table) == {
        "Cadrage": ("2023-01-01", "2023-02-28", "B4", "C4"),
        "Paramétrage": ("2023-02-01", "2023-04-30", "C5", "E5"),
        "Cibles d'usage": ("2023-05-01", "2023-05-31", "F7", "F7"),
    }
    assert any("Lot 2" in note and "non lue" in note for note in table.notes)


def test_gantt_by_quarter_under_a_year_row_and_across_years():
    g = _gantt(
        [
            ["Tâches", "2023", None, None, None, "2024", None],
            [None, "T1", "T2", "T3", "T4", "T1", "T2"],
            ["Déploiement vague 1", None, 1, 1],
            ["Atteinte des cibles d'usage", None, None, None, 1, 1, 1],
        ]
    )
    [table] = find_document_tables([g], "p.xlsx")
    assert _phases(table) == {
        "Déploiement vague 1": ("2023-04-01", "2023-09-30", "C3", "D3"),
        "Atteinte des cibles d'usage": ("2023-10-01", "2024-06-30", "E4", "G4"),
    }


def test_gantt_by_week_with_fill_colours_and_the_year_in_the_title():
    green, grey = "FF00B050", "FFD9D9D9"
    g = _gantt(
        [
            ["Planning 2024"],
            ["Activité", "S10", "S11", "S12", "S13"],
            ["Formation", None, None, None, None],
            ["Déploiement", None, None, None, None],
        ],
        fills={"C3": green, "D3": green, "B4": green, "E3": grey},
    )
    [table] = find_document_tables([g], "p.xlsx")
    phases = _phases(table)
    assert phases["Formation"][:2] == ("2024-03-11", "2024-03-31")  # S11 to S13 (grey is a colour too)
    assert phases["Déploiement"][:2] == ("2024-03-04", "2024-03-10")


def test_gantt_with_week_labels_carrying_the_year_and_real_dates():
    g = _gantt([["Jalon", "2023-S51", "2023-S52", "2024-S01", "2024-S02"], ["Bilan", None, None, "x", "x"]])
    [table] = find_document_tables([g], "p.xlsx")
    assert _phases(table)["Bilan"][:2] == ("2024-01-01", "2024-01-14")
    import datetime as dt

    g = _gantt(
        [
            ["Phase", dt.datetime(2023, 1, 1), dt.datetime(2023, 2, 1), dt.datetime(2023, 3, 1)],
            ["Déploiement", "oui", "oui", None],
        ]
    )
    [table] = find_document_tables([g], "p.xlsx")
    assert _phases(table)["Déploiement"][:2] == ("2023-01-01", "2023-02-28")


def test_amounts_by_month_are_a_budget_not_a_gantt():
    g = _gantt([["Dépenses", "janv. 2023", "févr. 2023", "mars 2023"], ["Formation", 1200, 1300, 500]])
    assert find_document_tables([g], "p.xlsx") == []


def test_calendar_columns_beside_the_dates_of_a_planning_are_one_note():
    table = table_of(
        ["Phase", "Date de début", "Date de fin", "janv. 2023", "févr. 2023", "mars 2023"],
        [["Cadrage", "01/01/2023", "28/02/2023", "x", "x", None]],
    )
    assert table.kind == "planning" and table.source == "en-têtes"
    assert not table.unmapped
    assert any("3 colonnes de calendrier" in note for note in table.notes)


def test_gantt_months_without_year_under_a_year_written_once_and_sub_phases_indented():
    g = _gantt(
        [
            ["Lot", "Phase", "2023", None, None, None, "2024", None],
            [None, None, "sept", "oct", "nov", "déc", "janv", "févr"],
            ["Lot 1 : choix de la solution", None, None, None, None, None, None, None],
            [None, "Consultation des éditeurs", "x", "x"],
            [None, "Contractualisation", None, None, "x"],
            ["Déploiement", None, None, None, None, "x", "x", "x"],
        ]
    )
    [table] = find_document_tables([g], "p.xlsx")
    phases = _phases(table)
    assert phases["Consultation des éditeurs"][:2] == ("2023-09-01", "2023-10-31")
    assert phases["Contractualisation"][:2] == ("2023-11-01", "2023-11-30")
    assert phases["Déploiement"][:3] == ("2023-12-01", "2024-02-29", "F6")
    assert any("Lot 1" in note for note in table.notes)


def test_two_row_headers_in_owners_words():
    """The upper row groups (« Financement demandé », « Identification »), the lower row
    names: each column is read joined and by its lower cell alone."""
    g = grid(
        [
            [
                "Structure",
                None,
                "Financement demandé (€)",
                "Financement demandé (€)",
                "Financement demandé (€)",
                "Total",
            ],
            ["N° FINESS", "Nom", "MOA", "Éditeur", "Bonus Ségur", None],
            [FINESS[0], "EHPAD A", 7000, 12000, 2500, 21500],
            [FINESS[1], "IME B", 7000, 12000, 2500, 21500],
        ]
    )
    [table] = find_tables(g, "f.xlsx")
    assert table.kind == "budget_essms" and table.header_rows == 2
    assert set(table.column_index) == {
        "finess_et",
        "raison_sociale",
        "forfait_moa",
        "forfait_editeur",
        "bonus_segur",
        "total_essms",
    }
    g = grid(
        [
            ["Identification de l'ESSMS", None, None, "Projet", None],
            ["FINESS", "Nom", "Catégorie", "Logiciel actuel", "Logiciel cible"],
            [FINESS[0], "EHPAD A", "EHPAD", "Logiciel X", "Logiciel Y"],
        ]
    )
    [table] = find_tables(g, "f.xlsx")
    assert table.kind == "structures" and table.readings["logiciel"].header == "Projet Logiciel actuel"
    [other] = table.unmapped
    assert other.header == "Projet Logiciel cible" and "déjà lu" in other.reason


def test_thousands_said_once_at_the_top_of_the_sheet_apply_to_each_of_its_tables():
    g = grid(
        [
            ["Tous les montants sont exprimés en K€"],
            ["Poste de dépense", "Montant TTC", "Financement demandé"],
            ["Formation", 3, 2],
            [None],
            [None],
            [None],
            ["FINESS ET", "Raison sociale", "Forfait MOA", "Total"],
            [FINESS[0], "EHPAD A", 7, 7],
        ]
    )
    lines, essms = find_tables(g, "f.xlsx")
    assert lines.rows[0].get("montant_ttc").raw == 3000
    assert essms.rows[0].get("forfait_moa").raw == 7000 and essms.unit.location.cell == "A1"
