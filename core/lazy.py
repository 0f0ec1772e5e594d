"""A module imported on first use, for heavy libraries that a command may never need.

``pd = lazy_module("pandas")`` costs nothing at import; ``pd.DataFrame`` imports pandas
then. Commands that only read cached results (``esmsnum run`` with nothing changed,
``esmsnum --help``) thus never pay for pandas or pandera.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for a module; the real one is imported at the first attribute access."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r} ({'imported' if self._module else 'not imported yet'})>"


def lazy_module(name: str) -> Any:
    return LazyModule(name)
