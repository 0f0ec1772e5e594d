"""Prefect settings for the local embedded mode, applied before Prefect is imported.

No server to install, no login, no network: with no ``PREFECT_API_URL`` Prefect starts a
temporary local server. Operators who run a real server set ``PREFECT_API_URL`` and these
defaults step aside (``setdefault``).
"""

from __future__ import annotations

import os

DEFAULTS = {
    # No telemetry: the machines that run calls have no network.
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    # The first start of the embedded server migrates its SQLite database: slow on a small machine.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    # The embedded server logs harmless cancellations when it stops at the end of a run.
    "PREFECT_LOGGING_SERVER_LEVEL": "CRITICAL",
}


def apply_defaults() -> None:
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)


apply_defaults()
