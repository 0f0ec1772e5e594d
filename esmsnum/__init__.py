"""esmsnum: admissibility pipeline for ESMS numérique funding dossiers."""

__version__ = "0.1.0"
