"""The rules: one file per rule, ``<family>_<nn>.py`` (``bud_03.py`` is BUD-03), carrying
everything about it — its declaration, its checks, its messages and its documentation.

To add a rule, add its file here (the registry imports every module of this package) and
regenerate ``docs/rules.md`` (``python -m validators.docs > docs/rules.md``)::

    @rule(
        "DEP-01",
        title="…",                        # French, the reports' heading
        severity="a_corriger",            # bloquant | a_corriger | alerte (a call may override it)
        params=("funding.amount_tolerance",),   # every configuration key the rule reads, no other
        source="Instruction n° … du …, article / page",  # the public text it comes from
        action="Corriger …",              # what the owner must do: a French sentence
        example="…",                      # a message as the rule writes it
        # checks={"budget_essms": my_checks},  # pandera checks over a typed table, if any
    )
    def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
        \"\"\"French description: docs/rules.md shows it to the reviewers.\"\"\"

``config`` is the call configuration seen through ``params`` only: reading another key raises
(tests/test_rule_declarations.py runs every rule over the generated dossiers to keep the
declarations exact, and fails on a declared key no rule run reads: read the keys a branch
needs before branching, as GRP-03 does for the Corsica/overseas minimum). A rule with table checks declares ``my_checks(config, columns) →
{column: [pa.Check(...)]}`` over the typed frame of the table (``validators.schemas``) and its
check takes a third argument, ``failures``: only the rows that failed its own checks, each
located at the cell of the column the check was declared for. pandas and pandera are taken
with ``core.lazy.lazy_module`` (``pa = lazy_module("pandera.pandas")``), not imported at the
top: listing the rules (``esmsnum rules``, loading a call) must not import them
(tests/test_startup.py).
"""
