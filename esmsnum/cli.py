"""Command line: ``esmsnum run CALL_DIR --call CALL --out OUT_DIR`` and friends (in French)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import click

# Nothing heavy at import: « esmsnum --help » answers at once, and each command imports
# what it needs (Prefect, the readers and the rules only when a dossier must be judged).

HELP = {"help_option_names": ["-h", "--help"]}


class FrenchHelp:
    """Click's help headings in French (its own strings are English)."""

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix="Utilisation : ")

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=formatter.width - 20)))
        if rows:
            with formatter.section("Commandes"):
                formatter.write_dl(rows)


class Command(FrenchHelp, click.Command):
    pass


class Group(FrenchHelp, click.Group):
    command_class = Command


_TRANSLATIONS = [
    (r"Missing option '([^']+)'.*", r"option obligatoire manquante : \1"),
    (r"Missing argument '([^']+)'.*", r"argument obligatoire manquant : \1"),
    (r"No such command '([^']+)'.*", r"commande inconnue : \1 (voir « esmsnum --help »)"),
    (r"No such option: (\S+).*", r"option inconnue : \1"),
    (r"Option '([^']+)' requires an argument.*", r"l'option \1 attend une valeur"),
    (r"Got unexpected extra arguments? \((.*)\)", r"argument(s) en trop : \1"),
]


def _french(message: str) -> str:
    for pattern, replacement in _TRANSLATIONS:
        if re.fullmatch(pattern, message, flags=re.DOTALL):
            return re.sub(pattern, replacement, message, flags=re.DOTALL)
    return message


def entry() -> None:
    """Console script: French errors, exit code 2 on bad usage."""
    try:
        main.main(standalone_mode=False)
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx else "esmsnum"
        click.echo(f"Erreur : {_french(exc.format_message())}", err=True)
        click.echo(f"Aide : {command} --help", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"Erreur : {_french(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("Interrompu.", err=True)
        sys.exit(130)


@click.group(cls=Group, context_settings=HELP, help="esmsnum — recevabilité des dossiers ESMS numérique : analyse des dossiers d'un appel "
                  "à projets et rapports pour les instructeurs.")
@click.version_option(package_name="esmsnum", message="esmsnum %(version)s", help="Affiche la version et quitte.")
@click.help_option("-h", "--help", help="Affiche cette aide et quitte.")
def main() -> None:
    pass


HISTORY_HELP = ("Base d'historique (URL SQLAlchemy, ex. postgresql+psycopg://…). Par défaut "
                "OUT/.esmsnum/history.sqlite, ou la variable ESMSNUM_HISTORY_URL.")


@main.command("run", context_settings=HELP, help=(
    "Analyse tous les dossiers d'un appel. CALL_DIR est le dossier de l'export de l'appel (un sous-dossier "
    "ou un .zip par dossier). Écrit OUT/<dossier>/report.json et report.html, puis OUT/summary.json et "
    "summary.html. Relancée après un dépôt corrigé, elle ne refait que ce qui a changé (contenu des fichiers, "
    "configuration, version des règles). Code de sortie 0 quand le lot a été traité, quels que soient les verdicts."))
@click.argument("call_dir", metavar="CALL_DIR", type=click.Path(path_type=Path))
@click.option("--call", "call", metavar="APPEL",
              help="(obligatoire) Identifiant d'un appel livré (voir « esmsnum calls ») ou chemin d'un fichier de configuration YAML.")
@click.option("--out", "out_dir", metavar="DOSSIER_SORTIE", type=click.Path(path_type=Path),
              help="(obligatoire) Dossier où écrire les rapports (créé au besoin).")
@click.option("--cache", "cache", metavar="STOCKAGE", default=None,
              help="Où garder les résultats réutilisables : un dossier, ou un bloc de stockage Prefect enregistré "
                   "(ex. s3-bucket/esmsnum-cache). Par défaut OUT/.esmsnum/cache, ou la variable ESMSNUM_CACHE.")
@click.option("--history", "history_url", metavar="URL", default=None, help=HISTORY_HELP)
@click.option("--progress/--no-progress", default=None,
              help="Barre de progression (par défaut : seulement dans un terminal).")
@click.option("--runner", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Exécution des tâches : local (threads + processus de lecture, un par cœur), dask (grappe Dask "
                   "locale, ou existante avec --dask-address).")
@click.option("--workers", type=click.IntRange(min=1), default=None, metavar="N",
              help="Nombre de processus de travail (par défaut : un par cœur).")
@click.option("--dask-address", default=None, metavar="ADRESSE",
              help="Adresse d'un ordonnanceur Dask existant (ex. tcp://10.0.0.5:8786) ; implique --runner dask.")
def run(call_dir: Path, call: str | None, out_dir: Path | None, cache: str | None, history_url: str | None,
        progress: bool | None, runner: str, workers: int | None, dask_address: str | None) -> None:
    if call is None:
        raise click.UsageError("option obligatoire manquante : --call")
    if out_dir is None:
        raise click.UsageError("option obligatoire manquante : --out")
    if runner == "local" and not dask_address and _run_on_local_server(call_dir, call, out_dir, cache, history_url,
                                                                         progress, workers):
        return
    config = _load(call)
    if not call_dir.is_dir():
        raise click.UsageError(f"Dossier d'appel introuvable : {call_dir}")
    from extractors.intake import discover_dossiers

    if not discover_dossiers(call_dir):
        raise click.UsageError(f"Aucun dossier (sous-dossier ou .zip) dans {call_dir}")
    from judging.lock import OutputBusy, OutputLock

    out_dir = out_dir.resolve()
    try:
        with OutputLock(out_dir):
            click.echo(f"Analyse des dossiers de {call_dir} pour l'appel {config.id}…", err=True)
            _use_local_server()
            from flows import progress as progress_display
            from flows.call import run_call
            from flows.runners import WORKERS_ENV, shared_api_for_workers, task_runner
            from reports.summary import format_console

            if workers:
                os.environ[WORKERS_ENV] = str(workers)
            if progress if progress is not None else sys.stderr.isatty():
                progress_display.set_display(progress_display.TerminalBar())
            runner = "dask" if dask_address else runner
            flow = run_call.with_options(task_runner=task_runner(runner, workers, dask_address))
            with shared_api_for_workers(runner):
                summary = flow(call_dir.resolve(), config, out_dir, cache=cache, history_url=history_url)
    except OutputBusy as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(format_console(summary, out_dir))


@main.command("serve", context_settings=HELP, help=(
    "Mode serveur : enregistre le déploiement « esmsnum-appel-deploiement/NOM » auprès du serveur Prefect "
    "(variable PREFECT_API_URL) et exécute les analyses qui lui sont demandées, jusqu'à interruption (Ctrl+C). "
    "Lancer une analyse : prefect deployment run 'esmsnum-appel-deploiement/NOM' --param call_dir=… "
    "--param call=… --param out_dir=… (chemins vus depuis cette machine). Voir docs/operations.md."))
@click.option("--name", "name", default="esmsnum", show_default=True, metavar="NOM", help="Nom du déploiement.")
@click.option("--limit", type=click.IntRange(min=1), default=None, metavar="N",
              help="Nombre maximal d'analyses simultanées (par défaut : sans limite).")
def serve(name: str, limit: int | None) -> None:
    from flows.server import connect

    connect()  # the local server of « esmsnum serveur demarrer », when it runs
    if not os.environ.get("PREFECT_API_URL"):
        from prefect.settings import PREFECT_API_URL

        import flows.settings  # noqa: F401  (before prefect)

        if not PREFECT_API_URL.value():
            raise click.UsageError("PREFECT_API_URL n'est pas défini : indiquer l'adresse du serveur Prefect "
                                   "(ex. export PREFECT_API_URL=http://127.0.0.1:4200/api), voir docs/operations.md.")
    from flows.deploy import serve as serve_deployment

    click.echo(f"Déploiement esmsnum-appel-deploiement/{name} servi (Ctrl+C pour arrêter).", err=True)
    serve_deployment(name, limit)


def load_call(call: str):
    """The call configuration, checked against the rule catalogue (imported on use)."""
    from validators.engine import load_call as load

    return load(call)


def _load(call: str):
    from core.config import ConfigError

    try:
        return load_call(call)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc


def _read_report(out_dir: Path, dossier: str) -> dict:
    import json

    path = out_dir / dossier / "report.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise click.UsageError(f"Aucun rapport pour le dossier {dossier} dans {out_dir} (lancer d'abord « esmsnum run »).") from None
    except ValueError:
        raise click.ClickException(f"Rapport illisible : {path}") from None


@main.command("history", context_settings=HELP, help=(
    "Chronologie d'un dossier : chaque analyse enregistrée (date, verdict, constats résolus et nouveaux) "
    "et les constats levés par les instructeurs."))
@click.argument("dossier", metavar="DOSSIER")
@click.option("--out", "out_dir", metavar="DOSSIER_SORTIE", type=click.Path(path_type=Path),
              help="(obligatoire sans --history) Dossier de sortie des analyses de l'appel.")
@click.option("--call", "call_id", metavar="APPEL", default=None, help="Limiter à cet appel (identifiant).")
@click.option("--history", "history_url", metavar="URL", default=None, help=HISTORY_HELP)
def history(dossier: str, out_dir: Path | None, call_id: str | None, history_url: str | None) -> None:
    from judging.history import History
    from judging.timeline import format_timeline

    if out_dir is None and history_url is None:
        raise click.UsageError("option obligatoire manquante : --out (ou --history)")
    db = History.for_output((out_dir or Path(".")).resolve(), history_url)
    rows = db.timeline(call_id, dossier)
    if not rows:
        raise click.ClickException(f"Aucune analyse enregistrée pour le dossier {dossier}.")
    calls = sorted({r.call_id for r in rows})
    waivers = [w for c in calls for w in db.waivers(c, dossier).get(dossier, [])]
    click.echo(format_timeline(dossier, rows, waivers))
    db.close()


@main.command("lever", context_settings=HELP, help=(
    "Lève un constat d'un dossier après examen par l'instructeur : les constats de la règle RÈGLE du dernier "
    "rapport sont marqués « levé par l'instructeur » avec le motif, le verdict est recalculé et le rapport "
    "réécrit. La levée reste acquise aux analyses suivantes tant que le constat (règle, emplacement, valeur "
    "trouvée) ne change pas."))
@click.argument("dossier", metavar="DOSSIER")
@click.argument("rule", metavar="RÈGLE")
@click.option("--motif", required=False, default=None, help="(obligatoire) Motif de la levée, lu par les autres instructeurs.")
@click.option("--out", "out_dir", metavar="DOSSIER_SORTIE", type=click.Path(path_type=Path),
              help="(obligatoire) Dossier de sortie des analyses de l'appel.")
@click.option("--par", "author", default=None, metavar="NOM", help="Nom de l'instructeur (par défaut : l'utilisateur courant).")
@click.option("--history", "history_url", metavar="URL", default=None, help=HISTORY_HELP)
def lever(dossier: str, rule: str, motif: str | None, out_dir: Path | None, author: str | None,
          history_url: str | None) -> None:
    from judging.waive import WaiverError, waive
    from judging.lock import OutputBusy, OutputLock

    if out_dir is None:
        raise click.UsageError("option obligatoire manquante : --out")
    if not motif or not motif.strip():
        raise click.UsageError("option obligatoire manquante : --motif (le motif de la levée)")
    out_dir = out_dir.resolve()
    report = _read_report(out_dir, dossier)
    try:
        with OutputLock(out_dir):
            outcome = waive(out_dir, report, rule.upper(), motif.strip(), author, history_url)
    except OutputBusy as exc:
        raise click.ClickException(str(exc)) from exc
    except WaiverError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(outcome)


@main.command("calls", context_settings=HELP, help="Liste les appels livrés avec le projet (identifiant et intitulé).")
def calls() -> None:
    from core.config import ConfigError, available_calls

    for call_id in available_calls():
        try:
            config = load_call(call_id)
            click.echo(f"{call_id}\t{config.title}")
        except ConfigError as exc:
            click.echo(f"{call_id}\tCONFIGURATION INVALIDE : {exc}")


@main.command("check-call", context_settings=HELP, help="Vérifie une configuration d'appel (identifiant ou fichier YAML) sans rien analyser.")
@click.argument("call", metavar="APPEL")
def check_call(call: str) -> None:
    from core.config import ConfigError

    try:
        config = load_call(call)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(f"Configuration valide : {config.id} — {config.title}")


@main.command("rules", context_settings=HELP, help="Affiche le catalogue des règles (identifiant, gravité, intitulé).")
@click.option("--call", "call", default=None, metavar="APPEL", help="Gravités et activation propres à cet appel.")
def rules(call: str | None) -> None:
    from core.config import ConfigError
    from validators.engine import severity_for
    from validators.registry import all_rules

    config = None
    if call:
        try:
            config = load_call(call)
        except ConfigError as exc:
            raise click.UsageError(str(exc)) from exc
    for rule in all_rules().values():
        severity = severity_for(rule, config) if config else rule.severity
        enabled = "" if config is None or config.rule_setting(rule.id).enabled else "  (désactivée pour cet appel)"
        click.echo(f"{rule.id}\t{severity.label}\t{rule.title}{enabled}")


def _run_on_local_server(call_dir: Path, call: str, out_dir: Path, cache: str | None, history_url: str | None,
                         progress: bool | None, workers: int | None) -> bool:
    """The run handed to the warm analysis process of « esmsnum serveur demarrer » (no
    import of Prefect or of the rules here); False when there is none, or it is busy or runs
    other code: the command then runs the analysis itself."""
    if os.environ.get("PREFECT_API_URL"):
        return False  # an operator's Prefect server: runs are done by the command, as documented
    from flows import server

    state = server.read_state()
    if state is None or not state.runner_socket:
        return False
    from flows.warm import absolute_call, absolute_storage, delegate

    display = None
    if progress if progress is not None else sys.stderr.isatty():
        from flows.progress import TerminalBar

        display = TerminalBar()
    request = {"call_dir": str(call_dir.resolve()), "call": absolute_call(call), "out_dir": str(out_dir.resolve()),
               "cache": absolute_storage(cache) if cache else None, "history_url": history_url, "workers": workers,
               "progress": display is not None}
    try:
        outcome = delegate(Path(state.runner_socket), request, say=lambda text: click.echo(text, err=True),
                           display=display)
    except KeyboardInterrupt:
        click.echo("\nInterrompu : l'analyse confiée au serveur local se poursuit et écrira ses rapports.", err=True)
        raise click.Abort() from None
    if outcome is None:
        return False
    if outcome.usage_error:
        raise click.UsageError(outcome.usage_error)
    if outcome.error:
        raise click.ClickException(outcome.error)
    click.echo(outcome.stdout)
    return True


def _use_local_server() -> None:
    """Use the local Prefect server when it runs (before Prefect is imported); else say
    how to avoid starting a temporary one for each command."""
    from flows.server import connect

    if os.environ.get("PREFECT_API_URL"):
        return
    if connect() is None:
        click.echo("Serveur Prefect temporaire démarré pour cette commande (« esmsnum serveur demarrer » en garde un "
                   "ouvert entre les commandes, plus rapide).", err=True)


@main.group("serveur", cls=Group, context_settings=HELP, help=(
    "Serveur Prefect local gardé ouvert entre les commandes : esmsnum run et esmsnum suivre l'utilisent dès qu'il "
    "tourne (au lieu de démarrer un serveur temporaire à chaque analyse), et son interface montre chaque analyse. "
    "Il écoute sur 127.0.0.1 seulement ; ses données sont sous PREFECT_HOME (par défaut ~/.prefect)."))
def serveur() -> None:
    pass


@serveur.command("demarrer", context_settings=HELP, help=(
    "Démarre le serveur Prefect local en arrière-plan (ou indique celui qui tourne déjà). Le premier démarrage "
    "crée sa base de données et peut prendre une minute."))
@click.option("--port", type=click.IntRange(min=1, max=65535), default=None, metavar="PORT",
              help="Port d'écoute (par défaut : 4200 s'il est libre, sinon un port libre).")
def serveur_demarrer(port: int | None) -> None:
    from flows import server

    if server.status().status is not server.Status.RUNNING:
        click.echo("Démarrage du serveur Prefect local…", err=True)
    try:
        report = server.start(port)
    except server.ServerError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(server.describe(report))


@serveur.command("arreter", context_settings=HELP, help="Arrête le serveur Prefect local démarré par « esmsnum serveur demarrer ».")
def serveur_arreter() -> None:
    from flows import server

    report = server.stop()
    if report.stale_removed:
        click.echo(server.describe(report))
    elif report.state is None:
        click.echo("Aucun serveur Prefect local en marche : rien à arrêter.")
    else:
        click.echo(f"Serveur Prefect local arrêté (processus {report.state.pid}, port {report.state.port}).")


@serveur.command("etat", context_settings=HELP, help=(
    "Indique si le serveur Prefect local tourne (adresse, processus, date de démarrage). Code de sortie 0 s'il "
    "répond, 1 sinon. Un fichier d'état laissé par un serveur disparu est détecté et supprimé."))
def serveur_etat() -> None:
    from flows import server

    report = server.status()
    click.echo(server.describe(report))
    if report.status is not server.Status.RUNNING:
        sys.exit(1)


@main.command("suivre", context_settings=HELP, help=(
    "Mode suivi : analyse les dossiers de l'appel comme « esmsnum run », puis reste ouvert et réanalyse un dossier "
    "dès qu'une version corrigée (sous-dossier ou .zip) est déposée dans CALL_DIR et que sa copie est terminée : "
    "son rapport et la synthèse sont réécrits en quelques secondes, chaque analyse apparaît dans l'interface "
    "Prefect. Ctrl+C pour arrêter (l'analyse en cours se termine d'abord)."))
@click.argument("call_dir", metavar="CALL_DIR", type=click.Path(path_type=Path))
@click.option("--call", "call", metavar="APPEL",
              help="(obligatoire) Identifiant d'un appel livré (voir « esmsnum calls ») ou chemin d'un fichier de configuration YAML.")
@click.option("--out", "out_dir", metavar="DOSSIER_SORTIE", type=click.Path(path_type=Path),
              help="(obligatoire) Dossier où écrire les rapports (créé au besoin).")
@click.option("--cache", "cache", metavar="STOCKAGE", default=None,
              help="Où garder les résultats réutilisables (comme pour esmsnum run). Par défaut OUT/.esmsnum/cache.")
@click.option("--history", "history_url", metavar="URL", default=None, help=HISTORY_HELP)
@click.option("--workers", type=click.IntRange(min=1), default=None, metavar="N",
              help="Nombre de processus de lecture (par défaut : un par cœur).")
@click.option("--attente", "settle", type=click.FloatRange(min=0.2), default=2.0, show_default=True, metavar="SECONDES",
              help="Durée sans modification après laquelle une copie est considérée terminée.")
def suivre(call_dir: Path, call: str | None, out_dir: Path | None, cache: str | None, history_url: str | None,
           workers: int | None, settle: float) -> None:
    import signal
    import threading

    if call is None:
        raise click.UsageError("option obligatoire manquante : --call")
    if out_dir is None:
        raise click.UsageError("option obligatoire manquante : --out")
    config = _load(call)
    if not call_dir.is_dir():
        raise click.UsageError(f"Dossier d'appel introuvable : {call_dir}")
    if workers:
        os.environ["ESMSNUM_WORKERS"] = str(workers)
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        if stop.is_set():  # a second Ctrl+C: do not wait for the run in progress
            raise KeyboardInterrupt
        click.echo("Arrêt demandé : fin de l'analyse en cours, puis arrêt (Ctrl+C à nouveau pour forcer).", err=True)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    _use_local_server()
    from flows.watch import CallWatcher

    click.echo(f"Analyse des dossiers de {call_dir} pour l'appel {config.id}…", err=True)
    watcher = CallWatcher(call_dir.resolve(), config, out_dir.resolve(), cache=cache, history_url=history_url,
                          workers=workers, settle=settle, say=lambda text: click.echo(text, err=True))
    watcher.watch(stop)
    from extractors.sandbox import shutdown

    shutdown()
    click.echo(f"Suivi arrêté ({watcher.runs} analyse(s)). Rapports dans {out_dir.resolve()}.", err=True)


for _command in [*main.commands.values(), *serveur.commands.values()]:
    _command.params = [p for p in _command.params if p.name != "help"]
    click.help_option("-h", "--help", help="Affiche cette aide et quitte.")(_command)

if __name__ == "__main__":
    entry()
