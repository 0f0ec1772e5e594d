"""The deposit date of a dossier beside the call's window, as the report and the workspace show
it: the deposit as DEP-01 read it (``DossierReport.deposit``, parsed once by
``validators.deposit``), the window of the run's snapshot of the call, compared in Europe/Paris
time. This is what the reviewer sees next to the date; the rule that decides on it is DEP-01."""

from __future__ import annotations

from typing import Any

from core.french import datetime_long, datetime_short
from core.report import DossierReport


def window_label(report: DossierReport) -> str | None:
    """« du 15/03/2022 à 00:00 au 30/09/2022 à 23:59 »; None when the call gives no window."""
    window = report.call_snapshot.submission
    if window.opens and window.closes:
        return f"du {datetime_short(window.opens)} au {datetime_short(window.closes)}"
    if window.closes:
        return f"jusqu'au {datetime_short(window.closes)}"
    if window.opens:
        return f"à partir du {datetime_short(window.opens)}"
    return None


def deposit_text(report: DossierReport) -> str | None:
    """The deposit as DEP-01 read it (« 28 septembre 2022 à 17:42 », « … entre 17:00 et
    17:59 »), with why its time is not fully known; None when the form gives no readable date."""
    deposit = report.deposit
    if deposit is None:
        return None
    text = deposit.description or datetime_long(deposit.moment)
    return f"{text} ({deposit.note})" if deposit.note else text


def deposit_view(report: DossierReport) -> dict[str, Any]:
    """``{deposited, window, status, status_label}``: « Déposé le 20 septembre 2022 à 18:09 »,
    « du 15/03/2022 au 30/09/2022 », in the window or not."""
    window = report.call_snapshot.submission
    opens, closes = window.opens, window.closes
    deposit = report.deposit
    if deposit is None:
        status = "inconnue"
        text = (
            "date de dépôt absente ou illisible : à vérifier sur la plateforme de dépôt"
            if not report.date_depot
            else f"date de dépôt illisible (« {report.date_depot} ») : à vérifier sur la plateforme de dépôt"
        )
    else:
        earliest, latest = deposit.moment, deposit.latest or deposit.moment
        if closes and earliest > closes:
            status, text = "hors_delai", "déposé après la clôture de l'appel"
        elif closes and latest > closes:
            status, text = (
                "inconnue",
                "déposé dans l'heure ou le jour de la clôture : à vérifier sur la plateforme de dépôt",
            )
        elif opens and latest < opens:
            status, text = "hors_delai", "déposé avant l'ouverture de l'appel"
        elif opens or closes:
            status, text = "dans_les_delais", "déposé dans les délais de l'appel"
        else:
            status, text = "inconnue", "fenêtre de dépôt de l'appel non renseignée"
    return {
        "deposited": deposit_text(report),
        "window": window_label(report),
        "status": status,
        "status_label": text,
        "opens_source": window.opens_source,
        "closes_source": window.closes_source,
    }
