"""What ``esmsnum check-call`` tells an ARS about its call configuration before any run: the
values still *à confirmer*, example data shipped as such, a deadline the year's instruction does
not allow, a letterhead that misses what an official letter carries (docs/calls.md).

A point is *bloquant* when the ARS must fix it in its call file before judging dossiers: an
``a_confirmer`` value of the call file itself (its dates, envelope, letterhead), example data, a
value without a real source, a closing day after the one the year's instruction sets, a letter
without signatory, place, postal address or « affaire suivie par ». The ``a_confirmer`` values
the call inherits from its programme year are listed too, but do not block: the ARS cannot
change a national text; each says what is missing, and the reports show it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from core.config import CHANNEL_LABELS, CONFIDENCE_LABELS, CallConfig, Sourced, non_working_reason
from core.french import date_long

#: A source that names nothing a reader can open.
_PLACEHOLDER_SOURCE = re.compile(r"^\s*(test|todo|tbd|xxx+|source|à préciser|a preciser|inconnue?|\?+|-+)\b", re.I)

#: The letterhead fields an official letter carries, with their French names.
LETTERHEAD = {
    "signatory": "le signataire",
    "place": "le lieu de la date (« Lyon, le … »)",
    "address": "l'adresse postale du service",
    "followed_by": "la mention « Affaire suivie par »",
}


@dataclass(frozen=True)
class Point:
    key: str  # the configuration key (dotted), or "" for the call as a whole
    message: str  # French
    blocking: bool
    value: Any = None
    source: str = ""


def sourced_values(node: Any, path: str = "") -> Iterator[tuple[str, Sourced]]:
    """(dotted key, sourced value) of every value of the configuration, in its order."""
    if isinstance(node, Sourced):
        yield path, node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            if name in ("config_hash", "config_path", "limits", "rules"):
                continue
            yield from sourced_values(getattr(node, name), f"{path}.{name}" if path else name)
    elif isinstance(node, dict):
        for key, child in node.items():
            yield from sourced_values(child, f"{path}.{key}" if path else str(key))


def own_keys(config: CallConfig) -> set[str]:
    """The dotted keys of the values set by the call file itself (not inherited)."""
    if not config.config_path or not Path(config.config_path).is_file():
        return set()
    data = yaml.safe_load(Path(config.config_path).read_text(encoding="utf-8")) or {}
    out: set[str] = set()

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict) and "value" in node:
            out.add(path)
        elif isinstance(node, dict):
            for key, child in node.items():
                walk(child, f"{path}.{key}" if path else str(key))

    walk(data, "")
    return out


def review_config(config: CallConfig) -> list[Point]:
    """Every point of the call configuration an ARS should see, blocking ones first."""
    points: list[Point] = []
    own = own_keys(config)
    for key, node in sourced_values(config):
        if key.startswith("programme_year.deadlines"):
            continue  # the year's deadlines are checked against the call's below
        if node.sample:
            points.append(
                Point(
                    key,
                    "données d'exemple livrées pour montrer le format, jamais réelles : "
                    "les remplacer par celles de l'appel",
                    True,
                    node.value,
                    node.source,
                )
            )
        if _PLACEHOLDER_SOURCE.match(node.source):
            points.append(Point(key, "valeur sans source publique citée", True, node.value, node.source))
        if node.confidence == "a_confirmer":
            inherited = key not in own
            where = "valeur de l'année de programme" if inherited else "valeur du fichier de l'appel"
            points.append(Point(key, f"à confirmer ({where})", not inherited, node.value, node.source))
    points += list(_deadline_points(config))
    letters = config.letter_settings()
    for field, label in LETTERHEAD.items():
        node = getattr(letters, field)
        if node is None or node.value in (None, "", []):
            points.append(
                Point(f"letters.{field}", f"en-tête des courriers : il manque {label} (section letters)", True)
            )
    return sorted(points, key=lambda p: not p.blocking)


def _deadline_points(config: CallConfig) -> Iterator[Point]:
    submission = config.submission
    published = submission.published_closes.value or submission.closes.value
    day = published.date()
    channel = CHANNEL_LABELS.get(config.channel, config.channel)
    year = config.programme_year
    if year is None:
        yield Point(
            "programme",
            "l'appel ne nomme pas son année de programme (clé programme) : ses règles ne "
            "sont pas vérifiées contre l'instruction de l'année",
            True,
        )
    else:
        deadline = year.deadlines.get(config.channel)
        if deadline is None:
            yield Point(
                f"programme_year.deadlines.{config.channel}",
                f"l'année {year.label} ne décrit pas de date limite pour le canal {channel}",
                False,
            )
        elif deadline.value is None:
            yield Point(
                f"programme_year.deadlines.{config.channel}",
                f"date limite du canal {channel} non fixée par le texte de l'année : celle de l'appel "
                f"({date_long(day)}) ne peut pas être comparée",
                deadline.confidence == "a_confirmer" and "submission.closes" not in own_keys(config),
                None,
                deadline.source,
            )
        elif day > deadline.value:
            yield Point(
                "submission.closes",
                f"la clôture de l'appel ({date_long(day)}) suit la date limite que fixe le texte de l'année pour "
                f"le canal {channel} ({date_long(deadline.value)}, {deadline.source})",
                True,
                day.isoformat(),
                submission.closes.source,
            )
        if year.year >= 2022 and not (year.year - 1 <= day.year <= year.year):
            yield Point(
                "submission.closes",
                f"la clôture de l'appel ({date_long(day)}) n'est pas dans l'année du programme ({year.year})",
                True,
                day.isoformat(),
                submission.closes.source,
            )
    reason = non_working_reason(day)
    if reason:
        if submission.report_au_jour_ouvre.value:
            moved = submission.closes.value.date()
            text = f"reportée au {date_long(moved)} (report_au_jour_ouvre : oui)"
        else:
            text = "les dépôts sont acceptés jusqu'à ce jour-là, sans report (report_au_jour_ouvre : non)"
        yield Point(
            "submission.report_au_jour_ouvre",
            f"la date limite publiée, le {date_long(day)}, tombe {reason} : {text} ; "
            f"fondement : {submission.report_au_jour_ouvre.source}",
            False,
        )


__all__ = ["CONFIDENCE_LABELS", "LETTERHEAD", "Point", "review_config", "sourced_values"]
