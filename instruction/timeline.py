"""A dossier's timeline: every analysis, lift and its undoing, comment, status, assignment,
decision and letter, oldest first, with who and when. Read from the history (nothing in it is
ever deleted); ``esmsnum historique`` prints it, the web workspace shows it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from core.french import count, date_long, datetime_short, euros, iso
from core.models import Verdict
from core.records import Analysis, Event, Revocation, Waiver
from instruction.store import History
from instruction.workflow import DECISIONS, STATUSES, decision_label, status_label
from reports.letter import LETTER_KINDS

AUTOMATIC = "esmsnum (analyse automatique)"


@dataclass(frozen=True)
class Entry:
    when: dt.datetime
    author: str
    kind: str  # analyse, levee, annulation, commentaire, statut, attribution, decision, courrier
    title: str  # one French sentence
    text: str | None = None  # a comment, a motif: the reviewer's own words
    details: list[str] = field(default_factory=list)


def _verdict(code: str | None) -> str:
    try:
        return Verdict(code).label
    except ValueError:
        return str(code)


def analysis_entries(analyses: list[Analysis]) -> list[Entry]:
    """The runs' analyses (the ones a waiver recorded are shown as the waiver itself)."""
    out: list[Entry] = []
    previous: Analysis | None = None
    for a in analyses:
        if a.origin != "analyse":
            previous = a
            continue
        active = [f for f in a.findings if "waiver" not in f]
        if previous is None:
            title = f"Première analyse : {_verdict(a.verdict)}, {count(len(active), 'constat')}"
            details = [f"{f['rule']} — {f.get('message', '')}" for f in active]
        else:
            before = {f["fingerprint"] for f in previous.findings}
            now = {f["fingerprint"] for f in a.findings}
            what = "nouveau dépôt" if a.submission_sha256 != previous.submission_sha256 else "même dépôt"
            title = (
                f"Nouvelle analyse ({what}) : {_verdict(previous.verdict)} → {_verdict(a.verdict)} ; "
                f"{count(len(before - now), 'constat résolu', 'constats résolus')}, "
                f"{count(len(now - before), 'nouveau', 'nouveaux')}, {count(len(now & before), 'inchangé')}"
            )
            details = [
                f"résolu : {f['rule']} — {f.get('message', '')}"
                for f in previous.findings
                if f["fingerprint"] not in now
            ]
            details += [
                f"nouveau : {f['rule']} — {f.get('message', '')}" for f in a.findings if f["fingerprint"] not in before
            ]
        out.append(Entry(a.created_at, AUTOMATIC, "analyse", title, None, details))
        previous = a
    return out


def waiver_entries(waivers: list[Waiver], revocations: list[Revocation], findings: dict[str, dict]) -> list[Entry]:
    """Lifts and their undoing; ``findings`` (fingerprint → finding) names what was lifted."""
    out = []
    for w in waivers:
        described = [_describe(findings.get(fp), w.rule) for fp in w.recorded or w.fingerprints]
        what = described[0] if len(described) == 1 else f"{len(described)} constats {w.rule}"
        out.append(
            Entry(
                w.created_at,
                w.author,
                "levee",
                f"Constat levé : {what}",
                w.motif,
                described if len(described) > 1 else [],
            )
        )
    for r in revocations:
        out.append(
            Entry(
                r.created_at,
                r.author,
                "annulation",
                f"Levée annulée : {_describe(findings.get(r.fingerprint), None)}",
                r.motif or None,
            )
        )
    return out


def _describe(finding: dict | None, rule: str | None) -> str:
    if not finding:
        return f"constat {rule}" if rule else "constat"
    return f"{finding.get('rule')} — {finding.get('message', '')}"


def event_entries(events: list[Event]) -> list[Entry]:
    out = []
    for e in events:
        data = e.data
        if e.kind == "commentaire":
            out.append(Entry(e.created_at, e.author, e.kind, "Commentaire", str(data.get("text") or "")))
        elif e.kind == "statut":
            out.append(
                Entry(
                    e.created_at,
                    e.author,
                    e.kind,
                    f"Statut : {_status(data.get('before'))} → {_status(data.get('after'))}",
                )
            )
        elif e.kind == "attribution":
            after = data.get("after")
            title = f"Dossier attribué à {after}" if after else "Attribution retirée"
            out.append(Entry(e.created_at, e.author, e.kind, title))
        elif e.kind == "decision":
            after = data.get("after")
            title = (
                f"Décision proposée : {decision_label(after)}" if after in DECISIONS else "Décision proposée retirée"
            )
            out.append(Entry(e.created_at, e.author, e.kind, title, str(data.get("motif") or "") or None))
        elif e.kind == "courrier":
            kind = data.get("letter_kind")
            what = f"Courrier « {LETTER_KINDS[kind][0]} »" if kind in LETTER_KINDS else "Projet de courrier"
            title = f"{what} remis à sa version générée" if data.get("reset") else f"{what} modifié"
            out.append(Entry(e.created_at, e.author, e.kind, title))
        elif e.kind == "envoi_courrier":
            kind = data.get("letter_kind")
            title = f"Courrier envoyé le {date_long(data.get('date'))}"
            title += f" : « {LETTER_KINDS[kind][0]} »" if kind in LETTER_KINDS else ""
            out.append(Entry(e.created_at, e.author, e.kind, title))
        elif e.kind == "decision_finale":
            out.append(_decision_entry(e))
        elif e.kind == "demande_correction":
            title = (
                f"Correction demandée au porteur ({count(int(data.get('points') or 0), 'point')}), réponse attendue "
                f"au plus tard le {date_long(data.get('deadline'))}"
            )
            out.append(Entry(e.created_at, e.author, e.kind, title))
        elif e.kind == "reponse_correction":
            title = "Dépôt corrigé reçu : la demande de correction est répondue"
            if data.get("after") != data.get("before"):
                title += f", le dossier revient « {_status(data.get('after'))} »"
            out.append(Entry(e.created_at, e.author, e.kind, title))
        else:
            out.append(Entry(e.created_at, e.author, e.kind, e.kind))
    return out


def _status(code: str | None) -> str:
    return status_label(code) if code else "—"


def _decision_entry(e: Event) -> Entry:
    """A décideur's decision (or the reopening of a decided dossier)."""
    data = e.data
    outcome = data.get("outcome")
    if outcome == "reouverture":
        return Entry(
            e.created_at, e.author, e.kind, "Dossier rouvert : de nouveau « En instruction »", data.get("motif")
        )
    title = f"Décision : {STATUSES.get(outcome, outcome)}"
    if data.get("amount") is not None:
        title += f", {euros(data['amount'])} accordés"
    text = data.get("amount_reason") or data.get("motif")
    return Entry(e.created_at, e.author, e.kind, title, str(text) if text else None)


def dossier_timeline(history: History, call_id: str, dossier: str) -> list[Entry]:
    analyses = history.timeline(call_id, dossier)
    findings: dict[str, dict] = {}
    for a in analyses:
        for f in a.findings:
            findings.setdefault(f.get("fingerprint"), f)
    waivers = history.waivers(call_id, dossier, include_revoked=True).get(dossier, [])
    entries = (
        analysis_entries(analyses)
        + waiver_entries(waivers, history.revocations(call_id, dossier), findings)
        + event_entries(history.events(call_id, dossier))
    )
    return sorted(entries, key=lambda e: e.when)


def team_entries(history: History, call_id: str, dossier: str) -> list[Entry]:
    """The experts' avis, labels and private annotations of the dossier (the team's records,
    ``instruction.experts`` and ``instruction.annotations``), for ``esmsnum historique``."""
    from instruction.annotations import Annotations, annotation_entries  # they build on Entry
    from instruction.experts import Experts, avis_entries

    return avis_entries(Experts(history.engine), call_id, dossier) + annotation_entries(
        Annotations(history.engine), call_id, dossier
    )


def format_timeline(dossier: str, history: History, call_ids: list[str]) -> str:
    """``esmsnum historique DOSSIER``: the timeline as text."""
    analyses = [a for c in call_ids for a in history.timeline(c, dossier) if a.origin == "analyse"]
    lines = [f"Dossier {dossier} : {count(len(analyses), 'analyse enregistrée', 'analyses enregistrées')}"]
    for call_id in call_ids:
        for entry in sorted(
            dossier_timeline(history, call_id, dossier) + team_entries(history, call_id, dossier), key=lambda e: e.when
        ):
            head = f"- {datetime_short(iso(entry.when))} [{call_id}] {entry.title}"
            if entry.kind != "analyse":
                head += f" — par {entry.author}"
            lines.append(head)
            if entry.text:
                lines.append(f"    « {entry.text} »")
            lines.extend(f"    {d}" for d in entry.details)
    return "\n".join(lines)
