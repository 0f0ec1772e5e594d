"""Command line: ``esmsnum analyser CALL_DIR --appel CALL --sortie OUT_DIR`` and friends (in French)."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from esmsnum.clickfr import install as _french_click

# Nothing heavy at import: « esmsnum --help » answers at once, and each command imports
# what it needs (Prefect, the readers and the rules only when a dossier must be judged).

_french_click()  # click's own words (« Utilisation : », « [par défaut : …] », its errors) in French

HELP = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class FrenchHelp:
    """The list of commands shows each command's whole short description (click cuts it at
    the terminal's width with « ... »)."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.short_help or command.get_short_help_str(limit=500)))
        if rows:
            with formatter.section("Commandes"):
                formatter.write_dl(rows)


class FrenchFormatter(click.HelpFormatter):
    """Headings as French typography writes them (« Options : »)."""

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading} :\n")


class FrenchContext(click.Context):
    formatter_class = FrenchFormatter


class Command(click.Command):
    context_class = FrenchContext


class Group(FrenchHelp, click.Group):
    command_class = Command
    group_class = type  # sub-groups are of this class too
    context_class = FrenchContext
    aliases: dict[str, str] = {}  # an earlier (English) name → the command's French name (french_names)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, self.aliases.get(cmd_name, cmd_name))

    def command(self, *args, **kwargs):
        """A sub-command with the product's help settings (``-h``, 100 columns)."""
        kwargs.setdefault("context_settings", HELP)
        return super().command(*args, **kwargs)

    def group(self, *args, **kwargs):
        """A sub-group (of this class) with the product's help settings."""
        kwargs.setdefault("context_settings", HELP)
        return super().group(*args, **kwargs)


def at_least_one(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
    """A count of at least 1 (the help shows no range in English)."""
    if value is not None and value < 1:
        raise click.BadParameter(f"{value} : un nombre entier d'au moins 1 est attendu.", ctx=ctx, param=param)
    return value


def worker_count(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
    """A number of worker processes: at least 1, at most what this machine may run
    (``core.limits.max_workers``: a few per core)."""
    from core.limits import WORKERS_PER_CORE, max_workers

    value = at_least_one(ctx, param, value)
    if value is not None and value > max_workers():
        cores = os.cpu_count() or 1
        raise click.BadParameter(
            f"{value} : au plus {max_workers()} processus sur cette machine ({WORKERS_PER_CORE} par cœur, "
            f"{cores} cœur{'s' if cores > 1 else ''}).",
            ctx=ctx,
            param=param,
        )
    return value


def _at_least_seconds(ctx: click.Context, param: click.Parameter, value: float, minimum: float) -> float:
    """A duration of at least ``minimum`` seconds (the help shows no range in English)."""
    if value < minimum:
        given, least = (f"{v:g}".replace(".", ",") for v in (value, minimum))
        raise click.BadParameter(f"{given} : une durée d'au moins {least} s est attendue.", ctx=ctx, param=param)
    return value


def entry(args: list[str] | None = None) -> None:
    """Console script: French errors, exit code 2 on bad usage, never a traceback for it.
    ``args`` defaults to the command line."""
    try:
        main.main(args, prog_name="esmsnum", standalone_mode=False)
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx else "esmsnum"
        click.echo(f"Erreur : {exc.format_message()}", err=True)
        click.echo(f"Aide : {command} --help", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"Erreur : {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("Interrompu.", err=True)
        sys.exit(130)


def output_folder(out_dir: Path, *, create: bool = True) -> Path:
    """The output folder, checked before anything runs: a file in its place, a folder that
    cannot be created or written to is a usage error (French message, exit code 2)."""
    from judging.lock import OutputUnusable, usable_output

    try:
        return usable_output(out_dir, create=create)
    except OutputUnusable as exc:
        raise click.UsageError(str(exc)) from None


@click.group(
    cls=Group,
    context_settings=HELP,
    help="esmsnum — recevabilité des dossiers ESMS numérique : analyse des dossiers d'un appel "
    "à projets et rapports pour les instructeurs.",
    options_metavar="[OPTIONS]",
    subcommand_metavar="COMMANDE [ARGUMENTS]...",
)
@click.version_option(package_name="esmsnum", message="esmsnum %(version)s", help="Affiche la version et quitte.")
@click.help_option("-h", "--help", help="Affiche cette aide et quitte.")
def main() -> None:
    pass


FINESS_RUN_HELP = (
    "Extraction du répertoire FINESS où vérifier chaque ESSMS : date d'une extraction importée (AAAA-MM-JJ), "
    "fichier .sqlite ou dossier de stockage, ou « aucune » pour ne pas vérifier. Par défaut : l'extraction que "
    "nomme la configuration de l'appel, sinon la plus récente importée (« esmsnum finess info »)."
)
FINESS_DIR_HELP = (
    "Dossier de stockage des extractions FINESS importées. Par défaut : la variable "
    "ESMSNUM_FINESS_DIR, sinon ~/.cache/esmsnum/finess (un dossier partagé sert toute une équipe)."
)

HISTORY_HELP = (
    "Base d'historique (URL SQLAlchemy, ex. postgresql+psycopg://…). Par défaut "
    "OUT/.esmsnum/history.sqlite, ou la variable ESMSNUM_HISTORY_URL. Le mot de passe d'une base serveur se "
    "donne par PGPASSWORD ou ~/.pgpass : un mot de passe écrit dans l'URL en est retiré (il n'est transmis à "
    "Prefect, aux journaux ni aux rapports) et passé par PGPASSWORD à ce processus."
)


def _history_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """The history URL without its password: what is passed to a flow is stored by Prefect
    (its database, its interface). The password goes to libpq through ``PGPASSWORD`` of this
    process (and the processes it starts)."""
    if not value:
        return value
    from instruction.store import split_password

    url, password = split_password(value)
    if password:
        os.environ["PGPASSWORD"] = password
    return url


def stacked(options):
    """One decorator applying ``options`` (click decorators) in the order they are listed."""

    def decorate(function):
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


def out_option(help: str):
    """The ``--out`` option (the output folder of a call's analyses), with its help text."""
    return click.option("--out", "out_dir", metavar="DOSSIER_SORTIE", type=click.Path(path_type=Path), help=help)


HISTORY_OPTION = click.option(
    "--history", "history_url", metavar="URL", default=None, help=HISTORY_HELP, callback=_history_url
)
FINESS_DIR_OPTION = click.option(
    "--finess", "folder", metavar="DOSSIER", type=click.Path(path_type=Path), default=None, help=FINESS_DIR_HELP
)


@dataclass(frozen=True)
class CallRun:
    """What ``run`` and ``suivre`` are given alike: the call folder, the call, the output
    folder, the cache, the history, the workers and the FINESS extract."""

    call_dir: Path
    call: str | None
    out_dir: Path | None
    cache: str | None
    history_url: str | None
    workers: int | None
    finess: str | None


def call_run_options(function):
    """The argument and options ``run`` and ``suivre`` share, given to the command as one
    ``CallRun`` (its first argument)."""

    @functools.wraps(function)
    def command(call_dir, call, out_dir, cache, history_url, workers, finess, **others):
        return function(CallRun(call_dir, call, out_dir, cache, history_url, workers, finess), **others)

    return CALL_RUN_OPTIONS(command)


CALL_RUN_OPTIONS = stacked(
    [
        click.argument("call_dir", metavar="DOSSIER_APPEL", type=click.Path(path_type=Path)),
        click.option(
            "--call",
            "call",
            metavar="APPEL",
            help="(obligatoire) Identifiant d'un appel livré (voir « esmsnum appels ») ou chemin d'un fichier de "
            "configuration YAML.",
        ),
        out_option("(obligatoire) Dossier où écrire les rapports (créé au besoin)."),
        click.option(
            "--cache",
            "cache",
            metavar="STOCKAGE",
            default=None,
            help="Où garder les résultats réutilisables : un dossier, ou un bloc de stockage Prefect enregistré "
            "(ex. s3-bucket/esmsnum-cache). Par défaut le dossier d'état privé (~/.local/state/esmsnum/cache, voir ESMSNUM_STATE_DIR), ou la variable ESMSNUM_CACHE.",
        ),
        HISTORY_OPTION,
        click.option(
            "--workers",
            type=int,
            callback=worker_count,
            default=None,
            metavar="N",
            help="Nombre de processus de travail (par défaut : un par cœur).",
        ),
        click.option("--finess", "finess", default=None, metavar="EXTRACTION", help=FINESS_RUN_HELP),
    ]
)


def _call_inputs(given: CallRun):
    """The call's configuration and FINESS store, once ``run``'s or ``suivre``'s usage is
    checked (French usage errors, exit 2)."""
    call_dir = given.call_dir
    if given.call is None:
        raise click.UsageError("option obligatoire manquante : --appel")
    if given.out_dir is None:
        raise click.UsageError("option obligatoire manquante : --sortie")
    config = _load(given.call)
    if call_dir.exists() and not call_dir.is_dir():
        raise click.UsageError(f"DOSSIER_APPEL désigne un fichier, pas un dossier : {call_dir}")
    store = _finess_store(given.finess, config)
    if not call_dir.is_dir():
        raise click.UsageError(f"Dossier d'appel introuvable : {call_dir}")
    from judging.lock import OutputUnusable, outside_call

    try:
        outside_call(call_dir, given.out_dir)
    except OutputUnusable as exc:
        raise click.UsageError(str(exc)) from None
    return config, store


@main.command(
    "run",
    short_help="Analyse tous les dossiers d'un appel et écrit les rapports.",
    help=(
        "Analyse tous les dossiers d'un appel. DOSSIER_APPEL est le dossier de l'export de l'appel (un sous-dossier "
        "ou un .zip par dossier). Écrit OUT/<dossier>/report.json et report.html, puis OUT/summary.json et "
        "summary.html. Relancée après un dépôt corrigé, elle ne refait que ce qui a changé (contenu des fichiers, "
        "configuration, version des règles). Code de sortie 0 quand le lot a été traité, quels que soient les verdicts."
    ),
)
@call_run_options
@click.option(
    "--progress/--no-progress", default=None, help="Barre de progression (par défaut : seulement dans un terminal)."
)
@click.option(
    "--runner",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Exécution des tâches : local (threads + processus de lecture, un par cœur), dask (grappe Dask "
    "locale, ou existante avec --adresse-dask).",
)
@click.option(
    "--dask-address",
    default=None,
    metavar="ADRESSE",
    help="Adresse d'un ordonnanceur Dask existant (ex. tcp://10.0.0.5:8786) ; implique --executeur dask.",
)
def run(given: CallRun, progress: bool | None, runner: str, dask_address: str | None) -> None:
    if (
        given.call is not None
        and given.out_dir is not None
        and runner == "local"
        and not dask_address
        and _run_on_local_server(given, progress)
    ):
        return
    config, store = _call_inputs(given)
    call_dir, workers = given.call_dir, given.workers
    from extractors.intake import discover_dossiers

    if not discover_dossiers(call_dir):
        raise click.UsageError(f"Aucun dossier (sous-dossier ou .zip) dans {call_dir}")
    from judging.lock import OutputBusy, OutputLock

    out_dir = output_folder(given.out_dir)
    try:
        with OutputLock(out_dir):
            click.echo(f"Analyse des dossiers de {call_dir} pour l'appel {config.id}…", err=True)
            _use_local_server()
            click.echo(_finess_line(store), err=True)
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
                summary = flow(
                    call_dir.resolve(),
                    config,
                    out_dir,
                    cache=given.cache,
                    history_url=given.history_url,
                    finess=str(store.path) if store else None,
                )
    except OutputBusy as exc:
        raise click.ClickException(str(exc)) from exc
    except Exception as exc:
        from prefect.exceptions import FailedRun

        from reports.files import write_failure

        message = str(exc) if isinstance(exc, FailedRun) else write_failure(exc)
        if message is None:
            raise
        raise click.ClickException(message) from None
    click.echo(format_console(summary, out_dir))


@main.command(
    "serve",
    short_help="Mode serveur : exécute les analyses demandées au serveur Prefect.",
    help=(
        "Mode serveur : enregistre le déploiement « esmsnum-appel-deploiement/NOM » auprès du serveur Prefect "
        "(variable PREFECT_API_URL) et exécute les analyses qui lui sont demandées, jusqu'à interruption (Ctrl+C). "
        "Lancer une analyse : prefect deployment run 'esmsnum-appel-deploiement/NOM' --param call_dir=… "
        "--param call=… --param out_dir=… (chemins vus depuis cette machine). Voir docs/operations.md."
    ),
)
@click.option("--name", "name", default="esmsnum", show_default=True, metavar="NOM", help="Nom du déploiement.")
@click.option(
    "--limit",
    type=int,
    callback=at_least_one,
    default=None,
    metavar="N",
    help="Nombre maximal d'analyses simultanées (par défaut : sans limite).",
)
def serve(name: str, limit: int | None) -> None:
    from flows.server import connect

    connect()  # the local server of « esmsnum serveur demarrer », when it runs
    if not os.environ.get("PREFECT_API_URL"):
        from prefect.settings import PREFECT_API_URL

        import flows.settings  # noqa: F401  (before prefect)

        if not PREFECT_API_URL.value():
            raise click.UsageError(
                "PREFECT_API_URL n'est pas défini : indiquer l'adresse du serveur Prefect "
                "(ex. export PREFECT_API_URL=http://127.0.0.1:4200/api), voir docs/operations.md."
            )
    from flows.deploy import serve as serve_deployment

    click.echo(f"Déploiement esmsnum-appel-deploiement/{name} servi (Ctrl+C pour arrêter).", err=True)
    serve_deployment(name, limit)


def load_call(call: str):
    """The call configuration, checked against the rule catalogue (imported on use)."""
    from validators.engine import load_call as load

    return load(call)


def _finess_store(setting: str | None, config):
    """The FINESS extract a run uses (``None``: none loaded or « aucune »)."""
    from validators.finess_repository import RepositoryError, resolve_store

    try:
        return resolve_store(setting, config.finess_extract.value if config.finess_extract else None)
    except RepositoryError as exc:
        raise click.UsageError(str(exc)) from exc


def _finess_line(store) -> str:
    from validators.finess_repository import run_line

    return run_line(store)


def _decimal(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def _thousands(n: int) -> str:
    from core.french import number

    return number(n)


def _load(call: str):
    from core.config import ConfigError

    try:
        return load_call(call)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc


@contextlib.contextmanager
def _locked(out_dir: Path):
    """The output folder held by this command (another run in it is a French error)."""
    from judging.lock import OutputBusy, OutputLock

    try:
        with OutputLock(out_dir):
            yield
    except OutputBusy as exc:
        raise click.ClickException(str(exc)) from exc


def _read_report(out_dir: Path, dossier: str):
    """The typed report of a dossier of the output folder (any version the product wrote)."""
    import json

    from core.report import DossierReport

    path = out_dir / dossier / "report.json"
    try:
        return DossierReport.load(json.loads(path.read_text(encoding="utf-8")))
    except OSError:
        raise click.UsageError(
            f"Dossier inconnu : aucun rapport pour le dossier {dossier} dans {out_dir} "
            "(lancer d'abord « esmsnum analyser »)."
        ) from None
    except ValueError:
        raise click.ClickException(f"Rapport illisible : {path}") from None


@main.command(
    "history",
    short_help="Chronologie d'un dossier : analyses, levées, commentaires, décisions.",
    help=(
        "Chronologie d'un dossier : chaque analyse enregistrée (date, verdict, constats résolus et nouveaux), "
        "les constats levés et les levées annulées, les commentaires, statuts, attributions, décisions et courriers "
        "de l'espace d'instruction (esmsnum web), avec leur auteur."
    ),
)
@click.argument("dossier", metavar="DOSSIER")
@out_option("(obligatoire sans --historique) Dossier de sortie des analyses de l'appel.")
@click.option("--call", "call_id", metavar="APPEL", default=None, help="Limiter à cet appel (identifiant).")
@HISTORY_OPTION
def history(dossier: str, out_dir: Path | None, call_id: str | None, history_url: str | None) -> None:
    from instruction.store import History
    from instruction.timeline import format_timeline

    if out_dir is None and history_url is None:
        raise click.UsageError("option obligatoire manquante : --sortie (ou --historique)")
    if out_dir is not None:
        out_dir = output_folder(out_dir, create=False)
    with contextlib.closing(History.for_output((out_dir or Path(".")).resolve(), history_url)) as db:
        calls = [call_id] if call_id else db.calls_of(dossier)
        if not calls or not db.timeline(calls[0], dossier):
            raise click.UsageError(f"Dossier inconnu : aucune analyse enregistrée pour le dossier {dossier}.")
        click.echo(format_timeline(dossier, db, calls))


@main.command(
    "lever",
    short_help="Lève les constats d'une règle d'un dossier, avec un motif.",
    help=(
        "Lève un constat d'un dossier après examen par l'instructeur : les constats de la règle RÈGLE du dernier "
        "rapport sont marqués « levé par l'instructeur » avec le motif, le verdict est recalculé et le rapport "
        "réécrit. La levée reste acquise aux analyses suivantes tant que le constat (règle, emplacement, valeur "
        "trouvée) ne change pas."
    ),
)
@click.argument("dossier", metavar="DOSSIER")
@click.argument("rule", metavar="RÈGLE")
@click.option(
    "--motif",
    required=False,
    default=None,
    metavar="MOTIF",
    help="(obligatoire) Motif de la levée, lu par les autres instructeurs.",
)
@out_option("(obligatoire) Dossier de sortie des analyses de l'appel.")
@click.option(
    "--par", "author", default=None, metavar="NOM", help="Nom de l'instructeur (par défaut : l'utilisateur courant)."
)
@HISTORY_OPTION
def lever(
    dossier: str, rule: str, motif: str | None, out_dir: Path | None, author: str | None, history_url: str | None
) -> None:
    from instruction.waivers import WaiverError, waive

    if out_dir is None:
        raise click.UsageError("option obligatoire manquante : --sortie")
    if not motif or not motif.strip():
        raise click.UsageError("option obligatoire manquante : --motif (le motif de la levée)")
    out_dir = output_folder(out_dir, create=False)
    report = _read_report(out_dir, dossier)
    rule_id = rule.strip().upper()
    _known_rule(rule_id)
    try:
        with _locked(out_dir):
            outcome = waive(out_dir, report, rule_id, motif.strip(), author, history_url)
    except WaiverError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(outcome)


def _known_rule(rule_id: str) -> None:
    from validators.registry import all_rules

    if rule_id not in all_rules():
        raise click.UsageError(f"Règle inconnue : {rule_id} (voir « esmsnum regles »).")


def _record_sending(out_dir: Path, report, sending: str):
    import getpass

    from instruction.letters import SendingError, parse_day, record_sending
    from instruction.store import History

    with contextlib.closing(History.for_output(out_dir)) as history:
        try:
            return record_sending(
                out_dir, report, history, parse_day(sending), getpass.getuser() or "ligne de commande"
            )
        except SendingError as exc:
            raise click.UsageError(str(exc)) from None


@main.command(
    "courrier",
    short_help="Réécrit le courrier d'un dossier avec sa date d'envoi.",
    help=(
        "Réécrit le courrier au porteur d'un dossier (courrier.docx, courrier.pdf et le rapport) avec la date "
        "d'envoi choisie par l'instructeur : la date limite de réponse en est recalculée (délai letters.reply_days "
        "de l'appel). Sans --date-envoi, le courrier reprend la date du jour."
    ),
)
@click.argument("dossier", metavar="DOSSIER")
@out_option("(obligatoire) Dossier de sortie des analyses de l'appel.")
@click.option(
    "--date-envoi",
    "sending",
    metavar="JJ/MM/AAAA",
    default=None,
    help="Date d'envoi du courrier (par défaut : aujourd'hui).",
)
def courrier(dossier: str, out_dir: Path | None, sending: str | None) -> None:
    from reports.dossier import write_dossier_reports

    if out_dir is None:
        raise click.UsageError("option obligatoire manquante : --sortie")
    out_dir = output_folder(out_dir, create=False)
    report = _read_report(out_dir, dossier)
    from reports.letter import current_kind

    if current_kind(report) is None:
        raise click.UsageError(f"Le dossier {dossier} est recevable et non décidé : il n'a pas de courrier.")
    with _locked(out_dir):
        if sending:  # checked, recorded in the history (chronology, re-runs), then written
            report = _record_sending(out_dir, report, sending)
        else:
            write_dossier_reports(report, out_dir / dossier)
    from core.french import date_long
    from reports.letter import letter_content

    content = letter_content(report)
    if content is None:
        click.echo(f"Le dossier {dossier} n'a rien à demander au porteur : pas de courrier.")
        return
    deadline = f" ; date limite de réponse : {content['deadline_label']}" if content.get("deadline_label") else ""
    click.echo(
        f"Courrier du dossier {dossier} daté du {date_long(content['date'])}{deadline}. "
        f"Fichiers : {out_dir / dossier / 'courrier.pdf'} et courrier.docx"
    )


WEB_HELP = (
    "Espace d'instruction dans le navigateur : parcourir les dossiers d'un ou plusieurs appels (DOSSIER_SORTIE… "
    "écrits par « esmsnum analyser »), lever un constat avec son motif, commenter, attribuer, suivre le statut, demander "
    "une correction au porteur, proposer une décision (groupes A à D), décider (accepté, refusé, classé sans suite), "
    "rédiger et dater les courriers et préparer le tableau du comité. Comptes : « esmsnum comptes ». Écoute sur "
    "127.0.0.1 par défaut ; derrière le mandataire inverse (TLS) de l'agence, voir docs/operations.md."
)


@main.command(
    "web",
    short_help="Espace d'instruction dans le navigateur (dossiers, levées, décisions, comité).",
    help=WEB_HELP,
)
@click.argument("out_dirs", metavar="DOSSIER_SORTIE…", nargs=-1, type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, metavar="ADRESSE", help="Adresse d'écoute.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535), help="Port d'écoute.")
@click.option(
    "--history",
    "history_url",
    metavar="URL",
    default=None,
    callback=_history_url,
    help="Base d'historique partagée par les appels (URL SQLAlchemy) ; par défaut celle de chaque "
    "DOSSIER_SORTIE, les comptes étant lus dans celle du premier.",
)
@click.option(
    "--https/--no-https",
    "https",
    default=None,
    help="Cookies de session « Secure » (servi en HTTPS, derrière un mandataire TLS). Par défaut : "
    "oui dès que l'adresse d'écoute n'est pas locale, ou avec la variable ESMSNUM_WEB_HTTPS=1.",
)
@click.option(
    "--proxy",
    "proxies",
    metavar="ADRESSE",
    multiple=True,
    help="Adresse du mandataire inverse dont les en-têtes X-Forwarded-* sont crus (répétable).",
)
def web(
    out_dirs: tuple[Path, ...],
    host: str,
    port: int,
    history_url: str | None,
    https: bool | None,
    proxies: tuple[str, ...],
) -> None:
    if not out_dirs:
        raise click.UsageError(
            "argument obligatoire manquant : DOSSIER_SORTIE (dossier de sortie d'« esmsnum analyser »)"
        )
    from web.settings import SettingsError, WebSettings

    try:
        settings = WebSettings.build([d.resolve() for d in out_dirs], history_url=history_url, https=https, host=host)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc
    import uvicorn

    from web.app import create_app

    app = create_app(settings)
    click.echo(f"Espace d'instruction : http://{host}:{port}/ (Ctrl+C pour arrêter).", err=True)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=bool(proxies),
        forwarded_allow_ips=",".join(proxies) if proxies else None,
        server_header=False,
    )


@main.group(
    "comptes",
    short_help="Comptes de l'espace d'instruction : ajouter, lister, désactiver.",
    help=(
        "Comptes de l'espace d'instruction (esmsnum web), gardés dans la base d'historique : ajouter, lister, "
        "désactiver, réactiver, changer un mot de passe. Rôles : instructeur (lève, commente, attribue, change le "
        "statut, demande une correction, prépare les courriers), decideur (en plus : la décision proposée et la "
        "décision sur le dossier), lecture (consulte seulement), expert (voit seulement les dossiers dont l'avis "
        "lui est demandé et rend cet avis). Adresse électronique des notifications : « esmsnum comptes courriel »."
    ),
)
def comptes() -> None:
    pass


def _accounts_db(out_dir: Path | None, history_url: str | None):
    from instruction.accounts import open_accounts

    if out_dir is None and history_url is None:
        raise click.UsageError("option obligatoire manquante : --sortie (ou --historique)")
    store = open_accounts(out_dir, history_url)
    if store.migrated:
        click.echo(store.migrated, err=True)
    return store


def _read_password(confirm: bool = True) -> str:
    """From the terminal (typed twice, not echoed) or the first line of standard input."""
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("Mot de passe : ")
        if confirm and getpass.getpass("Mot de passe (confirmation) : ") != first:
            raise click.ClickException("Les deux saisies diffèrent.")
        return first
    return sys.stdin.readline().rstrip("\r\n")


_account_options = stacked(
    [
        out_option(
            "(obligatoire sans --historique) Dossier de sortie dont la base garde les comptes (le premier "
            "donné à « esmsnum web »)."
        ),
        HISTORY_OPTION,
    ]
)


@contextlib.contextmanager
def _accounts(out_dir: Path | None, history_url: str | None):
    """The accounts of the history, closed after use; a refused change is a French error."""
    from instruction.accounts import AccountError

    db = _accounts_db(out_dir, history_url)
    try:
        yield db
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.close()


@comptes.command(
    "ajouter",
    short_help="Crée un compte (mot de passe lu sur l'entrée standard).",
    help=(
        "Crée le compte NOM. Le mot de passe (10 caractères au moins) est lu sur l'entrée standard "
        "(saisi deux fois dans un terminal) et gardé sous forme d'empreinte argon2."
    ),
)
@click.argument("name", metavar="NOM")
@click.option(
    "--role",
    type=click.Choice(["instructeur", "decideur", "lecture", "expert"]),
    default=None,
    help="(obligatoire) instructeur, decideur, lecture ou expert.",
)
@_account_options
def comptes_ajouter(name: str, role: str | None, out_dir: Path | None, history_url: str | None) -> None:
    from instruction.accounts import create_account
    from instruction.workflow import ROLES

    if role is None:
        raise click.UsageError("option obligatoire manquante : --role (instructeur, decideur, lecture ou expert)")
    with _accounts(out_dir, history_url) as db:
        account = create_account(db, name, role, _read_password())
    click.echo(f"Compte {account.name} créé ({ROLES[account.role]}).")


@comptes.command(
    "lister",
    short_help="Liste les comptes.",
    help="Liste les comptes : nom, rôle, actif ou non, dernière connexion.",
)
@_account_options
def comptes_lister(out_dir: Path | None, history_url: str | None) -> None:
    from core.french import datetime_long as datetime_fr
    from instruction.workflow import ROLES

    with _accounts(out_dir, history_url) as db:
        rows = db.all()
    if not rows:
        click.echo(
            "Aucun compte. Créer le premier : esmsnum comptes ajouter NOM --role instructeur --sortie DOSSIER_SORTIE"
        )
        return
    for a in rows:
        state = "actif" if a.active else "désactivé"
        last = f"dernière connexion le {datetime_fr(a.last_login_at)}" if a.last_login_at else "jamais connecté"
        click.echo(f"{a.name}\t{ROLES.get(a.role, a.role)}\t{state}\t{last}")


def _activation_command(command: str, active: bool, done: str, **texts: str) -> click.Command:
    """``comptes desactiver`` or ``comptes reactiver``: sets the account NOM (in)active, then
    says ``Compte NOM <done>.``"""

    @comptes.command(command, **texts)
    @click.argument("name", metavar="NOM")
    @_account_options
    def activation(name: str, out_dir: Path | None, history_url: str | None) -> None:
        from instruction.accounts import set_active

        with _accounts(out_dir, history_url) as db:
            set_active(db, name, active)
        click.echo(f"Compte {name} {done}.")

    return activation


comptes_desactiver = _activation_command(
    "desactiver",
    False,
    "désactivé",
    short_help="Désactive un compte.",
    help=(
        "Désactive le compte NOM : il ne peut plus se connecter et ses sessions ouvertes sont fermées. Le compte "
        "reste dans l'historique (ses actions gardent son nom)."
    ),
)
comptes_reactiver = _activation_command(
    "reactiver", True, "réactivé", short_help="Réactive un compte.", help="Réactive le compte NOM."
)


@comptes.command(
    "mot-de-passe",
    short_help="Change le mot de passe d'un compte.",
    help=("Change le mot de passe du compte NOM (lu sur l'entrée standard) ; ses sessions ouvertes sont fermées."),
)
@click.argument("name", metavar="NOM")
@_account_options
def comptes_mot_de_passe(name: str, out_dir: Path | None, history_url: str | None) -> None:
    from instruction.accounts import set_password

    with _accounts(out_dir, history_url) as db:
        set_password(db, name, _read_password())
    click.echo(f"Mot de passe du compte {name} changé.")


@comptes.command(
    "courriel",
    short_help="Adresse électronique des notifications d'un compte.",
    help=(
        "Enregistre l'adresse électronique ADRESSE du compte NOM : il y reçoit les notifications de l'espace "
        "d'instruction (avis demandé, dossier attribué, avis rendu) quand un serveur SMTP est configuré. Sans "
        "ADRESSE, l'adresse est retirée."
    ),
)
@click.argument("name", metavar="NOM")
@click.argument("email", metavar="ADRESSE", required=False)
@_account_options
def comptes_courriel(name: str, email: str | None, out_dir: Path | None, history_url: str | None) -> None:
    from instruction.teams import TeamError

    with _teams(out_dir, history_url) as (db, teams):
        if db.get(name) is None:
            raise click.ClickException(f"Aucun compte {name}.")
        try:
            teams.set_email(name, email)
        except TeamError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"Adresse du compte {name} : {email}." if email else f"Adresse du compte {name} retirée.")


@contextlib.contextmanager
def _teams(out_dir: Path | None, history_url: str | None):
    """The accounts and their groups (same database), closed after use."""
    from instruction.teams import TeamStore

    with _accounts(out_dir, history_url) as db:
        yield db, TeamStore(db.url, engine=db.engine)


@main.group(
    "groups",
    short_help="Groupes instructeurs : créer, lister, ajouter ou retirer un membre.",
    help=(
        "Groupes instructeurs de l'espace d'instruction : un groupe couvre des appels et des départements (« tous » "
        "pour chacun) ; un compte instructeur ou lecture membre de groupes ne voit que les dossiers de leurs appels "
        "ayant un ESSMS dans leurs départements. Tant qu'aucun groupe n'existe, chaque compte voit tout ; dès qu'un "
        "groupe existe, un compte instructeur ou lecture sans groupe ne voit aucun dossier. Un décideur voit tous "
        "les dossiers ; un expert, ceux dont l'avis lui est demandé."
    ),
)
def groupes() -> None:
    pass


@contextlib.contextmanager
def _groups(out_dir: Path | None, history_url: str | None):
    from instruction.teams import TeamError

    with _teams(out_dir, history_url) as (db, teams):
        try:
            yield db, teams
        except TeamError as exc:
            raise click.ClickException(str(exc)) from exc


def _warn_without_group(db, teams) -> None:
    """Accounts that see no dossier since groups exist (French, on stderr)."""
    members = {m for g in teams.all() for m in g.members}
    alone = [a.name for a in db.all() if a.active and a.role in {"instructeur", "lecture"} and a.name not in members]
    if alone and teams.all():
        click.echo(
            f"Attention : sans groupe, ces comptes ne voient plus aucun dossier : {', '.join(alone)} "
            "(esmsnum groupes ajouter-membre GROUPE COMPTE).",
            err=True,
        )


@groupes.command(
    "creer",
    short_help="Crée un groupe (appels et départements couverts).",
    help=(
        "Crée le groupe NOM couvrant les appels --appel (répétable ; « tous » par défaut) et les départements "
        "--departement (répétable, par exemple 38 ; « tous » par défaut)."
    ),
)
@click.argument("name", metavar="NOM")
@click.option("--appel", "calls", multiple=True, metavar="APPEL", help="Appel couvert (répétable) ou « tous ».")
@click.option(
    "--departement", "departements", multiple=True, metavar="CODE", help="Département couvert (répétable) ou « tous »."
)
@_account_options
def groupes_creer(
    name: str, calls: tuple[str, ...], departements: tuple[str, ...], out_dir: Path | None, history_url: str | None
) -> None:
    with _groups(out_dir, history_url) as (db, teams):
        group = teams.create(name, list(calls) or None, list(departements) or None)
        click.echo(f"Groupe « {group.name} » créé ({group.describe()}).")
        _warn_without_group(db, teams)


@groupes.command(
    "lister",
    short_help="Liste les groupes et leurs membres.",
    help="Liste les groupes : appels, départements, membres.",
)
@_account_options
def groupes_lister(out_dir: Path | None, history_url: str | None) -> None:
    with _groups(out_dir, history_url) as (_db, teams):
        rows = teams.all()
    if not rows:
        click.echo("Aucun groupe : chaque compte voit tous les dossiers. Créer un groupe : esmsnum groupes creer NOM")
        return
    for g in rows:
        click.echo(f"{g.name}\t{g.describe()}\tmembres : {', '.join(g.members) or 'aucun'}")


def _membership_command(command: str, add: bool, **texts: str) -> click.Command:
    @groupes.command(command, **texts)
    @click.argument("name", metavar="GROUPE")
    @click.argument("account", metavar="COMPTE")
    @_account_options
    def membership(name: str, account: str, out_dir: Path | None, history_url: str | None) -> None:
        with _groups(out_dir, history_url) as (db, teams):
            if add:
                if db.get(account) is None:
                    raise click.ClickException(f"Aucun compte {account}.")
                group = teams.add_member(name, account)
                click.echo(f"Compte {account} ajouté au groupe « {group.name} ».")
            else:
                group = teams.remove_member(name, account)
                click.echo(f"Compte {account} retiré du groupe « {group.name} ».")
                _warn_without_group(db, teams)

    return membership


groupes_ajouter_membre = _membership_command(
    "ajouter-membre",
    True,
    short_help="Ajoute un compte à un groupe.",
    help="Ajoute le compte COMPTE au groupe GROUPE : il voit les dossiers du groupe dès sa prochaine page.",
)
groupes_retirer_membre = _membership_command(
    "retirer-membre",
    False,
    short_help="Retire un compte d'un groupe.",
    help="Retire le compte COMPTE du groupe GROUPE.",
)


@groupes.command(
    "supprimer", short_help="Supprime un groupe.", help="Supprime le groupe NOM (ses membres n'en sont plus)."
)
@click.argument("name", metavar="NOM")
@_account_options
def groupes_supprimer(name: str, out_dir: Path | None, history_url: str | None) -> None:
    with _groups(out_dir, history_url) as (db, teams):
        teams.delete(name)
        click.echo(f"Groupe « {name} » supprimé.")
        _warn_without_group(db, teams)


@main.command(
    "calls",
    short_help="Liste les appels livrés avec le projet (année, canal, intitulé).",
    help="Liste les appels livrés avec le projet : identifiant, année de programme, canal, date limite et intitulé.",
)
def calls() -> None:
    from core.config import CHANNEL_LABELS, ConfigError, available_calls
    from core.french import date_long

    for call_id in available_calls():
        try:
            config = load_call(call_id)
        except ConfigError as exc:
            click.echo(f"{call_id}\tCONFIGURATION INVALIDE : {exc}")
            continue
        year = config.programme_year.label if config.programme_year else str(config.year)
        channel = CHANNEL_LABELS.get(config.channel, config.channel)
        closes = date_long(config.submission.closes.value.date())
        click.echo(f"{call_id}\t{year}\t{channel}\tclôture le {closes}\t{config.title}")


@main.command(
    "check-call",
    short_help="Vérifie une configuration d'appel sans rien analyser.",
    help=(
        "Vérifie une configuration d'appel (identifiant ou fichier YAML) sans rien analyser : valeurs à "
        "confirmer, données d'exemple, date limite contraire à l'instruction de l'année, en-tête des courriers. "
        "Code de sortie 0 seulement quand aucun point bloquant ne reste."
    ),
)
@click.argument("call", metavar="APPEL")
def check_call(call: str) -> None:
    from core.config import CHANNEL_LABELS
    from reports.ruledoc import value_text
    from validators.call_check import review_config

    config = _load(call)
    if config.ds is not None:
        from teleservice.mapping import check_section

        problems = check_section(config)
        if problems:
            raise click.UsageError(
                f"Configuration d'appel invalide : {config.config_path}\n" + "\n".join(f"  - {p}" for p in problems)
            )
    click.echo(f"Configuration lisible : {config.id} — {config.title}")
    if config.programme_year:
        year = config.programme_year
        click.echo(f"Année de programme : {year.label} ({year.instruction.value})")
    click.echo(f"Canal : {CHANNEL_LABELS.get(config.channel, config.channel)}")
    if config.ds is not None:
        number = config.ds.demarche.value
        demarche = f"démarche n° {number}" if number else "numéro de démarche à renseigner"
        click.echo(f"Démarches simplifiées : {demarche}, {len(config.ds.champs.value)} champs associés au formulaire.")
    points = review_config(config)

    def line(point) -> str:
        text = f"  - {point.key or 'appel'} : {point.message}"
        if point.value is not None or point.source:
            text += f"\n      valeur : {value_text(point.key, point.value)}"
        if point.source and point.source not in point.message:
            text += f"\n      source : {point.source}"
        return text

    confirm = [p for p in points if p.message.startswith("à confirmer")]
    blocking = [p for p in points if p.blocking]
    others = [p for p in points if not p.blocking and p not in confirm]
    click.echo(f"Valeurs à confirmer : {len(confirm)}")
    for point in confirm:
        click.echo(line(point) + ("  [bloquant]" if point.blocking else ""))
    if others:
        click.echo("À vérifier :")
        for point in others:
            click.echo(line(point))
    if blocking:
        click.echo(f"Points bloquants : {len(blocking)}")
        for point in blocking:
            click.echo(line(point))
        click.echo("La configuration doit être complétée avant de juger des dossiers (docs/calls.md).")
        raise SystemExit(1)
    click.echo("Aucun point bloquant : la configuration peut être utilisée.")


@main.command(
    "rules",
    short_help="Affiche le catalogue des règles (identifiant, gravité, intitulé).",
    help="Affiche le catalogue des règles (identifiant, gravité, intitulé).",
)
@click.option("--call", "call", default=None, metavar="APPEL", help="Gravités et activation propres à cet appel.")
def rules(call: str | None) -> None:
    from validators.engine import severity_for
    from validators.registry import all_rules

    config = _load(call) if call else None
    for rule in all_rules().values():
        severity = severity_for(rule, config) if config else rule.severity
        enabled = "" if config is None or config.rule_setting(rule.id).enabled else "  (désactivée pour cet appel)"
        click.echo(f"{rule.id}\t{severity.label}\t{rule.title}{enabled}")


def _run_on_local_server(given: CallRun, progress: bool | None) -> bool:
    """The run handed to the warm analysis process of « esmsnum serveur demarrer » (no
    import of Prefect, pydantic or the rules here: that process checks the call, the FINESS
    extract and the folders as this command does); False when there is none, or it is busy
    or runs other code: the command then runs the analysis itself."""
    if os.environ.get("PREFECT_API_URL"):
        return False  # an operator's Prefect server: runs are done by the command, as documented
    from flows import server

    try:
        state = server.ensure()  # the kept local server, started by the first command
    except server.ServerError as exc:
        click.echo(f"{exc}\nAnalyse faite par cette commande, avec un serveur temporaire.", err=True)
        return False
    if state is None or not state.runner_socket:
        return False
    from flows.warm import absolute_call, absolute_finess, absolute_storage, delegate

    display = None
    if progress if progress is not None else sys.stderr.isatty():
        from flows.progress import TerminalBar

        display = TerminalBar()
    request = {
        "call_dir": str(given.call_dir.resolve()),
        "call": absolute_call(given.call),
        "out_dir": str(given.out_dir.expanduser().resolve()),
        "cache": absolute_storage(given.cache) if given.cache else None,
        "history_url": given.history_url,
        "workers": given.workers,
        "finess": absolute_finess(given.finess) if given.finess else None,
        "progress": display is not None,
    }
    try:
        outcome = delegate(
            Path(state.runner_socket), request, say=lambda text: click.echo(text, err=True), display=display
        )
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
    """The command's Prefect server (before Prefect is imported), for the command's life:
    the operator's (PREFECT_API_URL), else the kept local server (started when none runs),
    else (ESMSNUM_SERVER_IDLE=0, or it cannot start) a temporary one that dies with the command."""
    from flows import server

    if os.environ.get("PREFECT_API_URL"):
        return
    try:
        if server.ensure() is not None:
            return
    except server.ServerError as exc:
        click.echo(str(exc), err=True)
    click.echo("Serveur Prefect temporaire démarré pour cette commande.", err=True)
    try:
        click.get_current_context().with_resource(server.temporary())
    except server.ServerError as exc:
        raise click.ClickException(str(exc)) from None


@main.group(
    "serveur",
    subcommand_metavar="COMMANDE [ARGUMENTS]...",
    short_help="Serveur Prefect local gardé ouvert entre les commandes (démarrer, arrêter, état).",
    help=(
        "Serveur Prefect local gardé ouvert entre les commandes : la première commande esmsnum analyser le démarre "
        "s'il ne tourne pas, les suivantes l'utilisent, et il s'arrête seul après ESMSNUM_SERVER_IDLE sans commande "
        "(par défaut 30 minutes ; 0 : un serveur temporaire par commande). « demarrer » en garde un jusqu'à "
        "« arreter ». Il écoute sur 127.0.0.1 seulement ; ses données sont sous PREFECT_HOME (par défaut ~/.prefect), "
        "son état dans le dossier d'état privé."
    ),
)
def serveur() -> None:
    pass


@serveur.command(
    "demarrer",
    short_help="Démarre le serveur Prefect local en arrière-plan.",
    help=(
        "Démarre le serveur Prefect local en arrière-plan (ou indique celui qui tourne déjà). Le premier démarrage "
        "crée sa base de données et peut prendre une minute."
    ),
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    metavar="PORT",
    help="Port d'écoute (par défaut : 4200 s'il est libre, sinon un port libre).",
)
def serveur_demarrer(port: int | None) -> None:
    from flows import server

    if server.status().status is not server.Status.RUNNING:
        click.echo("Démarrage du serveur Prefect local…", err=True)
    try:
        report = server.start(port)
    except server.ServerError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(server.describe(report))


@serveur.command(
    "arreter",
    short_help="Arrête le serveur Prefect local.",
    help="Arrête le serveur Prefect local démarré par « esmsnum serveur demarrer ».",
)
def serveur_arreter() -> None:
    from flows import server

    report = server.stop()
    if report.stale_removed:
        click.echo(server.describe(report))
    elif report.state is None:
        click.echo("Aucun serveur Prefect local en marche : rien à arrêter.")
    else:
        click.echo(f"Serveur Prefect local arrêté (processus {report.state.pid}, port {report.state.port}).")


@serveur.command(
    "etat",
    short_help="Indique si le serveur Prefect local tourne.",
    help=(
        "Indique si le serveur Prefect local tourne (adresse, processus, date de démarrage). Code de sortie 0 s'il "
        "répond, 1 sinon. Un fichier d'état laissé par un serveur disparu est détecté et supprimé."
    ),
)
def serveur_etat() -> None:
    from flows import server

    report = server.status()
    click.echo(server.describe(report))
    if report.status is not server.Status.RUNNING:
        sys.exit(1)


@main.command(
    "suivre",
    short_help="Mode suivi : analyse l'appel, puis chaque dossier corrigé dès son dépôt.",
    help=(
        "Mode suivi : analyse les dossiers de l'appel comme « esmsnum analyser », puis reste ouvert et réanalyse un "
        "dossier dès qu'une version corrigée (sous-dossier ou .zip) est déposée dans DOSSIER_APPEL et que sa copie "
        "est terminée : son rapport et la synthèse sont réécrits en quelques secondes, chaque analyse apparaît dans "
        "l'interface Prefect. Ctrl+C pour arrêter (l'analyse en cours se termine d'abord)."
    ),
)
@call_run_options
@click.option(
    "--attente",
    "settle",
    type=float,
    callback=lambda ctx, param, value: _at_least_seconds(ctx, param, value, 0.2),
    default=2.0,
    metavar="SECONDES",
    help="Durée sans modification après laquelle une copie est considérée terminée (par défaut : 2 s).",
)
def suivre(given: CallRun, settle: float) -> None:
    import signal
    import threading

    config, store = _call_inputs(given)
    call_dir, out_dir, workers = given.call_dir, output_folder(given.out_dir), given.workers
    if workers:
        from core.limits import WORKERS_ENV

        os.environ[WORKERS_ENV] = str(workers)
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
    click.echo(_finess_line(store), err=True)
    watcher = CallWatcher(
        call_dir.resolve(),
        config,
        out_dir,
        cache=given.cache,
        history_url=given.history_url,
        workers=workers,
        finess=str(store.path) if store else None,
        settle=settle,
        say=lambda text: click.echo(text, err=True),
    )
    watcher.watch(stop)
    from extractors.sandbox import shutdown

    shutdown()
    from core.french import count

    click.echo(f"Suivi arrêté ({count(watcher.runs, 'analyse')}). Rapports dans {out_dir}.", err=True)


@main.group(
    "finess",
    short_help="Répertoire FINESS national : importer une extraction, voir celle utilisée.",
    help=(
        "Répertoire FINESS national (extraction open data de data.gouv.fr) : importer une extraction, voir celle "
        "qu'utilisent les analyses. Chaque ESSMS y est cherché (existence, catégorie, gestionnaire, département)."
    ),
)
def finess() -> None:
    pass


@finess.command(
    "importer",
    short_help="Importe une extraction FINESS (établissements, entités juridiques).",
    help=(
        "Importe une extraction FINESS : le flux JSON quotidien de l'ANS (finess-structures-journalier-AAAAMMJJ.json, "
        "établissements et entités juridiques, lu au fil de l'eau, .json.gz accepté), ou l'extraction etalab : le "
        "fichier des établissements (etalab-cs1100507-stock-AAAAMMJJ-hhmm.csv, ou cs1100502) et, au besoin, celui "
        "des entités juridiques de la même date (etalab-cs1100501-stock-….csv), UTF-8 ou Latin-1. Le format est "
        "reconnu au contenu. Une extraction est importée une fois, sous sa date ; les analyses suivantes l'utilisent. "
        "Un fichier mal formé est refusé avec le numéro de la ligne (ou de l'entité juridique) en cause."
    ),
)
@click.argument("files", metavar="FICHIER…", nargs=-1, type=click.Path(path_type=Path))
@FINESS_DIR_OPTION
def finess_import(files: tuple[Path, ...], folder: Path | None) -> None:
    from extractors.finess_extract import ExtractError
    from validators.finess_repository import (
        RepositoryError,
        date_fr,
        default_dir,
        import_extracts,
    )

    if not files:
        raise click.UsageError("argument obligatoire manquant : FICHIER (extraction FINESS à importer)")
    for path in files:
        if not path.is_file():
            raise click.UsageError(f"Fichier introuvable : {path}")
    folder = folder or default_dir()
    try:
        with _import_progress() as progress:
            outcome = import_extracts(files, folder, progress=progress)
    except (ExtractError, RepositoryError) as exc:
        raise click.ClickException(f"Extraction refusée : {exc}") from exc
    info = outcome.info
    if outcome.unchanged:
        click.echo(
            f"Extraction FINESS du {date_fr(info.extract_date)} déjà importée à l'identique dans "
            f"{info.path} : rien à faire."
        )
        return
    verb = "remplacée" if outcome.replaced else "importée"
    entities = (
        f" et {_thousands(info.entities)} entités juridiques"
        if info.entities
        else " (sans l'extraction des entités juridiques : les noms des gestionnaires ne seront pas affichés)"
    )
    click.echo(
        f"Extraction FINESS du {date_fr(info.extract_date)} {verb} : {_thousands(info.establishments)} "
        f"établissements{entities}, en {_decimal(outcome.seconds)} s ; {info.path} "
        f"({_decimal(outcome.size_bytes / 1_000_000)} Mo)."
    )
    click.echo(f"Source : {info.source_label}.")


@contextlib.contextmanager
def _import_progress():
    """A progress bar on stderr while a FINESS flux is read (a terminal only): ``(read, size)``."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("Lecture du flux FINESS"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("flux", total=None)
        yield lambda done, size: bar.update(task, completed=done, total=size)


@finess.command(
    "info",
    short_help="Indique les extractions FINESS importées et celle utilisée.",
    help=("Indique les extractions FINESS importées et celle qu'utilisent les analyses par défaut (la plus récente)."),
)
@FINESS_DIR_OPTION
def finess_info(folder: Path | None) -> None:
    from validators.finess_repository import available, date_fr, default_dir

    folder = folder or default_dir()
    stores = available(folder)
    if not stores:
        click.echo(
            f"Aucune extraction FINESS importée dans {folder} : les analyses ne vérifient pas l'existence "
            "des FINESS. Importer l'extraction publiée sur data.gouv.fr : esmsnum finess importer "
            "etalab-cs1100507-stock-AAAAMMJJ-hhmm.csv"
        )
        return
    latest = stores[-1]
    click.echo(f"Répertoire FINESS : {folder}")
    click.echo(
        f"Extraction utilisée par défaut : {latest.label} — {_thousands(latest.establishments)} "
        f"établissements, {_thousands(latest.entities)} entités juridiques."
    )
    click.echo(f"Date de l'extraction : {date_fr(latest.extract_date)} ; source : {latest.source_label}.")
    for store in reversed(stores):
        files = ", ".join(s["name"] for s in store.sources)
        click.echo(
            f"  {date_fr(store.extract_date)}  {store.path.name}  importée le "
            f"{_imported(store.imported_at)} depuis {files} ({store.source_label})"
        )


def _imported(moment: str) -> str:
    from core.french import datetime_short

    return datetime_short(moment) if moment else "date inconnue"


# --------------------------------------------------------------------------- Démarches simplifiées


@main.group(
    "ds",
    short_help="Démarches simplifiées : importer les dossiers d'une démarche, y publier les verdicts.",
    help=(
        "Démarches simplifiées, par son API GraphQL (docs/teleservice.md). Point d'accès : variable DS_API_URL "
        "(par défaut l'API publique) ; jeton : variable DS_API_TOKEN, jamais enregistré ni affiché."
    ),
)
def ds() -> None:
    pass


def _ds_config(call: str):
    from teleservice.mapping import check_section

    config = _load(call)
    problems = check_section(config)
    if problems:
        raise click.UsageError(
            f"Configuration d'appel inutilisable pour Démarches simplifiées : {config.config_path}\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    return config


def _ds_fail(exc: Exception) -> None:
    from teleservice.client import DsError

    if isinstance(exc, DsError):
        click.echo(f"Erreur : {exc}", err=True)
        sys.exit(exc.exit_code)
    raise exc


@ds.command(
    "importer",
    short_help="Importe les dossiers d'une démarche dans le dossier d'un appel.",
    help=(
        "Importe les dossiers de la démarche DEMARCHE (son numéro) dans DOSSIER_APPEL, un sous-dossier par "
        "dossier (dossier.json et pièces jointes), pour « esmsnum analyser ». Seuls les dossiers modifiés depuis "
        "l'importation précédente sont demandés ; un dossier inchangé est laissé tel quel."
    ),
)
@click.argument("demarche", metavar="DEMARCHE", type=click.IntRange(min=1))
@click.option("--appel", "call", required=True, metavar="APPEL", help="Configuration de l'appel (section « ds »).")
@click.option(
    "--dans",
    "call_dir",
    required=True,
    metavar="DOSSIER_APPEL",
    type=click.Path(path_type=Path),
    help="Dossier de l'appel où écrire les dossiers.",
)
@click.option("--tout", "full", is_flag=True, help="Tout réimporter, sans tenir compte de l'importation précédente.")
@click.option(
    "--par-page",
    "page_size",
    default=20,
    show_default=True,
    type=click.IntRange(1, 100),
    help="Dossiers demandés par page.",
)
def ds_importer(demarche: int, call: str, call_dir: Path, full: bool, page_size: int) -> None:
    from teleservice.client import DsClient, DsError
    from teleservice.pull import pull

    config = _ds_config(call)
    configured = config.ds.demarche.value
    if configured and configured != demarche:
        click.echo(f"Attention : la configuration de l'appel indique la démarche n° {configured}.", err=True)
    try:
        with DsClient() as client:
            result = pull(client, demarche, config, call_dir, page_size=page_size, full=full)
    except DsError as exc:
        _ds_fail(exc)
        return
    from core.french import count

    since = f"depuis le {_imported(result.since)}" if result.since else "première importation"
    title = f" — {result.title}" if result.title else ""
    click.echo(
        f"Démarche n° {demarche}{title} ({since}) : {count(len(result.fetched), 'dossier reçu', 'dossiers reçus')}."
    )
    written = count(len(result.written), "dossier écrit", "dossiers écrits")
    click.echo(f"  {written} (nouveaux ou modifiés), {count(len(result.unchanged), 'inchangé')}.")
    for numero, reason in result.failed:
        click.echo(f"  Dossier {numero} non importé : {reason}", err=True)
    if result.unmapped:
        click.echo("  Champs de la démarche sans correspondance dans l'appel : " + ", ".join(sorted(result.unmapped)))
    if result.failed:
        click.echo(
            "Importation incomplète : relancez la commande (les dossiers non importés seront redemandés).", err=True
        )
        sys.exit(1)


@ds.command(
    "publier",
    short_help="Affiche (ou envoie) les verdicts à publier sur Démarches simplifiées.",
    help=(
        "Affiche les mutations qui publieraient les verdicts de DOSSIER_SORTIE sur Démarches simplifiées : "
        "annotation privée, label, passage en instruction, demande de correction quand un instructeur l'a "
        "demandée dans l'espace d'instruction. Rien n'est envoyé sans --envoyer. Aucun dossier n'est jamais "
        "accepté, refusé ni classé sans suite."
    ),
)
@click.argument("out_dir", metavar="DOSSIER_SORTIE", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option(
    "--instructeur",
    "instructeur",
    required=True,
    metavar="COURRIEL",
    help="Instructeur Démarches simplifiées au nom duquel annoter et passer en instruction.",
)
@click.option(
    "--identite",
    "identities",
    multiple=True,
    metavar="COMPTE=COURRIEL",
    help="Identité Démarches simplifiées d'un compte de l'espace d'instruction (demandes de correction).",
)
@click.option(
    "--appel", "call", default=None, metavar="APPEL", help="Configuration de l'appel (par défaut : celle des rapports)."
)
@HISTORY_OPTION
@click.option("--envoyer", "really", is_flag=True, help="Envoyer les mutations (sinon : les afficher seulement).")
def ds_publier(
    out_dir: Path,
    instructeur: str,
    identities: tuple[str, ...],
    call: str | None,
    history_url: str | None,
    really: bool,
) -> None:
    from core.french import count
    from instruction.store import History
    from teleservice.client import DsClient, DsError
    from teleservice.push import corrections_from_workspace, load_reports, plan, send

    mapping = {}
    for item in identities:
        account, sep, address = item.partition("=")
        if not sep or not account.strip() or "@" not in address:
            raise click.BadParameter(f"« {item} » : COMPTE=COURRIEL attendu.", param_hint="--identite")
        mapping[account.strip()] = address.strip()
    try:
        reports = load_reports(out_dir)
    except DsError as exc:
        _ds_fail(exc)
        return
    if not reports:
        raise click.UsageError(f"Aucun rapport (report.json) dans {out_dir}.")
    config = _ds_config(call or reports[0].call_id)
    reports = [r for r in reports if r.call_id == config.id]
    with contextlib.closing(History.for_output(out_dir, history_url)) as history:
        corrections = corrections_from_workspace(history, config.id)
    try:
        with DsClient() as client:
            planned = plan(client, reports, config, instructeur, corrections, mapping)
            for mutation in planned.mutations:
                click.echo(mutation.text())
            for note in planned.notes:
                click.echo(f"# {note}")
            if not really:
                click.echo(
                    f"# {len(planned.mutations)} mutation(s) à envoyer ; rien n'a été envoyé (--envoyer pour envoyer)."
                )
                return
            results = send(client, planned.mutations)
    except DsError as exc:
        _ds_fail(exc)
        return
    failures = [(m, e) for m, e in results if e]
    click.echo(f"# {count(len(results) - len(failures), 'mutation envoyée', 'mutations envoyées')}.")
    for mutation, error in failures:
        click.echo(f"Dossier {mutation.dossier} : {mutation.description} : échec : {error}", err=True)
    if failures:
        sys.exit(1)


@ds.command(
    "champs",
    short_help="Affiche la correspondance des champs de la démarche et du formulaire.",
    help="Affiche, une ligne par champ, « libellé<TAB>champ du formulaire » : la section « ds » de l'appel APPEL.",
)
@click.argument("call", metavar="APPEL")
def ds_champs(call: str) -> None:
    from teleservice.mapping import ChampMap, field_label

    config = _ds_config(call)
    for champ, key in ChampMap(config).rows():
        click.echo(f"{champ}\t{field_label(key)}")


def _french_help(command: click.Command) -> None:
    command.params = [p for p in command.params if p.name != "help"]
    click.help_option("-h", "--help", help="Affiche cette aide et quitte.")(command)
    for sub in getattr(command, "commands", {}).values():
        _french_help(sub)


for _command in main.commands.values():
    _french_help(_command)

if __name__ == "__main__":
    entry()


# --------------------------------------------------------------------------- French names

#: Every command and option has a French name; the English names of earlier releases still
#: work (scripts, deployments), hidden from the help.
COMMAND_NAMES = {
    "run": "analyser",
    "groups": "groupes",
    "serve": "servir",
    "history": "historique",
    "calls": "appels",
    "check-call": "verifier-appel",
    "rules": "regles",
}
OPTION_NAMES = {
    "--call": "--appel",
    "--out": "--sortie",
    "--history": "--historique",
    "--limit": "--limite",
    "--name": "--nom",
    "--runner": "--executeur",
    "--workers": "--processus",
    "--host": "--hote",
    "--dask-address": "--adresse-dask",
}


class AliasedOption(click.Option):
    """An option whose earlier (English) names are accepted but neither shown in the help
    nor in its error messages."""

    hidden_names: tuple[str, ...] = ()

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        shown = self.opts
        self.opts = [o for o in shown if o not in self.hidden_names]
        try:
            return super().get_help_record(ctx)
        finally:
            self.opts = shown

    def get_error_hint(self, ctx: click.Context) -> str:
        return " / ".join(f"'{o}'" for o in self.opts if o not in self.hidden_names)


def french_names(group: click.Group) -> None:
    """Rename the commands of ``group`` (and of its sub-groups) and their options to their
    French names, the English ones kept as hidden aliases."""
    if isinstance(group, Group):
        group.aliases = {}
        for old, new in COMMAND_NAMES.items():
            command = group.commands.pop(old, None)
            if command is not None:
                command.name = new
                group.commands[new] = command
                group.aliases[old] = new
    for command in group.commands.values():
        for param in command.params:
            english = [o for o in getattr(param, "opts", []) if o in OPTION_NAMES]
            if not isinstance(param, click.Option) or not english:
                continue
            param.__class__ = AliasedOption
            param.opts = [OPTION_NAMES.get(o, o) for o in param.opts] + english
            param.hidden_names = tuple(english)
        if isinstance(command, click.Group):
            french_names(command)


french_names(main)
