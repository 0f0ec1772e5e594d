"""The instruction's records: the store of runs, analyses, waivers, events and states
(``store``; record types in ``core.records``), the accounts (``accounts``), lifting findings
(``waivers``), statuses, groups and roles (``workflow``), a dossier's chronology
(``timeline``), and the report written again after any of them changes (``rerender``)."""
