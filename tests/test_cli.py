"""The operator's command line: French help, French errors, exit codes."""

import datetime as dt

from conftest import esmsnum, forfait_finding, report_of


def test_help_is_in_french_and_lists_the_commands():
    proc = esmsnum("--help")
    assert proc.returncode == 0
    assert "Utilisation" in proc.stdout and "Commandes" in proc.stdout
    assert "analyser" in proc.stdout and "Analyse tous les dossiers" in proc.stdout
    proc = esmsnum("run", "--help")
    assert proc.returncode == 0 and "DOSSIER_APPEL" in proc.stdout and "obligatoire" in proc.stdout


def test_unknown_call_is_refused_in_french(tmp_path):
    proc = esmsnum("run", str(tmp_path), "--call", "aap-imaginaire", "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "Appel inconnu" in proc.stderr and "ars-ara-2022-regional" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_missing_folder_and_missing_option_are_refused_in_french(tmp_path):
    proc = esmsnum("run", str(tmp_path / "absent"), "--call", "ars-ara-2022-regional", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "Dossier d'appel introuvable" in proc.stderr
    proc = esmsnum("run", str(tmp_path))
    assert proc.returncode == 2 and "option obligatoire manquante : --appel" in proc.stderr
    proc = esmsnum("lancer")
    assert proc.returncode == 2 and "commande inconnue" in proc.stderr


def test_malformed_configuration_file_is_refused_naming_the_key(tmp_path):
    bad = tmp_path / "appel.yaml"
    bad.write_text("id: x\ntitle: t\n", encoding="utf-8")
    proc = esmsnum("run", str(tmp_path), "--call", str(bad), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert "clé « reference » : clé manquante" in proc.stderr


def test_calls_and_rules_are_listed():
    proc = esmsnum("calls")
    assert proc.returncode == 0 and "cnsa-2022-national" in proc.stdout
    proc = esmsnum("rules", "--call", "cnsa-2022-national")
    assert proc.returncode == 0
    for rule_id in ("PIE-01", "GRP-01", "GRP-03", "BUD-03", "PLA-03", "COH-01"):
        assert rule_id in proc.stdout


def test_serve_needs_a_prefect_server():
    proc = esmsnum("serve", "--name", "essai", process=True, env={"PREFECT_API_URL": None})
    assert proc.returncode == 2
    assert "PREFECT_API_URL" in proc.stderr and "docs/operations.md" in proc.stderr


# --------------------------------------------------------------------------- French help, usage errors

ENGLISH = (
    "Usage:",
    "Options:",
    "Commands:",
    "[default:",
    "[required]",
    "Show this message",
    "Show the version",
    " TEXT",
    " INTEGER",
    " PATH",
    "x>=1",
)
COMMANDS = ("run", "serve", "history", "lever", "courrier", "calls", "check-call", "rules", "suivre", "serveur")


def test_help_is_entirely_in_french_with_whole_descriptions():
    proc = esmsnum("--help")
    assert proc.returncode == 0
    for word in ENGLISH:
        assert word not in proc.stdout, word
    assert not any(line.rstrip().endswith("...") for line in proc.stdout.splitlines()[1:]), "a cut description"
    assert "Liste les appels livrés avec le projet (année, canal, intitulé)." in " ".join(proc.stdout.split())
    assert "Options :" in proc.stdout and "Commandes :" in proc.stdout
    for command in COMMANDS:
        proc = esmsnum(command, "--help")
        assert proc.returncode == 0, command
        assert proc.stdout.startswith(f"Utilisation : esmsnum {command}"), command
        for word in ENGLISH:
            assert word not in proc.stdout, (command, word)
        assert not any(line.rstrip().endswith("...") for line in proc.stdout.splitlines()[1:]), command
    assert "[par défaut : local]" in " ".join(esmsnum("run", "--help").stdout.split())  # however wrapped
    assert "--motif MOTIF" in esmsnum("lever", "--help").stdout


def test_clicks_catalogue_translates_every_message_of_the_installed_click():
    """Every message click marks for translation has its French in esmsnum/locale/click.fr.po:
    a newer click with new messages fails here rather than speak English to an operator."""
    from pathlib import Path

    import click
    from babel.messages.extract import extract_from_dir

    from esmsnum.clickfr import translations

    french = translations()
    missing = []
    for _file, _line, message, _comments, _context in extract_from_dir(
        Path(click.__file__).parent, keywords={"_": None, "ngettext": (1, 2)}
    ):
        singular = message[0] if isinstance(message, tuple) else message
        if not singular:
            continue
        translated = (
            french.ngettext(message[0], message[1], 2) if isinstance(message, tuple) else french.gettext(message)
        )
        if translated == singular and singular not in ("Options", "d", "%(prog)s, version %(version)s"):
            missing.append(singular)
    assert not missing, missing
    assert french.gettext("required") == "obligatoire"


def test_a_file_or_an_impossible_folder_as_output_is_refused_with_exit_2(tmp_path):
    calls = tmp_path / "appel"
    (calls / "2022-ARA-0001").mkdir(parents=True)
    (calls / "2022-ARA-0001" / "dossier.json").write_text("{}", encoding="utf-8")
    target = tmp_path / "un-fichier.txt"
    target.write_text("x", encoding="utf-8")
    for out in (target, target / "sous-dossier", "/proc/esmsnum-sortie-impossible"):
        proc = esmsnum("run", str(calls), "--call", "ars-ara-2022-regional", "--out", str(out))
        assert proc.returncode == 2, (out, proc.stderr)
        assert proc.stderr.startswith("Erreur : ") and "Traceback" not in proc.stderr, proc.stderr
        assert "dossier de sortie" in proc.stderr.lower() or "pas un dossier" in proc.stderr
    assert target.read_text(encoding="utf-8") == "x"


def _output_with_one_report(tmp_path):
    from core.config import load_call
    from reports.dossier import write_dossier_reports

    report = report_of("2022-ARA-0900", load_call("ars-ara-2022-regional"), [forfait_finding("D12")])
    out = tmp_path / "sortie"
    write_dossier_reports(report, out / "2022-ARA-0900")
    return out


def test_unknown_rule_or_dossier_exits_2_in_french(tmp_path):
    out = _output_with_one_report(tmp_path)
    cases = [
        (("lever", "2022-ARA-0900", "XYZ-99", "--motif", "vu", "--out", str(out)), "Règle inconnue : XYZ-99"),
        (("lever", "2022-ARA-0900", "GRP-01", "--motif", "vu", "--out", str(out)), "aucun constat GRP-01"),
        (("lever", "2022-ARA-9999", "BUD-03", "--motif", "vu", "--out", str(out)), "Dossier inconnu"),
        (("lever", "2022-ARA-0900", "BUD-03", "--motif", "vu", "--out", str(tmp_path / "absent")), "introuvable"),
        (("history", "2022-ARA-9999", "--out", str(out)), "Dossier inconnu"),
        (("courrier", "2022-ARA-9999", "--out", str(out)), "Dossier inconnu"),
        (("courrier", "2022-ARA-0900", "--out", str(out), "--date-envoi", "2022-12-01"), "JJ/MM/AAAA"),
        (("run", str(tmp_path), "--call", "ars-ara-2022-regional", "--out", str(out), "--workers", "0"), "au moins 1"),
    ]
    for args, expected in cases:
        proc = esmsnum(*args)
        assert proc.returncode == 2, (args, proc.returncode, proc.stderr)
        assert expected in proc.stderr and "Traceback" not in proc.stderr, (args, proc.stderr)


def test_courrier_sets_the_sending_date_and_the_deadline(tmp_path):
    import json

    out = _output_with_one_report(tmp_path)
    proc = esmsnum("courrier", "2022-ARA-0900", "--out", str(out), "--date-envoi", "01/12/2022")
    assert proc.returncode == 0, proc.stderr
    assert "daté du 1er décembre 2022" in proc.stdout and "16 décembre 2022" in proc.stdout
    report = json.loads((out / "2022-ARA-0900" / "report.json").read_text(encoding="utf-8"))
    assert report["letter_sending_date"] == "2022-12-01"
    page = (out / "2022-ARA-0900" / "report.html").read_text(encoding="utf-8")
    assert "16 décembre 2022" in page and "fixée par l'instructeur" in page


def test_the_sending_date_is_checked_recorded_in_the_chronology_and_survives_a_rerun(tmp_path):
    from core.french import PARIS
    from core.report import Deposit, Instruction
    from instruction.store import History
    from instruction.timeline import dossier_timeline
    from instruction.workflow import instruction_of
    from reports.dossier import write_dossier_reports
    from reports.letter import letter_content
    from reports.summary import load_report

    out = _output_with_one_report(tmp_path)
    report = load_report(out / "2022-ARA-0900" / "report.json")
    report.deposit = Deposit(moment=dt.datetime(2022, 9, 28, 17, 42, tzinfo=PARIS))
    write_dossier_reports(report, out / "2022-ARA-0900")
    before = "25/09/2022"
    for day, said in ((before, "précède le dépôt"), ("01/01/2999", "dans le futur")):
        proc = esmsnum("courrier", "2022-ARA-0900", "--sortie", str(out), "--date-envoi", day)
        assert proc.returncode == 2 and said in proc.stderr, proc.stderr
    assert esmsnum("courrier", "2022-ARA-0900", "--sortie", str(out), "--date-envoi", "01/12/2022").returncode == 0
    history = History.for_output(out)
    try:
        state = history.state("ars-ara-2022-regional", "2022-ARA-0900")
        entries = dossier_timeline(history, "ars-ara-2022-regional", "2022-ARA-0900")
        titles = [e.title for e in entries]
        assert "Courrier envoyé le 1er décembre 2022 : « Demande de pièces complémentaires »" in titles, (
            "in the chronology"
        )
    finally:
        history.close()
    rerun = load_report(out / "2022-ARA-0900" / "report.json").model_copy(
        update={"letter_sending_date": None, "instruction": Instruction.model_validate(instruction_of(state))}
    )  # what a new analysis writes: the report rebuilt, the instruction from the history
    assert letter_content(rerun)["date"] == "2022-12-01"


def test_commands_and_options_are_french_and_the_english_names_still_work(tmp_path):
    listed = esmsnum("--help").stdout
    for french in ("analyser", "servir", "historique", "appels", "verifier-appel", "regles"):
        assert f"  {french} " in listed
    for english in ("run", "serve", "history", "calls", "check-call", "rules"):
        assert f"  {english} " not in listed, f"« {english} » is a hidden alias"
    helped = esmsnum("analyser", "--help").stdout
    assert "--appel APPEL" in helped and "--sortie" in helped and "--historique" in helped
    assert "--call" not in helped and "--out " not in helped and "--history" not in helped
    assert esmsnum("appels").stdout == esmsnum("calls").stdout != ""
    assert (
        esmsnum("regles", "--appel", "ars-ara-2022-regional").stdout
        == esmsnum("rules", "--call", "ars-ara-2022-regional").stdout
    )
    proc = esmsnum("analyser", str(tmp_path))
    assert proc.returncode == 2 and "option obligatoire manquante : --appel" in proc.stderr
