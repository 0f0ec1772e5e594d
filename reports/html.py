"""HTML rendering with Jinja2; autoescape is on for every template (dossier content is
untrusted: file names, cell values and prose are escaped)."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from extractors.values import format_euros
from reports.view import date_fr, rule_doc_href

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
    # Our own stylesheet and script, never dossier data: inserted as they are.
    env.globals["stylesheet"] = Markup((TEMPLATES / "style.css").read_text(encoding="utf-8"))
    env.globals["table_script"] = Markup(table_script())
    env.globals["table_script_hash"] = Markup(script_hash(table_script()))
    env.filters["date_fr"] = date_fr
    env.filters["capitalize_first"] = lambda text: str(text)[:1].upper() + str(text)[1:]
    env.globals["rule_doc_href"] = rule_doc_href
    return env


def table_script() -> str:
    return (TEMPLATES / "table.js.j2").read_text(encoding="utf-8")


def script_hash(script: str) -> str:
    """The CSP source of an inline script (``'sha256-…'``): only that exact script may run."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
