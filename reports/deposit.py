"""The deposit date of a dossier beside the call's window (``submission_window`` of the
report, from ``submission`` of the call configuration), compared in Europe/Paris time. A
closing date without a time closes at the end of that day. This is what the reviewer sees
next to the date; the rule that decides on it is DEP-01."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from reports.dates import datetime_fr, paris_zone, parse_moment


def submission_window(config: Any) -> dict[str, Any]:
    """The call's deposit window (dates or date-times, ISO) with their sources."""
    window = config.submission
    return {
        "opens": window.opens.value.isoformat(),
        "opens_source": window.opens.source,
        "closes": window.closes.value.isoformat(),
        "closes_source": window.closes.source,
    }


@lru_cache(maxsize=16)
def call_facts(call_id: str | None) -> dict[str, Any]:
    """What a report written before these keys existed lacks, from its shipped call
    configuration: ``required_documents`` and ``submission_window`` ({} when unknown)."""
    if not call_id:
        return {}
    try:
        from core.config import load_call

        config = load_call(call_id)
    except Exception:  # noqa: BLE001 - a configuration not shipped: the report shows less
        return {}
    return {
        "required_documents": [str(getattr(k, "value", k)) for k in config.documents.required.value],
        "submission_window": submission_window(config),
    }


def _bound(value: Any, end: bool) -> dt.datetime | None:
    moment = parse_moment(value)
    if moment is None:
        return None
    if isinstance(moment, dt.datetime):
        return moment
    return dt.datetime.combine(moment, dt.time(23, 59, 59) if end else dt.time(0, 0), tzinfo=paris_zone())


def deposit_view(report: dict[str, Any]) -> dict[str, Any]:
    """``{deposited, window, status, status_label, known}``: « Déposé le 20/09/2022 à 18:09 »,
    « du 15/03/2022 au 30/09/2022 », in the window or not."""
    window = report.get("submission_window") or {}
    opens, closes = _bound(window.get("opens"), False), _bound(window.get("closes"), True)
    raw = report.get("date_depot")
    moment = parse_moment(raw)
    if isinstance(moment, dt.date) and not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time(12, 0), tzinfo=paris_zone())
    if opens or closes:
        label = (
            f"du {datetime_fr(window.get('opens'))} au {datetime_fr(window.get('closes'))}"
            if opens and closes
            else f"jusqu'au {datetime_fr(window.get('closes'))}"
            if closes
            else f"à partir du {datetime_fr(window.get('opens'))}"
        )
    else:
        label = None
    if moment is None:
        status = "inconnue"
        text = (
            "date de dépôt absente ou illisible : à vérifier sur la plateforme de dépôt"
            if raw in (None, "")
            else f"date de dépôt illisible (« {raw} ») : à vérifier sur la plateforme de dépôt"
        )
    elif closes and moment > closes:
        status, text = "hors_delai", "déposé après la clôture de l'appel"
    elif closes and (latest := parse_moment((report.get("deposit") or {}).get("latest"))) and latest > closes:
        status, text = "inconnue", "déposé dans l'heure ou le jour de la clôture : à vérifier sur la plateforme de dépôt"
    elif opens and moment < opens:
        status, text = "hors_delai", "déposé avant l'ouverture de l'appel"
    elif label:
        status, text = "dans_les_delais", "déposé dans les délais de l'appel"
    else:
        status, text = "inconnue", "fenêtre de dépôt de l'appel non renseignée"
    parsed = report.get("deposit") if isinstance(report.get("deposit"), dict) else {}
    deposited = datetime_fr(raw) if moment is not None else None
    if parsed.get("description"):
        deposited = str(parsed["description"]) + (f" ({parsed['note']})" if parsed.get("note") else "")
    return {
        "deposited": deposited,
        "window": label,
        "status": status,
        "status_label": text,
        "opens_source": window.get("opens_source"),
        "closes_source": window.get("closes_source"),
    }
