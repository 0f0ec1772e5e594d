"""The operator's command line: French help, French errors, exit codes."""

from conftest import esmsnum


def test_help_is_in_french_and_lists_the_commands():
    proc = esmsnum("--help")
    assert proc.returncode == 0
    assert "Utilisation" in proc.stdout and "Commandes" in proc.stdout
    assert "run" in proc.stdout and "Analyse tous les dossiers" in proc.stdout
    proc = esmsnum("run", "--help")
    assert proc.returncode == 0 and "CALL_DIR" in proc.stdout and "obligatoire" in proc.stdout


def test_unknown_call_is_refused_in_french(tmp_path):
    proc = esmsnum("run", str(tmp_path), "--call", "aap-imaginaire", "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "Appel inconnu" in proc.stderr and "ars-ara-2022-regional" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_missing_folder_and_missing_option_are_refused_in_french(tmp_path):
    proc = esmsnum("run", str(tmp_path / "absent"), "--call", "ars-ara-2022-regional", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "Dossier d'appel introuvable" in proc.stderr
    proc = esmsnum("run", str(tmp_path))
    assert proc.returncode == 2 and "option obligatoire manquante : --call" in proc.stderr
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
    proc = esmsnum("serve", "--name", "essai")
    assert proc.returncode == 2
    assert "PREFECT_API_URL" in proc.stderr and "docs/operations.md" in proc.stderr
