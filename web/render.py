"""Pages of the workspace: Jinja2 with autoescape on everything (dossier data, comments,
motifs and file names are text, never markup); the report's evidence template is shared
with the static reports."""

from __future__ import annotations

import logging
import urllib.parse
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    select_autoescape,
)

from core.bidi import neutralise
from core.french import (
    KIND_LABELS,
    SEVERITY_LABELS,
    VERDICT_LABELS,
    count,
    date_long,
    datetime_long,
    euros,
    iso,
    percent,
)
from instruction.workflow import DECISIONS, ROLES, STATUSES
from reports.html import TEMPLATES as REPORT_TEMPLATES
from reports.view import describe_location
from web.settings import STATIC

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).with_name("templates")
DSFR_CSS = STATIC / "dsfr" / "dsfr.min.css"
DSFR_JS = STATIC / "dsfr" / "dsfr.module.min.js"


@lru_cache(maxsize=1)
def dsfr_available() -> bool:
    """DSFR is vendored at build time (``make web-assets``); without it the pages keep their
    own plain stylesheet."""
    present = DSFR_CSS.is_file()
    if not present:
        log.warning(
            "Système de design de l'État (DSFR) absent de %s : pages en style simple. "
            "Lancer « make web-assets » pour l'installer.",
            DSFR_CSS.parent,
        )
    return present


@lru_cache(maxsize=1)
def dsfr_script() -> bool:
    """DSFR's JavaScript (its header menu on a phone, below 992 px) was vendored with it."""
    return dsfr_available() and DSFR_JS.is_file()


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        finalize=neutralise,  # bidirectional controls shown, never obeyed (core.bidi)
        loader=ChoiceLoader([FileSystemLoader(TEMPLATES), FileSystemLoader(REPORT_TEMPLATES)]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        euros=euros,
        count=count,
        percent=percent,
        datetime_fr=datetime_long,
        date_fr=date_long,
        iso=iso,
        location=describe_location,
    )
    env.globals.update(
        severity_labels=SEVERITY_LABELS,
        verdict_labels=VERDICT_LABELS,
        status_labels=STATUSES,
        decision_labels=DECISIONS,
        role_labels=ROLES,
        kind_labels=KIND_LABELS,
        dsfr=dsfr_available(),
        dsfr_js=dsfr_script(),
        query=query,
    )
    return env


PAGE_DEFAULTS = {
    "account": None,
    "role_label": None,
    "csrf": "",
    "flash": None,
    "calls": [],
    "can_edit": False,
    "can_decide": False,
    "is_expert": False,
}


def query(params: dict[str, Any], **changes: Any) -> str:
    """``?a=1&b=2`` from the current filters with ``changes`` applied (empty values left out)."""
    merged = {k: v for k, v in {**params, **changes}.items() if v not in (None, "")}
    return "?" + urllib.parse.urlencode(merged) if merged else "?"


def render_page(request: Any, template: str, **context: Any) -> str:
    return environment().get_template(template).render(request=request, **{**PAGE_DEFAULTS, **context})
