"""The rules: one file per rule, ``<family>_<nn>.py`` (``bud_03.py`` is BUD-03), carrying
everything about it — its declaration, its checks, its messages and its documentation.

To add a rule, add its file here (the registry imports every module of this package) and
regenerate ``docs/rules.md`` (``python -m validators.docs > docs/rules.md``)::

    @rule(
        "DEP-01",
        severity="a_corriger",            # bloquant | a_corriger | alerte (a call may override it)
        params=("funding.amount_tolerance",),   # every configuration key the rule reads, no other
        # checks={"budget_essms": my_checks},  # pandera checks over a typed table, if any
    )
    def check(data: DossierData, config: ConfigView) -> Iterator[Hit]:
        \"\"\"Intitulé de la règle

        Ce que la règle vérifie, en français, et ce qu'elle fait d'une donnée manquante.

        Source : Instruction n° … du …, article ou page

        Action : Corriger … (une phrase : majuscule, point final).

        Exemple : Un message tel que la règle l'écrit.
        \"\"\"

The decorator keeps only what is code; the docstring is the rule's prose, in French: its title
(the reports' heading), its description (docs/rules.md shows it to the reviewers), then its
sections — the public text it comes from, what the owner must do, an example message, and
``Action (alerte) : …`` where a finding at another severity asks something else
(validators/registry.py describes the format). ``config`` is the call configuration seen
through ``params`` only: reading another key raises (tests/test_rule_declarations.py runs
every rule over the generated dossiers to keep the declarations exact, and fails on a
declared key no rule run reads: read the keys a branch needs before branching, as GRP-03 does
for the Corsica/overseas minimum). A rule with table checks declares ``my_checks(config, columns) →
{column: [pa.Check(...)]}`` over the typed frame of the table (``validators.schemas``) and its
check takes a third argument, ``failures``: only the rows that failed its own checks, each
located at the cell of the column the check was declared for. pandas and pandera are taken
with ``core.lazy.lazy_module`` (``pa = lazy_module("pandera.pandas")``), not imported at the
top: listing the rules (``esmsnum rules``, loading a call) must not import them
(tests/test_startup.py).
"""
