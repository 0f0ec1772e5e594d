"""Imported once by the forkserver that the dossier workers fork from (``flows.workers``):
everything a dossier's judgement needs, so that a new worker starts as a fork, not as a
fresh interpreter importing pandas, the readers and spaCy's French model (seconds each).
Never imported by the command's own process."""

import contextlib
import os

# One thread per numerical library in each worker: the workers are the parallelism.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import pandas  # noqa: E402,F401
import pandera.pandas  # noqa: E402,F401

import extractors.sandbox  # noqa: E402,F401
import flows.cache  # noqa: E402,F401
import judging.analysis  # noqa: E402,F401
import reports.dossier  # noqa: E402
import reports.evidence  # noqa: E402,F401
import validators.context  # noqa: E402,F401
from validators.prose import french_ratio, people  # noqa: E402
from validators.registry import all_rules  # noqa: E402

all_rules()
french_ratio("le projet")  # spaCy's French stop words
# No civility in the sentence: spaCy's French model is loaded, shared by every fork. A worker
# without it loads it on first use (or its prose rule reports why).
with contextlib.suppress(Exception):
    people("Le projet est conduit par la direction.")
