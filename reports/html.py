"""HTML rendering with Jinja2; autoescape is on for every template (dossier content is
untrusted: file names, cell values and prose are escaped). Every French word the templates
show comes prepared by ``reports.view``."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from core.bidi import neutralise
from core.french import count, euros, number, percent, sentence_case

TEMPLATES = Path(__file__).with_name("templates")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        finalize=neutralise,  # bidirectional controls shown, never obeyed (core.bidi)
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["euros"] = euros
    env.filters["number"] = number
    env.filters["count"] = count
    env.filters["percent"] = percent
    # Our own stylesheet and script, never dossier data: inserted as they are.
    env.globals["stylesheet"] = Markup((TEMPLATES / "style.css").read_text(encoding="utf-8"))
    env.globals["table_script"] = Markup(table_script())
    env.globals["table_script_hash"] = Markup(script_hash(table_script()))
    env.filters["capitalize_first"] = sentence_case
    return env


def table_script() -> str:
    return (TEMPLATES / "table.js.j2").read_text(encoding="utf-8")


def script_hash(script: str) -> str:
    """The CSP source of an inline script (``'sha256-…'``): only that exact script may run."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
