"""Call configurations: every amount, threshold, date and list the rules read.

One YAML file per call under ``calls/``; every value is ``{value: ..., source: ...}`` (and a
``confidence``) so that a reviewer can see where it comes from. A call file names its
programme year (``programme: "2024"``) and inherits that year's rules from
``calls/programme/<year>.yaml`` (docs/calls.md): the year's values, then those of the call's
channel, then the call file's own (dates, envelope, letterhead) — each key taken whole from
the last file that sets it. A configuration is validated at load: a missing key, a wrong type
or an unknown key is refused with the key's path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.french import CONFIDENCE_LABELS as CONFIDENCE_LABELS
from core.limits import Limits, ZipLimits
from core.models import DocumentKind, Severity

T = TypeVar("T")

CALLS_DIR = Path(os.environ.get("ESMSNUM_CALLS_DIR", Path(__file__).resolve().parents[1] / "calls"))


class ConfigError(Exception):
    """A call configuration that cannot be used; the message is French and names the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Confidence = Literal["confirme", "partiel", "a_confirmer"]

#: How sure a value is (docs/calls.md): read in the cited public text; read in a secondary
#: public source or only partly (the article or page is not pinned); not found in a public
#: text (the value is a placeholder that the call must confirm). French labels: core.french.

_CONFIDENCE_MARKS = (("[NC]", "a_confirmer"), ("à confirmer", "a_confirmer"), ("[P]", "partiel"))


class Sourced(_Strict, Generic[T]):
    """A configuration value, where it comes from and how sure it is.

    ``confidence`` defaults from the marks of older files (``[NC]`` or « à confirmer » in the
    source: ``a_confirmer``; ``[P]``: ``partiel``; else ``confirme``). ``sample`` marks example
    data shipped to show the format (never real: ``esmsnum check-call`` refuses it)."""

    value: T
    source: str = Field(min_length=3)
    confidence: Confidence = "confirme"
    sample: bool = False

    @model_validator(mode="before")
    @classmethod
    def _default_confidence(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("confidence") is None and isinstance(data.get("source"), str):
            text = data["source"].lower()
            confidence = next((level for mark, level in _CONFIDENCE_MARKS if mark.lower() in text), "confirme")
            data = {**data, "confidence": confidence}
        return data


PARIS = ZoneInfo("Europe/Paris")


def paris_datetime(value: Any, *, end_of_day: bool) -> Any:
    """A configured moment as an aware date-time in Europe/Paris.

    A plain date means the whole day: it opens at 00:00 and closes at 23:59:59 (``end_of_day``).
    A date-time without offset is Paris time; one with an offset is converted to Paris time.
    Anything else is left to pydantic, which refuses it with the key's path.
    """
    if isinstance(value, str):
        text = value.strip()
        try:
            value = dt.datetime.fromisoformat(text) if ("T" in text or " " in text) else dt.date.fromisoformat(text)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=PARIS) if value.tzinfo is None else value.astimezone(PARIS)
    if isinstance(value, dt.date):
        moment = dt.time(23, 59, 59) if end_of_day else dt.time(0, 0)
        return dt.datetime.combine(value, moment, tzinfo=PARIS)
    return value


def _sourced_moment(node: Any, *, end_of_day: bool) -> Any:
    if isinstance(node, dict) and "value" in node:
        return {**node, "value": paris_datetime(node["value"], end_of_day=end_of_day)}
    return node


class Submission(_Strict):
    """The call's deposit window (DEP-01) and, where the call sets one, the earlier deadline of
    projects not selected in a previous call that are submitted again (DEP-02). Every moment is
    an aware date-time in Europe/Paris; a plain date in the YAML opens at 00:00 and closes at
    23:59:59 that day (docs/calls.md)."""

    opens: Sourced[dt.datetime]
    closes: Sourced[dt.datetime]
    resubmission_closes: Sourced[dt.datetime | None] = Field(
        default_factory=lambda: Sourced[dt.datetime | None](
            value=None, source="Pas de date propre aux projets redéposés dans cet appel"
        )
    )
    # A closing day that is a Saturday, a Sunday or a French public holiday: moved to the next
    # working day (true) or kept as published (false, the default: the instructions fix a date,
    # not a period, and the téléservice takes deposits every day; docs/calls.md).
    report_au_jour_ouvre: Sourced[bool] = Field(
        default_factory=lambda: Sourced[bool](
            value=False,
            source=(
                "Les instructions fixent une date limite, non un délai : pas de report au jour ouvré "
                "sans mention expresse du texte de l'appel (dépôt en ligne possible tous les jours)"
            ),
            confidence="partiel",
        )
    )
    # Filled by the loader when ``report_au_jour_ouvre`` moved ``closes``: the published moment.
    published_closes: Sourced[dt.datetime | None] = Field(
        default_factory=lambda: Sourced[dt.datetime | None](value=None, source="Date limite non reportée")
    )

    @field_validator("opens", mode="before")
    @classmethod
    def _opens_at_midnight(cls, node: Any) -> Any:
        return _sourced_moment(node, end_of_day=False)

    @field_validator("closes", "resubmission_closes", "published_closes", mode="before")
    @classmethod
    def _closes_at_end_of_day(cls, node: Any) -> Any:
        return _sourced_moment(node, end_of_day=True)

    @field_validator("opens", "closes", "resubmission_closes")
    @classmethod
    def _aware(cls, v: Sourced) -> Sourced:
        if v.value is not None and v.value.tzinfo is None:
            raise ValueError("date-heure sans fuseau horaire")
        return v


class ProgrammeWindow(_Strict):
    end: Sourced[dt.date]


class Region(_Strict):
    name: Sourced[str]
    departments: Sourced[list[str]]

    @field_validator("departments")
    @classmethod
    def _departments_are_codes(cls, v: Sourced[list[str]]) -> Sourced[list[str]]:
        for code in v.value:
            if not (code in ("2A", "2B") or (code.isdigit() and len(code) in (2, 3))):
                raise ValueError(f"code département invalide : {code!r}")
        return v


class Grouping(_Strict):
    min_essms: Sourced[int]
    min_essms_corsica_overseas: Sourced[int]
    channel_threshold: Sourced[int]
    min_og: Sourced[int | None]
    min_og_corsica_overseas: Sourced[int | None]
    max_essms_counted: Sourced[int | None]
    # Channel rules of the programme year (GRP-04, GRP-13; docs/calls.md): whether the regional
    # call refuses groupings of ``channel_threshold`` ESSMS or more in one region (true until
    # 2023; false from 2024: no upper cap), and whether the national call takes only groupings
    # spread over several regions (from 2024).
    regional_upper_cap: Sourced[bool] = Field(
        default_factory=lambda: Sourced[bool](
            value=True, source="Instruction n° DNS/CNSA/DGCS/2022/34 du 8 février 2022 : moins de 50 ESSMS en région"
        )
    )
    national_multiregion_required: Sourced[bool] = Field(
        default_factory=lambda: Sourced[bool](
            value=False, source="Instruction n° DNS/CNSA/DGCS/2022/34 du 8 février 2022 : 50 ESSMS ou plus au national"
        )
    )


class Eligibility(_Strict):
    """Which ESSMS the call funds (GRP-06) and who is exempt from Ségur referencing (GRP-09)."""

    eligible_sectors: Sourced[list[str]]
    eligible_categories: Sourced[list[str] | None]  # an explicit list, when the call narrows by category
    excluded_categories: Sourced[list[str]]
    segur_exempt_sectors: Sourced[list[str]]
    confort_split_required: Sourced[bool]
    # 2025: the vendor of an AHI project is registered at the ANS referencing desk on the day
    # the convention with the ARS is signed (PJM: no such obligation); docs/calls.md.
    ahi_vendor_registered_at_convention: Sourced[bool] = Field(
        default_factory=lambda: Sourced[bool](value=False, source="Pas d'obligation propre aux éditeurs AHI avant 2025")
    )


class Planning(_Strict):
    key_phases: Sourced[dict[str, list[str]]]  # phase label → words that name it
    usage_phase: Sourced[str]  # the key phase that must follow deployment (PLA-04)
    deployment_phase: Sourced[str]


class Prose(_Strict):
    min_words: Sourced[int]
    placeholders: Sourced[list[str]]
    lead_words: Sourced[list[str]]
    committee_words: Sourced[list[str]]
    training_words: Sourced[list[str]]
    usage_words: Sourced[list[str]]
    services_socles: Sourced[list[str]]


class History(_Strict):
    """What the call knows of other calls (LOT-01) and its envelope (LOT-03)."""

    previously_funded: Sourced[list[str]]
    envelope: Sourced[float | None]


Tiered = Sourced[tuple[float, float]]


class Forfaits(_Strict):
    """Per-ESSMS ceilings ``[first tier, from tier_from_rank on]``."""

    moa: Tiered
    editeur: Tiered
    bonus_segur: Tiered


class ForfaitTable(_Strict):
    acquisition: Forfaits
    mise_en_conformite: Forfaits


class Funding(_Strict):
    tier_from_rank: Sourced[int | None]
    small_og_max_sites: Sourced[int]
    forfaits: ForfaitTable
    equipment_ceiling: Sourced[float]
    amoa_procurement_ceiling: Sourced[float]
    amoa_steering_ceiling: Sourced[float]
    amount_tolerance: Sourced[float]


class Documents(_Strict):
    required: Sourced[list[DocumentKind]]


class Letters(_Strict):
    """The draft letter to the owner of a dossier à compléter (« demande de pièces
    complémentaires »): who signs it and how long the owner has to answer."""

    sender: Sourced[str]  # the ARS or CNSA service that writes to the owner
    # The letterhead, optional: the service below the sender, its postal address (lines), the
    # « Affaire suivie par » line (a team and its mailbox), the signatory, the place of the date.
    service: Sourced[str | None] | None = None
    address: Sourced[list[str] | None] | None = None
    followed_by: Sourced[str | None] | None = None
    signatory: Sourced[str | None] | None = None
    place: Sourced[str | None] | None = None
    reply_days: Sourced[int] = Field(
        default_factory=lambda: Sourced[int](
            value=15, source="Valeur par défaut d'esmsnum, à confirmer par l'appel [P]"
        )
    )

    @field_validator("reply_days")
    @classmethod
    def _positive_days(cls, v: Sourced[int]) -> Sourced[int]:
        if v.value < 1:
            raise ValueError("le délai de réponse doit être d'au moins un jour")
        return v


class FileLimits(_Strict):
    """Per-file and per-archive bounds (optional: defaults suit real dossiers)."""

    max_file_mb: float = 50
    seconds_per_file: float = 60
    memory_mb_per_file: int = 2048
    max_rows: int = 20_000
    max_pages: int = 300
    max_output_cells: int = 2_000_000
    zip_max_members: int = 2_000
    zip_max_total_mb: float = 1024
    zip_max_ratio: float = 200

    def file_limits(self) -> Limits:
        return Limits(
            max_file_bytes=int(self.max_file_mb * 1024 * 1024),
            max_rows=self.max_rows,
            max_pages=self.max_pages,
            seconds_per_file=self.seconds_per_file,
            memory_mb_per_file=self.memory_mb_per_file,
            max_output_cells=self.max_output_cells,
        )

    def zip_limits(self) -> ZipLimits:
        return ZipLimits(
            max_members=self.zip_max_members,
            max_total_bytes=int(self.zip_max_total_mb * 1024 * 1024),
            max_ratio=self.zip_max_ratio,
        )


class DsSettings(_Strict):
    """The call's démarche on Démarches simplifiées (``esmsnum ds``, docs/teleservice.md):
    its number, which champ fills which field of ``dossier.json`` (a champ's label, or its
    id, → the dossier.json key), the private annotation the verdict is written to, and the
    label put on each verdict. ``teleservice.mapping.check_section`` checks the fields."""

    demarche: Sourced[int | None]
    champs: Sourced[dict[str, str]]
    annotation: Sourced[str] = Field(
        default_factory=lambda: Sourced[str](
            value="Recevabilité (esmsnum)",
            source="Valeur par défaut d'esmsnum : annotation privée à créer sur la démarche",
        )
    )
    labels: Sourced[dict[str, str]] = Field(
        default_factory=lambda: Sourced[dict[str, str]](value={}, source="Aucun label par défaut")
    )

    @field_validator("demarche")
    @classmethod
    def _positive_number(cls, v: Sourced[int | None]) -> Sourced[int | None]:
        if v.value is not None and v.value < 1:
            raise ValueError("le numéro de démarche est un nombre entier positif")
        return v


class RuleSetting(_Strict):
    enabled: bool = True
    severity: Severity | None = None
    source: str | None = None


Channel = Literal["regional", "multiregional", "national"]
CHANNELS: tuple[str, ...] = ("regional", "multiregional", "national")
CHANNEL_LABELS = {"regional": "régional", "multiregional": "multirégional", "national": "national"}


class ProgrammeYear(_Strict):
    """What a call inherits of its programme year besides the values: the year, the public
    text that sets its rules, and the last day of deposit that text sets per channel (None: the
    text sets none, e.g. the ARS fixes it)."""

    key: str
    year: int
    label: str
    instruction: Sourced[str]
    deadlines: dict[Channel, Sourced[dt.date | None]] = Field(default_factory=dict)


# --- Conditions of access common to the programme's instructions (rules DEP-05,
# GRP-15, GRP-16, BUD-09). Each has a default with its source, so a call file need not name
# them; a call overrides one like any sourced value (``conditions: {single_dui: {value: false,
# source: …}}``). Values not read in a public text's own words are marked « à confirmer ».
INSTRUCTION_2022 = "Instruction n° DNS/CNSA/DGCS/2022/34 du 8 février 2022 (phase de généralisation)"


class Conditions(_Strict):
    """Conditions of access to the funding the instructions set for every call."""

    single_dui: Sourced[bool] = Sourced[bool](
        value=True,
        source=(
            f"{INSTRUCTION_2022} : un projet réunit des ESSMS autour d'un même dossier usager informatisé (un seul "
            "DUI par projet) — à confirmer dans l'annexe de l'instruction de l'année"
        ),
    )
    vendor_contract_before_deposit: Sourced[bool] = Sourced[bool](
        value=True,
        source=(
            "Décret n° 2018-514 du 25 juin 2018 relatif aux subventions de l'État pour des projets "
            "d'investissement, article 3 : aucun commencement d'exécution avant la demande, le premier acte "
            "juridique (la signature du contrat) valant commencement — application au FMIS à confirmer"
        ),
    )
    sons_other_dui_excluded: Sourced[bool] = Sourced[bool](
        value=True,
        source=(
            "ARS Provence-Alpes-Côte d'Azur, appel à projets ESMS numérique, conditions d'éligibilité : pas de "
            "double financement ; un ESSMS qui a commandé la « prestation Ségur » du SONS pour un DUI ne peut "
            "être financé pour un autre DUI (arrêté du 2 février 2022, SONS DUI ESSMS)"
        ),
    )
    eu_funds_no_cumulation: Sourced[list[str]] = Sourced[list[str]](
        value=["FEDER", "FSE", "FSE+"],
        source=(
            "ARS Provence-Alpes-Côte d'Azur, appel à projets ESMS numérique : financement par la Facilité pour la "
            "reprise et la résilience, non cumulable avec d'autres fonds européens (FEDER, FSE) pour les mêmes "
            "dépenses"
        ),
    )


class CallConfig(_Strict):
    id: str
    title: str
    reference: str
    authority: str
    channel: Channel
    programme: str | None = None  # the programme year the call inherits (calls/programme/<key>.yaml)
    programme_year: ProgrammeYear | None = None  # filled from the programme file
    submission: Submission
    programme_window: ProgrammeWindow
    region: Region | None
    grouping: Grouping
    eligibility: Eligibility
    funding: Funding
    documents: Documents
    planning: Planning
    prose: Prose
    history: History
    rules: dict[str, RuleSetting] = Field(default_factory=dict)
    letters: Letters | None = None  # None: the authority signs, 15 days to answer [P]
    limits: FileLimits = Field(default_factory=FileLimits)
    # The FINESS repository extract (its date) the call's runs check the ESSMS against;
    # None: the latest imported (``esmsnum finess importer``), or ``--finess``.
    finess_extract: Sourced[dt.date] | None = None
    # The démarche on Démarches simplifiées (``esmsnum ds``); None: no connector for this call.
    ds: DsSettings | None = None
    conditions: Conditions = Field(default_factory=Conditions)  # the conditions rules' defaults, with their sources

    # Filled by the loader, not by the file.
    config_hash: str = ""
    config_path: str = ""

    @property
    def year(self) -> int:
        """The programme year (else the year the call opens)."""
        return self.programme_year.year if self.programme_year else self.submission.opens.value.year

    def rule_setting(self, rule_id: str) -> RuleSetting:
        return self.rules.get(rule_id, RuleSetting())

    def letter_settings(self) -> Letters:
        """The ``letters`` section, or its defaults: the call's authority as sender."""
        if self.letters is not None:
            return self.letters
        return Letters(sender=Sourced[str](value=self.authority, source="authority de la configuration de l'appel"))


def _format_loc(loc: tuple) -> str:
    return ".".join(str(p) for p in loc if not str(p).startswith(("Sourced[", "function-")))


_PYDANTIC_FR = {
    "missing": "clé manquante",
    "extra_forbidden": "clé inconnue",
    "int_parsing": "nombre entier attendu",
    "int_type": "nombre entier attendu",
    "float_parsing": "nombre attendu",
    "float_type": "nombre attendu",
    "date_from_datetime_parsing": "date AAAA-MM-JJ attendue",
    "date_parsing": "date AAAA-MM-JJ attendue",
    "date_type": "date AAAA-MM-JJ attendue",
    "datetime_parsing": "date AAAA-MM-JJ ou date-heure AAAA-MM-JJ HH:MM attendue",
    "datetime_from_date_parsing": "date AAAA-MM-JJ ou date-heure AAAA-MM-JJ HH:MM attendue",
    "datetime_type": "date AAAA-MM-JJ ou date-heure AAAA-MM-JJ HH:MM attendue",
    "string_type": "texte attendu",
    "list_type": "liste attendue",
    "tuple_type": "liste de deux montants attendue",
    "too_short": "valeur trop courte",
    "too_long": "valeur trop longue",
    "enum": "valeur non autorisée",
    "literal_error": "valeur non autorisée",
    "model_type": "section attendue (clé: valeur)",
    "dict_type": "section attendue (clé: valeur)",
}


def _explain(error: ValidationError, path: Path) -> str:
    lines = [f"Configuration d'appel invalide : {path}"]
    for err in error.errors():
        key = _format_loc(err["loc"]) or "(racine)"
        reason = _PYDANTIC_FR.get(err["type"], err["msg"])
        if err["type"] == "value_error":
            reason = str(err.get("ctx", {}).get("error", err["msg"]))
        lines.append(f"  - clé « {key} » : {reason}")
    return "\n".join(lines)


def resolve_call_path(call: str | os.PathLike[str]) -> Path:
    """A shipped call id (``ars-ara-2022-regional``) or a path to a YAML file."""
    candidate = Path(call)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        if not candidate.is_file():
            raise ConfigError(f"Fichier de configuration introuvable : {candidate}")
        return candidate
    shipped = CALLS_DIR / f"{call}.yaml"
    if shipped.is_file():
        return shipped
    known = ", ".join(available_calls()) or "aucun"
    raise ConfigError(f"Appel inconnu : « {call} ». Appels disponibles : {known}.")


def available_calls() -> list[str]:
    return sorted(p.stem for p in CALLS_DIR.glob("*.yaml"))


PROGRAMME_DIR_NAME = "programme"


def programme_path(key: str) -> Path:
    """The programme-year file of ``key`` (``2024``, ``2021-amorcage-t1``)."""
    return CALLS_DIR / PROGRAMME_DIR_NAME / f"{key}.yaml"


def available_programmes() -> list[str]:
    return sorted(p.stem for p in (CALLS_DIR / PROGRAMME_DIR_NAME).glob("*.yaml") if not p.stem.startswith("_"))


#: Values common to every year (instruction practice, reading aids), under each year's.
COMMON_PROGRAMME = "_commun"
# libyaml's safe loader where PyYAML was built with it (ten times faster: a call is read at every
# run and every re-render), the pure-Python one otherwise; the same documents either way.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path, what: str) -> tuple[dict[str, Any], bytes]:
    raw_bytes = path.read_bytes()
    try:
        data = yaml.load(raw_bytes, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} illisible (YAML) : {path} : {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{what} invalide : {path} : un dictionnaire YAML est attendu.")
    return data, raw_bytes


def _is_leaf(node: Any) -> bool:
    return not isinstance(node, dict) or "value" in node


def merge_layers(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` over ``base``: a sourced value (``{value: …}``), a list or a scalar is taken
    whole from ``override``; sections are merged key by key."""
    out = dict(base)
    for key, node in override.items():
        if key in out and not _is_leaf(node) and not _is_leaf(out[key]):
            out[key] = merge_layers(out[key], node)
        else:
            out[key] = node
    return out


_PROGRAMME_KEYS = {"year", "label", "instruction", "values", "channels"}
_CHANNEL_KEYS = {"deadline", "values"}


def inherit_programme(data: dict[str, Any], path: Path) -> tuple[dict[str, Any], bytes]:
    """The call file's data over its programme year's (the year's values, then its channel's);
    ``(data, b"")`` for a call that names no programme. Raises ``ConfigError`` naming the key."""
    key = data.get("programme")
    if key is None:
        return data, b""
    key = str(key)
    source = programme_path(key)
    if not source.is_file():
        known = ", ".join(available_programmes()) or "aucune"
        raise ConfigError(
            f"Configuration d'appel invalide : {path}\n  - clé « programme » : année de programme inconnue "
            f"« {key} » (années livrées : {known})"
        )
    programme, raw = _read_yaml(source, "Année de programme")
    unknown = sorted(set(programme) - _PROGRAMME_KEYS)
    channel = data.get("channel")
    channels = programme.get("channels") or {}
    problems = [f"clé « {k} » : clé inconnue" for k in unknown]
    if channel not in channels:
        problems.append(
            f"clé « channels.{channel} » : l'année {key} ne décrit pas ce canal "
            f"(canaux décrits : {', '.join(channels) or 'aucun'})"
        )
    for name, spec in channels.items():
        problems += [f"clé « channels.{name}.{k} » : clé inconnue" for k in sorted(set(spec or {}) - _CHANNEL_KEYS)]
    if problems:
        raise ConfigError(f"Année de programme invalide : {source}\n" + "\n".join(f"  - {p}" for p in problems))
    common_path = programme_path(COMMON_PROGRAMME)
    common, common_raw = _read_yaml(common_path, "Valeurs communes") if common_path.is_file() else ({}, b"")
    merged = merge_layers(common.get("values") or {}, programme.get("values") or {})
    merged = merge_layers(merged, channels[channel].get("values") or {})
    merged = merge_layers(merged, {k: v for k, v in data.items() if k != "programme"})
    merged["programme"] = key
    merged["programme_year"] = {
        "key": key,
        "year": programme.get("year"),
        "label": programme.get("label"),
        "instruction": programme.get("instruction"),
        "deadlines": {name: (spec or {}).get("deadline") for name, spec in channels.items()},
    }
    return merged, common_raw + b"\0" + raw


def load_call(call: str | os.PathLike[str]) -> CallConfig:
    path = resolve_call_path(call)
    data, raw_bytes = _read_yaml(path, "Configuration d'appel")
    for reserved in ("config_hash", "config_path", "programme_year"):
        if reserved in data:
            raise ConfigError(f"Configuration d'appel invalide : {path}\n  - clé « {reserved} » : clé inconnue")
    data, programme_bytes = inherit_programme(data, path)
    try:
        config = CallConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, path)) from exc
    config = _report_closing_day(config)
    _check_consistency(config, path)
    digest = hashlib.sha256(raw_bytes + b"\0" + programme_bytes).hexdigest()
    return config.model_copy(update={"config_hash": digest, "config_path": str(path)})


def non_working_reason(day: dt.date) -> str | None:
    """Why ``day`` is not a working day in France (« un dimanche », « un jour férié (Assomption) »)."""
    import holidays

    name = holidays.country_holidays("FR", years=day.year).get(day)
    if name:
        return f"un jour férié ({name})"
    if day.weekday() == 5:
        return "un samedi"
    if day.weekday() == 6:
        return "un dimanche"
    return None


def next_working_day(day: dt.date) -> dt.date:
    while non_working_reason(day):
        day += dt.timedelta(days=1)
    return day


def _report_closing_day(config: CallConfig) -> CallConfig:
    """Move the closing moment to the next working day when the call says so."""
    submission = config.submission
    closes = submission.closes.value
    if not submission.report_au_jour_ouvre.value or non_working_reason(closes.date()) is None:
        return config
    moved = dt.datetime.combine(next_working_day(closes.date()), closes.timetz())
    reason = non_working_reason(closes.date())
    published = Sourced[dt.datetime | None](
        value=closes, source=submission.closes.source, confidence=submission.closes.confidence
    )
    new_closes = submission.closes.model_copy(
        update={
            "value": moved,
            "source": f"{submission.closes.source} ; date publiée tombant {reason}, reportée au premier jour "
            f"ouvré suivant (report_au_jour_ouvre : {submission.report_au_jour_ouvre.source})",
        }
    )
    return config.model_copy(
        update={"submission": submission.model_copy(update={"closes": new_closes, "published_closes": published})}
    )


def _check_consistency(config: CallConfig, path: Path) -> None:
    problems = []
    submission = config.submission
    if submission.opens.value > submission.closes.value:
        problems.append("clé « submission.opens » : la date d'ouverture suit la date de clôture")
    resubmission = submission.resubmission_closes.value
    if resubmission is not None and not (submission.opens.value <= resubmission <= submission.closes.value):
        problems.append(
            "clé « submission.resubmission_closes » : la date limite des projets redéposés doit "
            "tomber entre l'ouverture et la clôture de l'appel"
        )
    if config.channel == "regional" and config.region is None:
        problems.append("clé « region » : un appel régional doit lister ses départements")
    if problems:
        raise ConfigError(f"Configuration d'appel invalide : {path}\n" + "\n".join(f"  - {p}" for p in problems))
