"""esmsnum: admissibility pipeline for ESMS numérique funding dossiers (the command line)."""

from core import __version__

__all__ = ["__version__"]
