"""Command line: ``esmsnum run CALL_DIR --call CALL --out OUT_DIR`` and friends (in French)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from esmsnum.config import ConfigError, available_calls, load_call

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


@main.command("run", context_settings=HELP, help=(
    "Analyse tous les dossiers d'un appel. CALL_DIR est le dossier de l'export de l'appel (un sous-dossier "
    "ou un .zip par dossier). Écrit OUT/<dossier>/report.json et report.html, puis OUT/summary.json et "
    "summary.html. Code de sortie 0 quand le lot a été traité, quels que soient les verdicts."))
@click.argument("call_dir", metavar="CALL_DIR", type=click.Path(path_type=Path))
@click.option("--call", "call", metavar="APPEL",
              help="(obligatoire) Identifiant d'un appel livré (voir « esmsnum calls ») ou chemin d'un fichier de configuration YAML.")
@click.option("--out", "out_dir", metavar="DOSSIER_SORTIE", type=click.Path(path_type=Path),
              help="(obligatoire) Dossier où écrire les rapports (créé au besoin).")
def run(call_dir: Path, call: str | None, out_dir: Path | None) -> None:
    if call is None:
        raise click.UsageError("option obligatoire manquante : --call")
    if out_dir is None:
        raise click.UsageError("option obligatoire manquante : --out")
    try:
        config = load_call(call)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    if not call_dir.is_dir():
        raise click.UsageError(f"Dossier d'appel introuvable : {call_dir}")
    from extractors.intake import discover_dossiers

    if not discover_dossiers(call_dir):
        raise click.UsageError(f"Aucun dossier (sous-dossier ou .zip) dans {call_dir}")
    click.echo(f"Analyse des dossiers de {call_dir} pour l'appel {config.id}…", err=True)
    from flows.call import run_call
    from reports.summary import format_console

    summary = run_call(call_dir.resolve(), config, out_dir.resolve())
    click.echo(format_console(summary, out_dir))


@main.command("calls", context_settings=HELP, help="Liste les appels livrés avec le projet (identifiant et intitulé).")
def calls() -> None:
    for call_id in available_calls():
        try:
            config = load_call(call_id)
            click.echo(f"{call_id}\t{config.title}")
        except ConfigError as exc:
            click.echo(f"{call_id}\tCONFIGURATION INVALIDE : {exc}")


@main.command("check-call", context_settings=HELP, help="Vérifie une configuration d'appel (identifiant ou fichier YAML) sans rien analyser.")
@click.argument("call", metavar="APPEL")
def check_call(call: str) -> None:
    try:
        config = load_call(call)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(f"Configuration valide : {config.id} — {config.title}")


@main.command("rules", context_settings=HELP, help="Affiche le catalogue des règles (identifiant, gravité, intitulé).")
@click.option("--call", "call", default=None, metavar="APPEL", help="Gravités et activation propres à cet appel.")
def rules(call: str | None) -> None:
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


for _command in main.commands.values():
    _command.params = [p for p in _command.params if p.name != "help"]
    click.help_option("-h", "--help", help="Affiche cette aide et quitte.")(_command)

if __name__ == "__main__":
    entry()
