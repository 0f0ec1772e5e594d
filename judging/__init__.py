"""The run's pipeline: one dossier end to end (``analysis``), the call-level finalisation of its
report (``finalize``), the submissions chosen and fingerprinted (``submission``) and the lock on
the output folder (``lock``). What reviewers record is ``instruction``."""
