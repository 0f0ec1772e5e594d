"""PLA-01 — planning dates parse, and every phase starts before it ends."""

from __future__ import annotations

from collections.abc import Iterator

from core.french import date_short
from core.lazy import lazy_module
from validators.config_view import ConfigView
from validators.context import DossierData
from validators.messages import row_text
from validators.registry import Hit, rule
from validators.table_checks import Failure

# Imported when a dossier's tables are checked, not when the rules are listed.
pa = lazy_module("pandera.pandas")
pd = lazy_module("pandas")


def dated_in_order(config: ConfigView, columns: frozenset[str]) -> dict[str, list[pa.Check]]:
    """Planning: each phase has a date, its dates are readable, and it starts before it ends."""

    def ordered(d: pd.DataFrame) -> pd.Series:
        both = d["date_debut"].notna() & d["date_fin"].notna()
        return ~both | pd.Series(
            [s <= e if b else True for s, e, b in zip(d["date_debut"], d["date_fin"], both)], index=d.index
        )

    return {
        "date_debut": [
            pa.Check(
                lambda d: (
                    d["date_debut"].notna()
                    | d["date_fin"].notna()
                    | d["date_debut__problem"].notna()
                    | d["date_fin__problem"].notna()
                )
            ),
            pa.Check(lambda d: d["date_debut__problem"].isna()),
        ],
        "date_fin": [
            pa.Check(lambda d: d["date_fin__problem"].isna()),
            pa.Check(ordered),
        ],
    }


@rule("PLA-01", severity="a_corriger", params=(), checks={"planning": dated_in_order})
def check(data: DossierData, config: ConfigView, failures: list[Failure]) -> Iterator[Hit]:
    """Date de planning illisible ou incohérente

    Chaque phase du planning a des dates lisibles (date, numéro de série Excel, « sept.
    2022 », « T3 2023 », « S2 2024 ») et sa date de début précède sa date de fin. Une phase
    sans aucune date est signalée.

    Source : Pratique d'instruction : le planning doit être daté et cohérent

    Action : Dater chaque phase du planning (début et fin), la date de début précédant la date de fin.

    Exemple : La phase « Paramétrage » se termine le 28/02/2023, avant son début le 01/04/2023.
    """
    if data.planning is None:
        return
    frame_df = data.planning_frame.df
    for failure in failures:
        phase = row_text(failure.row, "phase") or "sans nom"
        start_cell, end_cell = failure.row.get("date_debut"), failure.row.get("date_fin")
        start_raw = start_cell.text if start_cell else ""
        end_raw = end_cell.text if end_cell else ""
        values = frame_df.iloc[failure.index]
        problem = values[f"{failure.column}__problem"]
        if problem:
            message = f"La {('date de début' if failure.column == 'date_debut' else 'date de fin')} de la phase « {phase} » est illisible : {problem}."
            expected, found = "une date (JJ/MM/AAAA)", start_raw if failure.column == "date_debut" else end_raw
        elif values["date_debut"] is None and values["date_fin"] is None:
            message = f"La phase « {phase} » n'a ni date de début ni date de fin."
            expected, found = "des dates de début et de fin", "aucune date"
        else:
            message = (
                f"La phase « {phase} » se termine le {date_short(values['date_fin'])}, avant son début "
                f"le {date_short(values['date_debut'])}."
            )
            expected = "date de début antérieure ou égale à la date de fin"
            found = f"début {date_short(values['date_debut'])}, fin {date_short(values['date_fin'])}"
        yield Hit(message=message, expected=expected, found=found, location=failure.location())
