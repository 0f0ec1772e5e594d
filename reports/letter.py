"""The letters to the owner of a dossier, ready to send:

- *à compléter*: a « demande de pièces complémentaires » listing, one sentence each, what to
  provide or correct, with a reply deadline counted from the sending date;
- *non recevable*: a notice of irrecevabilité giving each reason and what it rests on, with
  the means of appeal.

French administrative layout on an A4 page: the sender (``letters.sender``, ``service``,
``address``), « Affaire suivie par », « Nos réf. », the place and date, the recipient with the
owner's name, contact and address from the online form, the subject (« Objet »), the
references (« Réf. »), the body, the signature. Written as ``courrier.docx`` (editable) and
``courrier.pdf`` beside the report, and shown in ``report.html``.

The sending date is a field the reviewer fills (``esmsnum courrier DOSSIER --date-envoi``,
kept in ``report.json`` as ``letter_sending_date``); by default the date the letter is
written. The deadline is that date plus ``letters.reply_days``.

Built from the typed report alone (its snapshot of the call carries the letterhead:
``call_snapshot.letters``), so that a report rewritten later (call rules, waivers) gets its
letter rewritten too, with the letterhead of the run that judged it.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from core.bidi import visible_controls
from core.file_problems import PROCESS_SIDE_CODES
from core.french import count, date_long, euros, now_paris, paris_day
from core.models import DOSSIER_FILE
from core.report import Contact, DossierReport, FindingEntry, LocationEntry, Owner
from reports.wording import lower_first, owner_fact, owner_words, sentence
from validators.registry import action_for

DEFAULT_REPLY_DAYS = 15
INTERNAL_ERROR = "erreur interne"  # how ``found`` starts for a failed analysis or rule
LETTER_FILES = ("courrier.docx", "courrier.pdf")
DEFAULT_FOLLOWED_BY = "le service instructeur de l'appel à projets"
BASIS_LABEL = "Base réglementaire"  # what a refusal rests on, as an administrative letter says it

KINDS = {
    "a_completer": ("complement", "Demande de pièces complémentaires", "demande de pièces complémentaires"),
    "non_recevable": ("irrecevabilite", "Notification d'irrecevabilité", "notification d'irrecevabilité"),
}
# Every letter of record: the two the verdict drafts, and the notification of each decision
# (``instruction.workflow.NOTIFICATION_KIND``).
LETTER_KINDS = {kind: (title, lower) for kind, title, lower in KINDS.values()} | {
    "acceptation": ("Notification d'acceptation", "notification d'acceptation"),
    "refus": ("Notification de refus", "notification de refus"),
    "classement": ("Notification de classement sans suite", "notification de classement sans suite"),
}
NOTIFICATIONS = {"accepte": "acceptation", "refuse": "refus", "classe_sans_suite": "classement"}
# The means of appeal of a decision (Code de justice administrative, art. R. 421-1: two months
# from the notification).
DECISION_APPEAL = (
    "Voies et délais de recours : cette décision peut faire l'objet, dans un délai de deux mois à compter de sa "
    "notification, d'un recours gracieux auprès du directeur général de l'agence régionale de santé, ou d'un "
    "recours contentieux devant le tribunal administratif compétent (article R. 421-1 du code de justice "
    "administrative)."
)
APPEAL = (
    "Cette décision peut faire l'objet d'un recours gracieux auprès de nos services, ou d'un recours "
    "contentieux devant le tribunal administratif compétent, dans un délai de deux mois à compter de sa "
    "notification."
)


def where(location: LocationEntry | None) -> str:
    """Where the owner finds what to correct (``Location.describe``); nothing for a finding
    on the dossier as a whole, which the request itself says."""
    if location is None or not location.file:
        return ""
    if location.file == DOSSIER_FILE and not location.field:
        return ""
    return location.describe()


def of(name: str) -> str:
    """« de Claire Martin », « d'Agnès Masson » (elision before a vowel; not before y, a consonant in « Yann »)."""
    return f"d'{name}" if name[:1].lower() in "aeiouàâäéèêëîïôöûüù" else f"de {name}"


def _internal(finding: FindingEntry) -> bool:
    return str(finding.found or "").startswith(INTERNAL_ERROR)


def _selected(report: DossierReport, severity: str) -> list[FindingEntry]:
    """The findings of ``severity`` not waived by the reviewer, each once; an internal error
    of the analysis is the operator's business, not the owner's: never written to them."""
    seen = set()
    out = []
    for finding in report.active_findings:
        if finding.severity != severity or _internal(finding):
            continue
        key = (finding.rule, finding.message, where(finding.location))
        if key in seen:
            continue
        seen.add(key)
        out.append(finding)
    return out


def requested_findings(report: DossierReport) -> list[FindingEntry]:
    """What the owner of a dossier à compléter is asked to provide or correct."""
    return _selected(report, "a_corriger")


def refusal_findings(report: DossierReport) -> list[FindingEntry]:
    """The reasons of a notice of irrecevabilité: the blocking findings."""
    return _selected(report, "bloquant")


def request_sentence(finding: FindingEntry) -> str:
    """One sentence per point: what to do, what was found, where. « Ramener la demande pour cet
    ESSMS dans la limite du forfait de l'appel : le budget demande 8 000 € … — Budget.xlsx,
    feuille Budget, cellule D46. »"""
    action = owner_words((finding.action or action_for(finding.rule, finding.severity.value)).strip()).rstrip(".")
    fact = lower_first(owner_fact(finding.message or ""))
    joint = " — " if " : " in fact or " : " in action else " : "
    text = f"{action}{joint}{fact}" if fact else action
    place = where(finding.location)
    if place and place not in text:
        text += f" ({place})"
    return sentence(text)


# The project's own references in a rule's source (seed files, its notes, confidence marks),
# which mean nothing to the owner.
_INTERNAL_SOURCES = [
    re.compile(r"\(?\bsources\.md\b[^):;]*\)?\s*:?\s*", re.IGNORECASE),
    re.compile(r"\bseeds?\s+[\d,\s]+(?:et\s+\d+\s*)?(?:\([^)]*\)\s*)?:?\s*", re.IGNORECASE),
    re.compile(r"\s*\[(?:C|P|NC)\]"),
]


def rule_basis(rule_id: str | None) -> str:
    """What a refusal rests on, for the owner: the call's requirements as the rule's source
    states them, without the project's internal references."""
    try:
        from validators.registry import all_rules

        rule = all_rules().get(rule_id or "")
    except Exception:  # noqa: BLE001 - the letter is written without the catalogue
        rule = None
    source = rule.source if rule else ""
    for pattern in _INTERNAL_SOURCES:
        source = pattern.sub("", source)
    source = owner_words(" ".join(source.split()).strip(" ;:,"))
    while source.count(")") > source.count("(") and source.endswith(")"):
        source = source[:-1].rstrip()
    while source.count("(") > source.count(")") and source.startswith("("):
        source = source[1:].lstrip()
    basis = "cahier des charges de l'appel à projets"
    return f"{basis} ({source[:1].lower() + source[1:]})" if source else basis


def refusal_sentence(finding: FindingEntry) -> str:
    """« La grappe compte 12 ESSMS éligibles distincts ; l'appel exige au moins 15 ESSMS
    (Dossier_complet.xlsx, feuille Structures, cellule A3). Base réglementaire : cahier des
    charges … »"""
    fact = owner_fact(finding.message or "")
    place = where(finding.location)
    if place and place not in fact:
        fact += f" ({place})"
    return f"{sentence(fact)} {BASIS_LABEL} : {rule_basis(finding.rule)}."


def held_back(report: DossierReport) -> bool:
    """True when something of the dossier is there but this process could not read it
    (permissions, a link not followed): the letter would ask the owner for pieces they sent,
    so none is written until the operator has made the dossier readable."""
    return any(p.problem in PROCESS_SIDE_CODES for p in report.file_problems)


def current_kind(report: DossierReport) -> str | None:
    """The kind of the dossier's letter now: the notification of its decision, else the
    request for corrections still open, else what its verdict drafts (None: no letter)."""
    instruction = report.instruction
    if instruction and instruction.final_decision and instruction.final_decision.outcome in NOTIFICATIONS:
        return NOTIFICATIONS[instruction.final_decision.outcome]
    if instruction and instruction.correction and instruction.correction.answered_at is None:
        return "complement"
    return KINDS[report.verdict.value][0] if report.verdict.value in KINDS else None


def _record(report: DossierReport, kind: str):
    instruction = report.instruction
    return next((r for r in instruction.letters if r.kind == kind), None) if instruction else None


def _verdict_kind(report: DossierReport, kind: str) -> bool:
    """The letter the verdict drafts (the one of a database written before the letters of record)."""
    return report.verdict.value in KINDS and KINDS[report.verdict.value][0] == kind


def sending_day(report: DossierReport, today: dt.date | None = None, kind: str | None = None) -> dt.date:
    """The date the letter is sent: the one the reviewer set, else the day it is written."""
    kind = kind or current_kind(report)
    record = _record(report, kind) if kind else None
    if record and record.sent:
        return record.sent
    if not (kind and _verdict_kind(report, kind)):  # a notification: only its own date
        return today or now_paris().date()
    legacy = report.instruction.letter_sent if report.instruction and not report.instruction.letters else None
    return report.letter_sending_date or legacy or today or now_paris().date()


def _notification(report: DossierReport, kind: str, intro: str) -> tuple[list[str], list[str], list[str]]:
    """The body of the notification of the décideur's decision (before the points, the points, after)."""
    decision = report.instruction.final_decision if report.instruction else None
    call = report.call_snapshot
    basis = (
        f"{BASIS_LABEL} : cahier des charges de l'appel à projets « {call.title or call.reference} » "
        f"(référence {call.reference or report.call})."
    )
    if kind == "acceptation":
        amount = decision.amount if decision else None
        before = [
            intro,
            "Après instruction, nous avons le plaisir de vous informer que votre projet est retenu : un financement de "
            f"{euros(amount)} vous est accordé.",
        ]
        items: list[str] = []
        ceiling = decision.amount_ceiling if decision else None
        if decision and amount is not None and ceiling is not None and amount < ceiling:
            before.append(
                f"Ce montant est inférieur au montant de {euros(ceiling)} retenu à l'examen de votre dossier, "
                "pour le motif suivant :"
            )
            items = [sentence(decision.amount_reason or "")]
        after = [basis, "Les modalités de versement de ce financement vous seront précisées par nos services."]
        return before, items, after
    motif = sentence(decision.motif or "") if decision and decision.motif else ""
    if kind == "refus":
        head = "Après instruction, nous avons le regret de vous informer que votre projet n'est pas retenu"
    else:
        head = "Nous vous informons que votre dossier est classé sans suite"
    before = [intro, f"{head}, pour le motif suivant :" if motif else f"{head}."]
    return before, [motif] if motif else [], [basis, DECISION_APPEAL]


def letter_content(
    report: DossierReport, today: dt.date | None = None, kind: str | None = None
) -> dict[str, Any] | None:
    """The letter of ``kind`` (by default the dossier's current one: ``current_kind``) as
    plain data (rendered to docx, PDF and HTML), or None when the dossier needs none
    (recevable and undecided, or nothing to write to the owner)."""
    kind = kind or current_kind(report)
    if kind not in LETTER_KINDS:
        return None
    title_case, title_lower = LETTER_KINDS[kind]
    instruction = report.instruction
    request = instruction.correction if instruction and kind == "complement" else None
    if kind in ("complement", "irrecevabilite") and held_back(report):
        return None
    if kind in NOTIFICATIONS.values() and not (instruction and instruction.final_decision):
        return None
    findings = []
    if kind == "complement" and request is None:
        findings = requested_findings(report)
    elif kind == "irrecevabilite":
        findings = refusal_findings(report)
    if kind in ("complement", "irrecevabilite") and not findings and request is None:
        return None
    call = report.call_snapshot
    settings = call.letters
    sender = settings.sender or call.authority or "Le service instructeur de l'appel à projets"
    reply_days = settings.reply_days or DEFAULT_REPLY_DAYS
    day = sending_day(report, today, kind)
    deadline = day + dt.timedelta(days=reply_days)
    if request is not None:  # the deadline the instructeur set
        deadline = request.deadline
        reply_days = max((deadline - day).days, 0)
    porteur = report.porteur or Owner()
    owner = porteur.raison_sociale or "Porteur du projet"
    contact = porteur.contact or Contact()
    address = [line for line in porteur.adresse or [] if line.strip()]
    reference = call.reference or report.call
    call_title = call.title or reference
    dossier = report.dossier
    deposited = paris_day(report.deposit.moment) if report.deposit else None
    recipient = [owner]
    if contact.nom:
        recipient.append(f"À l'attention {of(contact.nom)}")
    recipient += address
    if not address and contact.email:
        recipient.append(f"Par courriel : {contact.email}")
    sender_lines = [sender] + [line for line in [settings.service] if line] + list(settings.address or [])
    place = settings.place
    deposit_words = f"le {date_long(deposited)} " if deposited else ""
    intro = (
        f"Vous avez déposé {deposit_words}le dossier n° {dossier} en réponse à l'appel à projets "
        f"« {call_title} » (référence {reference})."
    )
    if kind == "complement":
        items = [request_sentence(f) for f in findings]
        if request is not None:
            items = [sentence(i.text) for i in request.items] + (
                [sentence(request.free_text)] if request.free_text else []
            )
        body_before = [
            intro + " Son examen de recevabilité montre qu'il ne peut pas être instruit en l'état.",
            (
                f"Nous vous remercions de bien vouloir nous transmettre les éléments suivants au plus tard le "
                f"{date_long(deadline)}, soit {count(reply_days, 'jour')} après la date du présent courrier :"
            ),
        ]
        body_after = [
            (
                f"Ces éléments sont à déposer sur la plateforme de dépôt de l'appel à projets, en rappelant le numéro "
                f"de dossier {dossier}. Sans réponse complète dans ce délai, votre dossier ne pourra pas être instruit."
            ),
        ]
    elif kind in NOTIFICATIONS.values():
        body_before, items, body_after = _notification(report, kind, intro)
    else:
        items = [refusal_sentence(f) for f in findings]
        reasons = "pour le motif suivant" if len(items) == 1 else "pour les motifs suivants"
        body_before = [
            intro,
            (
                "Après examen de sa recevabilité, nous avons le regret de vous informer que ce dossier est déclaré "
                f"irrecevable : il ne remplit pas les conditions fixées par l'appel à projets, {reasons} :"
            ),
        ]
        body_after = [APPEAL]
    content = {
        "kind": kind,
        "title": title_case,
        "sender": sender,
        "sender_lines": sender_lines,
        "sender_source": settings.sender_source,
        "followed_by": settings.followed_by or DEFAULT_FOLLOWED_BY,
        "our_reference": f"{reference} — dossier n° {dossier}",
        "owner": owner,
        "owner_finess": porteur.finess_ej,
        "recipient_lines": recipient,
        "place_date": f"{place}, le {date_long(day)}" if place else f"Le {date_long(day)}",
        "date": day.isoformat(),
        "sending_date_set": report.letter_sending_date is not None
        or bool((record := _record(report, kind)) and record.sent)
        or bool(report.instruction and report.instruction.letter_sent and not report.instruction.letters),
        "reference": reference,
        "dossier": dossier,
        "subject": f"Appel à projets « {call_title} » — {title_lower}",
        "references": (
            f"Dossier n° {dossier}"
            + (f" déposé le {date_long(deposited)}" if deposited else "")
            + f" ; appel à projets référence {reference}"
        ),
        "opening": "Madame, Monsieur,",
        "body_before": body_before,
        "items": items,
        "body_after": body_after,
        "reply_days": reply_days if kind == "complement" else None,
        "reply_days_source": settings.reply_days_source,
        "deadline": deadline.isoformat() if kind == "complement" else None,
        "deadline_label": date_long(deadline) if kind == "complement" else None,
        "closing": "Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations distinguées.",
        "signature_lines": [line for line in [settings.signatory, sender] if line],
    }
    record = _record(report, kind)
    if record is not None and record.version:
        edited = record.body
    else:  # no version saved (a database written before the letters of record): its one edited body
        edited = instruction.letter_body if instruction and _verdict_kind(report, kind) else None
    return with_body(content, edited) if edited else content


_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
BULLET = "• "


def body_text(content: dict[str, Any]) -> str:
    """The letter's body as the reviewer edits it, paragraph by paragraph (a blank line between
    them, « • » before each point): from « Madame, Monsieur, » to the closing formula. The
    letterhead, recipient, references and signature stay the call's."""
    parts = [
        content["opening"],
        *content["body_before"],
        "\n".join(BULLET + item for item in content["items"]),
        *content["body_after"],
        content["closing"],
    ]
    return "\n\n".join(part for part in parts if part)


def with_body(content: dict[str, Any], body: str) -> dict[str, Any]:
    """The letter with the reviewer's body (``body_text``'s layout) in place of the drafted one."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", body.replace("\r\n", "\n")) if b.strip()]
    opening = blocks.pop(0) if blocks else ""
    closing = blocks.pop() if len(blocks) > 0 else ""
    before: list[str] = []
    items: list[str] = []
    after: list[str] = []
    for block in blocks:
        lines = block.split("\n")
        if all(line.startswith(BULLET.strip()) for line in lines) and not after:
            items += [line.lstrip("•").strip() for line in lines]
        else:
            (after if items else before).append(" ".join(line.strip() for line in lines))
    return content | {
        "opening": opening,
        "body_before": before,
        "items": items,
        "body_after": after,
        "closing": closing,
        "edited": True,
    }


def _safe(value: Any) -> Any:
    """Text a Word document can hold (control characters from a dossier are dropped) and a
    reader sees as it is (bidirectional controls shown as ``[U+202E]``: ``core.bidi``)."""
    if isinstance(value, str):
        return visible_controls(_XML_UNSAFE.sub("", value))
    if isinstance(value, list):
        return [_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: _safe(v) for k, v in value.items()}
    return value


def letter_text(content: dict[str, Any]) -> dict[str, Any]:
    """What ``report.json`` keeps of the current letter (``core.report.LetterText``): the same
    text as its PDF, Word document and web page."""
    return {
        "kind": content["kind"],
        "title": content["title"],
        "subject": content["subject"],
        "place_date": content["place_date"],
        "body": body_text(content),
        "signature_lines": list(content["signature_lines"]),
    }


def _write_pair(report_dir: Path, stem: str, content: dict[str, Any]) -> None:
    from reports.files import atomic_write_bytes
    from reports.letter_docx import letter_docx
    from reports.letter_pdf import letter_pdf

    atomic_write_bytes(report_dir / f"{stem}.docx", letter_docx(content))
    atomic_write_bytes(report_dir / f"{stem}.pdf", letter_pdf(content))


def write_letter(report: DossierReport, report_dir: Path, today: dt.date | None = None) -> dict[str, Any] | None:
    """Write ``courrier.docx`` and ``courrier.pdf`` (the dossier's current letter), and
    ``courrier-<kind>.docx``/``.pdf`` for each other letter of record of the instruction;
    remove stale ones. Returns the current letter's content (or None)."""
    content = letter_content(report, today)
    others = {}
    for record in report.instruction.letters if report.instruction else []:
        if content is not None and record.kind == content["kind"]:
            continue
        other = letter_content(report, today, record.kind)
        if other is not None:
            others[f"courrier-{record.kind}"] = _safe(other)
    for path in list(report_dir.glob("courrier-*.docx")) + list(report_dir.glob("courrier-*.pdf")):
        if path.stem not in others:
            path.unlink(missing_ok=True)
    for stem, other in others.items():
        _write_pair(report_dir, stem, other)
    if content is None:
        for name in LETTER_FILES:
            (report_dir / name).unlink(missing_ok=True)
        return None
    content = _safe(content)
    _write_pair(report_dir, "courrier", content)
    return content
