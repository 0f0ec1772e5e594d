"""The typed report of a dossier (``report.json``) and the snapshot of the call configuration
its run used (``CallSnapshot``).

Every page, letter and export renders a ``DossierReport`` and its ``call_snapshot`` only: a
report written again later (a lift, a decision, ``esmsnum courrier``) is rendered with the
configuration of the run that judged it, never with a configuration looked up again by id (an
ARS that copied a shipped call keeps its own envelope, letterhead and dates).

``report.json`` is a contract (report-contract.md): its keys are extended, never broken. It
carries ``schema_version``; ``upgrade_report`` reads every version the product has written
(``1.0``, the reports before the snapshot, and those without a version at all) and
``DossierReport.load`` validates the result. Values are stored as JSON: moments as ISO 8601
with their offset, amounts in euros, codes (``a_corriger``) rather than labels, except the
few French sentences the contract's readers show as they are (``verdict_label``,
``verdict_reason``, ``message``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_serializer

from core.french import PARIS
from core.models import DOSSIER_FILE, DocumentKind, Location, Severity, Verdict

SCHEMA_VERSION = "2.0"
#: Versions ``upgrade_report`` reads, oldest first ("" for the reports written before the key).
READABLE_VERSIONS = ("", "1.0", SCHEMA_VERSION)


class _Model(BaseModel):
    """A part of report.json: unknown keys are refused (the model is the contract)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# --------------------------------------------------------------------------- the call


class SourcedValue(_Model):
    """One value of the call configuration as the run read it, with where it comes from
    (``confidence`` and other marks the configuration gives a value are kept)."""

    model_config = ConfigDict(extra="allow")

    value: Any = None
    source: str = ""


class SubmissionWindow(_Model):
    """The deposit window (DEP-01), aware date-times in Europe/Paris."""

    opens: dt.datetime | None = None
    opens_source: str = ""
    closes: dt.datetime | None = None
    closes_source: str = ""
    resubmission_closes: dt.datetime | None = None
    resubmission_closes_source: str = ""


class LetterSettings(_Model):
    """The letterhead of the call's letters and the owner's time to answer."""

    sender: str
    sender_source: str = ""
    service: str | None = None
    address: list[str] | None = None
    followed_by: str | None = None
    signatory: str | None = None
    place: str | None = None
    reply_days: int = 15
    reply_days_source: str = ""


class RuleSnapshot(_Model):
    """What the call made of one rule: on or off, its severity, why."""

    enabled: bool = True
    severity: Severity
    default_severity: Severity
    source: str | None = None  # why the call changed it (``rules`` of the configuration)


class CallSnapshot(_Model):
    """Everything of the call configuration that the run used and that the reports show.

    ``values`` holds every sourced value of the configuration by its dotted key
    (``funding.forfaits.acquisition.moa``), so that the rule documentation of the output
    folder shows the call's own values; the typed fields are what pages and letters read."""

    id: str
    reference: str
    title: str
    authority: str
    channel: str
    config_sha256: str = ""
    region: str | None = None
    departments: list[str] = Field(default_factory=list)
    submission: SubmissionWindow = Field(default_factory=SubmissionWindow)
    required_documents: list[DocumentKind] = Field(default_factory=list)
    required_documents_source: str = ""
    letters: LetterSettings
    envelope: float | None = None
    envelope_source: str = ""
    rules: dict[str, RuleSnapshot] = Field(default_factory=dict)
    values: dict[str, SourcedValue] = Field(default_factory=dict)
    complete: bool = True  # False: rebuilt from a report written before snapshots (values unknown)
    programme: str | None = None  # the programme year's label (« Généralisation 2024 »), when the call names one

    def values_under(self, path: str) -> list[tuple[str, SourcedValue]]:
        """The values at or below ``path`` (``funding.forfaits``), in the configuration's order."""
        prefix = path + "."
        return [(key, value) for key, value in self.values.items() if key == path or key.startswith(prefix)]


# --------------------------------------------------------------------------- a dossier


class LocationEntry(_Model):
    """``core.models.Location`` as report.json writes it (the contract's ``file``, ``sheet``,
    ``cell``, ``page``, the typed keys, and ``detail``, its French wording below the cell)."""

    file: str = DOSSIER_FILE
    sheet: str | None = None
    cell: str | None = None
    page: int | None = None
    table: int | None = None
    row: int | None = None
    column: int | None = None
    paragraph: int | None = None
    field: str | None = None
    detail: str | None = None

    @classmethod
    def of(cls, location: Location) -> LocationEntry:
        return cls.model_validate(location.to_dict())

    def typed(self) -> Location:
        return Location.from_dict(self.model_dump())

    def describe(self) -> str:
        """The one French wording of the location (``core.models.describe_location``, which
        also reads the ``detail`` of locations written before they were typed)."""
        from core.models import describe_location

        return describe_location(self.model_dump(exclude_none=True))


class WaiverEntry(_Model):
    """A reviewer's lift of the finding."""

    motif: str
    author: str
    date: str  # ISO 8601 with offset
    id: int | None = None


_OPTIONAL_MARKS = ("waiver", "status", "evidence", "recount")


class FindingEntry(_Model):
    rule: str
    severity: Severity
    title: str | None = None
    message: str
    expected: str | None = None
    found: str | None = None
    location: LocationEntry | None = None
    action: str | None = None  # what the owner must do (the rule's declared action)
    fingerprint: str | None = None  # identity across runs (rule, location, value found)
    waiver: WaiverEntry | None = None
    status: str | None = None  # "nouveau" or "inchangé" since the previous submission
    evidence: dict[str, Any] | None = None  # rows, image or text around the location (reports.evidence)
    recount: bool | None = None  # GRP-03 recounted after the call's exclusions

    @model_serializer(mode="wrap")
    def _without_absent_marks(self, handler: Any) -> dict[str, Any]:
        """The marks a finding may carry are absent from report.json when it does not carry
        them (readers test ``"waiver" in finding``, as report.json has always been written)."""
        data = handler(self)
        for key in _OPTIONAL_MARKS:
            if data.get(key) is None:
                data.pop(key, None)
        return data

    @property
    def waived(self) -> bool:
        return self.waiver is not None

    @property
    def file(self) -> str:
        return self.location.file if self.location and self.location.file else DOSSIER_FILE


class DocumentPartEntry(_Model):
    kind: DocumentKind
    confidence: float
    where: str | None = None


class PieceCopy(_Model):
    """Where the run kept its copy of a file the dossier received (``judging.keep_pieces``)."""

    path: str | None = None  # "pieces/<name>", relative to the report's folder; None: not kept
    size: int | None = None  # bytes received, when known
    not_kept: str | None = None  # why no copy was kept (French)


class RecognisedColumn(_Model):
    field: str  # finess_et, forfait_moa…
    label: str  # its French name (« FINESS ET »)
    header: str  # the header it was read under, as written


class TableRecognition(_Model):
    """How one table of a document was recognised (``DocumentEntry.tables``): what it was
    read as, which way, which header gave which information, in which unit — why a value was
    taken. Optional: reports written before it have none."""

    kind: str  # structures | budget_essms | budget_lignes | planning
    kind_label: str  # « budget par ESSMS »
    where: str | None = None  # the sheet, or « page 2, tableau 1 »
    orientation: str = "lignes"  # "lignes": an entry per row; "colonnes": turned, an entry per column
    read_from: str = "en-têtes"  # "en-têtes" (a header row or column) | "calendrier" (a Gantt chart)
    header: str | None = None  # where its headers are (« cellule B4 »)
    columns: list[RecognisedColumn] = Field(default_factory=list)  # which header gave which information
    unit: str | None = None  # the unit of its amounts when not euros (« k€ »)
    rows: int = 0
    used: bool = False  # the table the rules read (another of the same kind may be left aside)
    summary: str = ""  # French, one sentence


class DocumentEntry(_Model):
    """A file of the dossier: what it was recognised to be, its hash, why it was unreadable."""

    file: str
    sha256: str
    format: str
    kind: DocumentKind
    confidence: float = 0.0
    parts: list[DocumentPartEntry] = Field(default_factory=list)
    role: str | None = None  # "formulaire": the online form
    error: str | None = None
    problem: str | None = None
    scanned: bool = False
    read_seconds: float = 0.0
    piece: PieceCopy | None = None  # the kept copy; None in reports written before pieces were kept
    tables: list[TableRecognition] = Field(default_factory=list)  # how its tables were recognised


class Contact(_Model):
    nom: str | None = None
    email: str | None = None
    telephone: str | None = None


class Owner(_Model):
    """The project owner as the online form gives it."""

    raison_sociale: str | None = None
    finess_ej: str | None = None
    siret: str | None = None
    contact: Contact | None = None
    adresse: list[str] | None = None


class Deposit(_Model):
    """The deposit as DEP-01 read it (``validators.deposit.parse_deposit``): the one reading
    of the date that every page and letter shows."""

    model_config = ConfigDict(extra="allow")

    moment: dt.datetime  # aware; the earliest moment the deposit may have been made
    latest: dt.datetime | None = None  # the latest, when the time is known to the hour or the day only
    precision: str = "minute"  # "minute", "hour" or "day": what is known of the moment
    form: str | None = None
    form_label: str | None = None
    description: str | None = None  # French, as the report shows it
    note: str | None = None
    raw: str | None = None  # the text of the form


class Exclusion(_Model):
    rule: str
    reason: str


class EssmsEntry(_Model):
    """An establishment of the dossier's list, with what the rules made of it."""

    model_config = ConfigDict(extra="forbid")

    finess: str
    name: str | None = None
    finess_ej: str | None = None
    og: str | None = None
    eligible: bool = True
    ineligible_reason: str | None = None
    project_type: str | None = None
    location: LocationEntry | None = None
    department: str | None = None
    category: str | None = None
    sector: str | None = None
    capacity: int | None = None
    registered: bool | None = None  # found in the FINESS extract (None: not looked up)
    exclusion: Exclusion | None = None
    excluded_reason: str | None = None
    call_exclusion: str | None = None
    amount_asked: float | None = None
    amount_eligible: float | None = None
    amount_requested: float | None = None
    funding: dict[str, Any] | None = None

    @property
    def counted(self) -> bool:
        """Eligible and not excluded by a rule of the dossier or of the call."""
        return self.eligible and not self.excluded_reason


class FileProblemEntry(_Model):
    file: str
    problem: str | None = None
    title: str | None = None
    message: str | None = None


class FinessCheck(_Model):
    """The FINESS extract the ESSMS were looked up in, if any."""

    checked: bool = False
    extract_date: dt.date | None = None
    entities: bool | None = None
    fingerprint: str | None = None
    sample: bool = False  # a sample written by the project's generator, not the national repository


class Counts(_Model):
    bloquant: int = 0
    a_corriger: int = 0
    alerte: int = 0
    leves: int = 0

    def of(self, severity: str) -> int:
        return int(getattr(self, severity, 0) or 0)


class Versions(_Model):
    esmsnum: str = ""
    config_sha256: str = ""


class LetterRecord(_Model):
    """A letter of record of the dossier (one per kind): its current version as saved in the
    workspace (``body`` None: the drafted one), the earlier versions counted, its sending date."""

    kind: str  # complement, irrecevabilite, acceptation, refus, classement (reports.letter.KINDS)
    title: str | None = None
    body: str | None = None
    version: int = 0  # how many versions were saved (0: never edited)
    author: str | None = None
    saved_at: str | None = None
    sent: dt.date | None = None


class LetterText(_Model):
    """The current letter as it is rendered (``courrier.pdf``, ``courrier.docx``, the web page)."""

    kind: str
    title: str
    subject: str
    place_date: str
    body: str  # from « Madame, Monsieur, » to the closing formula (``reports.letter.body_text``)
    signature_lines: list[str] = Field(default_factory=list)


class CorrectionItem(_Model):
    text: str
    rule: str | None = None
    fingerprint: str | None = None


class CorrectionChange(_Model):
    """What a corrected submission changed, against the report the request was made on."""

    verdict_before: str
    verdict_after: str | None = None
    fixed: list[CorrectionItem] = Field(default_factory=list)
    remaining: list[CorrectionItem] = Field(default_factory=list)
    new: list[CorrectionItem] = Field(default_factory=list)


class CorrectionRequest(_Model):
    """The latest request for corrections sent to the owner (``instruction.corrections``)."""

    id: int
    items: list[CorrectionItem] = Field(default_factory=list)
    free_text: str | None = None
    deadline: dt.date
    author: str
    requested_at: str
    answered_at: str | None = None  # when a corrected submission answered it
    verdict_before: str | None = None  # the verdict when it was asked
    findings_before: list[dict[str, Any]] = Field(default_factory=list)  # the active findings then
    changes: CorrectionChange | None = None


class Decision(_Model):
    """A décideur's decision on the dossier (``instruction.decisions``)."""

    outcome: str  # accepte, refuse, classe_sans_suite
    outcome_label: str
    amount: float | None = None  # granted (accepte)
    amount_ceiling: float | None = None  # the eligible (else requested) amount the report computed
    amount_reason: str | None = None  # why the amount is lower than the ceiling
    motif: str | None = None
    author: str
    date: str


class Instruction(_Model):
    """Where the reviewers' instruction of the dossier stands (``instruction.workflow``)."""

    status: str
    status_label: str | None = None
    assignee: str | None = None
    decision: str | None = None
    decision_label: str | None = None
    decision_motif: str | None = None
    decision_author: str | None = None
    decision_date: str | None = None
    letter_sent: dt.date | None = None  # the letter's sending date as the reviewer recorded it
    letter_body: str | None = None  # the letter's body as the reviewer edited it (the letterhead stays the call's)
    # Added with the decisions (schema 2.0, optional): the décideur's decision, the latest
    # correction request, the letters of record and the current letter's text.
    final_decision: Decision | None = None
    correction: CorrectionRequest | None = None
    letters: list[LetterRecord] = Field(default_factory=list)
    letter: LetterText | None = None


class Evolution(_Model):
    """What changed since the analysis of the owner's previous submission."""

    previous_date: str
    previous_verdict: str | None = None
    resolved: list[FindingEntry] = Field(default_factory=list)
    new_count: int = 0
    unchanged_count: int = 0


class DossierReport(_Model):
    """``report.json``: a dossier's verdict, findings, figures and the call they were judged in."""

    schema_version: str = SCHEMA_VERSION
    dossier: str
    call: str  # the call's reference (contract)
    call_id: str
    verdict: Verdict
    verdict_label: str
    verdict_reason: str
    findings: list[FindingEntry] = Field(default_factory=list)
    documents: list[DocumentEntry] = Field(default_factory=list)
    essms_count: int | None = None
    essms_listed: int | None = None
    amount_requested: float | None = None
    amount_eligible: float | None = None
    porteur: Owner | None = None
    date_depot: str | None = None  # as DEP-01 read it (ISO 8601), or the form's text when unreadable
    deposit: Deposit | None = None
    departments: list[str] = Field(default_factory=list)
    sectors: list[str] = Field(default_factory=list)
    essms: list[EssmsEntry] = Field(default_factory=list)
    file_problems: list[FileProblemEntry] = Field(default_factory=list)
    finess_repository: FinessCheck = Field(default_factory=FinessCheck)
    readings: dict[str, Any] = Field(default_factory=dict)  # how each table was read (extractors.readings)
    basis: dict[str, Any] | None = None  # how the figures were computed (validators.figures)
    counts: Counts = Field(default_factory=Counts)
    generated_at: dt.datetime
    versions: Versions = Field(default_factory=Versions)
    internal_error: bool = False
    analysis_seconds: float = 0.0
    submission_sha256: str = ""
    digest: str | None = None
    instruction: Instruction | None = None
    evolution: Evolution | None = None
    letter_sending_date: dt.date | None = None  # set by the reviewer (``esmsnum courrier --date-envoi``)
    call_snapshot: CallSnapshot

    # ------------------------------------------------------------------ reading
    @classmethod
    def load(cls, data: dict[str, Any]) -> DossierReport:
        """A report.json of any version the product wrote, upgraded and validated."""
        return cls.model_validate(upgrade_report(data))

    def to_json(self) -> dict[str, Any]:
        """What report.json holds (plain JSON types)."""
        return self.model_dump(mode="json")

    @property
    def active_findings(self) -> list[FindingEntry]:
        """The findings that count (not lifted by a reviewer)."""
        return [f for f in self.findings if f.waiver is None]

    @property
    def waived_findings(self) -> list[FindingEntry]:
        return [f for f in self.findings if f.waiver is not None]

    def document(self, file: str) -> DocumentEntry | None:
        return next((d for d in self.documents if d.file == file), None)


# --------------------------------------------------------------------------- older versions


def upgrade_report(data: dict[str, Any]) -> dict[str, Any]:
    """A report.json of an earlier version in the current shape (a new dict; ``data`` is not
    changed). Version 1.0 and the unversioned reports kept the call's facts at the top level
    (``authority``, ``submission_window``, ``letter_settings``, ``required_documents``); they
    become the snapshot, marked incomplete (the call's other values were not recorded)."""
    if not isinstance(data, dict):
        raise ValueError("report.json : un objet JSON est attendu")
    version = str(data.get("schema_version") or "")
    if version == SCHEMA_VERSION:
        return data
    if version not in READABLE_VERSIONS:
        raise ValueError(f"report.json : version {version} inconnue de cette version d'esmsnum")
    out = dict(data)
    window = out.pop("submission_window", None) or {}
    letters = out.pop("letter_settings", None) or {}
    authority = out.pop("authority", None) or ""
    call_title = out.pop("call_title", None) or out.get("call") or ""
    channel = out.pop("channel", None) or ""
    required = out.pop("required_documents", None) or []
    required_source = out.pop("required_documents_source", None) or ""
    versions = out.get("versions") or {}
    out["call_snapshot"] = {
        "id": out.get("call_id") or out.get("call") or "",
        "reference": out.get("call") or "",
        "title": call_title,
        "authority": authority,
        "channel": channel,
        "config_sha256": versions.get("config_sha256") or "",
        "submission": {
            "opens": window.get("opens"),
            "opens_source": window.get("opens_source") or "",
            "closes": window.get("closes"),
            "closes_source": window.get("closes_source") or "",
        },
        "required_documents": required,
        "required_documents_source": required_source,
        "letters": {
            "sender": letters.get("sender") or authority or "Le service instructeur de l'appel à projets",
            "sender_source": letters.get("sender_source") or "",
            **{k: letters.get(k) for k in ("service", "address", "followed_by", "signatory", "place")},
            "reply_days": letters.get("reply_days") or 15,
            "reply_days_source": letters.get("reply_days_source") or "",
        },
        "complete": False,
    }
    out.setdefault("call_id", out["call_snapshot"]["id"])
    out.setdefault("verdict_label", "")
    out.setdefault("verdict_reason", "")
    out.setdefault("generated_at", dt.datetime(1970, 1, 1, tzinfo=dt.UTC).isoformat())
    out["findings"] = [_upgrade_finding(f) for f in out.get("findings") or [] if isinstance(f, dict)]
    evolution = out.get("evolution")
    if isinstance(evolution, dict):
        out["evolution"] = {
            **evolution,
            "resolved": [_upgrade_finding(f) for f in evolution.get("resolved") or [] if isinstance(f, dict)],
        }
    if not out.get("deposit"):
        out["deposit"] = _deposit_of_iso(out.get("date_depot"))
    sending = out.get("letter_sending_date")
    if isinstance(sending, str) and "T" in sending:
        out["letter_sending_date"] = sending[:10]
    out["schema_version"] = SCHEMA_VERSION
    return out


def _upgrade_finding(finding: dict[str, Any]) -> dict[str, Any]:
    out = dict(finding)
    location = out.get("location")
    if isinstance(location, dict):
        out["location"] = {k: location.get(k) for k in LocationEntry.model_fields if k in location}
    return out


def _deposit_of_iso(value: Any) -> dict[str, Any] | None:
    """The deposit of a report written before it was stored parsed: its ``date_depot`` when it
    is ISO 8601 (a form in another wording is read again by the next run, which re-judges every
    dossier of an earlier version)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            moment = dt.datetime.combine(day, dt.time(0, 0), tzinfo=PARIS)
            latest = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=PARIS)
            return {"moment": moment, "latest": latest, "precision": "day", "form": "iso", "raw": text}
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    moment = moment.replace(tzinfo=PARIS) if moment.tzinfo is None else moment
    return {"moment": moment, "latest": moment, "precision": "minute", "form": "iso", "raw": text}
