"""HTML rendering with Jinja2; autoescape is on for every template (dossier content is
untrusted: file names, cell values and prose are escaped)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from extractors.values import format_euros

TEMPLATES = Path(__file__).with_name("templates")

SEVERITY_LABELS = {"bloquant": "Bloquant", "a_corriger": "À corriger", "alerte": "Alerte"}
VERDICT_LABELS = {"recevable": "Recevable", "a_completer": "À compléter", "non_recevable": "Non recevable"}
KIND_LABELS = {
    "budget": "Budget détaillé", "structures": "Structures engagées", "planning": "Planning",
    "gouvernance": "Gouvernance", "strategie_deploiement": "Stratégie de déploiement",
    "conduite_changement": "Conduite du changement", "autre": "Autre pièce", "illisible": "Illisible",
}


def describe_location(location: dict[str, Any] | None) -> str:
    if not location:
        return "—"
    parts = [location.get("file") or ""]
    if location.get("sheet"):
        parts.append(f"feuille {location['sheet']}")
    if location.get("cell"):
        parts.append(f"cellule {location['cell']}")
    if location.get("page"):
        parts.append(f"page {location['page']}")
    if location.get("detail"):
        parts.append(location["detail"])
    return ", ".join(p for p in parts if p)


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["euros"] = format_euros
    env.filters["location"] = describe_location
    env.globals.update(severity_labels=SEVERITY_LABELS, verdict_labels=VERDICT_LABELS, kind_labels=KIND_LABELS)
    env.globals["stylesheet"] = (TEMPLATES / "style.css").read_text(encoding="utf-8")
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
