"""``esmsnum ds publier``: the verdicts of an output folder, sent back to Démarches simplifiées.

For each dossier of the output folder (its typed ``report.json``, ``core.report``) whose
number is a démarche's dossier number:

* the verdict and its summary written to the private annotation the call's ``ds.annotation``
  names (``dossierModifierAnnotationText``; not sent again when the annotation already says it);
* the label of the verdict (``ds.labels``; ``dossierAjouterLabel``) when the démarche has it
  and the dossier does not;
* ``dossierPasserEnInstruction`` for a dossier still « en construction » whose verdict is
  recevable or non recevable (a dossier à compléter stays open for its owner);
* a correction request (``dossierEnvoyerMessage`` with ``correction``) only where an
  instructeur requested a correction in the instruction workspace (the dossier « En attente
  de correction »), under that instructeur's Démarches simplifiées identity (``--identite
  COMPTE=COURRIEL``), with the « demande de compléments » letter they edited, or else the
  points of their request and its deadline.

Nothing decides a dossier: no acceptance, refusal or « classé sans suite » is ever sent.
Without ``envoyer`` the mutations are only planned (and printed by the command); the reads
that find the identifiers (dossier, annotation, labels, instructeurs) are made either way.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config import CallConfig
from core.french import date_long, datetime_long, verdict_label
from core.report import DossierReport
from extractors.values import fold
from instruction.workflow import status_code
from reports.letter import request_sentence, requested_findings
from teleservice.client import DsClient, DsError

MAX_FINDINGS = 15  # lines of findings in the annotation
COMPLEMENTS_STATUS = "en_attente_correction"  # instruction.workflow.STATUSES

DOSSIER_QUERY = """
query esmsnumPublication($number: Int!) {
  dossier(number: $number) {
    id
    number
    state
    dateDerniereCorrectionEnAttente
    demarche { number }
    labels { id name }
    annotations { __typename id champDescriptorId label stringValue }
    groupeInstructeur { instructeurs { id email } }
  }
}
"""

LABELS_QUERY = """
query esmsnumLabels($demarche: Int!) {
  demarche(number: $demarche) { labels { id name } }
}
"""

#: Operation name → the mutation field it calls (where ``send`` finds the payload).
FIELDS = {
    "esmsnumAnnotation": "dossierModifierAnnotationText",
    "esmsnumLabel": "dossierAjouterLabel",
    "esmsnumInstruction": "dossierPasserEnInstruction",
    "esmsnumCorrection": "dossierEnvoyerMessage",
}


def _mutation(operation: str, input_type: str, result: str) -> str:
    """The document of the mutation ``operation``: its field given ``$input``, answering
    ``result`` and the ``errors`` that ``send`` reads."""
    return (
        f"mutation {operation}($input: {input_type}!) {{\n  {FIELDS[operation]}(input: $input) {{\n"
        f"    {result}\n    errors {{ message }}\n  }}\n}}"
    )


ANNOTATION_MUTATION = _mutation("esmsnumAnnotation", "DossierModifierAnnotationTextInput", "annotation { id }")
LABEL_MUTATION = _mutation("esmsnumLabel", "DossierAjouterLabelInput", "label { id }")
INSTRUCTION_MUTATION = _mutation("esmsnumInstruction", "DossierPasserEnInstructionInput", "dossier { id state }")
MESSAGE_MUTATION = _mutation("esmsnumCorrection", "DossierEnvoyerMessageInput", "message { id }")


@dataclass
class Mutation:
    dossier: str
    description: str  # French: what it does
    operation: str
    document: str
    variables: dict[str, Any]

    def text(self) -> str:
        """Exactly what is sent: the document and its variables."""
        variables = json.dumps(self.variables, ensure_ascii=False, indent=2)
        return f"# Dossier {self.dossier} : {self.description}\n{self.document}\n{variables}\n"


@dataclass
class Plan:
    mutations: list[Mutation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # French: what is not sent, and why


@dataclass
class Correction:
    """An instructeur's request for complements, from the instruction workspace."""

    author: str  # the workspace account
    letter: str | None  # the letter they edited, if any
    points: list[str] = field(default_factory=list)  # what the request lists (instruction.corrections)
    deadline: dt.date | None = None  # the reply deadline it set


def annotation_text(report: DossierReport) -> str:
    """The verdict and its summary, as a reviewer reads them in the private annotation."""
    lines = [f"{verdict_label(report.verdict)} — {report.verdict_reason}".strip()]
    active = report.active_findings
    for finding in active[:MAX_FINDINGS]:
        lines.append(f"• {finding.rule} : {finding.message}")
    if len(active) > MAX_FINDINGS:
        lines.append(f"• … et {len(active) - MAX_FINDINGS} autres constats (voir le rapport)")
    lines.append(f"Analyse esmsnum du {datetime_long(report.generated_at)}.")
    return "\n".join(lines)


def correction_body(report: DossierReport, correction: Correction) -> str:
    if correction.letter and correction.letter.strip():
        return correction.letter.strip()
    if correction.points:
        points = [f"- {p}" for p in correction.points]
    else:
        points = [f"- {request_sentence(f)}" for f in requested_findings(report)]
    head = "Votre dossier est incomplet. Merci de le compléter sur Démarches simplifiées"
    head += f" au plus tard le {date_long(correction.deadline)} :" if correction.deadline else " :"
    return "\n".join([head, *points]) if points else head.rstrip(" :") + "."


def load_reports(out_dir: Path) -> list[DossierReport]:
    reports = []
    for path in sorted(out_dir.glob("*/report.json")):
        try:
            reports.append(DossierReport.load(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError) as exc:
            raise DsError(f"Rapport illisible : {path} ({type(exc).__name__})") from exc
    return reports


def corrections_from_workspace(history: Any, call_id: str) -> dict[str, Correction]:
    """The dossiers « En attente de correction » in the instruction workspace: the open
    correction request (``instruction.corrections``) with its author, its points and deadline,
    and the « demande de compléments » letter of record as they edited it. A dossier put in
    that status before correction requests existed (an older database) is sent with the author
    of its last status change and the letter they edited."""
    from instruction.corrections import open_request
    from instruction.records import letter_history

    out = {}
    for numero, state in history.states(call_id).items():
        if state.status != COMPLEMENTS_STATUS:
            continue
        request = open_request(history, call_id, numero)
        if request is not None:
            versions = letter_history(history, call_id, numero, "complement")
            points = [str(i.get("text") or "") for i in request["items"]]
            points += [request["free_text"]] if request["free_text"] else []
            out[numero] = Correction(
                author=request["author"],
                letter=versions[0]["body"] if versions else None,
                points=[p for p in points if p.strip()],
                deadline=request["deadline"],
            )
            continue
        author = state.updated_by or ""
        for event in reversed(history.events(call_id, numero)):
            if event.kind == "statut" and status_code((event.data or {}).get("after")) == COMPLEMENTS_STATUS:
                author = event.author
                break
        out[numero] = Correction(author=author, letter=state.letter)
    return out


def plan(
    client: DsClient,
    reports: list[DossierReport],
    config: CallConfig,
    instructeur: str,
    corrections: dict[str, Correction],
    identities: dict[str, str],
) -> Plan:
    """The mutations for the reports (``instructeur``: the e-mail of the Démarches
    simplifiées instructeur the annotations and passages en instruction are made as)."""
    if config.ds is None:
        raise DsError(f"La configuration de l'appel {config.id} n'a pas de section « ds ».")
    result = Plan()
    labels_by_demarche: dict[int, dict[str, str]] = {}
    for report in reports:
        numero = report.dossier
        if not numero.isdigit():
            result.notes.append(f"Dossier {numero} : pas un numéro de dossier Démarches simplifiées, ignoré.")
            continue
        dossier = client.execute(DOSSIER_QUERY, {"number": int(numero)}, "esmsnumPublication").get("dossier") or {}
        people = {
            p["email"].lower(): p["id"] for p in (dossier.get("groupeInstructeur") or {}).get("instructeurs") or []
        }
        me = people.get(instructeur.lower())
        if me is None:
            result.notes.append(
                f"Dossier {numero} : l'instructeur {instructeur} n'est pas dans le groupe instructeur du dossier ; rien n'est envoyé."
            )
            continue
        _annotation(result, report, dossier, config, me)
        _label(result, client, report, dossier, config, labels_by_demarche)
        correction = corrections.get(numero)
        if correction is not None:
            _correction(result, report, dossier, correction, identities, people)
        elif dossier.get("state") == "en_construction" and report.verdict.value != "a_completer":
            result.mutations.append(
                Mutation(
                    numero,
                    "passage en instruction",
                    "esmsnumInstruction",
                    INSTRUCTION_MUTATION,
                    {"input": {"dossierId": dossier["id"], "instructeurId": me}},
                )
            )
    return result


def _annotation(result: Plan, report: DossierReport, dossier: dict, config: CallConfig, me: str) -> None:
    wanted = config.ds.annotation.value  # type: ignore[union-attr]
    annotation = next(
        (
            a
            for a in dossier.get("annotations") or []
            if a.get("id") == wanted
            or a.get("champDescriptorId") == wanted
            or fold(a.get("label") or "") == fold(wanted)
        ),
        None,
    )
    if annotation is None:
        result.notes.append(
            f"Dossier {report.dossier} : annotation privée « {wanted} » absente de la démarche (à créer par un administrateur)."
        )
        return
    if annotation.get("__typename") not in (None, "TextChamp"):
        result.notes.append(f"Dossier {report.dossier} : l'annotation « {wanted} » n'est pas un champ texte.")
        return
    text = annotation_text(report)
    if (annotation.get("stringValue") or "") == text:
        return
    result.mutations.append(
        Mutation(
            report.dossier,
            f"annotation privée « {annotation.get('label') or wanted} » : {verdict_label(report.verdict)}",
            "esmsnumAnnotation",
            ANNOTATION_MUTATION,
            {
                "input": {
                    "dossierId": dossier["id"],
                    "instructeurId": me,
                    "annotationId": annotation["id"],
                    "value": text,
                }
            },
        )
    )


def _label(
    result: Plan, client: DsClient, report: DossierReport, dossier: dict, config: CallConfig, cache: dict
) -> None:
    name = config.ds.labels.value.get(report.verdict.value)  # type: ignore[union-attr]
    if not name:
        return
    if any(label.get("name") == name for label in dossier.get("labels") or []):
        return
    demarche = int((dossier.get("demarche") or {}).get("number") or 0)
    if demarche not in cache:
        data = client.execute(LABELS_QUERY, {"demarche": demarche}, "esmsnumLabels")
        cache[demarche] = {label["name"]: label["id"] for label in (data.get("demarche") or {}).get("labels") or []}
    label_id = cache[demarche].get(name)
    if label_id is None:
        result.notes.append(
            f"Dossier {report.dossier} : label « {name} » absent de la démarche {demarche} (à créer par un administrateur)."
        )
        return
    result.mutations.append(
        Mutation(
            report.dossier,
            f"label « {name} »",
            "esmsnumLabel",
            LABEL_MUTATION,
            {"input": {"dossierId": dossier["id"], "labelId": label_id}},
        )
    )


def _correction(
    result: Plan,
    report: DossierReport,
    dossier: dict,
    correction: Correction,
    identities: dict[str, str],
    people: dict[str, str],
) -> None:
    numero = report.dossier
    if dossier.get("dateDerniereCorrectionEnAttente"):
        result.notes.append(f"Dossier {numero} : une demande de correction attend déjà l'usager ; rien n'est renvoyé.")
        return
    if dossier.get("state") not in ("en_construction", "en_instruction"):
        result.notes.append(f"Dossier {numero} : dossier déjà traité, pas de demande de correction.")
        return
    email = identities.get(correction.author)
    if not email:
        result.notes.append(
            f"Dossier {numero} : compléments demandés par {correction.author or 'un compte inconnu'} dans l'espace "
            f"d'instruction, mais son identité Démarches simplifiées n'est pas donnée "
            f"(--identite {correction.author or 'COMPTE'}=COURRIEL) : demande non envoyée."
        )
        return
    sender = people.get(email.lower())
    if sender is None:
        result.notes.append(
            f"Dossier {numero} : {email} n'est pas instructeur de ce dossier : demande de correction non envoyée."
        )
        return
    reason = "incomplete" if report.verdict.value == "a_completer" else "incorrect"
    result.mutations.append(
        Mutation(
            numero,
            f"demande de correction au nom de {email} (demandée par {correction.author} dans l'espace d'instruction)",
            "esmsnumCorrection",
            MESSAGE_MUTATION,
            {
                "input": {
                    "dossierId": dossier["id"],
                    "instructeurId": sender,
                    "body": correction_body(report, correction),
                    "correction": reason,
                }
            },
        )
    )


def send(client: DsClient, mutations: list[Mutation]) -> list[tuple[Mutation, str | None]]:
    """Send each mutation; (mutation, None) when done, (mutation, French error) otherwise."""
    out = []
    for mutation in mutations:
        try:
            data = client.execute(mutation.document, mutation.variables, mutation.operation)
        except DsError as exc:
            out.append((mutation, str(exc)))
            continue
        payload = data.get(FIELDS[mutation.operation]) or {}
        errors = payload.get("errors") or []
        out.append((mutation, "; ".join(e.get("message", "") for e in errors) or None))
    return out
