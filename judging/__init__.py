"""Judging dossiers: one dossier end to end (``analysis``), the call-level finalisation of its
report (``finalize``), the history of judgements and waivers, submissions and the output lock."""
