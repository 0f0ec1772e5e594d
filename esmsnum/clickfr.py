"""Click's own strings in French, through its gettext calls: click marks every message it
prints (« Usage: », « Options », « Missing option », « [default: …] »…) with ``gettext`` /
``ngettext`` imported into each of its modules. ``install()`` points those names at the
French catalogue shipped as ``locale/click.fr.po`` (compiled in memory with Babel), whatever
the user's locale: the command line speaks French to every operator.
"""

from __future__ import annotations

import gettext
import importlib
import io
from functools import lru_cache
from pathlib import Path

CATALOGUE = Path(__file__).with_name("locale") / "click.fr.po"
CLICK_MODULES = (
    "core",
    "decorators",
    "exceptions",
    "formatting",
    "parser",
    "types",
    "termui",
    "utils",
    "_termui_impl",
    "shell_completion",
    "_compat",
)


@lru_cache(maxsize=1)
def translations() -> gettext.GNUTranslations:
    """The French catalogue of click's messages as a gettext translation."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with CATALOGUE.open("rb") as handle:
        catalog = read_po(handle, locale="fr", domain="click")
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def install() -> None:
    """Make click speak French: its modules' ``_`` and ``ngettext`` use our catalogue."""
    french = translations()
    for name in CLICK_MODULES:
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:
            continue
        if hasattr(module, "_"):
            module._ = french.gettext
        if hasattr(module, "ngettext"):
            module.ngettext = french.ngettext
