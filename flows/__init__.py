import flows.settings  # noqa: F401  (Prefect settings before any Prefect import)
